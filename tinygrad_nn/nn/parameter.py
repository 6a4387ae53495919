"""``Parameter``: a tensor that is a model's weight, as ``torch.nn.parameter.Parameter``.

Assigning one to an attribute of a :class:`~tinygrad_nn.nn.Module` registers it, so the
module's ``parameters()`` (what an optimizer takes) finds it.

Examples:
    >>> from tinygrad_nn import nn
    >>> nn.Parameter([1.0, 2.0])
    Parameter([1., 2.], requires_grad=True)
"""

from __future__ import annotations

from typing import Any

from tinygrad_nn.dtypes import DTypeLike
from tinygrad_nn.tensor import Tensor


class Parameter(Tensor):
    """A tensor that is a model's weight: it always requires grad.

    Examples:
        >>> Parameter([1.0, 2.0]).requires_grad
        True
    """

    __slots__ = ()

    def __init__(self, data: Any, dtype: DTypeLike = None, name: str | None = None) -> None:
        super().__init__(data, requires_grad=True, dtype=dtype, name=name)

    def __repr__(self) -> str:
        return "Parameter" + super().__repr__().removeprefix("Tensor")
