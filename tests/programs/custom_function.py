"""A custom torch.autograd.Function (a swish with a fixed beta) inside a small model."""

import numpy as np
import torch
import torch.nn as nn


class Swish(torch.autograd.Function):
    """swish(x) = x * sigmoid(beta * x), with its derivative written by hand."""

    @staticmethod
    def forward(ctx, x, beta):
        s = torch.sigmoid(beta * x)
        ctx.save_for_backward(x, s)
        ctx.beta = beta
        return x * s

    @staticmethod
    def backward(ctx, grad_output):
        x, s = ctx.saved_tensors
        grad_x = None
        if ctx.needs_input_grad[0]:
            grad_x = grad_output * (s + ctx.beta * x * s * (1 - s))
        return grad_x, None


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.tensor(np.linspace(-1.0, 1.0, 8).reshape(4, 2)))
        self.v = nn.Parameter(torch.tensor([[0.5], [-0.25]]))

    def forward(self, x):
        return Swish.apply(x @ self.w, 1.5) @ self.v


def main(steps=30):
    rng = np.random.default_rng(2)
    x = torch.tensor(rng.normal(size=(10, 4)))
    y = torch.tensor(rng.normal(size=(10, 1)))
    probe = torch.tensor(rng.normal(size=(3, 2)), requires_grad=True)
    assert torch.autograd.gradcheck(lambda t: Swish.apply(t, 1.5), (probe,))

    model = Model()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    for _ in range(steps):
        optimizer.zero_grad()
        loss = ((model(x) - y) ** 2).mean()
        loss.backward()
        optimizer.step()
    grads = {name: p.grad.numpy().copy() for name, p in model.named_parameters()}
    return {"loss": loss.item(), "grads": grads}


if __name__ == "__main__":
    print(f"final loss: {main()['loss']:.15g}")
