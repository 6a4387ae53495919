"""Compiling a whole training step: ``backward()`` and ``optimizer.step()`` in the code.

A function that calls ``loss.backward()`` while :func:`~tinygrad_nn.compile` traces it
is a training step. The trace notes the training calls instead of running them
(``zero_grad()``, ``backward()``, ``optimizer.step()``, in order, see
:mod:`tinygrad_nn.recording`); :func:`step_graph` then plays them into the graph: the forward,
the backward (the engine's own loop over the rules, symbolically), and for every
parameter the optimizer's own ``update`` rule interpreted with symbolic values. The
update rules are written once, against ``xp``: eagerly they compute, here they write
code. Parameters are updated in place (``W1 -= d_W1``); the new gradients and optimizer
state are returned, and the :class:`StepPlan` stores them, so each call leaves the
parameters, their ``.grad`` and the optimizer's state exactly as eager mode would.

Examples:
    >>> import tinygrad_nn as tg
    >>> from tinygrad_nn import optim
    >>> w = tg.Tensor([1.0, 2.0], requires_grad=True)
    >>> opt = optim.SGD([w], lr=0.1)
    >>> @tg.compile
    ... def train_step(x):
    ...     opt.zero_grad()
    ...     loss = (x * w * w).sum()
    ...     loss.backward()
    ...     opt.step()
    ...     return loss
    >>> train_step(tg.Tensor([1.0, 0.5]))
    Tensor(3.)
    >>> w, w.grad
    (Tensor([0.8, 1.8], requires_grad=True), Tensor([2., 2.]))
    >>> print(train_step.source)
    def train_step(x, w):
        mul_out = x * w
        loss = (mul_out * w).sum()
        # backward
        d_w = mul_out + w * x
        # update
        w -= 0.1 * d_w
        return loss, (d_w,), ()
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from tinygrad_nn.backprop import node_of
from tinygrad_nn.compile import inplace
from tinygrad_nn.compile.evaluate import Evaluation, Traced
from tinygrad_nn.compile.graph import Graph, Returned
from tinygrad_nn.compile.values import Sym
from tinygrad_nn.dtypes import dtype_name
from tinygrad_nn.errors import TracingError
from tinygrad_nn.namespace.array_api import array_namespace, like, to_numpy
from tinygrad_nn.tensor import Tensor
from tinygrad_nn.tensor_grad import seed_error

NUMBERS = (int, float)  # optimizer state kept as Python numbers (Adam's step count)


class StepPlan:
    """What a compiled training step reads and writes besides its inputs, and when its
    code still fits (the optimizers' settings, which gradients it read, state layouts).

    ``readers`` give the step's extra arguments at each call, in order: incoming
    ``.grad`` values, parameters outside the graph, optimizer state. :meth:`finish`
    stores what the code returned.
    """

    def __init__(self, optimizers: Sequence[Any]) -> None:
        self.optimizers = list(optimizers)
        self.settings = _settings(self.optimizers)
        self.readers: list[Callable[[], Any]] = []
        self.had_grad: dict[Tensor, bool] = {}  # whether .grad was set, for each one read
        self.layouts: list[tuple[Any, Tensor, tuple[Any, ...]]] = []  # optimizer, param, layout
        self.grad_outputs: list[Tensor] = []  # .grad = the code's next gradient
        self.cleared: list[Tensor] = []  # .grad = None (zero_grad() after backward)
        # per stepped parameter: its optimizer, itself, and its next state, where each
        # value is ("output", position, Python number type or None), ("keep",) or
        # ("value", v): a value known when tracing (the first step's count, 1)
        self.states: list[tuple[Any, Tensor, dict[str, tuple[Any, ...]]]] = []

    def still_fits(self) -> bool:
        """False when the code no longer applies: a setting (``lr``) changed, a gradient
        it reads appeared or disappeared, or the optimizer state changed layout."""
        if _settings(self.optimizers) != self.settings:
            return False
        for t, had in self.had_grad.items():
            if (t._grad is not None) != had:  # the slot: per call, no property
                return False
        for optimizer, param, layout in self.layouts:
            if _layout(optimizer.state[param]) != layout:
                return False
        return True

    def arguments(self) -> list[Any]:
        return [read() for read in self.readers]

    def finish(self, grads: Sequence[Any], states: Sequence[Any]) -> None:
        """Store the gradients and optimizer state the code returned, each owning its array."""
        handed_out: set[int] = set()

        def own(array: Any) -> Any:
            if id(array) in handed_out:  # the same array twice (a first momentum buffer)
                array = array_namespace([array]).astype(array, array.dtype)  # a copy
            handed_out.add(id(array))
            return array

        for t in self.cleared:  # the slot, as backward() writes it
            t._grad = None
        for t, g in zip(self.grad_outputs, grads):
            t._grad = Tensor._wrap(own(g))
        for optimizer, param, template in self.states:
            old = optimizer.state[param]
            new: dict[str, Any] = {}
            for key, (kind, *about) in template.items():
                if kind == "keep":
                    new[key] = old[key]
                elif kind == "value":
                    new[key] = about[0]
                else:
                    value = states[about[0]]
                    new[key] = about[1](value) if about[1] is not None else own(value)
            old.clear()  # the same dict, as eager steps update it
            old.update(new)


def _settings(optimizers: Sequence[Any]) -> list[Any]:
    """Every group's settings (and how many parameters it has): the code depends on them."""
    return [
        [len(v) if k == "params" else v for k, v in group.items()]
        for optimizer in optimizers
        for group in optimizer.param_groups
    ]


def _layout(state: dict[str, Any]) -> tuple[Any, ...]:
    """What the code assumed about one parameter's state: keys, array shapes and dtypes."""
    return tuple(
        (key, tuple(value.shape), str(value.dtype))
        if hasattr(value, "shape")
        else (key, type(value).__name__ if isinstance(value, NUMBERS) else repr(value))
        for key, value in state.items()
    )


def check_events(events: Sequence[tuple[Any, ...]], name: str) -> Tensor:
    """The one ``backward()`` root of a training step, after checking the calls' order."""
    backwards = [event for event in events if event[0] == "backward"]
    if len(backwards) != 1:
        raise TracingError(
            f"compile: {name} calls backward() {len(backwards)} times; a compiled training "
            "step calls it exactly once (optimizer.step() needs a backward() before it)"
        )
    _, root, grad, create_graph, _ = backwards[0]
    if grad is not None or create_graph:
        raise TracingError(
            f"compile: {name} calls backward() with a gradient or create_graph=True; a "
            "compiled training step supports loss.backward() on a one-element loss"
        )
    if not root.requires_grad or root.size != 1:
        raise seed_error(root, None, 0)
    return root


def step_graph(
    result: Any, root: Tensor, events: Sequence[tuple[Any, ...]], traced: Traced
) -> tuple[Graph, list[Tensor], StepPlan]:
    """The graph of a traced training step: forward, backward, updates. Returns it, the
    graph's trainable leaves (arguments read at every call) and the plan.
    ``root`` is the tensor ``backward()`` was called on (see :func:`check_events`)."""
    name = traced.name
    if result is not None and not (isinstance(result, Tensor) and result.requires_grad):
        raise TracingError(
            f"compile: {name} is a training step (it calls backward()), so it may return "
            "None or a Tensor computed in it (the loss), not "
            f"{type(result).__name__}{' without a graph' if isinstance(result, Tensor) else ''}"
        )
    roots = [root] if result is None or result is root else [root, result]
    evaluation = Evaluation(roots, traced)
    optimizers = list({id(e[1]): e[1] for e in events if e[0] == "step"}.values())
    plan = StepPlan(optimizers)
    steps = [e[-1] for e in events if e[0] == "step"]
    late = [node for node in evaluation.nodes if steps and node._seq > min(steps)]
    if late:
        raise TracingError(
            f"compile: {name} computes with tensors after optimizer.step() (op "
            f"{late[0].name}); a compiled training step ends "
            "with the step: compute the next loss in the next call"
        )
    writing = _StepWriter(evaluation, plan, name)
    for event in events:
        if event[0] == "zero_grad":
            for t in event[1]:
                writing.present[t] = None
        elif event[0] == "backward":
            writing.backward(root)
        else:
            writing.step(event[1])
    return writing.graph_of_step(result, traced.local_names)


class _StepWriter:
    """The events of one training step, played on an :class:`Evaluation`."""

    def __init__(self, evaluation: Evaluation, plan: StepPlan, name: str) -> None:
        self.evaluation, self.plan, self.name = evaluation, plan, name
        self.present: dict[Tensor, Sym | None] = {}  # each tensor's .grad, as the code has it
        self.incoming: dict[Tensor, Sym] = {}  # .grad values the code takes as arguments
        self.updates: list[tuple[Sym, Sym]] = []  # (parameter, its new value)
        self.state_outputs: list[tuple[Sym, str]] = []
        self.update_from: int | None = None
        self.arguments = {id(a) for a in evaluation.arguments}

    def extra(self, label: str, value: Any, reader: Callable[[], Any]) -> Sym:
        """A new argument read by ``reader`` at every call."""
        self.plan.readers.append(reader)
        sym = self.evaluation.argument(label, value)
        self.arguments.add(id(sym))
        return sym

    def grad(self, t: Tensor) -> Sym | None:
        """``t.grad`` as the code has it now: from this step, or an argument."""
        if t in self.present:
            return self.present[t]
        self.plan.had_grad[t] = t.grad is not None
        sym = None
        if t.grad is not None:
            label = f"{self.label(t)}_grad"
            sym = self.extra(label, to_numpy(t.grad.array), _reader(t, "grad"))
            self.incoming[t] = sym
        self.present[t] = sym
        return sym

    def label(self, t: Tensor) -> str:
        sym = self.evaluation.sym_of.get(t)
        return sym.name if sym is not None and sym.name else self.evaluation.label_of_leaf(t)

    def backward(self, root: Tensor) -> None:
        wanted = self.evaluation.captured
        xp = self.evaluation.interpreter.xp
        for t, g in zip(wanted, self.evaluation.backward(root, wanted)):
            if g is not None:
                g = xp.astype(g, t.array.dtype)  # as backward() stores it: in t's dtype
                old = self.grad(t)
                self.present[t] = g if old is None else old + g

    def step(self, optimizer: Any) -> None:
        """The optimizer's rule for each of its parameters that has a gradient."""
        if self.update_from is None:
            self.update_from = next(self.evaluation.program.created)
        xp = self.evaluation.interpreter.xp
        for group in optimizer.param_groups:
            for p in group["params"]:
                g = self.grad(p)
                if g is None:
                    continue
                param = self.evaluation.sym_of.get(p)
                if param is None:  # outside the graph, with a gradient from before
                    param = self.extra(self.label(p), to_numpy(p.array), _reader(p, "data"))
                    self.evaluation.sym_of[p] = param
                if any(old is param for old, _ in self.updates):
                    raise TracingError(
                        f"compile: {self.name} updates a parameter twice in one step "
                        "(two optimizers, or two step() calls, over it)"
                    )
                state = optimizer.state[p]
                self.plan.layouts.append((optimizer, p, _layout(state)))
                inputs = {k: self.state_input(optimizer, p, k, v) for k, v in state.items()}
                symbolic = dict(inputs)
                self.updates.append((param, optimizer.update(xp, param, g, symbolic, group)))
                template: dict[str, tuple[Any, ...]] = {}
                for key, value in symbolic.items():
                    if not isinstance(value, Sym):
                        template[key] = ("value", value)
                    elif value is inputs.get(key):
                        template[key] = ("keep",)
                    else:
                        kind = type(state[key]) if isinstance(state.get(key), NUMBERS) else None
                        template[key] = ("output", len(self.state_outputs), kind)
                        label = f"{self.label(p)}_{key}_new"
                        self.state_outputs.append((self.owned(value), label))
                if template:  # nothing to store for a rule that keeps no state (plain SGD)
                    self.plan.states.append((optimizer, p, template))

    def state_input(self, optimizer: Any, p: Tensor, key: str, value: Any) -> Any:
        """A state value as the rule sees it: arrays and numbers are arguments (a number
        as a 0-d array of the parameter's dtype: the standard allows ``0.9 ** t`` only
        for a floating ``t``; Adam's step count stays exact up to 2**53 steps in float64,
        2**24 in float32)."""
        label = f"{self.label(p)}_{key}"
        if hasattr(value, "shape"):
            return self.extra(label, to_numpy(value), _state_reader(optimizer, p, key))
        if isinstance(value, NUMBERS) and not isinstance(value, bool):
            number = np.asarray(value, dtype_name(p.array))
            return self.extra(label, number, _state_reader(optimizer, p, key))
        return value

    def owned(self, sym: Sym) -> Sym:
        """``sym``, or a copy of it when it is an argument (which the caller owns, and
        which the in-place updates may change)."""
        if id(sym) not in self.arguments:
            return sym
        program = self.evaluation.program
        template = "xp.asarray({0}, copy=True)" if program.array_api else "{0}.copy()"
        return program.make(template, (sym,), sym.value.copy())

    def graph_of_step(
        self, result: Tensor | None, local_names: dict[int, str]
    ) -> tuple[Graph, list[Tensor], StepPlan]:
        evaluation, plan = self.evaluation, self.plan
        outputs: dict[int, str] = {}
        loss = None
        if result is not None:
            loss = self.owned(evaluation.sym_of[node_of(result)])
            outputs[id(loss)] = local_names.get(id(node_of(result)), "loss")
        grads = []
        for t, g in self.present.items():
            if g is None:
                plan.cleared.append(t)
            elif g is not self.incoming.get(t):
                plan.grad_outputs.append(t)
                grads.append(self.owned(g))
                outputs.setdefault(id(grads[-1]), "d_" + self.label(t))
        for sym, label in self.state_outputs:
            outputs.setdefault(id(sym), label)
        states = tuple(sym for sym, _ in self.state_outputs)
        returns = [
            Returned((loss,)),
            Returned(tuple(grads), grouped=True, fresh=True),
            Returned(states, grouped=True),
        ]
        step = evaluation.graph(self.name, returns, local_names, outputs)
        if self.update_from is not None:
            step.sections.append((self.update_from, "# update"))
        step.updates = [
            inplace.update(param, new) for param, new in self.updates if new is not param
        ]
        return step, evaluation.captured, plan


def _reader(t: Tensor, what: str) -> Callable[[], Any]:
    """Reads ``t.array`` or ``t.grad.array`` at each call (the slots: no property)."""

    def read() -> Any:
        return t.array if what == "data" or t._grad is None else t._grad.array

    return read


def _state_reader(optimizer: Any, p: Tensor, key: str) -> Callable[[], Any]:
    """Reads one state value at each call, as the array the parameter's library uses."""

    def read() -> Any:
        value = optimizer.state[p][key]
        if not hasattr(value, "shape"):
            return like(np.asarray(value, dtype_name(p.array)), p.array)
        return value if type(value) is type(p.array) else like(to_numpy(value), p.array)

    return read
