"""``torch.device`` and ``torch.cuda``: where a PyTorch program asks its values to live.

tinygrad_nn's values live in an array library: ``"cpu"`` means NumPy (the default);
``"cuda"`` means CuPy, the GPU array library the backends use
(:mod:`tinygrad_nn.namespace.array_api`, docs/backends.md). A program may name
``torch.device("cuda")`` freely (PyTorch's own idiom is
``torch.device("cuda" if torch.cuda.is_available() else "cpu")``); asking for the array
library behind it without CuPy and a GPU is a ``RuntimeError`` saying so.

Examples:
    >>> device("cpu"), str(device("cuda", 1)), device("cpu").library()
    (device(type='cpu'), 'cuda:1', ('numpy', None))
"""

from __future__ import annotations

from typing import Any

from tinygrad_nn.devices import TYPES, cuda_available, cuda_device_count

__all__ = ["device", "device_count", "is_available", "manual_seed", "manual_seed_all"]


class device:
    """A device: ``device("cpu")``, ``device("cuda")``, ``device("cuda:1")``, ``device("cuda", 1)``.

    It compares equal to another device of the same type and index, and to its string
    (``Tensor.device`` is a string here: ``"cpu"``).

    Examples:
        >>> device("cuda:0") == device("cuda", 0), device("cpu") == "cpu"
        (True, True)
        >>> device("mps")
        Traceback (most recent call last):
        ...
        RuntimeError: torch.device('mps'): tinygrad_nn runs on 'cpu' (NumPy) and 'cuda' (CuPy) only
    """

    __slots__ = ("index", "type")

    def __init__(self, type: Any, index: int | None = None) -> None:
        if isinstance(type, device):
            type, index = type.type, type.index
        text = str(type)
        kind, _, number = text.partition(":")
        if kind not in TYPES or (number and not number.isdigit()):
            raise RuntimeError(
                f"torch.device({text!r}): tinygrad_nn runs on 'cpu' (NumPy) and 'cuda' (CuPy) only"
            )
        if number and index is not None:
            raise RuntimeError(
                f"torch.device({text!r}, {index}): type (string) must not include an index "
                "because index was passed explicitly"
            )
        self.type: str = kind
        self.index: int | None = int(number) if number else index

    def library(self) -> tuple[str, int | None]:
        """The array library and its device number: what ``Tensor.to(library, device)`` takes.

        Raises ``RuntimeError`` for ``"cuda"`` when CuPy or a GPU is missing.
        """
        if self.type == "cpu":
            return "numpy", None
        if not is_available():
            raise RuntimeError(
                f"torch.device({str(self)!r}): tinygrad_nn runs CUDA through CuPy, and CuPy "
                "is not installed or sees no GPU (pip install cupy-cuda12x, and "
                "'tinygrad-nn[backends]'); use 'cpu' (NumPy) instead"
            )
        return "cupy", self.index

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __repr__(self) -> str:
        if self.index is None:
            return f"device(type={self.type!r})"
        return f"device(type={self.type!r}, index={self.index})"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, str):
            return str(self) == other
        if isinstance(other, device):
            return (self.type, self.index) == (other.type, other.index)
        return NotImplemented

    def __hash__(self) -> int:
        return hash((self.type, self.index))


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
