"""Mutation testing of the proof suite: plant one bug at a time, check that a test fails.

Not a test module (its name does not start with ``test_``): run it by hand,

    python tests/mutation.py [--limit N] [--jobs J]

Each mutant is one small change inside a rule or the engine — in an op's ``forward`` or
``backward``, the chain-rule step, an optimizer's ``update``, a loss: an arithmetic
operator swapped (``+``/``-``, ``*``/``/``, ``**`` to ``*``), a comparison flipped
(``>``/``>=``, ``<``/``<=``, ``==``/``!=``), a number changed (``n`` to ``n + 1``), a unary
minus dropped — or one entry dropped from an op's ``saves`` (its rule then gets None for
an array it reads). The package is copied, one mutant written into the copy, and the proof
suite run there with ``-x``; a mutant the suite does not fail on *survives*. The score is
the share of mutants caught. Mutants that are never executed or change nothing a user can
observe (an equivalent mutant) survive too: the survivors are printed to be read.
"""

from __future__ import annotations

import argparse
import ast
import os
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGETS = {  # file -> the functions whose bodies are mutated ("saves": the declarations)
    "tinygrad_nn/ops/elementwise.py": {"forward", "backward", "saves"},
    "tinygrad_nn/ops/reductions.py": {"forward", "backward", "_share_among_extremes", "saves"},
    "tinygrad_nn/ops/shape.py": {"backward", "saves"},
    "tinygrad_nn/ops/linalg.py": {"backward", "saves"},
    "tinygrad_nn/ops/probability.py": {"forward", "backward", "_logs", "_picked", "saves"},
    "tinygrad_nn/compile/step.py": {"finish", "still_fits", "backward", "step", "grad"},
    "tinygrad_nn/backprop.py": {"run_backward", "_chain_rule_step", "add_to_grad"},
    "tinygrad_nn/ops/unary.py": {"forward", "backward", "saves"},
    "tinygrad_nn/ops/activations.py": {"forward", "backward", "saves"},
    "tinygrad_nn/ops/convolution.py": {"saves"},
    "tinygrad_nn/optim/rules.py": {"update"},
    "tinygrad_nn/optim/optimizer.py": {"step"},
    "tinygrad_nn/nn/loss_modules.py": {"forward"},
    "tinygrad_nn/nn/loss_functions.py": {
        "mse_loss",
        "l1_loss",
        "huber_loss",
        "binary_cross_entropy_with_logits",
        "nll_loss",
        "cross_entropy",
    },
}
SUITE = [
    "tests/test_op_gradients.py",
    "tests/test_compile_step.py",
    "tests/test_hardening.py",
    "tests/test_optim.py",
    "tests/test_nn.py",
    "tests/test_hand_derived.py",
    "tests/test_nn_hand_derived.py",
    "tests/test_tensor.py",
    "tests/test_expressions.py",
    "tests/test_func.py",
    "tests/test_interpreters.py",
    "tests/test_nn.py",
    "tests/test_against_pytorch.py",  # (skipped without torch: install it for this run)
]
SWAPS: dict[type, type] = {
    ast.Add: ast.Sub,
    ast.Sub: ast.Add,
    ast.Mult: ast.Div,
    ast.Div: ast.Mult,
    ast.Pow: ast.Mult,
    ast.Gt: ast.GtE,
    ast.GtE: ast.Gt,
    ast.Lt: ast.LtE,
    ast.LtE: ast.Lt,
    ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq,
}


class DroppedSave(ast.AST):
    """A site: entry ``index`` of an op's ``saves`` tuple (``node``)."""

    def __init__(self, node: ast.Tuple, index: int) -> None:
        super().__init__()
        self.node, self.index, self.lineno = node, index, node.lineno


def sites(tree: ast.Module, functions: set[str]) -> list[tuple[ast.AST, str]]:
    """Every place a mutant can be made, inside the chosen functions, in source order."""
    found: list[tuple[ast.AST, str]] = []
    for statement in ast.walk(tree) if "saves" in functions else ():
        if (
            isinstance(statement, ast.Assign)
            and [getattr(t, "id", None) for t in statement.targets] == ["saves"]
            and isinstance(statement.value, ast.Tuple)
        ):
            for index, entry in enumerate(statement.value.elts):
                value = getattr(entry, "value", "?")
                found.append((DroppedSave(statement.value, index), f"saves {value!r} dropped"))
    for function in ast.walk(tree):
        if not isinstance(function, ast.FunctionDef) or function.name not in functions:
            continue
        body = function.body[1:] if ast.get_docstring(function) else function.body
        for statement in body:
            for node in ast.walk(statement):
                if isinstance(node, ast.BinOp) and type(node.op) in SWAPS:
                    found.append(
                        (node, f"{type(node.op).__name__} -> {SWAPS[type(node.op)].__name__}")
                    )
                elif isinstance(node, ast.Compare) and type(node.ops[0]) in SWAPS:
                    found.append((node, f"{type(node.ops[0]).__name__} -> flipped"))
                elif isinstance(node, ast.Constant) and type(node.value) in (int, float):
                    found.append((node, f"{node.value!r} -> {node.value + 1!r}"))
                elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
                    found.append((node, "unary minus dropped"))
    return found


def mutate(source: str, functions: set[str], index: int) -> tuple[str, str, int]:
    """The source with mutant ``index`` planted; its description and line."""
    tree = ast.parse(source)
    node, description = sites(tree, functions)[index]
    if isinstance(node, DroppedSave):
        del node.node.elts[node.index]
    elif isinstance(node, ast.BinOp):
        node.op = SWAPS[type(node.op)]()
    elif isinstance(node, ast.Compare):
        node.ops[0] = SWAPS[type(node.ops[0])]()
    elif isinstance(node, ast.Constant):
        node.value = node.value + 1
    elif isinstance(node, ast.UnaryOp):
        node.op = ast.UAdd()
    return ast.unparse(tree), description, node.lineno


def mutate_line(path: str, index: int) -> int:
    """The line of mutant ``index`` in ``path``."""
    return mutate((ROOT / path).read_text(), TARGETS[path], index)[2]


def run_mutant(job: tuple[str, int]) -> tuple[str, int, str, int, bool]:
    path, index = job
    with tempfile.TemporaryDirectory() as folder:
        copy = Path(folder) / "tree"
        shutil.copytree(ROOT, copy, ignore=shutil.ignore_patterns(".git", ".venv", "site", "*.pyc"))
        source = (ROOT / path).read_text()
        mutated, description, line = mutate(source, TARGETS[path], index)
        (copy / path).write_text(mutated)
        env = {**os.environ, "PYTHONPATH": str(copy), "PYTHONDONTWRITEBYTECODE": "1"}
        done = subprocess.run(
            [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *SUITE],
            cwd=copy,
            env=env,
            capture_output=True,
            timeout=900,
        )
    return path, index, description, line, done.returncode != 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=None, help="at most this many mutants")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument(
        "--only",
        nargs="*",
        default=None,
        metavar="PATH[:LINE]",
        help="only the mutants in these files (or on these lines), e.g. to re-run survivors",
    )
    args = parser.parse_args()
    jobs = []
    for path, functions in TARGETS.items():
        count = len(sites(ast.parse((ROOT / path).read_text()), functions))
        jobs += [(path, index) for index in range(count)]
    if args.only is not None:
        wanted = set(args.only)
        jobs = [
            (path, index)
            for path, index in jobs
            if path in wanted or f"{path}:{mutate_line(path, index)}" in wanted
        ]
    if args.limit is not None and len(jobs) > args.limit:  # an even sample over all files
        step = len(jobs) / args.limit
        jobs = [jobs[int(i * step)] for i in range(args.limit)]
    print(f"{len(jobs)} mutants, {args.jobs} at a time", flush=True)
    caught = 0
    survivors = []
    with ThreadPoolExecutor(args.jobs) as pool:
        for path, _, description, line, failed in pool.map(run_mutant, jobs):
            caught += failed
            if not failed:
                survivors.append(f"  {path}:{line}  {description}")
            print(f"{'caught  ' if failed else 'SURVIVED'} {path}:{line} {description}", flush=True)
    print(f"\ncaught {caught} of {len(jobs)} mutants: {100 * caught / max(len(jobs), 1):.1f}%")
    if survivors:
        print("survivors:\n" + "\n".join(survivors))


if __name__ == "__main__":
    main()
