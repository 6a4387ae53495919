"""Saving and loading parameters as ``.npz`` files — plain arrays, never pickles.

A checkpoint is a NumPy ``.npz`` archive holding one array per parameter (by dotted
name) plus a marker entry that says it was written by tinygrad_nn. Loading uses
``allow_pickle=False``, so a file can never run code.

Examples:
    >>> import os, tempfile
    >>> import tinygrad_nn as tg
    >>> from tinygrad_nn import nn
    >>> model = nn.Linear(2, 3)
    >>> path = os.path.join(tempfile.mkdtemp(), "linear.npz")
    >>> tg.save(model, path)
    >>> sorted(tg.load(path))
    ['bias', 'weight']
"""

from __future__ import annotations

import os
import zipfile
from collections.abc import Mapping
from typing import Any

import numpy as np

from tinygrad_nn.nn.module import Module
from tinygrad_nn.tensor import as_array

MARKER = "__tinygrad_nn_checkpoint__"
FORMAT_VERSION = 1

PathLike = str | os.PathLike


def save(obj: Module | Mapping[str, Any], path: PathLike) -> None:
    """Write a module's ``state_dict()`` (or a state dict) to ``path``, exactly that name.

    Examples:
        >>> import tempfile, os
        >>> from tinygrad_nn import nn
        >>> save({"w": [1.0, 2.0]}, os.path.join(tempfile.mkdtemp(), "w.npz"))
    """
    state = obj.state_dict() if isinstance(obj, Module) else dict(obj)
    arrays: dict[str, Any] = {MARKER: np.array(FORMAT_VERSION)}
    for key, value in state.items():
        if not isinstance(key, str) or key == MARKER:
            raise ValueError(f"save: invalid key {key!r}")
        arrays[key] = as_array(value)
    with open(path, "wb") as file:
        np.savez(file, **arrays)


def load(path: PathLike) -> dict[str, np.ndarray]:
    """Read a checkpoint written by :func:`save`; returns the state dict.

    Raises ``ValueError`` for a file that is not a tinygrad_nn checkpoint (or is
    truncated or corrupted), and ``FileNotFoundError`` when there is no file.

    Examples:
        >>> import os, tempfile
        >>> path = os.path.join(tempfile.mkdtemp(), "w.npz")
        >>> save({"w": [1.0, 2.0]}, path)
        >>> load(path)["w"]
        array([1., 2.])
    """
    name = repr(os.fspath(path))
    try:
        archive = np.load(path, allow_pickle=False)
    except FileNotFoundError:
        raise
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as error:
        raise ValueError(f"load: {name} is not a tinygrad_nn checkpoint ({error})") from None
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise ValueError(f"load: {name} holds a single array, not a tinygrad_nn checkpoint")
    with archive:
        if MARKER not in archive.files:
            raise ValueError(f"load: {name} is an .npz archive but not a tinygrad_nn checkpoint")
        try:
            version = int(archive[MARKER])
            state = {key: archive[key] for key in archive.files if key != MARKER}
        except (ValueError, OSError, EOFError, zipfile.BadZipFile) as error:
            raise ValueError(f"load: {name} is truncated or corrupted ({error})") from None
    if version > FORMAT_VERSION:
        raise ValueError(
            f"load: {name} uses checkpoint format {version}, newer than this tinygrad_nn "
            f"reads ({FORMAT_VERSION})"
        )
    return state
