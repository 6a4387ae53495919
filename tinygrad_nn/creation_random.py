"""Random tensors with PyTorch's names and signatures: ``rand``, ``randn``, ``randint``,
``randperm``, ``normal``, ``bernoulli``, ``multinomial``, ``rand_like``, ``randn_like``.

Each takes ``generator=`` (a :class:`tinygrad_nn.Generator`, as ``torch.Generator``);
without one it draws from the default generator that :func:`tinygrad_nn.manual_seed`
seeds. Floats are float64 unless a ``dtype`` is asked for; ``device=`` is as for the
other factories (``"cpu"``: NumPy). Draws are constants: no gradient flows into them.

Examples:
    >>> import tinygrad_nn as tg
    >>> g = tg.Generator().manual_seed(0)
    >>> tg.randint(10, (3,), generator=g).tolist() == tg.randint(
    ...     10, (3,), generator=tg.Generator().manual_seed(0)).tolist()
    True
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tinygrad_nn.creation import FLOAT, like_device, made
from tinygrad_nn.dtypes import DTypeLike
from tinygrad_nn.namespace.array_api import to_numpy
from tinygrad_nn.seeding import numpy_generator
from tinygrad_nn.tensor import Tensor
from tinygrad_nn.tensor_shaping import shape_argument

Draws = dict[str, Any]  # generator=, dtype=, device=, requires_grad=


def sized(what: str, size: tuple[Any, ...], keywords: dict[str, Any]) -> tuple[Any, ...]:
    """The shape given positionally or as PyTorch's ``size=`` keyword (not both)."""
    unknown = set(keywords) - {"size"}
    if unknown:
        raise TypeError(f"{what}() got an unexpected keyword argument {sorted(unknown)[0]!r}")
    if "size" not in keywords:
        return size
    if size:
        raise TypeError(f"{what}() got multiple values for argument 'size'")
    return (keywords["size"],)


def rand(
    *size: Any,
    generator: Any = None,
    dtype: DTypeLike = None,
    device: Any = None,
    requires_grad: bool = False,
    **keywords: Any,
) -> Tensor:
    """Uniform samples from [0, 1); the shape as numbers, a sequence or ``size=``.

    Examples:
        >>> bool((rand(3) < 1).numpy().all()), rand(size=(2, 1)).shape
        (True, (2, 1))
    """
    values = numpy_generator(generator).random(
        shape_argument("rand", sized("rand", size, keywords))
    )
    return made(values, dtype, requires_grad, device, "rand")


def randn(
    *size: Any,
    generator: Any = None,
    dtype: DTypeLike = None,
    device: Any = None,
    requires_grad: bool = False,
    **keywords: Any,
) -> Tensor:
    """Standard normal samples; the shape as numbers, a sequence or ``size=`` (d2l's
    ``torch.randn(size=shape)``).

    Examples:
        >>> randn(2, 3).shape, randn(size=(2, 1)).shape
        ((2, 3), (2, 1))
    """
    values = numpy_generator(generator).standard_normal(
        shape_argument("randn", sized("randn", size, keywords))
    )
    return made(values, dtype, requires_grad, device, "randn")


def randint(
    *args: Any,
    size: Any = None,
    generator: Any = None,
    dtype: DTypeLike = None,
    device: Any = None,
    requires_grad: bool = False,
    low: int | None = None,
    high: int | None = None,
) -> Tensor:
    """Random integers in [low, high), as ``torch.randint``: ``randint(high, size)`` or
    ``randint(low, high, size)`` (``size`` a tuple); int64 unless ``dtype`` says otherwise.

    Examples:
        >>> randint(384, (8,)).shape, randint(0, 3, (4,)).dtype
        ((8,), dtype('int64'))
        >>> randint(5, 3, (2,))
        Traceback (most recent call last):
        ...
        RuntimeError: random_ expects 'from' to be less than 'to', but got from=5 >= to=3
    """
    given = list(args)
    if size is None and (len(given) == 3 or (given and isinstance(given[-1], (tuple, list)))):
        size = given.pop()
    if size is None:
        raise TypeError("randint() missing 1 required positional argument: 'size'")
    if not isinstance(size, (tuple, list)):
        raise TypeError(
            f"randint(): argument 'size' must be tuple of ints, not {type(size).__name__}"
        )
    if len(given) == 2 and low is None and high is None:
        low, high = given
    elif len(given) == 1 and high is None:
        high = given[0]
    elif given or high is None:
        raise TypeError(
            f"randint(): takes (high, size) or (low, high, size), got {len(args)} positional "
            "argument(s)"
        )
    low = 0 if low is None else low
    if low >= high:
        raise RuntimeError(
            f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}"
        )
    values = numpy_generator(generator).integers(low, high, shape_argument("randint", (size,)))
    return made(values.astype(np.int64), dtype, requires_grad, device, "randint")


def randperm(
    n: int,
    *,
    generator: Any = None,
    dtype: DTypeLike = np.int64,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """A random order of ``0 .. n-1``, as ``torch.randperm``.

    Examples:
        >>> sorted(randperm(5).tolist())
        [0, 1, 2, 3, 4]
    """
    if n < 0:
        raise RuntimeError(f"n must be non-negative, got{n}")
    order = numpy_generator(generator).permutation(int(n))
    return made(order.astype(np.int64), dtype, requires_grad, device, "randperm")


def normal(
    mean: Any,
    std: Any = 1.0,
    size: Any = None,
    *,
    generator: Any = None,
    dtype: DTypeLike = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """Normal samples of the given means and standard deviations, as ``torch.normal``:
    tensors (their broadcast shape) or numbers with ``size``.

    Examples:
        >>> normal(2.0, 3.0, size=(1, 4)).shape, normal(Tensor([0.0, 5.0]), 1.0).shape
        ((1, 4), (2,))
    """
    mu, sigma = (to_numpy(getattr(v, "array", v)) for v in (mean, std))
    if isinstance(mean, Tensor) or isinstance(std, Tensor):
        if size is not None:
            raise TypeError("normal(): size= is for a mean and std given as numbers")
        shape = np.broadcast_shapes(mu.shape, sigma.shape)
    elif size is None:
        raise TypeError("normal(): give size= when mean and std are numbers")
    else:
        shape = shape_argument("normal", (size,))
    if np.any(sigma < 0):
        which = "all elements of std" if sigma.ndim else "std"
        raise RuntimeError(f"normal expects {which} >= 0.0, but found std {sigma.min()}")
    draws = mu + sigma * numpy_generator(generator).standard_normal(shape)
    kind = mu.dtype if isinstance(mean, Tensor) and mu.dtype.kind == "f" else FLOAT
    return made(np.asarray(draws, kind), dtype, requires_grad, device, "normal")


def bernoulli(input: Tensor, p: float | None = None, *, generator: Any = None) -> Tensor:
    """1 with probability ``input`` (or ``p``) at each place, else 0, in ``input``'s dtype,
    as ``torch.bernoulli``.

    Examples:
        >>> bernoulli(Tensor([0.0, 1.0])).tolist()
        [0.0, 1.0]
    """
    odds = to_numpy(input.array) if p is None else np.full(input.shape, float(p))
    if odds.size and not (np.all(odds >= 0) and np.all(odds <= 1)):  # (NaN fails both)
        raise RuntimeError(
            f"bernoulli: probabilities must be in [0, 1], got values from {np.nanmin(odds)} "
            f"to {np.nanmax(odds)}"
        )
    draws = numpy_generator(generator).random(odds.shape) < odds
    return made(draws.astype(input.dtype), None, False, like_device(input, None), "bernoulli")


def multinomial(
    input: Tensor, num_samples: int, replacement: bool = False, *, generator: Any = None
) -> Tensor:
    """Indices drawn by the weights in each row of ``input`` (1-D, or 2-D: one row per
    draw), with or without replacement, as ``torch.multinomial``. The weights need not add
    up to 1; negative ones, inf, NaN or an all-zero row are PyTorch's errors.

    Examples:
        >>> multinomial(Tensor([0.0, 0.0, 1.0]), 2, replacement=True).tolist()
        [2, 2]
        >>> multinomial(Tensor([[1.0, 0.0], [0.0, 1.0]]), 1).tolist()
        [[0], [1]]
    """
    weights = to_numpy(input.array)
    _check_multinomial(weights, num_samples, replacement)
    rng = numpy_generator(generator)
    rows = weights.reshape(-1, weights.shape[-1]).astype(np.float64)
    picks = np.empty((rows.shape[0], num_samples), np.int64)
    for i, row in enumerate(rows):
        total = row.sum()
        if not total > 0:
            raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
        if not replacement and np.count_nonzero(row) < num_samples:
            raise RuntimeError(
                "invalid multinomial distribution (with replacement=False, not enough "
                "non-negative category to sample)"
            )
        picks[i] = rng.choice(row.shape[0], num_samples, replace=replacement, p=row / total)
    shape = (num_samples,) if weights.ndim == 1 else (weights.shape[0], num_samples)
    return made(picks.reshape(shape), None, False, like_device(input, None), "multinomial")


def _check_multinomial(weights: np.ndarray, num_samples: int, replacement: bool) -> None:
    """PyTorch's checks of multinomial's arguments, in its order and words."""
    if weights.ndim not in (1, 2):
        raise RuntimeError(f"prob_dist must be 1 or 2 dim, got shape {weights.shape}")
    if weights.dtype.kind != "f":
        raise RuntimeError(
            f"multinomial only supports floating-point dtypes for input, got: {weights.dtype}"
        )
    if num_samples <= 0:
        raise RuntimeError("cannot sample n_sample <= 0 samples")
    if not replacement and num_samples > weights.shape[-1]:
        raise RuntimeError(
            "cannot sample n_sample > prob_dist.size(-1) samples without replacement"
        )
    if not np.all(np.isfinite(weights)) or np.any(weights < 0):
        raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")


def rand_like(
    t: Tensor, dtype: DTypeLike = None, device: Any = None, requires_grad: bool = False
) -> Tensor:
    """Uniform samples from [0, 1) shaped like ``t`` (in its dtype when it is a float).

    Examples:
        >>> rand_like(Tensor([[0.0, 0.0]])).shape
        (1, 2)
    """
    kind = t.dtype if t.dtype.kind == "f" else FLOAT
    values = numpy_generator(None).random(t.shape).astype(kind)
    return made(values, dtype, requires_grad, like_device(t, device), "rand_like")


def randn_like(
    t: Tensor, dtype: DTypeLike = None, device: Any = None, requires_grad: bool = False
) -> Tensor:
    """Standard normal samples shaped like ``t``.

    Examples:
        >>> randn_like(Tensor([0.0, 0.0, 0.0])).shape
        (3,)
    """
    kind = t.dtype if t.dtype.kind == "f" else FLOAT
    values = numpy_generator(None).standard_normal(t.shape).astype(kind)
    return made(values, dtype, requires_grad, like_device(t, device), "randn_like")
