"""Modules renamed in 0.2, importable under their old names for one release (with a
``DeprecationWarning`` saying the new name). Installed by ``import tinygrad_nn``.

Examples:
    >>> import importlib, sys, warnings
    >>> import tinygrad_nn
    >>> _ = sys.modules.pop("tinygrad_nn.nn.losses", None)  # (imported before: no warning)
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     old = importlib.import_module("tinygrad_nn.nn.losses")
    >>> old.SSE is tinygrad_nn.nn.SSE, "tinygrad_nn.nn.loss_modules" in str(caught[0].message)
    (True, True)
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
import warnings
from types import ModuleType
from typing import Any

MOVED = {  # old name -> new name: one module per meaning, no two meanings per name
    "tinygrad_nn.functions": "tinygrad_nn.combining",
    "tinygrad_nn.functions_torch": "tinygrad_nn.torch_functions",
    "tinygrad_nn.torch_names.functions": "tinygrad_nn.torch_names.torch_only",
    "tinygrad_nn.torch_names.function": "tinygrad_nn.torch_names.autograd_function",
    "tinygrad_nn.compile.function": "tinygrad_nn.compile.compiled",
    "tinygrad_nn.compile.trace": "tinygrad_nn.compile.tracing",
    "tinygrad_nn.nn.losses": "tinygrad_nn.nn.loss_modules",
    "tinygrad_nn.ops.nn": "tinygrad_nn.ops.probability",
    "tinygrad_nn.optim.lr_scheduler_cycles": "tinygrad_nn.optim.schedules_stateful",
}


class _Alias(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds an old module name and gives the new module itself (the same object)."""

    def find_spec(self, name: str, path: Any, target: Any = None) -> Any:
        if name not in MOVED:
            return None
        return importlib.machinery.ModuleSpec(name, self)

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        new = MOVED[spec.name]
        warnings.warn(
            f"{spec.name} was renamed {new}; the old name goes in the next release",
            DeprecationWarning,
            stacklevel=2,
        )
        return importlib.import_module(new)

    def exec_module(self, module: ModuleType) -> None:
        pass  # the new module has run already


def install() -> None:
    """Let the old names import (once per process)."""
    if not any(isinstance(finder, _Alias) for finder in sys.meta_path):
        sys.meta_path.insert(0, _Alias())  # before path finders: an old file must not win
