"""``torch.accelerator`` and ``torch.backends``: the questions a PyTorch program asks
before it picks a device, and the speed switches it sets.

examples/mnist asks ``torch.accelerator.is_available()`` (and, in older versions,
``torch.backends.mps.is_available()``); nanoGPT sets
``torch.backends.cuda.matmul.allow_tf32 = True``. Here the one accelerator is CUDA
through CuPy (see :mod:`tinygrad_nn.torch_names.device`), there is no MPS, and the
switches are accepted and change nothing: NumPy and CuPy compute float32 and float64 in
full precision, with no TF32 and no cuDNN autotuning.

Examples:
    >>> is_available() == cuda_available(), mps_is_available()
    (True, False)
    >>> matmul.allow_tf32 = True  # accepted; NumPy's matmul is unchanged
"""

from __future__ import annotations

from tinygrad_nn.devices import cuda_available, cuda_device_count, device

__all__ = [
    "current_accelerator",
    "device_count",
    "is_available",
    "matmul",
    "mps_is_available",
]


def is_available() -> bool:
    """True when an accelerator works: CUDA through CuPy, with a GPU
    (``torch.accelerator.is_available``).

    Examples:
        >>> is_available() in (True, False)
        True
    """
    return cuda_available()


def current_accelerator(check_available: bool = False) -> device | None:
    """``torch.device("cuda")`` when tinygrad_nn can run on CUDA (CuPy is installed and,
    with ``check_available=True``, sees a GPU), else None, as
    ``torch.accelerator.current_accelerator``.

    Examples:
        >>> current_accelerator() in (None, device("cuda"))
        True
    """
    if cuda_device_count() == 0 or (check_available and not cuda_available()):
        return None
    return device("cuda")


def device_count() -> int:
    """How many accelerators there are: the GPUs CuPy sees (``torch.accelerator.device_count``).

    Examples:
        >>> device_count() >= 0
        True
    """
    return cuda_device_count()


def mps_is_available() -> bool:
    """False: tinygrad_nn has no Apple MPS backend (``torch.backends.mps.is_available``,
    also its ``is_built``).

    Examples:
        >>> mps_is_available()
        False
    """
    return False


def cudnn_is_available() -> bool:
    """False: there is no cuDNN here (``torch.backends.cudnn.is_available``).

    Examples:
        >>> cudnn_is_available()
        False
    """
    return False


class MatmulSwitches:
    """``torch.backends.cuda.matmul``: the reduced-precision switches, accepted and
    without effect (CuPy's matmul is full precision).

    Examples:
        >>> MatmulSwitches().allow_tf32
        False
    """

    def __init__(self) -> None:
        self.allow_tf32 = False
        self.allow_fp16_reduced_precision_reduction = True
        self.allow_bf16_reduced_precision_reduction = True

    def __repr__(self) -> str:
        return f"<torch.backends.cuda.matmul (tinygrad_nn: no effect): {vars(self)}>"


matmul = MatmulSwitches()

# torch.backends.cudnn's switches, with PyTorch's defaults: a program may set them (each
# installation's torch.backends.cudnn keeps its own); nothing reads them.
cudnn_enabled = True
cudnn_allow_tf32 = True
cudnn_benchmark = False
cudnn_deterministic = False
