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

import math

import numpy as np

from tinygrad_nn import ops
from tinygrad_nn.dtypes import DTypeLike
from tinygrad_nn.nn import init as initializers
from tinygrad_nn.nn.blocks import in_place
from tinygrad_nn.nn.containers import ModuleList
from tinygrad_nn.nn.module import Module, Parameter
from tinygrad_nn.tensor import Tensor, apply


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``input @ weight.T + bias``, with ``weight`` of shape (out_features, in_features),
    as ``torch.nn.functional.linear``.

    An input whose last axis is not ``in_features`` is PyTorch's ``RuntimeError``, and the
    message says which layout the weight has.

    Examples:
        >>> import tinygrad_nn as tg
        >>> w = tg.tensor([[1.0, 0.0, 2.0]])           # (out, in) = (1, 3)
        >>> linear(tg.tensor([[1.0, 1.0, 1.0]]), w, tg.tensor([0.5])).tolist()
        [[3.5]]
    """
    try:  # one op, z = x @ W.T: one step per layer in drawings, no transpose node
        out = apply(ops.Linear(), input, weight)
    except ValueError:
        rows = math.prod(input.shape[:-1]) if input.ndim else 1
        features = input.shape[-1] if input.ndim else 1
        transposed = "x".join(map(str, weight.shape[::-1]))
        raise RuntimeError(
            f"mat1 and mat2 shapes cannot be multiplied ({rows}x{features} and {transposed}): "
            f"linear takes an input of shape (*, in_features) and a weight of shape "
            f"(out_features, in_features), as PyTorch; got {input.shape} and {weight.shape}"
        ) from None
    return out if bias is None else out + bias


class Linear(Module):
    """y = x @ weight.T + bias, with ``weight`` of shape (out_features, in_features), as
    PyTorch's ``nn.Linear``.

    Row ``i`` of the weight holds output ``i``'s coefficients, so ``weight[:, j]`` is what
    input feature ``j`` feeds to every output, and an ``Embedding``'s ``(num, dim)`` weight
    can be tied to a ``Linear(dim, num)`` (``head.weight = embedding.weight``). The seed's
    ``W1`` (3x4, ``X @ W1``) is this layer's ``weight.T``; the tutorial shows both.

    Args:
        in_features: the size of each input row.
        out_features: the size of each output row.
        bias: add a learned bias of shape (out_features,).
        init: the weight initialiser (see :mod:`tinygrad_nn.nn.init`), called with the
            shape (out_features, in_features); the default ``lecun_uniform`` draws
            U(-1/sqrt(in_features), 1/sqrt(in_features)), PyTorch's
            ``kaiming_uniform_(a=sqrt(5))``. ``init.uniform(0, 1)`` draws as the seed does.
        bias_init: the bias initialiser; by default U(-1/sqrt(in_features),
            1/sqrt(in_features)), as PyTorch, drawn after the weight.
        rng: a NumPy Generator or an int seed; by default the generator set with
            :func:`tinygrad_nn.manual_seed`.
        dtype: the parameters' dtype (float64 by default).

    Examples:
        >>> import tinygrad_nn as tg
        >>> from tinygrad_nn import nn
        >>> layer = nn.Linear(3, 4, bias=False, init=nn.init.uniform(0, 1), rng=0)
        >>> layer.weight.shape
        (4, 3)
        >>> layer(tg.ones(5, 3)).shape
        (5, 4)
    """

    # load_state_dict names the layout change when a checkpoint holds this one transposed
    transposed_before_format_3 = ("weight",)

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
        generator = _generator(rng)
        self.weight = Parameter(init((out_features, in_features), generator), dtype=dtype)
        self.bias: Parameter | None = None
        if bias:
            bias_init = bias_init or _bias_default(in_features)
            self.bias = Parameter(bias_init((out_features,), generator), dtype=dtype)

    def forward(self, x: Tensor) -> Tensor:
        return linear(x, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"bias={self.bias is not None}"
        )


def _generator(rng: np.random.Generator | int | None) -> np.random.Generator:
    if rng is None:
        return initializers.default_generator()
    return rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)


def _bias_default(fan_in: int) -> initializers.Initializer:
    """PyTorch's bias default: U(-1/sqrt(fan_in), 1/sqrt(fan_in)), fan_in of the weight."""
    bound = 1.0 / np.sqrt(fan_in)
    return initializers.uniform(-bound, bound)


class LazyLinear(Linear):
    """A :class:`Linear` whose ``in_features`` is read from its first input, as PyTorch's
    ``nn.LazyLinear``; after that first call it *is* a ``Linear`` (its class changes).

    PyTorch's ``UninitializedParameter``, simplified: before the first call the weight
    and bias are ordinary :class:`Parameter` objects with no elements (shape ``(0,)``),
    and ``in_features`` is 0. ``parameters()`` returns those same two objects, and the
    first call fills them in place (drawn as ``Linear`` draws them), so an optimizer
    built before the first call trains the layer, as in PyTorch. To load a state dict,
    call the layer once (or :meth:`materialize` it) first.

    Examples:
        >>> import tinygrad_nn as tg
        >>> from tinygrad_nn import nn
        >>> layer = nn.LazyLinear(4)
        >>> [p.shape for p in layer.parameters()]
        [(0,), (0,)]
        >>> layer(tg.ones(2, 3)).shape, layer.weight.shape, type(layer).__name__
        ((2, 4), (4, 3), 'Linear')
    """

    def __init__(
        self,
        out_features: int,
        bias: bool = True,
        init: initializers.Initializer = initializers.lecun_uniform,
        bias_init: initializers.Initializer | None = None,
        rng: np.random.Generator | int | None = None,
        dtype: DTypeLike = np.float64,
    ) -> None:
        Module.__init__(self)
        if out_features < 1:
            raise ValueError(f"LazyLinear: out_features must be positive, got {out_features}")
        self.in_features, self.out_features = 0, out_features
        self.weight = Parameter(np.empty(0), dtype=dtype)
        self.bias = Parameter(np.empty(0), dtype=dtype) if bias else None
        self._lazy = (init, bias_init, rng)

    def materialize(self, in_features: int) -> None:
        """Draw the parameters for ``in_features`` inputs, in place; the layer becomes a
        :class:`Linear`."""
        init, bias_init, rng = self._lazy
        drawn = Linear(in_features, self.out_features, self.bias is not None,
                       init, bias_init, rng, self.weight.dtype)  # fmt: skip
        self.weight.array = drawn.weight.array  # the same Parameter objects, new values
        if self.bias is not None and drawn.bias is not None:
            self.bias.array = drawn.bias.array
        self.in_features = in_features
        del self._lazy
        self.__class__ = Linear  # type: ignore[assignment]  # as PyTorch's cls_to_become

    def forward(self, x: Tensor) -> Tensor:
        if x.ndim < 1 or x.shape[-1] < 1:
            raise ValueError(f"LazyLinear: cannot infer in_features from an input of shape "
                             f"{x.shape}")  # fmt: skip
        self.materialize(x.shape[-1])
        return linear(x, self.weight, self.bias)


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
    """max(x, 0), elementwise; ``inplace=True`` (``nn.ReLU(True)``) changes the input
    itself, as PyTorch's.

    Examples:
        >>> import tinygrad_nn as tg
        >>> from tinygrad_nn import nn
        >>> nn.ReLU()(tg.Tensor([-1.0, 2.0]))
        Tensor([0., 2.])
        >>> nn.ReLU(inplace=True)
        ReLU(inplace=True)
    """

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, x: Tensor) -> Tensor:
        return x.relu() if not self.inplace else in_place(x, x.relu(), "relu_")

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class Softmax(Module):
    """exp(x) / sum(exp(x)) along ``dim`` (PyTorch's name; ``axis`` is the same), the
    last axis when neither is given.

    Examples:
        >>> import tinygrad_nn as tg
        >>> from tinygrad_nn import nn
        >>> nn.Softmax()(tg.Tensor([1.0, 1.0]))
        Tensor([0.5, 0.5])
        >>> nn.Softmax(dim=0)
        Softmax(dim=0)
    """

    def __init__(self, dim: int | None = None, *, axis: int | None = None) -> None:
        super().__init__()
        if dim is not None and axis is not None and dim != axis:
            raise TypeError(f"Softmax: dim={dim} and axis={axis} name different axes")
        self.axis = axis if axis is not None else (-1 if dim is None else dim)
        self._spelling = "dim" if dim is not None and axis is None else "axis"

    @property
    def dim(self) -> int:
        """The axis, by PyTorch's name."""
        return self.axis

    def forward(self, x: Tensor) -> Tensor:
        return x.softmax(self.axis)

    def extra_repr(self) -> str:
        return f"{self._spelling}={self.axis}"
