"""Arrays of other libraries than NumPy (PyTorch, CuPy, array-api-strict...), attached to
the engine through :data:`tinygrad_nn.hooks.hooks`.

The core computes on NumPy arrays. When an op meets another library's array, the hook
here gives it that library's namespace (through array-api-compat), and a backward pass
from a root holding one runs with :class:`ForeignArrays`: the same rules, seeds made in
the root's library, gradients handed out in it. Importing :mod:`tinygrad_nn` installs
the hooks; NumPy-only programs never call them.

Examples:
    >>> import numpy as np
    >>> from tinygrad_nn.hooks import hooks
    >>> hooks.is_array(np.ones(2)), hooks.is_array([1.0])   # NumPy's: not foreign
    (False, False)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from tinygrad_nn.backprop import SavedArrays
from tinygrad_nn.dtypes import dtype_name
from tinygrad_nn.hooks import hooks
from tinygrad_nn.namespace.array_api import array_namespace, is_array, like, to_numpy

if TYPE_CHECKING:
    from tinygrad_nn.tensor import Tensor


class ForeignArrays(SavedArrays):
    """The plain backward pass on the arrays of one other library (``xp`` is its own)."""

    def for_graph(self, root: Tensor) -> ForeignArrays:
        return self

    def seed(self, root: Tensor, grad: Any) -> Any:
        data = root.array  # the seed is made on the host and moved to the root's library
        host = np.ones(data.shape) if grad is None else to_numpy(getattr(grad, "array", grad))
        return like(host.astype(dtype_name(data)), data)

    def result(self, tensor: Tensor, g: Any, handed_out: set[int]) -> Tensor:
        if type(g) is np.ndarray or isinstance(g, np.generic):  # a NumPy leaf in the graph
            return super().result(tensor, g, handed_out)
        return self.wrap(array_namespace([g]).astype(g, tensor.array.dtype))  # copies


def _interpreter(plain: SavedArrays, root: Tensor) -> ForeignArrays:
    return ForeignArrays(plain.wrap, array_namespace([root.array]))


def install() -> None:
    """Attach other array libraries to the engine (done once, by ``import tinygrad_nn``)."""
    hooks.namespace = lambda arrays, op: array_namespace(arrays, op.name)
    hooks.interpreter = _interpreter
    hooks.is_array = is_array
