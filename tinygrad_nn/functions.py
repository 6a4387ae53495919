"""Functions of several tensors: ``where``, ``maximum``, ``minimum``, ``concatenate``, ``stack``.

Examples:
    >>> import tinygrad_nn as tg
    >>> tg.maximum(tg.Tensor([1.0, 5.0]), 3.0)
    Tensor([3., 5.])
"""

from __future__ import annotations

from collections.abc import Sequence

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


def concatenate(tensors: Sequence[Operand], axis: int = 0) -> Tensor:
    """Join tensors along an existing axis, as ``numpy.concatenate`` (``torch.cat``).

    Examples:
        >>> import tinygrad_nn as tg
        >>> tg.concatenate([tg.Tensor([1.0]), tg.Tensor([2.0, 3.0])])
        Tensor([1., 2., 3.])
    """
    if len(tensors) == 0:
        raise ValueError("concatenate: need at least one tensor")
    return apply(ops.Concat(axis), *(_tensor(t) for t in tensors))


def stack(tensors: Sequence[Operand], axis: int = 0) -> Tensor:
    """Join same-shaped tensors along a new axis, as ``numpy.stack``.

    Examples:
        >>> import tinygrad_nn as tg
        >>> tg.stack([tg.Tensor([1.0, 2.0]), tg.Tensor([3.0, 4.0])]).shape
        (2, 2)
    """
    if len(tensors) == 0:
        raise ValueError("stack: need at least one tensor")
    return apply(ops.Stack(axis), *(_tensor(t) for t in tensors))


def where(condition: Operand, a: Operand, b: Operand) -> Tensor:
    """``a`` where ``condition`` is true, else ``b`` (broadcasting), as ``numpy.where``.

    The condition is a constant: gradients flow to ``a`` and ``b`` only.

    Examples:
        >>> import tinygrad_nn as tg
        >>> x = tg.Tensor([-1.0, 2.0])
        >>> tg.where(x > 0, x, 0.0)
        Tensor([0., 2.])
    """
    mask = as_array(condition).astype(bool)
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
