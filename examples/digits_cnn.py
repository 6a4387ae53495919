"""A convolutional network reads handwritten digits: scikit-learn's 8x8 ``load_digits``.

1,797 images ship inside the scikit-learn wheel, so nothing is downloaded. A fixed 80/20
split; two convolution + ReLU + max-pool stages, then a linear layer; minibatches from a
``DataLoader``, Adam, and the test accuracy after every epoch. The backward pass of each
convolution is the chain rule through its im2col windows and one matrix product.

Run: python examples/digits_cnn.py [--epochs 15] [--seed 0] [--out DIR] [--quick]
Needs: pip install 'tinygrad-nn[examples]' (scikit-learn, matplotlib).
The last line is the test accuracy.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

import tinygrad_nn as tg
from tinygrad_nn import nn, optim
from tinygrad_nn.data import DataLoader, TensorDataset
from tinygrad_nn.training import accuracy, evaluate, fit


def digits(seed: int = 0) -> tuple[np.ndarray, ...]:
    """Images (N, 1, 8, 8) scaled to [0, 1] and labels, split 80/20 in a fixed order."""
    from sklearn.datasets import load_digits

    data = load_digits()
    images = (data.images / 16.0)[:, None].astype(np.float64)
    order = np.random.default_rng(seed).permutation(len(images))
    cut = int(0.8 * len(images))
    train, test = order[:cut], order[cut:]
    return images[train], data.target[train], images[test], data.target[test]


def model() -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1),  # 8x8 -> 8x8
        nn.ReLU(),
        nn.MaxPool2d(2),  # -> 4x4
        nn.Conv2d(16, 32, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),  # -> 2x2
        nn.Flatten(),
        nn.Linear(32 * 2 * 2, 10),
    )


def pictures(network: nn.Module, images: np.ndarray, labels: np.ndarray, out: Path) -> None:
    """The first layer's 16 filters, and up to 8 test digits the network got wrong."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    filters = network[0].weight.detach().numpy()[:, 0]
    fig, axes = plt.subplots(2, 8, figsize=(8, 2.4), dpi=150)
    for ax, f in zip(axes.flat, filters):
        ax.imshow(f, cmap="gray")
        ax.axis("off")
    fig.suptitle("first-layer filters (3x3)")
    fig.savefig(out / "digits_filters.png")
    plt.close(fig)
    with tg.no_grad():
        predicted = network(tg.Tensor(images)).numpy().argmax(-1)
    wrong = np.flatnonzero(predicted != labels)[:8]
    fig, axes = plt.subplots(1, 8, figsize=(8, 1.6), dpi=150)
    for ax in axes:
        ax.axis("off")
    for ax, i in zip(axes, wrong):
        ax.imshow(images[i, 0], cmap="gray_r")
        ax.set_title(f"{labels[i]} as {predicted[i]}", fontsize=8)
    fig.suptitle("misclassified test digits (true as predicted)")
    fig.savefig(out / "digits_mistakes.png")
    plt.close(fig)


def main(argv: list[str] | None = None) -> float:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=Path("."))
    parser.add_argument("--quick", action="store_true", help="3 epochs, for the tests")
    parser.add_argument(
        "--compiled", action="store_true", help="train through tinygrad_nn.compile, step by step"
    )
    args = parser.parse_args(argv)
    epochs = 3 if args.quick else args.epochs
    x_train, y_train, x_test, y_test = digits(args.seed)
    tg.manual_seed(args.seed)
    network = model()
    loader = DataLoader(TensorDataset(x_train, y_train), 32, shuffle=True, seed=args.seed)
    history = fit(
        network,
        nn.functional.cross_entropy,
        optim.Adam(network.parameters(), lr=3e-3),
        loader,
        epochs=epochs,
        description="digits",
        validation=(x_test, y_test),
        metric=accuracy,
        compiled=args.compiled,
    )
    args.out.mkdir(parents=True, exist_ok=True)
    pictures(network, x_test, y_test, args.out)
    print(f"test accuracy by epoch: {' '.join(f'{a:.3f}' for a in history.validation)}")
    result = evaluate(network, accuracy, x_test, y_test)
    print(f"test accuracy: {result:.3f}")
    return result


if __name__ == "__main__":
    main()
