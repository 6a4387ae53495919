"""The op catalogue: one declared class gives every door of an elementwise op."""

from __future__ import annotations

import inspect
import pathlib
import re

import numpy as np
import pytest

import tinygrad_nn as tg
from tinygrad_nn import ops
from tinygrad_nn.compile.symbolic_xp import SymbolicNamespace
from tinygrad_nn.namespace import numpy_xp
from tinygrad_nn.namespace.array_api import STANDARD
from tinygrad_nn.namespace.declared import EXTRAS, NAMES
from tinygrad_nn.namespace.recorded import RecordedNamespace
from tinygrad_nn.ops import catalogue
from tinygrad_nn.tensor_operators import UFUNC_METHODS

PACKAGE = pathlib.Path(tg.__file__).parent
DECLARED = catalogue.declared()


def test_one_op_name_is_written_in_at_most_three_files() -> None:
    word = re.compile(r"\bexpm1\b")
    files = sorted(
        str(p.relative_to(PACKAGE)) for p in PACKAGE.rglob("*.py") if word.search(p.read_text())
    )
    # the op class, the declared xp function, and ELU's rule (which calls xp.expm1)
    assert files == ["namespace/declared.py", "ops/activations.py", "ops/elementwise.py"]


def test_every_one_input_elementwise_op_is_declared() -> None:
    names = {cls.name for cls in DECLARED}
    assert names >= {"exp", "expm1", "log", "log1p", "sqrt", "abs", "tanh", "sigmoid", "relu"}
    assert names >= {"sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "log2"}
    assert names >= {"log10", "erf"}


@pytest.mark.parametrize("cls", DECLARED, ids=lambda cls: cls.name)
def test_each_declared_op_has_its_tensor_method_with_a_docstring(cls: type[ops.Op]) -> None:
    for name in catalogue.method_names(cls):
        method = getattr(tg.Tensor, name)
        assert method.__doc__ and cls.formula in method.__doc__ and ">>>" in method.__doc__
        assert list(inspect.signature(method).parameters) == ["self"]
        x = tg.Tensor([0.25, 0.5], requires_grad=True)
        y = method(x)
        np.testing.assert_allclose(y.array, cls().forward(numpy_xp, x.array))


def test_a_generated_method_does_what_the_hand_written_one_did_and_no_more() -> None:
    # one global-free closure: self._apply(cls(), self), no lookup of the class per call
    code = tg.Tensor.exp.__code__
    assert code.co_names == ("_apply",) and code.co_freevars == ("cls",)


def test_aliases_and_numpy_spellings() -> None:
    assert catalogue.method_names(ops.Asin) == ("arcsin", "asin")
    x = tg.Tensor([0.5])
    assert np.allclose(x.asin().data, x.arcsin().data) and np.allclose(
        x.arcsin().data, np.arcsin(0.5)
    )


@pytest.mark.parametrize(
    ("function", "method"),
    [
        (np.abs, "abs"),
        (np.fabs, "abs"),
        (np.arcsin, "arcsin"),
        (np.expm1, "expm1"),
        (np.log10, "log10"),
    ],
)
def test_numpy_ufuncs_reach_the_tensor_method(function: np.ufunc, method: str) -> None:
    assert UFUNC_METHODS[function.__name__] == method
    x = tg.Tensor([0.5], requires_grad=True)
    y = function(x)
    assert isinstance(y, tg.Tensor)
    y.sum().backward()
    assert x.grad is not None


def test_ops_numpy_has_not_are_not_ufuncs() -> None:
    assert catalogue.ufunc_names(ops.Relu) == () and "relu" not in UFUNC_METHODS


@pytest.mark.parametrize("name", [cls.name for cls in DECLARED if cls.name in NAMES])
def test_every_interpreter_has_the_declared_function(name: str) -> None:
    assert callable(getattr(numpy_xp, name))
    assert callable(getattr(RecordedNamespace, name))
    if name not in EXTRAS:
        assert name in STANDARD and hasattr(SymbolicNamespace, name)


def test_the_recorded_namespace_records_the_declared_op() -> None:
    x = tg.Tensor([0.5], requires_grad=True)
    (g,) = tg.grad(x.expm1().sum(), [x], create_graph=True)  # g = exp(x), recorded
    (h,) = tg.grad(g.sum(), [x])
    np.testing.assert_allclose(h.data, np.exp([0.5]))


def test_numpy_xp_takes_numpys_function_of_the_same_name() -> None:
    assert numpy_xp.expm1 is np.expm1 and numpy_xp.maximum is np.maximum
    assert numpy_xp.asin is np.arcsin  # spelled out: NumPy 1 has no np.asin


def test_standard_is_the_protocol_minus_the_extras() -> None:
    assert set(STANDARD) == set(NAMES) - set(EXTRAS) - {"astype"}
    assert "expm1" in STANDARD and "sigmoid" not in STANDARD
