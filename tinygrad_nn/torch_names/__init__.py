"""PyTorch's names for tinygrad_nn's objects: run unmodified PyTorch programs.

- :func:`install_as_torch` makes ``import torch`` answer with tinygrad_nn's own objects
  (the same objects: ``torch.nn.Linear is tinygrad_nn.nn.Linear``);
- :data:`~tinygrad_nn.torch_names.names.PYTORCH` is the mapping, by PyTorch module;
- :class:`Function` is ``torch.autograd.Function`` and :class:`device` is
  ``torch.device``, the two PyTorch classes tinygrad_nn had no counterpart for.

``python -m tinygrad_nn run SCRIPT`` runs a script this way (see ``__main__``). Nothing
is installed by ``import tinygrad_nn``.

Examples:
    >>> import tinygrad_nn as tg
    >>> with tg.install_as_torch():
    ...     import torch
    ...     torch.device("cpu"), torch.cuda.is_available() in (True, False)
    (device(type='cpu'), True)
"""

from tinygrad_nn.torch_names.autograd_function import Function
from tinygrad_nn.torch_names.device import device
from tinygrad_nn.torch_names.install import Installation, install_as_torch
from tinygrad_nn.torch_names.names import PYTORCH, table

__all__ = ["PYTORCH", "Function", "Installation", "device", "install_as_torch", "table"]
