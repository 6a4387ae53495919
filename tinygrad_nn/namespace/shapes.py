"""Shape facts the engine and the interpreters share: broadcast axes, integer-array indices.

Examples:
    >>> reduced_axes((4, 2, 3), (2, 1))
    (0, 2)
"""

from __future__ import annotations

import numpy as np

from tinygrad_nn.namespace.declared import Index, Shape


def reduced_axes(shape: Shape, target: Shape) -> Shape:
    """Axes of ``shape`` that broadcasting stretched from ``target``: sum these to undo it.

    Examples:
        >>> reduced_axes((2, 3), (3,))
        (0,)
    """
    lead = len(shape) - len(target)
    stretched = tuple(lead + i for i, n in enumerate(target) if n == 1 and shape[lead + i] != 1)
    return tuple(range(lead)) + stretched


def has_integer_array(index: Index) -> bool:
    """True when ``index`` contains an integer array (so a position may repeat).

    Examples:
        >>> has_integer_array((slice(None), np.array([0, 0])))
        True
    """
    parts = index if isinstance(index, tuple) else (index,)
    for part in parts:
        if isinstance(part, list) and np.asarray(part).dtype != np.bool_:
            return True
        if getattr(part, "ndim", 0) and "bool" not in str(part.dtype):  # any library's array
            return True
    return False
