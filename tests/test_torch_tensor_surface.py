"""Issue 25, the Tensor surface (part A): PyTorch's names mean PyTorch's things.

transpose(a, b), devices and .to(), max/min(dim) as (values, indices), random and
counting functions, __index__/__format__, and no NumPy warnings where PyTorch is silent.
Each test failed on the code before this change.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_nn as tg
from tinygrad_nn.torch_names import device

RNG = np.random.default_rng(25)


def leaf(*shape: int) -> tg.Tensor:
    return tg.tensor(RNG.normal(size=shape), requires_grad=True)


def gradients_check(fn, *inputs) -> None:
    """First and second order against central finite differences."""
    assert tg.gradcheck(fn, inputs)
    assert tg.gradgradcheck(fn, inputs)


# ---------------------------------------------------------------- 1. transpose(a, b)


def test_transpose_of_a_matrix_swaps_its_two_axes() -> None:
    x = tg.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    assert x.transpose(0, 1).tolist() == [[1.0, 4.0], [2.0, 5.0], [3.0, 6.0]]
    assert x.transpose(1, 0).shape == x.transpose(-1, -2).shape == (3, 2)
    assert tg.Tensor.transpose(x, 0, 1).shape == (3, 2)  # torch.transpose(x, 0, 1)


def test_transpose_swaps_two_of_many_axes_and_permute_keeps_the_permutation() -> None:
    x = tg.tensor(np.arange(24.0).reshape(2, 3, 4))
    assert x.transpose(0, 2).shape == x.swapaxes(0, 2).shape == x.swapdims(0, 2).shape
    np.testing.assert_array_equal(x.transpose(0, 2).numpy(), np.swapaxes(x.numpy(), 0, 2))
    assert x.permute(2, 0, 1).shape == (4, 2, 3)
    assert x.T.shape == np.transpose(x).shape == (4, 3, 2)  # NumPy's spelling still works
    assert np.transpose(x, (1, 0, 2)).shape == (3, 2, 4)
    with pytest.raises(TypeError, match=r"transpose\(\) takes two dims.*permute"):
        x.transpose(2, 0, 1)
    with pytest.raises(TypeError, match=r"transpose\(\) takes two dims"):
        x.transpose()
    with pytest.raises(IndexError, match=r"^transpose\b"):
        x.transpose(0, 3)
    assert tg.tensor(2.0).transpose(0, -1).item() == 2.0  # a 0-d tensor, as PyTorch


def test_mT_contiguous_and_is_contiguous() -> None:
    x = tg.tensor(np.arange(24.0).reshape(2, 3, 4))
    assert x.mT.shape == (2, 4, 3) and x.is_contiguous() and x.contiguous() is x
    swapped = x.transpose(1, 2)
    assert not swapped.is_contiguous()
    packed = swapped.contiguous()
    assert packed.is_contiguous() and packed.numpy().flags.c_contiguous
    np.testing.assert_array_equal(packed.numpy(), swapped.numpy())
    with pytest.raises(RuntimeError, match=r"tensor.mT is only supported on matrices.*1-D"):
        _ = tg.zeros(3).mT


def test_transpose_mT_and_contiguous_gradients() -> None:
    x = leaf(2, 3, 4)
    gradients_check(lambda x: x.transpose(0, 2) * x.transpose(0, 2), x)
    gradients_check(lambda x: x.mT.contiguous().reshape(-1) ** 2, x)


# ---------------------------------------------------------------- 2. devices


@pytest.mark.parametrize(
    "make",
    [
        lambda d: tg.zeros(2, 3, device=d),
        lambda d: tg.ones(2, device=d),
        lambda d: tg.full((2,), 1.5, device=d),
        lambda d: tg.empty(2, device=d),
        lambda d: tg.eye(2, device=d),
        lambda d: tg.arange(3, device=d),
        lambda d: tg.linspace(0, 1, 3, device=d),
        lambda d: tg.rand(2, device=d),
        lambda d: tg.randn(2, device=d),
        lambda d: tg.randint(5, (2,), device=d),
        lambda d: tg.randperm(4, device=d),
        lambda d: tg.tensor([1.0], device=d),
        lambda d: tg.zeros_like(tg.ones(2), device=d),
        lambda d: tg.ones_like(tg.ones(2), device=d),
        lambda d: tg.full_like(tg.ones(2), 3.0, device=d),
        lambda d: tg.rand_like(tg.ones(2), device=d),
        lambda d: tg.randn_like(tg.ones(2), device=d),
        lambda d: tg.ones(1).new_zeros(2, device=d),
    ],
)
def test_every_factory_takes_device(make) -> None:
    for where in ("cpu", device("cpu"), None):
        made = make(where)
        assert made.device == "cpu" and made.device == device("cpu")
        assert isinstance(made.numpy(), np.ndarray)
    with pytest.raises(RuntimeError, match=r"device='tpu'.*'cpu' \(NumPy\) and 'cuda'"):
        make("tpu")


@pytest.mark.skipif(tg.devices.cuda_available(), reason="a GPU is here")
def test_cuda_without_cupy_is_a_clear_error() -> None:
    x = tg.ones(2)
    for call in (lambda: x.cuda(), lambda: x.to("cuda"), lambda: tg.zeros(2, device="cuda")):
        with pytest.raises(RuntimeError, match="CUDA through CuPy"):
            call()


def test_to_takes_devices_dtypes_and_tensors_as_pytorch() -> None:
    x = tg.tensor([1.5, 2.5], requires_grad=True)
    assert x.to("cpu") is x and x.to(device("cpu")) is x and x.cpu() is x
    assert x.to(tg.float64) is x and x.to(x) is x
    assert x.to(tg.float32).dtype == np.float32
    assert x.to("cpu", tg.float32).dtype == np.float32
    assert x.to(device="cpu", dtype="float32").dtype == np.float32
    assert x.to(tg.zeros(1, dtype=tg.float32)).dtype == np.float32
    assert x.type_as(tg.tensor([1])).dtype == np.int64
    y = x.to("cpu", tg.float32)
    y.sum().backward()  # a dtype change stays in the graph
    assert x.grad.tolist() == [1.0, 1.0]
    with pytest.raises(ValueError, match="neither a dtype, a device"):
        x.to("floaty")
    with pytest.raises(TypeError, match="unexpected keyword argument 'colour'"):
        x.to(colour="red")
    assert x.to("numpy").tolist() == [1.5, 2.5]  # an array library, as before


# ---------------------------------------------------------------- 3. max/min(dim)


def test_max_with_dim_gives_values_and_indices() -> None:
    x = tg.tensor([[1.0, 5.0, 2.0], [7.0, 0.0, 7.0]])
    best = x.max(1)
    assert type(best).__name__ == "max" and best._fields == ("values", "indices")
    assert best.values.tolist() == [5.0, 7.0] and best.indices.tolist() == [1, 0]
    values, indices = x.max(dim=0, keepdim=True)
    assert values.shape == indices.shape == (1, 3) and best[0] is best.values
    worst = x.min(1)
    assert worst.values.tolist() == [1.0, 0.0] and worst.indices.tolist() == [0, 1]
    assert x.max().item() == 7.0 and isinstance(x.max(), tg.Tensor)  # no dim: a tensor
    assert x.max(axis=1).tolist() == [5.0, 7.0]  # NumPy's spelling: the values
    assert x.amax(dim=1).tolist() == [5.0, 7.0] and x.amin(0).tolist() == [1.0, 0.0, 2.0]
    assert tg.Tensor.max(x, tg.tensor(3.0)).tolist() == [[3.0, 5.0, 3.0], [7.0, 3.0, 7.0]]
    assert tg.Tensor.min(x, 1).indices.tolist() == [0, 1]  # torch.min(x, 1)
    with pytest.raises(TypeError, match=r"argument 'dim' must be int, not tuple"):
        x.max((0, 1))
    with pytest.raises(IndexError, match="non-zero size"):
        tg.zeros(0, 2).max(0)


def test_sort_topk_median_kthvalue_are_named_pairs() -> None:
    x = tg.tensor([[3.0, 1.0, 3.0, 2.0]])
    ordered = x.sort(descending=True)
    assert type(ordered).__name__ == "sort" and ordered.indices.tolist() == [[0, 2, 3, 1]]
    top = x.topk(2)
    assert type(top).__name__ == "topk" and top.values.tolist() == [[3.0, 3.0]]
    assert x.median().item() == 2.0  # the lower of the two middle values, as PyTorch
    assert x.median(1).values.tolist() == [2.0] and x.median(1).indices.tolist() == [3]
    third = x.kthvalue(3, 1)
    assert third.values.tolist() == [3.0] and third.indices.tolist() == [0]
    with pytest.raises(IndexError, match="k=5 out of range"):
        x.kthvalue(5)


def test_gradients_flow_through_picked_values() -> None:
    x = leaf(3, 4)
    gradients_check(lambda x: x.max(1).values * x.min(0, keepdim=True).values.sum(), x)
    gradients_check(lambda x: x.sort(0).values ** 2 + x.median(1, keepdim=True).values, x)
    gradients_check(lambda x: x.kthvalue(2, 1).values ** 3, x)
    ties = tg.tensor([[2.0, 2.0, 1.0]], requires_grad=True)
    ties.max(1).values.sum().backward()
    assert ties.grad.tolist() == [[1.0, 0.0, 0.0]]  # the picked index only, as PyTorch


# ---------------------------------------------------------------- 4. random and counting


def test_randint_takes_pytorchs_signatures() -> None:
    drawn = tg.randint(384, (8,))
    assert drawn.shape == (8,) and drawn.dtype == np.int64
    assert drawn.numpy().min() >= 0 and drawn.numpy().max() < 384
    assert tg.randint(3, 5, (100,)).numpy().min() >= 3
    assert tg.randint(low=2, high=3, size=(2,)).tolist() == [2, 2]
    assert tg.randint(3, (2,), dtype=tg.float32).dtype == np.float32
    with pytest.raises(RuntimeError, match=r"from=5 >= to=3"):
        tg.randint(5, 3, (2,))
    with pytest.raises(TypeError, match="'size'"):
        tg.randint(5)
    with pytest.raises(TypeError, match="must be tuple of ints, not int"):
        tg.randint(0, 5, 3)


def test_generator_makes_draws_repeatable() -> None:
    def draws(g: tg.Generator) -> list:
        return [
            tg.rand(3, generator=g).tolist(),
            tg.randn(2, generator=g).tolist(),
            tg.randint(10, (4,), generator=g).tolist(),
            tg.randperm(6, generator=g).tolist(),
            tg.normal(0.0, 1.0, (2,), generator=g).tolist(),
            tg.multinomial(tg.ones(5), 3, generator=g).tolist(),
            tg.bernoulli(tg.full((4,), 0.5), generator=g).tolist(),
        ]

    assert draws(tg.Generator().manual_seed(7)) == draws(tg.Generator().manual_seed(7))
    assert sorted(tg.randperm(6).tolist()) == list(range(6))
    with pytest.raises(RuntimeError, match="n must be non-negative"):
        tg.randperm(-1)


def test_normal_and_bernoulli() -> None:
    g = tg.Generator().manual_seed(0)
    many = tg.normal(tg.full((20000,), 3.0), tg.full((20000,), 2.0), generator=g).numpy()
    assert abs(many.mean() - 3.0) < 0.05 and abs(many.std() - 2.0) < 0.05
    assert tg.normal(tg.zeros(2, 3), 1.0).shape == (2, 3)
    with pytest.raises(RuntimeError, match=r"normal expects std >= 0\.0"):
        tg.normal(0.0, -1.0, (2,))
    coins = tg.bernoulli(tg.tensor([0.0, 1.0, 0.0], dtype=tg.float32))
    assert coins.tolist() == [0.0, 1.0, 0.0] and coins.dtype == np.float32
    with pytest.raises(RuntimeError, match=r"probabilities must be in \[0, 1\]"):
        tg.bernoulli(tg.tensor([1.5]))


def test_multinomial_rows_and_pytorchs_errors() -> None:
    g = tg.Generator().manual_seed(1)
    rows = tg.tensor([[0.0, 1.0, 1.0], [3.0, 0.0, 1.0]])
    picks = tg.multinomial(rows, 2, generator=g)
    assert picks.shape == (2, 2) and picks.dtype == np.int64
    assert sorted(picks.tolist()[0]) == [1, 2] and sorted(picks.tolist()[1]) == [0, 2]
    counts = np.bincount(tg.multinomial(tg.tensor([1.0, 3.0]), 4000, True, generator=g).numpy())
    assert abs(counts[1] / 4000 - 0.75) < 0.03
    errors = [
        (lambda: tg.multinomial(tg.tensor([-1.0, 2.0]), 1), "element < 0"),
        (lambda: tg.multinomial(tg.tensor([[0.0, 0.0]]), 1), r"sum of probabilities <= 0"),
        (lambda: tg.multinomial(tg.tensor([1.0, 0.0]), 2), "not enough non-negative"),
        (lambda: tg.multinomial(tg.tensor([1.0, 1.0]), 3), "n_sample > prob_dist.size"),
        (lambda: tg.multinomial(tg.tensor([1, 2]), 1), "floating-point dtypes"),
        (lambda: tg.multinomial(tg.ones(1, 1, 2), 1), "1 or 2 dim"),
        (lambda: tg.multinomial(tg.tensor([float("nan"), 1.0]), 1), "`nan`"),
    ]
    for call, message in errors:
        with pytest.raises(RuntimeError, match=message):
            call()


def test_unique() -> None:
    x = tg.tensor([[3, 1], [3, 2]])
    assert tg.unique(x).tolist() == [1, 2, 3]
    values, inverse, counts = tg.unique(x, return_inverse=True, return_counts=True)
    assert inverse.shape == x.shape and inverse.tolist() == [[2, 0], [2, 1]]
    assert counts.tolist() == [1, 1, 2] and values.dtype == np.int64
    rows = tg.unique(tg.tensor([[1, 2], [1, 2], [0, 5]]), dim=0)
    assert rows.tolist() == [[0, 5], [1, 2]]


def test_roll_and_its_gradient() -> None:
    x = tg.tensor([[1, 2, 3], [4, 5, 6]])
    assert x.roll(1).tolist() == [[6, 1, 2], [3, 4, 5]]
    assert x.roll(1, 1).tolist() == [[3, 1, 2], [6, 4, 5]]
    assert x.roll((1, -1), (0, 1)).tolist() == [[5, 6, 4], [2, 3, 1]]
    np.testing.assert_array_equal(x.roll(-4, 1).numpy(), np.roll(x.numpy(), -4, 1))
    with pytest.raises(RuntimeError, match="shifts and dimensions must align"):
        x.roll((1, 2), 0)
    y = leaf(3, 4)
    gradients_check(lambda y: y.roll(1) * y.roll((2, -1), (0, 1)), y)


def test_meshgrid_indexing_and_warning() -> None:
    a, b = tg.tensor([1.0, 2.0]), tg.tensor([3.0, 4.0, 5.0])
    with pytest.warns(UserWarning, match="required to pass the indexing argument"):
        rows, cols = tg.meshgrid(a, b)
    assert rows.shape == (2, 3) and cols.tolist()[1] == [3.0, 4.0, 5.0]
    xs, ys = tg.meshgrid([a, b], indexing="xy")
    want = np.meshgrid(a.numpy(), b.numpy(), indexing="xy")
    np.testing.assert_array_equal(xs.numpy(), want[0])
    np.testing.assert_array_equal(ys.numpy(), want[1])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tg.meshgrid(a, b, indexing="ij")
    with pytest.raises(RuntimeError, match="Expected 0D or 1D tensor"):
        tg.meshgrid(tg.zeros(2, 2), indexing="ij")
    u, v = leaf(2), leaf(3)
    gradients_check(
        lambda u, v: tg.meshgrid(u, v, indexing="xy")[0] * tg.meshgrid(u, v, indexing="xy")[1] ** 2,
        u,
        v,
    )


def test_histc_and_histogram() -> None:
    x = tg.tensor([1.0, 2.0, 1.0, 4.0, 9.0])
    assert tg.histc(x, bins=4, min=0, max=4).tolist() == [0.0, 2.0, 1.0, 1.0]  # 9 is out
    assert tg.histc(x, bins=2).tolist() == [4.0, 1.0]  # min = max = 0: the data's range
    hist, edges = tg.histogram(x, bins=2, range=(0.0, 10.0))
    assert hist.tolist() == [4.0, 1.0] and edges.tolist() == [0.0, 5.0, 10.0]
    weighted = tg.histogram(x, tg.tensor([0.0, 2.0, 10.0]), weight=tg.ones(5) * 2)
    assert weighted.hist.tolist() == [4.0, 6.0]
    with pytest.raises(RuntimeError, match="histc"):
        tg.histc(tg.tensor([1, 2]))


def test_cat_and_stack_take_dim() -> None:
    a, b = tg.ones(2, 1), tg.zeros(2, 1)
    assert tg.cat([a, b], dim=1).shape == (2, 2) and tg.stack([a, b], dim=2).shape == (2, 1, 2)
    assert tg.concatenate([a, b], axis=1).shape == (2, 2)
    with pytest.raises(TypeError, match="got both axis=1 and dim=0"):
        tg.cat([a, b], 1, dim=0)


def test_log_of_a_mask_and_division_by_zero_are_silent() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any RuntimeWarning fails the test
        masked = tg.ones(3, 3).tril().log()
        assert masked.numpy()[0, 1] == -np.inf
        for fn in (
            lambda x: x.log(),
            lambda x: 1 / x,
            lambda x: x / x,
            lambda x: x.sqrt(),
            lambda x: x**-0.5,
            lambda x: x.log2(),
            lambda x: x.log10(),
            lambda x: (x - 1).log1p(),
        ):
            x = tg.tensor([0.0, -1.0, 4.0], requires_grad=True)
            fn(x).backward(tg.ones(3))
            assert not np.isfinite(fn(x.detach()).numpy()[:2]).all()
    np.testing.assert_array_equal(np.log(np.array([1.0])), [0.0])  # NumPy itself unchanged
    with pytest.warns(RuntimeWarning):
        np.log(np.zeros(1))


# ---------------------------------------------------------------- 5. Python protocols


def test_index_format_len_and_item() -> None:
    n = tg.tensor(3)
    assert list(range(n)) == [0, 1, 2] and [10, 20, 30, 40][n] == 40
    assert tg.arange(6)[: tg.tensor(2)].tolist() == [0, 1] and [1, 2][tg.tensor([1])] == 2
    with pytest.raises(TypeError, match="only integer tensors of a single element"):
        range(tg.tensor(2.0))
    with pytest.raises(TypeError, match="only integer tensors of a single element"):
        range(tg.tensor([1, 2]))
    assert format(tg.tensor(2.5), "+.2f") == "+2.50" and f"{tg.tensor(0.125):.1%}" == "12.5%"
    assert f"{tg.tensor([1.0, 2.0])}" == str(tg.tensor([1.0, 2.0]))
    with pytest.raises(TypeError, match=r"unsupported format string passed to Tensor\.__format__"):
        format(tg.tensor([2.5]), ".2f")
    with pytest.raises(TypeError, match="len\\(\\) of a 0-d tensor"):
        len(tg.tensor(1.0))


def test_facts_and_new_tensors() -> None:
    x = tg.zeros(2, 3, dtype=tg.float32)
    assert (x.dim(), x.ndimension(), x.numel(), x.element_size()) == (2, 2, 6, 4)
    assert tg.tensor([[1, 2]]).tolist() == [[1, 2]]
    for made in (x.new_zeros(4), x.new_ones((4,)), x.new_empty(4), x.new_full((4,), 2)):
        assert made.shape == (4,) and made.dtype == np.float32 and not made.requires_grad
    assert x.new_tensor([1, 2]).dtype == np.float32
    assert x.new_zeros(2, dtype=np.int64).dtype == np.int64
    assert x.new_ones(2, requires_grad=True).requires_grad


@settings(max_examples=30, deadline=None)
@given(
    st.integers(1, 4).flatmap(
        lambda ndim: st.tuples(
            st.lists(st.integers(1, 4), min_size=ndim, max_size=ndim),
            st.integers(0, ndim - 1),
            st.integers(0, ndim - 1),
        )
    )
)
def test_transpose_is_numpys_swapaxes_for_any_shape(case) -> None:
    shape, a, b = case
    values = RNG.normal(size=shape)
    np.testing.assert_array_equal(
        tg.tensor(values).transpose(a, b).numpy(), np.swapaxes(values, a, b)
    )


def test_item_of_many_elements_is_pytorchs_runtime_error() -> None:
    message = "a Tensor with 6 elements cannot be converted to Scalar"
    with pytest.raises(RuntimeError, match=message):
        tg.zeros(2, 3).item()
    with pytest.raises(RuntimeError, match="a Tensor with 0 elements"):
        tg.zeros(0).item()
    assert tg.tensor([[2.5]]).item() == 2.5


def test_t_transposes_a_matrix_and_keeps_a_vector_as_pytorch() -> None:
    x = leaf(2, 3)
    assert x.t().tolist() == x.transpose(0, 1).tolist() and x.t().shape == (3, 2)
    assert tg.zeros(3).t().shape == (3,) and tg.tensor(2.0).t().shape == ()
    with pytest.raises(RuntimeError, match=r"t\(\) expects a tensor with <= 2 dimensions, but"):
        tg.zeros(2, 3, 4).t()
    gradients_check(lambda a: (a.t() * a.t()).sum(), x)
    assert x.nelement() == x.numel() == 6  # PyTorch's other spelling


# ---------------------------------------------------------------- 6. devices, NumPy, round

DEVICE_IS_A_STRING = isinstance(tg.tensor([1.0]).device, str)  # until tensor.py uses device_of


def test_device_of_an_array_is_a_torch_device() -> None:
    from tinygrad_nn.devices import device_of

    cpu = device_of(np.zeros(2))
    assert (cpu.type, cpu.index, str(cpu), repr(cpu)) == ("cpu", None, "cpu", "device(type='cpu')")
    assert cpu == device("cpu") and cpu == "cpu" and cpu != device("cuda")
    assert {cpu: 1}["cpu"] == 1 and hash(device("cuda", 1)) == hash("cuda:1")
    assert device_of(np.float64(1.0)) == device("cpu")
    assert tg.zeros(1, device=cpu).tolist() == [0.0] and tg.ones(1).to(cpu).tolist() == [1.0]


@pytest.mark.xfail(
    DEVICE_IS_A_STRING, strict=True, reason="Tensor.device should return devices.device_of(...)"
)
def test_tensor_device_is_a_torch_device() -> None:
    x = tg.tensor([1.0, 2.0])
    assert x.device.type == "cpu" and x.device.index is None and str(x.device) == "cpu"
    assert x.device == device("cpu") and repr(x.device) == "device(type='cpu')"
    assert tg.zeros(2, device=x.device).device == x.device and x.to(x.device) is x


def test_numpys_reductions_take_a_tensor() -> None:
    x = leaf(2, 3)
    for fn, method in ((np.sum, "sum"), (np.mean, "mean"), (np.prod, "prod")):
        got = fn(x)
        assert isinstance(got, tg.Tensor) and np.isclose(got.item(), getattr(x.array, method)())
    np.testing.assert_allclose(np.std(x).item(), np.std(x.array))  # NumPy's ddof=0
    np.testing.assert_allclose(np.var(x, axis=0).detach().numpy(), np.var(x.array, axis=0))
    np.testing.assert_allclose(x.std().item(), np.std(x.array, ddof=1))  # PyTorch's default
    assert bool(np.all(tg.tensor([1, 2]))) and not bool(np.any(tg.tensor([0.0, 0.0])))
    assert np.argmax(tg.tensor([1.0, 5.0, 2.0])).item() == 1
    np.sum(x * x).backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * x.array)
    assert x.sum(dtype=np.float32).dtype == np.float32 and tg.tensor([1, 2]).mean(dtype=float)
    with pytest.raises(TypeError, match=r"sum\(\): out= is not supported"):
        x.sum(out=tg.zeros(1))


def test_round_decimals_as_pytorch() -> None:
    from tinygrad_nn.tensor_torch import round_decimals

    x = tg.tensor([0.125, 2.5, -1.555, 1234.5], requires_grad=True)
    assert round_decimals(x, 2).tolist() == [0.12, 2.5, -1.56, 1234.5]
    assert round_decimals(x, -2).tolist() == [0.0, 0.0, -0.0, 1200.0]
    round_decimals(x, 1).sum().backward()
    assert x.grad.tolist() == [0.0] * 4  # a step: gradient 0, as PyTorch's
    with pytest.raises(NotImplementedError, match=r"round\(decimals=1\): not implemented for"):
        round_decimals(tg.tensor([1, 2]), 1)
    with pytest.raises(TypeError, match="doesn't define __round__"):
        round(tg.tensor(1.25), 1)  # PyTorch's Tensor has no __round__ either


@pytest.mark.xfail(
    "decimals" not in tg.Tensor.round.__code__.co_varnames,
    strict=True,
    reason="tensor_math.round should take decimals= (and out=None) via round_decimals",
)
def test_round_method_takes_decimals() -> None:
    x = tg.tensor([1.23456, 2.5])
    assert x.round(decimals=2).tolist() == [1.23, 2.5] == np.round(x, 2).tolist()
    assert isinstance(np.round(x, 2), tg.Tensor) and x.round().tolist() == [1.0, 2.0]


# ---------------------------------------------------------------- 7. torch.save / torch.load


def test_save_and_load_take_binary_file_objects(tmp_path) -> None:
    import io

    model = tg.nn.Linear(2, 3)
    buffer = io.BytesIO()
    tg.save({"model": model.state_dict(), "step": 4}, buffer)
    buffer.seek(0)
    loaded = tg.load(buffer, weights_only=True)
    assert loaded["step"] == 4 and loaded["model"]["weight"].shape == (3, 2)
    with open(tmp_path / "m.pt", "wb") as f:
        tg.save(model.state_dict(), f)
    with open(tmp_path / "m.pt", "rb") as f:
        assert sorted(tg.load(f)) == ["bias", "weight"]
    with open(tmp_path / "m.pt", encoding="latin-1") as f, pytest.raises(ValueError, match="'rb'"):
        tg.load(f)
    with pytest.raises(ValueError, match=r"the file object.*shorter than the 8 bytes"):
        tg.load(io.BytesIO(b"abc"))


def test_a_saved_module_loads_as_its_state_dict_and_says_so(tmp_path) -> None:
    model = tg.nn.Sequential(tg.nn.Linear(2, 3), tg.nn.Tanh())
    tg.save(model, tmp_path / "whole.pt")  # PyTorch would pickle the module
    loaded = tg.load(tmp_path / "whole.pt", weights_only=False)
    assert isinstance(loaded, dict) and sorted(loaded) == ["0.bias", "0.weight"]
    with pytest.raises(AttributeError, match=r"state_dict of a Sequential, not the module \("):
        loaded.eval()
    fresh = tg.nn.Sequential(tg.nn.Linear(2, 3), tg.nn.Tanh())
    fresh.load_state_dict(loaded)
    assert fresh[0].weight.tolist() == model[0].weight.tolist()
    data = (tmp_path / "whole.pt").read_bytes()
    flips = ((b"Sequential", b"Sequentiam"), (b"tinygrad_nn.module", b"tinygrad_nn.modulf"))
    for old, new in flips:
        (tmp_path / "bad.pt").write_bytes(data.replace(old, new))
        with pytest.raises(ValueError, match=r"bad\.pt.* is corrupted: its m"):
            tg.load(tmp_path / "bad.pt")


def test_a_renamed_metadata_entry_is_corruption_not_a_smaller_checkpoint(tmp_path) -> None:
    tg.save({"epoch": 3, "w": np.ones(2)}, tmp_path / "c.pt")
    data = (tmp_path / "c.pt").read_bytes()  # the structure's entry renamed: "epoch" was lost
    (tmp_path / "c.pt").write_bytes(data.replace(b'structure"', b'structurf"'))
    with pytest.raises(ValueError, match="is corrupted: its metadata has unknown entries"):
        tg.load(tmp_path / "c.pt")
