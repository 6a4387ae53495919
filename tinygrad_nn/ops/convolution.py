"""Sliding windows (im2col): the one op behind convolution and pooling.

``Unfold`` gathers every ``kh x kw`` window of an image batch into a row, so a
convolution becomes one matrix product of those rows with the flattened kernels, and a
pooling a ``max`` or ``mean`` over each row. Its backward (col2im) adds each window's
gradient back where the window was read — windows that overlap add up — which is also
why the gradient of a convolution is a convolution with the flipped kernel.

The loop runs over the kernel's offsets (``kh * kw`` strided slices), never over pixels.

Examples:
    >>> import numpy as np
    >>> from tinygrad_nn.namespace import numpy_xp
    >>> x = np.arange(16.0).reshape(1, 1, 4, 4)
    >>> Unfold((2, 2), (2, 2), (1, 1)).forward(numpy_xp, x)[0, 0, 0]  # the top-left window
    array([[0., 1., 4., 5.]])
"""

from __future__ import annotations

from tinygrad_nn.namespace.declared import Array, ArrayNamespace
from tinygrad_nn.ops.base import Grads, Op


class Unfold(Op):
    name = "unfold"
    formula = "z = windows of x (im2col): z[n, i, j, c, k] = x[n, c, i*s + ki*d, j*s + kj*d]"
    derivatives = ("dL/dx = each window's g added back where it was read (col2im)",)
    saves = ("x.shape",)
    param_names = ("kernel_size", "stride", "dilation")

    def __init__(
        self, kernel_size: tuple[int, int], stride: tuple[int, int], dilation: tuple[int, int]
    ) -> None:
        self.kernel_size, self.stride, self.dilation = kernel_size, stride, dilation

    def output_size(self, height: int, width: int) -> tuple[int, int]:
        """(OH, OW): how many windows fit along each axis."""
        (kh, kw), (sh, sw), (dh, dw) = self.kernel_size, self.stride, self.dilation
        return (height - dh * (kh - 1) - 1) // sh + 1, (width - dw * (kw - 1) - 1) // sw + 1

    def _windows(self, height: int, width: int) -> list[tuple[slice, slice, slice, slice]]:
        """For each kernel offset, the strided slice of x it reads (one per output pixel)."""
        (kh, kw), (sh, sw), (dh, dw) = self.kernel_size, self.stride, self.dilation
        oh, ow = self.output_size(height, width)
        everything = slice(None)
        return [
            (
                everything,
                everything,
                slice(i * dh, i * dh + sh * (oh - 1) + 1, sh),
                slice(j * dw, j * dw + sw * (ow - 1) + 1, sw),
            )
            for i in range(kh)
            for j in range(kw)
        ]

    def forward(self, xp: ArrayNamespace, x: Array) -> Array:
        """(N, C, H, W) -> (N, OH, OW, C, kh * kw)."""
        windows = [x[window] for window in self._windows(x.shape[2], x.shape[3])]
        return xp.permute_dims(xp.stack(windows, axis=-1), (0, 2, 3, 1, 4))

    def backward(self, xp: ArrayNamespace, g: Array, x: Array, z: Array) -> Grads:
        per_offset = xp.permute_dims(g, (0, 3, 1, 2, 4))  # (N, C, OH, OW, kh * kw)
        windows = self._windows(x.shape[2], x.shape[3])
        total = xp.scatter_add(x.shape, windows[0], per_offset[..., 0])
        for k in range(1, len(windows)):
            total = total + xp.scatter_add(x.shape, windows[k], per_offset[..., k])
        return (total,)
