"""Ops that move values without arithmetic: reshape, transpose, cast, broadcast, index, join.

Examples:
    >>> import numpy as np
    >>> from tinygrad_nn.namespace import numpy_xp
    >>> Transpose((1, 0)).backward(numpy_xp, np.ones((3, 2)), None, None)[0].shape
    (2, 3)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from tinygrad_nn.errors import wrap_dim
from tinygrad_nn.namespace.declared import Array, ArrayNamespace, Index, Shape
from tinygrad_nn.ops.base import Grads, Op


class Reshape(Op):
    name = "reshape"
    formula = "z = reshape(x, shape)"
    derivatives = ("dL/dx = reshape(g, x.shape)",)
    saves = ("x.shape",)
    param_names = ("shape",)

    def __init__(self, shape: Shape) -> None:
        self.shape = shape

    def forward(self, xp: ArrayNamespace, x: Array) -> Array:
        return xp.reshape(x, self.shape)

    def backward(self, xp: ArrayNamespace, g: Array, x: Array, z: Array) -> Grads:
        return (xp.reshape(g, x.shape),)


class Transpose(Op):
    """``axes=None`` reverses the axes, as ``numpy.transpose``."""

    name = "transpose"
    formula = "z = transpose(x, axes)"
    derivatives = ("dL/dx = transpose(g, the inverse permutation of axes)",)
    saves = ()
    param_names = ("axes",)

    def __init__(self, axes: Sequence[int] | None = None) -> None:
        self.axes = None if axes is None else tuple(axes)

    def _axes(self, ndim: int) -> tuple[int, ...]:
        if self.axes is None:
            return tuple(reversed(range(ndim)))
        axes = tuple(wrap_dim(self.name, a, ndim) for a in self.axes)  # 5 of 2 never wraps
        if sorted(axes) != list(range(ndim)):
            raise ValueError(f"axes {self.axes} are not a permutation of {ndim} axes")
        return axes

    def forward(self, xp: ArrayNamespace, x: Array) -> Array:
        return xp.permute_dims(x, self._axes(x.ndim))

    def backward(self, xp: ArrayNamespace, g: Array, x: Array, z: Array) -> Grads:
        inverse = tuple(int(i) for i in np.argsort(self._axes(g.ndim)))
        return (xp.permute_dims(g, inverse),)


class Cast(Op):
    name = "astype"
    formula = "z = x converted to dtype"
    derivatives = ("dL/dx = g converted back to the dtype of x",)
    saves = ("x.shape",)
    param_names = ("dtype",)

    def __init__(self, dtype: Any) -> None:
        self.dtype = dtype

    def forward(self, xp: ArrayNamespace, x: Array) -> Array:
        return xp.astype(x, self.dtype)

    def backward(self, xp: ArrayNamespace, g: Array, x: Array, z: Array) -> Grads:
        return (xp.astype(g, x.dtype),)


class BroadcastTo(Op):
    name = "broadcast_to"
    formula = "z = broadcast_to(x, shape)"
    derivatives = ("dL/dx = g summed over the broadcast axes",)
    saves = ("x.shape",)
    param_names = ("shape",)

    def __init__(self, shape: Shape) -> None:
        self.shape = shape

    def forward(self, xp: ArrayNamespace, x: Array) -> Array:
        return xp.broadcast_to(x, self.shape)

    def backward(self, xp: ArrayNamespace, g: Array, x: Array, z: Array) -> Grads:
        return (xp.unbroadcast(g, x.shape),)


class GetItem(Op):
    name = "getitem"
    formula = "z = x[index]"
    derivatives = ("dL/dx = zeros like x, with g added at index (repeats accumulate)",)
    saves = ("x.shape",)
    param_names = ("index",)

    def __init__(self, index: Index) -> None:
        self.index = index

    def forward(self, xp: ArrayNamespace, x: Array) -> Array:
        return x[self.index]

    def backward(self, xp: ArrayNamespace, g: Array, x: Array, z: Array) -> Grads:
        return (xp.scatter_add(x.shape, self.index, g),)


class ScatterAdd(Op):
    """The adjoint of ``getitem``: its backward is a getitem."""

    name = "scatter_add"
    formula = "z = zeros(shape), then z[index] += x"
    derivatives = ("dL/dx = g[index]",)
    saves = ()
    param_names = ("shape", "index")

    def __init__(self, shape: Shape, index: Index) -> None:
        self.shape, self.index = shape, index

    def forward(self, xp: ArrayNamespace, x: Array) -> Array:
        return xp.scatter_add(self.shape, self.index, x)

    def backward(self, xp: ArrayNamespace, g: Array, x: Array, z: Array) -> Grads:
        return (g[self.index],)


class Concat(Op):
    name = "concatenate"
    formula = "z = concatenate(xs, axis)"
    derivatives = ("dL/dx_i = the slice of g where x_i was placed",)
    saves = ("x.shape",)
    input_names = ("x",)
    param_names = ("axis",)

    def __init__(self, axis: int = 0) -> None:
        self.axis = axis

    def forward(self, xp: ArrayNamespace, *xs: Array) -> Array:
        return xp.concat(xs, axis=self.axis)

    def backward(self, xp: ArrayNamespace, g: Array, *args: Any) -> Grads:
        *xs, _ = args
        axis = self.axis % g.ndim
        lead = (slice(None),) * axis
        grads, start = [], 0
        for x in xs:
            stop = start + x.shape[axis]
            piece = (*lead, slice(start, stop))
            grads.append(g[piece])
            start = stop
        return tuple(grads)


class Stack(Op):
    name = "stack"
    formula = "z = stack(xs, axis)"
    derivatives = ("dL/dx_i = g[..., i, ...]   (index i along the new axis)",)
    saves = ()
    input_names = ("x",)
    param_names = ("axis",)

    def __init__(self, axis: int = 0) -> None:
        self.axis = axis

    def forward(self, xp: ArrayNamespace, *xs: Array) -> Array:
        return xp.stack(xs, axis=self.axis)

    def backward(self, xp: ArrayNamespace, g: Array, *args: Any) -> Grads:
        lead = (slice(None),) * (self.axis % g.ndim)
        pieces = [(*lead, i) for i in range(len(args) - 1)]
        return tuple(g[piece] for piece in pieces)


class Tile(Op):
    """``numpy.tile`` (PyTorch's ``repeat``): the input laid out ``reps`` times per axis.

    As a broadcast: ``x`` gets an axis of size 1 before each of its axes, is broadcast to
    ``reps[i]`` there, and the pairs are merged. Backward undoes that: ``g`` split into
    the same pairs and summed over the copies.
    """

    name = "tile"
    formula = "z = tile(x, reps)"
    derivatives = ("dL/dx = g summed over the copies",)
    saves = ("x.shape",)
    param_names = ("reps",)

    def __init__(self, reps: Shape) -> None:
        self.reps = reps

    def _layout(self, x: Array) -> tuple[Shape, Shape]:
        """The repeats and ``x``'s shape, padded with leading 1s to the same length."""
        n = max(len(self.reps), x.ndim)
        reps = (1,) * (n - len(self.reps)) + tuple(self.reps)
        return reps, (1,) * (n - x.ndim) + tuple(x.shape)

    def forward(self, xp: ArrayNamespace, x: Array) -> Array:
        reps, shape = self._layout(x)
        single = xp.reshape(x, tuple(n for s in shape for n in (1, s)))
        spread = xp.broadcast_to(single, tuple(n for r, s in zip(reps, shape) for n in (r, s)))
        return xp.reshape(spread, tuple(r * s for r, s in zip(reps, shape)))

    def backward(self, xp: ArrayNamespace, g: Array, x: Array, z: Array) -> Grads:
        reps, shape = self._layout(x)
        pairs = xp.reshape(g, tuple(n for r, s in zip(reps, shape) for n in (r, s)))
        summed = xp.sum(pairs, axis=tuple(range(0, 2 * len(shape), 2)))
        return (xp.reshape(summed, x.shape),)


class Flip(Op):
    name = "flip"
    formula = "z = x reversed along axes"
    derivatives = ("dL/dx = g reversed along the same axes",)
    saves = ()
    param_names = ("axes",)

    def __init__(self, axes: Shape) -> None:
        self.axes = axes

    def forward(self, xp: ArrayNamespace, x: Array) -> Array:
        return xp.flip(x, axis=self.axes)

    def backward(self, xp: ArrayNamespace, g: Array, x: Array, z: Array) -> Grads:
        return (xp.flip(g, axis=self.axes),)
