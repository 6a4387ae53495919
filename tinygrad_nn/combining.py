"""Functions of several tensors: ``where``, ``maximum``, ``concatenate``, ``einsum``...

Examples:
    >>> import tinygrad_nn as tg
    >>> tg.maximum(tg.Tensor([1.0, 5.0]), 3.0)
    Tensor([3., 5.])
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from tinygrad_nn import ops
from tinygrad_nn.dtypes import as_array
from tinygrad_nn.tensor import Tensor, apply
from tinygrad_nn.tensor_operators import Operand


def _input(value: Operand) -> Tensor | float:
    """A Tensor stays, a Python number is a constant of the op, other data becomes a Tensor."""
    if isinstance(value, Tensor) or type(value) in (int, float, bool):
        return value
    return Tensor._wrap(as_array(value))


def _tensor(value: Operand) -> Tensor:
    return value if isinstance(value, Tensor) else Tensor._wrap(as_array(value))


def concatenate(tensors: Sequence[Operand], axis: int = 0, *, dim: int | None = None) -> Tensor:
    """Join tensors along an existing axis, as ``numpy.concatenate`` (``torch.cat``, whose
    ``dim=`` is accepted too).

    Examples:
        >>> import tinygrad_nn as tg
        >>> tg.concatenate([tg.Tensor([1.0]), tg.Tensor([2.0, 3.0])])
        Tensor([1., 2., 3.])
    """
    if len(tensors) == 0:
        raise ValueError("concatenate: need at least one tensor")
    return apply(ops.Concat(_axis_or_dim("concatenate", axis, dim)), *map(_tensor, tensors))


def stack(tensors: Sequence[Operand], axis: int = 0, *, dim: int | None = None) -> Tensor:
    """Join same-shaped tensors along a new axis, as ``numpy.stack`` (and ``torch.stack``,
    whose ``dim=`` is accepted too).

    Examples:
        >>> import tinygrad_nn as tg
        >>> tg.stack([tg.Tensor([1.0, 2.0]), tg.Tensor([3.0, 4.0])]).shape
        (2, 2)
    """
    if len(tensors) == 0:
        raise ValueError("stack: need at least one tensor")
    return apply(ops.Stack(_axis_or_dim("stack", axis, dim)), *map(_tensor, tensors))


def _axis_or_dim(what: str, axis: int, dim: int | None) -> int:
    """NumPy's ``axis`` or PyTorch's ``dim`` (giving both, differing, is a ``TypeError``)."""
    if dim is None:
        return axis
    if axis not in (0, dim):
        raise TypeError(f"{what}(): got both axis={axis!r} and dim={dim!r}; pass one")
    return dim


def where(condition: Operand, a: Operand, b: Operand) -> Tensor:
    """``a`` where ``condition`` is true, else ``b`` (broadcasting), as ``numpy.where``.

    The condition is a constant: gradients flow to ``a`` and ``b`` only.

    Examples:
        >>> import tinygrad_nn as tg
        >>> x = tg.Tensor([-1.0, 2.0])
        >>> tg.where(x > 0, x, 0.0)
        Tensor([0., 2.])
    """
    mask = as_array(condition)
    if isinstance(mask, np.ndarray):  # (another library's mask stays as it is)
        mask = mask.astype(bool)
    return apply(ops.Where(mask), _input(a), _input(b))


def maximum(a: Operand, b: Operand) -> Tensor:
    """Elementwise larger of ``a`` and ``b``; a tie sends half the gradient to each.

    Examples:
        >>> import tinygrad_nn as tg
        >>> tg.maximum(tg.Tensor([1.0, 5.0]), 3.0)
        Tensor([3., 5.])
    """
    return apply(ops.Maximum(), _input(a), _input(b))


def minimum(a: Operand, b: Operand) -> Tensor:
    """Elementwise smaller of ``a`` and ``b``; a tie sends half the gradient to each.

    Examples:
        >>> import tinygrad_nn as tg
        >>> tg.minimum(tg.Tensor([1.0, 5.0]), 3.0)
        Tensor([1., 3.])
    """
    return apply(ops.Minimum(), _input(a), _input(b))


def einsum(subscripts: str, *operands: Operand) -> Tensor:
    """Einstein summation, as ``numpy.einsum`` and ``torch.einsum`` (without ``...``); with
    no ``->`` the output is the letters used once, in alphabetical order.

    Examples:
        >>> import tinygrad_nn as tg
        >>> a, b = tg.ones(2, 3), tg.ones(3, 4)
        >>> tg.einsum("ij,jk->ik", a, b).shape, tg.einsum("ii", tg.eye(3)).item()
        ((2, 4), 3.0)
    """
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    spec = subscripts.replace(" ", "")
    if "->" not in spec:
        letters = spec.replace(",", "")
        spec += "->" + "".join(sorted(c for c in set(letters) if letters.count(c) == 1))
    return apply(ops.Einsum(spec), *(_tensor(t) for t in operands))


def tensordot(a: Operand, b: Operand, dims: int | Sequence[Sequence[int]] = 2) -> Tensor:
    """Sum products over ``dims``: the last ``dims`` axes of ``a`` with the first of ``b``,
    or the two lists of axes given, as ``torch.tensordot``.

    Examples:
        >>> import tinygrad_nn as tg
        >>> tg.tensordot(tg.ones(2, 3, 4), tg.ones(3, 4, 5)).shape
        (2, 5)
    """
    x, y = _tensor(a), _tensor(b)
    if isinstance(dims, int):
        pairs = list(zip(range(x.ndim - dims, x.ndim), range(dims)))
    else:
        pairs = list(zip(*dims))
    letters = iter("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
    left = [next(letters) for _ in range(x.ndim)]
    right = [next(letters) for _ in range(y.ndim)]
    for i, j in pairs:
        right[j % y.ndim] = left[i % x.ndim]
    summed = {left[i % x.ndim] for i, _ in pairs}
    output = [c for c in left if c not in summed] + [c for c in right if c not in summed]
    return einsum(f"{''.join(left)},{''.join(right)}->{''.join(output)}", x, y)


def outer(a: Operand, b: Operand) -> Tensor:
    """The outer product of two vectors.

    Examples:
        >>> import tinygrad_nn as tg
        >>> tg.outer(tg.tensor([1.0, 2.0]), tg.tensor([3.0, 4.0])).tolist()
        [[3.0, 4.0], [6.0, 8.0]]
    """
    return einsum("i,j->ij", a, b)


def dot(a: Operand, b: Operand) -> Tensor:
    """The dot product of two vectors.

    Examples:
        >>> import tinygrad_nn as tg
        >>> tg.dot(tg.tensor([1.0, 2.0]), tg.tensor([3.0, 4.0])).item()
        11.0
    """
    x, y = _tensor(a), _tensor(b)
    if x.ndim != 1 or y.ndim != 1:
        raise ValueError(f"dot: needs two vectors, got shapes {x.shape} and {y.shape}")
    return einsum("i,i->", x, y)


def diag(a: Operand, diagonal: int = 0) -> Tensor:
    """A vector's diagonal matrix, or a matrix's diagonal (``diagonal`` above the main one
    when positive, below when negative), as ``torch.diag``.

    Examples:
        >>> import tinygrad_nn as tg
        >>> tg.diag(tg.tensor([1.0, 2.0])).tolist(), tg.diag(tg.eye(2) * 3).tolist()
        ([[1.0, 0.0], [0.0, 2.0]], [3.0, 3.0])
    """
    x = _tensor(a)
    if x.ndim == 1:
        n = x.shape[0] + abs(diagonal)
        rows = np.arange(x.shape[0]) + max(-diagonal, 0)
        return apply(ops.ScatterAdd((n, n), (rows, rows + diagonal)), x)
    if x.ndim == 2:
        rows = np.arange(max(min(x.shape[0], x.shape[1] - diagonal) - max(-diagonal, 0), 0))
        rows = rows + max(-diagonal, 0)
        return x[rows, rows + diagonal]
    raise ValueError(f"diag: needs 1 or 2 axes, got shape {x.shape}")


def trace(a: Operand) -> Tensor:
    """The sum of a matrix's diagonal.

    Examples:
        >>> import tinygrad_nn as tg
        >>> tg.trace(tg.eye(3)).item()
        3.0
    """
    x = _tensor(a)
    if x.ndim != 2:
        raise ValueError(f"trace: needs a matrix, got shape {x.shape}")
    return diag(x).sum()
