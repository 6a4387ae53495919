"""Real PyTorch drawing its random numbers from tinygrad_nn's generators, for the
agreement tests of programs written the usual way (``torch.manual_seed``, ``torch.randn``,
layers' default initialisation, ``nn.Dropout``, ``torch.multinomial``).

The two libraries' random streams differ (PyTorch's is a Mersenne Twister with its own
transforms; tinygrad_nn's is NumPy's PCG64), so a seeded program prints different
numbers in each. :func:`draw_from_tinygrad_nn` replaces PyTorch's random entry points,
for one test, with ones that make tinygrad_nn's draws, in tinygrad_nn's order and way
(its ``nn.Linear`` draws a 2-D weight as its transpose, its dropout keeps an element where
``U(0, 1) >= p``, its ``shuffle=True`` is a NumPy permutation): then everything else the
program computes must agree to rounding.

Examples:
    >>> callable(draw_from_tinygrad_nn)
    True
"""

from __future__ import annotations

from typing import Any

import numpy as np

import tinygrad_nn as tg
from tinygrad_nn.nn import init as tg_init
from tinygrad_nn.seeding import default_generator


def draw_from_tinygrad_nn(monkeypatch: Any) -> None:
    """Point real PyTorch's random functions at tinygrad_nn's, until ``monkeypatch`` undoes
    it (the pytest fixture's end)."""
    import torch

    def ours(value: Any) -> Any:  # a torch tensor (or number) as a tinygrad_nn one
        return tg.tensor(value.detach().numpy()) if isinstance(value, torch.Tensor) else value

    def theirs(value: tg.Tensor, dtype: Any = None) -> Any:
        result = torch.from_numpy(np.array(value.numpy()))
        return result if dtype is None else result.to(dtype)

    class Generator(torch.Generator):  # a torch.Generator with a tinygrad_nn twin
        def __init__(self, device: Any = "cpu") -> None:  # (torch.Generator's __new__ has it)
            self.twin = tg.Generator()

        def manual_seed(self, seed: int) -> Generator:
            self.twin.manual_seed(seed)
            super().manual_seed(seed)
            return self

    def twin(generator: Any) -> Any:
        return None if generator is None else generator.twin

    def sized(function: Any) -> Any:  # randn, rand: (*size, size=, generator=, dtype=, ...)
        def draw(
            *size: Any,
            generator: Any = None,
            dtype: Any = None,
            requires_grad: bool = False,
            **rest: Any,
        ) -> Any:
            made = function(*size, *rest.get("size", ()), generator=twin(generator))
            return theirs(made, dtype or torch.get_default_dtype()).requires_grad_(requires_grad)

        return draw

    def randint(*args: Any, generator: Any = None, dtype: Any = None, **kwargs: Any) -> Any:
        kwargs.pop("device", None)
        made = tg.randint(*args, generator=twin(generator), **kwargs)
        return theirs(made, dtype or torch.int64)

    def like(function: Any) -> Any:  # randn_like, rand_like
        def draw(input: Any, **_: Any) -> Any:
            return theirs(function(ours(input)), input.dtype)

        return draw

    def multinomial(input: Any, num_samples: int, replacement: bool = False, **kw: Any) -> Any:
        made = tg.multinomial(
            ours(input), num_samples, replacement, generator=twin(kw.get("generator"))
        )
        return theirs(made)

    def bernoulli(input: Any, p: Any = None, *, generator: Any = None) -> Any:
        return theirs(tg.bernoulli(ours(input), p, generator=twin(generator)), input.dtype)

    def uniform_(self: Any, a: float = 0.0, b: float = 1.0, generator: Any = None) -> Any:
        values = tg_init._draw(default_generator(), tuple(self.shape), a, b)  # (as our layers)
        with torch.no_grad():
            return self.copy_(torch.from_numpy(values))

    def normal_(self: Any, mean: float = 0.0, std: float = 1.0, generator: Any = None) -> Any:
        values = default_generator().normal(mean, std, size=tuple(self.shape))
        with torch.no_grad():
            return self.copy_(torch.from_numpy(values))

    def dropout(input: Any, p: float = 0.5, training: bool = True, inplace: bool = False) -> Any:
        if not training or p == 0.0:
            return input
        keep = default_generator().random(tuple(input.shape)) >= p
        mask = torch.from_numpy(keep * (1.0 / (1.0 - p))).to(input.dtype)
        return input.mul_(mask) if inplace else input * mask

    def shuffled(self: Any) -> Any:  # RandomSampler.__iter__ (DataLoader's shuffle=True)
        rng = twin(self.generator).numpy if self.generator is not None else default_generator()
        n, count = len(self.data_source), self.num_samples
        if self.replacement:
            yield from rng.integers(0, n, size=count).tolist()
            return
        for _ in range(count // n):
            yield from rng.permutation(n).tolist()
        if count % n:
            yield from rng.permutation(n)[: count % n].tolist()

    real_seed = torch.manual_seed

    def manual_seed(seed: int) -> Any:
        tg.manual_seed(seed)
        return real_seed(seed)

    for name, value in {
        "manual_seed": manual_seed,
        "Generator": Generator,
        "randn": sized(tg.randn),
        "rand": sized(tg.rand),
        "randint": randint,
        "randn_like": like(tg.randn_like),
        "rand_like": like(tg.rand_like),
        "multinomial": multinomial,
        "bernoulli": bernoulli,
    }.items():
        monkeypatch.setattr(torch, name, value)
    monkeypatch.setattr(torch.Tensor, "uniform_", uniform_)
    monkeypatch.setattr(torch.Tensor, "normal_", normal_)
    monkeypatch.setattr(torch.nn.functional, "dropout", dropout)
    monkeypatch.setattr(torch.utils.data.RandomSampler, "__iter__", shuffled)
