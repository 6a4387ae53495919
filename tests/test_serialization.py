"""save/load: exact round trips, and clear errors for anything that is not a checkpoint."""

import zipfile

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
    assert list(state) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    other = nn.Sequential(nn.Linear(3, 4), nn.Sigmoid(), nn.Linear(4, 1, dtype=np.float32))
    other.load_state_dict(state)
    for (_, p), (_, q) in zip(model.named_parameters(), other.named_parameters()):
        np.testing.assert_array_equal(p.data, q.data)
        assert p.dtype == q.dtype


def test_a_state_dict_can_be_saved_too(tmp_path) -> None:
    tg.save({"w": [1.0, 2.0]}, tmp_path / "w.npz")
    np.testing.assert_array_equal(tg.load(tmp_path / "w.npz")["w"], [1.0, 2.0])


def test_files_that_are_not_checkpoints_give_clear_errors(tmp_path) -> None:
    garbage = tmp_path / "garbage.npz"
    garbage.write_bytes(b"definitely not a zip file")
    with pytest.raises(ValueError, match="not a tinygrad_nn checkpoint"):
        tg.load(garbage)

    single = tmp_path / "single.npy"
    np.save(single, np.ones(3))
    with pytest.raises(ValueError, match="single array"):
        tg.load(single)

    foreign = tmp_path / "foreign.npz"
    np.savez(foreign, a=np.ones(2))
    with pytest.raises(ValueError, match="not a tinygrad_nn checkpoint"):
        tg.load(foreign)

    with pytest.raises(FileNotFoundError):
        tg.load(tmp_path / "missing.npz")


def test_a_truncated_checkpoint_gives_a_clear_error(tmp_path) -> None:
    path = tmp_path / "model.npz"
    tg.save(nn.Linear(50, 50), path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match=r"tinygrad_nn checkpoint|truncated"):
        tg.load(path)


def test_pickled_objects_are_never_loaded(tmp_path) -> None:
    path = tmp_path / "evil.npz"
    with zipfile.ZipFile(path, "w") as archive:  # a marker, then an object array (a pickle)
        with archive.open("__tinygrad_nn_checkpoint__.npy", "w") as f:
            np.save(f, np.array(1))
        with archive.open("w.npy", "w") as f:
            np.save(f, np.array([{"x": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(ValueError, match=r"corrupted|pickle"):
        tg.load(path)
