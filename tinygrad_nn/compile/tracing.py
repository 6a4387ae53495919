"""Tracing, the compiler's first pass: run the user's function once, recording its graph.

:func:`record` runs the function on fresh leaves while the engine notes every op (and,
for a training step, the ``zero_grad()``, ``backward()`` and ``optimizer.step()`` calls
instead of running them), and the names the function gave its tensors. The helpers
below it read what the function refers to from outside, by name: tensors, modules'
parameters, buffers and modes, optimizers' settings. Nothing here writes code: that is
:mod:`~tinygrad_nn.compile.pipeline`'s job, which calls this.

Examples:
    >>> import numpy as np
    >>> import tinygrad_nn as tg
    >>> w = tg.Tensor([1.0], requires_grad=True)
    >>> def f(x):
    ...     h = x * w
    ...     return h.sum()
    >>> recorded = record(f, [np.array([2.0])])
    >>> recorded.result, sorted(recorded.local_names.values()), recorded.events
    (Tensor(2., op=sum), ['h', 'x'], [])
"""

from __future__ import annotations

import inspect
import sys
import types
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from tinygrad_nn.backprop import node_of
from tinygrad_nn.dtypes import is_floating
from tinygrad_nn.grad_mode import enable_grad
from tinygrad_nn.namespace.array_api import to_numpy
from tinygrad_nn.recording import noting_events
from tinygrad_nn.tensor import Tensor


@dataclass
class Recording:
    """One run of the function: what it returned, its leaves (one per input), the
    training calls it made (empty unless it is a training step), the names it gave its
    tensors (id of a graph node -> name) and the ids of the leaves that are dynamic."""

    result: Any
    leaves: list[Tensor]
    events: list[tuple[Any, ...]]
    local_names: dict[int, str]
    dynamic: set[int]


def record(
    fn: Callable[..., Any], arrays: Sequence[Any], dynamic: Collection[int] = ()
) -> Recording:
    """Run ``fn`` on ``arrays`` while recording (``dynamic``: positions of integer inputs
    that are arguments of the code)."""
    # Every float input is tracked (requires grad inside the trace) so that every op that
    # depends on it is recorded; the caller's gradients are only for those that asked.
    leaves = [Tensor._wrap(a, a.dtype.kind == "f") for a in map(to_numpy, arrays)]
    with noting_events(tracing=True) as events, enable_grad():
        result, local_names = _call_recording_locals(fn, leaves)
    return Recording(result, leaves, events, local_names, {id(leaves[i]) for i in dynamic})


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


def outside_names(fn: Callable[..., Any]) -> dict[int, str]:
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


def outside_tensors(fn: Callable[..., Any]) -> list[Tensor]:
    """The outside tensors ``fn`` refers to (a module's parameters too)."""
    found = []
    for value in _scope(fn).values():
        if isinstance(value, Tensor):
            found.append(value)
        elif callable(getattr(value, "named_parameters", None)):
            found += [parameter for _, parameter in value.named_parameters()]
    return found


def buffers(fn: Callable[..., Any]) -> list[Tensor]:
    """The buffers of the modules ``fn`` refers to (BatchNorm's running statistics)."""
    return [
        buffer
        for value in _scope(fn).values()
        if callable(getattr(value, "named_buffers", None))
        for _, buffer in value.named_buffers()
    ]


def modes(fn: Callable[..., Any]) -> list[tuple[Any, bool]]:
    """Every module ``fn`` refers to (and those inside them), with its training mode."""
    return [
        (module, module.training)
        for value in _scope(fn).values()
        if callable(getattr(value, "named_modules", None))
        for _, module in value.named_modules()
    ]


def optimizer_settings(fn: Callable[..., Any]) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """Each parameter group of the optimizers ``fn`` refers to, and a copy of its
    settings (a learning rate...)."""
    return [
        (group, {key: value for key, value in group.items() if key != "params"})
        for value in _scope(fn).values()
        if isinstance(getattr(value, "param_groups", None), list)
        for group in value.param_groups
    ]


def trainable_outside(fn: Callable[..., Any]) -> list[Tensor]:
    """The outside tensors ``fn`` refers to that require grad."""
    return [t for t in outside_tensors(fn) if t.requires_grad and is_floating(t.array)]


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


def parameter_names(fn: Callable[..., Any]) -> list[str]:
    """The names of ``fn``'s parameters (none known for a builtin)."""
    try:
        return list(inspect.signature(fn).parameters)
    except (TypeError, ValueError):
        return []


def argument_names(fn: Callable[..., Any], count: int) -> list[str]:
    """A name for each of ``count`` inputs: the parameter's, else ``x0``, ``x1``..."""
    parameters = parameter_names(fn)
    return [parameters[i] if i < len(parameters) else f"x{i}" for i in range(count)]
