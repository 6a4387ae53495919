"""XOR — the seed's problem — learned with biases, tanh and Adam.

The seed's data is XOR of the first two columns (the third is a constant 1, which acts
as a bias). Here the network has real biases instead, a tanh hidden layer, and Adam.

Run: python examples/xor.py [--steps 500] [--seed 0]
"""

from __future__ import annotations

import argparse

import numpy as np

import tinygrad_nn as tg
from tinygrad_nn import nn, optim
from tinygrad_nn.training import fit

X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
Y = np.array([[0], [1], [1], [0]], dtype=float)


def train(steps: int = 500, seed: int = 0, lr: float = 0.05) -> tuple[nn.Module, list[float]]:
    """Train a 2-8-1 tanh/sigmoid network with BCE and Adam; returns it and its losses."""
    tg.manual_seed(seed)
    model = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 1), nn.Sigmoid())
    loss_fn = nn.BCE()
    optimizer = optim.Adam(model.parameters(), lr=lr)
    losses = fit(model, loss_fn, optimizer, X, Y, steps, "xor")
    return model, losses


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=500)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    model, losses = train(args.steps, args.seed)
    with tg.no_grad():
        predicted = model(tg.Tensor(X)).numpy()[:, 0]
    print(f"loss after {args.steps} steps: {losses[-1]:.5f}")
    for row, p, target in zip(X, predicted, Y[:, 0]):
        print(f"{row.astype(int)} -> {p:.3f} (want {target:.0f})")


if __name__ == "__main__":
    main()
