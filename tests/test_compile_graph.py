"""The compiler's intermediate form and its passes (issue 24, item 4): the printed graph,
each pass on its own, the writer reading the graph without changing it, and trace.py
only tracing."""

import contextlib
import io
from pathlib import Path

import numpy as np
import pytest

import tinygrad_nn as tg
from tinygrad_nn import optim, tutorial
from tinygrad_nn.backprop import node_of
from tinygrad_nn.compile import CompiledFunction, inplace, rewrites
from tinygrad_nn.compile.graph import Graph, Returned
from tinygrad_nn.compile.naming import MAX_INLINE_DEPTH, name_values, uses
from tinygrad_nn.compile.program import Program
from tinygrad_nn.compile.symbolic_xp import SymbolicNamespace
from tinygrad_nn.compile.tracing import record
from tinygrad_nn.compile.writer import format_graph, write_source

DOCS = Path(__file__).resolve().parent.parent / "docs"


def seed_step() -> CompiledFunction:
    W1, W2 = tutorial.seed_weights(*tutorial.initial_weights(0))
    step = tutorial.compiled_seed_step((W1, W2), optim.SGD([W1, W2], lr=1.0))
    step(tg.Tensor(tutorial.X))
    return step


# The printed graph


def test_the_graph_prints_one_line_per_value_forward_and_backward() -> None:
    @tg.compile
    def loss(x, w):
        h = (x @ w).tanh()
        return (h * h).sum()

    with pytest.raises(RuntimeError, match="loss has not been called yet, so it has no graph"):
        loss.graph  # noqa: B018
    loss(tg.Tensor(np.ones((2, 3))), tg.Tensor(np.full((3, 1), 0.1), requires_grad=True))
    assert str(loss.graph) == (
        "graph loss(x, w):\n"
        "    %1 = x @ w                      # (2, 1) float64\n"
        "    h = np.tanh(%1)                 # (2, 1) float64\n"
        "    mul_out = h * h                 # (2, 1) float64\n"
        "    loss = mul_out.sum()            # () float64\n"
        "    # backward\n"
        "    d_h = h + h                     # (2, 1) float64\n"
        "    %2 = 1 - mul_out                # (2, 1) float64\n"
        "    %3 = d_h * %2                   # (2, 1) float64\n"
        "    %4 = x.T                        # (3, 2) float64\n"
        "    d_w = %4 @ %3                   # (3, 1) float64\n"
        "    return loss, (d_w,)"
    )


def test_a_training_steps_graph_has_the_backward_and_the_update() -> None:
    printed = str(seed_step().graph).splitlines()
    assert printed[0] == "graph seed_step(X, W1, W2):"
    assert printed.index("    # backward") < printed.index("    # update")
    assert printed[-3:] == ["    W1 -= d_W1", "    W2 -= d_W2", "    return loss, (d_W1, d_W2), ()"]
    lines = [line for line in printed[1:] if " = " in line]
    assert len(lines) == len(seed_step().last.graph.nodes())  # one line per value


def test_the_docs_show_the_graph_the_code_prints() -> None:
    """docs/compile.md's listing of the tutorial step's graph is what its block prints."""
    from test_docs import python_blocks

    page = DOCS / "compile.md"
    text = page.read_text()
    blocks = python_blocks(page)
    index = next(i for i, block in enumerate(blocks) if "print(seed_step.graph)" in block)
    namespace: dict = {"__name__": "docs_compile"}
    for block in blocks[:index]:
        with contextlib.redirect_stdout(io.StringIO()):
            exec(compile(block, str(page), "exec"), namespace)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(blocks[index], str(page), "exec"), namespace)
    after = text[text.index("print(seed_step.graph)") :]
    shown = after[after.index("```text\n") + len("```text\n") :]
    assert printed.getvalue() == shown[: shown.index("```")]


# The writer and the naming pass read the graph and change nothing


def snapshot(graph: Graph) -> list:
    return [
        (s.template, s.name, s.weak, s.index, tuple(map(id, s.children)))
        for s in [*graph.arguments, *graph.nodes()]
    ]


def test_naming_and_writing_change_nothing_in_the_graph() -> None:
    entry = seed_step().last
    graph = entry.graph
    before, namer = snapshot(graph), set(graph.program.namer.taken)
    constants = dict(graph.literals.constants)
    names = name_values(graph)
    source = write_source(graph, names)
    assert source == write_source(graph, name_values(graph)) == entry.source.split("\n\n", 1)[1]
    assert format_graph(graph, names) == format_graph(graph, name_values(graph))
    assert snapshot(graph) == before
    assert graph.program.namer.taken == namer and graph.literals.constants == constants
    assert not hasattr(graph.nodes()[0], "uses")


def test_a_value_gets_a_line_when_shared_forced_or_deep() -> None:
    p = Program()
    x = p.argument("x", np.ones(2))
    xp = SymbolicNamespace(p)
    shared = xp.exp(x)
    deep = shared + shared
    for _ in range(MAX_INLINE_DEPTH + 1):
        deep = xp.tanh(deep)
    graph = Graph("f", p, [x], [Returned((deep,))], forced={id(deep)})
    assert uses(graph)[id(shared)] == 2
    names = name_values(graph)
    assert [names.of[id(s)] for s in names.lines] == ["t1", "t2", "t3"]
    source = write_source(graph, names)
    assert "t1 = np.exp(x)" in source and source.endswith("return t3")


def test_a_gradient_is_named_after_its_value() -> None:
    p = Program()
    x = p.argument("x", np.ones(2))
    h = x * x
    g = h * 3.0
    graph = Graph(
        "f", p, [x], [Returned((h,)), Returned((g,), grouped=True)],
        labels={id(h): "h"}, forced={id(h), id(g)}, gradient_of={id(g): h},
    )  # fmt: skip
    assert write_source(graph, name_values(graph)).splitlines()[1:] == [
        "    h = x * x",
        "    d_h = h * 3.0",
        "    return h, (d_h,)",
    ]


# The rewrite passes, one by one


@pytest.fixture
def p() -> Program:
    return Program()


def test_sharing_gives_the_node_made_before(p: Program) -> None:
    x = p.argument("x", np.ones(2))
    assert (x + x) is (x + x) and (x + x) is not (x * x)
    table: dict = {}
    first = rewrites.share(table, ("{0} + 1", 1), lambda: p.make("{0} + 1", (x,), x.value + 1))
    assert rewrites.share(table, ("{0} + 1", 1), lambda: pytest.fail("made twice")) is first


def test_folding_turns_expressions_of_constants_into_constants(p: Program) -> None:
    two, three = p.constant(2.0), p.constant(3.0)
    folded = rewrites.fold((two, three), np.asarray(6.0), p)
    assert folded is not None and folded.is_constant and folded.value == 6.0
    assert rewrites.fold((p.argument("x", np.ones(2)), three), np.ones(2), p) is None
    assert (two * three).is_constant and (two * three).value == 6.0
    mask = p.argument("m", np.array([True, False]))
    false = p.constant(np.asarray(False))
    anded = rewrites.fold_false_and("&", mask, false, np.zeros(2, bool), p)
    assert anded is not None and anded.is_constant


@pytest.mark.parametrize(
    "op, left, right, same",
    [("*", "x", 1, "x"), ("*", 1, "x", "x"), ("/", "x", 1, "x"), ("+", "x", 0, "x"),
     ("+", 0, "x", "x"), ("-", "x", 0, "x"), ("**", "x", 1, "x"), ("-", 0, "x", None),
     ("/", 1, "x", None), ("*", "x", 2, None)],
)  # fmt: skip
def test_identities_give_the_operand_itself(p: Program, op, left, right, same) -> None:
    x = p.argument("x", np.full(2, 3.0))
    a, b = (x if v == "x" else p.constant(float(v), weak=True) for v in (left, right))
    assert rewrites.identity(op, a, b) is (x if same else None)


def test_an_identity_that_would_change_shape_or_dtype_is_not_taken(p: Program) -> None:
    x = p.argument("x", np.ones(3, np.float32))
    assert (x * 1.0) is x  # a weak 1.0 keeps float32
    widened = x * p.constant(np.ones(3))  # float32 * float64 array: float64
    assert widened is not x and widened.dtype == np.float64
    grown = p.argument("y", np.ones(1)) * p.constant(np.ones(4))
    assert grown.shape == (4,)


def test_a_where_with_a_known_condition_is_its_branch(p: Program) -> None:
    a, b = p.argument("a", np.ones(2)), p.argument("b", np.zeros(2))
    yes = p.constant(np.array([True, True]))
    assert rewrites.known_branch((yes, a, b), np.ones(2), p) is a
    assert SymbolicNamespace(p).where(yes, a, b) is a
    mixed = p.constant(np.array([True, False]))
    assert rewrites.known_branch((mixed, a, b), np.ones(2), p) is None


def test_unchanged_reshapes_broadcasts_and_casts_are_the_value(p: Program) -> None:
    x = p.argument("x", np.ones((2, 3)))
    xp = SymbolicNamespace(p)
    assert xp.reshape(x, (2, 3)) is x and xp.broadcast_to(x, (2, 3)) is x
    assert xp.astype(x, np.float64) is x and xp.astype(x, np.float32) is not x
    assert rewrites.unchanged(x, np.ones((2, 3))) and not rewrites.unchanged(x, np.ones(6))


def test_dtype_handling_writes_weak_numbers_only_where_numpy_agrees(p: Program) -> None:
    x64, x32 = p.argument("x", np.ones(2)), p.argument("y", np.ones(2, np.float32))
    two = p.constant(2.0)  # a float64 0-d array
    assert rewrites.weaken(p, (x64, two), np.multiply)[0][1].weak
    (_, kept), value = rewrites.weaken(p, (x32, two), np.multiply)
    assert not kept.weak and value.dtype == np.float64
    source = write_source(*_named(p, [x32], x32 * two))
    assert "y * np.float64(2.0)" in source
    uniform = rewrites.uniform_as_scalar(p, p.constant(np.full(2, 5.0)), x64, (2,))
    assert uniform.shape == () and uniform.value == 5.0
    alone = p.constant(np.full(2, 5.0))  # it alone has the result's shape: kept
    assert rewrites.uniform_as_scalar(p, alone, p.argument("s", np.ones(())), (2,)) is alone


def _named(p: Program, arguments: list, out) -> tuple:
    graph = Graph("f", p, arguments, [Returned((out,))], forced={id(out)})
    return graph, name_values(graph)


# The in-place pass


def test_an_update_is_written_in_place(p: Program) -> None:
    w, g = p.argument("w", np.ones(2)), p.argument("d_w", np.ones(2))
    minus = inplace.update(w, w - 0.1 * g)
    assert (minus.operator, minus.amount.template) == ("-=", "{0} * {1}")
    other = inplace.update(w, w * 0.5)
    assert other.operator == "[...] =" and other.amount is other.new


def test_updates_that_read_a_parameter_changed_above_are_computed_first(p: Program) -> None:
    a, b = p.argument("a", np.ones(2)), p.argument("b", np.ones(2))
    updates = [inplace.update(a, a - b), inplace.update(b, b - a * 0.5)]  # b's reads a
    assert inplace.clashes(updates, {}) and not inplace.clashes(updates[::-1][:1], {})
    graph = Graph("f", p, [a, b], [Returned((), grouped=True)], updates=updates)
    names = name_values(graph)
    assert names.new_values == ["a_new", "b_new"]
    assert write_source(graph, names).splitlines()[1:] == [
        "    a_new = a - b",
        "    b_new = b - a * 0.5",
        "    a[...] = a_new",
        "    b[...] = b_new",
        "    return ()",
    ]


# Tracing only traces


def test_recording_a_training_step_notes_its_calls_and_runs_none_of_them() -> None:
    w = tg.Tensor([1.0, 2.0], requires_grad=True)
    opt = optim.SGD([w], lr=0.1)

    def step(x):
        opt.zero_grad()
        loss = (x * w).sum()
        loss.backward()
        opt.step()
        return loss

    recorded = record(step, [np.array([3.0, 4.0])])
    assert [event[0] for event in recorded.events] == ["zero_grad", "backward", "step"]
    assert recorded.local_names[id(node_of(recorded.result))] == "loss"
    assert w.grad is None and w.tolist() == [1.0, 2.0]  # nothing trained, nothing written
