"""A small LeNet-style CNN on 8x8 images of bars: Conv2d, MaxPool2d, a DataLoader with a
sampler and worker arguments, SGD with momentum, zero_grad(set_to_none=True), and a
torch.save/torch.load of the state_dicts half way through. Run with --steps N (epochs).

Runs on PyTorch, and unchanged on tinygrad_nn with `python -m tinygrad_nn run`.
"""

import argparse
import os
import tempfile

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, SequentialSampler, TensorDataset

torch.set_default_dtype(torch.float64)


class LeNet(nn.Module):
    def __init__(self, classes=3):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 4, kernel_size=3, padding=1)
        self.conv2 = nn.Conv2d(4, 6, kernel_size=3)
        self.pool = nn.MaxPool2d(2, 2)
        self.fc1 = nn.Linear(6 * 1 * 1, 16)
        self.fc2 = nn.Linear(16, classes)

    def forward(self, x):
        x = self.pool(F.relu(self.conv1(x)))  # (N, 4, 4, 4)
        x = self.pool(F.relu(self.conv2(x)))  # (N, 6, 1, 1)
        x = torch.flatten(x, 1)
        return self.fc2(F.relu(self.fc1(x)))


def bars(n, rng):
    """Images with a horizontal bar (class 0), a vertical bar (1) or a diagonal (2)."""
    images = rng.normal(scale=0.3, size=(n, 1, 8, 8))
    labels = rng.integers(0, 3, size=n)
    for img, label in zip(images, labels):
        k = rng.integers(1, 7)
        if label == 0:
            img[0, k, :] += 1.0
        elif label == 1:
            img[0, :, k] += 1.0
        else:
            img[0] += np.eye(8)
    return torch.tensor(images), torch.tensor(labels)


def seeded_weights(model, seed):
    rng = np.random.default_rng(seed)
    state = {
        k: torch.tensor(rng.uniform(-0.5, 0.5, size=tuple(v.shape)))
        for k, v in model.state_dict().items()
    }
    model.load_state_dict(state)


def train(model, optimizer, loader, epochs):
    model.train()
    for _ in range(epochs):
        for images, labels in loader:
            optimizer.zero_grad(set_to_none=True)
            loss = F.cross_entropy(model(images), labels)
            loss.backward()
            optimizer.step()
    return loss


def main(steps=4):
    rng = np.random.default_rng(0)
    images, labels = bars(48, rng)
    dataset = TensorDataset(images, labels)
    loader = DataLoader(
        dataset, batch_size=12, sampler=SequentialSampler(dataset), num_workers=0, pin_memory=False
    )

    model = LeNet()
    seeded_weights(model, 5)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    train(model, optimizer, loader, steps // 2)

    path = os.path.join(tempfile.mkdtemp(), "lenet.pt")
    torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict()}, path)
    checkpoint = torch.load(path)
    model = LeNet()
    model.load_state_dict(checkpoint["model"])
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    optimizer.load_state_dict(checkpoint["optimizer"])
    loss = train(model, optimizer, loader, steps - steps // 2)

    model.eval()
    with torch.no_grad():
        accuracy = (model(images).argmax(dim=1) == labels).float().mean().item()
    grads = {name: p.grad.numpy().copy() for name, p in model.named_parameters()}
    return {"loss": loss.item(), "accuracy": accuracy, "grads": grads}


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=4)
    result = main(parser.parse_args().steps)
    print(f"accuracy: {result['accuracy']:.3f}")
    print(f"final loss: {result['loss']:.15g}")
