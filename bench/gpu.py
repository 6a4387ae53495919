"""The mlp training step on every array library at hand: NumPy on the CPU, PyTorch, CuPy.

The workload is ``run.py``'s mlp (64 -> 256 -> 256 -> 10, sigmoid layers with biases, SSE,
SGD) at a batch large enough for a GPU to matter (8,192 rows by default), written with
``nn`` and ``optim`` as a user writes it, then moved with ``model.to(...)``. Each variant
runs ``--steps`` steps and reads the loss back (``.item()``, which waits for the GPU);
the median of ``--repeats`` runs is reported per step and as a ratio to the hand-written
NumPy step on the CPU, run in the same process. PyTorch's own eager step on the same
device is printed beside it for scale when PyTorch is installed.

Usage:
    python bench/gpu.py                      # float64, batch 8192
    python bench/gpu.py --float32 --batch 65536

It says plainly which libraries and devices it found; without a GPU it runs the CPU rows.
"""

from __future__ import annotations

import argparse
import importlib
import itertools
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import tinygrad_nn as tg
from tinygrad_nn import nn, optim

SIZES = (64, 256, 256, 10)
LR = 1e-4


def data(batch: int, dtype: str) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
    rng = np.random.default_rng(0)
    X = rng.standard_normal((batch, SIZES[0])).astype(dtype)
    Y = np.eye(SIZES[-1], dtype=dtype)[rng.integers(0, SIZES[-1], batch)]
    params = []
    for fan_in, fan_out in itertools.pairwise(SIZES):
        w = rng.uniform(-1, 1, (fan_in, fan_out)) / np.sqrt(fan_in)
        params += [w.astype(dtype), np.zeros(fan_out, dtype)]
    return X, Y, params


def numpy_by_hand(X: np.ndarray, Y: np.ndarray, params: list[np.ndarray]) -> Callable[[], float]:
    """The step written by hand in NumPy: the baseline every row is divided by."""
    w1, b1, w2, b2, w3, b3 = (p.copy() for p in params)

    def sigmoid(z: np.ndarray) -> np.ndarray:
        return 1 / (1 + np.exp(-z))

    def step() -> float:
        h1 = sigmoid(X @ w1 + b1)
        h2 = sigmoid(h1 @ w2 + b2)
        out = sigmoid(h2 @ w3 + b3)
        d3 = 2 * (out - Y) * out * (1 - out)
        d2 = (d3 @ w3.T) * h2 * (1 - h2)
        d1 = (d2 @ w2.T) * h1 * (1 - h1)
        grads = (X.T @ d1, d1.sum(0), h1.T @ d2, d2.sum(0), h2.T @ d3, d3.sum(0))
        for p, g in zip((w1, b1, w2, b2, w3, b3), grads):
            p -= LR * g  # in place
        return float(((out - Y) ** 2).sum())

    return step


def tinygrad_step(
    X: np.ndarray,
    Y: np.ndarray,
    params: list[np.ndarray],
    library: str,
    device: str | None,
    compiled: bool = False,
) -> Callable[[], float]:
    """The step as a user writes it with nn and optim, moved to ``library``; with
    ``compiled``, forward and backward by ``tg.compile`` (the update stays eager)."""
    layers: list[nn.Module] = []
    for fan_in, fan_out in itertools.pairwise(SIZES):
        layers += [nn.Linear(fan_in, fan_out, dtype=X.dtype), nn.Sigmoid()]
    model = nn.Sequential(*layers)
    model.load_state_dict(dict(zip([n for n, _ in model.named_parameters()], params)))
    model.to(library, device)
    optimizer = optim.SGD(model.parameters(), lr=LR)
    loss_fn = nn.SSE()
    x, y = tg.Tensor(X).to(library, device), tg.Tensor(Y).to(library, device)
    forward_and_backward = tg.compile(lambda x: loss_fn(model(x), y))

    def step() -> float:
        optimizer.zero_grad()
        if compiled:
            loss, _ = forward_and_backward(x)
        else:
            loss = loss_fn(model(x), y)
            loss.backward()
        optimizer.step()
        return loss.item()

    return step


def torch_step(X: np.ndarray, Y: np.ndarray, params: list[np.ndarray], device: str):
    """PyTorch's own eager step on ``device``, for scale."""
    import torch

    tensors = [torch.tensor(p, device=device, requires_grad=True) for p in params]
    x, y = torch.tensor(X, device=device), torch.tensor(Y, device=device)
    opt = torch.optim.SGD(tensors, lr=LR)
    w1, b1, w2, b2, w3, b3 = tensors

    def step() -> float:
        opt.zero_grad()
        out = torch.sigmoid(torch.sigmoid(torch.sigmoid(x @ w1 + b1) @ w2 + b2) @ w3 + b3)
        loss = ((out - y) ** 2).sum()
        loss.backward()
        opt.step()
        return loss.item()

    return step


def seconds_per_step(
    step: Callable[[], float], steps: int, repeats: int, first_loss: float | None = None
) -> float:
    loss = step()  # warm up: kernels compiled, memory pools filled
    if first_loss is not None and not np.isclose(loss, first_loss, rtol=1e-6):
        raise AssertionError(f"the first step's loss {loss} differs from NumPy's {first_loss}")
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(steps):
            loss = step()  # .item() waits for the device
        times.append((time.perf_counter() - start) / steps)
    assert np.isfinite(loss)
    return statistics.median(times)


def available() -> list[tuple[str, str, str | None]]:
    """(row label, library, device) for every library and device found."""
    rows = [("tinygrad_nn eager, NumPy CPU", "numpy", None)]
    try:
        torch = importlib.import_module("torch")
        rows.append(("tinygrad_nn eager, PyTorch CPU", "torch", "cpu"))
        if torch.cuda.is_available():
            rows.append(("tinygrad_nn eager, PyTorch CUDA", "torch", "cuda"))
    except ImportError:
        print("PyTorch: not installed")
    try:
        cupy = importlib.import_module("cupy")
        if cupy.cuda.runtime.getDeviceCount():
            rows.append(("tinygrad_nn eager, CuPy", "cupy", None))
    except Exception as error:  # not installed, or installed without a usable GPU
        print(f"CuPy: not usable here ({type(error).__name__}: {error})")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batch", type=int, default=8192, help="rows per step (default 8192)")
    parser.add_argument("--steps", type=int, default=20, help="steps per timing (default 20)")
    parser.add_argument("--repeats", type=int, default=5, help="timings, median kept (default 5)")
    parser.add_argument("--float32", action="store_true", help="float32 instead of float64")
    args = parser.parse_args()
    dtype = "float32" if args.float32 else "float64"
    X, Y, params = data(args.batch, dtype)
    rows = available()
    if not any(device == "cuda" or library == "cupy" for _, library, device in rows):
        print("No GPU found here: only the CPU rows are measured.")
    first_loss = numpy_by_hand(X, Y, params)()
    baseline = seconds_per_step(numpy_by_hand(X, Y, params), args.steps, args.repeats)
    print(f"\nmlp {' -> '.join(map(str, SIZES))}, batch {args.batch}, {dtype}")
    print("(every row's first loss equals the NumPy step's to 1e-6: same computation)")
    print(f"{'variant':34} {'ms/step':>9} {'x NumPy':>8} {'speed-up':>9}")
    print(f"{'NumPy by hand, CPU (baseline)':34} {baseline * 1e3:9.3f} {1.0:8.3f} {1.0:8.1f}x")
    timed = [(label, tinygrad_step(X, Y, params, lib, dev)) for label, lib, dev in rows]
    timed += [
        (label.replace("eager", "compiled"), tinygrad_step(X, Y, params, lib, dev, True))
        for label, lib, dev in rows
    ]
    timed += [
        (f"PyTorch itself, {dev or 'cpu'}", torch_step(X, Y, params, dev or "cpu"))
        for _, lib, dev in rows
        if lib == "torch"
    ]
    for label, step in timed:
        t = seconds_per_step(step, args.steps, args.repeats, first_loss)
        print(f"{label:34} {t * 1e3:9.3f} {t / baseline:8.3f} {baseline / t:8.1f}x")


if __name__ == "__main__":
    main()
