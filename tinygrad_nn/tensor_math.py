"""Mathematical functions of a Tensor that are more than one declared op: powers, rounding,
NaN tests, running sums and products.

A mix-in that :class:`tinygrad_nn.Tensor` inherits; each method applies one op
(``_apply`` is supplied by Tensor). The functions that are one elementwise op each
(``sin``, ``arcsin`` and its alias ``asin``, ``log2``...) are generated from the op
catalogue (``Op.tensor_method``) onto :class:`tinygrad_nn.tensor_methods.TensorMethods`.

Examples:
    >>> import tinygrad_nn as tg
    >>> tg.Tensor([4.0]).rsqrt()
    Tensor([0.5])
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from tinygrad_nn import ops
from tinygrad_nn.errors import wrap_dim
from tinygrad_nn.tensor_reductions import one_axis, resolve
from tinygrad_nn.tensor_torch import round_decimals

if TYPE_CHECKING:
    from tinygrad_nn.tensor import Tensor


class TensorMath:
    """Functions of one value; each applies one op (or gives a constant, for tests)."""

    __slots__ = ()

    array: np.ndarray
    _apply: Callable[..., Tensor]  # apply(op, *inputs): records the op (set by Tensor)
    _wrap: Callable[..., Tensor]  # a constant tensor around an array (set by Tensor)

    def floor(self) -> Tensor:
        """Round down (gradient 0).

        Examples:
            >>> import tinygrad_nn as tg
            >>> tg.Tensor([1.5]).floor()
            Tensor([1.])
        """
        return self._apply(ops.Rounding("floor"), self)

    def ceil(self) -> Tensor:
        """Round up (gradient 0).

        Examples:
            >>> import tinygrad_nn as tg
            >>> tg.Tensor([1.5]).ceil()
            Tensor([2.])
        """
        return self._apply(ops.Rounding("ceil"), self)

    def round(self, *, decimals: int = 0, out: None = None) -> Tensor:
        """Round to the nearest integer (to ``decimals`` places), halves to even as NumPy
        and PyTorch (gradient 0); ``np.round(x, 2)`` calls this.

        Examples:
            >>> import tinygrad_nn as tg
            >>> tg.Tensor([0.5, 1.5]).round(), tg.Tensor([1.23456]).round(decimals=2)
            (Tensor([0., 2.]), Tensor([1.23]))
        """
        if decimals or out is not None:
            return round_decimals(self, decimals, out)  # type: ignore[arg-type]
        return self._apply(ops.Rounding("round"), self)

    def sign(self) -> Tensor:
        """-1, 0 or 1 (gradient 0).

        Examples:
            >>> import tinygrad_nn as tg
            >>> tg.Tensor([-2.0, 0.0]).sign()
            Tensor([-1.,  0.])
        """
        return self._apply(ops.Rounding("sign"), self)

    def exp2(self) -> Tensor:
        """2 to the power of each element.

        Examples:
            >>> import tinygrad_nn as tg
            >>> tg.Tensor([3.0]).exp2()
            Tensor([8.])
        """
        return self._apply(ops.Pow(), 2.0, self)

    def reciprocal(self) -> Tensor:
        """1 / x.

        Examples:
            >>> import tinygrad_nn as tg
            >>> tg.Tensor([4.0]).reciprocal()
            Tensor([0.25])
        """
        return self._apply(ops.Div(), 1.0, self)

    def square(self) -> Tensor:
        """x ** 2.

        Examples:
            >>> import tinygrad_nn as tg
            >>> tg.Tensor([3.0]).square()
            Tensor([9.])
        """
        return self._apply(ops.Pow(), self, 2.0)

    def rsqrt(self) -> Tensor:
        """1 / sqrt(x).

        Examples:
            >>> import tinygrad_nn as tg
            >>> tg.Tensor([4.0]).rsqrt()
            Tensor([0.5])
        """
        return self._apply(ops.Pow(), self, -0.5)

    def isnan(self) -> Tensor:
        """Where the values are NaN, as a constant bool tensor.

        Examples:
            >>> import tinygrad_nn as tg
            >>> tg.Tensor([1.0, float("nan")]).isnan()
            Tensor([False,  True])
        """
        return self._wrap(np.isnan(self.array))

    def isinf(self) -> Tensor:
        """Where the values are +inf or -inf, as a constant bool tensor.

        Examples:
            >>> import tinygrad_nn as tg
            >>> tg.Tensor([1.0, -float("inf")]).isinf()
            Tensor([False,  True])
        """
        return self._wrap(np.isinf(self.array))

    def isfinite(self) -> Tensor:
        """Where the values are neither NaN nor infinite, as a constant bool tensor.

        Examples:
            >>> import tinygrad_nn as tg
            >>> tg.Tensor([1.0, float("nan")]).isfinite()
            Tensor([ True, False])
        """
        return self._wrap(np.isfinite(self.array))

    # ------------------------------------------------------------ running sums and products

    def cumsum(self, axis: int | None = None, *, dim: int | None = None) -> Tensor:
        """Running sums along an axis (a 0-d tensor is its own, still 0-d, as in PyTorch).

        Examples:
            >>> import tinygrad_nn as tg
            >>> tg.tensor([1.0, 2.0, 3.0]).cumsum(0)
            Tensor([1., 3., 6.])
        """
        chosen = one_axis("cumsum", resolve("cumsum", axis, None, dim, None)[0])
        if chosen is None:
            raise TypeError("cumsum(): give the axis to sum along")
        return self._apply(ops.CumSum(chosen), self)

    def cumprod(self, axis: int | None = None, *, dim: int | None = None) -> Tensor:
        """Running products along an axis.

        Computed as products over a triangle (``z_k`` is the product of ``x_1..x_k`` with
        the later factors replaced by 1), so the gradient is exact with zeros among the
        factors too; it takes n x n memory along the axis.

        Examples:
            >>> import tinygrad_nn as tg
            >>> tg.tensor([1.0, 2.0, 0.0, 4.0]).cumprod(0).tolist()
            [1.0, 2.0, 0.0, 0.0]
        """
        chosen = one_axis("cumprod", resolve("cumprod", axis, None, dim, None)[0])
        if chosen is None:
            raise TypeError("cumprod(): give the axis to multiply along")
        ndim = self.array.ndim
        chosen = wrap_dim("cumprod", chosen, ndim)
        if ndim == 0:  # one factor: itself
            return self._apply(ops.Cast(self.array.dtype), self)
        last = (*(a for a in range(ndim) if a != chosen), chosen)  # the axis moved last
        moved = self._apply(ops.Transpose(last), self)
        n, rows = moved.array.shape[-1], moved.array.shape[:-1]
        spread = self._apply(
            ops.BroadcastTo((*rows, n, n)), self._apply(ops.Reshape((*rows, 1, n)), moved)
        )
        keep = np.tril(np.ones((n, n), dtype=bool))  # row k keeps factors 1..k
        triangle = self._apply(ops.Where(keep), spread, 1.0)
        products = self._apply(ops.Prod(-1), triangle)
        inverse = tuple(int(i) for i in np.argsort(last))
        return self._apply(ops.Transpose(inverse), products)
