"""A sequence model: a GRU encoder and an LSTMCell decoder predicting a sine wave's next
values, trained with Adam. Run with --steps N."""

import argparse

import numpy as np
import torch
import torch.nn as nn

torch.set_default_dtype(torch.float64)


class Seq2Seq(nn.Module):
    def __init__(self, hidden=6):
        super().__init__()
        self.encoder = nn.GRU(1, hidden, num_layers=2, batch_first=True, dropout=0.1)
        self.decoder = nn.LSTMCell(1, hidden)
        self.head = nn.Linear(hidden, 1)

    def forward(self, x, horizon):
        self.encoder.flatten_parameters()
        _, h_n = self.encoder(x)
        h, c = h_n[-1], torch.zeros_like(h_n[-1])
        value, outputs = x[:, -1], []
        for _ in range(horizon):
            h, c = self.decoder(value, (h, c))
            value = self.head(h)
            outputs.append(value)
        return torch.stack(outputs, 1)


def seeded_weights(model, seed):
    rng = np.random.default_rng(seed)
    state = {
        k: torch.tensor(rng.uniform(-0.4, 0.4, size=tuple(v.shape)))
        for k, v in model.state_dict().items()
    }
    model.load_state_dict(state)


def main(steps=8):
    t = np.linspace(0, 4 * np.pi, 40)
    waves = np.stack([np.sin(t + phase) for phase in np.linspace(0, 1, 5)])[..., None]
    x, target = torch.tensor(waves[:, :30]), torch.tensor(waves[:, 30:34])

    model = Seq2Seq()
    seeded_weights(model, 3)
    model.eval()  # no dropout: the run is deterministic, as the comparison needs
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    for _ in range(steps):
        optimizer.zero_grad()
        loss = nn.functional.mse_loss(model(x, horizon=4), target)
        loss.backward()
        optimizer.step()
    grads = {name: p.grad.numpy().copy() for name, p in model.named_parameters()}
    return {"loss": loss.item(), "grads": grads}


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=8)
    print(f"final loss: {main(parser.parse_args().steps)['loss']:.15g}")
