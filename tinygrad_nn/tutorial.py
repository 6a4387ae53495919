"""The seed network, twice: derived by hand (NumPy) and built from tinygrad_nn modules.

The seed (a 2018 Python post, ported to R) trains a 2-layer sigmoid network on four
rows of data with the sum of squared errors. Its gradients were derived by hand:

    d_weights2 = layer1.T @ (2 (y - output) * output (1 - output))
    d_weights1 = X.T @ ((2 (y - output) * output (1 - output)) @ weights2.T
                        * layer1 (1 - layer1))

and it *adds* them, because they are the negative gradients of the loss. Here the same
functions are written in NumPy exactly as the seed writes them, next to the same model
trained with autodiff (``nn.SSE`` and ``optim.SGD``): both start from the same weights,
and their trajectories agree to rounding at every step.

The seed writes ``X @ W1`` with ``W1`` of shape (3, 4), input-major. ``nn.Linear`` keeps
PyTorch's layout, ``weight`` of shape (out_features, in_features), and computes
``x @ weight.T``: so the seed's ``W1`` is ``model[0].weight.T``. Where this module shows
the seed's own notation (the named graph, the compiled step), it uses the seed's weights
as the seed shapes them (:func:`seed_weights`).

Examples:
    >>> result = train_side_by_side(steps=100, seed=0)
    >>> result.max_difference < 1e-12
    True
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from tinygrad_nn import nn, optim
from tinygrad_nn.compile import CompiledFunction, compile
from tinygrad_nn.grad_mode import no_grad
from tinygrad_nn.graph_nodes import graph_nodes
from tinygrad_nn.progress import ProgressBar
from tinygrad_nn.tensor import Tensor

# The seed's data: four observations of three predictors, and the observed outcomes.
X = np.array([[0, 0, 1], [0, 1, 1], [1, 0, 1], [1, 1, 1]], dtype=np.float64)
y = np.array([[0], [1], [1], [0]], dtype=np.float64)


# ---------------------------------------------------------------- the seed, by hand


def sigmoid(x: np.ndarray) -> np.ndarray:
    """The activation function.

    Examples:
        >>> float(sigmoid(np.array(0.0)))
        0.5
    """
    return 1.0 / (1.0 + np.exp(-x))


def sigmoid_derivative(x: np.ndarray) -> np.ndarray:
    """The derivative of the sigmoid, written in terms of its *output* x = sigmoid(z).

    Examples:
        >>> float(sigmoid_derivative(np.array(0.5)))
        0.25
    """
    return x * (1.0 - x)


@dataclass
class SeedNetwork:
    """The seed's ``my_nn`` list: the data, the weights, and the last forward pass."""

    input: np.ndarray
    weights1: np.ndarray
    weights2: np.ndarray
    y: np.ndarray
    output: np.ndarray = field(default_factory=lambda: np.zeros((4, 1)))
    layer1: np.ndarray | None = None


def initial_weights(seed: int | None = 0) -> tuple[np.ndarray, np.ndarray]:
    """Uniform [0, 1) weights of shapes (3, 4) and (4, 1), as the seed's ``runif``.

    Examples:
        >>> [w.shape for w in initial_weights(0)]
        [(3, 4), (4, 1)]
    """
    rng = np.random.default_rng(seed)
    return rng.random((X.shape[1], X.shape[0])), rng.random((X.shape[0], 1))


def feedforward(net: SeedNetwork) -> SeedNetwork:
    """layer1 = sigmoid(input @ weights1); output = sigmoid(layer1 @ weights2).

    Examples:
        >>> net = feedforward(SeedNetwork(X, *initial_weights(0), y))
        >>> net.output.shape
        (4, 1)
    """
    net.layer1 = sigmoid(net.input @ net.weights1)
    net.output = sigmoid(net.layer1 @ net.weights2)
    return net


def backprop(net: SeedNetwork, lr: float = 1.0) -> SeedNetwork:
    """The seed's chain rule, by hand; it adds the (negative) gradients, scaled by ``lr``.

    Examples:
        >>> net = SeedNetwork(X, *initial_weights(0), y)
        >>> before = loss_function(feedforward(net))
        >>> for _ in range(50):
        ...     _ = backprop(feedforward(net))
        >>> loss_function(feedforward(net)) < before
        True
    """
    assert net.layer1 is not None, "call feedforward first"
    # `2 * (y - output)` is the derivative of the loss with respect to the output (negated)
    delta_output = 2 * (net.y - net.output) * sigmoid_derivative(net.output)
    d_weights2 = net.layer1.T @ delta_output
    d_weights1 = (delta_output @ net.weights2.T) * sigmoid_derivative(net.layer1)
    d_weights1 = net.input.T @ d_weights1
    net.weights1 = net.weights1 + lr * d_weights1
    net.weights2 = net.weights2 + lr * d_weights2
    return net


def loss_function(net: SeedNetwork) -> float:
    """Sum of squared errors.

    Examples:
        >>> round(loss_function(feedforward(SeedNetwork(X, *initial_weights(0), y))), 4)
        1.3325
    """
    return float(np.sum((net.y - net.output) ** 2))


# ---------------------------------------------------------------- the same, automatically


def build_model(weights1: np.ndarray, weights2: np.ndarray) -> nn.Sequential:
    """The seed's network from modules, starting from the given (seed-shaped) weights.

    A ``Linear`` layer's weight is (out_features, in_features), as in PyTorch: the seed's
    ``weights1`` (3, 4) becomes ``model[0].weight`` (4, 3), its transpose, so that
    ``x @ weight.T`` is the seed's ``X @ weights1``.

    Examples:
        >>> model = build_model(*initial_weights(0))
        >>> model[0].weight.shape, model[2].weight.shape
        ((4, 3), (1, 4))
    """
    model = nn.Sequential(
        nn.Linear(3, 4, bias=False),
        nn.Sigmoid(),
        nn.Linear(4, 1, bias=False),
        nn.Sigmoid(),
    )
    model.load_state_dict({"0.weight": weights1.T, "2.weight": weights2.T})
    return model


def seed_weights(weights1: np.ndarray, weights2: np.ndarray) -> tuple[Tensor, Tensor]:
    """The seed's weights as trainable tensors, shaped as the seed shapes them:
    ``W1`` (3, 4) and ``W2`` (4, 1), for ``X @ W1`` (``build_model``'s weights transposed).

    Examples:
        >>> [w.shape for w in seed_weights(*initial_weights(0))]
        [(3, 4), (4, 1)]
    """
    return nn.Parameter(weights1), nn.Parameter(weights2)


def named_seed_graph(seed: int | None = 0) -> Tensor:
    """The seed network's loss, its values named as in the seed, after one backward pass.

    The graph is kept (``retain_graph=True``) so it can be drawn and explained.

    Examples:
        >>> loss = named_seed_graph()
        >>> loss.name, loss.op.name
        ('loss', 'sse')
    """
    weights1, weights2 = seed_weights(*initial_weights(seed))
    weights1.name, weights2.name = "weights1", "weights2"
    inputs = Tensor(X, name="X")
    layer1 = (inputs @ weights1).sigmoid()  # the seed's feedforward, in its notation
    layer1.name = "layer1"
    output = (layer1 @ weights2).sigmoid()
    output.name = "output"
    loss = nn.SSE()(output, Tensor(y, name="y"))
    loss.name = "loss"
    loss.backward(retain_graph=True)
    return loss


def seed_formulas_check(loss: Tensor) -> str:
    """The seed's hand-derived d_weights1 and d_weights2 next to the autodiff gradients."""
    by_name = {t.name: t for t in graph_nodes(loss) if isinstance(t, Tensor)}  # the leaves
    w1, w2 = by_name["weights1"], by_name["weights2"]
    net = feedforward(SeedNetwork(X, w1.array, w2.array, y))
    delta = 2 * (net.y - net.output) * sigmoid_derivative(net.output)
    assert net.layer1 is not None
    d_weights2 = net.layer1.T @ delta
    d_weights1 = X.T @ ((delta @ net.weights2.T) * sigmoid_derivative(net.layer1))
    assert w1.grad is not None and w2.grad is not None
    return "\n".join(
        [
            "The seed's hand-derived steps, for the same weights:",
            "  d_weights2 = layer1.T @ (2 * (y - output) * output * (1 - output))",
            "  d_weights1 = X.T @ (((2 * (y - output) * output * (1 - output)) @ weights2.T)",
            "                      * layer1 * (1 - layer1))",
            "They are the negative gradients (the seed adds them):",
            f"  max |d_weights1 + dL/dweights1| = {np.abs(d_weights1 + w1.grad.array).max():.3g}",
            f"  max |d_weights2 + dL/dweights2| = {np.abs(d_weights2 + w2.grad.array).max():.3g}",
        ]
    )


@dataclass
class SideBySide:
    """What :func:`train_side_by_side` returns."""

    hand: SeedNetwork
    model: nn.Sequential
    hand_losses: list[float]
    auto_losses: list[float]
    auto_output: np.ndarray  # the model's output in the last step, like ``hand.output``
    max_difference: float  # largest |hand - autodiff| over both weights and all steps
    compiled: CompiledFunction | None = None  # the compiled training step, when used


def compiled_seed_step(
    weights: tuple[Tensor, Tensor], optimizer: optim.Optimizer
) -> CompiledFunction:
    """The seed's whole training step over its weights ``(W1, W2)`` (shaped as the seed
    shapes them, see :func:`seed_weights`), compiled: its ``.source`` is the straight-line
    NumPy of the forward pass, the backward pass and the optimizer's update — the seed's
    loop body (``feedforward``, ``backprop``) written by the compiler.

    Examples:
        >>> W1, W2 = seed_weights(*initial_weights(0))
        >>> seed_step = compiled_seed_step((W1, W2), optim.SGD([W1, W2], lr=1.0))
        >>> loss = seed_step(Tensor(X))
        >>> "layer1 = sigmoid(X @ W1)" in seed_step.source, "W1 -= d_W1" in seed_step.source
        (True, True)
    """
    W1, W2 = weights  # the seed's names
    loss_fn = nn.SSE()

    @compile
    def seed_step(X: Tensor) -> Tensor:
        optimizer.zero_grad()
        layer1 = (X @ W1).sigmoid()
        output = (layer1 @ W2).sigmoid()
        loss = loss_fn(output, y)
        loss.backward()
        optimizer.step()
        return loss

    return seed_step


def train_side_by_side(
    steps: int = 1500,
    lr: float = 1.0,
    seed: int | None = 0,
    show_progress: bool = False,
    compiled: bool = False,
) -> SideBySide:
    """Train the hand-derived and the automatic network from the same weights.

    Returns both, their losses at every step, and the largest difference between their
    weights over the whole run. With ``compiled``, the automatic side runs through
    :func:`tinygrad_nn.compile`, whole steps at a time (see :func:`compiled_seed_step`).

    Examples:
        >>> train_side_by_side(steps=20).max_difference < 1e-12
        True
    """
    weights1, weights2 = initial_weights(seed)
    hand = SeedNetwork(X, weights1.copy(), weights2.copy(), y)
    model = build_model(weights1, weights2)
    loss_fn = nn.SSE()
    w1, w2 = seed_weights(weights1, weights2)  # the compiled step trains these
    optimizer = optim.SGD([w1, w2] if compiled else model.parameters(), lr=lr)
    seed_step = compiled_seed_step((w1, w2), optimizer) if compiled else None
    linear1, linear2 = model.parameters()  # the Linear weights, (out, in)
    inputs = Tensor(X)
    hand_losses: list[float] = []
    auto_losses: list[float] = []
    output = Tensor(np.zeros((len(X), 1)))
    largest = 0.0

    with ProgressBar(steps, "tutorial", enabled=show_progress) as bar:
        for _ in range(steps):
            backprop(feedforward(hand), lr)
            hand_losses.append(loss_function(hand))

            if seed_step is None:
                optimizer.zero_grad()
                output = model(inputs)
                loss = loss_fn(output, y)
                loss.backward()
                optimizer.step()
                auto1, auto2 = linear1.array.T, linear2.array.T  # in the seed's shapes
            else:
                with no_grad():
                    output = ((inputs @ w1).sigmoid() @ w2).sigmoid()  # for the table only
                loss = seed_step(inputs)  # zero_grad, forward, backward and step
                auto1, auto2 = w1.array, w2.array
            auto_losses.append(loss.item())

            largest = max(
                largest,
                float(np.abs(hand.weights1 - auto1).max()),
                float(np.abs(hand.weights2 - auto2).max()),
            )
            bar.update(auto_losses[-1])
    if seed_step is not None:  # the module model, holding what the compiled step trained
        model.load_state_dict({"0.weight": w1.array.T, "2.weight": w2.array.T})
    return SideBySide(hand, model, hand_losses, auto_losses, output.array, largest, seed_step)
