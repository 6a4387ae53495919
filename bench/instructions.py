"""Instructions per step, counted by valgrind: a repeatable companion to ``run.py``.

Wall-clock ratios on a shared machine drift by 10-70% between runs, which hides a change
worth 2%. ``valgrind --tool=callgrind`` counts the instructions the CPU executes instead,
and gives nearly the same count twice (within 0.3% here). Use it to compare two
versions of the engine (run it in each checkout); the targets themselves are time ratios
(``run.py``), and instruction ratios run lower than time ratios for the small-array
workloads, where NumPy's tight loops retire more instructions per cycle than Python's.

Each variant is run twice under callgrind, for a few steps and for more steps; the
difference divided by the extra steps is the cost of one step, without the start-up.
For the mlp workload the count shows the per-element work (a sigmoid's formula, extra
temporaries) but not the memory traffic, where much of its time goes.

Python's cyclic garbage collector is off while the steps run (after one collection). It
runs whenever enough objects have been made, and a full collection walks every object
the imports made, so which steps one fell in moved a version's count by up to 2%: the
chain's eager step measured 112.7M and 114.8M instructions for two versions that count
109.1M and 108.9M with it off. The engine's graphs hold no reference cycles (reference
counting frees them), so with the collector off the count is the engine's own work.

Usage:
    python bench/instructions.py                  # tutorial, chain and mlp, ~4 minutes
    python bench/instructions.py --only tutorial  # one workload
"""

from __future__ import annotations

import argparse
import gc
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np

VARIANTS = ("numpy", "eager", "compiled")
# How many steps make each workload's short and long run.
STEPS = {"tutorial": (100, 600), "chain": (2, 7), "mlp": (1, 3)}


def run_steps(workload: str, variant: str, steps: int) -> None:
    """Run ``steps`` steps of one variant (this is what runs under valgrind)."""
    sys.path.insert(0, str(Path(__file__).parent))
    import run  # the benchmark module beside this file

    gc.collect()  # see the module's docstring: no collections inside the counted steps
    gc.disable()

    rng = np.random.default_rng(0)
    if workload == "tutorial":
        w1, w2 = rng.random((3, 4)), rng.random((4, 1))
        if variant == "numpy":
            run.tutorial_numpy(w1, w2, steps)
        else:
            run.tutorial_modules(w1, w2, steps, compiled=variant == "compiled")
        return
    if workload == "mlp":
        X, Y, params = run.mlp_data()
        if variant == "numpy":
            run.mlp_numpy(X, Y, params, steps)
        else:
            run.mlp_modules(X, Y, params, steps, compiled=variant == "compiled")
        return
    chain = {"numpy": run.chain_numpy, "eager": run.chain_tinygrad, "compiled": run.chain_compiled}
    x0 = rng.random(4)
    for _ in range(steps):
        chain[variant](x0)


def parse_total(callgrind_output: str) -> int:
    """The total from callgrind's summary line, e.g. ``==1== Collected : 123456``."""
    match = re.search(r"Collected\s*:\s*(\d+)", callgrind_output)
    if match is None:
        raise RuntimeError(f"no instruction count in valgrind's output:\n{callgrind_output}")
    return int(match.group(1))


def count(workload: str, variant: str, steps: int) -> int:
    """Instructions of a whole process running ``steps`` steps."""
    # One BLAS thread (valgrind runs threads one at a time, and idle BLAS threads spin)
    # and a fixed hash seed, so that the count repeats.
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    env["PYTHONHASHSEED"] = "0"
    command = [
        "valgrind",
        "--tool=callgrind",
        "--callgrind-out-file=/dev/null",
        sys.executable,
        __file__,
        "--child",
        workload,
        variant,
        str(steps),
    ]
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{workload} {variant} failed under valgrind:\n{done.stderr}")
    return parse_total(done.stderr)


def per_step(workload: str, variant: str, short: int, long: int) -> float:
    return (count(workload, variant, long) - count(workload, variant, short)) / (long - short)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", default=list(STEPS), choices=list(STEPS))
    parser.add_argument(
        "--child", nargs=3, metavar=("WORKLOAD", "VARIANT", "STEPS"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.child:
        workload, variant, steps = args.child
        run_steps(workload, variant, int(steps))
        return
    if shutil.which("valgrind") is None:
        sys.exit("valgrind is not installed: apt-get install valgrind")
    print("| workload | NumPy by hand | eager | compiled |")
    print("| --- | --- | --- | --- |")
    for workload in args.only:
        short, long = STEPS[workload]
        counts = {variant: per_step(workload, variant, short, long) for variant in VARIANTS}
        base = counts["numpy"]
        cells = [f"{counts[v] / 1e3:,.0f}k ({counts[v] / base:.2f}x)" for v in VARIANTS[1:]]
        print(f"| {workload} | {base / 1e3:,.0f}k | {' | '.join(cells)} |")


if __name__ == "__main__":
    main()
