"""An MLP regression in the ordinary PyTorch style: nn.Module, DataLoader, Adam, StepLR.

Runs on PyTorch, and unchanged on tinygrad_nn with `python -m tinygrad_nn run`.
"""

import numpy as np
import torch
import torch.nn as nn
from torch.optim.lr_scheduler import StepLR
from torch.utils.data import DataLoader, TensorDataset

torch.set_default_dtype(torch.float64)


class MLP(nn.Module):
    def __init__(self, n_in, n_hidden):
        super().__init__()
        self.hidden = nn.Linear(n_in, n_hidden)
        self.act = nn.Tanh()
        self.out = nn.Linear(n_hidden, 1)

    def forward(self, x):
        return self.out(self.act(self.hidden(x)))


def seeded_weights(model, seed):
    """Every parameter drawn from NumPy, so PyTorch and tinygrad_nn start alike."""
    rng = np.random.default_rng(seed)
    state = {
        k: torch.tensor(rng.uniform(-0.5, 0.5, size=tuple(v.shape)))
        for k, v in model.state_dict().items()
    }
    model.load_state_dict(state)


def main(epochs=15):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(64, 3))
    y = np.sin(X[:, :1]) + 0.5 * X[:, 1:2] * X[:, 2:3]
    loader = DataLoader(TensorDataset(torch.tensor(X), torch.tensor(y)), batch_size=16)

    model = MLP(3, 16)
    seeded_weights(model, 1)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.02)
    scheduler = StepLR(optimizer, step_size=5, gamma=0.5)
    loss_fn = nn.MSELoss()
    for _ in range(epochs):
        for xb, yb in loader:
            optimizer.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            optimizer.step()
        scheduler.step()
    grads = {name: p.grad.numpy().copy() for name, p in model.named_parameters()}
    return {"loss": loss.item(), "grads": grads}


if __name__ == "__main__":
    print(f"final loss: {main()['loss']:.15g}")
