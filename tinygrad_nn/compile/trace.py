"""Tracing: run the user's function once, recording its graph and the names it used.

Examples:
    >>> import tinygrad_nn as tg
    >>> w = tg.Tensor([1.0], requires_grad=True)
    >>> t = trace(lambda x: (x * w).sum(), [tg.Tensor([2.0], requires_grad=True)], "f")
    >>> t.source.splitlines()[0]
    'def f(x, w):'
"""

from __future__ import annotations

import inspect
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from tinygrad_nn.compile.source import write_program
from tinygrad_nn.errors import TracingError
from tinygrad_nn.grad_mode import enable_grad
from tinygrad_nn.namespace import numpy_xp
from tinygrad_nn.recording import state as recording
from tinygrad_nn.tensor import Tensor


@dataclass
class Trace:
    """One compiled signature: the generated function, its source, and what it reads."""

    function: Callable[..., Any]
    source: str
    captured: list[Tensor]  # outside tensors that require grad: read at every call
    wants_grad: list[bool]  # per explicit input: does the caller want its gradient
    kinds: list[str]  # per explicit input: its dtype kind ("f" float inputs are arguments)

    def __post_init__(self) -> None:
        self.captured_shapes = [t.data.shape for t in self.captured]
        # positions of the explicit inputs passed as arrays (the float ones), and of those
        # whose gradient the caller wants
        self.arguments = [i for i, kind in enumerate(self.kinds) if kind == "f"]
        self.receivers = [i for i, wants in enumerate(self.wants_grad) if wants]

    def captured_still_fit(self) -> bool:
        """False if an outside tensor changed shape since the trace."""
        return [t.data.shape for t in self.captured] == self.captured_shapes


def _outside_names(fn: Callable[..., Any]) -> dict[int, str]:
    """Names the function uses for outside objects: tensors, arrays, modules' parameters."""
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
    names: dict[int, str] = {}
    for name, value in scope.items():
        if isinstance(value, Tensor):
            names[id(value)] = name
            names.setdefault(id(value.data), name)
        elif isinstance(value, np.ndarray):
            names[id(value)] = name
        elif callable(getattr(value, "named_parameters", None)):  # a module, or alike
            for path, parameter in value.named_parameters():
                names[id(parameter)] = f"{name}_{path}"
    return names


def _call_recording_locals(
    fn: Callable[..., Any], args: Sequence[Tensor]
) -> tuple[Any, dict[int, str]]:
    """Call ``fn`` and note the local variable name of every tensor it held at return."""
    code = getattr(fn, "__code__", None)
    names: dict[int, str] = {}

    def profile(frame: Any, event: str, arg: Any) -> None:
        if event == "return" and frame.f_code is code:
            for name, value in frame.f_locals.items():
                if isinstance(value, Tensor):
                    names.setdefault(id(value), name)

    previous = sys.getprofile()
    sys.setprofile(profile)
    try:
        result = fn(*args)
    finally:
        sys.setprofile(previous)
    return result, names


def trace(fn: Callable[..., Any], inputs: Sequence[Tensor], name: str) -> Trace:
    """Run ``fn`` once, then write forward and backward as one NumPy function."""
    # Every float input is tracked (requires grad inside the trace) so that every op that
    # depends on it is recorded; the caller's gradients are only for those that asked.
    wants_grad = [t.requires_grad for t in inputs]
    leaves = [
        Tensor._wrap(t.data, t.dtype.kind == "f") if t.dtype.kind == "f" else Tensor._wrap(t.data)
        for t in inputs
    ]
    previous = recording.tracing
    recording.tracing = True
    try:
        with enable_grad():
            result, local_names = _call_recording_locals(fn, leaves)
    finally:
        recording.tracing = previous
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

    source, constants, captured = write_program(
        result,
        leaves,
        wants_grad,
        _argument_names(fn, len(inputs)),
        local_names,
        _outside_names(fn),
        name,
    )
    namespace: dict[str, Any] = {
        "np": np,
        "sigmoid": numpy_xp.sigmoid,  # the engine's: no overflow warning at -1000
        "scatter_add": numpy_xp.scatter_add,
        **constants,
    }
    exec(compile(source, f"<tinygrad_nn.compile {name}>", "exec"), namespace)
    return Trace(namespace[name], source, captured, wants_grad, [t.dtype.kind for t in inputs])


def _argument_names(fn: Callable[..., Any], count: int) -> list[str]:
    try:
        parameters = list(inspect.signature(fn).parameters)
    except (TypeError, ValueError):
        parameters = []
    return [parameters[i] if i < len(parameters) else f"x{i}" for i in range(count)]
