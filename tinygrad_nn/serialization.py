"""Checkpoints as safetensors files: no pickle, a validated header, any key, a checksum.

``tg.save`` writes a module's ``state_dict()`` (or any ``{name: array}``) in the
`safetensors <https://huggingface.co/docs/safetensors>`_ format that PyTorch and the model
hubs use: a JSON header listing each tensor's dtype, shape and byte range, then the raw
bytes. Loading never runs code, and a PyTorch user can open the file with
``safetensors.torch.load_file``.

safetensors itself has no checksum of the data, so the header's metadata also holds the
SHA-256 of every tensor, checked on load: a flipped bit anywhere is caught. Every bad
file — truncated, flipped, a crafted header, a missing or extra tensor — is a
``ValueError`` that names the file and the problem, found after reading no more than the
file's first 8 bytes say. A file is written beside its target and renamed into place, so
a failed save never destroys the last good one; a read-only file is never replaced.

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
import stat
from collections import Counter
from collections.abc import Mapping
from typing import Any

import numpy as np

from tinygrad_nn.dtypes import as_array
from tinygrad_nn.files import PathLike, write_atomic
from tinygrad_nn.namespace.array_api import is_array, to_numpy
from tinygrad_nn.nn.module import Module

FORMAT = "tinygrad_nn"  # the metadata entry that marks our checkpoints, with the version
FORMAT_VERSION = 3  # 1 was an .npz archive; 2 stored nn.Linear weights (in, out)
CHECKSUMS = "tinygrad_nn.sha256"  # metadata entry: JSON {tensor name: SHA-256 of its bytes}
RESERVED = "__metadata__"  # the one name safetensors keeps for itself
MAX_HEADER = 100_000_000  # bytes: safetensors' own limit on the JSON header
# the NumPy dtypes safetensors stores (it has no float128; complex is not tensor data here)
STORABLE = {"bool", "float16", "float32", "float64"} | {
    f"{sign}int{bits}" for sign in ("", "u") for bits in (8, 16, 32, 64)
}


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


def _storable(key: str, value: Any) -> np.ndarray:
    """``value`` as safetensors stores it: C-ordered little-endian bytes of a dtype it knows.

    safetensors writes an array's memory as it lies, so a Fortran-ordered array would be
    read back (by any reader) scrambled, and a big-endian one would not match its checksum.
    """
    try:
        array = as_array(to_numpy(value) if is_array(value) else value)
    except TypeError as error:
        raise TypeError(f"save: the value of {key!r} is not numeric data: {error}") from None
    if array.dtype.name not in STORABLE:
        raise TypeError(
            f"save: the value of {key!r} has dtype {array.dtype.name}, which safetensors "
            f"cannot store (it stores {', '.join(sorted(STORABLE))})"
        )
    return array.astype(array.dtype.newbyteorder("<"), order="C", copy=False)


def save(obj: Module | Mapping[str, Any], path: PathLike) -> None:
    """Write a module's ``state_dict()`` (or a state dict) to ``path``, exactly that name.

    Every value is converted first (to C-ordered little-endian arrays, whatever their
    layout); only then is the file written (beside ``path``, then renamed into place), so
    an error leaves any existing file untouched. A ``path`` that is read-only (no write
    permission bit, or not writable by this process) raises ``PermissionError`` naming it,
    as ``open(path, "wb")`` would — even for root, who could open it: the file was
    protected on purpose.

    Examples:
        >>> import tempfile, os
        >>> save({"w": [1.0, 2.0]}, os.path.join(tempfile.mkdtemp(), "w.safetensors"))
    """
    state = obj.state_dict() if isinstance(obj, Module) else dict(obj)
    arrays: dict[str, np.ndarray] = {}
    for key, value in state.items():
        if not isinstance(key, str) or key == RESERVED:
            raise ValueError(f"save: invalid key {key!r} (keys are strings, not {RESERVED!r})")
        arrays[key] = _storable(key, value)
    metadata = {
        FORMAT: str(FORMAT_VERSION),
        CHECKSUMS: json.dumps({key: _digest(array) for key, array in arrays.items()}),
    }
    data = _safetensors().numpy.save(arrays, metadata=metadata)
    write_atomic(path, data)


class _BadFile(ValueError):
    """Why a file is not a valid safetensors file (load adds the file's name)."""


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object, refusing a key given twice (json keeps the last one silently; the
    safetensors format forbids duplicates, and two readers could pick different ones)."""
    result = dict(pairs)
    if len(result) != len(pairs):
        counts = Counter(key for key, _ in pairs)
        twice = next(key for key, count in counts.items() if count > 1)
        raise _BadFile(f"duplicate key {twice!r} in the header")
    return result


def _integer(text: str) -> int:
    """A JSON integer of at most 20 digits (a size or offset is a 64-bit unsigned number):
    Python's int() refuses 4300 digits and more, with an error that names no file."""
    if len(text.lstrip("-")) > 20:
        raise _BadFile(f"a number in the header has {len(text)} digits, too many for a size")
    return int(text)


def _parse_json(text: bytes | str) -> Any:
    """Strict JSON: UTF-8, no duplicate keys; nesting and huge numbers are _BadFile errors."""
    try:
        if isinstance(text, bytes):
            text = text.decode("utf-8")
        return json.loads(text, object_pairs_hook=_no_duplicates, parse_int=_integer)
    except UnicodeDecodeError:
        raise _BadFile("the header is not UTF-8 text") from None
    except RecursionError:
        raise _BadFile("the header's JSON is nested too deeply") from None
    except json.JSONDecodeError as error:
        raise _BadFile(f"the header is not JSON ({error})") from None


def _read(path: PathLike) -> tuple[bytes, Any]:
    """The file's bytes and its parsed header, reading no more than the first 8 bytes allow:
    the header's length is checked against the file's size and ``MAX_HEADER`` first, then
    exactly the file's bytes are read. A device such as /dev/zero (endless, size 0) is
    refused before any read."""
    with open(path, "rb") as file:
        facts = os.fstat(file.fileno())
        if not stat.S_ISREG(facts.st_mode):  # a device or pipe: no size to check against
            raise _BadFile("it is not a regular file")
        size = facts.st_size
        prefix = file.read(8)
        if len(prefix) < 8:
            raise _BadFile("the file is shorter than the 8 bytes that give the header's length")
        length = int.from_bytes(prefix, "little")
        if length > MAX_HEADER:
            raise _BadFile(f"it gives a header of {length} bytes, over the limit of {MAX_HEADER}")
        if 8 + length > size:
            raise _BadFile(f"it gives a header of {length} bytes, but the file has {size} bytes")
        header = file.read(length)
        rest = file.read(size - 8 - length)
        if len(header) + len(rest) != size - 8:
            raise _BadFile(f"the file changed size while it was read ({size} bytes before)")
    return prefix + header + rest, _parse_json(header)


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
    safetensors = _safetensors()
    try:
        data, header = _read(path)
        metadata = header.get(RESERVED) if isinstance(header, dict) else None
        state = safetensors.numpy.load(data)  # checks the header's types and byte ranges
    except OSError:  # no such file, no permission...: as open() says
        raise
    except Exception as error:  # ours, or safetensors' own error class
        raise ValueError(f"load: {name} is not a valid safetensors file ({error})") from None
    if not isinstance(metadata, dict) or FORMAT not in metadata:
        raise ValueError(f"load: {name} is a safetensors file but not a tinygrad_nn checkpoint")
    if metadata[FORMAT] == "2":  # never loaded transposed: the user converts it, once
        raise ValueError(
            f"load: {name} is a format-2 checkpoint, which stores nn.Linear weights as "
            f"(in_features, out_features); since format {FORMAT_VERSION} nn.Linear's weight "
            f"is (out_features, in_features), as PyTorch's. Convert the file once: "
            f"state = safetensors.numpy.load_file(path); "
            f"model.load_state_dict(nn.utils.transpose_linear_weights(state, model)); "
            f"tg.save(model, path) (a file with no Linear weights: tg.save(state, path))"
        )
    if metadata[FORMAT] != str(FORMAT_VERSION):
        raise ValueError(
            f"load: {name} says checkpoint format {metadata[FORMAT]!r}; this tinygrad_nn "
            f"reads format {FORMAT_VERSION}"
        )
    try:
        checksums = _parse_json(metadata.get(CHECKSUMS, ""))
    except _BadFile as error:
        raise ValueError(
            f"load: {name} is corrupted: its checksums are unreadable ({error})"
        ) from None
    if not isinstance(checksums, dict) or set(checksums) != set(state):
        raise ValueError(f"load: {name} is corrupted: its tensors do not match its checksums")
    for key, array in state.items():
        if checksums[key] != _digest(array):
            raise ValueError(f"load: {name} is corrupted: tensor {key!r} fails its checksum")
    return {key: np.array(array) for key, array in state.items()}  # writable copies
