"""What PyTorch's tutorials needed (tests/programs/polynomial_fit.py, char_rnn_classify.py,
seq2seq_attention.py): basic-index views that write back (``t[li][0][k] = 1``,
``confusion[i][j] += 1``), ``torch.Size``, ``nn.LogSoftmax`` and ``nn.Softmax(dim=)``,
``torch.LongTensor`` and the other legacy types, ``torch.bmm`` and ``torch.mm``.

Gradients are checked against central finite differences on hypothesis-drawn inputs; where
PyTorch is installed, values and messages are checked against it too.
"""

from __future__ import annotations

import importlib.util
import re
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_nn as tg
from tinygrad_nn import nn
from tinygrad_nn.tensor_inplace import LEAF_IN_PLACE
from tinygrad_nn.tensor_views import is_basic
from tinygrad_nn.testing import arrays, assert_gradients_match, floats
from tinygrad_nn.torch_names.legacy import BoolTensor, FloatTensor, IntTensor, LongTensor
from tinygrad_nn.torch_names.torch_only import Size

HAS_TORCH = importlib.util.find_spec("torch") is not None
needs_torch = pytest.mark.skipif(not HAS_TORCH, reason="PyTorch is not installed")

# ---------------------------------------------------------------- views that write back


def one_hot_letters(module, line: str, letters: str):
    """The tutorial's lineToTensor, on either library."""
    tensor = module.zeros(len(line), 1, len(letters))
    for li, letter in enumerate(line):
        tensor[li][0][letters.find(letter)] = 1
    return tensor


def test_chained_index_writes_reach_the_base() -> None:
    t = one_hot_letters(tg, "abca", "abc")
    np.testing.assert_array_equal(t.numpy()[:, 0], np.eye(3)[[0, 1, 2, 0]])
    confusion = tg.zeros(3, 3)
    for i, j in [(0, 1), (0, 1), (2, 2), (1, 0)]:
        confusion[i][j] += 1
    assert confusion.tolist() == [[0, 2, 0], [1, 0, 0], [0, 0, 1]]
    for i in range(3):
        confusion[i] = confusion[i] / confusion[i].sum()
    assert confusion.sum(1).tolist() == [1.0, 1.0, 1.0]
    row = confusion[1]  # one view written twice: both writes reach the base
    row[1] = 7.0
    row[2] = 8.0
    assert confusion[1].tolist() == [1.0, 7.0, 8.0] and row.tolist() == [1.0, 7.0, 8.0]
    for r in confusion:  # iteration gives views too
        r[0] = -1.0
    assert confusion[:, 0].tolist() == [-1.0, -1.0, -1.0]
    confusion[0:2][:, 1:].mul_(0)  # slices of slices, an in-place method
    assert confusion[0:2, 1:].tolist() == [[0.0, 0.0], [0.0, 0.0]]


def test_only_basic_indices_are_views() -> None:
    assert is_basic(0) and is_basic((slice(None), 1, None, Ellipsis)) and is_basic(np.int64(2))
    assert not is_basic(True) and not is_basic(np.array([0])) and not is_basic((0, [1]))
    x = tg.zeros(3, 2)
    x[[0, 1]][0] = 5.0  # an integer-array index copies, in PyTorch too
    x[x.sum(1) == 0][0] = 5.0  # so does a mask
    assert x.sum().item() == 0.0


def test_parameters_are_edited_through_views_without_grad() -> None:
    emb = nn.Embedding(4, 3)
    with tg.no_grad():
        emb.weight[0].fill_(0.0)  # the usual padding-row initialisation
    emb.weight.data[1].zero_()  # through .data, the older spelling
    emb.weight[3].data[1:] = 0.0  # a view's alias: the storage, no graph, as PyTorch's
    emb.weight.data[2][0] = 0.0  # an alias's view
    emb.weight[2].detach()[1] = 0.0  # detach() is such an alias too
    assert emb.weight[3, 1:].tolist() == [0.0, 0.0] and emb.weight[2, :2].tolist() == [0, 0]
    assert emb.weight[:2].abs().sum().item() == 0.0 and emb.weight.requires_grad
    assert emb.weight.is_leaf
    with pytest.raises(RuntimeError, match=re.escape(LEAF_IN_PLACE)):
        emb.weight[2][0] = 1.0  # recording: a leaf's view refuses, as PyTorch's


def test_a_view_whose_base_moved_on_keeps_its_values() -> None:
    """Copy-on-write's limit (tinygrad_nn.tensor_views): once the base is changed in
    place, an older view no longer shares it, and writing to it leaves the base alone."""
    x = tg.zeros(2, 2)
    row = x[0]
    x.add_(1.0)
    row[0] = 5.0
    assert x.tolist() == [[1.0, 1.0], [1.0, 1.0]] and row.tolist() == [5.0, 0.0]


@settings(max_examples=25, deadline=None)
@given(
    st.integers(2, 4).flatmap(
        lambda n: st.tuples(arrays((n, 3), floats()), arrays((3,), floats()), st.integers(0, n - 1))
    )
)
def test_a_recorded_write_through_a_view_matches_finite_differences(case) -> None:
    x, v, i = case

    def f(x, v):
        y = x * 1.5
        row = y[i]  # a view of a recorded tensor
        row[1:] = v[1:] * 3.0  # recorded on the view, then written back into y
        row[0] += v[0]
        return y * y

    expected = 1.5 * x
    expected[i, 1:] = 3.0 * v[1:]
    expected[i, 0] += v[0]
    np.testing.assert_allclose(f(tg.tensor(x), tg.tensor(v)).numpy(), expected**2)
    assert_gradients_match(f, [x, v])


@needs_torch
def test_views_write_back_as_pytorchs() -> None:
    import torch

    ours, theirs = one_hot_letters(tg, "hello", "ehlo"), one_hot_letters(torch, "hello", "ehlo")
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    x = np.arange(12.0).reshape(3, 4)
    results = []
    for module in (tg, torch):
        t = module.tensor(x)
        t[1][2] += 10
        t[0][1:3] = module.tensor([-1.0, -2.0])
        t[2][:][0] *= 3
        results.append(t.numpy())
    np.testing.assert_array_equal(*results)


# ---------------------------------------------------------------- torch.Size


def test_size_is_a_tuple_as_pytorchs() -> None:
    s = Size([5, 1, 57])
    assert repr(s) == "torch.Size([5, 1, 57])" and s == (5, 1, 57) == tg.zeros(5, 1, 57).size()
    assert isinstance(s, tuple) and s.numel() == 285 and Size().numel() == 1
    assert repr(s[1:]) == "torch.Size([1, 57])" and s[0] == 5 and repr(s + (2,)).endswith("2])")  # noqa: RUF005
    assert Size(np.array([2, 3])) == (2, 3) and tg.zeros(*Size([2, 3])).shape == (2, 3)
    with pytest.raises(TypeError, match=r"torch\.Size\(\) takes an iterable of 'int' \(item 1"):
        Size([2, 3.5])
    with tg.install_as_torch():
        import torch

        assert torch.Size is Size


@needs_torch
def test_size_prints_as_pytorchs() -> None:
    import torch

    assert repr(Size([2, 3])) == repr(torch.Size([2, 3]))
    assert repr(Size([2, 3])[1:]) == repr(torch.Size([2, 3])[1:])
    assert Size([4, 5]).numel() == torch.Size([4, 5]).numel()


# ---------------------------------------------------------------- LogSoftmax, Softmax(dim=)


def test_log_softmax_module() -> None:
    x = tg.tensor([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]])
    layer = nn.LogSoftmax(dim=1)
    assert repr(layer) == "LogSoftmax(dim=1)" and not list(layer.parameters())
    np.testing.assert_allclose(layer(x).exp().sum(1).numpy(), [1.0, 1.0])
    np.testing.assert_array_equal(layer(x).numpy(), nn.functional.log_softmax(x, 1).numpy())
    with pytest.warns(UserWarning, match="Implicit dimension choice for log_softmax"):
        implicit = nn.LogSoftmax()(x)  # 2-D: PyTorch's implicit choice is dim 1
    np.testing.assert_array_equal(implicit.numpy(), layer(x).numpy())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cube = tg.zeros(2, 3, 4)  # 3-D: dim 0
        assert nn.LogSoftmax()(cube).exp().sum(0).tolist() == np.ones((3, 4)).tolist()


@settings(max_examples=25, deadline=None)
@given(arrays((3, 4), floats()), st.sampled_from([0, 1, -1]))
def test_log_softmax_module_gradients_match_finite_differences(x, dim) -> None:
    assert_gradients_match(lambda t: nn.LogSoftmax(dim=dim)(t), [x])


def test_softmax_takes_pytorchs_dim() -> None:
    x = tg.tensor([[1.0, 2.0], [3.0, 5.0]])
    assert repr(nn.Softmax(dim=0)) == "Softmax(dim=0)" and nn.Softmax(dim=0).dim == 0
    assert repr(nn.Softmax(axis=0)) == "Softmax(axis=0)"  # the older spelling still prints so
    np.testing.assert_array_equal(nn.Softmax(dim=0)(x).numpy(), x.softmax(0).numpy())
    np.testing.assert_array_equal(nn.Softmax(1)(x).numpy(), x.softmax(1).numpy())
    with pytest.raises(TypeError, match=r"Softmax: dim=0 and axis=1 name different axes"):
        nn.Softmax(dim=0, axis=1)


@needs_torch
def test_log_softmax_and_softmax_agree_with_pytorch() -> None:
    import torch

    x = np.random.default_rng(0).normal(size=(3, 5))
    for dim in (0, 1):
        theirs = torch.nn.LogSoftmax(dim=dim)(torch.tensor(x)).numpy()
        np.testing.assert_allclose(nn.LogSoftmax(dim=dim)(tg.tensor(x)).numpy(), theirs, 1e-12)
        theirs = torch.nn.Softmax(dim=dim)(torch.tensor(x)).numpy()
        np.testing.assert_allclose(nn.Softmax(dim=dim)(tg.tensor(x)).numpy(), theirs, 1e-12)
    assert repr(nn.LogSoftmax(dim=1)) == repr(torch.nn.LogSoftmax(dim=1))
    assert repr(nn.Softmax(dim=1)) == repr(torch.nn.Softmax(dim=1))


# ---------------------------------------------------------------- legacy tensor types


def test_legacy_types_make_tensors_of_their_dtype() -> None:
    ids = np.array([[3, 1], [2, 1]], dtype=np.int32)  # the seq2seq tutorial's index arrays
    made = LongTensor(ids)
    assert made.dtype == np.int64 and made.tolist() == ids.tolist()
    assert LongTensor([1.7, -2.7]).tolist() == [1, -2]  # truncated toward zero
    assert FloatTensor([1]).dtype == np.float32 and BoolTensor([1, 0]).tolist() == [True, False]
    assert LongTensor((2, 3)).tolist() == [2, 3]  # a tuple is data
    assert LongTensor(2, 3).shape == (2, 3) == LongTensor(Size([2, 3])).shape  # sizes
    assert LongTensor(4).shape == (4,) and LongTensor().shape == (0,)
    assert isinstance(made, LongTensor) and not isinstance(made, FloatTensor)
    assert not isinstance(ids, LongTensor) and repr(LongTensor) == "<class 'torch.LongTensor'>"
    assert tg.tensor([1.5, 2.5]).type(LongTensor).tolist() == [1, 2]
    same = tg.tensor([1, 2])
    assert LongTensor(same).tolist() == [1, 2]
    with pytest.raises(TypeError, match=r"torch\.IntTensor\(\): expected a tensor of dtype int32"):
        IntTensor(same)
    with pytest.raises(TypeError, match=r"torch\.LongTensor\(\): takes sizes \(ints\) or one"):
        LongTensor(2, "a")
    with pytest.raises(TypeError, match=r"data must be a sequence \(got float\)"):
        LongTensor(2.5)
    with tg.install_as_torch():
        import torch

        assert torch.LongTensor is LongTensor and torch.BoolTensor is BoolTensor


@needs_torch
def test_legacy_types_agree_with_pytorch() -> None:
    import torch

    for data in (np.array([[3, 1]], dtype=np.int32), [1.7, -2.7], (2, 3), [True, False]):
        for name in ("LongTensor", "FloatTensor", "DoubleTensor", "IntTensor", "BoolTensor"):
            ours, theirs = globals_of(name)(data), getattr(torch, name)(data)
            assert str(ours.dtype) == str(theirs.dtype).removeprefix("torch."), name
            np.testing.assert_array_equal(ours.numpy(), theirs.numpy(), err_msg=name)
    assert tuple(LongTensor(2, 3).shape) == tuple(torch.LongTensor(2, 3).shape)
    assert isinstance(torch.tensor([1]), torch.LongTensor) == isinstance(tg.tensor([1]), LongTensor)


def globals_of(name: str):
    from tinygrad_nn.torch_names import legacy

    return getattr(legacy, name)


# ---------------------------------------------------------------- bmm, mm


@settings(max_examples=25, deadline=None)
@given(
    st.tuples(st.integers(1, 3), st.integers(1, 3), st.integers(1, 3), st.integers(1, 3)).flatmap(
        lambda s: st.tuples(
            arrays((s[0], s[1], s[2]), floats()), arrays((s[0], s[2], s[3]), floats())
        )
    )
)
def test_bmm_gradients_match_finite_differences(pair) -> None:
    a, b = pair
    assert_gradients_match(lambda x, y: x.bmm(y), [a, b])
    assert_gradients_match(lambda x, y: tg.Tensor.mm(x[0], y[0]), [a, b])


def test_bmm_and_mm_refuse_as_pytorch() -> None:
    with pytest.raises(RuntimeError, match=r"^batch1 must be a 3D tensor$"):
        tg.zeros(2, 3).bmm(tg.zeros(2, 3, 4))
    with pytest.raises(RuntimeError, match=r"^batch2 must be a 3D tensor$"):
        tg.zeros(2, 3, 4).bmm(tg.zeros(4, 5))
    with pytest.raises(
        RuntimeError,
        match=re.escape(
            "Expected size for first two dimensions of batch2 tensor to be: [2, 4] but got: [3, 4]."
        ),
    ):
        tg.zeros(2, 3, 4).bmm(tg.zeros(3, 4, 5))
    with pytest.raises(RuntimeError, match=r"^self must be a matrix$"):
        tg.zeros(2, 3, 4).mm(tg.zeros(4, 5))
    with pytest.raises(RuntimeError, match=re.escape("shapes cannot be multiplied (2x3 and 4x5)")):
        tg.zeros(2, 3).mm(tg.zeros(4, 5))
    with pytest.raises(RuntimeError, match=r"^mat2 must be a matrix$"):
        tg.zeros(2, 3).mm(tg.zeros(3))
    with tg.install_as_torch():
        import torch

        assert torch.bmm is tg.Tensor.bmm and torch.mm is tg.Tensor.mm


@needs_torch
def test_bmm_and_mm_agree_with_pytorch() -> None:
    import torch

    rng = np.random.default_rng(1)
    a, b = rng.normal(size=(2, 3, 4)), rng.normal(size=(2, 4, 5))
    theirs = torch.bmm(torch.tensor(a), torch.tensor(b)).numpy()
    np.testing.assert_allclose(tg.tensor(a).bmm(tg.tensor(b)).numpy(), theirs, rtol=1e-12)
    theirs = torch.mm(torch.tensor(a[0]), torch.tensor(b[0])).numpy()
    np.testing.assert_allclose(tg.Tensor.mm(tg.tensor(a[0]), tg.tensor(b[0])).numpy(), theirs)
    for shapes in [((2, 3), (2, 3, 4)), ((2, 3, 4), (4, 5)), ((2, 3, 4), (3, 4, 5))]:
        with pytest.raises(RuntimeError) as theirs_error:
            torch.bmm(torch.zeros(shapes[0]), torch.zeros(shapes[1]))
        with pytest.raises(RuntimeError) as ours_error:
            tg.zeros(*shapes[0]).bmm(tg.zeros(*shapes[1]))
        assert str(ours_error.value) == str(theirs_error.value)


# ---------------------------------------------------------------- printed modules


def recurrent_layers(module) -> list:
    return [
        module.nn.RNN(57, 32),
        module.nn.GRU(16, 16, batch_first=True),
        module.nn.LSTM(3, 4, 2, bias=False, dropout=0.5, bidirectional=True),
        module.nn.LogSoftmax(dim=1),
    ]


def test_recurrent_layers_print_as_pytorchs() -> None:
    assert [repr(layer) for layer in recurrent_layers(tg)] == [
        "RNN(57, 32)",
        "GRU(16, 16, batch_first=True)",
        "LSTM(3, 4, num_layers=2, bias=False, dropout=0.5, bidirectional=True)",
        "LogSoftmax(dim=1)",
    ]


@needs_torch
def test_recurrent_layers_print_the_same_in_pytorch() -> None:
    import torch

    ours, theirs = recurrent_layers(tg), recurrent_layers(torch)
    assert [repr(m) for m in ours] == [repr(m) for m in theirs]
