"""Checkpoints as safetensors files: no pickle, a validated header, any key, a checksum.

``tg.save`` writes a module's ``state_dict()`` (or any ``{name: array}``) in the
`safetensors <https://huggingface.co/docs/safetensors>`_ format that PyTorch and the model
hubs use: a JSON header listing each tensor's dtype, shape and byte range, then the raw
bytes. Loading never runs code, and a PyTorch user can open the file with
``safetensors.torch.load_file``.

safetensors itself has no checksum of the data, so the header's metadata also holds the
SHA-256 of every tensor, checked on load: a flipped bit anywhere is caught. Every bad
file — truncated, flipped, a crafted header, a missing or extra tensor — is a
``ValueError`` that names the file and the problem. A file is written beside its
target and renamed into place, so a failed save never destroys the last good one.

Examples:
    >>> import os, tempfile
    >>> import tinygrad_nn as tg
    >>> from tinygrad_nn import nn
    >>> model = nn.Linear(2, 3)
    >>> path = os.path.join(tempfile.mkdtemp(), "linear.safetensors")
    >>> tg.save(model, path)
    >>> sorted(tg.load(path))
    ['bias', 'weight']
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from typing import Any

import numpy as np

from tinygrad_nn.dtypes import as_array
from tinygrad_nn.files import PathLike, write_atomic
from tinygrad_nn.namespace.array_api import is_array, to_numpy
from tinygrad_nn.nn.module import Module

FORMAT = "tinygrad_nn"  # the metadata entry that marks our checkpoints, with the version
FORMAT_VERSION = 2  # 1 was an .npz archive
CHECKSUMS = "tinygrad_nn.sha256"  # metadata entry: JSON {tensor name: SHA-256 of its bytes}
RESERVED = "__metadata__"  # the one name safetensors keeps for itself


def _safetensors() -> Any:
    try:
        import safetensors.numpy
    except ImportError:
        raise ImportError(
            "checkpoints need the safetensors package: pip install safetensors"
        ) from None
    return safetensors


def _digest(array: np.ndarray) -> str:
    """SHA-256 of a tensor's dtype, shape and bytes (an empty tensor still has a shape)."""
    facts = f"{array.dtype.str} {array.shape} ".encode()
    return hashlib.sha256(facts + np.ascontiguousarray(array).tobytes()).hexdigest()


def save(obj: Module | Mapping[str, Any], path: PathLike) -> None:
    """Write a module's ``state_dict()`` (or a state dict) to ``path``, exactly that name.

    Every value is converted first; only then is the file written (beside ``path``, then
    renamed into place), so an error leaves any existing file untouched.

    Examples:
        >>> import tempfile, os
        >>> save({"w": [1.0, 2.0]}, os.path.join(tempfile.mkdtemp(), "w.safetensors"))
    """
    state = obj.state_dict() if isinstance(obj, Module) else dict(obj)
    arrays: dict[str, np.ndarray] = {}
    for key, value in state.items():
        if not isinstance(key, str) or key == RESERVED:
            raise ValueError(f"save: invalid key {key!r} (keys are strings, not {RESERVED!r})")
        try:
            # a C-ordered NumPy copy, 0-d arrays included, from any array library
            arrays[key] = as_array(to_numpy(value) if is_array(value) else value)
        except TypeError as error:
            raise TypeError(f"save: the value of {key!r} is not numeric data: {error}") from None
    metadata = {
        FORMAT: str(FORMAT_VERSION),
        CHECKSUMS: json.dumps({key: _digest(array) for key, array in arrays.items()}),
    }
    data = _safetensors().numpy.save(arrays, metadata=metadata)
    write_atomic(path, data)


def load(path: PathLike) -> dict[str, np.ndarray]:
    """Read a checkpoint written by :func:`save`; returns the state dict.

    Raises ``FileNotFoundError`` when there is no file and ``ValueError``, naming the file
    and the problem, for anything that is not an intact tinygrad_nn checkpoint.

    Examples:
        >>> import os, tempfile
        >>> path = os.path.join(tempfile.mkdtemp(), "w.safetensors")
        >>> save({"w": [1.0, 2.0]}, path)
        >>> load(path)["w"]
        array([1., 2.])
    """
    name = repr(os.fspath(path))
    with open(path, "rb") as file:
        data = file.read()
    safetensors = _safetensors()
    try:
        header_size = int.from_bytes(data[:8], "little")
        header = json.loads(data[8 : 8 + header_size]) if len(data) >= 8 else None
        metadata = header.get(RESERVED) if isinstance(header, dict) else None
        state = safetensors.numpy.load(data)
    except Exception as error:  # safetensors' own error class, JSON, overflow...
        raise ValueError(f"load: {name} is not a valid safetensors file ({error})") from None
    if not isinstance(metadata, dict) or FORMAT not in metadata:
        raise ValueError(f"load: {name} is a safetensors file but not a tinygrad_nn checkpoint")
    if metadata[FORMAT] != str(FORMAT_VERSION):
        raise ValueError(
            f"load: {name} says checkpoint format {metadata[FORMAT]!r}; this tinygrad_nn "
            f"reads format {FORMAT_VERSION}"
        )
    try:
        checksums = json.loads(metadata.get(CHECKSUMS, ""))
    except json.JSONDecodeError:
        checksums = None
    if not isinstance(checksums, dict) or set(checksums) != set(state):
        raise ValueError(f"load: {name} is corrupted: its tensors do not match its checksums")
    for key, array in state.items():
        if checksums[key] != _digest(array):
            raise ValueError(f"load: {name} is corrupted: tensor {key!r} fails its checksum")
    return {key: np.array(array) for key, array in state.items()}  # writable copies
