"""save/load: safetensors files, exact round trips, atomic writes, every bad file refused."""

from __future__ import annotations

import json
import struct

import numpy as np
import pytest

import tinygrad_nn as tg
from tinygrad_nn import nn


def test_save_load_round_trip_is_exact(tmp_path) -> None:
    model = nn.Sequential(nn.Linear(3, 4), nn.Sigmoid(), nn.Linear(4, 1, dtype=np.float32))
    path = tmp_path / "model.ckpt"  # any name: nothing is appended
    tg.save(model, path)
    assert path.exists()
    state = tg.load(path)
    assert sorted(state) == sorted(["0.weight", "0.bias", "2.weight", "2.bias"])
    other = nn.Sequential(nn.Linear(3, 4), nn.Sigmoid(), nn.Linear(4, 1, dtype=np.float32))
    other.load_state_dict(state)
    for (_, p), (_, q) in zip(model.named_parameters(), other.named_parameters()):
        np.testing.assert_array_equal(p.data, q.data)
        assert p.dtype == q.dtype


def test_any_key_dtype_and_shape_round_trips(tmp_path) -> None:
    state = {
        "allow_pickle": np.array([3]),  # once a format name of .npz: just a key now
        "w": np.array([1.0, 2.0]),
        "w.npy": np.float32(2.5),  # 0-d
        "empty": np.zeros((0, 3)),
        "mask": np.array([True, False]),
        "small": np.arange(4, dtype=np.int8).reshape(2, 2),
        "ünïcode key": np.ones(1, dtype=np.float16),
    }
    tg.save(state, tmp_path / "w.safetensors")
    loaded = tg.load(tmp_path / "w.safetensors")
    assert loaded.keys() == state.keys()
    for key, value in state.items():
        value = np.asarray(value)
        assert loaded[key].dtype == value.dtype and loaded[key].shape == value.shape, key
        np.testing.assert_array_equal(loaded[key], value)
        assert loaded[key].flags.writeable


def test_a_failed_save_keeps_the_last_good_checkpoint(tmp_path) -> None:
    path = tmp_path / "model.safetensors"
    tg.save({"w": [1.0, 2.0]}, path)
    before = path.read_bytes()
    with pytest.raises(TypeError, match=r"obj\['file'\]\[0\] is a builtins.object"):
        tg.save({"file": [object()]}, path)  # (a list of strings is stored, as by PyTorch)
    with pytest.raises(ValueError, match="invalid key"):
        tg.save({"__metadata__": np.ones(1)}, path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["model.safetensors"]  # no leftovers


def checkpoint_bytes(tmp_path) -> bytes:
    path = tmp_path / "model.safetensors"
    tg.save(nn.Sequential(nn.Linear(3, 2), nn.Tanh(), nn.Linear(2, 1)), path)
    return path.read_bytes()


def test_every_flipped_bit_is_caught(tmp_path) -> None:
    good = checkpoint_bytes(tmp_path)
    path = tmp_path / "flipped.safetensors"
    rng = np.random.default_rng(0)
    positions = list(range(0, min(len(good), 700))) + list(rng.integers(0, len(good), 300))
    for index in positions:
        bit = int(rng.integers(0, 8))
        flipped = bytearray(good)
        flipped[index] ^= 1 << bit
        path.write_bytes(bytes(flipped))
        with pytest.raises(ValueError, match=r"flipped\.safetensors"):
            tg.load(path)


def test_truncated_files_are_caught(tmp_path) -> None:
    good = checkpoint_bytes(tmp_path)
    path = tmp_path / "cut.safetensors"
    for length in range(0, len(good), 11):
        path.write_bytes(good[:length])
        with pytest.raises(ValueError, match=r"cut\.safetensors"):
            tg.load(path)


def test_a_crafted_header_is_refused_without_allocating(tmp_path) -> None:
    path = tmp_path / "crafted.safetensors"
    header = {"w": {"dtype": "F64", "shape": [2**40], "data_offsets": [0, 8 * 2**40]}}
    text = json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(text)) + text + bytes(8))
    with pytest.raises(ValueError, match="not a valid safetensors file"):
        tg.load(path)
    path.write_bytes(struct.pack("<Q", 2**62) + b"{}")
    with pytest.raises(ValueError, match="not a valid safetensors file"):
        tg.load(path)


def test_files_that_are_not_checkpoints_give_clear_errors(tmp_path) -> None:
    garbage = tmp_path / "garbage.safetensors"
    garbage.write_bytes(b"definitely not a checkpoint")
    with pytest.raises(ValueError, match="not a valid safetensors file"):
        tg.load(garbage)

    from safetensors.numpy import save_file

    foreign = tmp_path / "foreign.safetensors"
    save_file({"a": np.ones(2)}, foreign)
    with pytest.raises(ValueError, match="not a tinygrad_nn checkpoint"):
        tg.load(foreign)

    npz = tmp_path / "old.npz"
    np.savez(npz, a=np.ones(2))
    with pytest.raises(ValueError, match=r"old\.npz"):
        tg.load(npz)

    with pytest.raises(FileNotFoundError):
        tg.load(tmp_path / "missing.safetensors")


def test_a_checkpoint_with_a_tensor_removed_or_added_is_refused(tmp_path) -> None:
    from safetensors.numpy import load, save

    path = tmp_path / "model.safetensors"
    tg.save({"w": np.ones(2), "b": np.zeros(1)}, path)
    with open(path, "rb") as file:
        data = file.read()
    size = int.from_bytes(data[:8], "little")
    metadata = json.loads(data[8 : 8 + size])["__metadata__"]
    tensors = load(data)
    for changed in ({"w": tensors["w"]}, {**tensors, "extra": np.ones(1)}):
        path.write_bytes(save(changed, metadata=metadata))
        with pytest.raises(ValueError, match="do not match its checksums"):
            tg.load(path)


def test_a_failed_load_leaves_the_model_unchanged(tmp_path) -> None:
    model = nn.Linear(2, 2)
    before = {k: v.copy() for k, v in model.state_dict().items()}
    path = tmp_path / "bad.safetensors"
    path.write_bytes(b"\x00" * 40)
    with pytest.raises(ValueError):
        model.load_state_dict(tg.load(path))
    tg.save({"weight": np.ones((3, 3)), "bias": np.ones(2)}, path)  # wrong shape
    with pytest.raises(ValueError, match="weight"):
        model.load_state_dict(tg.load(path))
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(value, before[key])


def test_pytorch_reads_the_checkpoint(tmp_path) -> None:
    torch = pytest.importorskip("torch")
    from safetensors.torch import load_file

    model = nn.Linear(3, 2)
    tg.save(model, tmp_path / "linear.safetensors")
    loaded = load_file(tmp_path / "linear.safetensors")
    assert torch.equal(loaded["weight"], torch.from_numpy(model.weight.detach().numpy()))
