"""``torch.autograd.Function``: a forward and a backward written by hand, with ``ctx``.

PyTorch's way of writing a new differentiable operation is a class with two static
methods, ``forward(ctx, *args)`` and ``backward(ctx, *grads)``, run with
``MyFunction.apply(*args)``. Here such a class becomes one more :class:`~tinygrad_nn.Op`:
:func:`Function.apply` records a :class:`FunctionOp` through the engine's ``apply``,
whose forward rule calls the class's ``forward`` on Tensors (recording off, as in
PyTorch) and whose backward rule calls the class's ``backward``. So a custom function
appears in drawings and explanations as a node like any other, and ``create_graph=True``
differentiates its backward when that backward is written with Tensor operations.

The context (``ctx``) is the op itself, as PyTorch's ``ctx`` is its graph node:
``ctx.save_for_backward(*tensors)``, ``ctx.saved_tensors``, ``ctx.needs_input_grad``, and
any attribute the forward sets (``ctx.alpha = alpha``).

Examples:
    >>> import tinygrad_nn as tg
    >>> class Cube(Function):
    ...     @staticmethod
    ...     def forward(ctx, x):
    ...         ctx.save_for_backward(x)
    ...         return x * x * x
    ...     @staticmethod
    ...     def backward(ctx, grad_output):
    ...         (x,) = ctx.saved_tensors
    ...         return grad_output * 3 * x * x
    >>> x = tg.Tensor([1.0, 2.0], requires_grad=True)
    >>> Cube.apply(x).sum().backward()
    >>> x.grad
    Tensor([ 3., 12.])
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tinygrad_nn.compile.values import Sym
from tinygrad_nn.dtypes import as_array
from tinygrad_nn.errors import TracingError
from tinygrad_nn.grad_mode import no_grad
from tinygrad_nn.hooks import mode
from tinygrad_nn.namespace.declared import Array, ArrayNamespace
from tinygrad_nn.ops import Op
from tinygrad_nn.ops.base import DROP, KEEP, Grads
from tinygrad_nn.ops.base import OUTPUT as OUTPUT_POSITION
from tinygrad_nn.recording import state as recording
from tinygrad_nn.tensor import Tensor, apply

__all__ = ["Function", "FunctionCtx", "FunctionOp"]

# Where a saved tensor came from: an input (its position), the output, or elsewhere.
INPUT, OUTPUT, OTHER = "input", "output", "other"


class FunctionCtx:
    """What ``forward`` and ``backward`` share: saved tensors and the forward's notes.

    PyTorch's ``ctx`` methods that tinygrad_nn does not have (``mark_dirty``,
    ``mark_non_differentiable``, ``set_materialize_grads``) raise ``AttributeError``
    saying so, rather than being ignored.
    """

    _saved: tuple[tuple[str, Any], ...] = ()
    needs_input_grad: tuple[bool, ...] = ()

    def save_for_backward(self, *tensors: Any) -> None:
        """Keep ``tensors`` (inputs, the output, or other values; None allowed) for backward.

        Examples:
            >>> ctx = FunctionCtx()
            >>> ctx.save_for_backward(None)
            >>> ctx.saved_tensors
            (None,)
        """
        self._saved = tuple((OTHER, t) for t in tensors)

    @property
    def saved_tensors(self) -> tuple[Any, ...]:
        """The tensors given to :meth:`save_for_backward`, in order."""
        return tuple(value for _, value in self._saved)

    def __getattr__(self, name: str) -> Any:
        if name in ("mark_dirty", "mark_non_differentiable", "set_materialize_grads"):
            raise AttributeError(
                f"torch.autograd.Function: ctx.{name} is not supported by tinygrad_nn"
            )
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")


class FunctionOp(Op, FunctionCtx):
    """The graph node of one ``Function.apply`` call; it is also that call's ``ctx``.

    The engine keeps, as for any op, the arrays its rule reads (``saved``), in the
    usual order, inputs then output: here those that ``ctx.save_for_backward`` named.
    So the saved tensors are released by ``backward()`` like any op's, and with
    ``create_graph=True`` they come back as tensors of the graph.
    """

    saves = ()  # what is kept is decided per call, by save(): what save_for_backward named
    needs_input_grad: tuple[bool, ...] = ()  # fixed at apply (Op has it as a property)

    def __init__(self, function: type[Function], needs_input_grad: tuple[bool, ...]) -> None:
        self.function = function
        self.needs_input_grad = needs_input_grad
        self._inputs: list[Tensor] = []

    @property
    def name(self) -> str:  # type: ignore[override]
        """PyTorch names the node ``MyFunctionBackward``; drawings call it by the class."""
        return self.function.__name__

    @property
    def definition(self) -> str:
        return f"z = {self.function.__name__}.forward(...)  (a torch.autograd.Function)"

    def derivative_for(self, position: int) -> str:
        return f"dL/dx_{position} = {self.function.__name__}.backward(ctx, g)[{position}]"

    def forward(self, xp: ArrayNamespace, *inputs: Array) -> Array:
        if any(isinstance(a, Sym) for a in inputs):  # the compiler writing source
            raise TracingError(_not_compiled(self.function))
        numbers = {position for position, _ in self.constants}  # passed as they are
        args = [a if i in numbers else Tensor._wrap(a) for i, a in enumerate(inputs)]
        self._inputs = args
        with no_grad():
            out = self.function.forward(self, *args)
        if isinstance(out, (tuple, list)):
            raise TypeError(
                f"{self.function.__name__}.forward returned {len(out)} values; tinygrad_nn's "
                "torch.autograd.Function supports forward returning one Tensor"
            )
        array = out.array if isinstance(out, Tensor) else as_array(out)
        self._mark_saved(out)
        return array

    def _mark_saved(self, out: Any) -> None:
        """Say, for each saved tensor, whether it is an input (which), the output, or other."""
        marked = []
        for _, t in self._saved:
            where: tuple[str, Any] = (OTHER, t)
            if t is out:
                where = (OUTPUT, None)
            else:
                for i, arg in enumerate(self._inputs):
                    if t is arg:
                        where = (INPUT, i)
            marked.append(where)
        self._saved = tuple(marked)
        self._inputs = []  # the wrapped inputs go: saved_of() keeps only what was named

    def saved_of(self, arrays: list[Any], out: Array) -> tuple[Any, ...]:
        wanted_inputs = {i for kind, i in self._saved if kind == INPUT}
        kept = [a if i in wanted_inputs else None for i, a in enumerate(arrays)]
        kept.append(out if any(kind == OUTPUT for kind, _ in self._saved) else None)
        return tuple(kept)

    def saves_at(self, position: int) -> int:
        if position == OUTPUT_POSITION:
            return KEEP if any(kind == OUTPUT for kind, _ in self._saved) else DROP
        return KEEP if (INPUT, position) in self._saved else DROP

    def backward(self, xp: ArrayNamespace, g: Array, *args: Array) -> Grads:
        records = isinstance(g, Tensor)  # create_graph=True: the rule runs on Tensors

        def as_tensor(value: Any) -> Any:
            return value if records or value is None else Tensor._wrap(value)

        saved = []
        for kind, value in self._saved:
            if kind == INPUT:
                saved.append(as_tensor(args[value]))
            elif kind == OUTPUT:
                saved.append(as_tensor(args[-1]))
            else:
                saved.append(value)
        ctx = _Unpacked(self, tuple(saved))
        grads = self.function.backward(ctx, as_tensor(g))
        if not isinstance(grads, (tuple, list)):
            grads = (grads,)
        count = len(args) - 1
        if len(grads) != count:
            raise RuntimeError(
                f"function {self.name}Backward returned an incorrect number of gradients "
                f"(expected {count}, got {len(grads)})"
            )
        return tuple(self._checked(i, grad, args[i], records) for i, grad in enumerate(grads))

    def _checked(self, i: int, grad: Any, value: Any, records: bool) -> Any:
        """Gradient ``i`` as the engine wants it (an array, or a Tensor when recording)."""
        if grad is None or not self.needs_input_grad[i]:
            return None
        if not isinstance(grad, Tensor):
            grad = Tensor._wrap(as_array(grad))
        parent = self.parents[self.parent_positions().index(i)]
        shape = tuple(parent.out_shape)
        if grad.shape != shape and not _expands_to(shape, grad.shape):
            raise RuntimeError(
                f"Function {self.name}Backward returned an invalid gradient at index {i} "
                f"- got {list(grad.shape)} but expected shape compatible with {list(shape)}"
            )
        return grad if records else grad.array


def _expands_to(shape: tuple[int, ...], target: tuple[int, ...]) -> bool:
    """Whether ``shape`` broadcasts to ``target`` (the engine then sums the gradient back)."""
    try:
        return np.broadcast_shapes(shape, target) == target
    except ValueError:
        return False


class _Unpacked:
    """``ctx`` as ``backward`` sees it: the node, with its saved tensors unpacked."""

    def __init__(self, op: FunctionOp, saved: tuple[Any, ...]) -> None:
        self._op, self.saved_tensors = op, saved

    def __getattr__(self, name: str) -> Any:
        return getattr(self._op, name)  # needs_input_grad, and what forward set


class Function:
    """Base class of a differentiable function written by hand, as ``torch.autograd.Function``.

    Subclasses define ``forward(ctx, *args)`` (returning one Tensor) and
    ``backward(ctx, *grad_outputs)`` (returning one gradient, or None, per argument of
    ``forward``), both static; or, PyTorch's newer form, ``forward(*args)`` with
    ``setup_context(ctx, inputs, output)``. Call it with ``apply``.

    Examples:
        >>> import tinygrad_nn as tg
        >>> class Scale(Function):
        ...     @staticmethod
        ...     def forward(ctx, x, factor):
        ...         ctx.factor = factor
        ...         return x * factor
        ...     @staticmethod
        ...     def backward(ctx, g):
        ...         return g * ctx.factor, None
        >>> x = tg.Tensor([1.0, 2.0], requires_grad=True)
        >>> Scale.apply(x, 3.0).sum().backward()
        >>> x.grad
        Tensor([3., 3.])
    """

    @staticmethod
    def forward(ctx: Any, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(
            "You must implement the forward function for custom autograd.Function."
        )

    @staticmethod
    def backward(ctx: Any, *grad_outputs: Any) -> Any:
        raise NotImplementedError(
            "You must implement either the backward or the vjp method for your custom "
            "autograd.Function to use it with backward mode AD."
        )

    @classmethod
    def apply(cls, *args: Any) -> Tensor:
        """Run ``forward`` on ``args`` and record the call in the graph (as PyTorch's)."""
        if recording.tracing:
            raise TracingError(_not_compiled(cls))
        needs = tuple(isinstance(a, Tensor) and a.requires_grad and mode.grad_enabled for a in args)
        if not any(isinstance(a, Tensor) for a in args):
            raise TypeError(f"{cls.__name__}.apply: no argument is a Tensor")
        # PyTorch's newer form: forward(*args) without ctx, then setup_context(ctx, ...)
        newer = getattr(cls, "setup_context", None) is not None
        return apply(FunctionOp(_with_setup_context(cls) if newer else cls, needs), *args)


def _not_compiled(cls: type[Function]) -> str:
    return (
        f"compile: {cls.__name__} is a torch.autograd.Function, whose forward and backward "
        "are Python code that the compiler cannot write as source; call it outside tg.compile"
    )


def _with_setup_context(cls: type[Function]) -> type[Function]:
    """The newer form (``forward(*args)``, ``setup_context(ctx, inputs, output)``) as the
    older one, so :class:`FunctionOp` runs a single kind."""

    def forward(ctx: Any, *args: Any) -> Any:
        output = cls.forward(*args)
        getattr(cls, "setup_context")(ctx, args, output)  # noqa: B009 (not on Function)
        return output

    return type(cls.__name__, (cls,), {"forward": staticmethod(forward)})
