"""``Tensor``: a NumPy array that remembers how it was computed, so it can be differentiated.

The engine is :func:`apply`: it runs an op's forward rule on its inputs' arrays and, when
an input requires grad, records the op as the result's node, linked to its inputs' nodes
(:mod:`tinygrad_nn.node`). :meth:`Tensor.backward` walks those links back
(:mod:`tinygrad_nn.backprop`). The methods (``x.exp()``, ``x @ y``...) come from mix-ins:
small classes Tensor inherits from, one per family (``tensor_operators.py``...).

Examples:
    >>> import tinygrad_nn as tg
    >>> x = tg.Tensor([1.0, 2.0, 3.0], requires_grad=True)
    >>> (x * x).sum().backward()
    >>> x.grad
    Tensor([2., 4., 6.])
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

import numpy as np

from tinygrad_nn import backprop
from tinygrad_nn.dtypes import DTypeLike, as_array
from tinygrad_nn.higher_order import RecordedValues
from tinygrad_nn.hooks import hooks, mode
from tinygrad_nn.namespace import ArrayNamespace, numpy_xp
from tinygrad_nn.namespace.recorded import RecordedNamespace
from tinygrad_nn.node import Constants, Node, creation
from tinygrad_nn.ops import Op
from tinygrad_nn.ops.base import forward_error
from tinygrad_nn.tensor_array import TensorArray
from tinygrad_nn.tensor_grad import TensorGrad
from tinygrad_nn.tensor_math import TensorMath
from tinygrad_nn.tensor_methods import TensorMethods
from tinygrad_nn.tensor_operators import Operand, TensorOperators
from tinygrad_nn.tensor_reductions import TensorReductions
from tinygrad_nn.tensor_setitem import TensorSetItem
from tinygrad_nn.tensor_shaping import TensorShaping

observers = hooks.observers  # (the list itself: observers are appended and removed)


def apply(op: Op, *inputs: Any, constants: Constants = ()) -> Tensor:
    """Run ``op`` forward on the inputs' data and, when needed, record it in the graph.

    Inputs are Tensors or Python numbers. A number is a constant of the op (``2 ** x``),
    not a node: here, and only here, numbers go into ``op.constants`` as ``(position,
    value)``; ``constants=`` hands them over already placed, as ``x * 2.0`` does. The op
    is recorded only in grad mode (on unless ``tg.no_grad()``) when some input requires
    grad. A failed forward (mismatched shapes, bad axis...) raises an error naming the
    op and the shapes, and records nothing.

    Examples:
        >>> import tinygrad_nn as tg
        >>> from tinygrad_nn import ops
        >>> tg.apply(ops.Pow(), 2.0, tg.Tensor([3.0], requires_grad=True)).op.constants
        ((0, 2.0),)
    """
    try:
        arrays = [t.array for t in inputs]
    except AttributeError:  # a number among the inputs: sort them out (a caught error costs
        # the chain of bench/instructions.py +24%, so x * 2.0 passes constants= instead)
        tensors, numbers = _sort_out(inputs, constants)
        return apply(op, *tensors, constants=numbers)
    if constants:
        op.constants = constants
    xp: ArrayNamespace = numpy_xp
    for array in arrays:
        if type(array) is not np.ndarray:  # another array library's: its own namespace
            xp = hooks.namespace(arrays, op)
            break
    for position, value in op.constants:  # the numbers go back in their places
        arrays.insert(position, value)
    try:
        out = op.forward(xp, *arrays)
    except (ValueError, IndexError, TypeError, RuntimeError) as error:  # PyTorch's: Runtime
        raise forward_error(op, arrays, error) from None
    if type(out) is not np.ndarray and xp is numpy_xp:  # NumPy returns scalars for 0-d results
        out = np.asarray(out)
    if observers:  # anomaly mode checks the value (see tinygrad_nn.hooks)
        for observer in observers:
            observer.applied(op, arrays, out)
    if mode.grad_enabled:
        for t in inputs:  # the first input that requires grad records the op, and returns
            if t.requires_grad:  # a node linked to its inputs' nodes
                parents = []
                for i in inputs:
                    parents.append(i._ctx or i)  # a leaf as itself, else the op that made it
                op.parents = tuple(parents)
                op.saved = op.saved_of(arrays, out)  # only what its rule reads
                op.scope = mode.scope  # inside which module calls (for drawing)
                op.out_shape, op.out_dtype = out.shape, out.dtype
                result = Tensor._wrap(out, True, op)
                op._seq = result._seq
                return result
    return Tensor._wrap(out)


def _sort_out(inputs: Sequence[Any], constants: Constants) -> tuple[list[Tensor], Constants]:
    """The Tensor inputs, and the others (with ``constants``) as ``(position, value)``."""
    merged = list(inputs)  # every input in its place
    for position, value in constants:
        merged.insert(position, value)
    tensors = [x for x in merged if isinstance(x, Tensor)]
    return tensors, tuple((i, x) for i, x in enumerate(merged) if not isinstance(x, Tensor))


class Tensor(  # TensorGrad first: its .grad property wins over the others' bare annotations
    TensorGrad,
    TensorArray,
    TensorSetItem,
    TensorOperators,
    TensorMethods,
    TensorMath,
    TensorShaping,
    TensorReductions,
    Node,  # a leaf tensor is its own graph node
):
    """An n-dimensional array with reverse-mode automatic differentiation.

    Args:
        data: numbers, nested lists or an ndarray (copied). Float data keeps its dtype
            (float64 by default); int and bool data stay as they are unless
            ``requires_grad`` is set, which makes them float64.
        requires_grad: record operations on this tensor so gradients can flow back to it.
        dtype: the NumPy dtype to store, e.g. ``np.float32`` or ``"float32"``.
        name: a label used when the graph is drawn or explained.

    Examples:
        >>> import tinygrad_nn as tg
        >>> w = tg.Tensor([[1.0], [2.0]], requires_grad=True, name="w")
        >>> x = tg.Tensor([[3.0, 4.0]])
        >>> loss = (x @ w).sum()
        >>> loss.backward()
        >>> w.grad
        Tensor([[3.],
                [4.]])
    """

    # ``_owner`` is set only on the tensor ``.data`` returns: the tensor whose array it
    # shares (never by the engine; an unset slot raises, so it is read with getattr).
    __slots__ = (
        "__weakref__",
        "_ctx",
        "_grad",
        "_name",
        "_owner",
        "_seq",
        "array",
        "requires_grad",
    )
    __hash__ = object.__hash__  # == is elementwise, so hashing is by identity

    array: Any  # the NumPy array (or another array library's)
    _owner: Tensor
    _grad: Tensor | None  # .grad (see tensor_grad): the engine reads and writes the slot
    requires_grad: bool
    _name: str | None
    _ctx: Op | None  # the op that made this tensor (public: .op); None for a leaf
    _seq: int

    def __init__(
        self,
        data: Any,
        requires_grad: bool = False,
        dtype: DTypeLike = None,
        name: str | None = None,
    ) -> None:
        if isinstance(data, Tensor):
            data = data.array
        self.array = as_array(data, dtype, requires_grad)
        self.requires_grad = bool(requires_grad)
        self._grad = None
        self._name = name
        self._ctx = None
        self._seq = next(creation)

    @classmethod
    def _wrap(cls, data: np.ndarray, requires_grad: bool = False, ctx: Op | None = None) -> Tensor:
        """Make a tensor around ``data`` without copying or checking it (for the engine)."""
        t = object.__new__(Tensor)
        t.array = data
        t.requires_grad = requires_grad
        t._grad = None
        t._name = None
        t._ctx = ctx
        t._seq = next(creation)
        return t

    _apply = staticmethod(apply)

    @property
    def name(self) -> str | None:
        """A label for drawings, explanations and generated code. A computed tensor's
        name is kept by its op, so the graph still has it once the tensor is freed."""
        return self._name if self._ctx is None else self._ctx.label

    @name.setter
    def name(self, name: str | None) -> None:
        if self._ctx is None:
            self._name = name
        else:
            self._ctx.label = name

    @property
    def label(self) -> str | None:
        """As a graph node (a leaf): the value's name."""
        return self.name

    @property
    def out_shape(self) -> tuple[int, ...]:
        """As a graph node (a leaf): the value's shape."""
        return self.array.shape

    @property
    def out_dtype(self) -> Any:
        """As a graph node (a leaf): the value's dtype."""
        return self.array.dtype

    # ------------------------------------------------------------ autograd

    def backward(
        self, grad: Operand = None, retain_graph: bool | None = None, create_graph: bool = False
    ) -> None:
        """Compute the gradient of this tensor with respect to every leaf that requires grad.

        Gradients are added to each leaf's ``.grad`` (they accumulate across calls, as in
        PyTorch; zero them between steps). The graph's saved arrays are then released
        unless ``retain_graph`` is true (it defaults to ``create_graph``).

        Args:
            grad: the starting gradient (the pass's *seed*), shaped like this tensor. May be
                omitted only when this tensor has a single element (then it is 1).
            retain_graph: keep the graph so backward can run through it again.
            create_graph: record the backward pass too, so gradients can be differentiated.

        Examples:
            >>> import tinygrad_nn as tg
            >>> x = tg.Tensor(3.0, requires_grad=True)
            >>> (x ** 2).backward()
            >>> x.grad
            Tensor(6.)
        """
        for observer in observers:  # True: it took the call over (compile's tracing notes it)
            if observer.backward(self, grad, create_graph):
                return
        retain = create_graph if retain_graph is None else retain_graph
        backprop.gradients([self], [grad], INTERPRETERS[create_graph], retain, accumulate=True)


tensor_xp = cast(ArrayNamespace, RecordedNamespace(apply, Tensor))  # (functions generated)
SAVED_ARRAYS = backprop.SavedArrays(Tensor._wrap)
RECORDED_TENSORS = RecordedValues(tensor_xp, Tensor)

INTERPRETERS: dict[bool, Any] = {False: SAVED_ARRAYS, True: RECORDED_TENSORS}  # by create_graph
