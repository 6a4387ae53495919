"""``create_graph=True``: the backward pass recorded as a graph, for derivatives of any order.

The chain-rule loop (:mod:`tinygrad_nn.backprop`) evaluates each op's backward rule with
an interpreter. This one evaluates it on Tensors, through the namespace whose every
function records an op (:mod:`tinygrad_nn.namespace.recorded`), so the gradients it
returns have a graph of their own and can be differentiated again.

Examples:
    >>> import tinygrad_nn as tg
    >>> x = tg.Tensor(2.0, requires_grad=True)
    >>> (dy,) = tg.grad(x ** 3, [x], create_graph=True)   # 3 x**2
    >>> float(dy), dy.requires_grad
    (12.0, True)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tinygrad_nn.backprop import SavedArrays
from tinygrad_nn.namespace.declared import ArrayNamespace
from tinygrad_nn.ops.base import ArrayFacts, Op
from tinygrad_nn.tensor_inplace import MODIFIED_LEAF

if TYPE_CHECKING:
    from tinygrad_nn.tensor import Tensor


class RecordedValues:
    """The rules run on Tensors, so the backward pass is recorded too.

    Args:
        xp: the Tensor interpreter of the rules.
        tensor_type: the Tensor class (its ``_wrap`` makes a Tensor around an array).
    """

    records = True

    def __init__(self, xp: ArrayNamespace, tensor_type: type[Tensor]) -> None:
        self.xp, self.tensor_type = xp, tensor_type
        self.arrays = SavedArrays(tensor_type._wrap)

    def for_graph(self, root: Tensor) -> RecordedValues:
        return self  # Tensors: each op finds its library's namespace itself

    def arguments(self, node: Op) -> tuple[Any, ...]:
        """The saved arrays as Tensors of the graph (PyTorch unpacks its saved tensors
        the same way): a leaf as itself, a computed value as a new Tensor on the same
        node, so the gradient's own graph leads back through it."""
        assert node.saved is not None
        wrap = self.tensor_type._wrap
        inputs: list[Any] = node.with_constants(node.parents)
        values = []
        for source, array in zip((*inputs, node), node.saved):
            if array is None or isinstance(array, ArrayFacts) or source is array:
                values.append(array)  # not kept, or a number given to the op
            elif source.parents:  # a computed value
                values.append(wrap(array, True, source))
            elif source.array is not array:  # a leaf changed in place since forward
                raise RuntimeError(MODIFIED_LEAF.format(source.shape, source.dtype, node.rule.name))
            else:
                values.append(source)
        return tuple(values)

    def seed(self, root: Tensor, grad: Any) -> Tensor:
        if isinstance(grad, self.tensor_type):  # kept: if it requires grad, so do the results
            return grad if grad.dtype == root.dtype else grad.astype(root.dtype)
        return self.tensor_type._wrap(self.arrays.for_graph(root).seed(root, grad))

    def result(self, tensor: Tensor, g: Tensor, handed_out: set[int]) -> Tensor:
        return g if g.dtype == tensor.dtype else g.astype(tensor.dtype)
