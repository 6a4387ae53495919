"""A character-level MLP language model in the makemore style: a lookup table C, one
tanh hidden layer, F.cross_entropy, minibatches, `p.data += -lr * p.grad`, then names
sampled with torch.multinomial and a torch.Generator. Run with --steps N.

Runs on PyTorch, and unchanged on tinygrad_nn with `python -m tinygrad_nn run`.
"""

import argparse

import numpy as np
import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)

WORDS = """emma olivia ava isabella sophia charlotte mia amelia harper evelyn abigail emily
elizabeth mila ella avery sofia camila aria scarlett victoria madison luna grace chloe
penelope layla riley zoey nora lily eleanor hannah lillian addison aubrey ellie stella
natalie zoe leah hazel violet aurora savannah audrey brooklyn bella claire skylar""".split()  # noqa: SIM905
BLOCK = 3  # characters of context


def build_dataset(words, stoi):
    contexts, targets = [], []
    for w in words:
        context = [0] * BLOCK
        for ch in w + ".":
            contexts.append(context)
            targets.append(stoi[ch])
            context = [*context[1:], stoi[ch]]
    X = torch.zeros((len(contexts), BLOCK), dtype=torch.long)
    for i, context in enumerate(contexts):
        X[i] = torch.tensor(context)  # x[idx] = v, row by row
    Y = torch.tensor(targets)
    return X, Y


def main(steps=40):
    chars = sorted(set("".join(WORDS)))
    stoi = {s: i + 1 for i, s in enumerate(chars)}
    stoi["."] = 0
    itos = {i: s for s, i in stoi.items()}
    vocab = len(stoi)
    X, Y = build_dataset(WORDS, stoi)

    rng = np.random.default_rng(42)  # the weights from NumPy: both libraries start alike
    C = torch.tensor(rng.normal(size=(vocab, 6)))
    W1 = torch.tensor(rng.normal(size=(BLOCK * 6, 32)) / (BLOCK * 6) ** 0.5)
    b1 = torch.tensor(rng.normal(size=32) * 0.01)
    W2 = torch.tensor(rng.normal(size=(32, vocab)) * 0.1)
    b2 = torch.zeros(vocab)
    parameters = [C, W1, b1, W2, b2]
    for p in parameters:
        p.requires_grad = True
    print(sum(p.nelement() for p in parameters), "parameters")

    for i in range(steps):
        ix = torch.tensor(rng.integers(0, X.shape[0], size=32))  # a minibatch
        emb = C[X[ix]]  # (32, BLOCK, 6)
        h = torch.tanh(emb.view(-1, BLOCK * 6) @ W1 + b1)
        logits = h @ W2 + b2
        loss = F.cross_entropy(logits, Y[ix])
        for p in parameters:
            p.grad = None
        loss.backward()
        lr = 0.1 if i < steps // 2 else 0.01
        for p in parameters:
            p.data += -lr * p.grad
    names = ["C", "W1", "b1", "W2", "b2"]
    grads = {name: p.grad.numpy().copy() for name, p in zip(names, parameters)}

    with torch.no_grad():  # the full training set's loss, as makemore reports it
        h = torch.tanh(C[X].view(-1, BLOCK * 6) @ W1 + b1)
        full = F.cross_entropy(h @ W2 + b2, Y)

    g = torch.Generator().manual_seed(2147483647)
    samples = []
    for _ in range(3):
        out, context = [], [0] * BLOCK
        while len(out) < 12:
            h = torch.tanh(C[torch.tensor([context])].view(1, -1) @ W1 + b1)
            probs = F.softmax(h @ W2 + b2, dim=1)
            ix = torch.multinomial(probs, num_samples=1, replacement=True, generator=g).item()
            context = [*context[1:], ix]
            if ix == 0:
                break
            out.append(itos[ix])
        samples.append("".join(out))
    assert all(set(s) <= set(chars) for s in samples)
    return {"loss": loss.item(), "full_loss": full.item(), "grads": grads, "samples": samples}


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=40)
    result = main(parser.parse_args().steps)
    print("samples:", " ".join(result["samples"]))
    print(f"final loss: {result['loss']:.15g}")
