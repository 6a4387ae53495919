"""F.kl_div and nn.KLDivLoss: PyTorch's pointwise KL, reductions ("batchmean" the
mathematical one), log targets; gradients against finite differences and PyTorch."""

from __future__ import annotations

import importlib.util
import warnings

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_nn as tg
from tinygrad_nn.nn import functional as F
from tinygrad_nn.nn.loss_functions import KL_MEAN_WARNING
from tinygrad_nn.nn.loss_modules import KLDivLoss

HAS_TORCH = importlib.util.find_spec("torch") is not None
REDUCTIONS = ["batchmean", "sum", "none", "mean"]


def expected(log_q: np.ndarray, t: np.ndarray, log_target: bool) -> np.ndarray:
    if log_target:
        return np.exp(t) * (t - log_q)
    return np.where(t > 0, t * np.log(np.where(t > 0, t, 1.0)), 0.0) - t * log_q


def quiet(function, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # (reduction="mean"'s warning)
        return function(*args, **kwargs)


@settings(max_examples=30, deadline=None)
@given(
    shape=hnp.array_shapes(min_dims=1, max_dims=3, max_side=4),
    data=st.data(),
    log_target=st.booleans(),
    reduction=st.sampled_from(REDUCTIONS),
)
def test_values_and_gradients_match_the_formula_and_finite_differences(
    shape, data, log_target, reduction
) -> None:
    log_q = data.draw(hnp.arrays(np.float64, shape, elements=st.floats(-3, 0.5)))
    if log_target:
        t = data.draw(hnp.arrays(np.float64, shape, elements=st.floats(-3, 0.5)))
    else:  # probabilities, some exactly 0 (0 log 0 is 0)
        t = data.draw(hnp.arrays(np.float64, shape, elements=st.sampled_from([0.0, 0.1, 0.5, 2.0])))
    x, y = tg.tensor(log_q, requires_grad=True), tg.tensor(t, requires_grad=True)
    loss = quiet(F.kl_div, x, y, reduction=reduction, log_target=log_target)
    pointwise = expected(log_q, t, log_target)
    want = {
        "none": pointwise,
        "sum": pointwise.sum(),
        "mean": pointwise.mean(),
        "batchmean": pointwise.sum() / shape[0],
    }[reduction]
    np.testing.assert_allclose(loss.detach().numpy(), want, rtol=1e-12, atol=1e-12)
    assert tg.gradcheck(
        lambda a: quiet(F.kl_div, a, y.detach(), reduction=reduction, log_target=log_target), [x]
    )
    positive = log_target or bool((t > 0).all())  # the target's slope at t = 0 is taken as 0
    if positive:
        assert tg.gradcheck(
            lambda b: quiet(F.kl_div, x.detach(), b, reduction=reduction, log_target=log_target),
            [y],
        )


def test_a_zero_target_costs_nothing_and_its_slope_is_zero() -> None:
    x = tg.tensor([[-1.0, -2.0]], requires_grad=True)
    t = tg.tensor([[1.0, 0.0]], requires_grad=True)
    loss = F.kl_div(x, t, reduction="sum")
    assert loss.item() == 1.0  # 1 * (log 1 - (-1)) + 0
    loss.backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[-1.0, 0.0]])
    np.testing.assert_array_equal(t.grad.numpy(), [[2.0, 2.0]])  # log t + 1 - x; 0 - x at 0


def test_mean_warns_as_pytorch_and_errors_name_kl_div() -> None:
    x, t = tg.tensor([[-1.0, -1.0]]), tg.tensor([[0.5, 0.5]])
    with pytest.warns(UserWarning, match=r"'batchmean' divides only by the batch size"):
        F.kl_div(x, t)
    with pytest.raises(ValueError, match=r"kl_div: 'bad' is not a valid value for reduction"):
        F.kl_div(x, t, reduction="bad")
    with pytest.raises(ValueError, match=r"kl_div"):
        F.kl_div(x, tg.tensor([0.5, 0.5, 0.0]))
    assert F.kl_div(tg.tensor(0.5), tg.tensor(0.3), reduction="batchmean").shape == ()


def test_the_module_is_the_function() -> None:
    x, t = tg.tensor([[0.2, 0.8]]).log(), tg.tensor([[0.5, 0.5]])
    assert KLDivLoss(reduction="batchmean")(x, t).item() == F.kl_div(x, t, "batchmean").item()
    assert repr(KLDivLoss("sum", log_target=True)) == (
        "KLDivLoss(reduction='sum', log_target=True)"
    )
    with tg.install_as_torch():
        import torch

        assert torch.nn.KLDivLoss is KLDivLoss and torch.nn.functional.kl_div is F.kl_div


@pytest.mark.skipif(not HAS_TORCH, reason="PyTorch is not installed")
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div_agrees_with_pytorch(reduction, log_target) -> None:
    import torch

    rng = np.random.default_rng(3)
    log_q = np.log(rng.dirichlet(np.ones(5), size=4))
    t = rng.dirichlet(np.ones(5), size=4)
    t[0, 1] = 0.0
    t = np.log(t + 0.01) if log_target else t
    ours_x = tg.tensor(log_q, requires_grad=True)
    theirs_x = torch.tensor(log_q, requires_grad=True)
    ours = quiet(F.kl_div, ours_x, tg.tensor(t), reduction=reduction, log_target=log_target)
    theirs = quiet(
        torch.nn.functional.kl_div,
        theirs_x,
        torch.tensor(t),
        reduction=reduction,
        log_target=log_target,
    )
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-13)
    ours.sum().backward()
    theirs.sum().backward()
    np.testing.assert_allclose(ours_x.grad.numpy(), theirs_x.grad.numpy(), rtol=1e-13)
    with pytest.warns(UserWarning) as caught:
        torch.nn.functional.kl_div(theirs_x, torch.tensor(t))
    assert str(caught[0].message) == KL_MEAN_WARNING
