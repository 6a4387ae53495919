"""nn.Linear's weight is (out_features, in_features) and computes x @ W.T + b, as PyTorch's
(issue 25); checkpoints and state dicts in the old (in, out) layout are refused, never
loaded transposed, with the way to convert them."""

import json
import math

import numpy as np
import pytest

import tinygrad_nn as tg
from tinygrad_nn import nn
from tinygrad_nn.nn import functional as F


def test_linear_weight_is_out_by_in_and_computes_x_times_w_transposed() -> None:
    layer = nn.Linear(3, 4, rng=0)
    assert layer.weight.shape == (4, 3) and layer.bias is not None and layer.bias.shape == (4,)
    w, b = layer.weight.detach().numpy(), layer.bias.detach().numpy()
    x = np.random.default_rng(1).normal(size=(5, 3))
    np.testing.assert_allclose(
        layer(tg.tensor(x)).detach().numpy(), x @ w.T + b, rtol=0, atol=1e-15
    )
    batched = np.random.default_rng(2).normal(size=(2, 5, 3))  # (*, in_features)
    np.testing.assert_allclose(
        layer(tg.tensor(batched)).detach().numpy(), batched @ w.T + b, atol=1e-15
    )
    assert [p.shape for p in nn.Sequential(nn.Linear(3, 4), nn.Linear(4, 1)).parameters()] == [
        (4, 3), (4,), (1, 4), (1,)
    ]  # fmt: skip


def test_default_initialisation_is_pytorch_kaiming_uniform_sqrt5_on_out_in() -> None:
    """kaiming_uniform_(a=sqrt(5)) on (out, in) is U(+-1/sqrt(in)); the bias is drawn after
    the weight from the same generator, U(+-1/sqrt(in)). The weight is drawn as (in, out)
    and transposed, so a seed gives the same layer, the same function, as before the
    layout change: the seeded values are exactly these NumPy draws."""
    layer = nn.Linear(16, 5, rng=7)
    rng = np.random.default_rng(7)
    before = rng.uniform(-1 / 4, 1 / 4, size=(16, 5))  # what Linear(16, 5, rng=7) held before
    bias = rng.uniform(-1 / 4, 1 / 4, size=(5,))
    np.testing.assert_array_equal(layer.weight.detach().numpy(), before.T)
    np.testing.assert_array_equal(layer.bias.detach().numpy(), bias)  # type: ignore[union-attr]
    assert layer.weight.detach().numpy().flags.c_contiguous
    x = np.random.default_rng(0).normal(size=(3, 16))
    np.testing.assert_allclose(layer(tg.tensor(x)).detach().numpy(), x @ before + bias, atol=1e-15)
    gain = math.sqrt(2 / (1 + 5))  # leaky_relu's gain with slope sqrt(5)
    assert math.isclose(gain * math.sqrt(3 / 16), 1 / 4)
    seeded = nn.Linear(3, 4, bias=False, init=nn.init.uniform(0, 1), rng=np.random.default_rng(7))
    np.testing.assert_array_equal(
        seeded.weight.detach().numpy(), np.random.default_rng(7).random((3, 4)).T
    )


def test_weight_tying_with_an_embedding_shares_one_parameter_and_sums_its_gradient() -> None:
    tg.manual_seed(0)
    wte = nn.Embedding(10, 6)
    lm_head = nn.Linear(6, 10, bias=False)
    lm_head.weight = wte.weight  # the GPT habit: (num_embeddings, dim) is (out, in)
    idx = np.array([[1, 4, 4], [9, 0, 2]])
    logits = lm_head(wte(tg.tensor(idx)))
    table = wte.weight.detach().numpy()
    np.testing.assert_allclose(logits.detach().numpy(), table[idx] @ table.T, atol=1e-15)
    logits.sum().backward()
    # d/dE sum(E[idx] @ E.T) = (row counts of idx) * column sums ... written out in NumPy:
    grad = np.zeros_like(table)
    np.add.at(grad, idx.ravel(), np.tile(table.sum(axis=0), (idx.size, 1)))
    grad += np.tile(table[idx].reshape(-1, 6).sum(axis=0), (10, 1))
    np.testing.assert_allclose(wte.weight.grad.numpy(), grad, atol=1e-12)  # type: ignore[union-attr]
    model = nn.Sequential(wte, lm_head)
    assert len(list(model.parameters())) == 1


def test_weight_column_j_is_what_input_feature_j_feeds_to_every_output() -> None:
    layer = nn.Linear(3, 2, rng=0)
    x = np.array([[1.0, 2.0, 3.0]])
    moved = x + np.array([[0.0, 0.5, 0.0]])  # only feature 1 changes
    change = layer(tg.tensor(moved)).detach().numpy() - layer(tg.tensor(x)).detach().numpy()
    np.testing.assert_allclose(change[0], 0.5 * layer.weight[:, 1].detach().numpy(), atol=1e-15)
    assert layer.weight[0].shape == (3,)  # row 0: output 0's coefficients


def test_functional_linear_matches_numpy_and_its_gradients_match_finite_differences() -> None:
    rng = np.random.default_rng(3)
    x, w, b = rng.normal(size=(2, 4, 3)), rng.normal(size=(5, 3)), rng.normal(size=5)
    np.testing.assert_allclose(
        F.linear(tg.tensor(x), tg.tensor(w)).detach().numpy(), x @ w.T, atol=1e-14
    )
    inputs = [tg.tensor(v, requires_grad=True) for v in (x, w, b)]
    assert tg.gradcheck(F.linear, inputs)
    assert tg.gradcheck(lambda x, w: F.linear(x, w), inputs[:2])


def test_an_input_of_the_wrong_width_is_pytorchs_error_naming_the_layout() -> None:
    layer = nn.Linear(3, 4)
    with pytest.raises(
        RuntimeError, match=r"mat1 and mat2 shapes cannot be multiplied \(2x4 and 3x4\)"
    ):
        layer(tg.ones(2, 4))
    with pytest.raises(RuntimeError, match=r"\(out_features, in_features\).*\(8, 16, 11\)"):
        nn.Linear(16, 16)(tg.ones(8, 16, 11))


def seed_like_model() -> nn.Sequential:
    return nn.Sequential(nn.Linear(3, 4), nn.Sigmoid(), nn.Linear(4, 1, bias=False))


def test_a_state_dict_with_a_transposed_linear_weight_is_refused_naming_the_layout() -> None:
    model = seed_like_model()
    before = {k: v.copy() for k, v in model.state_dict().items()}
    old = dict(before, **{"0.weight": before["0.weight"].T})  # the old (in, out) layout
    with pytest.raises(
        ValueError, match=r"'0.weight' has shape \(3, 4\).*\(4, 3\).*transpose"
    ) as info:
        model.load_state_dict(old)
    message = str(info.value)
    assert "(out_features, in_features)" in message and "transpose_linear_weights" in message
    for key, value in model.state_dict().items():  # nothing changed
        np.testing.assert_array_equal(value, before[key])
    with pytest.raises(ValueError) as other:  # some other shape: no word about layouts
        model.load_state_dict(dict(before, **{"0.weight": np.zeros((2, 2))}))
    assert "transpose" not in str(other.value)


def test_transpose_linear_weights_converts_an_old_state_dict_once() -> None:
    model = seed_like_model()
    rng = np.random.default_rng(0)
    w1, b1, w2 = rng.normal(size=(3, 4)), rng.normal(size=4), rng.normal(size=(4, 1))
    old = {"0.weight": w1, "0.bias": b1, "2.weight": w2}  # as tinygrad_nn saved it before
    new = nn.utils.transpose_linear_weights(old, model)
    assert old["0.weight"] is w1 and new["0.weight"].shape == (4, 3)  # a copy
    model.load_state_dict(new)
    x = rng.normal(size=(5, 3))
    hand = (1 / (1 + np.exp(-(x @ w1 + b1)))) @ w2  # what the old model computed
    np.testing.assert_allclose(model(tg.tensor(x)).detach().numpy(), hand, atol=1e-14)
    with pytest.raises(ValueError, match="already converted"):
        nn.utils.transpose_linear_weights(new, model)


def write_format_2(path, state: dict) -> None:
    """A checkpoint as tinygrad_nn wrote it before Linear's layout changed."""
    import safetensors.numpy

    from tinygrad_nn.serialization import _digest

    sums = json.dumps({k: _digest(v) for k, v in state.items()})
    metadata = {"tinygrad_nn": "2", "tinygrad_nn.sha256": sums}
    path.write_bytes(safetensors.numpy.save(state, metadata=metadata))


def test_a_format_2_checkpoint_is_refused_with_how_to_convert_it(tmp_path) -> None:
    pytest.importorskip("safetensors")
    rng = np.random.default_rng(1)
    w1, b1, w2 = rng.normal(size=(3, 4)), rng.normal(size=4), rng.normal(size=(4, 1))
    path = tmp_path / "old.safetensors"
    write_format_2(path, {"0.weight": w1, "0.bias": b1, "2.weight": w2})
    with pytest.raises(
        ValueError, match=r"format-2 checkpoint.*\(in_features, out_features\)"
    ) as info:
        tg.load(path)
    assert "transpose_linear_weights" in str(info.value)
    # the advice, followed as written
    import safetensors.numpy

    model = seed_like_model()
    state = safetensors.numpy.load_file(path)
    model.load_state_dict(nn.utils.transpose_linear_weights(state, model))
    tg.save(model, path)
    loaded = tg.load(path)
    np.testing.assert_array_equal(loaded["0.weight"], w1.T)
    x = rng.normal(size=(2, 3))
    hand = (1 / (1 + np.exp(-(x @ w1 + b1)))) @ w2
    np.testing.assert_allclose(model(tg.tensor(x)).detach().numpy(), hand, atol=1e-14)


def test_save_marks_the_new_layout_in_the_metadata(tmp_path) -> None:
    pytest.importorskip("safetensors")
    path = tmp_path / "new.safetensors"
    tg.save(nn.Linear(2, 3), path)
    header = json.loads(path.read_bytes()[8 : 8 + int.from_bytes(path.read_bytes()[:8], "little")])
    assert header["__metadata__"]["tinygrad_nn"] == "3"
    assert header["weight"]["shape"] == [3, 2]
