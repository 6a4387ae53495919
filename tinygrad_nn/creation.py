"""Making tensors, with PyTorch's names: ``tg.tensor``, ``tg.zeros``, ``tg.randn``, ``tg.arange``...

Sizes are given as ``zeros(2, 3)`` or ``zeros((2, 3))``. Floats are float64 unless a
``dtype`` is asked for (the project's default, see docs/pytorch.md); random tensors
follow :func:`tinygrad_nn.manual_seed`.

Examples:
    >>> import tinygrad_nn as tg
    >>> tg.zeros(2, 3).shape, tg.ones((2,)).tolist(), tg.arange(3).tolist()
    ((2, 3), [1.0, 1.0], [0, 1, 2])
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tinygrad_nn.dtypes import DTypeLike
from tinygrad_nn.seeding import default_generator
from tinygrad_nn.tensor import Tensor
from tinygrad_nn.tensor_shaping import shape_argument

FLOAT = np.float64


def _made(array: np.ndarray, dtype: DTypeLike, requires_grad: bool) -> Tensor:
    return Tensor(array if dtype is None else array.astype(dtype), requires_grad=requires_grad)


def tensor(data: Any, dtype: DTypeLike = None, requires_grad: bool = False) -> Tensor:
    """A tensor holding a copy of ``data``, as ``torch.tensor``.

    Examples:
        >>> import tinygrad_nn as tg
        >>> tg.tensor([1.0, 2.0], requires_grad=True)
        Tensor([1., 2.], requires_grad=True)
    """
    return Tensor(data, requires_grad=requires_grad, dtype=dtype)


def zeros(*size: Any, dtype: DTypeLike = None, requires_grad: bool = False) -> Tensor:
    """Zeros of the given size.

    Examples:
        >>> zeros(2).tolist()
        [0.0, 0.0]
    """
    return _made(np.zeros(shape_argument("zeros", size), FLOAT), dtype, requires_grad)


def ones(*size: Any, dtype: DTypeLike = None, requires_grad: bool = False) -> Tensor:
    """Ones of the given size.

    Examples:
        >>> ones(1, 2).tolist()
        [[1.0, 1.0]]
    """
    return _made(np.ones(shape_argument("ones", size), FLOAT), dtype, requires_grad)


def empty(*size: Any, dtype: DTypeLike = None, requires_grad: bool = False) -> Tensor:
    """A tensor of the given size (filled with zeros: never uninitialised memory).

    Examples:
        >>> empty(2, 2).shape
        (2, 2)
    """
    return zeros(*size, dtype=dtype, requires_grad=requires_grad)


def full(
    size: Any, fill_value: float, dtype: DTypeLike = None, requires_grad: bool = False
) -> Tensor:
    """``fill_value`` everywhere; the dtype follows the value (a float gives float64).

    Examples:
        >>> full((2,), 7).tolist(), full((1,), 0.5).dtype
        ([7, 7], dtype('float64'))
    """
    shape = shape_argument("full", (size,))
    return _made(np.full(shape, fill_value), dtype, requires_grad)


def eye(
    n: int, m: int | None = None, dtype: DTypeLike = None, requires_grad: bool = False
) -> Tensor:
    """The identity matrix, ``n`` x ``m`` (square when ``m`` is None).

    Examples:
        >>> eye(2).tolist()
        [[1.0, 0.0], [0.0, 1.0]]
    """
    return _made(np.eye(n, m, dtype=FLOAT), dtype, requires_grad)


def arange(
    start: float,
    end: float | None = None,
    step: float = 1,
    dtype: DTypeLike = None,
    requires_grad: bool = False,
) -> Tensor:
    """``start, start + step, ...`` below ``end`` (``arange(n)`` counts from 0); integers
    stay integers, as in PyTorch.

    Examples:
        >>> arange(1, 2, 0.25).tolist()
        [1.0, 1.25, 1.5, 1.75]
    """
    if end is None:
        start, end = 0, start
    return _made(np.arange(start, end, step), dtype, requires_grad)


def linspace(
    start: float, end: float, steps: int, dtype: DTypeLike = None, requires_grad: bool = False
) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end``, both included.

    Integer dtypes truncate toward zero; bool is refused, as in PyTorch (which has no
    linspace for bool: ``linspace(0, 1, 3) > 0.25`` says which values you mean).

    Examples:
        >>> linspace(0, 1, 3).tolist()
        [0.0, 0.5, 1.0]
    """
    if dtype is not None and np.dtype(dtype) == np.bool_:
        raise RuntimeError(
            "linspace(): not implemented for dtype bool (as in PyTorch); make the floats "
            "and compare them, e.g. linspace(0, 1, 3) > 0.25"
        )
    return _made(np.linspace(start, end, steps, dtype=FLOAT), dtype, requires_grad)


def rand(*size: Any, dtype: DTypeLike = None, requires_grad: bool = False) -> Tensor:
    """Uniform samples from [0, 1), from the generator :func:`manual_seed` sets.

    Examples:
        >>> bool((rand(3) < 1).numpy().all())
        True
    """
    values = default_generator().random(shape_argument("rand", size))
    return _made(values, dtype, requires_grad)


def randn(*size: Any, dtype: DTypeLike = None, requires_grad: bool = False) -> Tensor:
    """Standard normal samples, from the generator :func:`manual_seed` sets.

    Examples:
        >>> randn(2, 3).shape
        (2, 3)
    """
    values = default_generator().standard_normal(shape_argument("randn", size))
    return _made(values, dtype, requires_grad)


def randint(low: int, high: int | None = None, size: Any = (), dtype: DTypeLike = None) -> Tensor:
    """Random integers in [low, high) (``randint(high, size=...)`` counts from 0).

    Examples:
        >>> randint(0, 3, (4,)).dtype
        dtype('int64')
    """
    if high is None:
        low, high = 0, low
    values = default_generator().integers(low, high, shape_argument("randint", (size,)))
    return _made(values.astype(np.int64), dtype, False)


def zeros_like(t: Tensor, dtype: DTypeLike = None, requires_grad: bool = False) -> Tensor:
    """Zeros shaped like ``t``, in its dtype unless another is given.

    Examples:
        >>> zeros_like(ones(2, dtype="float32")).dtype
        dtype('float32')
    """
    return _made(np.zeros(t.shape, t.dtype), dtype, requires_grad)


def ones_like(t: Tensor, dtype: DTypeLike = None, requires_grad: bool = False) -> Tensor:
    """Ones shaped like ``t``, in its dtype unless another is given.

    Examples:
        >>> ones_like(zeros(2)).tolist()
        [1.0, 1.0]
    """
    return _made(np.ones(t.shape, t.dtype), dtype, requires_grad)


def full_like(
    t: Tensor, fill_value: float, dtype: DTypeLike = None, requires_grad: bool = False
) -> Tensor:
    """``fill_value`` shaped like ``t``, in its dtype unless another is given.

    Examples:
        >>> full_like(zeros(2), 3).tolist()
        [3.0, 3.0]
    """
    return _made(np.full(t.shape, fill_value, t.dtype), dtype, requires_grad)


def rand_like(t: Tensor, dtype: DTypeLike = None, requires_grad: bool = False) -> Tensor:
    """Uniform samples from [0, 1) shaped like ``t``.

    Examples:
        >>> rand_like(zeros(2, 2)).shape
        (2, 2)
    """
    values = default_generator().random(t.shape).astype(t.dtype if t.dtype.kind == "f" else FLOAT)
    return _made(values, dtype, requires_grad)


def randn_like(t: Tensor, dtype: DTypeLike = None, requires_grad: bool = False) -> Tensor:
    """Standard normal samples shaped like ``t``.

    Examples:
        >>> randn_like(zeros(3)).shape
        (3,)
    """
    kind = t.dtype if t.dtype.kind == "f" else FLOAT
    values = default_generator().standard_normal(t.shape).astype(kind)
    return _made(values, dtype, requires_grad)
