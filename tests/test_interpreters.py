"""One rule, three interpreters: every op's rules give the same values under each of them.

The rules are written once against the declared namespace (``tinygrad_nn.namespace``).
Here each interpreter is checked to implement every declared name, and every op's
forward and first derivative are evaluated three ways — NumPy arrays (plain backward),
Tensors (``create_graph=True``) and symbolic values (``tg.compile``) — and compared.
A fourth interpreter (an array backend) is one more entry in ``INTERPRETERS``.
"""

from __future__ import annotations

import inspect

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_op_gradients import CASES, Case

import tinygrad_nn as tg
from tinygrad_nn import ops
from tinygrad_nn.compile.program import Program
from tinygrad_nn.compile.symbolic_xp import SymbolicNamespace
from tinygrad_nn.namespace import EXTRAS, NAMES, numpy_xp
from tinygrad_nn.ops.base import Op
from tinygrad_nn.tensor import tensor_xp
from tinygrad_nn.testing import arrays

INTERPRETERS = {
    "numpy": lambda: numpy_xp,
    "tensor": lambda: tensor_xp,
    "symbolic": lambda: SymbolicNamespace(Program()),
}


def missing_names(namespace: object) -> list[str]:
    """The declared names that ``namespace`` does not implement."""
    return [name for name in NAMES if not callable(getattr(namespace, name, None))]


@pytest.mark.parametrize("kind", list(INTERPRETERS))
def test_each_interpreter_implements_every_declared_name(kind: str) -> None:
    assert missing_names(INTERPRETERS[kind]()) == []


def test_a_missing_name_is_reported() -> None:
    class Partial(type(numpy_xp)):  # type: ignore[misc]
        log1p = None

    assert missing_names(Partial()) == ["log1p"]


def test_the_declared_namespace_names_the_standard_and_its_extras() -> None:
    assert {"concat", "permute_dims", "matrix_transpose", "log1p", "expm1"} <= set(NAMES)
    extras = {"sigmoid", "erf", "einsum", "unbroadcast", "scatter_add", "class_mask"}
    assert set(EXTRAS) == extras <= set(NAMES)


def all_ops() -> list[type[Op]]:
    classes = vars(ops).values()
    return [c for c in classes if inspect.isclass(c) and issubclass(c, Op) and c is not Op]


def test_every_op_declares_a_unique_name_its_formula_and_derivatives() -> None:
    catalogue = all_ops()
    assert len(catalogue) > 30
    names = [cls.name for cls in catalogue]
    assert len(names) == len(set(names)), names
    for cls in catalogue:
        assert cls.formula.startswith("z = "), cls
        assert cls.derivatives and all(d.startswith(("dz/d", "dL/d")) for d in cls.derivatives)
        assert len(cls.derivatives) in (1, len(cls.input_names)), cls


@pytest.mark.parametrize("case", CASES, ids=repr)
@settings(max_examples=10)
@given(data=st.data())
def test_every_op_gives_the_same_values_under_every_interpreter(case: Case, data) -> None:
    inputs, fn = case.draw(data.draw, 3)
    out_shape = fn(*(tg.Tensor(a) for a in inputs)).shape
    weights = data.draw(arrays(out_shape), label="weights")

    def loss_fn(*ts: tg.Tensor) -> tg.Tensor:
        return (fn(*ts) * weights).sum()

    def eager(create_graph: bool) -> tuple[np.ndarray, list]:
        leaves = [tg.Tensor(a, requires_grad=True) for a in inputs]
        loss = loss_fn(*leaves)
        grads = tg.grad(loss, leaves, create_graph=create_graph, allow_unused=True)
        if create_graph:  # the Tensor interpreter recorded the backward pass itself
            assert any(g is not None and g.requires_grad for g in grads) or not any(
                g is not None and g.op is not None for g in grads
            )
        return loss.data, [None if g is None else g.data for g in grads]

    leaves = [tg.Tensor(a, requires_grad=True) for a in inputs]
    compiled_loss, compiled_grads = tg.compile(loss_fn)(*leaves)
    results = {
        "numpy": eager(False),
        "tensor": eager(True),
        "symbolic": (compiled_loss.data, [None if g is None else g.data for g in compiled_grads]),
    }
    expected_loss, expected_grads = results["numpy"]
    for kind, (loss, grads) in results.items():
        np.testing.assert_allclose(loss, expected_loss, rtol=1e-12, atol=1e-12, err_msg=kind)
        for got, want in zip(grads, expected_grads):
            assert (got is None) == (want is None), kind
            if want is not None:
                np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12, err_msg=kind)


# ---------------------------------------------------------------- a user's own op


class Softplus(tg.Op):
    name = "softplus"
    formula = "z = log(1 + exp(x))"
    derivatives = ("dz/dx = sigmoid(x)",)

    def forward(self, xp, x):
        return xp.log1p(xp.exp(x))

    def backward(self, xp, g, x, z):
        return (g * xp.sigmoid(x),)


def softplus(x: tg.Tensor) -> tg.Tensor:
    return tg.apply(Softplus(), x)


def test_a_users_op_works_eagerly_second_order_compiled_and_drawn() -> None:
    x = tg.Tensor([-2.0, 0.0, 1.5], requires_grad=True, name="x")
    assert tg.gradcheck(lambda t: softplus(t).sum(), [x])
    assert tg.gradgradcheck(lambda t: softplus(t).sum(), [x])
    (eager,) = tg.grad(softplus(x).sum(), [x])
    np.testing.assert_allclose(eager.data, 1 / (1 + np.exp(-x.data)), rtol=1e-12)
    compiled = tg.compile(lambda t: softplus(t).sum())
    _, (from_compiled,) = compiled(x)
    np.testing.assert_allclose(from_compiled.data, eager.data, rtol=1e-12)
    assert "np.log1p(np.exp(t))" in compiled.source
    from tinygrad_nn import viz

    assert "dz/dx = sigmoid(x)" in viz.to_dot(softplus(x).sum())
    assert "z = log(1 + exp(x))" in viz.explanation(softplus(x).sum())
