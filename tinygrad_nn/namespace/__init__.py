"""The declared array namespace ``xp`` that op rules are written against, and its NumPy form.

Examples:
    >>> import numpy as np
    >>> numpy_xp.log1p(np.array([0.0]))
    array([0.])
"""

from tinygrad_nn.namespace.declared import EXTRAS, NAMES, ArrayNamespace
from tinygrad_nn.namespace.numpy_xp import NumpyNamespace, numpy_xp

__all__ = ["EXTRAS", "NAMES", "ArrayNamespace", "NumpyNamespace", "numpy_xp"]
