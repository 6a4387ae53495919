"""PyTorch's in-place methods (``add_``, ``zero_``, ``x[idx] = v``, ``+=``...), copy-on-write.

Every in-place method here does one of three things, as PyTorch does:

- with gradient recording on, on a leaf that requires grad: it refuses, with PyTorch's
  message (the leaf's ``.grad`` would no longer be the gradient of anything);
- with recording on, when the tensor or the value written into it requires grad: it
  *records* the change. The new value is computed by ordinary differentiable ops
  (``x.add_(y)`` is ``x + y``, ``x[i] = v`` a ``where`` that picks ``v`` at ``i``) and the
  tensor takes over the result's array and node; uses of the old value made earlier keep
  the old node (PyTorch's "rebase");
- otherwise (``no_grad``, or nothing requires grad): it just changes the values.

The change never writes into an array someone else may hold: it makes a new array and
rebinds the tensor to it (copy-on-write). So a graph's saved arrays keep the values they
were computed with whatever is edited between forward and backward, which PyTorch only
checks for some in-place ops. ``x.data`` is a detached Tensor that aliases ``x``: an
in-place method on it rebinds ``x`` too, so ``p.data.add_(-lr * p.grad)`` updates ``p``.

The class here is a mix-in that :class:`tinygrad_nn.Tensor` inherits.

Examples:
    >>> import tinygrad_nn as tg
    >>> w = tg.Tensor([1.0, 2.0], requires_grad=True)
    >>> loss = (w * w).sum()
    >>> w.data.mul_(10)             # between forward and backward: the graph keeps [1, 2]
    Tensor([10., 20.])
    >>> loss.backward()
    >>> w.grad, w.data
    (Tensor([2., 4.]), Tensor([10., 20.]))
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from tinygrad_nn import ops
from tinygrad_nn.dtypes import dtype_name, is_floating
from tinygrad_nn.hooks import mode
from tinygrad_nn.namespace.array_api import like, to_numpy

if TYPE_CHECKING:
    from tinygrad_nn.tensor import Tensor


# Where uniform_ and normal_ draw from, given their generator= argument: tinygrad_nn.seeding
# (above this module: its Generator state is a Tensor) installs its numpy_generator here
# when it is imported, so the draws follow tg.manual_seed.
def numpy_generator(generator: Any) -> np.random.Generator:
    if isinstance(generator, np.random.Generator):
        return generator
    raise TypeError(f"generator must be a Generator, got {type(generator).__name__}")


# PyTorch's wording (torch/csrc/autograd/VariableTypeUtils.h), so a search finds it
LEAF_IN_PLACE = "a leaf Variable that requires grad is being used in an in-place operation."

# A leaf changed in place between forward and a create_graph=True backward, which
# differentiates through the leaf itself (PyTorch's version-counter message, first)
MODIFIED_LEAF = (
    "one of the variables needed for gradient computation has been modified by an inplace "
    "operation: the leaf of shape {} ({}) that {} saved was given new values after the "
    "forward pass; create_graph=True needs the values the graph was computed with (change "
    "it after backward; a plain backward() uses the saved values)"
)

# PyTorch's scalar type names, for its "can't be cast" message
TORCH_NAMES = dict(
    zip(
        ("float64", "float32", "float16", "int64", "int32", "int16", "int8", "uint8", "bool"),
        ("Double", "Float", "Half", "Long", "Int", "Short", "Char", "Byte", "Bool"),
    )
)
KIND_RANK = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}  # a result may not move up this order


def _torch_name(dtype: Any) -> str:
    return TORCH_NAMES.get(str(dtype), str(dtype))


class TensorInPlace:
    """In-place methods: each returns the tensor itself, changed (see the module docs)."""

    __slots__ = ()

    array: Any
    requires_grad: bool
    _ctx: Any
    _name: str | None
    _apply: Callable[..., Tensor]
    _wrap: Callable[..., Tensor]

    # ------------------------------------------------------------ the machinery

    def _check_in_place(self) -> None:
        if mode.grad_enabled and self.requires_grad and self._ctx is None:
            raise RuntimeError(LEAF_IN_PLACE)

    def _take_over(self, result: Tensor, name: str, cast: bool = False) -> Tensor:
        """Become ``result`` (a new value computed from this tensor): its array and, when
        it was recorded, its node. ``cast`` allows any dtype conversion (``copy_``);
        otherwise, as in PyTorch, a result may not move to a "higher" kind (float into an
        integer tensor)."""
        me: Tensor = self  # type: ignore[assignment]
        if result.shape != self.array.shape:
            raise RuntimeError(
                f"{name}: output with shape {list(self.array.shape)} doesn't match the broadcast "
                f"shape {list(result.shape)}"
            )
        if result.dtype != self.array.dtype:
            higher = KIND_RANK.get(result.dtype.kind, 0) > KIND_RANK.get(self.array.dtype.kind, 0)
            if higher and not cast:
                raise RuntimeError(
                    f"{name}: result type {_torch_name(result.dtype)} can't be cast to the "
                    f"desired output type {_torch_name(self.array.dtype)}"
                )
            result = result.astype(self.array.dtype)
        if mode.grad_enabled and self.requires_grad and result._ctx is None:
            # The new value does not depend on the old one (zero_, fill_, copy_ of a
            # constant) but this tensor stays part of the graph, with a zero gradient
            # for what it was: as PyTorch, where it still requires grad.
            keep_none = np.zeros(self.array.shape, dtype=bool)
            result = self._apply(ops.Where(keep_none), self, result)
        old_ctx = self._ctx
        if result._ctx is not None and result._ctx is not old_ctx:
            new_ctx = result._ctx
            if old_ctx is None:
                new_ctx.label = self._name
            else:
                new_ctx.label = old_ctx.label
                if old_ctx.retained is not None and old_ctx.retained() is me:
                    new_ctx.retained, old_ctx.retained = old_ctx.retained, None
            me._ctx = new_ctx
            me.requires_grad = True
        self._rebind(result.array)
        return me

    def _rebind(self, new: Any) -> None:
        """Hold ``new`` as the array, and so does every tensor this one is a ``.data``
        alias of, as long as it still shares the old array."""
        old = self.array
        self.array = new
        owner = getattr(self, "_owner", None)
        while owner is not None and owner.array is old:
            owner.array = new
            owner = getattr(owner, "_owner", None)

    def _values(self, other: Any) -> Any:
        return other.array if isinstance(other, TensorInPlace) else other

    # ------------------------------------------------------------ arithmetic

    def add_(self, other: Any, *, alpha: Any = 1) -> Tensor:
        """``self += alpha * other``, in place, as ``torch.Tensor.add_``.

        Examples:
            >>> import tinygrad_nn as tg
            >>> tg.tensor([1.0, 2.0]).add_(1.0, alpha=3)
            Tensor([4., 5.])
        """
        self._check_in_place()
        scaled = other if alpha == 1 else other * alpha
        return self._take_over(self + scaled, "add_")

    def sub_(self, other: Any, *, alpha: Any = 1) -> Tensor:
        """``self -= alpha * other``, in place, as ``torch.Tensor.sub_``.

        Examples:
            >>> import tinygrad_nn as tg
            >>> tg.tensor([1.0, 2.0]).sub_(tg.tensor([1.0, 1.0]))
            Tensor([0., 1.])
        """
        self._check_in_place()
        scaled = other if alpha == 1 else other * alpha
        return self._take_over(self - scaled, "sub_")

    def mul_(self, other: Any) -> Tensor:
        """``self *= other``, in place.

        Examples:
            >>> import tinygrad_nn as tg
            >>> tg.tensor([1.0, 2.0]).mul_(3)
            Tensor([3., 6.])
        """
        self._check_in_place()
        return self._take_over(self * other, "mul_")

    def div_(self, other: Any) -> Tensor:
        """``self /= other``, in place (an integer tensor cannot hold the result).

        Examples:
            >>> import tinygrad_nn as tg
            >>> tg.tensor([1.0, 2.0]).div_(2)
            Tensor([0.5, 1. ])
        """
        self._check_in_place()
        return self._take_over(self / other, "div_")

    def pow_(self, exponent: Any) -> Tensor:
        """``self **= exponent``, in place.

        Examples:
            >>> import tinygrad_nn as tg
            >>> tg.tensor([2.0, 3.0]).pow_(2)
            Tensor([4., 9.])
        """
        self._check_in_place()
        return self._take_over(self**exponent, "pow_")

    def neg_(self) -> Tensor:
        """``self = -self``, in place.

        Examples:
            >>> import tinygrad_nn as tg
            >>> tg.tensor([2.0, -3.0]).neg_()
            Tensor([-2.,  3.])
        """
        self._check_in_place()
        return self._take_over(-self, "neg_")  # type: ignore[operator]

    def exp_(self) -> Tensor:
        """``self = exp(self)``, in place.

        Examples:
            >>> import tinygrad_nn as tg
            >>> tg.tensor([0.0]).exp_()
            Tensor([1.])
        """
        self._check_in_place()
        return self._take_over(self.exp(), "exp_")  # type: ignore[attr-defined]

    def clamp_(self, min: Any = None, max: Any = None) -> Tensor:
        """Clamp to ``[min, max]`` in place, as ``torch.Tensor.clamp_``.

        Examples:
            >>> import tinygrad_nn as tg
            >>> tg.tensor([-2.0, 0.5, 2.0]).clamp_(-1, 1)
            Tensor([-1. ,  0.5,  1. ])
        """
        self._check_in_place()
        return self._take_over(self.clamp(min, max), "clamp_")  # type: ignore[attr-defined]

    def clamp_min_(self, min: Any) -> Tensor:
        """Clamp from below in place.

        Examples:
            >>> import tinygrad_nn as tg
            >>> tg.tensor([-2.0, 2.0]).clamp_min_(0)
            Tensor([0., 2.])
        """
        return self.clamp_(min, None)

    def clamp_max_(self, max: Any) -> Tensor:
        """Clamp from above in place.

        Examples:
            >>> import tinygrad_nn as tg
            >>> tg.tensor([-2.0, 2.0]).clamp_max_(0)
            Tensor([-2.,  0.])
        """
        return self.clamp_(None, max)

    def masked_fill_(self, mask: Any, value: Any) -> Tensor:
        """``value`` where ``mask`` is true, in place (the mask broadcasts to this shape).

        Examples:
            >>> import tinygrad_nn as tg
            >>> x = tg.zeros(3)
            >>> x.masked_fill_(x == x, 1.0) is x, x
            (True, Tensor([1., 1., 1.]))
        """
        self._check_in_place()
        if isinstance(value, TensorInPlace) and value.requires_grad:  # recorded: a setitem
            me: Tensor = self  # type: ignore[assignment]
            me[np.broadcast_to(np.asarray(self._values(mask), dtype=bool), self.array.shape)] = (
                value
            )
            return me
        number = value.item() if isinstance(value, TensorInPlace) else value  # type: ignore[attr-defined]
        result = self.masked_fill(mask, number)  # type: ignore[attr-defined]
        return self._take_over(result, "masked_fill_")

    # ------------------------------------------------------------ replacing the values

    def copy_(self, src: Any, non_blocking: bool = False) -> Tensor:
        """Copy ``src`` (broadcast to this shape, converted to this dtype) into this tensor.

        Examples:
            >>> import tinygrad_nn as tg
            >>> tg.zeros(2, 2, dtype="int64").copy_(tg.tensor([1.7, 2.2]))
            Tensor([[1, 2],
                    [1, 2]])
        """
        self._check_in_place()
        value = src if isinstance(src, TensorInPlace) else self._constant(src)
        if value.array.shape != self.array.shape:
            try:
                value = self._apply(ops.BroadcastTo(self.array.shape), value)
            except ValueError:
                raise RuntimeError(
                    f"copy_: the source of shape {list(value.array.shape)} cannot be broadcast to "
                    f"the tensor's shape {list(self.array.shape)}"
                ) from None
        return self._take_over(value, "copy_", cast=True)  # type: ignore[arg-type]

    def zero_(self) -> Tensor:
        """Fill with zeros, in place, as ``torch.Tensor.zero_`` (``w.grad.data.zero_()``).

        Examples:
            >>> import tinygrad_nn as tg
            >>> tg.ones(2).zero_()
            Tensor([0., 0.])
        """
        return self.fill_(0)

    def fill_(self, value: Any) -> Tensor:
        """Fill with one value (a number or a one-element tensor), in place.

        Examples:
            >>> import tinygrad_nn as tg
            >>> tg.zeros(2).fill_(7)
            Tensor([7., 7.])
        """
        self._check_in_place()
        if isinstance(value, TensorInPlace):
            if value.array.shape != ():
                raise RuntimeError(
                    f"fill_ only supports 0-dimension value tensor but got tensor with "
                    f"{len(value.array.shape)} dimensions"
                )
            if value.requires_grad:
                return self.copy_(value)
            value = value.array
        host = np.full(self.array.shape, to_numpy(value) if hasattr(value, "shape") else value)
        return self._take_over(self._constant(host.astype(self._host_dtype())), "fill_", True)

    def uniform_(self, from_: float = 0.0, to: float = 1.0, *, generator: Any = None) -> Tensor:
        """Fill with draws from the uniform distribution on ``[from_, to)``, in place.

        ``generator`` is a :class:`tinygrad_nn.Generator` (``torch.Generator``) or a
        NumPy one; the default generator (``tg.manual_seed``) otherwise.

        Examples:
            >>> import tinygrad_nn as tg
            >>> w = tg.zeros(1000).uniform_(-1, 1)
            >>> bool(w.min() >= -1 and w.max() < 1)
            True
        """
        self._check_random("uniform_")
        drawn = numpy_generator(generator).uniform(from_, to, size=self.array.shape)
        return self._take_over(self._constant(drawn.astype(self._host_dtype())), "uniform_")

    def normal_(self, mean: float = 0.0, std: float = 1.0, *, generator: Any = None) -> Tensor:
        """Fill with draws from the normal distribution N(``mean``, ``std``²), in place.

        Examples:
            >>> import tinygrad_nn as tg
            >>> _ = tg.manual_seed(0)
            >>> round(float(tg.zeros(10000).normal_(2.0, 0.5).mean()), 1)
            2.0
        """
        self._check_random("normal_")
        if std < 0:
            raise RuntimeError(f"normal_ expects std >= 0.0, but found std {std}")
        drawn = numpy_generator(generator).normal(mean, std, size=self.array.shape)
        return self._take_over(self._constant(drawn.astype(self._host_dtype())), "normal_")

    def _check_random(self, name: str) -> None:
        self._check_in_place()
        if not is_floating(self.array):
            raise TypeError(
                f"{name}: cannot fill a tensor of dtype {self.array.dtype} with random numbers "
                "(as PyTorch: a floating dtype is needed)"
            )

    def _host_dtype(self) -> str:
        return dtype_name(self.array)

    def _constant(self, values: Any) -> Tensor:
        """``values`` as a constant tensor in this tensor's array library."""
        array = values.array if isinstance(values, TensorInPlace) else np.asarray(values)
        return self._wrap(like(array, self.array))

    # ------------------------------------------------------------ Python's operators

    def __iadd__(self, other: Any) -> Tensor:
        return self.add_(other)

    def __isub__(self, other: Any) -> Tensor:
        return self.sub_(other)

    def __imul__(self, other: Any) -> Tensor:
        return self.mul_(other)

    def __itruediv__(self, other: Any) -> Tensor:
        return self.div_(other)
