"""Which PyTorch names ``install_as_torch()`` answers, and with which tinygrad_nn object.

:data:`PYTORCH` lists, for each PyTorch module, the PyTorch names this project means to
answer, each with where its tinygrad_nn counterpart lives (``"module:attribute"``).
Most are the same name in the matching module (``torch.nn.Linear`` is
``tinygrad_nn.nn:Linear``); PyTorch's functions that are Tensor methods here are the
methods themselves (``torch.exp`` is ``Tensor.exp``). A listed name whose counterpart
does not exist (yet) is *unsupported*: it raises the error that says so, and the table in
docs/pytorch.md shows it as such. The table is made from this mapping
(:func:`table`), and a test checks the page against it.

Left out on purpose, because tinygrad_nn's name of the same spelling means something
else today: ``torch.compile`` (PyTorch's returns a module). ``torch.Size`` is the tuple
that ``x.size()`` returns (:class:`~tinygrad_nn.sizes.Shape`), not tinygrad_nn's
``x.size`` int.

Examples:
    >>> PYTORCH["torch.nn"]["Linear"]
    'tinygrad_nn.nn:Linear'
    >>> resolve("tinygrad_nn.tensor:Tensor.exp") is __import__("tinygrad_nn").Tensor.exp
    True
"""

from __future__ import annotations

import importlib
from typing import Any

from tinygrad_nn.ops.base import CATALOGUE

__all__ = ["MISSING", "PYTORCH", "SUBMODULES", "resolve", "table"]


def _same(source: str, names: str) -> dict[str, str]:
    """Each of ``names`` (space-separated) at the same name in ``source``: a module, or
    ``"module:Class"`` for methods."""
    sep = "." if ":" in source else ":"
    return {name: f"{source}{sep}{name}" for name in names.split()}


HERE = "tinygrad_nn.torch_names"
TENSOR = "tinygrad_nn.tensor:Tensor"

PYTORCH: dict[str, dict[str, str]] = {
    "torch": {
        **_same(
            "tinygrad_nn",
            "Tensor tensor zeros ones full empty eye arange linspace rand randn randint "
            "zeros_like ones_like full_like rand_like randn_like cat concatenate stack where "
            "einsum tensordot outer dot diag trace maximum minimum no_grad enable_grad "
            "set_grad_enabled is_grad_enabled manual_seed save load float32 float64 "
            "multinomial randperm unique meshgrid normal histogram histc bernoulli Generator",
        ),
        **_same(TENSOR, " ".join(CATALOGUE)),  # the catalogued ops' methods (x.exp()...)
        **_same(  # PyTorch's other functions that are Tensor methods in tinygrad_nn
            TENSOR,
            "acos asin atan exp2 "
            "rsqrt square sign floor ceil round neg "
            "reciprocal pow add sub mul div matmul bmm mm sum mean prod std var norm logsumexp "
            "cumsum cumprod argmax argmin amax amin all any sort topk softmax log_softmax "
            "t reshape flatten squeeze unsqueeze permute flip split chunk tril triu gather "
            "masked_fill clamp isnan isinf isfinite numel transpose swapaxes swapdims max min "
            "roll median kthvalue eq ne lt le gt ge greater greater_equal less less_equal "
            "not_equal unbind",
        ),
        "clip": f"{TENSOR}.clamp",  # PyTorch's alias of clamp
        "float": "numpy:float32",  # PyTorch's torch.float is float32 (ours defaults to 64)
        "double": "numpy:float64",
        "half": "numpy:float16",
        "float16": "numpy:float16",
        "int": "numpy:int32",
        "int8": "numpy:int8",
        "int16": "numpy:int16",
        "int32": "numpy:int32",
        "int64": "numpy:int64",
        "long": "numpy:int64",
        "uint8": "numpy:uint8",
        "bool": "numpy:bool_",
        **_same(
            f"{HERE}.torch_only",
            "allclose equal is_tensor get_default_dtype set_default_dtype inference_mode Size",
        ),
        "device": f"{HERE}.device:device",
        **_same(
            f"{HERE}.legacy",
            "FloatTensor DoubleTensor HalfTensor LongTensor IntTensor ShortTensor CharTensor "
            "ByteTensor BoolTensor",
        ),
        "initial_seed": "tinygrad_nn:initial_seed",
        "autocast": f"{HERE}.amp:autocast",
        **_same("tinygrad_nn.creation", "from_numpy as_tensor"),
    },
    "torch.cuda": _same(f"{HERE}.device", "is_available device_count manual_seed manual_seed_all"),
    "torch.amp": _same(f"{HERE}.amp", "GradScaler autocast"),
    "torch.cuda.amp": {
        "GradScaler": f"{HERE}.amp:cuda_GradScaler",
        "autocast": f"{HERE}.amp:cuda_autocast",
    },
    "torch.accelerator": _same(f"{HERE}.backends", "is_available current_accelerator device_count"),
    "torch.backends": {},
    "torch.backends.mps": {
        "is_available": f"{HERE}.backends:mps_is_available",
        "is_built": f"{HERE}.backends:mps_is_available",
    },
    "torch.backends.cuda": {
        "matmul": f"{HERE}.backends:matmul",
        "is_built": f"{HERE}.device:is_available",
    },
    "torch.backends.cudnn": {
        "is_available": f"{HERE}.backends:cudnn_is_available",
        **{
            s: f"{HERE}.backends:cudnn_{s}"
            for s in ["enabled", "allow_tf32", "benchmark", "deterministic"]
        },
    },
    "torch.autograd": {
        "Function": f"{HERE}.autograd_function:Function",
        **_same("tinygrad_nn.autograd", "grad backward"),
        **_same(
            "tinygrad_nn",
            "no_grad enable_grad set_grad_enabled detect_anomaly gradcheck gradgradcheck",
        ),
    },
    "torch.nn": _same(
        "tinygrad_nn.nn",
        "Module Parameter Sequential ModuleList ModuleDict Linear Identity Flatten "
        "ReLU Sigmoid Tanh Softmax ELU GELU LeakyReLU SiLU Softplus Dropout Embedding "
        "LayerNorm BatchNorm1d BatchNorm2d Conv1d Conv2d MaxPool2d AvgPool2d "
        "AdaptiveAvgPool2d MultiheadAttention TransformerEncoderLayer RNN LSTM GRU "
        "RNNCell LSTMCell GRUCell MSELoss L1Loss HuberLoss SmoothL1Loss BCELoss "
        "BCEWithLogitsLoss NLLLoss CrossEntropyLoss "
        "LogSoftmax ReLU6 Hardtanh Mish LogSigmoid Unflatten ParameterList ParameterDict "
        "Transformer TransformerEncoder TransformerDecoder TransformerDecoderLayer "
        "LazyLinear LazyConv1d LazyConv2d "
        "Dropout2d GroupNorm ConvTranspose2d MaxPool1d AvgPool1d KLDivLoss Bilinear PReLU",
    ),
    "torch.nn.functional": _same(
        "tinygrad_nn.nn.functional",
        "relu relu6 hardtanh leaky_relu elu gelu silu softplus logsigmoid mish sigmoid "
        "tanh softmax log_softmax one_hot pad dropout embedding layer_norm batch_norm group_norm "
        "conv1d conv2d max_pool2d avg_pool2d adaptive_avg_pool2d "
        "scaled_dot_product_attention mse_loss l1_loss huber_loss smooth_l1_loss "
        "binary_cross_entropy binary_cross_entropy_with_logits nll_loss cross_entropy "
        "linear normalize cosine_similarity kl_div interpolate unfold max_pool1d "
        "avg_pool1d conv_transpose2d",
    ),
    "torch.nn.init": _same(
        "tinygrad_nn.nn.init",
        "uniform_ normal_ constant_ ones_ zeros_ eye_ xavier_uniform_ xavier_normal_ "
        "kaiming_uniform_ kaiming_normal_ trunc_normal_ orthogonal_ calculate_gain",
    ),
    "torch.nn.utils": _same(
        "tinygrad_nn.nn.utils",
        "clip_grad_norm_ clip_grad_value_ parameters_to_vector vector_to_parameters",
    ),
    "torch.optim": _same(
        "tinygrad_nn.optim",
        "Optimizer SGD Adam AdamW Adagrad RMSprop Adadelta Adamax NAdam RAdam LBFGS",
    ),
    "torch.optim.lr_scheduler": _same(
        "tinygrad_nn.optim.lr_scheduler",
        "LRScheduler StepLR ExponentialLR CosineAnnealingLR LambdaLR MultiStepLR "
        "ReduceLROnPlateau OneCycleLR LinearLR ConstantLR CosineAnnealingWarmRestarts "
        "PolynomialLR MultiplicativeLR CyclicLR SequentialLR ChainedScheduler",
    ),
    "torch.utils": {},
    "torch.utils.data": _same(
        "tinygrad_nn.data",
        "Dataset TensorDataset DataLoader random_split Subset Sampler RandomSampler "
        "SequentialSampler BatchSampler IterableDataset ConcatDataset SubsetRandomSampler "
        "WeightedRandomSampler default_collate default_convert get_worker_info",
    ),
    "torch.serialization": _same(  # nothing is pickled: the safe globals are accepted
        "tinygrad_nn.serialization",
        "save load add_safe_globals get_safe_globals clear_safe_globals safe_globals",
    ),
}

# A module's submodules are its attributes too: torch.nn is an attribute of torch.
SUBMODULES = {name: name.rpartition(".")[0] for name in PYTORCH if "." in name}  # child -> parent

MISSING = object()  # what resolve() gives for a counterpart that does not exist


def resolve(location: str) -> Any:
    """The object at ``"module:attribute.attribute"``, or :data:`MISSING`.

    Examples:
        >>> resolve("tinygrad_nn.nn:NoSuchLayer") is MISSING
        True
    """
    module_name, _, path = location.partition(":")
    value: Any = importlib.import_module(module_name)
    for part in path.split("."):
        value = getattr(value, part, MISSING)
        if value is MISSING:
            return MISSING
    return value


def table() -> str:
    """The Markdown table of PyTorch names by module: what each is, or "not supported".

    One row per module; the module's name is kept on one line (the name lists wrap).

    Examples:
        >>> "`Linear`" in table().split(">torch.nn</code> |")[1].split("|")[0]
        True
    """
    lines = ["| PyTorch module | supported names | not supported (yet) |", "| --- | --- | --- |"]
    for module, names in PYTORCH.items():
        if not names:
            continue
        found = [n for n, where in names.items() if resolve(where) is not MISSING]
        missing = [n for n in names if n not in found]
        shown = ", ".join(f"`{n}`" for n in sorted(found, key=str.lower)) or "none"
        left = ", ".join(f"`{n}`" for n in sorted(missing, key=str.lower)) or "none"
        name = f'<code style="white-space: nowrap">{module}</code>'
        lines.append(f"| {name} | {shown} | {left} |")
    return "\n".join(lines)
