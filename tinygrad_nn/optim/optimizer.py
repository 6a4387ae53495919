"""``Optimizer``: parameter groups, per-parameter state, ``step``, ``zero_grad``, state dicts.

As in PyTorch, an optimizer holds ``param_groups``: dicts with the key ``"params"`` (a list
of tensors) and the group's settings (``"lr"``, ...), which a learning-rate scheduler
may change between steps. Each ``step()`` reads every parameter's ``.grad`` and replaces
the parameter's data with the updated values (a new array: a graph that saved the old
values is not disturbed). Parameters whose ``.grad`` is None are skipped.

Examples:
    >>> import tinygrad_nn as tg
    >>> from tinygrad_nn import nn, optim
    >>> w = nn.Parameter([1.0])
    >>> opt = optim.SGD([w], lr=0.1)
    >>> (w * w).sum().backward()       # dL/dw = 2w = 2
    >>> opt.step()
    >>> w.data
    Tensor([0.8])
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from tinygrad_nn.errors import TracingError
from tinygrad_nn.namespace import ArrayNamespace, numpy_xp
from tinygrad_nn.namespace.array_api import array_namespace, like, to_numpy
from tinygrad_nn.namespace.declared import Array
from tinygrad_nn.recording import note
from tinygrad_nn.recording import state as recording
from tinygrad_nn.tensor import Tensor

State = dict[str, Any]  # one parameter's optimizer state: momentum buffers, moments, step


class Optimizer:
    """Holds parameter groups; subclasses define ``update(param, grad, state, group)``.

    Args:
        params: tensors, or dicts ``{"params": [...], "lr": ...}`` (one per group; a
            setting a group leaves out comes from ``defaults``).
        defaults: every setting of this optimizer with its default value.

    Examples:
        >>> from tinygrad_nn import nn
        >>> from tinygrad_nn.optim import SGD
        >>> a, b = nn.Parameter([1.0]), nn.Parameter([2.0])
        >>> opt = SGD([{"params": [a]}, {"params": [b], "lr": 0.5}], lr=0.1)
        >>> [group["lr"] for group in opt.param_groups]
        [0.1, 0.5]
    """

    has_flat_state = False  # True where state is not one array per parameter (LBFGS)

    def __init__(self, params: Iterable[Any], defaults: Mapping[str, Any]) -> None:
        self.defaults = {key: _plain(value) for key, value in defaults.items()}
        self.param_groups: list[dict[str, Any]] = []
        self.state: dict[Tensor, State] = {}
        items = list(params)
        groups = items if items and isinstance(items[0], Mapping) else [{"params": items}]
        for group in groups:
            self.add_param_group(group)
        if not any(group["params"] for group in self.param_groups):
            raise ValueError(f"{type(self).__name__} got an empty parameter list")

    def add_param_group(self, group: Mapping[str, Any]) -> None:
        """Add a group of parameters with its own settings (the rest from the defaults).

        A parameter already in another group is an error; one given twice in this group
        is a warning (PyTorch's), and it is kept once, so that each step moves it once.
        """
        name = type(self).__name__
        params = group["params"]
        params = [params] if isinstance(params, Tensor) else list(params)
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(f"{name}: expected Tensors, got {type(p).__name__}")
        unique = list({id(p): p for p in params}.values())  # first places, in order
        if len(unique) != len(params):
            warnings.warn(
                "optimizer contains a parameter group with duplicate parameters; in future, "
                "this will cause an error; see github.com/pytorch/pytorch/issues/40967 for "
                "more information",
                UserWarning,
                stacklevel=3,
            )
            params = unique
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in seen for p in params):
            raise ValueError(f"{name}: some parameters appear in more than one parameter group")
        unknown = set(group) - set(self.defaults) - {"params", "initial_lr"}
        if unknown:
            raise TypeError(f"{name}: unknown settings {sorted(unknown)}")
        given = {k: _plain(v) for k, v in group.items() if k != "params"}
        settings = {**self.defaults, **given}
        self.check(settings)
        self.param_groups.append({"params": params, **settings})
        for p in params:
            self.state[p] = {}

    def check(self, settings: Mapping[str, Any]) -> None:
        """Refuse invalid settings (a negative learning rate...) with a clear error."""
        if settings["lr"] < 0:
            raise ValueError(f"{type(self).__name__}: invalid learning rate {settings['lr']}")

    @property
    def params(self) -> list[Tensor]:
        """Every parameter, over all groups."""
        return [p for group in self.param_groups for p in group["params"]]

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget every parameter's gradient: set it to None (PyTorch's default), or with
        ``set_to_none=False`` fill the gradients that exist with zeros in place (a
        reference to ``p.grad`` sees the zeros; a parameter with no gradient keeps None),
        as PyTorch.

        Examples:
            >>> from tinygrad_nn import nn
            >>> w = nn.Parameter([1.0]); opt = Optimizer([w], {"lr": 0.1})
            >>> (w * 3).sum().backward(); g = w.grad
            >>> opt.zero_grad(set_to_none=False); w.grad is g, g.tolist()
            (True, [0.0])
        """
        params = self.params
        if set_to_none:
            if note(("zero_grad", params)):  # compile traces a training step
                return
            for p in params:
                p._grad = None  # the slot: parameters are leaves, nothing to warn about
            return
        if recording.events is not None:
            raise TracingError(
                "compile: zero_grad(set_to_none=False) inside a compiled training step is "
                "not supported (the compiled code sets the gradients it computes); call "
                "zero_grad() there"
            )
        for p in params:
            grad = p._grad
            if grad is not None:
                grad.array = grad.array * 0  # the same array type, device and dtype
                grad.requires_grad = False  # PyTorch detaches it from any graph too
                grad._ctx = None

    def step(self) -> None:
        """Update every parameter that has a gradient.

        Inside a function that :func:`tinygrad_nn.compile` traces, the step is written
        into the compiled code (the same ``update`` rule, interpreted symbolically)."""
        if note(("step", self)):
            return
        for group in self.param_groups:
            for p in group["params"]:
                grad = p._grad  # the slot (parameters are leaves: the property only warns)
                if grad is not None:
                    data = p.array
                    xp = numpy_xp if type(data) is np.ndarray else array_namespace([data])
                    state = self.state[p]
                    for key, value in state.items():  # after model.to(...): state follows
                        if hasattr(value, "shape") and type(value) is not type(data):
                            state[key] = like(to_numpy(value), data)
                    new = self.update(xp, data, grad.array, state, group)
                    p.array = new if new.dtype == data.dtype else xp.astype(new, data.dtype)
                    for key, value in state.items():
                        # a NumPy scalar setting (np.float64(0.9)) or state kept from a
                        # float64 model promotes; state keeps the parameter's dtype
                        if getattr(value, "dtype", data.dtype) != data.dtype:
                            state[key] = xp.astype(value, data.dtype)

    def update(
        self, xp: ArrayNamespace, param: Array, grad: Array, state: State, group: Mapping[str, Any]
    ) -> Array:
        """The rule: ``param``'s new values from its ``grad``, its ``state`` (updated in
        place) and its group's settings. Written against ``xp`` (``xp.sqrt``...), the
        namespace of the parameter's array library, it runs on any of them."""
        raise NotImplementedError(f"{type(self).__name__} does not define update()")

    # ------------------------------------------------------------ saving and loading

    def state_dict(self) -> dict[str, Any]:
        """The optimizer's state and settings, with parameters by position (as PyTorch).

        Examples:
            >>> from tinygrad_nn import nn
            >>> from tinygrad_nn.optim import SGD
            >>> opt = SGD([nn.Parameter([1.0])], lr=0.1, momentum=0.9)
            >>> sorted(opt.state_dict())
            ['param_groups', 'state']
        """
        index = {id(p): i for i, p in enumerate(self.params)}
        state = {
            index[id(p)]: {k: _host_copy(v) for k, v in s.items()}
            for p, s in self.state.items()
            if s  # as PyTorch: only parameters that have state yet
        }
        groups = [
            {
                **{k: v for k, v in g.items() if k != "params"},
                "params": [index[id(p)] for p in g["params"]],
            }
            for g in self.param_groups
        ]
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Restore what :meth:`state_dict` saved; checked whole before anything changes."""
        name = type(self).__name__
        groups = state_dict.get("param_groups")
        if not isinstance(groups, list) or len(groups) != len(self.param_groups):
            raise ValueError(f"{name}.load_state_dict: the number of parameter groups differs")
        params = self.params
        for saved, own in zip(groups, self.param_groups):
            if len(saved.get("params", ())) != len(own["params"]):
                raise ValueError(f"{name}.load_state_dict: a group's parameter count differs")
        restored: dict[Tensor, State] = {p: {} for p in params}
        for i, s in dict(state_dict.get("state", {})).items():
            if not 0 <= int(i) < len(params):
                raise ValueError(f"{name}.load_state_dict: no parameter {i}")
            p = params[int(i)]
            for key, value in s.items():
                if self.has_flat_state:  # LBFGS: flat vectors of every parameter
                    break
                if hasattr(value, "shape") and tuple(value.shape) != p.shape:
                    raise ValueError(
                        f"{name}.load_state_dict: state {key!r} of parameter {i} has shape "
                        f"{value.shape}, the parameter {p.shape}"
                    )
            restored[p] = {k: like(_host_copy(v), p.array) for k, v in s.items()}
        for saved, own in zip(groups, self.param_groups):
            own.update({k: v for k, v in saved.items() if k != "params"})
        self.state = restored


def _plain(setting: Any) -> Any:
    """A setting with NumPy scalars made Python numbers: ``np.float64(0.9) * float32 array``
    is float64 (NumPy's promotion), ``0.9 * float32 array`` stays float32.

    Examples:
        >>> _plain((np.float64(0.9), np.float32(0.5))), _plain(np.bool_(True))
        ((0.9, 0.5), True)
    """
    if isinstance(setting, np.generic):
        return setting.item()
    if isinstance(setting, tuple | list):
        return type(setting)(_plain(item) for item in setting)
    return setting


def _host_copy(value: Any) -> Any:
    """A state value as saved: arrays as NumPy copies (wherever they lived), numbers as is."""
    return np.array(to_numpy(value)) if hasattr(value, "shape") else value
