"""Binary addition with a recurrent network — the classic companion of the seed's tutorial.

Two 8-bit numbers are read bit by bit, least significant first; at every step the
network outputs one bit of the sum. To be right it must learn to carry: remember, from
one step to the next, whether the previous column overflowed. That memory is the RNN's
hidden state, and the gradient that teaches it flows back through time, step by step,
over the unrolled graph — an ordinary ``backward()``.

Run: python examples/binary_addition_rnn.py [--steps 1000] [--seed 0] [--quick]
The last line is the accuracy (every bit right) on 1,000 held-out pairs.
"""

from __future__ import annotations

import argparse

import numpy as np

import tinygrad_nn as tg
from tinygrad_nn import nn, optim
from tinygrad_nn.nn import functional as F

BITS = 8


def bits(numbers: np.ndarray) -> np.ndarray:
    """(n,) integers -> (n, BITS) of their bits, least significant first."""
    return (numbers[:, None] >> np.arange(BITS)) & 1


def pairs(count: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Inputs (count, BITS, 2): the bits of a and b; targets (count, BITS, 1): of a + b."""
    a, b = rng.integers(0, 2 ** (BITS - 1), size=(2, count))  # the sum fits in BITS bits
    inputs = np.stack([bits(a), bits(b)], axis=-1).astype(float)
    return inputs, bits(a + b)[..., None].astype(float)


class Adder(nn.Module):
    """An RNN over the columns, and a linear read-out of each step's hidden state."""

    def __init__(self, hidden: int = 16) -> None:
        super().__init__()
        self.rnn = nn.RNN(2, hidden, batch_first=True)
        self.readout = nn.Linear(hidden, 1)

    def forward(self, x: tg.Tensor) -> tg.Tensor:
        states, _ = self.rnn(x)
        return self.readout(states)  # logits of the sum's bits


def accuracy(model: Adder, inputs: np.ndarray, targets: np.ndarray) -> float:
    """The fraction of pairs whose every bit is right."""
    with tg.no_grad():
        predicted = model(tg.Tensor(inputs)).numpy() > 0
    return float((predicted == (targets > 0.5)).all(axis=(1, 2)).mean())


def train(steps: int, seed: int = 0, batch: int = 64) -> tuple[Adder, list[float]]:
    tg.manual_seed(seed)
    rng = np.random.default_rng(seed)
    model = Adder()
    optimizer = optim.Adam(model.parameters(), lr=0.01)
    losses = []
    for _ in range(steps):  # a fresh minibatch of pairs at every step
        inputs, targets = pairs(batch, rng)
        optimizer.zero_grad()
        loss = F.binary_cross_entropy_with_logits(model(tg.Tensor(inputs)), targets)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return model, losses


def main(argv: list[str] | None = None) -> float:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="150 steps, for the tests")
    args = parser.parse_args(argv)
    steps = 150 if args.quick else args.steps
    model, losses = train(steps, args.seed)
    held_out = pairs(1000, np.random.default_rng(args.seed + 1))
    a, b = 0b0101101, 0b0011011
    x = np.stack([bits(np.array([a])), bits(np.array([b]))], axis=-1).astype(float)
    with tg.no_grad():
        sum_bits = (model(tg.Tensor(x)).numpy()[0, :, 0] > 0).astype(int)
    print(f"loss after {steps} steps: {losses[-1]:.4f}")
    print(f"{a} + {b} = {int((sum_bits << np.arange(BITS)).sum())} (want {a + b})")
    result = accuracy(model, *held_out)
    print(f"accuracy: {result:.3f}")
    return result


if __name__ == "__main__":
    main()
