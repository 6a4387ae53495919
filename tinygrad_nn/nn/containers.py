"""Holding modules: ``ModuleList`` and ``ModuleDict``, whose members' parameters count.

Examples:
    >>> from tinygrad_nn import nn
    >>> layers = nn.ModuleList([nn.Linear(2, 2), nn.Linear(2, 1)])
    >>> len(list(layers.parameters()))
    4
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping

from tinygrad_nn.nn.module import Module


def _checked(module: object, where: str) -> Module:
    if not isinstance(module, Module):
        raise TypeError(f"{where}: expected a Module, got {type(module).__name__}")
    return module


class ModuleList(Module):
    """A list of modules, registered so that their parameters are the container's.

    Examples:
        >>> from tinygrad_nn import nn
        >>> blocks = nn.ModuleList([nn.Tanh()])
        >>> blocks.append(nn.ReLU())
        >>> [type(m).__name__ for m in blocks]
        ['Tanh', 'ReLU']
    """

    def __init__(self, modules: Iterable[Module] = ()) -> None:
        super().__init__()
        for module in modules:
            self.append(module)

    def append(self, module: Module) -> None:
        setattr(self, str(len(self)), _checked(module, "ModuleList.append"))

    def extend(self, modules: Iterable[Module]) -> None:
        for module in modules:
            self.append(module)

    def __getitem__(self, index: int) -> Module:
        return list(self._modules.values())[index]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())


class ModuleDict(Module):
    """Modules by name, registered so that their parameters are the container's.

    Examples:
        >>> from tinygrad_nn import nn
        >>> heads = nn.ModuleDict({"a": nn.Linear(2, 1)})
        >>> sorted(name for name, _ in heads.named_parameters())
        ['a.bias', 'a.weight']
    """

    def __init__(self, modules: Mapping[str, Module] | None = None) -> None:
        super().__init__()
        for name, module in (modules or {}).items():
            self[name] = module

    def __setitem__(self, name: str, module: Module) -> None:
        setattr(self, name, _checked(module, f"ModuleDict[{name!r}]"))

    def __getitem__(self, name: str) -> Module:
        return self._modules[name]

    def __contains__(self, name: object) -> bool:
        return name in self._modules

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[str]:
        return iter(self._modules)

    def keys(self) -> Iterable[str]:
        return self._modules.keys()

    def items(self) -> Iterable[tuple[str, Module]]:
        return self._modules.items()

    def values(self) -> Iterable[Module]:
        return self._modules.values()
