"""The cnn workload, and the LSTM's cost per time step.

cnn: batch 64 of 1x28x28 images, Conv2d(1, 16, 3) -> ReLU -> MaxPool2d(2) ->
Conv2d(16, 32, 3) -> ReLU -> MaxPool2d(2) -> Linear(800, 10), cross-entropy, SGD, 20
steps. The baseline is the same network written by hand in NumPy with im2col (windows
by stride tricks, convolution as a matrix product, backward by col2im), run in the same
process; tinygrad_nn runs it eagerly from nn.Conv2d, nn.MaxPool2d and nn.Linear, and
PyTorch's CPU step is printed beside it when PyTorch is installed. The first loss of each
is checked against the baseline's.

lstm: one LSTM layer (hidden 64, batch 32, 50 steps), forward and backward; the time
per time step in microseconds, beside PyTorch's.

Run: python bench/cnn.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import tinygrad_nn as tg
from tinygrad_nn import nn, optim
from tinygrad_nn.nn import functional as F

LR, STEPS = 0.01, 20


def data(seed: int = 0) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((64, 1, 28, 28))
    y = rng.integers(0, 10, 64)
    shapes = [(16, 1, 3, 3), (16,), (32, 16, 3, 3), (32,), (800, 10), (10,)]
    params = [rng.uniform(-0.2, 0.2, s) for s in shapes]
    return x, y, params


# ---------------------------------------------------------------- NumPy by hand


def conv_forward(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Valid 3x3 convolution by im2col; returns the output and the columns (for backward)."""
    out_c, _, kh, kw = w.shape
    cols = sliding_window_view(x, (kh, kw), axis=(2, 3))  # (N, C, OH, OW, kh, kw)
    cols = cols.transpose(0, 2, 3, 1, 4, 5).reshape(*cols.shape[:1], *cols.shape[2:4], -1)
    out = cols @ w.reshape(out_c, -1).T + b  # (N, OH, OW, out)
    return out.transpose(0, 3, 1, 2), cols


def conv_backward(
    g: np.ndarray, cols: np.ndarray, w: np.ndarray, x_shape: tuple[int, ...]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    out_c, in_c, kh, kw = w.shape
    g_rows = g.transpose(0, 2, 3, 1)  # (N, OH, OW, out)
    dw = np.tensordot(g_rows, cols, axes=([0, 1, 2], [0, 1, 2])).reshape(w.shape)
    db = g_rows.sum(axis=(0, 1, 2))
    dcols = (g_rows @ w.reshape(out_c, -1)).reshape(*g_rows.shape[:3], in_c, kh, kw)
    dx = np.zeros(x_shape)
    oh, ow = g.shape[2:]
    for i in range(kh):  # col2im: each kernel offset adds its slice back
        for j in range(kw):
            dx[:, :, i : i + oh, j : j + ow] += dcols[:, :, :, :, i, j].transpose(0, 3, 1, 2)
    return dx, dw, db


def pool_forward(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    n, c, h, w = x.shape
    blocks = x[:, :, : h // 2 * 2, : w // 2 * 2].reshape(n, c, h // 2, 2, w // 2, 2)
    out = blocks.max(axis=(3, 5))
    return out, blocks == out[:, :, :, None, :, None]


def pool_backward(g: np.ndarray, mask: np.ndarray, x_shape: tuple[int, ...]) -> np.ndarray:
    dx = np.zeros(x_shape)
    n, c, oh, _, ow, _ = mask.shape
    share = mask / mask.sum(axis=(3, 5), keepdims=True)
    dx[:, :, : oh * 2, : ow * 2] = (share * g[:, :, :, None, :, None]).reshape(n, c, oh * 2, ow * 2)
    return dx


def numpy_by_hand(x: np.ndarray, y: np.ndarray, params: list[np.ndarray]) -> Callable[[], float]:
    w1, b1, w2, b2, w3, b3 = (p.copy() for p in params)

    def step() -> float:
        c1, cols1 = conv_forward(x, w1, b1)
        r1 = np.maximum(c1, 0)
        p1, mask1 = pool_forward(r1)
        c2, cols2 = conv_forward(p1, w2, b2)
        r2 = np.maximum(c2, 0)
        p2, mask2 = pool_forward(r2)
        flat = p2.reshape(len(x), -1)
        logits = flat @ w3 + b3
        shifted = logits - logits.max(axis=1, keepdims=True)
        log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        loss = -log_p[np.arange(len(y)), y].mean()
        d_logits = np.exp(log_p)
        d_logits[np.arange(len(y)), y] -= 1
        d_logits /= len(y)
        dw3, db3 = flat.T @ d_logits, d_logits.sum(0)
        d_p2 = (d_logits @ w3.T).reshape(p2.shape)
        d_c2 = pool_backward(d_p2, mask2, r2.shape) * (c2 > 0)
        d_p1, dw2, db2 = conv_backward(d_c2, cols2, w2, p1.shape)
        d_c1 = pool_backward(d_p1, mask1, r1.shape) * (c1 > 0)
        _, dw1, db1 = conv_backward(d_c1, cols1, w1, x.shape)
        for p, g in zip((w1, b1, w2, b2, w3, b3), (dw1, db1, dw2, db2, dw3, db3)):
            p -= LR * g
        return float(loss)

    return step


# ---------------------------------------------------------------- tinygrad_nn, PyTorch


def tinygrad_step(x: np.ndarray, y: np.ndarray, params: list[np.ndarray]) -> Callable[[], float]:
    model = nn.Sequential(
        nn.Conv2d(1, 16, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(800, 10),
    )  # fmt: skip
    for p, value in zip(model.parameters(), params):  # Linear's weight is (out, in): w3.T
        p.data = (value if p.shape == value.shape else value.T).copy()
    optimizer = optim.SGD(model.parameters(), lr=LR)
    inputs = tg.Tensor(x)

    def step() -> float:
        optimizer.zero_grad()
        loss = F.cross_entropy(model(inputs), y)
        loss.backward()
        optimizer.step()
        return loss.item()

    return step


def torch_step(x: np.ndarray, y: np.ndarray, params: list[np.ndarray]) -> Callable[[], float]:
    import torch

    w1, b1, w2, b2, w3, b3 = (torch.tensor(p, requires_grad=True) for p in params)
    tensors = [w1, b1, w2, b2, w3, b3]
    opt = torch.optim.SGD(tensors, lr=LR)
    inputs, labels = torch.tensor(x), torch.tensor(y)
    tf = torch.nn.functional

    def step() -> float:
        opt.zero_grad()
        h = tf.max_pool2d(tf.relu(tf.conv2d(inputs, w1, b1)), 2)
        h = tf.max_pool2d(tf.relu(tf.conv2d(h, w2, b2)), 2)
        loss = tf.cross_entropy(h.flatten(1) @ w3 + b3, labels)
        loss.backward()
        opt.step()
        return loss.item()

    return step


def seconds(step: Callable[[], float], repeats: int, steps: int = STEPS) -> tuple[float, float]:
    """(the first loss, the median time of ``steps`` steps)."""
    first = step()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(steps):
            step()
        times.append(time.perf_counter() - start)
    return first, statistics.median(times)


def lstm_per_time_step(repeats: int) -> None:
    """Forward and backward of one LSTM layer over 50 steps, per step, in µs."""
    length, batch, features, hidden = 50, 32, 16, 64
    x = np.random.default_rng(0).standard_normal((length, batch, features))
    tg.manual_seed(0)
    lstm = nn.LSTM(features, hidden)

    def ours() -> float:
        out, _ = lstm(tg.Tensor(x))
        loss = out.sum()
        loss.backward()
        return loss.item()

    _, t = seconds(ours, repeats, 3)
    print(f"lstm (hidden {hidden}, batch {batch}): {t / 3 / length * 1e6:.0f} µs per time step")
    try:
        import torch
    except ImportError:
        return
    theirs_lstm = torch.nn.LSTM(features, hidden, dtype=torch.float64)
    xt = torch.tensor(x)

    def theirs() -> float:
        out, _ = theirs_lstm(xt)
        loss = out.sum()
        loss.backward()
        return loss.item()

    _, t = seconds(theirs, repeats, 3)
    print(f"PyTorch's LSTM, same sizes: {t / 3 / length * 1e6:.0f} µs per time step")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    report(parser.parse_args().repeats)


def report(repeats: int) -> None:
    """Print the cnn rows and the LSTM's time per step (``bench/run.py --only cnn`` too)."""
    x, y, params = data()
    first, base = seconds(numpy_by_hand(x, y, params), repeats)
    print(f"cnn, {STEPS} steps of batch 64 (1x28x28), float64")
    print(f"{'NumPy by hand (im2col)':28} {base * 1e3:9.1f} ms  1.00x")
    rows = [("tinygrad_nn eager", tinygrad_step, 1.15)]
    try:
        import torch  # noqa: F401

        rows.append(("PyTorch, CPU", torch_step, None))
    except ImportError:
        print("PyTorch: not installed")
    for label, make, target in rows:
        loss, t = seconds(make(x, y, params), repeats)
        assert np.isclose(loss, first, rtol=1e-6), (label, loss, first)
        verdict = "" if target is None else f"  target <= {target:.2f}x"
        print(f"{label:28} {t * 1e3:9.1f} ms  {t / base:.2f}x{verdict}")
    lstm_per_time_step(repeats)


if __name__ == "__main__":
    main()
