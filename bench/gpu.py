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

import run  # the mlp workload's data and hand-written step, beside this file

import tinygrad_nn as tg
from tinygrad_nn import nn, optim


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
    for fan_in, fan_out in itertools.pairwise(run.MLP_SIZES):
        layers += [nn.Linear(fan_in, fan_out, dtype=X.dtype), nn.Sigmoid()]
    model = nn.Sequential(*layers)
    model.load_state_dict(dict(zip([n for n, _ in model.named_parameters()], params)))
    model.to(library, device)
    optimizer = optim.SGD(model.parameters(), lr=run.MLP_LR)
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
    opt = torch.optim.SGD(tensors, lr=run.MLP_LR)
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
    X, Y, params = run.mlp_data(0, args.batch, dtype)
    rows = available()
    if not any(device == "cuda" or library == "cupy" for _, library, device in rows):
        print("No GPU found here: only the CPU rows are measured.")
    first_loss = run.mlp_numpy_step(X, Y, params)()
    baseline = seconds_per_step(run.mlp_numpy_step(X, Y, params), args.steps, args.repeats)
    print(f"\nmlp {' -> '.join(map(str, run.MLP_SIZES))}, batch {args.batch}, {dtype}")
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
