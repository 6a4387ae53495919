"""Loss functions, called as ``loss_fn(prediction, target)``; each returns a scalar Tensor.

Prediction and target must have the same shape (CrossEntropy aside): broadcasting a
(4, 1) prediction against a (4,) target would silently compare every pair, a classic
bug, so it is refused with both shapes in the message.

Examples:
    >>> import numpy as np
    >>> import tinygrad_nn as tg
    >>> from tinygrad_nn import nn
    >>> nn.SSE()(tg.Tensor([[0.5], [1.0]]), np.array([[0.0], [1.0]]))
    Tensor(0.25)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from tinygrad_nn import ops
from tinygrad_nn.nn import loss_functions as F
from tinygrad_nn.nn.module import Module
from tinygrad_nn.tensor import Tensor, apply


class Loss(Module):
    """Base class: checks and converts ``(prediction, target)``, then calls ``forward``."""

    if TYPE_CHECKING:  # Module.__call__ does the work; this only declares the signature

        def __call__(self, prediction: Tensor, target: Any) -> Tensor: ...

    def _same_shape(self, prediction: Tensor, target: Any) -> Tensor:
        return F.checked_target(type(self).__name__, prediction, target)


class SSE(Loss):
    """Sum of squared errors, sum((prediction - target)**2): the seed's loss.

    Examples:
        >>> import tinygrad_nn as tg
        >>> SSE()(tg.Tensor([1.0, 2.0]), [0.0, 0.0])
        Tensor(5.)
    """

    def forward(self, prediction: Tensor, target: Any) -> Tensor:
        return apply(ops.SquaredError(), prediction, self._same_shape(prediction, target))


class MSE(Loss):
    """Mean squared error, mean((prediction - target)**2), as PyTorch's MSELoss.

    Examples:
        >>> import tinygrad_nn as tg
        >>> MSE()(tg.Tensor([1.0, 2.0]), [0.0, 0.0])
        Tensor(2.5)
    """

    def forward(self, prediction: Tensor, target: Any) -> Tensor:
        target = self._same_shape(prediction, target)
        # A Python float, not the element count (an int): an int divisor would be an int64
        # array, and float32 / int64 is float64, in the loss and inside backward.
        count = float(max(int(prediction.size), 1))
        return apply(ops.SquaredError(), prediction, target) / count


class BCE(Loss):
    """Binary cross-entropy of probabilities (after a sigmoid), as PyTorch's BCELoss.

    Examples:
        >>> import tinygrad_nn as tg
        >>> round(BCE()(tg.Tensor([0.5]), [1.0]).item(), 4)
        0.6931
    """

    def forward(self, prediction: Tensor, target: Any) -> Tensor:
        target = self._same_shape(prediction, target)
        for what, values in (("prediction", prediction), ("target", target)):
            F.check_probabilities("BCE", what, values, "apply a sigmoid to logits first")
        return apply(ops.BinaryCrossEntropy(), prediction, target).mean()


class CrossEntropy(Loss):
    """Cross-entropy of logits (N, C) against integer class labels (N,), averaged.

    Computed as ``-mean(log_softmax(logits)[i, label_i])``, which never overflows.

    Examples:
        >>> import numpy as np
        >>> import tinygrad_nn as tg
        >>> round(CrossEntropy()(tg.Tensor([[0.0, 0.0]]), np.array([1])).item(), 4)
        0.6931
    """

    def forward(self, prediction: Tensor, target: Any) -> Tensor:
        labels = F.host_values(target)
        if prediction.ndim != 2:
            raise ValueError(f"CrossEntropy: logits must have shape (N, C), got {prediction.shape}")
        n, classes = prediction.shape
        if labels.shape != (n,) or labels.dtype.kind not in "iu":
            raise ValueError(
                f"CrossEntropy: labels must be {n} integers (shape ({n},)), got shape "
                f"{labels.shape} with dtype {labels.dtype}"
            )
        if n and (labels.min() < 0 or labels.max() >= classes):
            raise ValueError(
                f"CrossEntropy: labels must be in [0, {classes}), got values from "
                f"{labels.min()} to {labels.max()}"
            )
        picked = prediction.log_softmax(axis=-1)[np.arange(n), labels]
        return -picked.mean()


# ---------------------------------------------------------------- PyTorch's loss modules


class _Reduced(Loss):
    """A PyTorch-style loss module: its settings, then ``F.<loss>(prediction, target, ...)``."""

    def __init__(self, reduction: str = "mean") -> None:
        super().__init__()
        if reduction not in F.REDUCTIONS:
            raise ValueError(f"{type(self).__name__}: reduction must be one of {F.REDUCTIONS}")
        self.reduction = reduction

    def extra_repr(self) -> str:
        return f"reduction={self.reduction!r}"


class MSELoss(_Reduced):
    """Mean squared error, as ``torch.nn.MSELoss``.

    Examples:
        >>> import tinygrad_nn as tg
        >>> MSELoss()(tg.tensor([1.0, 2.0]), [0.0, 0.0]).item()
        2.5
    """

    def forward(self, prediction: Tensor, target: Any) -> Tensor:
        return F.mse_loss(prediction, target, self.reduction)


class L1Loss(_Reduced):
    """Mean absolute error, as ``torch.nn.L1Loss``.

    Examples:
        >>> import tinygrad_nn as tg
        >>> L1Loss(reduction="sum")(tg.tensor([1.0, -2.0]), [0.0, 0.0]).item()
        3.0
    """

    def forward(self, prediction: Tensor, target: Any) -> Tensor:
        return F.l1_loss(prediction, target, self.reduction)


class HuberLoss(_Reduced):
    """Huber loss with threshold ``delta``, as ``torch.nn.HuberLoss``.

    Examples:
        >>> import tinygrad_nn as tg
        >>> HuberLoss(delta=1.0)(tg.tensor([3.0]), [0.0]).item()
        2.5
    """

    def __init__(self, reduction: str = "mean", delta: float = 1.0) -> None:
        super().__init__(reduction)
        self.delta = delta

    def forward(self, prediction: Tensor, target: Any) -> Tensor:
        return F.huber_loss(prediction, target, self.reduction, self.delta)


class SmoothL1Loss(_Reduced):
    """Smooth L1 loss with threshold ``beta``, as ``torch.nn.SmoothL1Loss``.

    Examples:
        >>> import tinygrad_nn as tg
        >>> SmoothL1Loss()(tg.tensor([0.5]), [0.0]).item()
        0.125
    """

    def __init__(self, reduction: str = "mean", beta: float = 1.0) -> None:
        super().__init__(reduction)
        self.beta = beta

    def forward(self, prediction: Tensor, target: Any) -> Tensor:
        return F.smooth_l1_loss(prediction, target, self.reduction, self.beta)


class BCELoss(_Reduced):
    """Binary cross-entropy of probabilities, as ``torch.nn.BCELoss``.

    Examples:
        >>> import tinygrad_nn as tg
        >>> round(BCELoss()(tg.tensor([0.5]), [1.0]).item(), 4)
        0.6931
    """

    def __init__(self, weight: Any = None, reduction: str = "mean") -> None:
        super().__init__(reduction)
        self.weight = weight

    def forward(self, prediction: Tensor, target: Any) -> Tensor:
        return F.binary_cross_entropy(prediction, target, self.weight, self.reduction)


class BCEWithLogitsLoss(_Reduced):
    """Binary cross-entropy of logits, stable at +-1000, as ``torch.nn.BCEWithLogitsLoss``.

    Examples:
        >>> import tinygrad_nn as tg
        >>> round(BCEWithLogitsLoss()(tg.tensor([0.0]), [1.0]).item(), 4)
        0.6931
    """

    def __init__(self, weight: Any = None, reduction: str = "mean", pos_weight: Any = None) -> None:
        super().__init__(reduction)
        self.weight, self.pos_weight = weight, pos_weight

    def forward(self, prediction: Tensor, target: Any) -> Tensor:
        return F.binary_cross_entropy_with_logits(
            prediction, target, self.weight, self.reduction, self.pos_weight
        )


class NLLLoss(_Reduced):
    """Negative log-likelihood of log-probabilities, as ``torch.nn.NLLLoss``.

    Examples:
        >>> import tinygrad_nn as tg
        >>> NLLLoss()(tg.tensor([[-1.0, -2.0]]), [0]).item()
        1.0
    """

    def __init__(
        self, weight: Any = None, ignore_index: int = -100, reduction: str = "mean"
    ) -> None:
        super().__init__(reduction)
        self.weight, self.ignore_index = weight, ignore_index

    def forward(self, prediction: Tensor, target: Any) -> Tensor:
        return F.nll_loss(prediction, target, self.weight, self.ignore_index, self.reduction)


class CrossEntropyLoss(_Reduced):
    """Cross-entropy of logits, as ``torch.nn.CrossEntropyLoss`` (class indices or class
    probabilities as the target; ``weight``, ``ignore_index``, ``label_smoothing``).

    Examples:
        >>> import tinygrad_nn as tg
        >>> round(CrossEntropyLoss(label_smoothing=0.1)(tg.tensor([[0.0, 0.0]]), [1]).item(), 4)
        0.6931
    """

    def __init__(
        self,
        weight: Any = None,
        ignore_index: int = -100,
        reduction: str = "mean",
        label_smoothing: float = 0.0,
    ) -> None:
        super().__init__(reduction)
        self.weight, self.ignore_index = weight, ignore_index
        self.label_smoothing = label_smoothing

    def forward(self, prediction: Tensor, target: Any) -> Tensor:
        return F.cross_entropy(
            prediction, target, self.weight, self.ignore_index, self.reduction, self.label_smoothing
        )


class KLDivLoss(_Reduced):
    """KL divergence of log-probability predictions from a target distribution, as
    ``torch.nn.KLDivLoss`` (see :func:`~tinygrad_nn.nn.loss_functions.kl_div`; use
    ``reduction="batchmean"`` for the mathematical KL).

    Examples:
        >>> import tinygrad_nn as tg
        >>> loss = KLDivLoss(reduction="batchmean", log_target=True)
        >>> loss(tg.tensor([[0.5, 0.5]]).log(), tg.tensor([[0.5, 0.5]]).log()).item()
        0.0
    """

    def __init__(self, reduction: str = "mean", log_target: bool = False) -> None:
        super().__init__("mean" if reduction == "batchmean" else reduction)
        self.reduction, self.log_target = reduction, log_target

    def forward(self, prediction: Tensor, target: Any) -> Tensor:
        return F.kl_div(prediction, target, self.reduction, self.log_target)

    def extra_repr(self) -> str:
        return f"reduction={self.reduction!r}, log_target={self.log_target}"
