"""The pipeline: from a function and its inputs to compiled code, and the checks between.

One call of :func:`build_trace` runs the passes in order, each in its own module (as
torch.fx keeps its tracer, graph, namer and code writer apart):

1. :mod:`~tinygrad_nn.compile.tracing` runs the function, recording its graph;
2. :mod:`~tinygrad_nn.compile.evaluate` (and :mod:`~tinygrad_nn.compile.step` for a
   training step) interprets every rule symbolically into a :class:`~.graph.Graph`,
   its values simplified by the rewrite passes as they are made;
3. :mod:`~tinygrad_nn.compile.naming` names the values that get a line;
4. :mod:`~tinygrad_nn.compile.writer` writes the source, which is then executed.

The function is traced twice, the second time with every float value it reads changed
(its float inputs and the outside tensors that require grad): the code must come out
the same, or the function used a value (``x.data.sum()``, a random draw) to decide
something the code would freeze, and :class:`TracingError` says so. With dynamic
integer inputs, a third trace with their values reordered must write the same code.

Examples:
    >>> import tinygrad_nn as tg
    >>> w = tg.Tensor([1.0], requires_grad=True)
    >>> t = build_trace(lambda x: (x * w).sum(), [tg.Tensor([2.0], requires_grad=True)], "f")
    >>> t.source.splitlines()[0]
    'def f(x, w):'
"""

from __future__ import annotations

import functools
import weakref
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from tinygrad_nn.compile import tracing
from tinygrad_nn.compile.evaluate import Traced, function_graph
from tinygrad_nn.compile.graph import Graph
from tinygrad_nn.compile.literals import constant_definitions
from tinygrad_nn.compile.naming import Names, name_values
from tinygrad_nn.compile.step import StepPlan, check_events, step_graph
from tinygrad_nn.compile.writer import format_graph, write_source
from tinygrad_nn.dtypes import is_floating
from tinygrad_nn.errors import TracingError
from tinygrad_nn.graph_nodes import graph_nodes
from tinygrad_nn.namespace.array_api import array_namespace, compat, like, to_numpy
from tinygrad_nn.tensor import Tensor


@dataclass
class CompiledTrace:
    """One compiled signature: the generated function, its source, and what it reads."""

    function: Callable[..., Any]
    source: str
    captured: list[Tensor]  # outside tensors that require grad: read at every call
    wants_grad: list[bool]  # per explicit input: does the caller want its gradient
    kinds: list[str]  # per explicit input: "f" float, "d" dynamic integer (both arguments),
    # "i" other integer (its value is part of the trace: a constant)
    frozen: list[weakref.ref[Tensor]]  # outside tensors without grad: baked in as constants
    step: StepPlan | None = None  # a training step: what it reads and writes besides
    modes: list[tuple[Any, bool]] | None = None  # each module in scope, and its .training
    graph: Graph | None = None  # the intermediate form the source was written from
    names: Names | None = None  # and its names

    def __post_init__(self) -> None:
        self.captured_shapes = [t.array.shape for t in self.captured]
        # positions of the explicit inputs passed as arrays (the float ones and the
        # dynamic integer ones), and of those whose gradient the caller wants
        self.arguments = [i for i, kind in enumerate(self.kinds) if kind in "fd"]
        self.receivers = [i for i, wants in enumerate(self.wants_grad) if wants]

    def captured_still_fit(self) -> bool:
        """False if an outside tensor changed shape or requires_grad since the trace.

        Which outside tensors require grad is part of what was traced: a weight frozen
        later must stop receiving gradients, a constant made trainable must become an
        argument (read at every call) instead of its trace-time value.
        """
        for t, shape in zip(self.captured, self.captured_shapes):
            if not t.requires_grad or t.array.shape != shape:
                return False
        for ref in self.frozen:
            frozen = ref()
            if frozen is not None and frozen.requires_grad:
                return False
        for module, training in self.modes or ():
            if module.training != training:  # model.train() / model.eval() since the trace
                return False
        return self.step is None or self.step.still_fits()

    def printed_graph(self) -> str:
        """The graph, one ``name = op(args)`` line per value (see :mod:`.graph`)."""
        assert self.graph is not None and self.names is not None
        return format_graph(self.graph, self.names)


def generate(root: Tensor, names: dict[int, str], name: str = "forward_and_backward") -> str:
    """The straight-line NumPy for an existing graph (``names``: id(leaf) -> name).

    Examples:
        >>> import tinygrad_nn as tg
        >>> w = tg.Tensor([1.0, 2.0], requires_grad=True, name="w")
        >>> print(generate((w * w).sum(), {id(w): "w"}))
        def forward_and_backward(w):
            loss = (w * w).sum()
            # backward
            d_w = w + w
            return loss, (d_w,)
    """
    outside = dict(names)
    named_values = {}
    for node in graph_nodes(root):
        if id(node) in names and isinstance(node, Tensor):
            outside[id(node.array)] = names[id(node)]
        if node.parents and node.label:  # values the user named get their own line
            named_values[id(node)] = node.label
    graph, _ = function_graph(root, Traced([], [], named_values, outside, name), [])
    return write_source(graph, name_values(graph))


def build_trace(
    fn: Callable[..., Any], inputs: Sequence[Tensor], name: str, dynamic: Collection[int] = ()
) -> CompiledTrace:
    """Trace ``fn`` on ``inputs`` and write forward and backward as one NumPy function
    (see the module documentation for the checks).

    When the values live in another array library (a GPU), the tracing runs on NumPy
    copies of them, and the code is written with the standard's names through ``xp``
    (``xp.exp``, ``xp.sum(x, axis=0)``), to run on that library's arrays.
    """
    read = {id(t): t for t in [*inputs, *tracing.outside_tensors(fn)]}.values()  # each once
    on_device = [t for t in read if type(t.array) is not np.ndarray]
    if not on_device:
        return _build(fn, inputs, name, None, dynamic)
    device_values = [t.array for t in on_device]
    try:
        for t in on_device:
            t.array = to_numpy(t.array)
        return _build(fn, inputs, name, device_values[0], dynamic)
    finally:
        for t, data in zip(on_device, device_values):
            t.array = data


def _build(
    fn: Callable[..., Any],
    inputs: Sequence[Tensor],
    name: str,
    reference: Any,
    dynamic: Collection[int],
) -> CompiledTrace:
    """:func:`build_trace` on NumPy values; ``reference`` is an array of the library to
    write for (None: NumPy)."""
    wants_grad = [t.requires_grad for t in inputs]
    names = (tracing.argument_names(fn, len(inputs)), tracing.outside_names(fn))
    array_api = reference is not None
    dynamic = [i for i in dynamic if not is_floating(inputs[i].array)]
    write = functools.partial(
        _program, fn, wants_grad=wants_grad, names=names, name=name, dynamic=dynamic
    )
    buffers, settings, modes = (
        tracing.buffers(fn),
        tracing.optimizer_settings(fn),
        tracing.modes(fn),
    )
    kept = [b.array for b in buffers]
    try:
        root, leaves, written, (graph, graph_names) = write(
            [t.array for t in inputs], array_api=array_api
        )
    finally:
        changed_buffers = [b for b, data in zip(buffers, kept) if b.array is not data]
        for b, data in zip(buffers, kept):
            b.array = data  # the trace's updates are undone either way
    if changed_buffers:
        raise TracingError(
            f"compile: {name} updates module buffers as it runs (BatchNorm's running "
            "statistics), which the compiled code would not do on later calls. Compile "
            "it with the model in eval mode (model.eval()), or run these layers eagerly"
        )
    if any(group != {**saved, "params": group["params"]} for group, saved in settings):
        for group, saved in settings:
            group.update(saved)
        raise TracingError(
            f"compile: {name} changes an optimizer's settings as it runs (a learning-rate "
            "scheduler's step()), which the compiled code would not do on later calls. "
            "Call scheduler.step() outside the compiled function: a new learning rate "
            "then traces again"
        )
    source, constants, captured, plan = written
    changed = {id(t): t for t in [*captured, *tracing.trainable_outside(fn)]}.values()
    originals = [t.array for t in changed]
    try:  # the second trace, on other values
        for t in changed:
            t.array = _other_values(t.array)
        other = [_other_values(t.array) if is_floating(t.array) else t.array for t in inputs]
        again = write(other, array_api=array_api)[2]
    finally:
        for t, data in zip(changed, originals):
            t.array = data
    if again[0] != source or not _same_arrays(again[1], constants):
        raise TracingError(
            f"compile: {name} reads the values of tensors (e.g. through .data, .numpy() or "
            "a random draw) in a way that changes the code it traces: with other input "
            "values it wrote different code. Compute such values outside the compiled "
            "function and pass them in as inputs"
        )
    reordered = [_reordered(t.array) if i in dynamic else t.array for i, t in enumerate(inputs)]
    third = write(reordered, array_api=array_api)[2] if dynamic else (source, constants)
    if third[0] != source or not _same_arrays(third[1], constants):
        raise TracingError(
            f"compile: {name} reads the values of its dynamic integer inputs "
            f"({', '.join(names[0][i] for i in dynamic)}) on the host: with them reordered "
            "it wrote different code. Pass them only to ops that take them as inputs "
            "(cross_entropy, nll_loss), or leave them out of dynamic= (each new value then "
            "traces again)"
        )
    function = _executed(source, constants, name, reference)
    explicit = {id(t) for t in leaves}
    frozen = [
        weakref.ref(t)
        for t in graph_nodes(root)
        if isinstance(t, Tensor) and not t.requires_grad and id(t) not in explicit
    ]
    kinds = [
        "f" if is_floating(t.array) else "d" if i in dynamic else "i" for i, t in enumerate(inputs)
    ]
    printed = constant_definitions(constants) + source
    return CompiledTrace(
        function, printed, captured, wants_grad, kinds, frozen, plan, modes, graph, graph_names
    )


def _executed(
    source: str, constants: dict[str, Any], name: str, reference: Any
) -> Callable[..., Any]:
    """The function ``source`` defines, with its constants and helpers as its globals (for
    another array library: its standard namespace as ``xp``, and its device)."""
    xp = array_namespace([] if reference is None else [reference])
    namespace: dict[str, Any] = {
        "np": np,
        "sigmoid": xp.sigmoid,  # the engine's: no overflow warning at -1000
        "scatter_add": xp.scatter_add,
        "erf": xp.erf,
        "class_mask": xp.class_mask,
        **{key: like(value, reference) for key, value in constants.items()},
    }
    if reference is not None:  # the standard's namespace of the library, its extras, the device
        namespace.update(xp=compat().array_namespace(reference), einsum=xp.einsum)
        namespace["device"] = compat().device(reference)
    exec(compile(source, f"<tinygrad_nn.compile {name}>", "exec"), namespace)
    function: Callable[..., Any] = namespace[name]
    return function


def _program(
    fn: Callable[..., Any],
    arrays: Sequence[np.ndarray],
    wants_grad: Sequence[bool],
    names: tuple[list[str], dict[int, str]],
    name: str,
    array_api: bool,
    dynamic: Sequence[int] = (),
) -> tuple[
    Tensor,
    list[Tensor],
    tuple[str, dict[str, Any], list[Tensor], StepPlan | None],
    tuple[Graph, Names],
]:
    """Trace ``fn`` on ``arrays``, then evaluate, name and write: the root of its graph,
    its leaves, the program (source, constants, outside tensors read, the plan of a
    training step), and the graph with its names."""
    recorded = tracing.record(fn, arrays, dynamic)
    result, leaves, events = recorded.result, recorded.leaves, recorded.events
    parameters, outside = names
    traced = Traced(
        leaves, parameters, recorded.local_names, outside, name, array_api, recorded.dynamic
    )
    plan = None
    if events:  # it called backward(): a training step
        if any(wants_grad):
            raise TracingError(
                f"compile: {name} is a training step (it calls backward()), so its "
                "arguments are data and must not require grad; reach the parameters "
                "through the model or the optimizer instead"
            )
        root = check_events(events, name)
        graph, captured, plan = step_graph(result, root, events, traced)
    else:
        if not isinstance(result, Tensor) or result.size != 1:
            raise TracingError(
                f"compile: {name} must return a one-element Tensor (a loss), got "
                f"{type(result).__name__}{'' if not isinstance(result, Tensor) else result.shape}"
            )
        if not result.requires_grad:
            raise TracingError(
                f"compile: {name}'s result does not depend on any input or parameter that "
                "requires grad, so there is nothing to differentiate"
            )
        root = result
        graph, captured = function_graph(result, traced, wants_grad)
    graph_names = name_values(graph)
    source = write_source(graph, graph_names)
    written = (source, graph_names.literals.constants, captured, plan)
    return root, leaves, written, (graph, graph_names)


def _reordered(array: Any) -> np.ndarray:
    """The same integers in another order (the first axis reversed, then rolled by one):
    valid wherever the originals are, but code that read them would come out different."""
    host = to_numpy(array)
    if host.ndim == 0:
        return host
    return np.roll(host[::-1], 1, axis=0)


def _other_values(array: np.ndarray) -> np.ndarray:
    """Different values of the same shape and dtype (x -> 1.25 x + 0.375)."""
    return (array * 1.25 + 0.375).astype(array.dtype)


def _same_arrays(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)
