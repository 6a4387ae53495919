"""Fuzzing checkpoints, load_state_dict, DataLoader and optimizers with drawn inputs: any array
round-trips exactly, any bad file is a ValueError naming it, never another exception."""

from __future__ import annotations

import json
import struct
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tinygrad_nn as tg
from tinygrad_nn import nn, optim
from tinygrad_nn.data import DataLoader, TensorDataset
from tinygrad_nn.serialization import FORMAT_VERSION

STORED = ["bool", "int8", "uint8", "int16", "uint16", "int32", "uint32", "int64", "uint64"]
STORED += ["float16", "float32", "float64"]


@st.composite
def arrays_of_any_layout(draw: st.DrawFn) -> np.ndarray:
    dtype = np.dtype(draw(st.sampled_from(STORED))).newbyteorder(draw(st.sampled_from("<>=")))
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=4))
    array = draw(hnp.arrays(dtype, shape))
    layout = draw(st.sampled_from(["C", "F", "strided"]))
    if layout == "F":
        return np.asfortranarray(array)
    if layout == "strided" and array.ndim:
        return np.repeat(array, 2, axis=-1)[..., ::2]  # a view with a step
    return array


@settings(max_examples=50, deadline=None)
@given(arrays=st.lists(arrays_of_any_layout(), min_size=1, max_size=3))
def test_every_array_round_trips_exactly(tmp_path_factory, arrays) -> None:
    path = tmp_path_factory.mktemp("fuzz") / "any.safetensors"
    state = {f"t{i}": a for i, a in enumerate(arrays)}
    tg.save(state, path)
    loaded = tg.load(path)
    for key, array in state.items():
        assert loaded[key].dtype == array.dtype.newbyteorder("<")
        assert loaded[key].shape == array.shape
        np.testing.assert_array_equal(loaded[key], array)  # NaN equal to NaN


def must_be_refused(path) -> None:
    with pytest.raises(ValueError, match=rf"^load: '{path}'"):
        tg.load(path)


@settings(max_examples=50, deadline=None)
@given(data=st.binary(max_size=200))
def test_random_bytes_are_value_errors_naming_the_file(tmp_path_factory, data) -> None:
    path = tmp_path_factory.mktemp("fuzz") / "random.safetensors"
    path.write_bytes(data)
    must_be_refused(path)


SCALARS = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=6)


def containers(inner: st.SearchStrategy) -> st.SearchStrategy:
    return st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)


JSON = st.recursive(SCALARS, containers, max_leaves=12)


@settings(max_examples=50, deadline=None)
@given(
    header=JSON,
    tail=st.binary(max_size=24),
    length=st.none() | st.integers(0, 2**64 - 1),
)
def test_random_headers_are_value_errors_naming_the_file(
    tmp_path_factory, header, tail, length
) -> None:
    path = tmp_path_factory.mktemp("fuzz") / "header.safetensors"
    text = json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(text) if length is None else length) + text + tail)
    must_be_refused(path)


NASTY_JSON = st.one_of(
    JSON.map(json.dumps),
    st.integers(1, 30_000).map(lambda depth: "[" * depth + "]" * depth),
    st.integers(21, 6000).map(lambda digits: '{"w": ' + "7" * digits + "}"),
    st.text(max_size=4).map(lambda key: f"{{{json.dumps(key)}: 1, {json.dumps(key)}: 2}}"),
    st.text(max_size=20),
)


@settings(max_examples=50, deadline=None)
@given(checksums=NASTY_JSON)
def test_random_checksum_entries_are_value_errors_naming_the_file(
    tmp_path_factory, checksums
) -> None:
    path = tmp_path_factory.mktemp("fuzz") / "sums.safetensors"
    header = {
        "__metadata__": {"tinygrad_nn": str(FORMAT_VERSION), "tinygrad_nn.sha256": checksums},
        "w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
    }
    text = json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(text)) + text + bytes(8))
    must_be_refused(path)


FIELD_VALUES = st.one_of(
    st.integers(-(2**70), 2**70),
    st.text(max_size=4),
    st.lists(st.integers(-3, 2**65), max_size=3),
    st.sampled_from(["F64", "F32", "I8", "BOOL", "C64", "BF16", "F8_E4M3", "X"]),
    st.none(),
)


@settings(max_examples=50, deadline=None)
@given(
    field=st.sampled_from(["dtype", "shape", "data_offsets"]),
    value=FIELD_VALUES,
    drop=st.integers(0, 16),
)
def test_a_checkpoint_with_a_changed_header_field_is_refused(
    tmp_path_factory, field, value, drop
) -> None:
    path = tmp_path_factory.mktemp("fuzz") / "changed.safetensors"
    tg.save({"w": np.arange(4.0).reshape(2, 2), "b": np.ones(2, np.float32)}, path)
    data = path.read_bytes()
    size = int.from_bytes(data[:8], "little")
    header = json.loads(data[8 : 8 + size])
    if header["w"].get(field) == value:
        return  # the drawn value is the one already there
    header["w"][field] = value
    text = json.dumps(header).encode()
    body = data[8 + size :]
    path.write_bytes(struct.pack("<Q", len(text)) + text + body[: len(body) - drop])
    must_be_refused(path)


# ---------------------------------------------------------------- load_state_dict


@settings(max_examples=50, deadline=None)
@given(
    keep=st.lists(st.booleans(), min_size=4, max_size=4),
    extra=st.lists(st.sampled_from(["x", "0.weight.extra", "9.bias"]), unique=True),
)
def test_load_state_dict_names_what_did_not_match(keep, extra) -> None:
    model = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1))
    full = model.state_dict()
    state = {k: np.zeros_like(v) for (k, v), kept in zip(full.items(), keep) if kept}
    state.update({key: np.ones(1) for key in extra})
    result = model.load_state_dict(state, strict=False)
    assert result.missing_keys == [k for k, kept in zip(full, keep) if not kept]
    assert result.unexpected_keys == extra
    for key, value in model.state_dict().items():  # what matched was loaded, the rest kept
        np.testing.assert_array_equal(value, 0.0 if key in state else full[key])
    if result.missing_keys or result.unexpected_keys:
        with pytest.raises(KeyError, match="missing keys"):
            model.load_state_dict(state)


# ---------------------------------------------------------------- DataLoader and optimizers


@settings(max_examples=50, deadline=None)
@given(
    batch_size=st.one_of(
        st.booleans(),
        st.integers(max_value=0),
        st.floats(allow_nan=True),
        st.text(max_size=3),  # (None is valid: no batching, as PyTorch)
        st.builds(np.int64, st.integers(1, 5)),
    )
)
def test_a_batch_size_that_is_not_a_positive_int_is_refused(batch_size) -> None:
    with pytest.raises(ValueError, match=r"^batch_size should be a positive integer value"):
        DataLoader(TensorDataset(np.zeros((3, 2))), batch_size=batch_size)


@settings(max_examples=50, deadline=None)
@given(order=st.lists(st.integers(0, 2), min_size=1, max_size=8), lr=st.floats(0.01, 1.0))
def test_each_parameter_is_stepped_once_however_often_it_is_listed(order, lr) -> None:
    weights = [nn.Parameter([float(i + 1)]) for i in range(3)]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        opt = optim.SGD([weights[i] for i in order], lr=lr)
    warned = [str(w.message).startswith("optimizer contains a parameter group with duplicate")
              for w in caught]  # fmt: skip
    assert warned == ([True] if len(set(order)) < len(order) else [])
    assert opt.params == [weights[i] for i in dict.fromkeys(order)]  # first places, in order
    sum((w * w).sum() for w in weights).backward()
    opt.step()
    for i, w in enumerate(weights):  # dL/dw = 2w
        expected = (i + 1) * (1 - 2 * lr) if i in order else i + 1
        np.testing.assert_allclose(w.data, [expected])
