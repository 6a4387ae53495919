# ruff: noqa: UP008, UP034, B007, E741  (the authors' idioms, kept)
"""d2l's "Recurrent Neural Networks" chapter, on a short text: the RNN from scratch (params
as a list of tensors from torch.randn(...) * 0.01 with requires_grad_(True),
F.one_hot(X.T, vocab_size).type(torch.float32), the tanh loop over time steps and
torch.cat(outputs, dim=0), gradient clipping by hand, the minibatch SGD under
torch.no_grad(), perplexity math.exp(l / n), predict_ch8 with
int(y.argmax(dim=1).reshape(1))), then the concise version: nn.RNN inside an nn.Module
wrapper that reads self.rnn.hidden_size and starts from torch.zeros((num_directions *
num_layers, batch, hidden)), trained with torch.optim.SGD. Written for PyTorch's float32
default, as d2l is (tinygrad_nn computes in float64 where its tensors are made without a
dtype). Run with --epochs N.

Runs on PyTorch, and unchanged on tinygrad_nn with `python -m tinygrad_nn run`.
"""

import argparse
import collections
import math
import random

import torch
from torch import nn
from torch.nn import functional as F

TEXT = (
    "the time machine by h g wells the time traveller for so it will be convenient "
    "to speak of him was expounding a recondite matter to us his grey eyes shone and "
    "twinkled and his usually pale face was flushed and animated "
) * 2


class Vocab:
    """Vocabulary for text."""

    def __init__(self, tokens):
        counter = collections.Counter(tokens)
        self.token_freqs = sorted(counter.items(), key=lambda x: x[1], reverse=True)
        self.idx_to_token = ["<unk>"] + [t for t, _ in self.token_freqs]
        self.token_to_idx = {token: idx for idx, token in enumerate(self.idx_to_token)}

    def __len__(self):
        return len(self.idx_to_token)

    def __getitem__(self, tokens):
        if not isinstance(tokens, (list, tuple)):
            return self.token_to_idx.get(tokens, 0)
        return [self.__getitem__(token) for token in tokens]


def seq_data_iter_sequential(corpus, batch_size, num_steps):
    """Generate a minibatch of subsequences using sequential partitioning."""
    offset = random.randint(0, num_steps)
    num_tokens = ((len(corpus) - offset - 1) // batch_size) * batch_size
    Xs = torch.tensor(corpus[offset : offset + num_tokens])
    Ys = torch.tensor(corpus[offset + 1 : offset + 1 + num_tokens])
    Xs, Ys = Xs.reshape(batch_size, -1), Ys.reshape(batch_size, -1)
    num_batches = Xs.shape[1] // num_steps
    for i in range(0, num_steps * num_batches, num_steps):
        X = Xs[:, i : i + num_steps]
        Y = Ys[:, i : i + num_steps]
        yield X, Y


def get_params(vocab_size, num_hiddens, device):
    num_inputs = num_outputs = vocab_size

    def normal(shape):
        return torch.randn(size=shape, device=device) * 0.01

    # Hidden layer parameters
    W_xh = normal((num_inputs, num_hiddens))
    W_hh = normal((num_hiddens, num_hiddens))
    b_h = torch.zeros(num_hiddens, device=device)
    # Output layer parameters
    W_hq = normal((num_hiddens, num_outputs))
    b_q = torch.zeros(num_outputs, device=device)
    # Attach gradients
    params = [W_xh, W_hh, b_h, W_hq, b_q]
    for param in params:
        param.requires_grad_(True)
    return params


def init_rnn_state(batch_size, num_hiddens, device):
    return (torch.zeros((batch_size, num_hiddens), device=device),)


def rnn(inputs, state, params):
    # Here `inputs` shape: (`num_steps`, `batch_size`, `vocab_size`)
    W_xh, W_hh, b_h, W_hq, b_q = params
    (H,) = state
    outputs = []
    # Shape of `X`: (`batch_size`, `vocab_size`)
    for X in inputs:
        H = torch.tanh(torch.mm(X, W_xh) + torch.mm(H, W_hh) + b_h)
        Y = torch.mm(H, W_hq) + b_q
        outputs.append(Y)
    return torch.cat(outputs, dim=0), (H,)


class RNNModelScratch:
    """A RNN Model implemented from scratch."""

    def __init__(self, vocab_size, num_hiddens, device, get_params, init_state, forward_fn):
        self.vocab_size, self.num_hiddens = vocab_size, num_hiddens
        self.params = get_params(vocab_size, num_hiddens, device)
        self.init_state, self.forward_fn = init_state, forward_fn

    def __call__(self, X, state):
        X = F.one_hot(X.T, self.vocab_size).type(torch.float32)
        return self.forward_fn(X, state, self.params)

    def begin_state(self, batch_size, device):
        return self.init_state(batch_size, self.num_hiddens, device)


class RNNModel(nn.Module):
    """The RNN model."""

    def __init__(self, rnn_layer, vocab_size, **kwargs):
        super(RNNModel, self).__init__(**kwargs)
        self.rnn = rnn_layer
        self.vocab_size = vocab_size
        self.num_hiddens = self.rnn.hidden_size
        # If the RNN is bidirectional (to be introduced later),
        # `num_directions` should be 2, else it should be 1.
        if not self.rnn.bidirectional:
            self.num_directions = 1
            self.linear = nn.Linear(self.num_hiddens, self.vocab_size)
        else:
            self.num_directions = 2
            self.linear = nn.Linear(self.num_hiddens * 2, self.vocab_size)

    def forward(self, inputs, state):
        X = F.one_hot(inputs.T.long(), self.vocab_size)
        X = X.to(torch.float32)
        Y, state = self.rnn(X, state)
        # The fully connected layer will first change the shape of `Y` to
        # (`num_steps` * `batch_size`, `num_hiddens`). Its output shape is
        # (`num_steps` * `batch_size`, `vocab_size`).
        output = self.linear(Y.reshape((-1, Y.shape[-1])))
        return output, state

    def begin_state(self, device, batch_size=1):
        if not isinstance(self.rnn, nn.LSTM):
            # `nn.GRU` takes a tensor as hidden state
            return torch.zeros(
                (self.num_directions * self.rnn.num_layers, batch_size, self.num_hiddens),
                device=device,
            )
        else:
            # `nn.LSTM` takes a tuple of hidden states
            return (
                torch.zeros(
                    (self.num_directions * self.rnn.num_layers, batch_size, self.num_hiddens),
                    device=device,
                ),
                torch.zeros(
                    (self.num_directions * self.rnn.num_layers, batch_size, self.num_hiddens),
                    device=device,
                ),
            )


def predict_ch8(prefix, num_preds, net, vocab, device):
    """Generate new characters following the `prefix`."""
    state = net.begin_state(batch_size=1, device=device)
    outputs = [vocab[prefix[0]]]
    get_input = lambda: torch.tensor([outputs[-1]], device=device).reshape((1, 1))  # noqa: E731
    for y in prefix[1:]:  # Warm-up period
        _, state = net(get_input(), state)
        outputs.append(vocab[y])
    for _ in range(num_preds):  # Predict `num_preds` steps
        y, state = net(get_input(), state)
        outputs.append(int(y.argmax(dim=1).reshape(1)))
    return "".join([vocab.idx_to_token[i] for i in outputs])


def grad_clipping(net, theta):
    """Clip the gradient."""
    if isinstance(net, nn.Module):
        params = [p for p in net.parameters() if p.requires_grad]
    else:
        params = net.params
    norm = torch.sqrt(sum(torch.sum((p.grad**2)) for p in params))
    if norm > theta:
        for param in params:
            param.grad[:] *= theta / norm
    return float(norm)


def sgd(params, lr, batch_size):
    """Minibatch stochastic gradient descent."""
    with torch.no_grad():
        for param in params:
            param -= lr * param.grad / batch_size
            param.grad.zero_()


def train_epoch_ch8(net, train_iter, loss, updater, device, use_random_iter):
    """Train a net within one epoch."""
    state = None
    total, count, norms = 0.0, 0, []
    for X, Y in train_iter:
        if state is None or use_random_iter:
            # Initialize `state` when either it is the first iteration or
            # using random sampling
            state = net.begin_state(batch_size=X.shape[0], device=device)
        else:
            if isinstance(net, nn.Module) and not isinstance(state, tuple):
                # `state` is a tensor for `nn.GRU`
                state.detach_()
            else:
                # `state` is a tuple of tensors for `nn.LSTM` and
                # for our custom scratch implementation
                for s in state:
                    s.detach_()
        y = Y.T.reshape(-1)
        X, y = X.to(device), y.to(device)
        y_hat, state = net(X, state)
        l = loss(y_hat, y.long()).mean()
        if isinstance(updater, torch.optim.Optimizer):
            updater.zero_grad()
            l.backward()
            norms.append(grad_clipping(net, 1))
            updater.step()
        else:
            l.backward()
            norms.append(grad_clipping(net, 1))
            # batch_size=1 since the `mean` function has been invoked
            updater(batch_size=1)
        total += float(l * y.numel())
        count += y.numel()
    return math.exp(total / count), norms, l


def train_ch8(net, corpus, vocab, lr, num_epochs, device, batch_size=4, num_steps=8):
    """Train a model."""
    loss = nn.CrossEntropyLoss()
    if isinstance(net, nn.Module):
        updater = torch.optim.SGD(net.parameters(), lr)
    else:
        updater = lambda batch_size: sgd(net.params, lr, batch_size)  # noqa: E731
    ppls, all_norms = [], []
    for epoch in range(num_epochs):
        train_iter = seq_data_iter_sequential(corpus, batch_size, num_steps)
        ppl, norms, l = train_epoch_ch8(net, train_iter, loss, updater, device, False)
        ppls.append(ppl)
        all_norms += norms
    print(f"perplexity {ppl:.1f}")
    print(predict_ch8("time traveller", 10, net, vocab, device))
    return ppls, all_norms, l


def main(num_epochs=3):
    random.seed(0)
    torch.manual_seed(0)
    device = torch.device("cpu")
    tokens = list(TEXT)
    vocab = Vocab(tokens)
    corpus = [vocab[token] for token in tokens]
    num_hiddens = 32

    net = RNNModelScratch(len(vocab), num_hiddens, device, get_params, init_rnn_state, rnn)
    X = torch.arange(10).reshape((2, 5))
    Y, new_state = net(X.to(device), net.begin_state(X.shape[0], device))
    assert Y.shape == (10, len(vocab)) and len(new_state) == 1
    assert new_state[0].shape == (2, num_hiddens)
    ppls, norms, _ = train_ch8(net, corpus, vocab, 1, num_epochs, device)
    scratch_grads = {f"scratch.{i}": p.grad.numpy().copy() for i, p in enumerate(net.params)}

    rnn_layer = nn.RNN(len(vocab), num_hiddens)
    state = torch.zeros((1, 4, num_hiddens))
    X = torch.rand(size=(8, 4, len(vocab)))
    Y, state_new = rnn_layer(X, state)
    assert Y.shape == (8, 4, num_hiddens) and state_new.shape == (1, 4, num_hiddens)
    net = RNNModel(rnn_layer, vocab_size=len(vocab)).to(device)
    concise_ppls, concise_norms, l = train_ch8(net, corpus, vocab, 1, num_epochs, device)

    grads = {name: p.grad.numpy().copy() for name, p in net.named_parameters()}
    grads.update(scratch_grads)
    return {
        "loss": l.item(),
        "ppls": ppls + concise_ppls,
        "norms": norms + concise_norms,
        "grads": grads,
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=3)
    print(f"final loss: {main(parser.parse_args().epochs)['loss']:.15g}")
