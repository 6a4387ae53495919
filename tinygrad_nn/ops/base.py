"""``Op``: one differentiable operation — its rule and formula; once applied, a graph node.

Writing an op is writing one class:

- ``name``: unique, used in drawings and generated names (``sigmoid_out``);
- ``formula``: what it computes, ``"z = x * y"``;
- ``derivatives``: one entry per input, in one of two forms. ``dz/dx = y`` is the local
  derivative, an elementwise factor: the input's gradient is ``g * y``. Where the
  derivative is not elementwise the entry gives the whole vector-Jacobian product in terms
  of the upstream gradient ``g``: ``dL/dx = g @ y.T``. A variadic op (``concat``) gives one
  entry for all its inputs;
- ``input_names``: the names the formula gives the inputs (``("x",)`` unless set);
- ``saves``: what the backward rule reads, by name (``"z"`` is the output): the engine
  keeps only those arrays, so the rest can be freed during forward (``("z",)`` for
  sigmoid, ``()`` for add). ``"x.shape"`` keeps only x's shape and dtype. Unset, the
  rule gets every input and the output; it gets None for what it does not keep;
- ``forward(xp, *inputs)`` and ``backward(xp, g, *inputs, z)``, written against the
  declared namespace ``xp``; backward returns one gradient per input (or None).

Everything an op needs in backward is fixed when it is made (its parameters) or passed
in (inputs and output): ``forward`` never changes the op.

Examples:
    >>> class Softplus(Op):
    ...     name = "softplus"
    ...     formula = "z = log(1 + exp(x))"
    ...     derivatives = ("dz/dx = sigmoid(x)",)
    ...     saves = ("x",)
    ...     def forward(self, xp, x): return xp.log1p(xp.exp(x))
    ...     def backward(self, xp, g, x, z): return (g * xp.sigmoid(x),)
    >>> Softplus().derivative_for(0)
    'dz/dx = sigmoid(x)'
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from operator import itemgetter
from typing import Any, ClassVar

import numpy as np

from tinygrad_nn.errors import DimensionError, wrap_dim
from tinygrad_nn.namespace.declared import Array, ArrayNamespace, Axis, Shape
from tinygrad_nn.node import Node

Grads = tuple[Array | None, ...]


class ArrayFacts:
    """An array's shape and dtype without its values: what an op keeps of an input its
    rule reads only the shape of (``saves = ("x.shape",)``, e.g. ``sum``).

    Examples:
        >>> facts = ArrayFacts(np.zeros((2, 3)))
        >>> facts.shape, facts.ndim, facts.dtype
        ((2, 3), 2, dtype('float64'))
    """

    __slots__ = ("dtype", "shape")

    def __init__(self, array: Array) -> None:
        self.shape, self.dtype = tuple(array.shape), array.dtype

    @property
    def ndim(self) -> int:
        return len(self.shape)

    def __repr__(self) -> str:
        return f"ArrayFacts(shape={self.shape}, dtype={self.dtype})"


DROP, KEEP, FACTS = 0, 1, 2  # what an op keeps of each array for its backward rule
OUTPUT = -1  # the output's position, for Op.saves_at


def _keep(array: Any, how: int) -> Any:
    if how == KEEP or not hasattr(array, "shape"):  # numbers given to the op always stay
        return array
    return ArrayFacts(array) if how == FACTS else None


# The op classes that declare a Tensor method, by that method's name, and what installs
# each one's generated parts (the Tensor method, the namespace function) when declared.
CATALOGUE: dict[str, type[Op]] = {}
INSTALLERS: list[Callable[[type[Op]], None]] = []


def on_declared(install: Callable[[type[Op]], None]) -> None:
    """Run ``install`` for every catalogued op class, now and whenever one is declared."""
    INSTALLERS.append(install)
    for cls in list(CATALOGUE.values()):
        install(cls)


class Op(Node):
    """One differentiable operation: its rule (the class) and, once ``apply`` records it,
    the graph node of the value it computed (a :class:`~tinygrad_nn.node.Node`).

    The two parts are kept apart. The rule is the class: ``name``, ``formula``,
    ``derivatives``, ``saves``, ``forward`` and ``backward``, and the parameters it was
    made with (``axis``...). The node is what ``apply`` sets on the instance: ``parents``
    (the input nodes: a leaf tensor as itself, a computed value as the op that made it),
    ``constants``, ``saved``, ``out_shape``, ``out_dtype``, ``label``, ``scope`` and
    ``_seq`` (see :class:`~tinygrad_nn.node.Node`). The graph links ops to ops, as
    PyTorch's links ``grad_fn`` nodes, so a tensor the user no longer holds is freed with
    every array no rule reads (a pre-activation ``x @ w`` under a sigmoid).
    """

    name: ClassVar[str] = "op"
    # Set for a one-input op that is its own Tensor method: the method's name (``x.exp()``).
    # Declaring the class then gives the Tensor method (its docstring is the class's) and
    # the create_graph namespace's function ``xp.<name>``; see :data:`CATALOGUE`.
    tensor_method: ClassVar[str | None] = None
    tensor_aliases: ClassVar[tuple[str, ...]] = ()  # more names of that method (PyTorch's)
    formula: ClassVar[str] = ""
    derivatives: ClassVar[tuple[str, ...]] = ()
    input_names: ClassVar[tuple[str, ...]] = ("x",)
    param_names: ClassVar[tuple[str, ...]] = ()
    saves: ClassVar[tuple[str, ...] | None] = None
    # ``saves`` as one of DROP, KEEP, FACTS per input name and the output (set per class)
    _saves_plan: ClassVar[tuple[int, ...] | None] = None

    # For a fixed-arity op, the plan as one C call picking from (*inputs, output, None), then
    # the shapes: 0.1 us instead of 0.5 us per op (eager instructions: chain -10%, tutorial -5%).
    _saves_pick: ClassVar[Any] = None  # an operator.itemgetter
    _saves_shapes: ClassVar[tuple[int, ...]] = ()  # where the plan is FACTS

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.__dict__.get("tensor_method"):
            CATALOGUE[cls.tensor_method] = cls  # type: ignore[index]
            for install in INSTALLERS:
                install(cls)
        if "saves" in cls.__dict__ or "input_names" in cls.__dict__:
            plan = cls._saves_plan = None if cls.saves is None else cls._plan(cls.saves)
            cls._saves_pick = None
            if plan is not None:
                none = len(plan)  # the position of the None after the output
                cls._saves_pick = itemgetter(*[i if k else none for i, k in enumerate(plan)])
                cls._saves_shapes = tuple(i for i, k in enumerate(plan) if k == FACTS)

    @classmethod
    def _plan(cls, saves: tuple[str, ...]) -> tuple[int, ...]:
        names = (*cls.input_names, "z")
        unknown = [s for s in saves if s.removesuffix(".shape") not in names]
        if unknown:
            raise TypeError(f"{cls.__name__}.saves names {unknown}, not one of {names}")
        return tuple(
            KEEP if name in saves else FACTS if f"{name}.shape" in saves else DROP for name in names
        )

    # the node's facts, before apply sets them (see Node)
    out_shape: Shape = ()
    out_dtype: Any = None
    label: str | None = None
    requires_grad: bool = True  # as a node: a recorded value always wants one
    _seq: int = 0
    made_at: str = "(not recorded: made outside detect_anomaly)"  # set in anomaly mode

    @property
    def rule(self) -> Op:
        """The rule that computed this node's value: the op itself."""
        return self

    def forward(self, xp: ArrayNamespace, *inputs: Array) -> Array:
        raise NotImplementedError(f"{type(self).__name__} does not define forward()")

    def backward(self, xp: ArrayNamespace, g: Array, *args: Array) -> Grads:
        raise NotImplementedError(f"{type(self).__name__} does not define backward()")

    # ------------------------------------------------------------ the formula, as data

    @property
    def definition(self) -> str:
        """What the op computes (its ``formula``, or its name when it has none)."""
        return self.formula or f"z = {self.name}({', '.join(self.input_names)})"

    def derivative_for(self, position: int) -> str:
        """The ``derivatives`` entry of input ``position`` (a variadic op has one for all)."""
        if not self.derivatives:
            return f"dL/d{self.input_name(position)} = (no formula given)"
        return self.derivatives[min(position, len(self.derivatives) - 1)]

    def input_name(self, position: int) -> str:
        """The formula's name for input ``position`` (``x``, ``y``; ``x_2`` past the names)."""
        names = self.input_names
        return names[position] if position < len(names) else f"{names[-1]}_{position}"

    def saved_of(self, arrays: list[Any], out: Array) -> tuple[Any, ...]:
        """What this op keeps for its backward rule, in its arguments' order: the inputs'
        arrays and the output named in ``saves``, None in place of the others.

        Examples:
            >>> from tinygrad_nn import ops
            >>> ops.Sigmoid().saved_of([np.zeros(2)], np.full(2, 0.5))   # z (1 - z): z alone
            (None, array([0.5, 0.5]))
        """
        plan = self._saves_plan
        if plan is None:
            return (*arrays, out)
        if len(arrays) + 1 == len(plan):
            saved = self._saves_pick((*arrays, out, None))
            if not self._saves_shapes:
                return saved
            facts = list(saved)
            for i in self._saves_shapes:
                facts[i] = _keep(facts[i], FACTS)
            return tuple(facts)
        saved = [_keep(a, self.saves_at(i)) for i, a in enumerate(arrays)]
        saved.append(_keep(out, self.saves_at(OUTPUT)))
        return tuple(saved)

    def saves_at(self, position: int) -> int:
        """What this op keeps of input ``position`` for its rule (``OUTPUT``: of its
        output): ``KEEP``, ``FACTS`` (the shape) or ``DROP``, by its ``saves``.

        Examples:
            >>> from tinygrad_nn import ops
            >>> ops.Sigmoid().saves_at(0) == DROP, ops.Sigmoid().saves_at(OUTPUT) == KEEP
            (True, True)
        """
        plan = self._saves_plan
        if plan is None:
            return KEEP
        if position == OUTPUT:
            return plan[-1]
        return plan[min(position, len(plan) - 2)]  # a variadic op's inputs: its last name

    # ------------------------------------------------------------ inputs and constants

    def with_constant(self, position: int, value: Any) -> Op:
        """Deprecated: pass the number to ``apply`` (``apply(ops.Pow(), 2.0, x)``), the one
        way a number reaches an op."""
        warnings.warn(
            "Op.with_constant() is deprecated: pass the number to apply(), as in "
            "apply(ops.Pow(), 2.0, x)",
            DeprecationWarning,
            stacklevel=2,
        )
        self.constants = tuple(sorted((*self.constants, (position, value))))
        return self

    # ------------------------------------------------------------ the node's inputs

    def with_constants(self, values: Any) -> list[Any]:
        """``values`` (one per parent) with the numbers given to the op in their places."""
        merged = list(values)
        for position, value in self.constants:
            merged.insert(position, value)
        return merged

    def parent_positions(self) -> list[int]:
        """The position among all inputs of each parent (the constants take the others)."""
        taken = {position for position, _ in self.constants}
        return [i for i in range(len(self.parents) + len(taken)) if i not in taken]

    @property
    def freed(self) -> bool:
        """True once backward released the saved arrays (the facts stay, for drawings)."""
        return self.saved is None and bool(self.parents)

    @property
    def params(self) -> dict[str, Any]:
        """The op's fixed arguments (axis, shape...), by name."""
        return {key: getattr(self, key) for key in self.param_names}

    @property
    def needs_input_grad(self) -> tuple[bool, ...]:
        """For each input, whether it wants a gradient (so a rule can skip costly ones).

        Examples:
            >>> import tinygrad_nn as tg
            >>> (tg.Tensor(2.0, requires_grad=True) ** 3.0).op.needs_input_grad
            (True, False)
        """
        parents = self.parents
        if not parents:  # not recorded: assume every input wants one
            return (True,) * len(self.input_names)
        needs = [p.requires_grad for p in parents]
        for position, _ in self.constants:
            needs.insert(position, False)  # a constant wants no gradient
        return tuple(needs)

    def save(self, arrays: list[Any], out: Array) -> tuple[Any, ...]:
        """Deprecated: :meth:`saved_of` (one name for what a rule reads: ``saves``)."""
        warnings.warn("Op.save() is now Op.saved_of()", DeprecationWarning, stacklevel=2)
        return self.saved_of(arrays, out)

    def keeps_at(self, position: int) -> int:
        """Deprecated: :meth:`saves_at`."""
        warnings.warn("Op.keeps_at() is now Op.saves_at()", DeprecationWarning, stacklevel=2)
        return self.saves_at(position)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.params.items())
        return f"{type(self).__name__}({args})"


def forward_error(op: Op, arrays: list[Any], error: Exception) -> Exception:
    """The error of a failed forward, naming the op, its parameters and the input shapes."""
    shapes = " and ".join(str(np.shape(a)) for a in arrays)
    params = ", ".join(f"{k}={v!r}" for k, v in op.params.items() if k != "condition")
    call = f"{op.name}({params})" if params else op.name
    if isinstance(error, DimensionError):  # PyTorch's wording, with the op's name
        return DimensionError(op.name, error.dim, error.tensor_ndim)
    axis, ndim = getattr(error, "axis", None), getattr(error, "ndim", None)
    if isinstance(error, np.exceptions.AxisError) and axis is not None and ndim is not None:
        return DimensionError(op.name, axis, ndim)  # NumPy's own, in PyTorch's words
    message = f"{call}: cannot apply to shape{'s' if len(arrays) > 1 else ''} {shapes}: {error}"
    # Keep the class a user catches: NumPy's AxisError is both a ValueError and an IndexError.
    for kind in (TypeError, np.exceptions.AxisError, IndexError):
        if isinstance(error, kind):
            return kind(message)
    return ValueError(message)


def quiet() -> np.errstate:
    """NumPy's divide-by-zero and invalid-value warnings off, for one rule that can meet
    them: ``log(0)`` is ``-inf`` and ``1 / 0`` is ``inf`` silently, as in PyTorch. (Only
    around those rules: ~1 us each, where a process-wide ``np.seterr`` would change the
    user's NumPy too.)

    Examples:
        >>> with quiet():
        ...     float(np.log(np.zeros(1))[0])
        -inf
    """
    return np.errstate(divide="ignore", invalid="ignore")


def normalize_axes(axis: Axis, ndim: int, what: str = "reduction") -> Shape:
    """``axis`` (None, int or tuple, negatives allowed) as sorted positive axes; one out
    of range is a :class:`~tinygrad_nn.errors.DimensionError` naming ``what``.

    Examples:
        >>> normalize_axes(-1, 3), normalize_axes(None, 2), normalize_axes(-1, 0)
        ((2,), (0, 1), ())
    """
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    # as in NumPy and PyTorch, a 0-d array accepts axis 0 and -1
    wrapped = {wrap_dim(what, a, ndim) for a in axes}
    return tuple(sorted(wrapped)) if ndim else ()


def kept_shape(x: Array, axis: Axis) -> Shape:
    """``x.shape`` with the reduced axes kept as size 1 (what ``keepdims=True`` gives).

    Examples:
        >>> kept_shape(np.ones((2, 3)), 1)
        (2, 1)
    """
    axes = normalize_axes(axis, x.ndim)
    return tuple(1 if i in axes else n for i, n in enumerate(x.shape))


def reduced_count(x: Array, axis: Axis) -> int:
    """How many elements of ``x`` each result of a reduction over ``axis`` combines."""
    return math.prod(x.shape[a] for a in normalize_axes(axis, x.ndim))
