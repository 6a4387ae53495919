"""A Tensor's gradient attribute and its switches: ``.grad``, ``requires_grad_``,
``retain_grad``, ``zero_grad``; and what may serve as a gradient at all.

They follow PyTorch, wording included. Only leaves keep a gradient in ``.grad`` (a
computed tensor, unless it called ``retain_grad()``, has None), so reading the ``.grad``
of a computed tensor warns: it is almost always a mistake for the leaf. The gradient
lives in the slot ``_grad``; ``.grad`` is the property users read, while the engine and
the optimizers' hot loops use the slot directly and pay nothing for the check.

The class here is a mix-in that :class:`tinygrad_nn.Tensor` inherits.

Examples:
    >>> import tinygrad_nn as tg
    >>> x = tg.Tensor([1.0, 2.0], requires_grad=True)
    >>> y = (x * 3).retain_grad()
    >>> y.sum().backward()
    >>> x.grad, y.grad
    (Tensor([3., 3.]), Tensor([1., 1.]))
"""

from __future__ import annotations

import math
import warnings
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

from tinygrad_nn.dtypes import NUMERIC_KINDS, is_floating, preview
from tinygrad_nn.hooks import hooks
from tinygrad_nn.namespace.array_api import array_namespace, is_array

if TYPE_CHECKING:
    from tinygrad_nn.tensor import Tensor

# PyTorch's wording (TensorBody.h), so that a search for it finds the explanation
NON_LEAF_GRAD = (
    "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad "
    "attribute won't be populated during autograd.backward(). If you indeed want the .grad "
    "field to be populated for a non-leaf Tensor, use .retain_grad() on the non-leaf Tensor. "
    "If you access the non-leaf Tensor by mistake, make sure you access the leaf Tensor "
    "instead. See github.com/pytorch/pytorch/pull/30531 for more information."
)
LEAF_ONLY = (  # PyTorch's requires_grad_leaf_error(False)
    "you can only change requires_grad flags of leaf variables. If you want to use a computed "
    "variable in a subgraph that doesn't require differentiation use var_no_grad = var.detach()."
)

T = TypeVar("T", bound="TensorGrad")


def is_gradient(grad: Any) -> bool:
    """True when ``grad`` can be a gradient: a Tensor, numbers, or an array of them.

    Examples:
        >>> is_gradient([1.0, 2.0]), is_gradient("ab"), is_gradient([[1.0], []])
        (True, False, False)
    """
    if isinstance(grad, np.ndarray):
        return grad.dtype.kind in NUMERIC_KINDS
    if is_array(grad):  # another library's array: that library checks its values
        return True
    data = grad.array if isinstance(grad, TensorGrad) else grad
    try:
        return np.asarray(data).dtype.kind in NUMERIC_KINDS
    except (ValueError, TypeError):  # ragged lists
        return False


def check_seed(root: Tensor, grad: Any, index: int) -> None:
    """Raise :func:`seed_error` if ``grad`` cannot start a backward pass from ``root``."""
    if grad is None:
        bad = not root.requires_grad or math.prod(root.array.shape) != 1
    else:  # "abc" has a shape too (0-d): its type first
        bad = not is_gradient(grad) or not root.requires_grad or np.shape(grad) != root.shape
    if bad:
        raise seed_error(root, grad, index)


def seed_error(root: Tensor, grad: Any, index: int) -> Exception:
    """Why ``grad`` cannot start a backward pass from ``root``: it is no gradient at all
    ("abc": PyTorch's TypeError), no graph, no grad for a non-scalar root, or a grad of
    the wrong shape."""
    if grad is not None and not is_gradient(grad):
        return TypeError(
            f"gradients can be either Tensors or None, but got {type(grad).__name__}: "
            f"{preview(grad)} was given as the gradient of output {index} (shape "
            f"{root.shape}); a gradient is a Tensor, or numbers shaped like its output"
        )
    if not root.requires_grad:
        return RuntimeError(
            f"backward: output {index} does not require grad and has no graph — none of the "
            "tensors it was computed from has requires_grad=True (or it was computed under "
            "no_grad)"
        )
    if grad is None:
        return RuntimeError(
            f"backward: grad can be implicitly created only for scalar outputs, but "
            f"output {index} has shape {root.shape}; pass grad= with that shape"
        )
    return ValueError(
        f"backward: grad has shape {np.shape(grad)} but output {index} has shape {root.shape}"
    )


class TensorGrad:
    """``.grad``, the methods that change what a tensor records or keeps, and its values
    outside the graph (``.data``, ``detach()``)."""

    __slots__ = ()

    array: Any
    requires_grad: bool
    _ctx: Any
    _grad: Any  # a Tensor or None (the slot is Tensor's)
    _wrap: Callable[..., Tensor]  # a constant tensor around an array (set by Tensor)

    @property
    def grad(self) -> Tensor | None:
        """The gradient accumulated by ``backward()`` (None until then), as in PyTorch.

        Only leaves, and computed tensors that called :meth:`retain_grad`, keep one; for
        any other computed tensor this is None and reading it warns (PyTorch's
        UserWarning), as it is usually the leaf that was meant.

        Examples:
            >>> import tinygrad_nn as tg
            >>> w = tg.Tensor([1.0, 2.0], requires_grad=True)
            >>> (w * w).sum().backward()
            >>> w.grad
            Tensor([2., 4.])
        """
        g = self._grad
        if g is None and self._ctx is not None and self._ctx.retained is None:
            warnings.warn(NON_LEAF_GRAD, UserWarning, stacklevel=2)
        return g

    @grad.setter
    def grad(self, value: Tensor | None) -> None:
        self._grad = value

    def requires_grad_(self: T, requires_grad: bool = True) -> T:
        """Set ``requires_grad`` in place and return the tensor, as PyTorch does.

        On a computed tensor (which requires grad already) True changes nothing and
        False is an error: cut it off with ``detach()`` instead.

        Examples:
            >>> import tinygrad_nn as tg
            >>> tg.Tensor([1, 2]).requires_grad_().dtype  # integer data becomes float64
            dtype('float64')
        """
        if self._ctx is not None:
            if requires_grad:
                return self
            raise RuntimeError(LEAF_ONLY)
        if requires_grad and not is_floating(self.array):
            self.array = array_namespace([self.array]).astype(self.array, np.float64)
        self.requires_grad = bool(requires_grad)
        return self

    def retain_grad(self: T) -> T:
        """Keep this non-leaf tensor's gradient in ``.grad`` during backward.

        Examples:
            >>> import tinygrad_nn as tg
            >>> x = tg.Tensor(2.0, requires_grad=True)
            >>> h = (x * 3).retain_grad()
            >>> (h * h).backward()
            >>> h.grad
            Tensor(12.)
        """
        if self._ctx is not None:  # a leaf keeps its gradient anyway
            self._ctx.retained = weakref.ref(self)
        return self

    def zero_grad(self) -> None:
        """Forget the accumulated gradient (set ``.grad`` to None).

        Examples:
            >>> import tinygrad_nn as tg
            >>> w = tg.Tensor([1.0], requires_grad=True)
            >>> (w * 2).sum().backward()
            >>> w.zero_grad()
            >>> w.grad is None
            True
        """
        self._grad = None

    # ------------------------------------------------------------ the graph

    @property
    def op(self) -> Any:
        """The operation that made this tensor (None for a leaf): its node in the graph.

        Examples:
            >>> import tinygrad_nn as tg
            >>> a = tg.Tensor(2.0, requires_grad=True)
            >>> (a * 3).op
            Mul()
        """
        return self._ctx

    @property
    def is_leaf(self) -> bool:
        """True for tensors made by the user rather than by a recorded operation.

        Examples:
            >>> import tinygrad_nn as tg
            >>> a = tg.Tensor(2.0, requires_grad=True)
            >>> a.is_leaf, (a * 3).is_leaf
            (True, False)
        """
        return self._ctx is None

    # ------------------------------------------------------------ outside the graph

    @property
    def data(self) -> Tensor:
        """This tensor's values as a Tensor outside the graph, as PyTorch's ``.data``.

        It shares the array (no copy), does not require grad and records nothing; an
        in-place method on it (``p.data.add_(...)``, ``p.data[0] = 1``, ``-=``) changes
        this tensor too. Setting ``p.data = x`` (a Tensor or an array) replaces the
        values; the shape and dtype may change, as in PyTorch. ``.numpy()`` gives the
        array itself.

        Examples:
            >>> import tinygrad_nn as tg
            >>> w = tg.Tensor([1.0, 2.0], requires_grad=True)
            >>> w.data.requires_grad, w.data.mul_(3) is not w, w
            (False, True, Tensor([3., 6.], requires_grad=True))
        """
        alias = self._wrap(self.array)
        alias._owner = self  # type: ignore[assignment]  # (self is a Tensor)
        return alias

    @data.setter
    def data(self, value: Any) -> None:
        if isinstance(value, TensorGrad):
            self.array = value.array
        elif isinstance(value, (np.ndarray, np.generic)):
            self.array = np.asarray(value)
        elif hooks.is_array(value):  # another array library's
            self.array = value
        else:  # PyTorch's words
            raise TypeError(f"Variable data has to be a tensor, but got {type(value).__name__}")

    def detach(self) -> Tensor:
        """A tensor with the same data (shared) that is cut off from the graph: in-place
        methods on it change this tensor too, as in PyTorch (see :attr:`data`).

        Examples:
            >>> import tinygrad_nn as tg
            >>> w = tg.Tensor([1.0], requires_grad=True)
            >>> (w * 2).detach().requires_grad
            False
        """
        return self.data  # an alias, as PyTorch's: in-place changes to it reach this tensor

    def detach_(self: T) -> T:
        """Cut this tensor off from the graph, in place (it becomes a leaf that does not
        require grad, keeping its values and name), as ``torch.Tensor.detach_``; returns it.

        Examples:
            >>> import tinygrad_nn as tg
            >>> y = tg.Tensor([1.0], requires_grad=True) * 2
            >>> y.detach_() is y, y.requires_grad, y.is_leaf
            (True, False, True)
        """
        if self._ctx is not None:  # a computed tensor's name is kept by its op until now
            self._name = self._ctx.label
        self._ctx = None
        self.requires_grad = False
        return self
