"""Train, checkpoint, resume, then refine, in the ordinary PyTorch style: a fixed training
split with Subset, a Sampler of its own, BatchSampler, a collate_fn, DataLoader's
worker arguments, Adadelta with zero_grad(set_to_none=False), torch.save/torch.load of a
whole training checkpoint (weights_only=True, map_location), then LBFGS with a closure.

Runs on PyTorch, and unchanged on tinygrad_nn with `python -m tinygrad_nn run`.
"""

import os
import tempfile

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import BatchSampler, DataLoader, Sampler, Subset, TensorDataset

torch.set_default_dtype(torch.float64)


class FixedOrder(Sampler):
    """A sampler of our own: the same shuffled order, drawn once from NumPy, every epoch
    (so PyTorch and tinygrad_nn visit the examples alike)."""

    def __init__(self, n, seed):
        self.order = np.random.default_rng(seed).permutation(n).tolist()

    def __iter__(self):
        return iter(self.order)

    def __len__(self):
        return len(self.order)


def collate(examples):
    xs, ys = zip(*examples)
    return torch.stack(xs), torch.stack(ys)


def make_model(seed):
    model = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 1))
    rng = np.random.default_rng(seed)
    state = {
        k: torch.tensor(rng.uniform(-0.7, 0.7, size=tuple(v.shape)))
        for k, v in model.state_dict().items()
    }
    model.load_state_dict(state)
    return model


def main(epochs=4):
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, size=(48, 2))
    y = (X[:, :1] * X[:, 1:]) + 0.3 * np.cos(2 * X[:, :1])
    data = TensorDataset(torch.tensor(X), torch.tensor(y))
    train = Subset(data, list(range(40)))
    sampler = BatchSampler(FixedOrder(len(train), seed=1), batch_size=8, drop_last=False)
    loader = DataLoader(
        train, batch_sampler=sampler, collate_fn=collate, num_workers=0, pin_memory=False
    )
    assert len(loader) == 5

    model = make_model(2)
    optimizer = torch.optim.Adadelta(model.parameters(), lr=1.0, rho=0.9, weight_decay=1e-3)
    for _ in range(epochs):
        for xb, yb in loader:
            optimizer.zero_grad(set_to_none=False)
            loss = F.mse_loss(model(xb), yb)
            loss.backward()
            optimizer.step()

    path = os.path.join(tempfile.mkdtemp(), "checkpoint.pt")
    torch.save(
        {
            "epoch": epochs,
            "model": model.state_dict(),
            "optimizer": optimizer.state_dict(),
            "loss": loss.item(),
            "note": "after adadelta",
        },
        path,
    )
    checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    resumed = make_model(3)
    resumed.load_state_dict(checkpoint["model"])
    assert checkpoint["epoch"] == epochs and checkpoint["note"] == "after adadelta"

    X_all, y_all = torch.tensor(X[:40]), torch.tensor(y[:40])
    lbfgs = torch.optim.LBFGS(resumed.parameters(), lr=1, max_iter=10, history_size=5)

    def closure():
        lbfgs.zero_grad()
        loss = F.mse_loss(resumed(X_all), y_all)
        loss.backward()
        return loss

    for _ in range(3):
        lbfgs.step(closure)
    loss = closure()
    grads = {name: p.grad.detach().numpy().copy() for name, p in resumed.named_parameters()}
    return {"loss": loss.item(), "grads": grads}


if __name__ == "__main__":
    print(f"final loss: {main()['loss']:.15g}")
