"""Two interleaving half-moons, classified with CrossEntropy and Adam.

Generates the data itself (no downloads), trains a 2-32-32-2 ReLU network on it, prints
the training accuracy and writes the decision boundary as a PNG.

Run: python examples/moons.py [--steps 1500] [--samples 200] [--out DIR]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

import tinygrad_nn as tg
from tinygrad_nn import nn, optim
from tinygrad_nn.training import fit


def make_moons(samples: int, noise: float = 0.2, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two half circles, one shifted into the other's gap, with Gaussian noise."""
    rng = np.random.default_rng(seed)
    half = samples // 2
    angles = rng.uniform(0, np.pi, samples)
    upper = np.stack([np.cos(angles[:half]), np.sin(angles[:half])], axis=1)
    lower = np.stack([1 - np.cos(angles[half:]), 0.5 - np.sin(angles[half:])], axis=1)
    points = np.concatenate([upper, lower]) + rng.normal(0, noise, (samples, 2))
    labels = np.concatenate(
        [np.zeros(half, dtype=np.int64), np.ones(samples - half, dtype=np.int64)]
    )
    return points, labels


def train(
    points: np.ndarray, labels: np.ndarray, steps: int = 1500, seed: int = 0
) -> tuple[nn.Module, list[float]]:
    tg.manual_seed(seed)
    model = nn.Sequential(
        nn.Linear(2, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU(), nn.Linear(32, 2)
    )
    loss_fn = nn.CrossEntropy()
    optimizer = optim.Adam(model.parameters(), lr=0.01)
    losses = fit(model, loss_fn, optimizer, points, labels, steps, "moons")
    return model, losses


@tg.no_grad()
def accuracy(model: nn.Module, points: np.ndarray, labels: np.ndarray) -> float:
    predicted = model(tg.Tensor(points)).numpy().argmax(axis=1)
    return float((predicted == labels).mean())


@tg.no_grad()
def plot_decision_boundary(
    model: nn.Module, points: np.ndarray, labels: np.ndarray, path: Path
) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    low, high = points.min(axis=0) - 0.5, points.max(axis=0) + 0.5
    xs, ys = np.meshgrid(np.linspace(low[0], high[0], 200), np.linspace(low[1], high[1], 200))
    grid = np.stack([xs.ravel(), ys.ravel()], axis=1)
    probability = model(tg.Tensor(grid)).softmax(axis=1).numpy()[:, 1].reshape(xs.shape)
    figure, axes = plt.subplots(figsize=(6, 4.5))
    axes.contourf(xs, ys, probability, levels=20, cmap="RdBu_r", alpha=0.6)
    axes.contour(xs, ys, probability, levels=[0.5], colors="k", linewidths=1)
    axes.scatter(points[:, 0], points[:, 1], c=labels, cmap="RdBu_r", edgecolors="k", s=18)
    axes.set_title(f"moons: training accuracy {accuracy(model, points, labels):.1%}")
    axes.set_xlabel("x1")
    axes.set_ylabel("x2")
    figure.tight_layout()
    figure.savefig(path, dpi=150)
    plt.close(figure)


def main(argv: list[str] | None = None) -> float:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1500)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="tinygrad_nn_out")
    args = parser.parse_args(argv)
    points, labels = make_moons(args.samples, seed=args.seed)
    model, losses = train(points, labels, args.steps, args.seed)
    acc = accuracy(model, points, labels)
    print(f"loss {losses[-1]:.4f}, training accuracy {acc:.1%}")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    plot_decision_boundary(model, points, labels, out / "moons.png")
    print(f"wrote {out / 'moons.png'}")
    return acc


if __name__ == "__main__":
    main()
