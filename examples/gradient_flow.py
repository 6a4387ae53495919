"""Vanishing gradients, seen: ten sigmoid layers against ten ReLU layers with Kaiming init.

Each sigmoid multiplies the gradient by its derivative, at most 1/4, so after ten layers
the first layer's gradient is many orders of magnitude smaller than the last one's and
it barely learns. ReLU passes gradients through unchanged where it is active, and
Kaiming (He) initialisation keeps the signal's size from layer to layer. One backward
pass on each network, then ``viz.gradient_flow`` per network.

Run: python examples/gradient_flow.py [--out gradient_flow.png] [--seed 0]
"""

from __future__ import annotations

import argparse

import numpy as np

import tinygrad_nn as tg
from tinygrad_nn import nn, optim, viz


def deep_network(activation: type[nn.Module], kaiming: bool, depth: int = 10) -> nn.Sequential:
    """``depth`` layers of Linear(32, 32) and ``activation``, then Linear(32, 1)."""
    layers: list[nn.Module] = []
    for _ in range(depth):
        if kaiming:
            layers.append(nn.Linear(32, 32, init=nn.init.kaiming_uniform, bias_init=nn.init.zeros))
        else:
            layers.append(nn.Linear(32, 32))  # PyTorch's default: U(+-1/sqrt(fan_in))
        layers.append(activation())
    return nn.Sequential(*layers, nn.Linear(32, 1))


def compare(seed: int = 0) -> dict[str, tuple[nn.Sequential, optim.SGD]]:
    """Both networks after one backward pass on the same random batch."""
    X = tg.Tensor(np.random.default_rng(seed).standard_normal((64, 32)))
    networks = {}
    for title, activation, kaiming in [
        ("10 sigmoid layers, default init", nn.Sigmoid, False),
        ("10 ReLU layers, Kaiming init", nn.ReLU, True),
    ]:
        tg.manual_seed(seed)
        model = deep_network(activation, kaiming)
        optimizer = optim.SGD(model.parameters(), lr=0.1)
        (model(X) ** 2).mean().backward()
        networks[title] = (model, optimizer)
    return networks


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=None, help="write the figure here (needs matplotlib)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    networks = compare(args.seed)
    for title, (model, optimizer) in networks.items():
        stats = viz.gradient_stats(model, optimizer)
        first, last = stats[0], stats[-2]  # the first and the last weight matrix
        ratio = last.mean_abs_grad / first.mean_abs_grad
        print(
            f"{title}: mean |gradient| of {first.name} {first.mean_abs_grad:.2e}, "
            f"of {last.name} {last.mean_abs_grad:.2e} (ratio {ratio:.1e})"
        )
    if args.out:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        figure, axes = plt.subplots(1, 2, figsize=(11, 4.2), sharey=True, dpi=150)
        for ax, (title, (model, optimizer)) in zip(axes, networks.items()):
            viz.gradient_flow(model, optimizer, ax=ax, title=title)
        figure.savefig(args.out)
        print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
