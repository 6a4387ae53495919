"""Tracing: run the user's function once, recording its graph and the names it used.

Examples:
    >>> import tinygrad_nn as tg
    >>> w = tg.Tensor([1.0], requires_grad=True)
    >>> t = trace(lambda x: (x * w).sum(), [tg.Tensor([2.0], requires_grad=True)], "f")
    >>> t.source.splitlines()[0]
    'def f(x, w):'
"""

from __future__ import annotations

import functools
import inspect
import sys
import types
import weakref
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from tinygrad_nn.backprop import graph_nodes, node_of
from tinygrad_nn.compile.literals import constant_definitions
from tinygrad_nn.compile.source import Traced, write_program
from tinygrad_nn.compile.step import StepPlan, check_events, write_step
from tinygrad_nn.dtypes import is_floating
from tinygrad_nn.errors import TracingError
from tinygrad_nn.grad_mode import enable_grad
from tinygrad_nn.namespace.array_api import array_namespace, compat, like, to_numpy
from tinygrad_nn.recording import state as recording
from tinygrad_nn.tensor import Tensor


@dataclass
class Trace:
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


# Classes, modules and functions are code, not values: the trace runs them as they are, and
# a class's unbound methods (nn.Linear.named_parameters) must not be taken for a model's.
CODE = (type, types.ModuleType, types.FunctionType, types.BuiltinFunctionType, types.MethodType)


def _scope(fn: Callable[..., Any]) -> dict[str, Any]:
    """The outside values ``fn`` refers to by name (its globals and closure variables),
    leaving out the code it refers to: classes, modules, functions."""
    code = getattr(fn, "__code__", None)
    if code is None:
        return {}
    scope: dict[str, Any] = {}
    module_globals: dict[str, Any] = getattr(fn, "__globals__", {})
    for name in code.co_names:
        if name in module_globals:
            scope[name] = module_globals[name]
    for name, cell in zip(code.co_freevars, getattr(fn, "__closure__", None) or ()):
        try:
            scope[name] = cell.cell_contents
        except ValueError:  # an empty cell
            continue
    return {name: value for name, value in scope.items() if not isinstance(value, CODE)}


def _outside_names(fn: Callable[..., Any]) -> dict[int, str]:
    """Names the function uses for outside objects: tensors, arrays, modules' parameters."""
    names: dict[int, str] = {}
    for name, value in _scope(fn).items():
        if isinstance(value, Tensor):
            names[id(value)] = name
            names.setdefault(id(value.array), name)
        elif isinstance(value, np.ndarray):
            names[id(value)] = name
        elif callable(getattr(value, "named_parameters", None)):  # a module, or alike
            for path, parameter in value.named_parameters():
                names[id(parameter)] = f"{name}_{path}"
    return names


def _outside_tensors(fn: Callable[..., Any]) -> list[Tensor]:
    """The outside tensors ``fn`` refers to (a module's parameters too)."""
    found = []
    for value in _scope(fn).values():
        if isinstance(value, Tensor):
            found.append(value)
        elif callable(getattr(value, "named_parameters", None)):
            found += [parameter for _, parameter in value.named_parameters()]
    return found


def _buffers(fn: Callable[..., Any]) -> list[Tensor]:
    """The buffers of the modules ``fn`` refers to (BatchNorm's running statistics)."""
    return [
        buffer
        for value in _scope(fn).values()
        if callable(getattr(value, "named_buffers", None))
        for _, buffer in value.named_buffers()
    ]


def _modes(fn: Callable[..., Any]) -> list[tuple[Any, bool]]:
    """Every module ``fn`` refers to (and those inside them), with its training mode."""
    return [
        (module, module.training)
        for value in _scope(fn).values()
        if callable(getattr(value, "named_modules", None))
        for _, module in value.named_modules()
    ]


def _settings(fn: Callable[..., Any]) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """Each parameter group of the optimizers ``fn`` refers to, and a copy of its
    settings (a learning rate...)."""
    return [
        (group, {key: value for key, value in group.items() if key != "params"})
        for value in _scope(fn).values()
        if isinstance(getattr(value, "param_groups", None), list)
        for group in value.param_groups
    ]


def _trainable_outside(fn: Callable[..., Any]) -> list[Tensor]:
    """The outside tensors ``fn`` refers to that require grad."""
    return [t for t in _outside_tensors(fn) if t.requires_grad and is_floating(t.array)]


def _call_recording_locals(
    fn: Callable[..., Any], args: Sequence[Tensor]
) -> tuple[Any, dict[int, str]]:
    """Call ``fn`` and note the local variable name of every tensor it held at return."""
    code = getattr(fn, "__code__", None)
    names: dict[int, str] = {}

    def profile(frame: Any, event: str, arg: Any) -> None:
        if event == "return" and frame.f_code is code:
            for name, value in frame.f_locals.items():
                if isinstance(value, Tensor):  # by graph node: a leaf, or the op
                    names.setdefault(id(node_of(value)), name)

    previous = sys.getprofile()
    sys.setprofile(profile)
    try:
        result = fn(*args)
    finally:
        sys.setprofile(previous)
    return result, names


def trace(
    fn: Callable[..., Any], inputs: Sequence[Tensor], name: str, dynamic: Collection[int] = ()
) -> Trace:
    """Run ``fn`` once, then write forward and backward as one NumPy function.

    The function is then traced a second time with every float value it reads changed
    (its float inputs and the outside tensors that require grad). The code must come out
    the same: if it does not, the function used a value (``x.data.sum()``, a random
    draw) to decide something that the code would freeze, and :class:`TracingError` says so.

    When the values live in another array library (a GPU), the tracing runs on NumPy
    copies of them, and the code is written with the standard's names through ``xp``
    (``xp.exp``, ``xp.sum(x, axis=0)``), to run on that library's arrays.

    Integer inputs at the positions in ``dynamic`` are arguments of the code; a third
    trace, with their values reordered, must write the same code, or they were read on
    the host and :class:`TracingError` says so.
    """
    read = {id(t): t for t in [*inputs, *_outside_tensors(fn)]}.values()  # each once
    on_device = [t for t in read if type(t.array) is not np.ndarray]
    if not on_device:
        return _trace(fn, inputs, name, None, dynamic)
    device_values = [t.array for t in on_device]
    try:
        for t in on_device:
            t.array = to_numpy(t.array)
        return _trace(fn, inputs, name, device_values[0], dynamic)
    finally:
        for t, data in zip(on_device, device_values):
            t.array = data


def _trace(
    fn: Callable[..., Any],
    inputs: Sequence[Tensor],
    name: str,
    reference: Any,
    dynamic: Collection[int],
) -> Trace:
    """:func:`trace` on NumPy values; ``reference`` is an array of the library to write for
    (None: NumPy)."""
    wants_grad = [t.requires_grad for t in inputs]
    names = (_argument_names(fn, len(inputs)), _outside_names(fn))
    array_api = reference is not None
    dynamic = [i for i in dynamic if not is_floating(inputs[i].array)]
    write = functools.partial(
        _write, fn, wants_grad=wants_grad, names=names, name=name, dynamic=dynamic
    )
    buffers, settings, modes = _buffers(fn), _settings(fn), _modes(fn)
    kept = [b.array for b in buffers]
    try:
        root, leaves, written = write([t.array for t in inputs], array_api=array_api)
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
    changed = {id(t): t for t in [*captured, *_trainable_outside(fn)]}.values()
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
    xp = array_namespace([reference] if array_api else [])
    namespace: dict[str, Any] = {
        "np": np,
        "sigmoid": xp.sigmoid,  # the engine's: no overflow warning at -1000
        "scatter_add": xp.scatter_add,
        "erf": xp.erf,
        "class_mask": xp.class_mask,
        **{key: like(value, reference) for key, value in constants.items()},
    }
    if array_api:  # the standard's namespace of the library, its extras, and the device
        namespace.update(xp=compat().array_namespace(reference), einsum=xp.einsum)
        namespace["device"] = compat().device(reference)
    exec(compile(source, f"<tinygrad_nn.compile {name}>", "exec"), namespace)
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
    return Trace(namespace[name], printed, captured, wants_grad, kinds, frozen, plan, modes)


def _write(
    fn: Callable[..., Any],
    arrays: Sequence[np.ndarray],
    wants_grad: Sequence[bool],
    names: tuple[list[str], dict[int, str]],
    name: str,
    array_api: bool,
    dynamic: Sequence[int] = (),
) -> tuple[Tensor, list[Tensor], tuple[str, dict[str, Any], list[Tensor], StepPlan | None]]:
    """Run ``fn`` on ``arrays`` while recording; the root of its graph, its leaves and the
    program: (source, constants, outside tensors read, the plan of a training step)."""
    # Every float input is tracked (requires grad inside the trace) so that every op that
    # depends on it is recorded; the caller's gradients are only for those that asked.
    leaves = [Tensor._wrap(a, a.dtype.kind == "f") for a in map(to_numpy, arrays)]
    arguments = {id(leaves[i]) for i in dynamic}
    previous = recording.tracing, recording.events
    recording.tracing, recording.events = True, []
    try:
        with enable_grad():
            result, local_names = _call_recording_locals(fn, leaves)
        events = recording.events
    finally:
        recording.tracing, recording.events = previous
    parameters, outside = names
    traced = Traced(leaves, parameters, local_names, outside, name, array_api, arguments)
    if events:  # it called backward(): a training step
        if any(wants_grad):
            raise TracingError(
                f"compile: {name} is a training step (it calls backward()), so its "
                "arguments are data and must not require grad; reach the parameters "
                "through the model or the optimizer instead"
            )
        root = check_events(events, name)
        return root, leaves, write_step(result, root, events, traced)
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
    return result, leaves, (*write_program(result, traced, wants_grad), None)


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


def parameter_names(fn: Callable[..., Any]) -> list[str]:
    """The names of ``fn``'s parameters (none known for a builtin)."""
    try:
        return list(inspect.signature(fn).parameters)
    except (TypeError, ValueError):
        return []


def _argument_names(fn: Callable[..., Any], count: int) -> list[str]:
    parameters = parameter_names(fn)
    return [parameters[i] if i < len(parameters) else f"x{i}" for i in range(count)]
