"""Weight initialisers: each takes a shape and a random generator and returns an array.

The default for :class:`~tinygrad_nn.nn.Linear` is :func:`lecun_uniform`, the scheme
PyTorch's ``nn.Linear`` uses: U(-1/sqrt(fan_in), 1/sqrt(fan_in)).

Examples:
    >>> import numpy as np
    >>> w = uniform(0.0, 1.0)((3, 4), np.random.default_rng(0))   # the seed's weights
    >>> w.shape, bool(w.min() >= 0), bool(w.max() < 1)
    ((3, 4), True, True)
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from tinygrad_nn.seeding import default_generator, manual_seed

Initializer = Callable[[tuple[int, ...], np.random.Generator], np.ndarray]

__all__ = ["default_generator", "manual_seed"]


def _fan_in(shape: tuple[int, ...]) -> int:
    return shape[0] if shape else 1  # weights are (in_features, out_features)


def uniform(low: float, high: float) -> Initializer:
    """U(low, high). ``uniform(0, 1)`` is the seed's ``runif``.

    Examples:
        >>> uniform(-1, 1)((2,), np.random.default_rng(0)).shape
        (2,)
    """

    def init(shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
        return rng.uniform(low, high, size=shape)

    return init


def lecun_uniform(shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
    """U(-1/sqrt(fan_in), 1/sqrt(fan_in)): PyTorch's default for ``nn.Linear``."""
    bound = 1.0 / np.sqrt(_fan_in(shape))
    return rng.uniform(-bound, bound, size=shape)


def xavier_uniform(shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
    """U(-a, a) with a = sqrt(6 / (fan_in + fan_out)): Glorot's scheme, for tanh/sigmoid."""
    fan_in, fan_out = _fan_in(shape), shape[-1] if len(shape) > 1 else 1
    bound = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-bound, bound, size=shape)


def kaiming_uniform(shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
    """U(-a, a) with a = sqrt(6 / fan_in): He's scheme, for ReLU layers."""
    bound = np.sqrt(6.0 / _fan_in(shape))
    return rng.uniform(-bound, bound, size=shape)


def zeros(shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
    """All zeros (the usual choice for biases)."""
    return np.zeros(shape)
