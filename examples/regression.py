"""Fit a noisy sine with a small MLP and the mean squared error; plot the fit.

Run: python examples/regression.py [--steps 2000] [--out DIR]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

import tinygrad_nn as tg
from tinygrad_nn import nn, optim
from tinygrad_nn.training import fit


def make_data(samples: int = 128, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = np.sort(rng.uniform(-np.pi, np.pi, samples)).reshape(-1, 1)
    return x, np.sin(x) + rng.normal(0, 0.1, x.shape)


def train(
    x: np.ndarray, y: np.ndarray, steps: int = 2000, seed: int = 0
) -> tuple[nn.Module, list[float]]:
    tg.manual_seed(seed)
    model = nn.Sequential(
        nn.Linear(1, 32), nn.Tanh(), nn.Linear(32, 32), nn.Tanh(), nn.Linear(32, 1)
    )
    loss_fn = nn.MSE()
    optimizer = optim.Adam(model.parameters(), lr=0.01)
    losses = fit(model, loss_fn, optimizer, x, y, steps, "regression")
    return model, losses


@tg.no_grad()
def plot_fit(model: nn.Module, x: np.ndarray, y: np.ndarray, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    grid = np.linspace(x.min(), x.max(), 400).reshape(-1, 1)
    figure, axes = plt.subplots(figsize=(6, 4))
    axes.scatter(x[:, 0], y[:, 0], s=10, color="gray", label="noisy samples")
    axes.plot(grid[:, 0], np.sin(grid[:, 0]), "--", color="black", label="sin(x)")
    fit = model(tg.Tensor(grid)).detach().numpy()[:, 0]
    axes.plot(grid[:, 0], fit, color="C3", label="MLP fit")
    axes.legend()
    axes.set_title("Fitting a noisy sine with MSE and Adam")
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def main(argv: list[str] | None = None) -> float:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="tinygrad_nn_out")
    args = parser.parse_args(argv)
    x, y = make_data(seed=args.seed)
    model, losses = train(x, y, args.steps, args.seed)
    print(f"final mean squared error: {losses[-1]:.4f}")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    plot_fit(model, x, y, out / "regression.png")
    print(f"wrote {out / 'regression.png'}")
    return losses[-1]


if __name__ == "__main__":
    main()
