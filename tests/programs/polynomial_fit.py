"""PyTorch's "Learning PyTorch with Examples", all four steps in one script: a third-order
polynomial fitted to sin(x) on [-pi, pi] with raw tensors and gradients written out by
hand (`grad_y_pred = 2.0 * (y_pred - y)`), then with autograd (the update under
torch.no_grad(), `a.grad = None`), then through a custom torch.autograd.Function (the
Legendre polynomial P3 with ctx.save_for_backward), and last with nn.Sequential(
nn.Linear(3, 1), nn.Flatten(0, 1)) on `x.unsqueeze(-1).pow(p)`, nn.MSELoss and
torch.optim.RMSprop (and before it the update by hand, `param -= learning_rate *
param.grad` over model.parameters() under no_grad); then its custom nn.Module
(Polynomial3: nn.Parameter scalars, SGD) and its control-flow-and-weight-sharing
DynamicNet (a random.randint number of terms per forward pass, SGD with momentum). Each
step prints its `Result: y = ...` line. Run with --steps N.

Runs on PyTorch, and unchanged on tinygrad_nn with `python -m tinygrad_nn run`.
"""

import argparse
import math
import random

import torch

torch.set_default_dtype(torch.float64)  # (the tutorial's float32 would agree only to 1e-6)
dtype = torch.double
device = torch.device("cpu")


def data():
    # Create random input and output data
    x = torch.linspace(-math.pi, math.pi, 2000, device=device, dtype=dtype)
    y = torch.sin(x)
    return x, y


def fit_with_tensors(steps, learning_rate=1e-6):
    """Tensors only: the forward and backward passes written by hand."""
    x, y = data()
    # Randomly initialize weights
    a = torch.randn((), device=device, dtype=dtype)
    b = torch.randn((), device=device, dtype=dtype)
    c = torch.randn((), device=device, dtype=dtype)
    d = torch.randn((), device=device, dtype=dtype)

    for t in range(steps):
        # Forward pass: compute predicted y
        y_pred = a + b * x + c * x**2 + d * x**3

        # Compute and print loss
        loss = (y_pred - y).pow(2).sum().item()
        if t % 100 == 99:
            print(t, loss)

        # Backprop to compute gradients of a, b, c, d with respect to loss
        grad_y_pred = 2.0 * (y_pred - y)
        grad_a = grad_y_pred.sum()
        grad_b = (grad_y_pred * x).sum()
        grad_c = (grad_y_pred * x**2).sum()
        grad_d = (grad_y_pred * x**3).sum()

        # Update weights using gradient descent
        a -= learning_rate * grad_a
        b -= learning_rate * grad_b
        c -= learning_rate * grad_c
        d -= learning_rate * grad_d

    print(f"Result: y = {a.item()} + {b.item()} x + {c.item()} x^2 + {d.item()} x^3")
    return loss, [a.item(), b.item(), c.item(), d.item()]


def fit_with_autograd(steps, learning_rate=1e-6):
    """The same model, its gradients from autograd."""
    x, y = data()
    # requires_grad=True: we want the gradients with respect to these tensors
    a = torch.randn((), device=device, dtype=dtype, requires_grad=True)
    b = torch.randn((), device=device, dtype=dtype, requires_grad=True)
    c = torch.randn((), device=device, dtype=dtype, requires_grad=True)
    d = torch.randn((), device=device, dtype=dtype, requires_grad=True)

    for t in range(steps):
        y_pred = a + b * x + c * x**2 + d * x**3

        # loss is a Tensor of shape (); loss.item() is the Python number it holds
        loss = (y_pred - y).pow(2).sum()
        if t % 100 == 99:
            print(t, loss.item())

        # a.grad, b.grad, c.grad and d.grad now hold the gradient of the loss
        loss.backward()

        # Update the weights by hand, outside autograd's record
        with torch.no_grad():
            a -= learning_rate * a.grad
            b -= learning_rate * b.grad
            c -= learning_rate * c.grad
            d -= learning_rate * d.grad

            # Zero the gradients after updating the weights
            a.grad = None
            b.grad = None
            c.grad = None
            d.grad = None

    print(f"Result: y = {a.item()} + {b.item()} x + {c.item()} x^2 + {d.item()} x^3")
    return loss.item(), [a.item(), b.item(), c.item(), d.item()]


class LegendrePolynomial3(torch.autograd.Function):
    """A custom autograd Function, P3(x) = 1/2 (5x^3 - 3x), its forward and backward
    passes on Tensors."""

    @staticmethod
    def forward(ctx, input):
        # ctx keeps what the backward pass needs: here, the input
        ctx.save_for_backward(input)
        return 0.5 * (5 * input**3 - 3 * input)

    @staticmethod
    def backward(ctx, grad_output):
        # the gradient of the loss with respect to the output, times P3'(input)
        (input,) = ctx.saved_tensors
        return grad_output * 1.5 * (5 * input**2 - 1)


def fit_with_function(steps, learning_rate=5e-6):
    """y = a + b * P3(c + d * x), P3 applied through LegendrePolynomial3."""
    x, y = data()
    # The weights start close enough to the answer for the fit to converge
    a = torch.full((), 0.0, device=device, dtype=dtype, requires_grad=True)
    b = torch.full((), -1.0, device=device, dtype=dtype, requires_grad=True)
    c = torch.full((), 0.0, device=device, dtype=dtype, requires_grad=True)
    d = torch.full((), 0.3, device=device, dtype=dtype, requires_grad=True)

    for t in range(steps):
        # To apply our Function, we use Function.apply; the alias reads as a function
        P3 = LegendrePolynomial3.apply

        y_pred = a + b * P3(c + d * x)

        loss = (y_pred - y).pow(2).sum()
        if t % 100 == 99:
            print(t, loss.item())

        loss.backward()

        with torch.no_grad():
            a -= learning_rate * a.grad
            b -= learning_rate * b.grad
            c -= learning_rate * c.grad
            d -= learning_rate * d.grad

            a.grad = None
            b.grad = None
            c.grad = None
            d.grad = None

    print(f"Result: y = {a.item()} + {b.item()} * P3({c.item()} + {d.item()} x)")
    return loss.item(), [a.item(), b.item(), c.item(), d.item()]


def fit_with_nn(steps, learning_rate=1e-3):
    """nn.Sequential, nn.MSELoss and torch.optim.RMSprop."""
    x, y = data()
    # y is a linear function of (x, x^2, x^3): prepare that tensor, of shape (2000, 3)
    p = torch.tensor([1, 2, 3])
    xx = x.unsqueeze(-1).pow(p)

    # Flatten(0, 1) flattens the Linear layer's output to 1D, to match the shape of y
    model = torch.nn.Sequential(torch.nn.Linear(3, 1), torch.nn.Flatten(0, 1))
    loss_fn = torch.nn.MSELoss(reduction="sum")
    optimizer = torch.optim.RMSprop(model.parameters(), lr=learning_rate)

    for t in range(steps):
        # Forward pass: compute predicted y by passing x to the model
        y_pred = model(xx)

        # Compute and print loss
        loss = loss_fn(y_pred, y)
        if t % 100 == 99:
            print(t, loss.item())

        # Zero the gradients, compute the new ones, and take a step
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    # You can access the first layer of `model` like accessing the first item of a list
    linear_layer = model[0]

    # For a linear layer, its parameters are stored as `weight` and `bias`
    print(
        f"Result: y = {linear_layer.bias.item()} + {linear_layer.weight[:, 0].item()} x "
        f"+ {linear_layer.weight[:, 1].item()} x^2 + {linear_layer.weight[:, 2].item()} x^3"
    )
    coefficients = [linear_layer.bias.item(), *linear_layer.weight[0].tolist()]
    return model, loss.item(), coefficients


def fit_with_nn_by_hand(steps, learning_rate=1e-6):
    """The nn step before optim: model.zero_grad() and the update written out."""
    x, y = data()
    xx = x.unsqueeze(-1).pow(torch.tensor([1, 2, 3]))
    model = torch.nn.Sequential(torch.nn.Linear(3, 1), torch.nn.Flatten(0, 1))
    loss_fn = torch.nn.MSELoss(reduction="sum")
    for t in range(steps):
        y_pred = model(xx)
        loss = loss_fn(y_pred, y)
        if t % 100 == 99:
            print(t, loss.item())

        # Zero the gradients before running the backward pass
        model.zero_grad()
        loss.backward()

        # Update the weights using gradient descent: each parameter is a Tensor
        with torch.no_grad():
            for param in model.parameters():
                param -= learning_rate * param.grad
    return loss.item(), [v.item() for param in model.parameters() for v in param.flatten()]


class Polynomial3(torch.nn.Module):
    """The custom nn Module step: four scalar Parameters, assigned as attributes."""

    def __init__(self):
        super().__init__()
        self.a = torch.nn.Parameter(torch.randn(()))
        self.b = torch.nn.Parameter(torch.randn(()))
        self.c = torch.nn.Parameter(torch.randn(()))
        self.d = torch.nn.Parameter(torch.randn(()))

    def forward(self, x):
        return self.a + self.b * x + self.c * x**2 + self.d * x**3

    def string(self):
        return (
            f"y = {self.a.item()} + {self.b.item()} x + {self.c.item()} x^2 + {self.d.item()} x^3"
        )


def fit_module(steps, learning_rate=1e-6):
    x, y = data()
    model = Polynomial3()
    criterion = torch.nn.MSELoss(reduction="sum")
    optimizer = torch.optim.SGD(model.parameters(), lr=learning_rate)
    for t in range(steps):
        y_pred = model(x)
        loss = criterion(y_pred, y)
        if t % 100 == 99:
            print(t, loss.item())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(f"Result: {model.string()}")
    return loss.item(), [p.item() for p in model.parameters()]


class DynamicNet(torch.nn.Module):
    """The tutorial's last step, control flow and weight sharing: a third-order polynomial
    plus a fourth and maybe a fifth term, the number drawn at each forward pass, every
    higher term sharing the weight e."""

    def __init__(self):
        super().__init__()
        self.a = torch.nn.Parameter(torch.randn(()))
        self.b = torch.nn.Parameter(torch.randn(()))
        self.c = torch.nn.Parameter(torch.randn(()))
        self.d = torch.nn.Parameter(torch.randn(()))
        self.e = torch.nn.Parameter(torch.randn(()))

    def forward(self, x):
        y = self.a + self.b * x + self.c * x**2 + self.d * x**3
        for exp in range(4, random.randint(4, 6)):
            y = y + self.e * x**exp
        return y

    def string(self):
        return (
            f"y = {self.a.item()} + {self.b.item()} x + {self.c.item()} x^2 + "
            f"{self.d.item()} x^3 + {self.e.item()} x^4 ? + {self.e.item()} x^5 ?"
        )


def fit_dynamic(steps, learning_rate=1e-8):
    x, y = data()
    model = DynamicNet()
    # This model is hard to train with plain SGD: momentum helps
    criterion = torch.nn.MSELoss(reduction="sum")
    optimizer = torch.optim.SGD(model.parameters(), lr=learning_rate, momentum=0.9)
    for t in range(steps):
        y_pred = model(x)
        loss = criterion(y_pred, y)
        if t % 100 == 99:
            print(t, loss.item())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(f"Result: {model.string()}")
    return loss.item(), [p.item() for p in model.parameters()]


def main(steps=300):
    torch.manual_seed(0)
    tensor_loss, tensor_coefficients = fit_with_tensors(steps)
    torch.manual_seed(0)
    autograd_loss, autograd_coefficients = fit_with_autograd(steps)
    # Same seed, same draws, same updates: by hand and by autograd agree
    assert math.isclose(tensor_loss, autograd_loss, rel_tol=1e-9)
    function_loss, function_coefficients = fit_with_function(steps)
    model, loss, coefficients = fit_with_nn(steps)
    by_hand_loss, by_hand_coefficients = fit_with_nn_by_hand(steps)
    module_loss, module_coefficients = fit_module(steps)
    random.seed(0)
    dynamic_loss, dynamic_coefficients = fit_dynamic(steps)

    grads = {name: p.grad.numpy().copy() for name, p in model.named_parameters()}
    return {
        "loss": loss,
        "grads": grads,
        "tensor_loss": tensor_loss,
        "autograd_loss": autograd_loss,
        "function_loss": function_loss,
        "by_hand_loss": by_hand_loss,
        "by_hand_coefficients": by_hand_coefficients,
        "module_loss": module_loss,
        "module_coefficients": module_coefficients,
        "dynamic_loss": dynamic_loss,
        "dynamic_coefficients": dynamic_coefficients,
        "coefficients": tensor_coefficients
        + autograd_coefficients
        + function_coefficients
        + coefficients,
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=300)
    print(f"final loss: {main(parser.parse_args().steps)['loss']:.15g}")
