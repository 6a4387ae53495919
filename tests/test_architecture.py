"""The engine a learner reads in one sitting (issue 24): three files, at most 600 lines,
nothing but the engine in them, listed with their line counts in docs/architecture.md."""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENGINE = ("tinygrad_nn/node.py", "tinygrad_nn/tensor.py", "tinygrad_nn/backprop.py")
PAGE = ROOT / "docs" / "architecture.md"
# What attaches through tinygrad_nn/hooks.py instead of living in the engine.
OUTSIDE = ("compile", "viz", "anomaly", "foreign", "recording", "namespace.array_api")


def line_counts() -> dict[str, int]:
    return {name: len((ROOT / name).read_text().splitlines()) for name in ENGINE}


def test_the_engine_is_three_files_of_at_most_600_lines() -> None:
    counts = line_counts()
    for name, lines in counts.items():
        print(f"{name:28} {lines:4}")
    print(f"{'total':28} {sum(counts.values()):4}")
    assert len(counts) <= 3 and sum(counts.values()) <= 600


def test_the_engine_imports_nothing_that_attaches_from_outside() -> None:
    for name in ENGINE:
        tree = ast.parse((ROOT / name).read_text())
        imported = [
            node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
        ] + [
            alias.name
            for node in ast.walk(tree)
            if isinstance(node, ast.Import)
            for alias in node.names
        ]
        for module in imported:
            assert not any(
                module == f"tinygrad_nn.{o}" or module.startswith(f"tinygrad_nn.{o}.")
                for o in OUTSIDE
            ), (name, module)
        text = (ROOT / name).read_text()
        assert "isinstance(parent, Op)" not in text and "Node = Any" not in text


def test_the_docs_list_the_engine_files_with_their_line_counts() -> None:
    page = PAGE.read_text()
    table = page.split("<!-- engine-files")[1].split("<!-- /engine-files -->")[0]
    listed = dict(re.findall(r"\| `(tinygrad_nn/[\w/]+\.py)` \| (\d+) \|", table))
    counts = line_counts()
    assert list(listed) == list(ENGINE), "docs/architecture.md: the engine's files, in order"
    assert {k: int(v) for k, v in listed.items()} == counts, (
        f"docs/architecture.md 'Read the engine': the line counts are now {counts}"
    )
    assert f"**{sum(counts.values())}**" in table


NUMBERS = ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"]


def test_the_docs_give_the_number_of_xp_extras_the_code_declares() -> None:
    declared = (ROOT / "tinygrad_nn" / "namespace" / "declared.py").read_text()
    extras = re.findall(
        r"^    def (\w+)\(", declared.split("# extras, not in the array API")[1], re.M
    )
    word = NUMBERS[len(extras) - 1]
    places = [
        ROOT / "docs" / "architecture.md",
        ROOT / "docs" / "backends.md",
        ROOT / "tinygrad_nn" / "namespace" / "declared.py",
        ROOT / "tinygrad_nn" / "namespace" / "array_api.py",
    ]
    for place in places:
        counts = re.findall(r"\b(\w+) (?:documented )?extras\b", place.read_text(), re.I)
        counts = [c.lower() for c in counts if c.lower() in NUMBERS]
        assert counts and set(counts) == {word}, (place.name, counts, extras)


def test_renamed_modules_import_under_their_old_names_with_a_warning() -> None:
    import importlib

    import pytest

    from tinygrad_nn.moved import MOVED

    page = PAGE.read_text()
    for old, new in MOVED.items():
        assert not (ROOT / (old.replace(".", "/") + ".py")).exists(), old
        assert (
            f"`{old.removeprefix('tinygrad_nn.')}` | `{new.removeprefix('tinygrad_nn.')}`" in page
        )
        with pytest.warns(DeprecationWarning, match=new.replace(".", r"\.")):
            sys.modules.pop(old, None)
            assert importlib.import_module(old) is importlib.import_module(new)


def test_the_add_one_op_walkthrough_runs_and_shows_the_code_it_compiles() -> None:
    """Its Python blocks run in order (each asserts one of: eager, second order, compiled,
    drawn, array-api-strict); the compiled code printed on the page is what compiles."""
    section = PAGE.read_text().split("## Add one op, end to end")[1].split("\n## ")[0]
    blocks = re.findall(r"```python\n(.*?)```", section, re.S)
    assert len(blocks) == 6
    for claim in ("create_graph", "tg.compile", "explanation", "array_api_strict", "backward"):
        assert claim in section
    namespace: dict = {"__name__": "docs_architecture_add_one_op"}
    for block in blocks:
        exec(compile(block, str(PAGE), "exec"), namespace)
    shown = re.search(r"```text\n(def compiled.*?)```", section, re.S)
    assert shown and namespace["step"].source.strip() == shown.group(1).strip()


def test_a_one_input_op_is_named_in_its_class_the_declared_namespace_and_uses_only() -> None:
    """``expm1``: its op class, the declared xp function, and ELU's rule that calls it."""
    files = sorted(
        str(p.relative_to(ROOT))
        for p in (ROOT / "tinygrad_nn").rglob("*.py")
        if re.search(r"\bexpm1\b", p.read_text())
    )
    assert files == [
        "tinygrad_nn/namespace/declared.py",
        "tinygrad_nn/ops/activations.py",
        "tinygrad_nn/ops/elementwise.py",
    ]
    import tinygrad_nn as tg

    x = tg.Tensor([0.5], requires_grad=True)
    (g,) = tg.grad(x.expm1().sum(), [x], create_graph=True)  # the generated method and xp
    assert g.requires_grad and tg.Tensor.expm1.__doc__ == tg.ops.Expm1.__doc__


def test_numbers_reach_an_op_one_way_through_apply() -> None:
    """Only ``apply`` sets an op's constants (and the deprecated ``Op.with_constant``); a
    number given to apply, the operator and the pre-placed ``constants=`` agree."""
    import warnings

    import numpy as np

    import tinygrad_nn as tg
    from tinygrad_nn import ops

    setters = []
    for path in sorted((ROOT / "tinygrad_nn").rglob("*.py")):
        if path.name == "literals.py":  # the compiled code's named arrays, not an op's
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            targets = getattr(node, "targets", [getattr(node, "target", None)])
            for target in targets:
                if isinstance(target, ast.Attribute) and target.attr == "constants":
                    setters.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    files = {s.split(":")[0] for s in setters}
    assert files == {"tinygrad_nn/tensor.py", "tinygrad_nn/ops/base.py"}, setters
    assert len(setters) == 2, setters  # apply's one line, and with_constant's

    x = tg.Tensor([1.0, 2.0], requires_grad=True)
    made = [
        2.0 - x,
        tg.apply(ops.Sub(), 2.0, x),
        tg.apply(ops.Sub(), x, constants=((0, 2.0),)),
    ]
    for y in made:
        assert y.op.constants == ((0, 2.0),) and y.op.parents == (x,)
        np.testing.assert_array_equal(y.array, [1.0, 0.0])
        (g,) = tg.grad(y.sum(), [x])
        np.testing.assert_array_equal(g.array, [-1.0, -1.0])
    both = tg.apply(ops.Where(np.array([True, False])), 5.0, constants=((1, 7.0),))
    np.testing.assert_array_equal(both.array, [5.0, 7.0])  # placed and found numbers mix
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        old = tg.apply(ops.Pow().with_constant(0, 2.0), x)
    assert "deprecated" in str(caught[0].message) and old.op.constants == ((0, 2.0),)
    np.testing.assert_array_equal(old.array, [2.0, 4.0])
