"""A variational autoencoder as a textbook chapter writes one (d2l-style, after PyTorch's
examples/vae): nn.Sequential encoder and decoder, the reparameterisation trick with
torch.exp and torch.randn_like, a Bernoulli reconstruction term (F.binary_cross_entropy
on sigmoid outputs, and BCEWithLogitsLoss for the same number from logits) plus the KL
term, a shuffling DataLoader (d2l's load_array), Adam with clip_grad_norm_, a
torch.save/torch.load of the state_dict to a temporary file, and decoding samples from
the prior. Run with --epochs N.

Runs on PyTorch, and unchanged on tinygrad_nn with `python -m tinygrad_nn run`.
"""

import argparse
import os
import tempfile

import torch
from torch import nn
from torch.nn import functional as F
from torch.utils import data

torch.set_default_dtype(torch.float64)


class VAE(nn.Module):
    def __init__(self, num_inputs=36, num_hiddens=24, num_latent=4):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(num_inputs, num_hiddens), nn.ReLU())
        self.fc_mu = nn.Linear(num_hiddens, num_latent)
        self.fc_logvar = nn.Linear(num_hiddens, num_latent)
        self.decoder = nn.Sequential(
            nn.Linear(num_latent, num_hiddens), nn.ReLU(), nn.Linear(num_hiddens, num_inputs)
        )

    def encode(self, X):
        H = self.encoder(X)
        return self.fc_mu(H), self.fc_logvar(H)

    def reparameterize(self, mu, logvar):
        std = torch.exp(0.5 * logvar)
        eps = torch.randn_like(std)
        return mu + eps * std

    def decode(self, Z):
        return torch.sigmoid(self.decoder(Z))

    def forward(self, X):
        mu, logvar = self.encode(X.view(-1, 36))
        Z = self.reparameterize(mu, logvar)
        return self.decode(Z), mu, logvar


def loss_function(recon_x, x, mu, logvar):
    """Reconstruction + KL divergence losses summed over all elements and batch."""
    BCE = F.binary_cross_entropy(recon_x, x.view(-1, 36), reduction="sum")
    # see Appendix B from VAE paper: Kingma and Welling. Auto-Encoding Variational Bayes.
    # 0.5 * sum(1 + log(sigma^2) - mu^2 - sigma^2)
    KLD = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
    return BCE + KLD


def synthetic_images(n):
    """6x6 binary "images": random rows and columns lit, each pixel flipped with
    probability 0.1."""
    rows = torch.bernoulli(torch.full((n, 6, 1), 0.3))
    cols = torch.bernoulli(torch.full((n, 1, 6), 0.3))
    flip = torch.bernoulli(torch.full((n, 6, 6), 0.1))
    return torch.abs(torch.clamp(rows + cols, max=1.0) - flip).view(n, 1, 6, 6)


def load_array(data_arrays, batch_size, is_train=True):
    """Construct a PyTorch data iterator."""
    dataset = data.TensorDataset(*data_arrays)
    return data.DataLoader(dataset, batch_size, shuffle=is_train)


def train_vae(net, data_iter, num_epochs, lr):
    optimizer = torch.optim.Adam(net.parameters(), lr=lr)
    net.train()
    for epoch in range(num_epochs):
        train_loss, norms = 0.0, []
        for (X,) in data_iter:
            optimizer.zero_grad()
            recon_batch, mu, logvar = net(X)
            loss = loss_function(recon_batch, X, mu, logvar)
            loss.backward()
            norms.append(float(nn.utils.clip_grad_norm_(net.parameters(), max_norm=50.0)))
            train_loss += loss.item()
            optimizer.step()
        print(f"epoch {epoch + 1}, loss {train_loss / len(data_iter.dataset):.4f}")
    return loss, norms


def main(num_epochs=3):
    torch.manual_seed(0)
    images = synthetic_images(64)
    net = VAE()
    loss, norms = train_vae(net, load_array((images,), batch_size=16), num_epochs, lr=1e-2)

    path = os.path.join(tempfile.mkdtemp(), "vae.pt")
    torch.save(net.state_dict(), path)
    clone = VAE()
    clone.load_state_dict(torch.load(path))
    clone.eval()

    with torch.no_grad():
        X = images[:8].view(-1, 36)
        mu, _ = clone.encode(X)
        logits = clone.decoder(mu)  # the mean code's reconstruction, from logits
        recon = nn.BCEWithLogitsLoss(reduction="sum")(logits, X)
        assert torch.allclose(
            recon, F.binary_cross_entropy(torch.sigmoid(logits), X, reduction="sum")
        )
        sample = clone.decode(torch.randn(4, 4))  # decode draws from the prior
        assert sample.shape == (4, 36) and bool(((sample > 0) & (sample < 1)).all())

    grads = {name: p.grad.numpy().copy() for name, p in net.named_parameters()}
    return {
        "loss": loss.item(),
        "recon": recon.item(),
        "norms": norms,
        "sample_mean": sample.mean().item(),
        "grads": grads,
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=3)
    print(f"final loss: {main(parser.parse_args().epochs)['loss']:.15g}")
