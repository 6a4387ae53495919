"""Array backends: the same rules on another array library's arrays.

array-api-strict is the standard's strict reference: it has nothing beyond the standard
(no ``x.copy()``, no arithmetic on booleans, no NumPy functions), so every op's forward
and first and second derivatives computed on its arrays, equal to NumPy's, show that no
rule depends on NumPy. The standard leaves general integer-array indexing out
(``x[[0, 0, 2]]``), so array-api-strict refuses it; those draws are checked on PyTorch,
a real second library, whose tests skip when it is not installed.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from test_op_gradients import CASES, Case

import tinygrad_nn as tg
from tinygrad_nn.testing import arrays

pytest.importorskip("array_api_compat")
strict = pytest.importorskip("array_api_strict")

# Cases whose every draw indexes with integer arrays: not in the standard.
INTEGER_INDEXING = {"scatter_add"}


def derivatives(inputs, fn, weights, library):
    """Loss, first and second derivatives of ``sum(fn(inputs) * weights)`` in ``library``."""
    leaves = [tg.Tensor(a).to(library).requires_grad_() for a in inputs]
    loss = (fn(*leaves) * tg.Tensor(weights).to(library)).sum()
    firsts = tg.grad(loss, leaves, create_graph=True, allow_unused=True)
    used = [g for g in firsts if g is not None and g.requires_grad]
    seconds = [None] * len(leaves)
    if used:
        total = sum(((g * g).sum() for g in used), tg.Tensor(0.0).to(library))
        seconds = list(tg.grad(total, leaves, allow_unused=True))
    for t in (loss, *firsts, *seconds):
        assert t is None or tg.namespace.array_api.library_name(t.data) == library_name(library)
    return [None if t is None else t.numpy() for t in (loss, *firsts, *seconds)]


def library_name(library) -> str:
    return library if isinstance(library, str) else library.__name__


def check_case(case: Case, data, library) -> None:
    inputs, fn = case.draw(data.draw, 3)
    out_shape = fn(*(tg.Tensor(a) for a in inputs)).shape
    weights = data.draw(arrays(out_shape), label="weights")
    want = derivatives(inputs, fn, weights, "numpy")
    try:
        got = derivatives(inputs, fn, weights, library)
    except IndexError as error:  # array-api-strict: integer-array indexing is not standard
        message = str(error)
        assume(library is not strict or not ("ndex arrays" in message or "multi-axes" in message))
        raise
    for g, w in zip(got, want):
        assert (g is None) == (w is None)
        if w is not None:
            np.testing.assert_allclose(g, w, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("case", [c for c in CASES if c.name not in INTEGER_INDEXING], ids=repr)
@settings(max_examples=8, deadline=None)
@given(data=st.data())
def test_every_op_on_array_api_strict_equals_numpy(case: Case, data) -> None:
    check_case(case, data, strict)


@pytest.mark.parametrize("case", CASES, ids=repr)
@settings(max_examples=5, deadline=None)
@given(data=st.data())
def test_every_op_on_pytorch_equals_numpy(case: Case, data) -> None:
    pytest.importorskip("torch")
    check_case(case, data, "torch")
