"""Random generators: ``tg.Generator`` (PyTorch's ``torch.Generator``) and ``tg.manual_seed``.

A :class:`Generator` is a seedable source of random numbers backed by a NumPy
``np.random.Generator``; samplers, ``random_split`` and ``DataLoader`` take one as
``generator=``. One of them, the *default generator*, serves everything that is given no
generator (initialisers, ``tg.rand``/``tg.randn``, dropout, shuffling):
``tg.manual_seed(s)`` reseeds it and returns it, as ``torch.manual_seed`` does.

Examples:
    >>> import tinygrad_nn as tg
    >>> _ = tg.manual_seed(0); a = tg.randn(2)
    >>> _ = tg.manual_seed(0); b = tg.randn(2)
    >>> a.tolist() == b.tolist()
    True
"""

from __future__ import annotations

import json
import secrets
from typing import Any

import numpy as np

from tinygrad_nn import tensor_inplace
from tinygrad_nn.tensor import Tensor

DEFAULT_SEED = 67280421310721  # torch.Generator()'s seed before any manual_seed
UINT64 = 1 << 64


def _seed_value(seed: Any) -> int:
    """``seed`` as PyTorch stores it: an unsigned 64-bit int; a negative one is taken as
    its two's complement (``-1`` is ``2**64 - 1``), as PyTorch does.

    Examples:
        >>> _seed_value(-1) == 2**64 - 1, _seed_value(7)
        (True, 7)
    """
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
        raise TypeError(f"manual_seed expected a long, but got {type(seed).__name__}")
    seed = int(seed)
    if not -(UINT64 >> 1) <= seed < UINT64:
        raise RuntimeError("Overflow when unpacking long")
    return seed % UINT64


class Generator:
    """A seedable random generator, as ``torch.Generator`` (CPU only), over NumPy's.

    ``manual_seed(s)`` restarts it from ``s`` (and returns it), ``seed()`` restarts it from
    a fresh nondeterministic seed (and returns that seed), ``initial_seed()`` says the seed
    it last started from; ``get_state()``/``set_state()`` save and restore where it is.
    The NumPy generator itself is :attr:`numpy`.

    Examples:
        >>> g = Generator().manual_seed(3)
        >>> g.initial_seed()
        3
        >>> state = g.get_state(); first = g.numpy.random()
        >>> _ = g.set_state(state); g.numpy.random() == first
        True
    """

    def __init__(self, device: Any = "cpu") -> None:
        if str(device) != "cpu":
            raise RuntimeError(
                f"Generator: tinygrad_nn's generators run on 'cpu' (NumPy), not {device!r}"
            )
        self.device = device
        self.manual_seed(DEFAULT_SEED)

    def manual_seed(self, seed: int) -> Generator:
        """Restart from ``seed`` (an int; negative ones as in PyTorch); returns self."""
        self._initial_seed = _seed_value(seed)
        self.numpy = np.random.default_rng(self._initial_seed)
        return self

    def seed(self) -> int:
        """Restart from a nondeterministic seed (from the OS), and return that seed."""
        fresh = secrets.randbits(64)
        self.manual_seed(fresh)
        return fresh

    def initial_seed(self) -> int:
        """The seed this generator last started from."""
        return self._initial_seed

    def get_state(self) -> Any:
        """Where the generator is, as a uint8 Tensor (PyTorch's is a ByteTensor too): the
        JSON of NumPy's bit-generator state, so ``tg.save`` can store it."""
        facts = {"seed": self._initial_seed, "state": self.numpy.bit_generator.state}
        return Tensor(np.frombuffer(json.dumps(facts).encode(), dtype=np.uint8).copy())

    def set_state(self, new_state: Any) -> Generator:
        """Go back to a state from :meth:`get_state`; returns self."""
        array = np.asarray(getattr(new_state, "array", new_state))
        if array.dtype != np.uint8 or array.ndim != 1:
            raise TypeError(
                f"set_state: expected a 1-D uint8 tensor from get_state(), got dtype "
                f"{array.dtype} and shape {array.shape}"
            )
        try:
            facts = json.loads(array.tobytes().decode())
            numpy = np.random.default_rng()
            numpy.bit_generator.state = facts["state"]
            seed = _seed_value(facts["seed"])
        except (ValueError, TypeError, KeyError) as error:  # the state is unchanged
            raise RuntimeError(f"set_state: not a state from get_state() ({error})") from None
        self.numpy, self._initial_seed = numpy, seed
        return self

    def __repr__(self) -> str:
        return f"<tinygrad_nn.Generator seeded {self._initial_seed}>"


_default = Generator()
_default.numpy = np.random.default_rng()  # unseeded until manual_seed, as before


def manual_seed(seed: int) -> Generator:
    """Reseed the default generator, the one used when none is given; returns it (like
    ``torch.manual_seed``).

    Examples:
        >>> manual_seed(0).initial_seed()
        0
    """
    return _default.manual_seed(seed)


def initial_seed() -> int:
    """The default generator's initial seed (``torch.initial_seed``).

    Examples:
        >>> _ = manual_seed(5); initial_seed()
        5
    """
    return _default.initial_seed()


def default_generator() -> np.random.Generator:
    """The NumPy generator used when a layer or a random tensor is given no ``rng``."""
    return _default.numpy


def numpy_generator(generator: Generator | np.random.Generator | None) -> np.random.Generator:
    """The NumPy generator to draw from for a ``generator=`` argument: the default one
    for None, a :class:`Generator`'s own, or a NumPy generator as given. For functions
    that take ``generator=`` as PyTorch's do.

    Examples:
        >>> numpy_generator(None) is default_generator()
        True
    """
    if generator is None:
        return default_generator()
    if isinstance(generator, Generator):
        return generator.numpy
    if isinstance(generator, np.random.Generator):
        return generator
    raise TypeError(
        f"generator must be a tinygrad_nn.Generator (torch.Generator), got "
        f"{type(generator).__name__}"
    )


tensor_inplace.numpy_generator = numpy_generator  # Tensor.uniform_/normal_ draw from here
