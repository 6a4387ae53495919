"""Hardening of checkpoints, load_state_dict, DataLoader and optimizers (issue 23).

Each test is a case that once went wrong: a checkpoint saved that could not be read back,
a read-only file replaced, a header that crashed the reader, PyTorch's answers that we
did not give. tests/test_fuzz_io.py draws the bad inputs at random.
"""

from __future__ import annotations

import json
import os
import stat
import struct
import warnings

import numpy as np
import pytest

import tinygrad_nn as tg
from tinygrad_nn import nn, optim
from tinygrad_nn.data import DataLoader, TensorDataset
from tinygrad_nn.files import write_atomic
from tinygrad_nn.serialization import FORMAT_VERSION

# ---------------------------------------------------------------- 1. any array layout


@pytest.mark.parametrize(
    "array",
    [
        np.asfortranarray(np.arange(6.0).reshape(2, 3)),
        np.arange(12.0).reshape(3, 4)[:, ::2],  # a strided view
        np.arange(3, dtype=">f8"),
        np.asfortranarray(np.arange(6, dtype=">i4").reshape(3, 2)),
        np.array(2.5, dtype=">f4"),  # 0-d
        np.zeros((0, 3), dtype=">u2", order="F"),  # size 0
    ],
    ids=["fortran", "strided", "big-endian", "fortran-big-endian", "0-d", "size-0"],
)
def test_any_layout_and_byte_order_round_trips_exactly(tmp_path, array) -> None:
    path = tmp_path / "w.safetensors"
    tg.save({"w": array}, path)
    loaded = tg.load(path)["w"]
    assert loaded.shape == array.shape
    assert loaded.dtype == array.dtype.newbyteorder("<")  # the same type, stored little-endian
    np.testing.assert_array_equal(loaded, array)


def test_the_file_holds_c_ordered_little_endian_bytes(tmp_path) -> None:
    # what any other safetensors reader (PyTorch's) sees: the raw bytes in C order
    from safetensors.numpy import load_file

    array = np.asfortranarray(np.arange(6, dtype=">f4").reshape(2, 3))
    tg.save({"w": array}, tmp_path / "w.safetensors")
    np.testing.assert_array_equal(load_file(tmp_path / "w.safetensors")["w"], array)


def test_a_dtype_safetensors_cannot_store_is_refused_naming_the_key(tmp_path) -> None:
    path = tmp_path / "w.safetensors"
    with pytest.raises(TypeError, match=r"save: the value of 'w' has dtype float128"):
        tg.save({"w": np.ones(2, dtype=np.longdouble)}, path)
    assert not path.exists()


# ---------------------------------------------------------------- 2. read-only targets


def test_a_read_only_checkpoint_is_not_replaced(tmp_path) -> None:
    # also as root, who may open any file for writing: a file without write bits was made
    # read-only on purpose, and the rename would replace it whatever its bits say
    path = tmp_path / "model.safetensors"
    tg.save({"w": [1.0]}, path)
    before = path.read_bytes()
    path.chmod(0o444)
    with pytest.raises(PermissionError, match=r"model\.safetensors") as caught:
        tg.save({"w": [2.0]}, path)
    assert caught.value.filename == str(path)
    assert path.read_bytes() == before and stat.S_IMODE(path.stat().st_mode) == 0o444
    assert [p.name for p in tmp_path.iterdir()] == ["model.safetensors"]  # no leftovers


def test_a_file_this_process_may_not_write_is_not_replaced(tmp_path, monkeypatch) -> None:
    # someone else's 0644 file: os.access says no (as open() would); simulated, as the
    # test may run as root
    path = tmp_path / "theirs.txt"
    path.write_text("theirs")
    real_access = os.access
    monkeypatch.setattr(
        os, "access", lambda p, mode, **kw: False if mode == os.W_OK else real_access(p, mode)
    )
    with pytest.raises(PermissionError, match=r"theirs\.txt"):
        write_atomic(path, "mine")
    assert path.read_text() == "theirs"


def test_a_writable_file_is_still_replaced_keeping_its_mode(tmp_path) -> None:
    path = tmp_path / "note.txt"
    path.write_text("old")
    path.chmod(0o600)
    write_atomic(path, "new")
    assert path.read_text() == "new" and stat.S_IMODE(path.stat().st_mode) == 0o600


# ---------------------------------------------------------------- 3. headers


def write_raw(path, header: bytes, data: bytes = b"", size: int | None = None) -> None:
    length = len(header) if size is None else size
    path.write_bytes(struct.pack("<Q", length) + header + data)


def metadata_with(checksums_text: str) -> bytes:
    header = {
        "__metadata__": {"tinygrad_nn": str(FORMAT_VERSION), "tinygrad_nn.sha256": checksums_text},
        "w": {"dtype": "F64", "shape": [1], "data_offsets": [0, 8]},
    }
    return json.dumps(header).encode()


@pytest.mark.parametrize(
    ("header", "words"),
    [
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
        (metadata_with("[" * 100_000 + "]" * 100_000), "nested too deeply"),
        (b'{"a": ' + b"1" * 5000 + b"}", "5000 digits"),
        (metadata_with('{"w": ' + "1" * 5000 + "}"), "5000 digits"),
        (b'{"__metadata__": {"tinygrad_nn": "2"}, "__metadata__": {}}', "duplicate key"),
        (metadata_with('{"w": "a", "w": "b"}'), "duplicate key"),
        (
            b'{"w": {"dtype": "F64", "shape": [1], "data_offsets": [0, 8]},'
            b' "w": {"dtype": "F64", "shape": [1], "data_offsets": [0, 8]}}',
            "duplicate key",
        ),
        ('{"w": "\u00e9"}'.encode("utf-16"), "not UTF-8"),
    ],
    ids=["deep", "deep-checksums", "digits", "digits-checksums", "dup-meta", "dup-sums",
         "dup-tensor", "utf16"],
)  # fmt: skip
def test_bad_headers_are_value_errors_naming_the_file(tmp_path, header, words) -> None:
    path = tmp_path / "crafted.safetensors"
    write_raw(path, header, bytes(8))
    with pytest.raises(ValueError, match=rf"load: '.*crafted\.safetensors'.*{words}"):
        tg.load(path)


def test_a_header_length_beyond_the_file_or_the_limit_is_refused_before_reading(tmp_path) -> None:
    path = tmp_path / "long.safetensors"
    write_raw(path, b"{}", size=1000)
    with pytest.raises(ValueError, match=r"long\.safetensors.*header of 1000 bytes.*10 bytes"):
        tg.load(path)
    write_raw(path, b"{}", size=100_000_001)
    with pytest.raises(ValueError, match=r"long\.safetensors.*limit"):
        tg.load(path)
    path.write_bytes(b"\x02\x00\x00")
    with pytest.raises(ValueError, match=r"long\.safetensors.*shorter than"):
        tg.load(path)


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
def test_an_endless_device_is_refused_before_reading() -> None:
    with pytest.raises(
        ValueError,
        match=r"load: '/dev/zero' is not a valid safetensors file \(it is not a regular file\)",
    ):
        tg.load("/dev/zero")


# ---------------------------------------------------------------- 4. load_state_dict's answer


def test_load_state_dict_returns_the_incompatible_keys() -> None:
    model = nn.Sequential(nn.Linear(2, 3), nn.Sigmoid(), nn.Linear(3, 1))
    state = model.state_dict()
    result = model.load_state_dict(state)
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert repr(result) == str(result) == "<All keys matched successfully>"
    del state["2.bias"]
    state["extra"] = np.ones(1)
    result = model.load_state_dict(state, strict=False)
    missing, unexpected = result  # a NamedTuple, as PyTorch's
    assert (missing, unexpected) == (["2.bias"], ["extra"])
    assert result._fields == ("missing_keys", "unexpected_keys")
    assert repr(result) == "_IncompatibleKeys(missing_keys=['2.bias'], unexpected_keys=['extra'])"


# ---------------------------------------------------------------- 5. DataLoader arguments


def test_an_empty_dataset_cannot_be_shuffled() -> None:
    empty = TensorDataset(np.zeros((0, 2)))
    with pytest.raises(
        ValueError, match=r"^num_samples should be a positive integer value, but got num_samples=0$"
    ):
        DataLoader(empty, shuffle=True)
    assert list(DataLoader(empty)) == []  # in order: no batches, as PyTorch


# (batch_size=None is valid: it turns batching off, as PyTorch; see test_torch_data_optim)
@pytest.mark.parametrize("batch_size", [True, False, 0, -1, 2.0, np.int64(2)])
def test_batch_size_must_be_a_positive_int(batch_size) -> None:
    expected = f"batch_size should be a positive integer value, but got batch_size={batch_size}"
    with pytest.raises(ValueError, match=f"^{expected}$"):
        DataLoader(TensorDataset(np.zeros((3, 2))), batch_size=batch_size)


# ---------------------------------------------------------------- 6. duplicate parameters


def test_a_parameter_twice_in_one_group_warns_and_is_stepped_once() -> None:
    w = nn.Parameter([1.0])
    with pytest.warns(UserWarning, match="duplicate parameters; in future, this will cause"):
        opt = optim.SGD([w, w], lr=0.1)
    (w * w).sum().backward()  # dL/dw = 2
    opt.step()
    np.testing.assert_allclose(w.data, [0.8])  # one step, not two (0.6)
    assert len(opt.param_groups[0]["params"]) == 1


def test_a_parameter_in_two_groups_is_still_refused() -> None:
    w = nn.Parameter([1.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match="some parameters appear in more than one"):
            optim.SGD([{"params": [w]}, {"params": [w]}], lr=0.1)


# ---------------------------------------------------------------- 7. float32 stays float32

NUMPY_SETTINGS = {  # NumPy scalars, as np.linspace sweeps and np.float64 configs give
    "SGD": dict(lr=0.1, momentum=0.9, dampening=0.1, weight_decay=0.1),
    "Adam": dict(lr=0.01, weight_decay=0.1, amsgrad=True, eps=1e-8),
    "AdamW": dict(lr=0.01, weight_decay=0.1, eps=1e-8),
    "RMSprop": dict(lr=0.01, alpha=0.9, momentum=0.9, centered=True, weight_decay=0.1),
    "Adagrad": dict(lr=0.1, lr_decay=0.1, weight_decay=0.1, initial_accumulator_value=0.1),
    "Adadelta": dict(lr=0.5, rho=0.8, eps=1e-6, weight_decay=0.1),
}


@pytest.mark.parametrize("compiled", [False, True], ids=["eager", "compiled"])
@pytest.mark.parametrize("name", sorted(NUMPY_SETTINGS))
def test_a_float32_model_keeps_float32_parameters_and_state(name, compiled) -> None:
    # (LBFGS steps with a closure and cannot be compiled: test_torch_data_optim checks it)
    every = {n for n in optim.__all__ if n not in ("Optimizer", "lr_scheduler", "LBFGS")}
    assert set(NUMPY_SETTINGS) == every
    model = nn.Linear(2, 3).to(tg.float32)
    settings = {key: np.float64(value) for key, value in NUMPY_SETTINGS[name].items()}
    opt = getattr(optim, name)(model.parameters(), **settings)
    x = tg.Tensor(np.ones((4, 2), dtype=np.float32))

    def step(x: tg.Tensor) -> tg.Tensor:
        opt.zero_grad()
        loss = model(x).sum()
        loss.backward()
        opt.step()
        return loss

    training_step = tg.compile(step) if compiled else step
    for _ in range(3):
        training_step(x)
    for p in model.parameters():
        assert p.dtype == np.float32
        arrays = {k: v.dtype for k, v in opt.state[p].items() if hasattr(v, "dtype")}
        assert arrays and set(arrays.values()) == {np.dtype(np.float32)}, arrays


def test_state_follows_a_model_converted_to_float32() -> None:
    model = nn.Linear(2, 1)
    opt = optim.Adam(model.parameters(), lr=0.01)
    model(tg.Tensor(np.ones((1, 2)))).sum().backward()
    opt.step()
    model.to(tg.float32)
    opt.zero_grad()
    model(tg.Tensor(np.ones((1, 2), dtype=np.float32))).sum().backward()
    opt.step()
    for p in model.parameters():
        assert {v.dtype for v in opt.state[p].values() if hasattr(v, "dtype")} == {
            np.dtype(np.float32)
        }
