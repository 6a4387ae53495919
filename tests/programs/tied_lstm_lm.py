"""A word-level language model with an LSTM and tied weights (`lm_head.weight =
emb.weight`), initialised with Module.apply and nn.init, trained by truncated
backpropagation through time with clip_grad_norm_ and a StepLR. Run with --steps N.

Runs on PyTorch, and unchanged on tinygrad_nn with `python -m tinygrad_nn run`.
"""

import argparse

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)

TEXT = """the cat sat on the mat . the dog sat on the log . a cat saw a dog .
the dog saw the cat on the mat . a dog sat on a log and the cat sat on the mat .""".split()  # noqa: SIM905


class LSTMLM(nn.Module):
    def __init__(self, vocab, dim=8, layers=2):
        super().__init__()
        self.emb = nn.Embedding(vocab, dim)
        self.drop = nn.Dropout(0.2)
        self.rnn = nn.LSTM(dim, dim, num_layers=layers, dropout=0.2)
        self.lm_head = nn.Linear(dim, vocab)
        self.lm_head.weight = self.emb.weight  # weight tying (Press & Wolf)
        self.apply(self._init_weights)

    @staticmethod
    def _init_weights(module):
        if isinstance(module, nn.Linear):
            nn.init.zeros_(module.bias)
        elif isinstance(module, nn.Embedding):
            nn.init.uniform_(module.weight, -0.1, 0.1)

    def forward(self, tokens, hidden):
        self.rnn.flatten_parameters()
        output, hidden = self.rnn(self.drop(self.emb(tokens)), hidden)
        return self.lm_head(self.drop(output)), hidden


def seeded_weights(model, seed):
    """named_parameters lists the tied matrix once: one draw for emb and lm_head."""
    rng = np.random.default_rng(seed)
    with torch.no_grad():
        for _, p in model.named_parameters():
            p.copy_(torch.tensor(rng.uniform(-0.3, 0.3, size=tuple(p.shape))))


def batchify(ids, batch):
    n = len(ids) // batch
    return torch.tensor(ids[: n * batch]).view(batch, n).t().contiguous()  # (time, batch)


def main(steps=3):
    vocab = sorted(set(TEXT))
    stoi = {w: i for i, w in enumerate(vocab)}
    data = batchify([stoi[w] for w in TEXT], batch=4)
    bptt = 5

    model = LSTMLM(len(vocab))
    assert model.lm_head.weight is model.emb.weight
    seeded_weights(model, 7)
    model.eval()  # no dropout: the run is deterministic, as the comparison needs
    optimizer = torch.optim.SGD(model.parameters(), lr=2.0)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)
    norms = []
    for _ in range(steps):
        hidden = None
        for i in range(0, data.size(0) - 1, bptt):
            seq = min(bptt, data.size(0) - 1 - i)
            inputs, targets = data[i : i + seq], data[i + 1 : i + 1 + seq]
            if hidden is not None:
                hidden = tuple(h.detach() for h in hidden)  # truncated BPTT
            model.zero_grad()
            logits, hidden = model(inputs, hidden)
            loss = F.cross_entropy(logits.view(-1, len(vocab)), targets.reshape(-1))
            loss.backward()
            norms.append(float(nn.utils.clip_grad_norm_(model.parameters(), 0.5)))
            optimizer.step()
        scheduler.step()
    grads = {name: p.grad.numpy().copy() for name, p in model.named_parameters()}
    return {"loss": loss.item(), "norms": norms, "grads": grads}


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=3)
    result = main(parser.parse_args().steps)
    print(f"final loss: {result['loss']:.15g}")
