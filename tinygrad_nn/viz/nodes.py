"""The parts of a drawn graph: tensor nodes, op nodes, labelled edges, module-call clusters.

:func:`tinygrad_nn.viz.build_graph` fills a :class:`Graph` with them; every drawing (graphviz,
Mermaid, text) is rendered from that one description.

Examples:
    >>> Edge("x", "mul", "dz/dx = y").label
    'dz/dx = y'
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tinygrad_nn.node import Node
from tinygrad_nn.ops import Op

# A leaf that requires grad is a "parameter" when a module owns it, else a "leaf" (with
# grad): a tensor the user made to differentiate with respect to.
KINDS = ("parameter", "leaf", "input", "constant", "intermediate", "output")
KIND_LABELS = {"leaf": "leaf with grad"}  # how a kind is written in legends and text


@dataclass
class TensorNode:
    key: str  # unique, also the title shown: the tensor's name, or one made up
    node: Node  # the graph's node: a leaf tensor, or the op that made the value
    kind: str  # one of KINDS
    grad: np.ndarray | None = None
    cluster: tuple[Any, ...] = ()  # the module calls it belongs to, outermost first
    held: Any = None  # the tensor itself, when the caller holds it (a leaf is its own)
    array: Any = None  # its value, when known (held, or kept by an op for backward)
    missing: str = ""  # why there is no value (not kept, or freed by backward)

    @property
    def tensor(self) -> Any:
        """The tensor the caller holds (None for a computed value no one holds)."""
        return self.held


@dataclass
class OpNode:
    key: str
    op: Op | None  # None for a collapsed module's box
    output: str
    cluster: tuple[Any, ...] = ()
    title: str = ""


@dataclass
class Edge:
    source: str
    target: str
    label: str = ""


@dataclass
class Graph:
    """What :func:`build_graph` returns."""

    root: str
    tensors: dict[str, TensorNode] = field(default_factory=dict)
    ops: dict[str, OpNode] = field(default_factory=dict)
    edges: list[Edge] = field(default_factory=list)
    omitted: int = 0  # tensors left out to keep a huge graph drawable

    def op_inputs(self) -> dict[str, list[str]]:
        """Each op node's key -> the keys of the values it takes, in order."""
        inputs: dict[str, list[str]] = {}
        for edge in self.edges:
            if edge.target in self.ops:
                inputs.setdefault(edge.target, []).append(edge.source)
        return inputs

    def clusters(self) -> list[tuple[Any, ...]]:
        """Every module-call path that holds a node, parents before children."""
        paths: set[tuple[Any, ...]] = set()
        clusters = [n.cluster for n in self.tensors.values()]
        clusters += [n.cluster for n in self.ops.values()]
        for cluster in clusters:
            for depth in range(1, len(cluster) + 1):
                paths.add(cluster[:depth])
        return sorted(paths, key=len)


INFIX = {"add": "+", "sub": "-", "mul": "*", "div": "/", "matmul": "@", "pow": "**"}


def op_title(op: Op, inputs: list[str] | None) -> str:
    """What an op computes, with its inputs' names: ``x * y`` for an infix op, else
    ``name(inputs)``; number constants in their places, parameters after it.

    Examples:
        >>> from tinygrad_nn import ops
        >>> op_title(ops.Mul(), ["W", "x"]), op_title(ops.Sum(axis=1), ["h"])
        ('W * x', 'sum(h)  axis=1, keepdims=False')
    """
    names = input_labels(op, inputs or [])
    if op.name in INFIX and len(names) == 2:
        text = f"{names[0]} {INFIX[op.name]} {names[1]}"
    else:
        text = f"{op.name}({', '.join(names)})"
    params = shown_params(op)
    return text + ("  " + ", ".join(f"{k}={v}" for k, v in params.items()) if params else "")


def input_labels(op: Op, names: list[str]) -> list[str]:
    """``names`` of the op's tensor inputs, with its number inputs written in place (``2``).

    Examples:
        >>> import tinygrad_nn as tg
        >>> input_labels((tg.Tensor(1.0, requires_grad=True) * 2.0).op, ["x"])
        ['x', '2']
    """
    return [
        n if isinstance(n, str) else f"{n:g}" if isinstance(n, numbers.Real) else repr(n)
        for n in op.with_constants(names)
    ]


def shown_params(op: Op) -> dict[str, Any]:
    """The op's parameters worth writing beside it (not a mask or an index array)."""
    return {k: v for k, v in op.params.items() if k not in {"condition", "index"}}


def module_title(call: tuple[Any, int]) -> str:
    """``Linear(3->4)`` for a call of a Linear layer, else the module's class name."""
    module = call[0]
    if hasattr(module, "in_features") and hasattr(module, "out_features"):
        return f"{type(module).__name__}({module.in_features}->{module.out_features})"
    return type(module).__name__


__all__ = [
    "INFIX",
    "KINDS",
    "KIND_LABELS",
    "Edge",
    "Graph",
    "OpNode",
    "TensorNode",
    "input_labels",
    "module_title",
    "op_title",
    "shown_params",
]
