"""The gaps three more ordinary PyTorch programs found (tests/programs/dcgan_toy.py,
tiny_resnet.py, d2l_rnn.py): Tensor.norm/torch.norm, nn.GroupNorm/group_norm, nn.ReLU and
nn.LeakyReLU with inplace=, torch.randn/rand(size=...), and nn.init writing through a
``.data`` alias. Gradients against finite differences on hypothesis draws; values, printing
and messages against torch 2.13 where it is installed."""

from __future__ import annotations

import importlib.util
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tinygrad_nn as tg
from tinygrad_nn import nn
from tinygrad_nn.nn.normalization import group_norm
from tinygrad_nn.testing import assert_gradients_match

HAS_TORCH = importlib.util.find_spec("torch") is not None
needs_torch = pytest.mark.skipif(not HAS_TORCH, reason="PyTorch is not installed")
values = st.floats(-3.0, 3.0, allow_nan=False).filter(lambda v: abs(v) > 0.05)


@settings(max_examples=40, deadline=None)
@given(
    x=hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=3, max_side=4), elements=values),
    p=st.sampled_from(["fro", 2, 1, 3, 1.5, math.inf]),
    data=st.data(),
)
def test_norm_values_and_gradients(x: np.ndarray, p: float | str, data: st.DataObject) -> None:
    dim = data.draw(st.sampled_from([None, *range(-x.ndim, x.ndim)]))
    keepdim = data.draw(st.booleans())
    got = tg.tensor(x).norm(p, dim, keepdim)
    order = 2 if p == "fro" else p
    flat = x.reshape(-1) if dim is None else x
    want = np.linalg.norm(flat, ord=order, axis=None if dim is None else dim, keepdims=keepdim)
    if dim is None and keepdim:
        want = np.reshape(want, (1,) * x.ndim)
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-12)
    if p == math.inf and len(np.unique(np.abs(x))) < x.size:
        return  # a tie for the largest magnitude: no derivative to check
    assert_gradients_match(lambda t: t.norm(p, dim, keepdim), [x])


def test_norm_at_zero_has_gradient_zero_and_refuses_unknown_orders() -> None:
    x = tg.zeros(3, requires_grad=True)
    x.norm().backward()
    assert x.grad.tolist() == [0.0, 0.0, 0.0]  # PyTorch's subgradient, not NaN
    assert tg.tensor([3.0, -4.0]).norm(-math.inf).item() == 3.0
    with pytest.raises(ValueError, match=r"norm\(\): p='nuc' is not supported"):
        tg.tensor([1.0]).norm("nuc")
    with pytest.raises(ValueError, match=r"norm\(\): p=0 is not supported"):
        tg.tensor([1.0]).norm(0)


@settings(max_examples=30, deadline=None)
@given(
    groups=st.sampled_from([1, 2]),
    per_group=st.integers(1, 2),
    rest=hnp.array_shapes(min_dims=0, max_dims=2, min_side=2, max_side=3),
    seed=st.integers(0, 2**16),
)
def test_group_norm_gradients_match_finite_differences(
    groups: int, per_group: int, rest: tuple[int, ...], seed: int
) -> None:
    rng = np.random.default_rng(seed)
    channels = groups * per_group
    if channels * math.prod(rest) // groups < 2:
        return  # one value per group: its variance is 0, nothing to normalise
    x = rng.normal(size=(2, channels, *rest))
    weight, bias = rng.normal(size=channels), rng.normal(size=channels)
    upstream = rng.normal(size=x.shape)
    assert_gradients_match(lambda a, w, b: group_norm(a, groups, w, b), [x, weight, bias], upstream)
    grouped = x.reshape(2, groups, -1)
    centred = grouped - grouped.mean(-1, keepdims=True)
    want = (centred / np.sqrt(centred.var(-1, keepdims=True) + 1e-5)).reshape(x.shape)
    np.testing.assert_allclose(group_norm(tg.tensor(x), groups).numpy(), want, rtol=1e-10)


def test_group_norm_module_and_messages() -> None:
    module = nn.GroupNorm(2, 4)
    assert repr(module) == "GroupNorm(2, 4, eps=1e-05, affine=True, bias=True)"
    assert nn.GroupNorm(2, 4, bias=False).bias is None
    assert [name for name, _ in module.named_parameters()] == ["weight", "bias"]
    assert nn.GroupNorm(1, 3, affine=False).weight is None
    with pytest.raises(ValueError, match="num_channels must be divisible by num_groups"):
        nn.GroupNorm(2, 3)
    with pytest.raises(
        RuntimeError,
        match=r"Expected number of channels in input to be divisible by num_groups, but got "
        r"input of shape \[2, 3, 4\] and num_groups=2",
    ):
        group_norm(tg.zeros(2, 3, 4), 2)


def test_relu_and_leaky_relu_take_inplace() -> None:
    x = tg.tensor([-1.0, 2.0])
    assert nn.ReLU()(x).tolist() == [0.0, 2.0] and x.tolist() == [-1.0, 2.0]
    assert nn.ReLU(True)(x) is x and x.tolist() == [0.0, 2.0]  # changed in place, as PyTorch
    assert repr(nn.ReLU()) == "ReLU()" and repr(nn.ReLU(inplace=True)) == "ReLU(inplace=True)"
    leaky = nn.LeakyReLU(0.2, inplace=True)
    assert repr(leaky) == "LeakyReLU(negative_slope=0.2, inplace=True)"
    assert repr(nn.LeakyReLU(0.2)) == "LeakyReLU(negative_slope=0.2)"
    y = tg.tensor([-1.0, 2.0])
    assert leaky(y) is y and y.tolist() == pytest.approx([-0.2, 2.0])
    z = tg.tensor([-1.0, 2.0])
    assert nn.functional.leaky_relu(z, 0.5, False).tolist() == [-0.5, 2.0] and z[0].item() == -1
    assert nn.functional.relu(z, inplace=True) is z and z.tolist() == [0.0, 2.0]


def test_inplace_activations_are_recorded_and_refuse_a_leaf() -> None:
    """The change is recorded as any in-place method's: gradients flow through it, and a
    leaf that requires grad refuses with PyTorch's message."""
    w = tg.tensor([-1.0, 2.0, 3.0], requires_grad=True)
    for layer in (nn.ReLU(inplace=True), nn.LeakyReLU(0.1, inplace=True)):
        with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
            layer(w)
    h = w * 2.0
    out = nn.LeakyReLU(0.1, inplace=True)(h)
    assert out is h
    out.sum().backward()
    np.testing.assert_allclose(w.grad.array, [0.2, 2.0, 2.0])
    d = tg.ones(1000) * 1.0
    tg.manual_seed(0)
    kept = nn.Dropout(0.5, inplace=True)(d)
    assert kept is d and set(np.unique(d.array)) <= {0.0, 2.0}


def test_randn_and_rand_take_size() -> None:
    tg.manual_seed(3)
    a = tg.randn(size=(2, 3))
    tg.manual_seed(3)
    assert np.array_equal(a.numpy(), tg.randn(2, 3).numpy())
    assert tg.rand(size=[4]).shape == (4,)
    with pytest.raises(TypeError, match=r"randn\(\) got multiple values for argument 'size'"):
        tg.randn(2, size=(3,))
    with pytest.raises(TypeError, match=r"rand\(\) got an unexpected keyword argument 'shape'"):
        tg.rand(shape=(3,))


def test_init_through_data_reaches_the_parameter() -> None:
    layer = nn.Linear(3, 50)
    nn.init.normal_(layer.weight.data, 1.0, 0.02)  # DCGAN's weights_init
    nn.init.constant_(layer.bias.data, 0)
    weight = layer.weight.detach().numpy()
    assert abs(weight.mean() - 1.0) < 0.01 and weight.std() < 0.03
    assert layer.bias.detach().numpy().tolist() == [0.0] * 50


@needs_torch
def test_against_pytorch() -> None:
    import torch

    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 4, 3, 3))
    for p, dim in [("fro", None), (2, 1), (1, (1, 2)), (3, -1), (math.inf, 0)]:
        theirs = torch.from_numpy(x).requires_grad_()
        torch.norm(theirs, p, dim).sum().backward()
        ours = tg.tensor(x, requires_grad=True)
        ours.norm(p, dim).sum().backward()
        np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-12)
    w, b = rng.normal(size=4), rng.normal(size=4)
    t = [torch.from_numpy(a).requires_grad_() for a in (x, w, b)]
    torch.nn.functional.group_norm(t[0], 2, t[1], t[2]).pow(2).sum().backward()
    o = [tg.tensor(a, requires_grad=True) for a in (x, w, b)]
    out = group_norm(o[0], 2, o[1], o[2])
    out.pow(2).sum().backward()
    for mine, theirs in zip(o, t):
        np.testing.assert_allclose(mine.grad.numpy(), theirs.grad.numpy(), rtol=1e-10)
    assert repr(nn.GroupNorm(2, 4)) == repr(torch.nn.GroupNorm(2, 4))
    assert repr(nn.ReLU(True)) == repr(torch.nn.ReLU(True))
    assert repr(nn.LeakyReLU(0.2, True)) == repr(torch.nn.LeakyReLU(0.2, True))
    assert repr(nn.LeakyReLU(0.2)) == repr(torch.nn.LeakyReLU(0.2))
    with pytest.raises(RuntimeError, match="divisible by num_groups") as theirs_error:
        torch.nn.functional.group_norm(torch.zeros(2, 3, 4), 2)
    with pytest.raises(RuntimeError) as ours_error:
        group_norm(tg.zeros(2, 3, 4), 2)
    assert str(ours_error.value) == str(theirs_error.value)
