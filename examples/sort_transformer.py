"""A small transformer learns to sort: six digits in 0-2 in, the same digits sorted out.

As minGPT's sort demo: the model reads ``input + sorted[:-1]`` (11 tokens) and, at each of
the last six positions, predicts the next token of the sorted sequence. Attention is
causal (a position sees only those before it), so at test time the sorted digits are
generated one at a time, each from the input and the digits generated so far. Two
pre-norm encoder layers with a causal mask make a decoder-only transformer.

Run: python examples/sort_transformer.py [--steps 500] [--seed 0] [--quick]
The last line is the exact-match accuracy on 500 held-out sequences.
"""

from __future__ import annotations

import argparse

import numpy as np

import tinygrad_nn as tg
from tinygrad_nn import nn, optim
from tinygrad_nn.nn import functional as F

LENGTH, DIGITS = 6, 3


def sequences(count: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Inputs (count, 11): digits then their sorted order but the last; targets (count, 6)."""
    digits = rng.integers(0, DIGITS, size=(count, LENGTH))
    ordered = np.sort(digits, axis=1)
    return np.concatenate([digits, ordered[:, :-1]], axis=1), ordered


class Sorter(nn.Module):
    def __init__(self, width: int = 48, heads: int = 3, layers: int = 2) -> None:
        super().__init__()
        self.tokens = nn.Embedding(DIGITS, width)
        self.positions = nn.Embedding(2 * LENGTH - 1, width)
        self.blocks = nn.ModuleList(
            nn.TransformerEncoderLayer(
                width, heads, 4 * width, dropout=0.0, batch_first=True, norm_first=True
            )
            for _ in range(layers)
        )
        self.norm = nn.LayerNorm(width)
        self.head = nn.Linear(width, DIGITS)

    def forward(self, tokens: np.ndarray) -> tg.Tensor:
        x = self.tokens(tokens) + self.positions(np.arange(tokens.shape[1]))
        for block in self.blocks:
            x = block(x, is_causal=True)
        return self.head(self.norm(x))  # (N, T, DIGITS): logits of the next token


def loss_on_the_sorted_half(model: Sorter, inputs: np.ndarray, targets: np.ndarray) -> tg.Tensor:
    logits = model(inputs)[:, LENGTH - 1 :]  # the positions that predict sorted digits
    return F.cross_entropy(logits.reshape(-1, DIGITS), targets.reshape(-1))


def generate(model: Sorter, digits: np.ndarray) -> np.ndarray:
    """Greedy decoding: each sorted digit from the input and the ones generated so far."""
    tokens = digits
    with tg.no_grad():
        for _ in range(LENGTH):
            logits = model(tokens).numpy()[:, -1]
            tokens = np.concatenate([tokens, logits.argmax(-1)[:, None]], axis=1)
    return tokens[:, LENGTH:]


def train(steps: int, seed: int = 0, batch: int = 64) -> tuple[Sorter, list[float]]:
    tg.manual_seed(seed)
    rng = np.random.default_rng(seed)
    model = Sorter()
    optimizer = optim.AdamW(model.parameters(), lr=3e-3, weight_decay=0.01)
    losses = []
    for _ in range(steps):
        inputs, targets = sequences(batch, rng)
        optimizer.zero_grad()
        loss = loss_on_the_sorted_half(model, inputs, targets)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return model, losses


def main(argv: list[str] | None = None) -> float:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=500)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="150 steps, for the tests")
    args = parser.parse_args(argv)
    steps = 150 if args.quick else args.steps
    model, losses = train(steps, args.seed)
    inputs, ordered = sequences(500, np.random.default_rng(args.seed + 1))
    digits = inputs[:, :LENGTH]
    generated = generate(model, digits)
    print(f"loss after {steps} steps: {losses[-1]:.4f}")
    print(f"{digits[0].tolist()} -> {generated[0].tolist()} (want {ordered[0].tolist()})")
    result = float((generated == ordered).all(axis=1).mean())
    print(f"exact-match accuracy: {result:.3f}")
    return result


if __name__ == "__main__":
    main()
