"""A tiny character-level GPT, written the ordinary PyTorch way.

Token and position embeddings, a few transformer blocks (causal self-attention written
by hand with a lower-triangular mask, LayerNorm, an MLP with GELU), an output layer that
shares its weight with the token embedding, trained with AdamW on a short text, then
sampled one character at a time.

The same file runs on PyTorch and, unchanged, on tinygrad_nn:

    python examples/gpt_pytorch.py --quick
    python -m tinygrad_nn run examples/gpt_pytorch.py --quick
    python -m tinygrad_nn run --explain gpt_out examples/gpt_pytorch.py --quick

Batches are drawn with NumPy's generator, so both libraries train on the same windows.
"""

import argparse
import math

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)

TEXT = (
    "the quick brown fox jumps over the lazy dog. "
    "a gradient flows backwards through every operation that made the loss. "
    "each layer takes what comes from above and passes on what it owes below. "
)
QUICK = dict(steps=4, batch_size=4, block_size=8, n_embd=16, n_head=2, n_layer=2)
FULL = dict(steps=300, batch_size=16, block_size=16, n_embd=32, n_head=4, n_layer=2)
VOCAB_SIZE = len(set(TEXT))


class CausalSelfAttention(nn.Module):
    """Multi-head self-attention; each position attends to itself and those before it."""

    def __init__(self, n_embd, n_head, block_size):
        super().__init__()
        assert n_embd % n_head == 0
        self.n_head = n_head
        self.qkv = nn.Linear(n_embd, 3 * n_embd)
        self.proj = nn.Linear(n_embd, n_embd)
        mask = torch.tril(torch.ones(block_size, block_size))
        self.register_buffer("mask", mask.view(1, 1, block_size, block_size))

    def forward(self, x):
        B, T, C = x.shape
        q, k, v = self.qkv(x).split(C, dim=2)
        q = q.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)  # (B, nh, T, hs)
        k = k.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        v = v.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        att = (q @ k.transpose(-2, -1)) / math.sqrt(k.size(-1))
        att = att.masked_fill(self.mask[:, :, :T, :T] == 0, float("-inf"))
        att = F.softmax(att, dim=-1)
        y = att @ v  # (B, nh, T, hs)
        y = y.transpose(1, 2).contiguous().view(B, T, C)
        return self.proj(y)


class MLP(nn.Module):
    def __init__(self, n_embd):
        super().__init__()
        self.fc = nn.Linear(n_embd, 4 * n_embd)
        self.gelu = nn.GELU()
        self.out = nn.Linear(4 * n_embd, n_embd)

    def forward(self, x):
        return self.out(self.gelu(self.fc(x)))


class Block(nn.Module):
    def __init__(self, n_embd, n_head, block_size):
        super().__init__()
        self.ln1 = nn.LayerNorm(n_embd)
        self.attn = CausalSelfAttention(n_embd, n_head, block_size)
        self.ln2 = nn.LayerNorm(n_embd)
        self.mlp = MLP(n_embd)

    def forward(self, x):
        x = x + self.attn(self.ln1(x))
        return x + self.mlp(self.ln2(x))


class GPT(nn.Module):
    def __init__(self, vocab_size, block_size, n_embd=32, n_head=4, n_layer=2):
        super().__init__()
        self.block_size = block_size
        self.wte = nn.Embedding(vocab_size, n_embd)
        self.wpe = nn.Embedding(block_size, n_embd)
        self.blocks = nn.ModuleList([Block(n_embd, n_head, block_size) for _ in range(n_layer)])
        self.ln_f = nn.LayerNorm(n_embd)
        self.lm_head = nn.Linear(n_embd, vocab_size, bias=False)
        self.lm_head.weight = self.wte.weight  # weight tying
        self.apply(self._init_weights)

    def _init_weights(self, module):
        if isinstance(module, nn.Linear):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)
            if module.bias is not None:
                nn.init.zeros_(module.bias)
        elif isinstance(module, nn.Embedding):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)

    def forward(self, idx, targets=None):
        _, T = idx.shape
        pos = torch.arange(0, T, dtype=torch.long)
        x = self.wte(idx) + self.wpe(pos)
        for block in self.blocks:
            x = block(x)
        logits = self.lm_head(self.ln_f(x))
        if targets is None:
            return logits, None
        loss = F.cross_entropy(logits.view(-1, logits.size(-1)), targets.view(-1))
        return logits, loss

    @torch.no_grad()
    def generate(self, idx, max_new_tokens, temperature=1.0):
        for _ in range(max_new_tokens):
            context = idx[:, -self.block_size :]
            logits, _ = self(context)
            probs = F.softmax(logits[:, -1, :] / temperature, dim=-1)
            next_id = torch.multinomial(probs, num_samples=1)
            idx = torch.cat((idx, next_id), dim=1)
        return idx


def get_batch(data, block_size, batch_size, rng):
    starts = rng.integers(0, len(data) - block_size - 1, size=batch_size)
    x = torch.stack([data[s : s + block_size] for s in starts])
    y = torch.stack([data[s + 1 : s + block_size + 1] for s in starts])
    return x, y


def main(argv=None, state=None):
    """Train and sample; returns the losses, the sample and the trained model.

    ``state``: initial weights to load (a dict of arrays), e.g. another run's.
    """
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a few steps, tiny sizes")
    parser.add_argument("--steps", type=int, default=None)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    config = dict(QUICK if args.quick else FULL)
    steps, batch_size = config.pop("steps"), config.pop("batch_size")
    steps = args.steps if args.steps is not None else steps

    torch.manual_seed(args.seed)
    chars = sorted(set(TEXT))
    stoi = {ch: i for i, ch in enumerate(chars)}
    data = torch.tensor([stoi[ch] for ch in TEXT], dtype=torch.long)

    model = GPT(len(chars), **config)
    if state is not None:
        model.load_state_dict({name: torch.tensor(value) for name, value in state.items()})
    print(f"{sum(p.numel() for p in model.parameters())} parameters")
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=0.1)

    rng = np.random.default_rng(args.seed)
    losses = []
    model.train()
    for step in range(steps):
        x, y = get_batch(data, model.block_size, batch_size, rng)
        _, loss = model(x, y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        if step % max(1, steps // 10) == 0 or step == steps - 1:
            print(f"step {step:4d}: loss {loss.item():.4f}")
    print(f"final loss: {losses[-1]:.15g}")

    model.eval()
    start = torch.tensor([[stoi["t"]]], dtype=torch.long)
    sample = model.generate(start, max_new_tokens=20 if args.quick else 100)
    text = "".join(chars[i] for i in sample[0].tolist())
    print(f"sample: {text!r}")
    return {"losses": losses, "sample": text, "model": model}


if __name__ == "__main__":
    main()
