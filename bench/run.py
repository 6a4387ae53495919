"""Benchmarks: tinygrad_nn against hand-written NumPy, in the same process.

Each workload is run as a NumPy baseline written the way a person would write it by hand
(the seed's style) and with tinygrad_nn's autodiff; the table shows the median time of
several runs and the ratio. Run ``python bench/run.py`` (``--help`` for options).

Workloads:
    tutorial  the seed network: X 4x3, W1 3x4, W2 4x1, sigmoid, SSE, 1500 steps, lr 1,
              written with nn.Sequential, nn.SSE and optim.SGD
    tutorial* the same with bare Tensors: (y - out) ** 2 summed, the SGD step by hand

Each also runs compiled (tg.compile on the whole training step: zero_grad, forward,
backward and the optimizer's step), except tutorial*.
    mlp       1024x64 -> 256 -> 256 -> 10 with biases, sigmoid, SSE, 50 steps, written with
              nn.Linear, nn.Sigmoid, nn.SSE and optim.SGD
    mlp*      the same with bare Tensors (x @ w + b) and the SGD step by hand
    chain     2000 chained mul/add/sigmoid ops on a (4,) tensor, forward + backward
    cnn       two conv + pool stages and a linear layer, batch 64 of 28x28 (bench/cnn.py),
              against hand-written NumPy im2col; and the LSTM's time per step
    deep      a 100,000-op chain: backward completes; time and peak memory reported
"""

from __future__ import annotations

import argparse
import itertools
import platform
import statistics
import time
import timeit
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass

import cnn  # the cnn workload, beside this file
import numpy as np

import tinygrad_nn as tg
from tinygrad_nn import nn, optim, tutorial
from tinygrad_nn.compile import CompiledFunction


def sigmoid(v: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-v))


# ---------------------------------------------------------------- tutorial

SEED_X = np.array([[0, 0, 1], [0, 1, 1], [1, 0, 1], [1, 1, 1]], dtype=float)
SEED_Y = np.array([[0], [1], [1], [0]], dtype=float)


def tutorial_numpy(w1: np.ndarray, w2: np.ndarray, steps: int = 1500) -> np.ndarray:
    """The seed's feedforward/backprop, exactly as derived by hand."""
    w1, w2 = w1.copy(), w2.copy()
    for _ in range(steps):
        seed_step(w1, w2)
    return w1


def seed_step(
    w1: np.ndarray, w2: np.ndarray, X: np.ndarray = SEED_X, y: np.ndarray = SEED_Y
) -> None:
    """One step of the seed's training, updating the weights in place."""
    layer1 = sigmoid(X @ w1)
    out = sigmoid(layer1 @ w2)
    d_weights2 = layer1.T @ (2 * (y - out) * out * (1 - out))
    d_weights1 = X.T @ (((2 * (y - out) * out * (1 - out)) @ w2.T) * layer1 * (1 - layer1))
    w1 += d_weights1
    w2 += d_weights2


def tutorial_tinygrad(w1: np.ndarray, w2: np.ndarray, steps: int = 1500) -> np.ndarray:
    """The same network; gradients by backward(), the step written out under no_grad."""
    W1, W2 = tg.Tensor(w1, requires_grad=True), tg.Tensor(w2, requires_grad=True)
    X, y = tg.Tensor(SEED_X), tg.Tensor(SEED_Y)
    for _ in range(steps):
        out = ((X @ W1).sigmoid() @ W2).sigmoid()
        loss = ((y - out) ** 2).sum()
        W1.grad = W2.grad = None
        loss.backward()
        with tg.no_grad():
            W1 -= W1.grad
            W2 -= W2.grad
    return W1.array


def training_step(
    model: nn.Module, loss_fn: nn.Module, optimizer: optim.Optimizer, target: np.ndarray
) -> Callable[[tg.Tensor], tg.Tensor]:
    """One training step as users write it (run eagerly, or through tg.compile)."""

    def train_step(x: tg.Tensor) -> tg.Tensor:
        optimizer.zero_grad()
        loss = loss_fn(model(x), target)
        loss.backward()
        optimizer.step()
        return loss

    return train_step


def tutorial_setup(
    w1: np.ndarray, w2: np.ndarray
) -> tuple[nn.Module, nn.SSE, optim.SGD, CompiledFunction]:
    """The seed network as users write it, its loss, SGD with lr 1, and its training step
    compiled (not yet traced: tracing happens at its first call)."""
    model = tutorial.build_model(w1, w2)
    loss_fn = nn.SSE()
    optimizer = optim.SGD(model.parameters(), lr=1.0)
    return model, loss_fn, optimizer, tg.compile(training_step(model, loss_fn, optimizer, SEED_Y))


def tutorial_modules(
    w1: np.ndarray, w2: np.ndarray, steps: int = 1500, compiled: bool = False
) -> np.ndarray:
    """The same network as users write it: nn.Sequential, nn.SSE and optim.SGD; with
    ``compiled``, each training step goes through tg.compile."""
    model, loss_fn, optimizer, compiled_step = tutorial_setup(w1, w2)
    step = compiled_step if compiled else training_step(model, loss_fn, optimizer, SEED_Y)
    X = tg.Tensor(SEED_X)
    for _ in range(steps):
        step(X)
    return model[0].weight.array.T  # Linear's weight is (out, in): the seed's w1 transposed


# ---------------------------------------------------------------- mlp

MLP_SIZES = (64, 256, 256, 10)
MLP_LR = 1e-4


def mlp_data(
    seed: int = 0, batch: int = 1024, dtype: str = "float64"
) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((batch, MLP_SIZES[0])).astype(dtype)
    Y = np.eye(MLP_SIZES[-1], dtype=dtype)[rng.integers(0, MLP_SIZES[-1], batch)]
    params = []
    for fan_in, fan_out in itertools.pairwise(MLP_SIZES):
        w = rng.uniform(-1, 1, (fan_in, fan_out)) / np.sqrt(fan_in)
        params += [w.astype(dtype), np.zeros(fan_out, dtype)]
    return X, Y, params


def mlp_numpy_step(X: np.ndarray, Y: np.ndarray, params: list[np.ndarray]) -> Callable[[], float]:
    """Three sigmoid layers with biases and an SSE loss, backprop written by hand: each
    call is one step on copies of ``params`` and returns its loss (bench/gpu.py's baseline
    too)."""
    w1, b1, w2, b2, w3, b3 = (p.copy() for p in params)

    def step() -> float:
        h1 = sigmoid(X @ w1 + b1)
        h2 = sigmoid(h1 @ w2 + b2)
        out = sigmoid(h2 @ w3 + b3)
        d3 = 2 * (out - Y) * out * (1 - out)
        d2 = (d3 @ w3.T) * h2 * (1 - h2)
        d1 = (d2 @ w2.T) * h1 * (1 - h1)
        grads = (X.T @ d1, d1.sum(axis=0), h1.T @ d2, d2.sum(axis=0), h2.T @ d3, d3.sum(axis=0))
        for p, g in zip((w1, b1, w2, b2, w3, b3), grads):
            p -= MLP_LR * g  # in place
        return float(((out - Y) ** 2).sum())

    return step


def mlp_numpy(X: np.ndarray, Y: np.ndarray, params: list[np.ndarray], steps: int = 50) -> float:
    step = mlp_numpy_step(X, Y, params)
    for _ in range(steps):
        loss = step()
    return loss


def mlp_tinygrad(X: np.ndarray, Y: np.ndarray, params: list[np.ndarray], steps: int = 50) -> float:
    tensors = [tg.Tensor(p, requires_grad=True) for p in params]
    w1, b1, w2, b2, w3, b3 = tensors
    x, y = tg.Tensor(X), tg.Tensor(Y)
    for _ in range(steps):
        out = (((x @ w1 + b1).sigmoid() @ w2 + b2).sigmoid() @ w3 + b3).sigmoid()
        loss = ((out - y) ** 2).sum()
        for p in tensors:
            p.grad = None
        loss.backward()
        with tg.no_grad():
            for p in tensors:
                p -= MLP_LR * p.grad
    return loss.item()


def mlp_model(params: list[np.ndarray]) -> nn.Sequential:
    """The mlp from nn.Linear and nn.Sigmoid, with ``params`` loaded (the hand-written
    step's weights are (in, out), for ``x @ w``; nn.Linear's are (out, in): transposed)."""
    layers: list[nn.Module] = []
    for fan_in, fan_out in itertools.pairwise(MLP_SIZES):
        layers += [nn.Linear(fan_in, fan_out), nn.Sigmoid()]
    model = nn.Sequential(*layers)
    names = [name for name, _ in model.named_parameters()]
    model.load_state_dict({k: p.T if p.ndim == 2 else p for k, p in zip(names, params)})
    return model


def numpy_bytes() -> int:
    """Bytes of NumPy array data alive now, while tracemalloc runs (NumPy reports its
    buffers to it)."""
    numpy_only = [tracemalloc.DomainFilter(True, np.lib.tracemalloc_domain)]
    snapshot = tracemalloc.take_snapshot().filter_traces(numpy_only)
    return sum(stat.size for stat in snapshot.statistics("filename"))


def mlp_modules(
    X: np.ndarray, Y: np.ndarray, params: list[np.ndarray], steps: int = 50, compiled: bool = False
) -> float:
    """The same network from nn.Linear and nn.Sigmoid, with nn.SSE and optim.SGD."""
    model = mlp_model(params)
    loss_fn = nn.SSE()
    optimizer = optim.SGD(model.parameters(), lr=MLP_LR)
    step = training_step(model, loss_fn, optimizer, Y)
    if compiled:
        step = tg.compile(step)
    x = tg.Tensor(X)
    for _ in range(steps):
        loss = step(x)
    return loss.item()


def mlp_kept_bytes(X: np.ndarray, Y: np.ndarray, params: list[np.ndarray]) -> str:
    """What the mlp's forward keeps for backward: NumPy bytes alive once the loss is
    computed (the data and the parameters not counted), against what the hand-written
    step keeps for its backward (h1, h2 and out). Each op keeps only what its rule reads,
    so the pre-activations ``x @ w`` and ``x @ w + b`` are freed during forward."""
    model, x = mlp_model(params), tg.Tensor(X)
    tracemalloc.start()
    try:
        before = numpy_bytes()
        loss = nn.SSE()(model(x), Y)
        kept = numpy_bytes() - before
    finally:
        tracemalloc.stop()
    by_hand = sum(len(X) * width for width in MLP_SIZES[1:]) * X.itemsize  # h1, h2, out
    assert loss.op is not None
    return (
        f"mlp forward, kept for backward: {kept / 1e6:.2f} MB; the hand-written step keeps "
        f"{by_hand / 1e6:.2f} MB (h1, h2, out): {kept / by_hand:.2f}x"
    )


# ---------------------------------------------------------------- chain

CHAIN_LENGTH = 2000


def chain_numpy(x0: np.ndarray) -> np.ndarray:
    """Forward through mul/add/sigmoid repeated, keeping what backward needs; then backward."""
    values = [x0]
    v = x0
    for i in range(CHAIN_LENGTH):
        kind = i % 3
        v = v * 1.01 if kind == 0 else v + 0.01 if kind == 1 else sigmoid(v)
        values.append(v)
    g = np.ones_like(v)
    for i in reversed(range(CHAIN_LENGTH)):
        kind = i % 3
        if kind == 0:
            g = g * 1.01
        elif kind == 2:
            s = values[i + 1]
            g = g * s * (1 - s)
    return g


def chain_tinygrad(x0: np.ndarray) -> np.ndarray:
    x = tg.Tensor(x0, requires_grad=True)
    v = x
    for i in range(CHAIN_LENGTH):
        kind = i % 3
        v = v * 1.01 if kind == 0 else v + 0.01 if kind == 1 else v.sigmoid()
    v.backward(np.ones(v.shape))
    assert x.grad is not None
    return x.grad.array


def chain_function(x: tg.Tensor) -> tg.Tensor:
    v = x
    for i in range(CHAIN_LENGTH):
        kind = i % 3
        v = v * 1.01 if kind == 0 else v + 0.01 if kind == 1 else v.sigmoid()
    return v.sum()


compiled_chain = tg.compile(chain_function)


def chain_compiled(x0: np.ndarray) -> np.ndarray:
    _, (grad,) = compiled_chain(tg.Tensor(x0, requires_grad=True))
    assert grad is not None
    return grad.array


def chain_against_pytorch(x0: np.ndarray, repeats: int) -> str:
    """The chain in PyTorch's eager mode beside ours (the target: no slower), when
    PyTorch is installed (pip install torch==2.13.0)."""
    try:
        import torch
    except ImportError:
        return "chain vs PyTorch eager: PyTorch is not installed (pip install torch)"

    def chain_torch() -> None:
        x = torch.tensor(x0, requires_grad=True)
        v = x
        for i in range(CHAIN_LENGTH):
            kind = i % 3
            v = v * 1.01 if kind == 0 else v + 0.01 if kind == 1 else v.sigmoid()
        v.backward(torch.ones_like(v))

    ours, theirs = median_seconds([lambda: chain_tinygrad(x0), chain_torch], repeats)
    verdict = "ok" if ours <= theirs else "OVER"
    return (
        f"chain vs PyTorch eager {torch.__version__}: tinygrad_nn {ours * 1e3:.2f} ms, "
        f"PyTorch {theirs * 1e3:.2f} ms, ratio {ours / theirs:.2f}x <=1.00 {verdict}"
    )


# ---------------------------------------------------------------- where the time goes


def tutorial_breakdown(w1: np.ndarray, w2: np.ndarray, number: int = 2000) -> list[str]:
    """Microseconds per tutorial step, phase by phase (best of several runs of ``number``)."""
    model, loss_fn, optimizer, step = tutorial_setup(w1, w2)
    X = tg.Tensor(SEED_X)
    step(X)
    assert step.last is not None
    generated = step.last.function
    arrays = [X.array, *(p.array for p in model.parameters())]
    loss = loss_fn(model(X), SEED_Y)
    eager_step = training_step(model, loss_fn, optimizer, SEED_Y)

    def forward() -> None:
        loss_fn(model(X), SEED_Y)

    def forward_backward() -> None:
        optimizer.zero_grad()
        loss_fn(model(X), SEED_Y).backward()

    phases = {
        "hand-written step (numpy)": lambda: seed_step(w1.copy(), w2.copy()),
        "  of which copying the weights": lambda: (w1.copy(), w2.copy()),
        "eager forward": forward,
        "eager forward + backward": forward_backward,
        "eager backward, graph kept": lambda: loss.backward(retain_graph=True),
        "optim.SGD.step": optimizer.step,
        "eager training step": lambda: eager_step(X),
        "compiled: generated function": lambda: generated(*arrays),
        "compiled: call, .grad and state stored": lambda: step(X),
    }
    lines = []
    for label, phase in phases.items():
        best = min(timeit.repeat(phase, number=number, repeat=7)) / number
        lines.append(f"  {label:40} {best * 1e6:7.2f} us")
    return lines


# ---------------------------------------------------------------- harness


def median_seconds(functions: list[Callable[[], object]], repeats: int) -> list[float]:
    """Median time of each function, the runs interleaved (a, b, c, a, b, c, ...) so that a
    machine getting slower or faster during the measurement affects all of them alike."""
    for fn in functions:
        fn()  # warm up
    times: list[list[float]] = [[] for _ in functions]
    for _ in range(repeats):
        for fn, record in zip(functions, times):
            start = time.perf_counter()
            fn()
            record.append(time.perf_counter() - start)
    return [statistics.median(record) for record in times]


@dataclass
class Row:
    name: str
    numpy: float
    eager: float
    eager_target: float
    compiled: float | None = None
    compiled_target: float | None = None


def measure(
    name: str,
    baseline: Callable[[], object],
    eager: Callable[[], object],
    eager_target: float,
    compiled: Callable[[], object] | None,
    compiled_target: float | None,
    repeats: int,
) -> Row:
    functions = [baseline, eager] + ([compiled] if compiled is not None else [])
    seconds = median_seconds(functions, repeats)
    row = Row(name, seconds[0], seconds[1], eager_target)
    if compiled is not None:
        row.compiled, row.compiled_target = seconds[2], compiled_target
    return row


def ratio_cell(seconds: float | None, base: float, target: float | None) -> str:
    if seconds is None or target is None:
        return f"{'':>31}"
    ratio = seconds / base
    verdict = "ok" if ratio <= target else "OVER"
    return f"{seconds * 1e3:9.2f} ms {ratio:5.2f}x <={target:.2f} {verdict:4}"


def deep_chain(depth: int = 100_000) -> tuple[float, float, float, float]:
    """Backward through ``depth`` ops: build and backward times, then (in a second run,
    under tracemalloc, which slows every allocation) peak and after-backward NumPy memory
    in MB."""
    build, backward = _deep_chain_run(depth)
    tracemalloc.start()
    _deep_chain_run(depth)
    peak = tracemalloc.get_traced_memory()[1]
    after = numpy_bytes()
    tracemalloc.stop()
    return build, backward, peak / 1e6, after / 1e6


def _deep_chain_run(depth: int) -> tuple[float, float]:
    x = tg.Tensor(np.ones(4), requires_grad=True)
    start = time.perf_counter()
    v = x
    for i in range(depth):
        v = v * 1.000001 if i % 2 else v + 0.000001
    loss = v.sum()
    del v
    built = time.perf_counter()
    loss.backward()
    done = time.perf_counter()
    assert x.grad is not None and np.all(np.isfinite(x.grad.array))
    return built - start, done - built


def print_table(rows: list[Row]) -> None:
    print()
    header = f"| {'workload':10} | {'NumPy by hand':>13} | {'eager':^31} | {'compiled':^31} |"
    print(header)
    print("|" + "|".join("-" * len(part) for part in header.split("|")[1:-1]) + "|")
    for row in rows:
        print(
            f"| {row.name:10} | {row.numpy * 1e3:10.2f} ms | "
            f"{ratio_cell(row.eager, row.numpy, row.eager_target)} | "
            f"{ratio_cell(row.compiled, row.numpy, row.compiled_target)} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="timed runs per measurement")
    parser.add_argument(
        "--only",
        nargs="*",
        default=["tutorial", "mlp", "chain", "cnn", "deep"],
        help="workloads",
    )
    parser.add_argument(
        "--breakdown",
        action="store_true",
        help="also time the tutorial step phase by phase (forward, backward, optimizer)",
    )
    args = parser.parse_args()

    print(
        f"machine: {platform.machine()}, {platform.processor() or 'cpu'}; Python "
        f"{platform.python_version()}; NumPy {np.__version__}; tinygrad_nn {tg.__version__}"
    )
    rng = np.random.default_rng(0)
    rows: list[Row] = []
    if "tutorial" in args.only:
        w1, w2 = rng.random((3, 4)), rng.random((4, 1))
        reference = tutorial_numpy(w1, w2, 50)
        for compiled in (False, True):
            assert np.allclose(reference, tutorial_modules(w1, w2, 50, compiled), atol=1e-12)
        assert np.allclose(reference, tutorial_tinygrad(w1, w2, 50), atol=1e-12)
        baseline = lambda: tutorial_numpy(w1, w2)  # noqa: E731
        rows.append(
            measure(
                "tutorial",
                baseline,
                lambda: tutorial_modules(w1, w2),
                3.0,
                lambda: tutorial_modules(w1, w2, compiled=True),
                1.0,
                args.repeats,
            )
        )
        rows.append(
            measure(
                "tutorial*",
                baseline,
                lambda: tutorial_tinygrad(w1, w2),
                3.0,
                None,
                None,
                args.repeats,
            )
        )
    if "mlp" in args.only:
        X, Y, params = mlp_data()
        reference_loss = mlp_numpy(X, Y, params, 3)
        assert np.isclose(reference_loss, mlp_tinygrad(X, Y, params, 3), rtol=1e-9)
        for compiled in (False, True):
            assert np.isclose(reference_loss, mlp_modules(X, Y, params, 3, compiled), rtol=1e-9)
        baseline = lambda: mlp_numpy(X, Y, params)  # noqa: E731
        rows.append(
            measure(
                "mlp",
                baseline,
                lambda: mlp_modules(X, Y, params),
                1.10,
                lambda: mlp_modules(X, Y, params, compiled=True),
                0.95,
                args.repeats,
            )
        )
        rows.append(
            measure(
                "mlp*", baseline, lambda: mlp_tinygrad(X, Y, params), 1.15, None, None, args.repeats
            )
        )
    if "chain" in args.only:
        x0 = rng.random(4)
        assert np.allclose(chain_numpy(x0), chain_tinygrad(x0), rtol=1e-10)
        assert np.allclose(chain_numpy(x0), chain_compiled(x0), rtol=1e-10)
        rows.append(
            measure(
                "chain",
                lambda: chain_numpy(x0),
                lambda: chain_tinygrad(x0),
                2.5,
                lambda: chain_compiled(x0),
                1.2,
                args.repeats,
            )
        )

    if rows:
        print_table(rows)
    if "mlp" in args.only:
        print(mlp_kept_bytes(*mlp_data()))
    if "chain" in args.only:
        print(chain_against_pytorch(rng.random(4), args.repeats))
    if args.breakdown:
        print("\ntutorial, microseconds per step (best of 7 runs):")
        weights = np.random.default_rng(0)
        print("\n".join(tutorial_breakdown(weights.random((3, 4)), weights.random((4, 1)))))
    if "cnn" in args.only:  # its own table: bench/cnn.py
        print()
        cnn.report(args.repeats)
    if "deep" in args.only:
        build, backward, peak, after = deep_chain()
        print(
            f"\ndeep: 100,000-op chain built in {build:.2f} s, backward in {backward:.2f} s; "
            f"under tracemalloc: peak memory {peak:.1f} MB, NumPy memory after backward "
            f"{after:.3f} MB"
        )


if __name__ == "__main__":
    main()
