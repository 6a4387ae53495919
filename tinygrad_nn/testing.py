"""Hypothesis strategies and checks for testing gradients — tinygrad_nn's own, and yours.

Needs ``hypothesis`` (``pip install tinygrad-nn[dev]``); ``import tinygrad_nn`` does not
load this module.

- :func:`shapes`, :func:`arrays`, :func:`broadcastable_shapes`: inputs of any shape,
  including shapes that broadcast against each other;
- :func:`expressions`: random computation graphs (DAGs that reuse values, i.e. fan-out)
  built from smooth operations, for whole-engine checks;
- :func:`assert_gradients_match`: backward versus central finite differences for a drawn
  upstream gradient, also checking that inputs are not mutated and that no gradient is
  a view of another array.

Examples:
    >>> from hypothesis import given, settings
    >>> @settings(max_examples=5, deadline=None)
    ... @given(x=arrays(shapes()))
    ... def test_tanh(x):
    ...     assert_gradients_match(lambda t: t.tanh(), [x])
    >>> test_tanh()
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from tinygrad_nn.autograd import grad
from tinygrad_nn.gradcheck import numerical_jacobian
from tinygrad_nn.tensor import Tensor


def shapes(
    min_dims: int = 0, max_dims: int = 3, min_side: int = 1, max_side: int = 4
) -> st.SearchStrategy[tuple[int, ...]]:
    """Array shapes, scalars (0-d) included by default.

    Examples:
        >>> shapes(min_dims=2, max_dims=2).example().__len__()
        2
    """
    return hnp.array_shapes(
        min_dims=min_dims, max_dims=max_dims, min_side=min_side, max_side=max_side
    )


def floats(
    lo: float = -3.0, hi: float = 3.0, avoid: Sequence[float] = (), margin: float = 0.01
) -> st.SearchStrategy:
    """Finite float64 values in [lo, hi], at least ``margin`` away from each point in ``avoid``.

    ``avoid`` keeps finite differences off kinks, e.g. ``avoid=[0]`` for ``relu``.

    Examples:
        >>> v = floats(-1, 1, avoid=[0]).example()
        >>> abs(v) >= 0.01
        True
    """
    values = st.floats(lo, hi, allow_nan=False, allow_infinity=False, allow_subnormal=False)
    return values.filter(lambda v: all(abs(v - a) >= margin for a in avoid))


def arrays(
    shape: tuple[int, ...] | st.SearchStrategy[tuple[int, ...]],
    elements: st.SearchStrategy | None = None,
    dtype: Any = np.float64,
    unique: bool = False,
) -> st.SearchStrategy[np.ndarray]:
    """NumPy arrays of ``shape`` (a shape or a strategy for one) with ``elements``.

    Examples:
        >>> arrays((2, 3)).example().shape
        (2, 3)
    """
    return hnp.arrays(
        dtype, shape, elements=floats() if elements is None else elements, unique=unique
    )


def broadcastable_shapes(
    num_shapes: int = 2, min_dims: int = 0, max_dims: int = 3, max_side: int = 4
) -> st.SearchStrategy[tuple[tuple[int, ...], ...]]:
    """Tuples of shapes that broadcast together (NumPy's rules), e.g. ((2, 3), (3,)).

    Examples:
        >>> a, b = broadcastable_shapes().example()
        >>> import numpy as np
        >>> isinstance(np.broadcast_shapes(a, b), tuple)
        True
    """
    return hnp.mutually_broadcastable_shapes(
        num_shapes=num_shapes, min_dims=min_dims, max_dims=max_dims, max_side=max_side
    ).map(lambda drawn: drawn.input_shapes)


# ---------------------------------------------------------------- checking one function


def assert_gradients_match(
    fn: Callable[..., Tensor],
    arrays: Sequence[np.ndarray],
    upstream: np.ndarray | None = None,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-4,
) -> None:
    """Backward's vector-Jacobian product of ``fn`` equals central finite differences.

    Each array becomes a tensor that requires grad; ``fn(*tensors)`` is differentiated
    against ``upstream`` (ones when None). Also asserts that the input arrays were not
    changed, that every gradient has its input's shape and dtype, and that no gradient
    shares memory with another gradient or with an input.

    Examples:
        >>> import numpy as np
        >>> assert_gradients_match(lambda a, b: a * b, [np.ones(2), np.arange(2.0)])
    """
    originals = [np.array(a, copy=True) for a in arrays]
    tensors = [Tensor(a, requires_grad=True) for a in arrays]
    out = fn(*tensors)
    v = np.ones(out.shape) if upstream is None else np.asarray(upstream, dtype=np.float64)
    assert v.shape == out.shape, f"upstream shape {v.shape} != output shape {out.shape}"
    if out.requires_grad:
        grads = grad(out, tensors, v, allow_unused=True)
    else:
        grads = tuple(None for _ in tensors)
    automatic = [np.zeros(t.shape) if g is None else g.array for g, t in zip(grads, tensors)]
    jacobians = numerical_jacobian(fn, tensors, eps)[0]
    for i, (a, original) in enumerate(zip(arrays, originals)):
        assert np.array_equal(a, original, equal_nan=True), f"input {i} was modified"
    for i, (auto, jac, t) in enumerate(zip(automatic, jacobians, tensors)):
        assert auto.shape == t.shape, f"grad {i} has shape {auto.shape}, input {t.shape}"
        assert auto.dtype == t.dtype, f"grad {i} has dtype {auto.dtype}, input {t.dtype}"
        numeric = (v.reshape(-1) @ jac).reshape(t.shape)
        np.testing.assert_allclose(
            auto, numeric, rtol=rtol, atol=atol, err_msg=f"gradient of input {i}"
        )
    real = [g.array for g in grads if g is not None]
    for i, g in enumerate(real):
        for j, other in enumerate(real[i + 1 :] + list(arrays)):
            assert not np.shares_memory(g, other), f"grad {i} shares memory with array {j}"


# ---------------------------------------------------------------- random expression graphs


@dataclass
class Expression:
    """A random computation graph over some inputs, as a list of steps.

    Each step is ``(op, operand indices, parameter)``; values ``0..n_inputs-1`` are the
    inputs and step ``k`` makes value ``n_inputs + k``. Calling the expression on tensors
    evaluates it and returns the last value. ``repr`` shows it as a little program.
    """

    inputs: list[np.ndarray]
    steps: list[tuple[str, tuple[int, ...], Any]] = field(default_factory=list)

    def __call__(self, *tensors: Tensor) -> Tensor:
        values = list(tensors)
        for op, args, param in self.steps:
            values.append(_EXPRESSION_OPS[op](param, *(values[i] for i in args)))
        return values[-1]

    def __repr__(self) -> str:
        lines = [f"v{i} = input{np.shape(a)}" for i, a in enumerate(self.inputs)]
        for k, (op, args, param) in enumerate(self.steps):
            operands = ", ".join(f"v{i}" for i in args)
            extra = "" if param is None else f", {param!r}"
            lines.append(f"v{len(self.inputs) + k} = {op}({operands}{extra})")
        return "Expression:\n  " + "\n  ".join(lines)


def _unary(f: Callable[[Tensor], Tensor]) -> Callable[..., Tensor]:
    return lambda param, x: f(x)


_EXPRESSION_OPS: dict[str, Callable[..., Tensor]] = {
    # Bounded outputs (|v| <= 1): safe to multiply by, see ``_BOUNDED``.
    "tanh": _unary(lambda x: x.tanh()),
    "sigmoid": _unary(lambda x: x.sigmoid()),
    "softmax": lambda axis, x: x.softmax(axis),
    "gauss": _unary(lambda x: (-(x * x)).exp()),
    # Unbounded, but growing at most additively.
    "log_softmax": lambda axis, x: x.log_softmax(axis),
    "softplus_like": _unary(lambda x: (x * x + 1).log()),
    "hypot1": _unary(lambda x: (x * x + 1).sqrt()),
    "sum": lambda axis, x: x.sum(axis=axis, keepdims=True),
    "mean": lambda axis, x: x.mean(axis=axis, keepdims=True),
    "add": lambda param, x, y: x + y,
    "sub": lambda param, x, y: x - y,
    "mul": lambda param, x, y: x * y,  # y is always a bounded value
    "div": lambda param, x, y: x / (y * y + 1),
    "pow": lambda p, x: (x * x + 0.5) ** p,  # x is always a bounded value
}
_BOUNDED = {"tanh", "sigmoid", "softmax", "gauss"}
_AXIS_OPS = {"softmax", "log_softmax", "sum", "mean"}


@st.composite
def expressions(
    draw: Any, max_inputs: int = 3, max_steps: int = 8, max_side: int = 3
) -> Expression:
    """Random expression DAGs: values are reused (fan-out) and broadcast against each other.

    All operations are smooth on the drawn values, so finite differences apply to first
    and second derivatives alike.

    Examples:
        >>> e = expressions().example()
        >>> out = e(*[Tensor(a, requires_grad=True) for a in e.inputs])
        >>> isinstance(out, Tensor)
        True
    """
    base = draw(shapes(min_dims=1, max_dims=2, max_side=max_side))
    n_inputs = draw(st.integers(1, max_inputs))
    inputs = []
    for _ in range(n_inputs):
        # each input has the full shape or a broadcastable one (trailing axes, some ones)
        dims = draw(st.integers(0, len(base)))
        shape = tuple(n if draw(st.booleans()) else 1 for n in base[len(base) - dims :])
        inputs.append(draw(arrays(shape, floats(-2, 2))))
    shapes_so_far = [np.shape(a) for a in inputs]
    bounded = [True] * n_inputs  # inputs are in [-2, 2]
    expr = Expression(inputs)
    for _ in range(draw(st.integers(min(2, max_steps), max_steps))):
        op = draw(st.sampled_from(sorted(_EXPRESSION_OPS)))
        everything = range(len(shapes_so_far))
        small = [i for i in everything if bounded[i]]
        x = draw(st.sampled_from(small if op == "pow" else everything))
        param: Any = None
        if op in _AXIS_OPS:
            ndim = len(shapes_so_far[x])
            if ndim == 0:
                op, param = "tanh", None
            else:
                param = draw(st.integers(-ndim, ndim - 1))
        if op == "pow":
            param = draw(st.sampled_from([0.5, 2, 3, -1]))
        if op in {"add", "sub", "mul", "div"}:
            y = draw(st.sampled_from(small if op == "mul" else everything))
            args: tuple[int, ...] = (x, y)
            shape = np.broadcast_shapes(shapes_so_far[x], shapes_so_far[y])
        else:
            args = (x,)
            shape = shapes_so_far[x]
            if op in {"sum", "mean"}:  # reduced with keepdims: that axis becomes 1
                shape = tuple(1 if i == param % len(shape) else n for i, n in enumerate(shape))
        expr.steps.append((op, args, param))
        shapes_so_far.append(tuple(shape))
        bounded.append(op in _BOUNDED)
    return expr
