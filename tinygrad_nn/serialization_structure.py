"""What a checkpoint holds besides its tensors: the structure around them, as JSON.

``torch.save`` pickles any object; a tinygrad_nn checkpoint stores what a PyTorch program
saves — dicts (any hashable simple keys: strings, ints...), lists, tuples, strings,
numbers, booleans, None, and tensors or NumPy arrays anywhere inside — with the tensors in
safetensors and everything else as a small JSON tree in the header. Nothing is pickled,
so loading never runs code. Each node of the tree is ``null``, ``true``/``false``, or an
object with one tag:

    {"s": text}  {"i": "123"}  {"f": "0.1"}            a str, an int, a float (exact)
    {"l": [...]}  {"u": [...]}  {"d": [[key, value], ...]}   a list, a tuple, a dict
    {"t": name, "g": true, "p": true}   a Tensor (requires_grad, a Parameter)
    {"a": name}  {"n": name}            a NumPy array, a NumPy scalar

The same tensor twice (tied weights) is stored once and loaded as one object again.

Examples:
    >>> import numpy as np
    >>> tree, arrays = encode({"epoch": 3, "w": np.zeros(2)})
    >>> tree, sorted(arrays)
    ({'d': [[{'s': 'epoch'}, {'i': '3'}], [{'s': 'w'}, {'a': 'w'}]]}, ['w'])
    >>> decode(tree, {"w": np.zeros(2)})["epoch"]
    3
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from tinygrad_nn.namespace.array_api import is_array
from tinygrad_nn.nn.module import Module, Parameter
from tinygrad_nn.tensor import Tensor


class Unstorable(TypeError):
    """A value a checkpoint cannot hold (the message names its key path)."""


def path_text(path: tuple[Any, ...]) -> str:
    """A key path as Python would index it: ``obj['model']['state'][0]``.

    Examples:
        >>> path_text(("optimizer", "state", 0))
        "obj['optimizer']['state'][0]"
    """
    return "obj" + "".join(f"[{key!r}]" for key in path)


def encode(obj: Any, storable: Callable[[str, Any], np.ndarray] | None = None) -> tuple[Any, dict]:
    """The JSON tree of ``obj`` and its arrays by name. ``storable(where, value)`` turns a
    tensor into the array to store (and refuses what safetensors cannot hold)."""
    arrays: dict[str, np.ndarray] = {}
    names: dict[int, str] = {}  # id of a tensor already stored -> its name
    keep_alive: list[Any] = []  # (ids stay unique while the objects live)
    active: set[int] = set()  # containers on the current path: a cycle is refused

    def name_for(path: tuple[Any, ...]) -> str:
        name = ".".join(str(key) for key in path) or "obj"
        base, n = name, 1
        while name in arrays or name == "__metadata__":
            name, n = f"{base}#{n}", n + 1
        return name

    def tensor(value: Any, path: tuple[Any, ...], tag: str) -> dict[str, Any]:
        if id(value) not in names:
            where = path_text(path)
            array = storable(where, value) if storable else np.asarray(value)
            name = name_for(path)
            arrays[name], names[id(value)] = array, name
            keep_alive.append(value)
        node: dict[str, Any] = {tag: names[id(value)]}
        if isinstance(value, Tensor) and value.requires_grad:
            node["g"] = True
        if isinstance(value, Parameter):
            node["p"] = True
        return node

    def walk(value: Any, path: tuple[Any, ...]) -> Any:
        if value is None or isinstance(value, bool):
            return value
        if isinstance(value, str):
            return {"s": value}
        if isinstance(value, int):
            return {"i": str(value)}
        if isinstance(value, float):
            return {"f": repr(value)}
        if isinstance(value, Tensor):
            return tensor(value, path, "t")
        if isinstance(value, np.generic):
            return tensor(np.asarray(value), path, "n")
        if isinstance(value, np.ndarray) or is_array(value):
            return tensor(value, path, "a")
        if isinstance(value, Module):
            raise Unstorable(
                f"save: {path_text(path)} is a module ({type(value).__name__}); save its "
                f"state_dict() instead (a checkpoint holds no code)"
            )
        if not isinstance(value, list | tuple | dict | Mapping):
            raise Unstorable(
                f"save: {path_text(path)} is a {type(value).__module__}.{type(value).__qualname__}"
                f", which a checkpoint cannot store without pickle (it stores dicts, lists, "
                f"tuples, str, int, float, bool, None, tensors and arrays)"
            )
        if id(value) in active:
            raise Unstorable(f"save: {path_text(path)} contains itself")
        active.add(id(value))
        try:
            if isinstance(value, list | tuple):
                items = [walk(item, (*path, i)) for i, item in enumerate(value)]
                return {"u" if isinstance(value, tuple) else "l": items}
            pairs = []
            for key, item in value.items():
                if not isinstance(key, str | int | float | bool | tuple) and key is not None:
                    raise Unstorable(
                        f"save: {path_text(path)} has a key {key!r} of type "
                        f"{type(key).__name__}; keys are str, int, float, bool, None or tuples"
                    )
                pairs.append([walk(key, (*path, "<key>")), walk(item, (*path, key))])
            return {"d": pairs}
        finally:
            active.discard(id(value))

    return walk(obj, ()), arrays


class BadStructure(ValueError):
    """The structure in a file is not one :func:`encode` writes."""


def decode(tree: Any, arrays: Mapping[str, np.ndarray]) -> Any:
    """The object of :func:`encode`'s tree, with ``arrays`` (by name) in place; every
    array is used, and a tensor stored once is one object wherever it appears."""
    made: dict[str, Any] = {}

    def stored(name: Any, make: Callable[[np.ndarray], Any]) -> Any:
        if not isinstance(name, str) or name not in arrays:
            raise BadStructure(f"it refers to a tensor {name!r} that the file does not hold")
        if name not in made:
            made[name] = make(arrays[name])
        return made[name]

    def walk(node: Any) -> Any:
        if node is None or isinstance(node, bool):
            return node
        if not isinstance(node, dict) or not node:
            raise BadStructure(f"it has a node {str(node)[:60]!r} of no known kind")
        tag = next(iter(node))
        value = node[tag]
        if tag == "s" and isinstance(value, str):
            return value
        if tag in ("i", "f") and isinstance(value, str):
            try:
                return int(value) if tag == "i" else float(value)
            except ValueError:
                raise BadStructure(f"it has a number {value[:60]!r} that is none") from None
        if tag in ("l", "u") and isinstance(value, list):
            items = [walk(item) for item in value]
            return items if tag == "l" else tuple(items)
        if tag == "d" and isinstance(value, list):
            if not all(isinstance(pair, list) and len(pair) == 2 for pair in value):
                raise BadStructure("it has a dict entry that is not a [key, value] pair")
            try:
                return {walk(key): walk(item) for key, item in value}
            except TypeError:  # an unhashable key (a list): not written by encode
                raise BadStructure("it has a dict key that is not hashable") from None
        if tag == "t":
            if node.get("p"):
                return stored(value, Parameter)
            return stored(value, lambda a: Tensor(a, requires_grad=bool(node.get("g"))))
        if tag == "a":
            return stored(value, lambda a: a)
        if tag == "n":
            return stored(value, lambda a: a[()])
        raise BadStructure(f"it has a node {str(node)[:60]!r} of no known kind")

    try:
        obj = walk(tree)
    except RecursionError:
        raise BadStructure("its structure is nested too deeply") from None
    unused = set(arrays) - set(made)
    if unused:
        raise BadStructure(f"it holds tensors its structure does not use: {sorted(unused)[:5]}")
    return obj


class ModuleState(dict):
    """What ``load`` gives for a file that ``save(module, f)`` wrote: the module's state
    dict (a dict, for ``model.load_state_dict``), which says so when it is used as the
    module itself. PyTorch pickles the whole module; a checkpoint here holds no code, so
    ``torch.load(path, weights_only=False).eval()`` cannot give the module back.

    Examples:
        >>> state = ModuleState({"weight": 1}, module="Linear")
        >>> state["weight"], state.saved_module
        (1, 'Linear')
        >>> state.eval()  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        AttributeError: load: this file holds the state_dict of a Linear, not the module ...
    """

    def __init__(self, state: Mapping[str, Any], module: str) -> None:
        super().__init__(state)
        self.saved_module = module

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        raise AttributeError(
            f"load: this file holds the state_dict of a {self.saved_module}, not the module "
            f"(.{name} is a module's): save(module) stores module.state_dict() (a checkpoint "
            f"holds no code, unlike PyTorch's pickle); build the model, then "
            f"model.load_state_dict(torch.load(path))"
        )
