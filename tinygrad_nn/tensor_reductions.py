"""Reductions of a Tensor, with NumPy's and PyTorch's argument names: ``sum``, ``mean``,
``var``, ``std``, ``norm``, ``prod``, ``logsumexp``, ``argmax``, ``any``... (``max``, ``sort``,
``topk``: :mod:`tinygrad_nn.tensor_selection`)

Every ``axis=``/``keepdims=`` is also accepted as ``dim=``/``keepdim=`` (giving both is a
``TypeError``), and NumPy's functions work on a Tensor (``np.sum(x)``, ``np.mean(x)``,
``np.all(x)``, ``np.std(x)``: NumPy calls these methods with ``dtype=``/``out=None``; the
answer is a Tensor). A mix-in that :class:`tinygrad_nn.Tensor` inherits.

Examples:
    >>> import tinygrad_nn as tg
    >>> tg.tensor([[1.0, 2.0], [3.0, 4.0]]).sum(dim=0, keepdim=True)
    Tensor([[4., 6.]])
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from tinygrad_nn import ops
from tinygrad_nn.dtypes import DTypeLike
from tinygrad_nn.namespace.declared import Axis
from tinygrad_nn.ops.base import normalize_axes
from tinygrad_nn.tensor_selection import TensorSelection, resolve

if TYPE_CHECKING:
    from tinygrad_nn.tensor import Tensor


def one_axis(what: str, axis: Axis) -> int | None:
    """``axis`` when it is one axis (or None); a tuple is a ``TypeError`` naming ``what``."""
    if isinstance(axis, tuple):
        raise TypeError(f"{what}(): takes one axis, got {axis}")
    return axis


class TensorReductions(TensorSelection):
    """Reductions; each applies one op (or gives constant indices)."""

    __slots__ = ()

    array: np.ndarray
    _apply: Callable[..., Tensor]  # apply(op, *inputs): records the op (set by Tensor)
    _wrap: Callable[..., Tensor]  # a constant tensor around an array (set by Tensor)
    __getitem__: Callable[..., Tensor]
    astype: Callable[..., Tensor]

    def sum(
        self,
        axis: Axis = None,
        keepdims: bool | None = None,
        *,
        dim: Axis = None,
        keepdim: bool | None = None,
        dtype: DTypeLike | None = None,
        out: None = None,
    ) -> Tensor:
        """Sum over ``axis`` (all axes when None); with ``dtype``, of the values cast to it
        first, as PyTorch. ``out`` is there for NumPy's ``np.sum(x)``, which passes
        ``out=None``; any other ``out`` is a ``TypeError``.

        Examples:
            >>> import tinygrad_nn as tg
            >>> tg.Tensor([[1.0, 2.0], [3.0, 4.0]]).sum(axis=0)
            Tensor([4., 6.])
            >>> import numpy as np
            >>> np.sum(tg.tensor([1, 2])), tg.tensor([1, 2]).sum(dtype=tg.float32).dtype
            (Tensor(3), dtype('float32'))
        """
        x = self._numpy_call("sum", dtype, out)
        return x._apply(ops.Sum(*resolve("sum", axis, keepdims, dim, keepdim)), x)

    def mean(
        self,
        axis: Axis = None,
        keepdims: bool | None = None,
        *,
        dim: Axis = None,
        keepdim: bool | None = None,
        dtype: DTypeLike | None = None,
        out: None = None,
    ) -> Tensor:
        """Average over ``axis`` (all axes when None); ``dtype`` and ``out`` as :meth:`sum`'s.

        Examples:
            >>> import tinygrad_nn as tg
            >>> tg.Tensor([1.0, 2.0, 6.0]).mean()
            Tensor(3.)
        """
        x = self._numpy_call("mean", dtype, out)
        return x._apply(ops.Mean(*resolve("mean", axis, keepdims, dim, keepdim)), x)

    def prod(
        self,
        axis: Axis = None,
        keepdims: bool | None = None,
        *,
        dim: Axis = None,
        keepdim: bool | None = None,
        dtype: DTypeLike | None = None,
        out: None = None,
    ) -> Tensor:
        """Product over ``axis``; gradients are right with zeros among the factors too.
        ``dtype`` and ``out`` as :meth:`sum`'s.

        Examples:
            >>> import tinygrad_nn as tg
            >>> tg.tensor([2.0, 3.0, 4.0]).prod()
            Tensor(24.)
        """
        x = self._numpy_call("prod", dtype, out)
        return x._apply(ops.Prod(*resolve("prod", axis, keepdims, dim, keepdim)), x)

    def logsumexp(
        self,
        axis: Axis = None,
        keepdims: bool | None = None,
        *,
        dim: Axis = None,
        keepdim: bool | None = None,
    ) -> Tensor:
        """log(sum(exp(x))) over ``axis``, stable for inputs of +-1000.

        Examples:
            >>> import tinygrad_nn as tg
            >>> round(tg.tensor([1000.0, 1000.0]).logsumexp().item(), 4)
            1000.6931
        """
        args = resolve("logsumexp", axis, keepdims, dim, keepdim)
        return self._apply(ops.LogSumExp(*args), self)

    def var(
        self,
        axis: Axis | bool = None,
        unbiased: bool | None = None,
        keepdim: bool | None = None,
        *,
        dim: Axis = None,
        correction: float | None = None,
        ddof: float | None = None,
        keepdims: bool | None = None,
        dtype: DTypeLike | None = None,
        out: None = None,
    ) -> Tensor:
        """Variance over ``axis``: sum((x - mean)**2) / (n - correction).

        The default ``correction=1`` is PyTorch's (the unbiased estimate); PyTorch's
        ``unbiased=False`` and NumPy's ``ddof=0`` are ``correction=0``. The positional
        order is PyTorch's: ``var(dim, unbiased, keepdim)``, and ``var(False)`` is
        ``unbiased=False``. ``np.var(x)`` passes ``ddof=0`` (NumPy's default), so it gives
        NumPy's answer; ``dtype`` and ``out`` as :meth:`sum`'s.

        Examples:
            >>> import tinygrad_nn as tg
            >>> tg.tensor([1.0, 2.0, 3.0, 4.0]).var(), tg.tensor([1.0, 3.0]).var(ddof=0)
            (Tensor(1.66666667), Tensor(1.))
        """
        x = self._numpy_call("var", dtype, out)
        axis, keep, corrected = x._spread_args(
            "var", axis, unbiased, keepdim, dim, correction, ddof, keepdims
        )
        centred = x - x.mean(axis, keepdims=True)
        count = math.prod(x.array.shape[a] for a in normalize_axes(axis, x.array.ndim))
        return (centred * centred).sum(axis, keepdims=keep) / max(count - corrected, 0)

    def std(
        self,
        axis: Axis | bool = None,
        unbiased: bool | None = None,
        keepdim: bool | None = None,
        *,
        dim: Axis = None,
        correction: float | None = None,
        ddof: float | None = None,
        keepdims: bool | None = None,
        dtype: DTypeLike | None = None,
        out: None = None,
    ) -> Tensor:
        """Standard deviation: the square root of :meth:`var` (same arguments), as one op
        whose gradient is 0 where the deviation is 0 (one value, or all equal), as PyTorch's.

        Examples:
            >>> import tinygrad_nn as tg
            >>> tg.tensor([1.0, 3.0]).std(correction=0)
            Tensor(1.)
        """
        x = self._numpy_call("std", dtype, out)
        args = x._spread_args("std", axis, unbiased, keepdim, dim, correction, ddof, keepdims)
        return x._apply(ops.Std(*args), x)

    def norm(
        self,
        p: float | str | None = "fro",
        dim: Axis = None,
        keepdim: bool = False,
        dtype: DTypeLike | None = None,
    ) -> Tensor:
        """PyTorch's ``Tensor.norm``/``torch.norm``: the vector p-norm over ``dim`` (all
        elements when None): ``p="fro"`` or 2 the square root of the sum of squares (its
        gradient 0 at the zero vector, as PyTorch's), 1 the sum of magnitudes,
        ``float("inf")``/``-inf`` the largest/smallest magnitude, otherwise
        ``sum(|x| ** p) ** (1 / p)``.

        Examples:
            >>> import tinygrad_nn as tg
            >>> tg.tensor([[3.0, 4.0], [0.0, 1.0]]).norm(dim=1).tolist()
            [5.0, 1.0]
            >>> x = tg.tensor([1.0, -2.0])
            >>> x.norm(1).item(), x.norm(float("inf")).item()
            (3.0, 2.0)
        """
        x = self._numpy_call("norm", dtype, None)
        if p is None or p == "fro" or p == 2:
            squares = (x * x).sum(dim, keepdims=keepdim)
            nonzero = squares.array > 0  # sqrt's slope is infinite at 0: PyTorch's gradient 0
            root = x._apply(ops.Where(nonzero), squares, 1.0).sqrt()
            return x._apply(ops.Where(nonzero), root, 0.0)
        if isinstance(p, str):
            raise ValueError(f"norm(): p={p!r} is not supported; use 'fro' or a number")
        magnitude = x.abs()
        if p == math.inf:
            return magnitude.amax(dim, keepdims=keepdim)
        if p == -math.inf:
            return magnitude.amin(dim, keepdims=keepdim)
        if p == 1:
            return magnitude.sum(dim, keepdims=keepdim)
        if p <= 0:
            raise ValueError(f"norm(): p={p} is not supported; use p > 0 or +-inf")
        return (magnitude**p).sum(dim, keepdims=keepdim) ** (1.0 / p)

    def _numpy_call(self, what: str, dtype: DTypeLike | None, out: object) -> Tensor:
        """The tensor to reduce: cast to ``dtype`` when one is given. ``out`` must be None
        (NumPy's ``np.sum(x)`` calls ``x.sum(axis=None, dtype=None, out=None)``)."""
        if out is not None:
            raise TypeError(
                f"{what}(): out= is not supported: tinygrad_nn records each result as a new "
                f"tensor; write y = x.{what}(...) instead"
            )
        return self.astype(dtype) if dtype is not None else self  # type: ignore[return-value]

    def _spread_args(
        self,
        what: str,
        axis: Axis | bool,
        unbiased: bool | None,
        keepdim: bool | None,
        dim: Axis,
        correction: float | None,
        ddof: float | None,
        keepdims: bool | None,
    ) -> tuple[Axis, bool, float]:
        """var's and std's arguments as ``(axis, keepdims, correction)``, axes checked."""
        if isinstance(axis, bool):  # torch's var(unbiased) overload: a bool is not an axis
            if unbiased is not None:
                raise TypeError(f"{what}(): got {axis} as the axis and unbiased={unbiased}")
            axis, unbiased = None, axis
        given = {"correction": correction, "ddof": ddof, "unbiased": unbiased}
        named = [name for name, value in given.items() if value is not None]
        if len(named) > 1:
            raise TypeError(f"{what}(): got {' and '.join(named)} (the same thing); pass one")
        if unbiased is not None:
            correction = 1.0 if unbiased else 0.0
        value = correction if ddof is None else ddof
        corrected = 1.0 if value is None else float(value)
        chosen, keep = resolve(what, axis, keepdims, dim, keepdim)
        normalize_axes(chosen, self.array.ndim, what)  # a bad axis names var or std
        return chosen, keep, corrected

    # ------------------------------------------------------------ positions: constants

    def argmax(
        self,
        axis: int | None = None,
        keepdims: bool | None = None,
        *,
        dim: int | None = None,
        keepdim: bool | None = None,
        out: None = None,
    ) -> Tensor:
        """Position of the largest value (over the flattened tensor when ``axis`` is None).

        Examples:
            >>> import tinygrad_nn as tg
            >>> tg.tensor([[1.0, 5.0], [7.0, 2.0]]).argmax(dim=1).tolist()
            [1, 0]
        """
        self._numpy_call("argmax", None, out)
        chosen, keep = resolve("argmax", axis, keepdims, dim, keepdim)
        chosen = one_axis("argmax", chosen)
        self._checked("argmax", chosen)
        return self._wrap(np.asarray(np.argmax(self.array, axis=chosen, keepdims=keep)))

    def argmin(
        self,
        axis: int | None = None,
        keepdims: bool | None = None,
        *,
        dim: int | None = None,
        keepdim: bool | None = None,
        out: None = None,
    ) -> Tensor:
        """Position of the smallest value (over the flattened tensor when ``axis`` is None).

        Examples:
            >>> import tinygrad_nn as tg
            >>> tg.tensor([3.0, 1.0, 2.0]).argmin().item()
            1
        """
        self._numpy_call("argmin", None, out)
        chosen, keep = resolve("argmin", axis, keepdims, dim, keepdim)
        chosen = one_axis("argmin", chosen)
        self._checked("argmin", chosen)
        return self._wrap(np.asarray(np.argmin(self.array, axis=chosen, keepdims=keep)))

    def any(
        self,
        axis: Axis = None,
        keepdims: bool | None = None,
        *,
        dim: Axis = None,
        keepdim: bool | None = None,
        out: None = None,
    ) -> Tensor:
        """Whether any value is true (non-zero), as a constant bool tensor.

        Examples:
            >>> import tinygrad_nn as tg
            >>> tg.tensor([0.0, 2.0]).any().item()
            True
        """
        self._numpy_call("any", None, out)
        chosen, keep = resolve("any", axis, keepdims, dim, keepdim)
        self._checked("any", chosen)
        return self._wrap(np.asarray(np.any(self.array, axis=chosen, keepdims=keep)))

    def all(
        self,
        axis: Axis = None,
        keepdims: bool | None = None,
        *,
        dim: Axis = None,
        keepdim: bool | None = None,
        out: None = None,
    ) -> Tensor:
        """Whether every value is true (non-zero), as a constant bool tensor.

        Examples:
            >>> import tinygrad_nn as tg
            >>> tg.tensor([0.0, 2.0]).all().item(), bool(np.all(tg.tensor([1, 2])))
            (False, True)
        """
        self._numpy_call("all", None, out)
        chosen, keep = resolve("all", axis, keepdims, dim, keepdim)
        self._checked("all", chosen)
        return self._wrap(np.asarray(np.all(self.array, axis=chosen, keepdims=keep)))
