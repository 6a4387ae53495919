"""Python source for constants: numbers, tuples, dtypes, indices, and named arrays.

An array constant is not written inline: it gets a name (the caller's own name for it
when known, else ``_c1``, ``_c2``...) and is handed to the generated function's globals.

Examples:
    >>> import numpy as np
    >>> from tinygrad_nn.compile.names import Namer
    >>> literals = Literals(Namer())
    >>> literals.literal((2, -np.inf)), literals.index_source((slice(None), 0))
    ('(2, -np.inf)', ':, 0')
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tinygrad_nn.compile.names import Namer


class Literals:
    """Writes constants as source; keeps the named array constants the code refers to."""

    def __init__(self, namer: Namer, array_api: bool = False) -> None:
        self.namer = namer
        self.array_api = array_api  # write for another library: ``xp.float32``, ``device``
        self.constants: dict[str, Any] = {}  # name -> array, for the function's globals
        self.constant_names: dict[int, str] = {}  # id(array) -> its name in the source
        self.outside_labels: dict[int, str] = {}  # id(object) -> the caller's name for it
        self.sealed = False  # no new names: every array constant was named beforehand

    def copy(self, namer: Namer) -> Literals:
        """An independent copy that names new constants with ``namer`` (the naming pass's)."""
        other = Literals(namer, self.array_api)
        other.constants = dict(self.constants)
        other.constant_names = dict(self.constant_names)
        other.outside_labels = self.outside_labels  # read only from here on
        return other

    def literal(self, value: Any) -> str:
        """Python source for a constant argument: numbers, tuples, dtypes, arrays."""
        if isinstance(value, (bool, np.bool_)):
            return repr(bool(value))
        if isinstance(value, (int, np.integer)):
            return repr(int(value))
        if isinstance(value, (float, np.floating)):
            number = float(value)
            if np.isnan(number):
                return "np.nan"
            if np.isinf(number):
                return "np.inf" if number > 0 else "-np.inf"
            return repr(number)
        if isinstance(value, tuple):
            inner = ", ".join(self.literal(v) for v in value)
            return f"({inner},)" if len(value) == 1 else f"({inner})"
        if isinstance(value, list):
            return "[" + ", ".join(self.literal(v) for v in value) + "]"
        if isinstance(value, np.dtype):
            return f"{'xp' if self.array_api else 'np'}.{value.name}"
        if value is None:
            return "None"
        return self.global_array(np.asarray(value))

    def global_array(self, array: np.ndarray) -> str:
        """Name an array constant: the caller's own name for it when known, else ``_cN``."""
        name = self.constant_names.get(id(array))
        if name is None:
            if self.sealed:  # the writer met a constant that the naming pass did not
                raise AssertionError(
                    f"compile: an array constant of shape {array.shape} "
                    "was not named before writing"
                )
            label = self.outside_labels.get(id(array))
            name = self.namer.fresh(label) if label else self.namer.temporary("_c")
            self.constant_names[id(array)] = name
        self.constants[name] = array
        return name

    def constant_array_source(self, value: np.ndarray) -> str:
        """Source that makes a new array equal to ``value`` (a constant gradient)."""
        dtype = self.literal(value.dtype)
        if value.size and np.all(value == value.flat[0]):
            arguments = f"{self.literal(value.shape)}, {self.literal(value.flat[0])}"
            if self.array_api:
                return f"xp.full({arguments}, dtype={dtype}, device=device)"
            return f"np.full({arguments}, dtype={dtype})"
        if self.array_api:
            return f"xp.asarray({self.global_array(value)}, dtype={dtype}, copy=True)"
        return f"np.array({self.global_array(value)}, dtype={dtype})"

    def scalar_source(self, value: np.ndarray) -> str:
        """A 0-d constant that keeps its own dtype: ``np.float32(2.0)``."""
        number = self.literal(value.item())
        if self.array_api:
            return f"xp.asarray({number}, dtype={self.literal(value.dtype)}, device=device)"
        return f"np.{value.dtype.name}({number})"

    def index_source(self, index: Any) -> str:
        parts = index if isinstance(index, tuple) else (index,)
        if self.array_api and not any(p is Ellipsis or p is None or np.ndim(p) for p in parts):
            index = parts = (*parts, Ellipsis)  # the standard names every axis: x[0, ...]
        rendered = []
        for part in parts:
            if part is Ellipsis:
                rendered.append("...")
            elif part is None:
                rendered.append("None")
            elif isinstance(part, slice):
                start, stop, step = (
                    "" if v is None else self.literal(v) for v in (part.start, part.stop, part.step)
                )
                rendered.append(f"{start}:{stop}" + (f":{step}" if step else ""))
            else:
                rendered.append(self.literal(part))
        text = ", ".join(rendered)
        return text + "," if isinstance(index, tuple) and len(index) == 1 else text


SHOWN_IN_FULL = 16  # array constants up to this many elements are written out in the source


def constant_definitions(constants: dict[str, Any]) -> str:
    """Lines defining the array constants a function's source refers to, for reading it:
    small ones written out, larger ones described (their values are fixed at trace time).

    Examples:
        >>> print(constant_definitions({"_c1": np.array([0, 2]), "_c2": np.zeros((8, 3))}))
        _c1 = np.array([0, 2])
        # _c2: a float64 array of shape (8, 3), fixed when the function was traced
        <BLANKLINE>
        <BLANKLINE>
    """
    lines = []
    for name, value in constants.items():
        array = np.asarray(value)
        if array.size <= SHOWN_IN_FULL:
            dtype = (
                "" if array.dtype.name in ("int64", "float64", "bool") else f", np.{array.dtype}"
            )
            lines.append(f"{name} = np.array({array.tolist()!r}{dtype})")
        else:
            lines.append(
                f"# {name}: a {array.dtype} array of shape {array.shape}, fixed when the "
                "function was traced"
            )
    return "".join(line + "\n" for line in lines) + ("\n" if lines else "")
