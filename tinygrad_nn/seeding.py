"""The random generator behind initialisers and ``tg.rand``/``tg.randn``: ``tg.manual_seed``.

Examples:
    >>> import tinygrad_nn as tg
    >>> _ = tg.manual_seed(0); a = tg.randn(2)
    >>> _ = tg.manual_seed(0); b = tg.randn(2)
    >>> a.tolist() == b.tolist()
    True
"""

from __future__ import annotations

import numpy as np

_generator = np.random.default_rng()


def manual_seed(seed: int) -> np.random.Generator:
    """Reseed the generator used when none is given (like ``torch.manual_seed``).

    Examples:
        >>> _ = manual_seed(0)
    """
    global _generator
    _generator = np.random.default_rng(seed)
    return _generator


def default_generator() -> np.random.Generator:
    """The generator used when a layer or a random tensor is given no ``rng``."""
    return _generator
