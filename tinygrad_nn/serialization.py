"""Checkpoints as safetensors files: no pickle, a validated header, any key, a checksum.

``tg.save`` writes a module's ``state_dict()`` (or any ``{name: array}``) in the
`safetensors <https://huggingface.co/docs/safetensors>`_ format that PyTorch and the model
hubs use: a JSON header listing each tensor's dtype, shape and byte range, then the raw
bytes. Loading never runs code, and a PyTorch user can open the file with
``safetensors.torch.load_file``.

It also saves what a PyTorch program gives ``torch.save``: a dict with the epoch, the
model's and the optimizer's state dicts, the loss, a list of losses, a config of strings...
— the tensors in safetensors, the structure around them as JSON in the header
(:mod:`tinygrad_nn.serialization_structure`), so still without pickle. ``tg.load`` gives
the same structure back (tensors as Tensors, arrays as arrays); ``weights_only``,
``map_location`` and ``torch.serialization.safe_globals`` are accepted as PyTorch's
(nothing is unpickled, so there are no globals to allow). An object that needs pickle (a
module, a function, an instance of a class) is refused with a ``TypeError`` naming where
it is (``obj['extra']['fn']``).

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
    >>> opt = tg.optim.Adam(model.parameters())
    >>> tg.save({"epoch": 3, "model": model.state_dict(), "opt": opt.state_dict()}, path)
    >>> tg.load(path, weights_only=True)["epoch"]
    3
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import numpy as np

from tinygrad_nn.dtypes import as_array
from tinygrad_nn.files import PathLike, write_atomic
from tinygrad_nn.namespace.array_api import is_array, to_numpy
from tinygrad_nn.nn.module import Module
from tinygrad_nn.serialization_structure import BadStructure, ModuleState, decode, encode
from tinygrad_nn.tensor import Tensor

FORMAT = "tinygrad_nn"  # the metadata entry that marks our checkpoints, with the version
FORMAT_VERSION = 3  # 1 was an .npz archive; 2 stored nn.Linear weights (in, out)
CHECKSUMS = "tinygrad_nn.sha256"  # metadata entry: JSON {tensor name: SHA-256 of its bytes}
STRUCTURE = "tinygrad_nn.structure"  # metadata entry: the JSON tree around the tensors
STRUCTURE_CHECKSUM = "tinygrad_nn.structure.sha256"
MODULE = "tinygrad_nn.module"  # metadata entry: the class of the module whose state it is
MODULE_CHECKSUM = "tinygrad_nn.module.sha256"
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


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _digest(array: np.ndarray) -> str:
    """SHA-256 of a tensor's dtype, shape and bytes (an empty tensor still has a shape)."""
    facts = f"{array.dtype.str} {array.shape} ".encode()
    return hashlib.sha256(facts + np.ascontiguousarray(array).tobytes()).hexdigest()


def _storable(where: str, value: Any) -> np.ndarray:
    """``value`` as safetensors stores it: C-ordered little-endian bytes of a dtype it knows.

    safetensors writes an array's memory as it lies, so a Fortran-ordered array would be
    read back (by any reader) scrambled, and a big-endian one would not match its checksum.
    """
    try:
        data = value.array if isinstance(value, Tensor) else value
        array = as_array(to_numpy(data) if is_array(data) else data)
    except TypeError as error:
        raise TypeError(f"save: the value of {where} is not numeric data: {error}") from None
    if array.dtype.name not in STORABLE:
        raise TypeError(
            f"save: the value of {where} has dtype {array.dtype.name}, which safetensors "
            f"cannot store (it stores {', '.join(sorted(STORABLE))})"
        )
    return array.astype(array.dtype.newbyteorder("<"), order="C", copy=False)


def _flat(state: Any) -> bool:
    """A state dict of arrays by name (what ``Module.state_dict()`` gives): stored with its
    own names and loaded back as that dict, as before there was a structure."""
    return isinstance(state, Mapping) and all(
        isinstance(key, str) and (isinstance(value, np.ndarray | np.generic) or is_array(value))
        for key, value in state.items()
    )


def save(
    obj: Any, f: PathLike | Any, pickle_module: Any = None, pickle_protocol: int = 2, **_: Any
) -> None:
    """Write ``obj`` to ``f`` (a path, exactly that name, or a binary file object such as
    ``io.BytesIO``): a module's ``state_dict()`` (:func:`load` gives that dict back, not
    the module PyTorch pickles), a state dict, or any structure of dicts, lists, tuples,
    str, numbers, None and tensors (``pickle_module``/``pickle_protocol`` are accepted, as
    PyTorch's, and unused).

    Every value is converted first (to C-ordered little-endian arrays, whatever their
    layout); only then is the file written (beside ``path``, then renamed into place), so
    an error leaves any existing file untouched. A ``path`` that is read-only (no write
    permission bit, or not writable by this process) raises ``PermissionError`` naming it,
    as ``open(path, "wb")`` would — even for root, who could open it: the file was
    protected on purpose.

    Examples:
        >>> import tempfile, os
        >>> save({"w": np.array([1.0, 2.0])}, os.path.join(tempfile.mkdtemp(), "w.safetensors"))
    """
    state = obj.state_dict() if isinstance(obj, Module) else obj
    metadata = {FORMAT: str(FORMAT_VERSION)}
    if isinstance(obj, Module):
        metadata[MODULE] = type(obj).__name__
        metadata[MODULE_CHECKSUM] = _sha256(metadata[MODULE])
    if _flat(state):
        arrays: dict[str, np.ndarray] = {}
        for key, value in state.items():
            if key == RESERVED:
                raise ValueError(f"save: invalid key {key!r} (keys are strings, not {RESERVED!r})")
            arrays[key] = _storable(repr(key), value)
    else:
        tree, arrays = encode(state, _storable)
        structure = json.dumps(tree, separators=(",", ":"))
        metadata[STRUCTURE] = structure
        metadata[STRUCTURE_CHECKSUM] = hashlib.sha256(structure.encode()).hexdigest()
    metadata[CHECKSUMS] = json.dumps({key: _digest(array) for key, array in arrays.items()})
    data = _safetensors().numpy.save(arrays, metadata=metadata)
    if hasattr(f, "write"):  # an open file or io.BytesIO, as torch.save takes
        f.write(data)
    else:
        write_atomic(f, data)


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


def _header_length(prefix: bytes, size: int) -> int:
    """The header's length that the first 8 bytes give, checked against the file's size."""
    if len(prefix) < 8:
        raise _BadFile("the file is shorter than the 8 bytes that give the header's length")
    length = int.from_bytes(prefix, "little")
    if length > MAX_HEADER:
        raise _BadFile(f"it gives a header of {length} bytes, over the limit of {MAX_HEADER}")
    if 8 + length > size:
        raise _BadFile(f"it gives a header of {length} bytes, but the file has {size} bytes")
    return length


def _read(path: Any) -> tuple[bytes, Any]:
    """The file's bytes and its parsed header, reading no more than the first 8 bytes allow:
    the header's length is checked against the file's size and ``MAX_HEADER`` first, then
    exactly the file's bytes are read. A device such as /dev/zero (endless, size 0) is
    refused before any read."""
    if hasattr(path, "read"):  # a binary file object (io.BytesIO, open(f, "rb")): all of it
        data = path.read()
        if not isinstance(data, bytes):
            raise _BadFile("the file object gives text, not bytes (open it with 'rb')")
        length = _header_length(data[:8], len(data))
        return data, _parse_json(data[8 : 8 + length])
    with open(path, "rb") as file:
        facts = os.fstat(file.fileno())
        if not stat.S_ISREG(facts.st_mode):  # a device or pipe: no size to check against
            raise _BadFile("it is not a regular file")
        size = facts.st_size
        prefix = file.read(8)
        length = _header_length(prefix, size)
        header = file.read(length)
        rest = file.read(size - 8 - length)
        if len(header) + len(rest) != size - 8:
            raise _BadFile(f"the file changed size while it was read ({size} bytes before)")
    return prefix + header + rest, _parse_json(header)


def load(
    f: PathLike | Any,
    map_location: Any = None,
    pickle_module: Any = None,
    *,
    weights_only: bool | None = None,
    mmap: bool | None = None,
    **_: Any,
) -> Any:
    """Read a checkpoint written by :func:`save` (from a path or a binary file object): the
    state dict, or the structure saved. A saved module comes back as its state dict
    (:class:`~tinygrad_nn.serialization_structure.ModuleState`, which says so if used as
    the module).

    The arguments are ``torch.load``'s. Nothing is unpickled whatever ``weights_only``
    says (so True and False load the same), ``pickle_module`` and ``mmap`` are unused;
    ``map_location`` None or ``"cpu"`` keeps tensors in NumPy, another device moves every
    Tensor there (``Tensor.to``); a dict or function ``map_location`` is not called (the
    file has no devices to map).

    Raises ``FileNotFoundError`` when there is no file and ``ValueError``, naming the file
    and the problem, for anything that is not an intact tinygrad_nn checkpoint.

    Examples:
        >>> import os, tempfile
        >>> path = os.path.join(tempfile.mkdtemp(), "w.safetensors")
        >>> save({"w": np.array([1.0, 2.0]), "losses": [0.5, 0.25]}, path)
        >>> ckpt = load(path, map_location="cpu", weights_only=True)
        >>> ckpt["w"], ckpt["losses"]
        (array([1., 2.]), [0.5, 0.25])
    """
    path = f
    name = repr(getattr(f, "name", "the file object") if hasattr(f, "read") else os.fspath(f))
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
    module, digest = metadata.pop(MODULE, None), metadata.pop(MODULE_CHECKSUM, None)
    if set(metadata) - {FORMAT, CHECKSUMS, STRUCTURE, STRUCTURE_CHECKSUM}:
        raise ValueError(f"load: {name} is corrupted: its metadata has unknown entries")
    if (module, digest) != (None, None) and digest != _sha256(str(module)):
        raise ValueError(f"load: {name} is corrupted: its module name fails its checksum")
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
    arrays = {key: np.array(array) for key, array in state.items()}  # writable copies
    structure = metadata.get(STRUCTURE)
    if structure is None:
        return arrays if module is None else ModuleState(arrays, str(module))
    try:
        if metadata.get(STRUCTURE_CHECKSUM) != hashlib.sha256(structure.encode()).hexdigest():
            raise BadStructure("its structure fails its checksum")
        obj = decode(_parse_json(structure), arrays)
    except (_BadFile, BadStructure) as error:
        raise ValueError(f"load: {name} is corrupted: {error}") from None
    return _placed(obj, map_location)


def _placed(obj: Any, map_location: Any) -> Any:
    """``obj`` with every Tensor moved to ``map_location`` (a device name or torch.device)."""
    named = isinstance(map_location, str) or hasattr(map_location, "type")  # a torch.device
    if not named or str(map_location) == "cpu":
        return obj
    moved: dict[int, Any] = {}  # a tensor stored once stays one object

    def walk(value: Any) -> Any:
        if isinstance(value, Tensor):
            if id(value) not in moved:
                moved[id(value)] = value.to(map_location)
            return moved[id(value)]
        if isinstance(value, list | tuple):
            return type(value)(walk(item) for item in value)
        if isinstance(value, dict):
            return {key: walk(item) for key, item in value.items()}
        return value

    return walk(obj)


# ---------------------------------------------------------------- torch.serialization's globals

_safe_globals: list[Any] = []


def add_safe_globals(safe_globals: Iterable[Any]) -> None:
    """Accepted as ``torch.serialization.add_safe_globals``: PyTorch allows these classes
    and functions in a ``weights_only`` unpickling; nothing is unpickled here, so it only
    remembers them (for :func:`get_safe_globals`).

    Examples:
        >>> add_safe_globals([dict]); dict in get_safe_globals()
        True
        >>> clear_safe_globals()
    """
    _safe_globals.extend(safe_globals)


def get_safe_globals() -> list[Any]:
    """What :func:`add_safe_globals` was given (``torch.serialization.get_safe_globals``)."""
    return list(_safe_globals)


def clear_safe_globals() -> None:
    """Forget them (``torch.serialization.clear_safe_globals``)."""
    _safe_globals.clear()


class safe_globals:  # PyTorch's name: a context manager class, used like a function
    """``with torch.serialization.safe_globals([...]): torch.load(...)``: accepted; the
    globals are remembered inside the block and forgotten after it.

    Examples:
        >>> with safe_globals([dict]):
        ...     dict in get_safe_globals()
        True
    """

    def __init__(self, safe_globals: Iterable[Any]) -> None:
        self.safe_globals = list(safe_globals)

    def __enter__(self) -> None:
        _safe_globals.extend(self.safe_globals)

    def __exit__(self, *exc: object) -> None:
        for item in self.safe_globals:
            _safe_globals.remove(item)

    def __iter__(self) -> Iterator[Any]:
        return iter(self.safe_globals)
