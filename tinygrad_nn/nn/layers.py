"""Layers: ``Linear``, ``Sequential`` and the activation functions as modules.

Examples:
    >>> import numpy as np
    >>> import tinygrad_nn as tg
    >>> from tinygrad_nn import nn
    >>> model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))
    >>> model(tg.Tensor(np.ones((5, 3)))).shape
    (5, 1)
"""

from __future__ import annotations

import numpy as np

from tinygrad_nn.dtypes import DTypeLike
from tinygrad_nn.nn import init as initializers
from tinygrad_nn.nn.containers import ModuleList
from tinygrad_nn.nn.module import Module, Parameter
from tinygrad_nn.tensor import Tensor


class Linear(Module):
    """y = x @ weight + bias, with ``weight`` of shape (in_features, out_features).

    The weight is stored input-major, as the seed writes it (``X @ W1``), which is the
    transpose of PyTorch's ``(out_features, in_features)``.

    Args:
        in_features: the size of each input row.
        out_features: the size of each output row.
        bias: add a learned bias of shape (out_features,).
        init: the weight initialiser (see :mod:`tinygrad_nn.nn.init`); the default
            ``lecun_uniform`` draws U(-1/sqrt(in_features), 1/sqrt(in_features)), as
            PyTorch's Linear does. ``init.uniform(0, 1)`` reproduces the seed.
        bias_init: the bias initialiser; the same default as the weight.
        rng: a NumPy Generator or an int seed; by default the generator set with
            :func:`tinygrad_nn.manual_seed`.
        dtype: the parameters' dtype (float64 by default).

    Examples:
        >>> import tinygrad_nn as tg
        >>> from tinygrad_nn import nn
        >>> layer = nn.Linear(3, 4, bias=False, init=nn.init.uniform(0, 1), rng=0)
        >>> layer.weight.shape
        (3, 4)
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        init: initializers.Initializer = initializers.lecun_uniform,
        bias_init: initializers.Initializer | None = None,
        rng: np.random.Generator | int | None = None,
        dtype: DTypeLike = np.float64,
    ) -> None:
        super().__init__()
        if in_features < 1 or out_features < 1:
            raise ValueError(
                f"Linear: in_features and out_features must be positive, "
                f"got {in_features} and {out_features}"
            )
        self.in_features, self.out_features = in_features, out_features
        generator = (
            initializers.default_generator()
            if rng is None
            else rng
            if isinstance(rng, np.random.Generator)
            else np.random.default_rng(rng)
        )
        self.weight = Parameter(init((in_features, out_features), generator), dtype=dtype)
        self.bias: Parameter | None = None
        if bias:
            bias_init = bias_init or _bias_default(in_features)
            self.bias = Parameter(bias_init((out_features,), generator), dtype=dtype)

    def forward(self, x: Tensor) -> Tensor:
        if self.bias is None:
            return x @ self.weight
        return x @ self.weight + self.bias

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"bias={self.bias is not None}"
        )


def _bias_default(fan_in: int) -> initializers.Initializer:
    """PyTorch's bias default: U(-1/sqrt(fan_in), 1/sqrt(fan_in)), fan_in of the weight."""
    bound = 1.0 / np.sqrt(fan_in)
    return initializers.uniform(-bound, bound)


class Sequential(ModuleList):
    """Modules applied one after another: a :class:`ModuleList` that is also a layer,
    indexable like a list (``model[0].weight``).

    Examples:
        >>> from tinygrad_nn import nn
        >>> model = nn.Sequential(nn.Linear(2, 2), nn.ReLU())
        >>> len(model), type(model[1]).__name__
        (2, 'ReLU')
    """

    def __init__(self, *modules: Module) -> None:
        for index, module in enumerate(modules):
            if not isinstance(module, Module):
                raise TypeError(
                    f"Sequential: argument {index} is a {type(module).__name__}, not a Module"
                )
        super().__init__(modules)

    def forward(self, x: Tensor) -> Tensor:
        for module in self._modules.values():
            x = module(x)
        return x


class Sigmoid(Module):
    """sigmoid(x) = 1 / (1 + exp(-x)), elementwise.

    Examples:
        >>> import tinygrad_nn as tg
        >>> from tinygrad_nn import nn
        >>> nn.Sigmoid()(tg.Tensor([0.0]))
        Tensor([0.5])
    """

    def forward(self, x: Tensor) -> Tensor:
        return x.sigmoid()


class Tanh(Module):
    """tanh(x), elementwise.

    Examples:
        >>> import tinygrad_nn as tg
        >>> from tinygrad_nn import nn
        >>> nn.Tanh()(tg.Tensor([0.0]))
        Tensor([0.])
    """

    def forward(self, x: Tensor) -> Tensor:
        return x.tanh()


class ReLU(Module):
    """max(x, 0), elementwise.

    Examples:
        >>> import tinygrad_nn as tg
        >>> from tinygrad_nn import nn
        >>> nn.ReLU()(tg.Tensor([-1.0, 2.0]))
        Tensor([0., 2.])
    """

    def forward(self, x: Tensor) -> Tensor:
        return x.relu()


class Softmax(Module):
    """exp(x) / sum(exp(x)) along ``axis``.

    Examples:
        >>> import tinygrad_nn as tg
        >>> from tinygrad_nn import nn
        >>> nn.Softmax()(tg.Tensor([1.0, 1.0]))
        Tensor([0.5, 0.5])
    """

    def __init__(self, axis: int = -1) -> None:
        super().__init__()
        self.axis = axis

    def forward(self, x: Tensor) -> Tensor:
        return x.softmax(self.axis)

    def extra_repr(self) -> str:
        return f"axis={self.axis}"
