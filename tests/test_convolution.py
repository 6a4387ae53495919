"""Convolution and pooling: gradients against finite differences (first and second
order), compiled == eager, the flipped-kernel identity, and PyTorch when installed."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_nn as tg
from tinygrad_nn import nn
from tinygrad_nn.nn import functional as F
from tinygrad_nn.testing import arrays


def leaf(array) -> tg.Tensor:
    return tg.Tensor(np.asarray(array, dtype=float), requires_grad=True)


@settings(max_examples=12, deadline=None)
@given(
    data=st.data(),
    kernel=st.tuples(st.integers(1, 3), st.integers(1, 2)),
    stride=st.tuples(st.integers(1, 2), st.integers(1, 2)),
    padding=st.tuples(st.integers(0, 1), st.integers(0, 1)),
    dilation=st.tuples(st.integers(1, 2), st.integers(1, 2)),
)
def test_conv2d_gradients(data, kernel, stride, padding, dilation) -> None:
    reach = [d * (k - 1) + 1 - 2 * p for k, d, p in zip(kernel, dilation, padding)]
    size = (data.draw(st.integers(max(r, 1), max(r, 1) + 2)) for r in reach)
    channels, out = data.draw(st.integers(1, 2)), data.draw(st.integers(1, 2))
    x = leaf(data.draw(arrays((data.draw(st.integers(1, 2)), channels, *size))))
    w = leaf(data.draw(arrays((out, channels, *kernel))))
    b = leaf(data.draw(arrays((out,))))

    def loss(x, w, b):
        y = F.conv2d(x, w, b, stride, padding, dilation)
        return (y * y).sum()

    assert tg.gradcheck(loss, [x, w, b])
    assert tg.gradgradcheck(loss, [x, w, b], atol=1e-4)
    eager = tg.grad(loss(x, w, b), [x, w, b])
    _, compiled = tg.compile(loss)(x, w, b)
    for got, want in zip(compiled, eager):
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-12, atol=1e-12)


def test_the_gradient_of_a_convolution_is_a_convolution_with_the_flipped_kernel() -> None:
    rng = np.random.default_rng(0)
    x, w = leaf(rng.normal(size=(1, 1, 4, 4))), tg.tensor(rng.normal(size=(1, 1, 3, 3)))
    g = rng.normal(size=(1, 1, 2, 2))
    (F.conv2d(x, w) * g).sum().backward()
    flipped = tg.tensor(w.numpy()[:, :, ::-1, ::-1].copy())
    full = F.conv2d(tg.tensor(g), flipped, padding=2)  # g padded by k - 1, flipped kernel
    np.testing.assert_allclose(x.grad.numpy(), full.numpy(), rtol=1e-12)


@pytest.mark.parametrize("pool", ["max", "avg"])
def test_pooling_gradients(pool) -> None:
    x = leaf(np.random.default_rng(1).permutation(50).reshape(1, 2, 5, 5) / 10.0)
    fn = F.max_pool2d if pool == "max" else F.avg_pool2d

    def loss(x):
        return (fn(x, 3, stride=2, padding=1) ** 2).sum()

    def tiled(x):  # windows that tile the image (the reshape path), the last row cropped
        return (fn(x, 2) ** 2).sum()

    assert tg.gradcheck(loss, [x])
    assert tg.gradcheck(tiled, [x])
    assert fn(x, 2).shape == (1, 2, 2, 2)
    np.testing.assert_allclose(
        fn(x, 2).detach().numpy(), fn(x, 2, stride=(2, 2), padding=(0, 0)).detach().numpy()
    )
    np.testing.assert_allclose(
        F.adaptive_avg_pool2d(x, 1).detach().numpy()[..., 0, 0],
        x.detach().numpy().mean(axis=(2, 3)),
    )


def test_layers_shapes_and_errors() -> None:
    tg.manual_seed(0)
    model = nn.Sequential(
        nn.Conv2d(1, 4, 3),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(4, 8, 3, padding=1),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(8, 10),
    )
    assert model(tg.ones(5, 1, 10, 10)).shape == (5, 10)
    assert nn.Conv1d(3, 2, 3, padding=1)(tg.ones(4, 3, 7)).shape == (4, 2, 7)
    with pytest.raises(ValueError, match="does not match a weight"):
        F.conv2d(tg.ones(1, 2, 5, 5), tg.ones(1, 3, 3, 3))
    with pytest.raises(ValueError, match="does not fit"):
        F.conv2d(tg.ones(1, 1, 2, 2), tg.ones(1, 1, 3, 3))
    with pytest.raises(NotImplementedError, match="groups=1"):
        F.conv2d(tg.ones(1, 2, 3, 3), tg.ones(2, 1, 1, 1), groups=2)
    with pytest.raises(NotImplementedError, match="multiple of the output size"):
        F.adaptive_avg_pool2d(tg.ones(1, 1, 5, 5), 2)


def test_against_pytorch() -> None:
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(2)
    x, w, b = rng.normal(size=(2, 3, 7, 6)), rng.normal(size=(4, 3, 3, 2)), rng.normal(size=4)
    for kwargs in ({}, {"stride": 2, "padding": 1}, {"dilation": (2, 1), "padding": (1, 0)}):
        ours = F.conv2d(tg.tensor(x), tg.tensor(w), tg.tensor(b), **kwargs)
        theirs = torch.nn.functional.conv2d(*map(torch.tensor, (x, w, b)), **kwargs)
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-10, atol=1e-12)
    ours = F.conv1d(tg.tensor(x[:, :, 0]), tg.tensor(w[:, :, 0]), stride=2, padding=1)
    theirs = torch.nn.functional.conv1d(
        torch.tensor(x[:, :, 0]), torch.tensor(w[:, :, 0]), stride=2, padding=1
    )
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-10, atol=1e-12)
    for name in ("max_pool2d", "avg_pool2d"):
        for kwargs in ({"kernel_size": 3, "stride": 2, "padding": 1}, {"kernel_size": 2}):
            ours = getattr(F, name)(tg.tensor(x), **kwargs)
            theirs = getattr(torch.nn.functional, name)(torch.tensor(x), **kwargs)
            np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-10)
