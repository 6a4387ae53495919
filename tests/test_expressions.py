"""Random expression DAGs (fan-out, broadcasting) against finite differences, orders 1 and 2."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_nn as tg
from tinygrad_nn import ops
from tinygrad_nn.tensor import apply
from tinygrad_nn.testing import Expression, arrays, assert_gradients_match, expressions


@settings(max_examples=200)
@given(expr=expressions(), data=st.data())
def test_expression_gradients_match_finite_differences(
    expr: Expression, data: st.DataObject
) -> None:
    out_shape = expr(*(tg.Tensor(a) for a in expr.inputs)).shape
    upstream = data.draw(arrays(out_shape), label="upstream gradient")
    assert_gradients_match(expr, expr.inputs, upstream)


@settings(max_examples=60)
@given(expr=expressions(max_steps=6))
def test_expression_second_derivatives_match_finite_differences(expr: Expression) -> None:
    tensors = [tg.Tensor(a, requires_grad=True) for a in expr.inputs]
    assert tg.gradgradcheck(expr, tensors, atol=1e-4, rtol=1e-3)


@given(expr=expressions())
def test_backward_and_grad_agree(expr: Expression) -> None:
    leaves = [tg.Tensor(a, requires_grad=True) for a in expr.inputs]
    out = expr(*leaves)
    upstream = np.linspace(-1, 1, out.size).reshape(out.shape)
    expected = tg.grad(out, leaves, upstream, retain_graph=True, allow_unused=True)
    out.backward(upstream)
    for leaf, g in zip(leaves, expected):
        if g is None:
            assert leaf.grad is None
        else:
            np.testing.assert_array_equal(leaf.grad.array, g.array)


class WrongSquare(ops.Op):
    """z = x * x;  dz/dx = x   (deliberately wrong: the 2 is missing)"""

    name = "wrong_square"

    def forward(self, xp, x):  # type: ignore[no-untyped-def]
        return x * x

    def backward(self, xp, g, x, z):  # type: ignore[no-untyped-def]
        return (g * x,)


def test_the_checks_catch_a_wrong_backward_rule() -> None:
    """The proof machinery can fail: a rule missing a factor of 2 is caught."""
    x = np.array([0.5, -1.5, 2.0])
    try:
        assert_gradients_match(lambda t: apply(WrongSquare(), t), [x])
    except AssertionError as error:
        assert "gradient of input 0" in str(error)
    else:
        raise AssertionError("a wrong gradient passed the check")
    try:
        tg.gradcheck(lambda t: apply(WrongSquare(), t), [tg.Tensor(x, requires_grad=True)])
    except tg.GradcheckError as error:
        assert "Jacobian mismatch" in str(error)
    else:
        raise AssertionError("gradcheck accepted a wrong gradient")
