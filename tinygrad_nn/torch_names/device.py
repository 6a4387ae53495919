"""``torch.device`` and ``torch.cuda``: where a PyTorch program asks its values to live.

tinygrad_nn's values live in an array library: ``"cpu"`` means NumPy (the default);
``"cuda"`` means CuPy, the GPU array library the backends use
(:mod:`tinygrad_nn.namespace.array_api`, docs/backends.md). A program may name
``torch.device("cuda")`` freely (PyTorch's own idiom is
``torch.device("cuda" if torch.cuda.is_available() else "cpu")``); asking for the array
library behind it without CuPy and a GPU is a ``RuntimeError`` saying so.

The :class:`device` class lives in :mod:`tinygrad_nn.devices` (``Tensor.device`` gives
one); this module is what ``torch.device`` and ``torch.cuda`` answer with.

Examples:
    >>> device("cpu"), str(device("cuda", 1)), device("cpu").library()
    (device(type='cpu'), 'cuda:1', ('numpy', None))
"""

from __future__ import annotations

from tinygrad_nn.devices import cuda_available, cuda_device_count, device

__all__ = ["device", "device_count", "is_available", "manual_seed", "manual_seed_all"]


def device_count() -> int:
    """How many GPUs CuPy sees (0 without CuPy), as ``torch.cuda.device_count``.

    Examples:
        >>> device_count() >= 0
        True
    """
    return cuda_device_count()


def is_available() -> bool:
    """True when ``"cuda"`` works: CuPy is installed and sees a GPU.

    Examples:
        >>> is_available() in (True, False)
        True
    """
    return cuda_available()


def manual_seed(seed: int) -> None:
    """Nothing to seed: tinygrad_nn draws random numbers on the host, with the one
    generator ``torch.manual_seed`` sets, and moves them; there is no CUDA generator.
    (PyTorch, too, ignores this call when CUDA is not available.)

    Examples:
        >>> manual_seed(0)
    """


manual_seed_all = manual_seed
