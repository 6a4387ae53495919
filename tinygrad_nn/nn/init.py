"""Weight initialisers, in two forms.

- PyTorch's in-place ``torch.nn.init`` functions (``normal_``, ``xavier_uniform_``,
  ``kaiming_uniform_``...): each fills the given tensor (a parameter) with new values,
  outside the graph, and returns that same tensor.
- Initialiser factories for a layer's ``init=`` argument (``uniform(0, 1)``,
  ``lecun_uniform``...): each takes a shape and a random generator and returns an array.

Fans are PyTorch's: a weight of shape ``(out, in, *kernel)`` has fan_in ``in * prod(kernel)``
and fan_out ``out * prod(kernel)``, so :class:`~tinygrad_nn.nn.Linear`'s
``(out_features, in_features)`` has fan_in ``in_features``. The default for ``Linear`` is
:func:`lecun_uniform`, U(-1/sqrt(fan_in), 1/sqrt(fan_in)): what PyTorch's
``kaiming_uniform_(w, a=sqrt(5))`` draws.

The factories draw a 2-d weight as its transpose and transpose it back (:func:`_draw`):
the values have the same distribution, and a seed gives the same ``Linear`` layer (the
same function ``x @ W.T``) as before its weight took PyTorch's (out, in) layout, so
seeded results (examples, docs, tests) did not move.

Examples:
    >>> import numpy as np
    >>> from tinygrad_nn import nn
    >>> w = uniform(0.0, 1.0)((3, 4), np.random.default_rng(0))   # the seed's weights
    >>> w.shape, bool(w.min() >= 0), bool(w.max() < 1)
    ((3, 4), True, True)
    >>> layer = nn.Linear(3, 2)
    >>> nn.init.zeros_(layer.bias) is layer.bias, layer.bias.tolist()
    (True, [0.0, 0.0])
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from tinygrad_nn.dtypes import dtype_name, is_floating
from tinygrad_nn.namespace.array_api import like, to_numpy
from tinygrad_nn.seeding import default_generator, manual_seed
from tinygrad_nn.tensor import Tensor

Initializer = Callable[[tuple[int, ...], np.random.Generator], np.ndarray]

__all__ = [
    "calculate_gain",
    "constant_",
    "default_generator",
    "eye_",
    "kaiming_normal_",
    "kaiming_uniform_",
    "manual_seed",
    "normal_",
    "ones_",
    "orthogonal_",
    "trunc_normal_",
    "uniform_",
    "xavier_normal_",
    "xavier_uniform_",
    "zeros_",
]


def _fans(shape: tuple[int, ...]) -> tuple[int, int]:
    """(fan_in, fan_out) of a weight ``(out, in, *kernel)``, with PyTorch's error for 0-d/1-d."""
    if len(shape) < 2:
        raise ValueError(
            "Fan in and fan out can not be computed for tensor with fewer than 2 dimensions"
        )
    receptive = math.prod(shape[2:])
    return shape[1] * receptive, shape[0] * receptive


# ---------------------------------------------------------------- factories for init=


def _draw(rng: np.random.Generator, shape: tuple[int, ...], low: float, high: float) -> np.ndarray:
    """U(low, high) of ``shape``; a 2-d shape drawn as its transpose (see the module notes)."""
    if len(shape) != 2:
        return rng.uniform(low, high, size=shape)
    return np.ascontiguousarray(rng.uniform(low, high, size=shape[::-1]).T)


def uniform(low: float, high: float) -> Initializer:
    """U(low, high). ``uniform(0, 1)`` is the seed's ``runif``.

    Examples:
        >>> uniform(-1, 1)((2,), np.random.default_rng(0)).shape
        (2,)
    """

    def init(shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
        return _draw(rng, shape, low, high)

    return init


def lecun_uniform(shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
    """U(-1/sqrt(fan_in), 1/sqrt(fan_in)): PyTorch's default for ``nn.Linear``
    (``kaiming_uniform_(a=sqrt(5))``: gain sqrt(1/3) times sqrt(3 / fan_in))."""
    bound = 1.0 / math.sqrt(_fans(shape)[0])
    return _draw(rng, shape, -bound, bound)


def xavier_uniform(shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
    """U(-a, a) with a = sqrt(6 / (fan_in + fan_out)): Glorot's scheme, for tanh/sigmoid."""
    fan_in, fan_out = _fans(shape)
    bound = math.sqrt(6.0 / (fan_in + fan_out))
    return _draw(rng, shape, -bound, bound)


def kaiming_uniform(shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
    """U(-a, a) with a = sqrt(6 / fan_in): He's scheme, for ReLU layers."""
    bound = math.sqrt(6.0 / _fans(shape)[0])
    return _draw(rng, shape, -bound, bound)


def zeros(shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
    """All zeros (the usual choice for biases)."""
    return np.zeros(shape)


# ---------------------------------------------------------------- torch.nn.init, in place


def _generator(generator: Any) -> np.random.Generator:
    """The NumPy generator to draw from: ``generator`` (a NumPy Generator, or an object
    holding one as ``.rng``/``._rng``), else the one :func:`manual_seed` sets."""
    if generator is None:
        return default_generator()
    if isinstance(generator, np.random.Generator):
        return generator
    for attribute in ("rng", "_rng", "generator", "_generator"):
        inner = getattr(generator, attribute, None)
        if isinstance(inner, np.random.Generator):
            return inner
    raise TypeError(f"generator must be a Generator, not {type(generator).__name__}")


def _target(function: str, tensor: Any, random: bool = False) -> Tensor:
    if not isinstance(tensor, Tensor):
        raise TypeError(f"{function}: expected a Tensor, got {type(tensor).__name__}")
    if random and not is_floating(tensor.array):
        raise TypeError(
            f"{function}: cannot fill a tensor of dtype {dtype_name(tensor.array)} with random "
            "values; it needs a floating dtype"
        )
    return tensor


def _fill(tensor: Tensor, values: Any) -> Tensor:
    """Replace ``tensor``'s values, keeping its shape, dtype and array library; outside the
    graph (as under ``no_grad``): a graph already built keeps the arrays it saved. Through
    a ``.data`` alias (``nn.init.normal_(m.weight.data, 0.0, 0.02)``, DCGAN's weights_init)
    the parameter it aliases gets the new values too, as PyTorch's shared storage."""
    array = np.broadcast_to(np.asarray(values), tensor.shape)
    host = np.array(array, dtype=dtype_name(tensor.array))  # a writable copy, the same dtype
    tensor._rebind(like(host, tensor.array))
    return tensor


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The recommended gain for a nonlinearity, as ``torch.nn.init.calculate_gain``.

    Examples:
        >>> calculate_gain("tanh"), calculate_gain("relu") == math.sqrt(2)
        (1.6666666666666667, True)
    """
    linear = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d")
    if nonlinearity in (*linear, "conv_transpose3d", "sigmoid"):
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif isinstance(param, (int, float)) and not isinstance(param, bool):
            slope = param
        else:
            raise ValueError(f"negative_slope {param} not a valid number")
        return math.sqrt(2.0 / (1 + slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"Unsupported nonlinearity {nonlinearity}")


def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0, generator: Any = None) -> Tensor:
    """Fill ``tensor`` with U(a, b) in place; returns it.

    Examples:
        >>> from tinygrad_nn import nn
        >>> w = nn.init.uniform_(nn.Parameter(np.zeros(3)), -1.0, 1.0)
        >>> bool((abs(w.detach().numpy()) <= 1).all())
        True
    """
    _target("uniform_", tensor, random=True)
    return _fill(tensor, _generator(generator).uniform(a, b, size=tensor.shape))


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, generator: Any = None) -> Tensor:
    """Fill ``tensor`` with N(mean, std**2) in place; returns it.

    Examples:
        >>> from tinygrad_nn import nn
        >>> nn.init.normal_(nn.Parameter(np.zeros((2, 3))), std=0.02).shape
        (2, 3)
    """
    _target("normal_", tensor, random=True)
    return _fill(tensor, _generator(generator).normal(mean, std, size=tensor.shape))


def trunc_normal_(
    tensor: Tensor,
    mean: float = 0.0,
    std: float = 1.0,
    a: float = -2.0,
    b: float = 2.0,
    generator: Any = None,
) -> Tensor:
    """Fill ``tensor`` with N(mean, std**2) restricted to [a, b] (a and b are values, not
    standard deviations, as in PyTorch), in place; returns it.

    Drawn by redrawing what falls outside until nothing does (PyTorch inverts the CDF;
    the distribution is the same).

    Examples:
        >>> from tinygrad_nn import nn
        >>> w = nn.init.trunc_normal_(nn.Parameter(np.zeros(1000)), std=1.0, a=-0.5, b=0.5)
        >>> bool((abs(w.detach().numpy()) <= 0.5).all())
        True
    """
    _target("trunc_normal_", tensor, random=True)
    if not a < b:
        raise ValueError(f"trunc_normal_: the range [a, b] = [{a}, {b}] is empty")
    rng = _generator(generator)
    values = rng.normal(mean, std, size=tensor.shape)
    outside = (values < a) | (values > b)
    for _ in range(10_000):  # each round keeps the draws that landed inside
        if not outside.any():
            break
        values[outside] = rng.normal(mean, std, size=int(outside.sum()))
        outside = (values < a) | (values > b)
    else:  # [a, b] far in a tail: clip the very few left rather than loop forever
        values = np.clip(values, a, b)
    return _fill(tensor, values)


def constant_(tensor: Tensor, val: float) -> Tensor:
    """Fill ``tensor`` with ``val`` in place; returns it.

    Examples:
        >>> from tinygrad_nn import nn
        >>> nn.init.constant_(nn.Parameter(np.zeros(2)), 0.5).tolist()
        [0.5, 0.5]
    """
    return _fill(_target("constant_", tensor), val)


def ones_(tensor: Tensor) -> Tensor:
    """Fill ``tensor`` with ones in place; returns it."""
    return _fill(_target("ones_", tensor), 1)


def zeros_(tensor: Tensor) -> Tensor:
    """Fill ``tensor`` with zeros in place; returns it."""
    return _fill(_target("zeros_", tensor), 0)


def eye_(tensor: Tensor) -> Tensor:
    """Fill a 2-d ``tensor`` with the identity matrix in place; returns it.

    Examples:
        >>> from tinygrad_nn import nn
        >>> nn.init.eye_(nn.Parameter(np.zeros((2, 3)))).tolist()
        [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]
    """
    if _target("eye_", tensor).ndim != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    return _fill(tensor, np.eye(tensor.shape[0], tensor.shape[1]))


def xavier_uniform_(tensor: Tensor, gain: float = 1.0, generator: Any = None) -> Tensor:
    """U(-a, a) with a = gain * sqrt(6 / (fan_in + fan_out)), in place; returns it."""
    fan_in, fan_out = _fans(_target("xavier_uniform_", tensor, random=True).shape)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(tensor, -bound, bound, generator)


def xavier_normal_(tensor: Tensor, gain: float = 1.0, generator: Any = None) -> Tensor:
    """N(0, std**2) with std = gain * sqrt(2 / (fan_in + fan_out)), in place; returns it."""
    fan_in, fan_out = _fans(_target("xavier_normal_", tensor, random=True).shape)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)), generator)


def _kaiming_std(
    function: str, tensor: Tensor, a: float, mode: str, nonlinearity: str
) -> float | None:
    """gain / sqrt(fan), or None (with PyTorch's warning) for a tensor with no elements."""
    _target(function, tensor, random=True)
    if 0 in tensor.shape:
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=3)
        return None
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"Mode {mode} not supported, please use one of fan_in, fan_out")
    fan_in, fan_out = _fans(tensor.shape)
    fan = fan_in if mode == "fan_in" else fan_out
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def kaiming_uniform_(
    tensor: Tensor,
    a: float = 0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    generator: Any = None,
) -> Tensor:
    """U(-b, b) with b = gain * sqrt(3 / fan), in place; returns it. ``a`` is the leaky
    ReLU's negative slope; ``a=math.sqrt(5)`` gives Linear's default, U(+-1/sqrt(fan_in)).

    Examples:
        >>> from tinygrad_nn import nn
        >>> w = nn.init.kaiming_uniform_(nn.Parameter(np.zeros((4, 3))), a=math.sqrt(5))
        >>> bool((abs(w.detach().numpy()) <= 1 / math.sqrt(3)).all())
        True
    """
    std = _kaiming_std("kaiming_uniform_", tensor, a, mode, nonlinearity)
    if std is None:
        return tensor
    bound = math.sqrt(3.0) * std
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(
    tensor: Tensor,
    a: float = 0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    generator: Any = None,
) -> Tensor:
    """N(0, std**2) with std = gain / sqrt(fan), in place; returns it."""
    std = _kaiming_std("kaiming_normal_", tensor, a, mode, nonlinearity)
    return tensor if std is None else normal_(tensor, 0.0, std, generator)


def orthogonal_(tensor: Tensor, gain: float = 1.0, generator: Any = None) -> Tensor:
    """A (semi-)orthogonal matrix times ``gain``, in place; returns it. A tensor of more
    than two dimensions is treated as ``(shape[0], rest)``, as in PyTorch.

    Examples:
        >>> from tinygrad_nn import nn
        >>> q = nn.init.orthogonal_(nn.Parameter(np.zeros((3, 5)))).detach().numpy()
        >>> bool(np.allclose(q @ q.T, np.eye(3)))
        True
    """
    if _target("orthogonal_", tensor, random=True).ndim < 2:
        raise ValueError("Only tensors with 2 or more dimensions are supported")
    if tensor.numel() == 0:
        return tensor
    rows = tensor.shape[0]
    cols = tensor.numel() // rows
    flat = _generator(generator).normal(0.0, 1.0, size=(rows, cols))
    if rows < cols:
        flat = flat.T
    q, r = np.linalg.qr(flat)
    q = q * np.sign(np.diag(r))  # makes the decomposition unique: uniform over rotations
    if rows < cols:
        q = q.T
    return _fill(tensor, gain * to_numpy(q).reshape(tensor.shape))
