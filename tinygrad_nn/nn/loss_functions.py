"""Loss functions with PyTorch's names, arguments and defaults (``F.mse_loss``,
``F.cross_entropy``...); the loss modules of :mod:`tinygrad_nn.nn.loss_modules` call these.

Every loss takes ``reduction``: ``"mean"`` (the default), ``"sum"`` or ``"none"``.
Prediction and target must have the same shape where PyTorch would broadcast them with
a warning (a ``(4, 1)`` prediction against a ``(4,)`` target is a classic bug): that is a
``ValueError`` here.

Examples:
    >>> import tinygrad_nn as tg
    >>> from tinygrad_nn.nn import functional as F
    >>> F.mse_loss(tg.tensor([1.0, 2.0]), tg.tensor([0.0, 0.0])).item()
    2.5
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from tinygrad_nn import ops
from tinygrad_nn.dtypes import dtype_name
from tinygrad_nn.namespace.array_api import is_array, like, to_numpy
from tinygrad_nn.tensor import Tensor, apply

REDUCTIONS = ("mean", "sum", "none")


def checked_target(what: str, prediction: Tensor, target: Any) -> Tensor:
    """``target`` as a Tensor shaped like ``prediction`` (or a clear error)."""
    if not isinstance(prediction, Tensor):
        raise TypeError(f"{what}: the prediction must be a Tensor, got {type(prediction).__name__}")
    if not isinstance(target, Tensor):
        array = np.asarray(target)
        if array.dtype.kind not in "biuf":
            raise TypeError(f"{what}: the target must be numeric, got dtype {array.dtype}")
        data = prediction.array
        if type(data) is np.ndarray:  # host data (NumPy's float64) follows a float32 model
            if data.dtype.kind == "f" and array.dtype != data.dtype:
                array = array.astype(data.dtype)
        elif (dtype := dtype_name(data)).startswith("float"):  # another library's array
            array = array.astype(dtype, copy=False)
        target = Tensor._wrap(like(array, prediction.array))  # in the prediction's library
    if target.shape != prediction.shape:
        raise ValueError(
            f"{what}: prediction has shape {prediction.shape} but target has shape "
            f"{target.shape}; reshape the target to match (broadcasting the two would "
            "compare every prediction with every target)"
        )
    return target


def host_values(values: Any, dtype: Any = None) -> np.ndarray:
    """Host data (labels, class weights, indices, masks) as a NumPy array, from a Tensor,
    another library's array (copied from a GPU if need be), or plain data."""
    array = values.array if isinstance(values, Tensor) else values
    return np.asarray(to_numpy(array) if is_array(array) else array, dtype=dtype)


def check_probabilities(what: str, name: str, values: Tensor, hint: str) -> None:
    """Refuse values outside [0, 1], naming the loss, the argument and the range found.

    Read on the host, since not every array library has ``.min()`` on its arrays.

    Examples:
        >>> import tinygrad_nn as tg
        >>> check_probabilities("BCE", "target", tg.tensor([0.0, 1.0]), "")
    """
    host = host_values(values)
    if host.size and (host.min() < 0 or host.max() > 1):
        raise ValueError(
            f"{what}: every {name} must be a probability in [0, 1], got values from "
            f"{host.min():g} to {host.max():g} ({hint})"
        )


def constant_like(values: Any, input: Tensor) -> Tensor:
    """Class or element weights as a constant in ``input``'s dtype and array library (so a
    float32 model stays float32); a Tensor that requires grad stays itself, for its grad.

    Examples:
        >>> import numpy as np
        >>> import tinygrad_nn as tg
        >>> constant_like([1.0, 2.0], tg.ones(2, dtype=np.float32)).dtype
        dtype('float32')
    """
    if isinstance(values, Tensor) and values.requires_grad:
        return values
    return Tensor._wrap(like(host_values(values, dtype_name(input.array)), input.array))


def reduce(loss: Tensor, reduction: str, what: str = "loss") -> Tensor:
    """Apply ``reduction`` ("mean", "sum" or "none") to an elementwise loss.

    Examples:
        >>> import tinygrad_nn as tg
        >>> reduce(tg.tensor([1.0, 3.0]), "sum").item()
        4.0
    """
    if reduction not in REDUCTIONS:
        raise ValueError(f"{what}: reduction must be one of {REDUCTIONS}, got {reduction!r}")
    return loss.mean() if reduction == "mean" else loss.sum() if reduction == "sum" else loss


def mse_loss(input: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    """(input - target)**2, reduced.

    Examples:
        >>> import tinygrad_nn as tg
        >>> mse_loss(tg.tensor([1.0]), [3.0]).item()
        4.0
    """
    diff = input - checked_target("mse_loss", input, target)
    return reduce(diff * diff, reduction, "mse_loss")


def l1_loss(input: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    """|input - target|, reduced.

    Examples:
        >>> import tinygrad_nn as tg
        >>> l1_loss(tg.tensor([1.0, -1.0]), [0.0, 0.0]).item()
        1.0
    """
    return reduce((input - checked_target("l1_loss", input, target)).abs(), reduction, "l1_loss")


def huber_loss(input: Tensor, target: Any, reduction: str = "mean", delta: float = 1.0) -> Tensor:
    """0.5 d**2 where |d| < delta, else delta (|d| - 0.5 delta), with d = input - target.

    Written as ``c (d - c / 2)`` with ``c = clip(d, -delta, delta)``: the same values and
    slopes, with no branch on the data.

    Examples:
        >>> import tinygrad_nn as tg
        >>> huber_loss(tg.tensor([0.5, 3.0]), [0.0, 0.0], reduction="none").tolist()
        [0.125, 2.5]
    """
    if delta <= 0:
        raise ValueError(f"huber_loss: delta must be positive, got {delta}")
    d = input - checked_target("huber_loss", input, target)
    c = d.clip(-delta, delta)
    return reduce(c * (d - c * 0.5), reduction, "huber_loss")


def smooth_l1_loss(
    input: Tensor, target: Any, reduction: str = "mean", beta: float = 1.0
) -> Tensor:
    """0.5 d**2 / beta where |d| < beta, else |d| - 0.5 beta (Huber divided by beta).

    Examples:
        >>> import tinygrad_nn as tg
        >>> smooth_l1_loss(tg.tensor([0.5, 3.0]), [0.0, 0.0], reduction="none").tolist()
        [0.125, 2.5]
    """
    if beta < 0:
        raise ValueError(f"smooth_l1_loss: beta must not be negative, got {beta}")
    if beta == 0:
        return l1_loss(input, target, reduction)
    return (
        huber_loss(input, target, "none", beta) * (1 / beta)
        if reduction == "none"
        else (
            reduce(huber_loss(input, target, "none", beta), reduction, "smooth_l1_loss")
            * (1 / beta)
        )
    )


def binary_cross_entropy(
    input: Tensor, target: Any, weight: Any = None, reduction: str = "mean"
) -> Tensor:
    """-(t log p + (1 - t) log(1 - p)) for probabilities p; each log at least -100.

    Examples:
        >>> import tinygrad_nn as tg
        >>> round(binary_cross_entropy(tg.tensor([0.5]), [1.0]).item(), 4)
        0.6931
    """
    target = checked_target("binary_cross_entropy", input, target)
    for what, values in (("input", input), ("target", target)):
        check_probabilities(
            "binary_cross_entropy", what, values, "use the _with_logits loss for logits"
        )
    loss = apply(ops.BinaryCrossEntropy(), input, target)
    if weight is not None:
        loss = loss * constant_like(weight, input)
    return reduce(loss, reduction, "binary_cross_entropy")


def binary_cross_entropy_with_logits(
    input: Tensor, target: Any, weight: Any = None, reduction: str = "mean", pos_weight: Any = None
) -> Tensor:
    """Binary cross-entropy of ``sigmoid(input)``, computed from the logits without
    overflow: ``(1 - t) x + (1 + (pos_weight - 1) t) softplus(-x)``.

    Examples:
        >>> import tinygrad_nn as tg
        >>> binary_cross_entropy_with_logits(tg.tensor([1000.0, -1000.0]), [1.0, 0.0]).item()
        0.0
    """
    target = checked_target("binary_cross_entropy_with_logits", input, target)
    softplus_neg = apply(ops.Softplus(1.0, float("inf")), -input)  # log(1 + exp(-x))
    if pos_weight is None:
        loss = (1 - target) * input + softplus_neg
    else:
        scale = target * (constant_like(pos_weight, input) - 1) + 1
        loss = (1 - target) * input + scale * softplus_neg
    if weight is not None:
        loss = loss * constant_like(weight, input)
    return reduce(loss, reduction, "binary_cross_entropy_with_logits")


KL_MEAN_WARNING = (
    "reduction: 'mean' divides the total loss by both the batch size and the support size."
    "'batchmean' divides only by the batch size, and aligns with the KL div math definition."
    "'mean' will be changed to behave the same as 'batchmean' in the next major release."
)


def kl_div(input: Tensor, target: Any, reduction: str = "mean", log_target: bool = False) -> Tensor:
    """KL(target || q) pointwise, for log-probabilities ``input`` (log q) and probabilities
    ``target`` (log-probabilities with ``log_target=True``): ``t (log t - input)``, 0 where
    t is 0 (``exp(t) (t - input)`` for log targets), as ``F.kl_div``. ``"batchmean"`` (the
    mathematical KL) divides the sum by the batch size; ``"mean"`` divides by every
    element, with PyTorch's warning.

    Examples:
        >>> import tinygrad_nn as tg
        >>> q = tg.tensor([[0.5, 0.5]]).log()
        >>> round(kl_div(q, tg.tensor([[1.0, 0.0]]), reduction="batchmean").item(), 4)
        0.6931
    """
    if reduction not in (*REDUCTIONS, "batchmean"):
        raise ValueError(
            f"kl_div: {reduction!r} is not a valid value for reduction (one of 'mean', "
            "'batchmean', 'sum', 'none')"
        )
    target = checked_target("kl_div", input, target)
    if log_target:
        loss = target.exp() * (target - input)
    else:  # t log t with 0 log 0 = 0: the log of 1 where t is 0 (its slope there is 0)
        safe = target + constant_like(host_values(target) == 0, input)
        loss = target * safe.log() - target * input
    if reduction == "batchmean":
        return loss.sum() * (1.0 / input.shape[0]) if input.ndim else loss.sum()
    if reduction == "mean":
        warnings.warn(KL_MEAN_WARNING, UserWarning, stacklevel=2)
    return reduce(loss, reduction, "kl_div")


def _positions_as_rows(
    what: str, input: Tensor, target: Any
) -> tuple[Tensor, np.ndarray, tuple[int, ...]]:
    """(N, C, d1, ...) scores and (N, d1, ...) class indices as PyTorch takes them: as
    (N * d1 * ..., C) rows and their labels, with the (N, d1, ...) shape to give back."""
    labels = host_values(target)
    positions = (input.shape[0], *input.shape[2:])
    if labels.shape != positions or labels.dtype.kind not in "iu":
        raise ValueError(
            f"{what}: target must be class indices of shape {positions} (integers) for an "
            f"input of shape {input.shape}, got shape {labels.shape} with dtype {labels.dtype}"
        )
    classes_last = input.permute(0, *range(2, input.ndim), 1)
    return classes_last.reshape(-1, input.shape[1]), labels.reshape(-1), positions


def _labels(what: str, input: Tensor, target: Any) -> np.ndarray:
    labels = host_values(target)
    if input.ndim not in (1, 2):
        raise ValueError(f"{what}: input must be (N, C) or (C,), got shape {input.shape}")
    batch = input.shape[:-1]
    if labels.shape != batch or labels.dtype.kind not in "iu":
        raise ValueError(
            f"{what}: target must be class indices of shape {batch} (integers), got shape "
            f"{labels.shape} with dtype {labels.dtype}"
        )
    return labels


def nll_loss(
    input: Tensor,
    target: Any,
    weight: Any = None,
    ignore_index: int = -100,
    reduction: str = "mean",
) -> Tensor:
    """-weight[t] * input[t] for log-probabilities ``input`` (N, C) and class indices ``t``
    (N,) (or (N, C, d1, ...) and (N, d1, ...), as PyTorch); ``mean`` divides by the total
    weight of the targets not ignored.

    Examples:
        >>> import tinygrad_nn as tg
        >>> nll_loss(tg.tensor([[-1.0, -2.0]]), [1]).item()
        2.0
    """
    if input.ndim > 2:  # (N, C, d1, ...): one row per position
        rows, flat, positions = _positions_as_rows("nll_loss", input, target)
        loss = nll_loss(rows, flat, weight, ignore_index, reduction)
        return loss.reshape(positions) if reduction == "none" else loss
    labels = _labels("nll_loss", input, target)
    if reduction not in REDUCTIONS:
        raise ValueError(f"nll_loss: reduction must be one of {REDUCTIONS}, got {reduction!r}")
    classes = input.shape[-1]
    flat = labels.reshape(-1)
    kept = flat != ignore_index
    if (flat[kept] < 0).any() or (flat[kept] >= classes).any():
        raise ValueError(f"nll_loss: class indices must be in [0, {classes}), got {flat[kept]}")
    dtype = dtype_name(input.array)
    weights = np.ones(classes, dtype) if weight is None else host_values(weight).astype(dtype)
    # The indices go in as an input of the op (the caller's Tensor itself when it lives
    # where the scores do), so compiled code reads them as an argument.
    same_place = isinstance(target, Tensor) and type(target.array) is type(input.array)
    indices = target if same_place else Tensor._wrap(like(labels, input.array))
    op = ops.NLLLoss(ignore_index, reduction)
    return apply(op, input, indices, Tensor._wrap(like(weights, input.array)))


def cross_entropy(
    input: Tensor,
    target: Any,
    weight: Any = None,
    ignore_index: int = -100,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> Tensor:
    """Cross-entropy of logits (N, C) against class indices (N,) or class probabilities
    (N, C), with PyTorch's ``weight``, ``ignore_index``, ``reduction`` and
    ``label_smoothing``; computed from ``log_softmax``, so it never overflows. The logits
    may be (N, C, d1, ...) too, with indices (N, d1, ...) or probabilities of the logits'
    shape: the classes are axis 1, as in PyTorch (``mean`` over probabilities divides by
    the number of (N, d1, ...) positions).

    Examples:
        >>> import tinygrad_nn as tg
        >>> round(cross_entropy(tg.tensor([[0.0, 0.0]]), [1]).item(), 4)
        0.6931
        >>> cross_entropy(tg.zeros(2, 4, 3), tg.ones(2, 4, 3) / 4, reduction="none").shape
        (2, 3)
    """
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"cross_entropy: label_smoothing must be in [0, 1], got {label_smoothing}")
    if host_values(target).dtype.kind == "f":  # class probabilities
        return _cross_entropy_of_probabilities(input, target, weight, reduction, label_smoothing)
    if input.ndim > 2:  # (N, C, d1, ...) with (N, d1, ...) indices: one row per position
        rows, flat, positions = _positions_as_rows("cross_entropy", input, target)
        loss = cross_entropy(rows, flat, weight, ignore_index, reduction, label_smoothing)
        return loss.reshape(positions) if reduction == "none" else loss
    log_p = input.log_softmax(-1)
    classes = input.shape[-1]
    dtype = dtype_name(input.array)
    weights = (
        None if weight is None else Tensor._wrap(like(host_values(weight, dtype), input.array))
    )
    nll = nll_loss(log_p, target, weight, ignore_index, reduction)
    if label_smoothing == 0:
        return nll
    labels = _labels("cross_entropy", input, target)
    kept_rows = (labels != ignore_index).astype(dtype)
    kept = Tensor._wrap(like(kept_rows, input.array))
    weighted = log_p if weights is None else log_p * weights
    smooth = -weighted.sum(-1) * kept
    if reduction == "mean":
        if weight is None:
            smooth_total = smooth.sum() / max(float(kept_rows.sum()), 1.0)
        else:
            picked = host_values(weight)[np.where(labels != ignore_index, labels, 0)]
            smooth_total = smooth.sum() / float((picked * kept_rows).sum())
    else:
        smooth_total = reduce(smooth, reduction, "cross_entropy")
    return nll * (1 - label_smoothing) + smooth_total * (label_smoothing / classes)


def _cross_entropy_of_probabilities(
    input: Tensor, target: Any, weight: Any, reduction: str, label_smoothing: float
) -> Tensor:
    """``-sum_c weight[c] * smoothed[c] * log_softmax(input)[c]`` over the class axis (0 for
    an unbatched (C,) input, else 1), for each remaining position, then reduced."""
    probabilities = checked_target("cross_entropy", input, target)
    axis = 0 if input.ndim == 1 else 1
    classes = input.shape[axis]
    log_p = input.log_softmax(axis)
    smoothed = probabilities * (1 - label_smoothing) + label_smoothing / classes
    weighted = log_p * smoothed
    if weight is not None:
        weights = constant_like(weight, input)
        if weights.shape != (classes,):
            raise ValueError(
                f"cross_entropy: weight must have one value per class, shape ({classes},), "
                f"got {weights.shape}"
            )
        # (C,) against axis 1 of (N, C, d1, ...): one trailing 1 per axis after the classes
        weighted = weighted * weights.reshape(classes, *([1] * (input.ndim - axis - 1)))
    return reduce(-weighted.sum(axis), reduction, "cross_entropy")
