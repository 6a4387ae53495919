"""Neural-network building blocks: modules, layers, activations, losses, initialisers.

Examples:
    >>> from tinygrad_nn import nn
    >>> model = nn.Sequential(nn.Linear(3, 4, bias=False), nn.Sigmoid(),
    ...                       nn.Linear(4, 1, bias=False), nn.Sigmoid())
    >>> [p.shape for p in model.parameters()]
    [(4, 3), (1, 4)]
"""

from tinygrad_nn.nn import functional, init, utils
from tinygrad_nn.nn.activations import (
    ELU,
    GELU,
    Flatten,
    Identity,
    LeakyReLU,
    LogSoftmax,
    SiLU,
    Softplus,
)
from tinygrad_nn.nn.attention import MultiheadAttention
from tinygrad_nn.nn.blocks import BatchNorm1d, BatchNorm2d, Dropout, Embedding, LayerNorm
from tinygrad_nn.nn.containers import ModuleDict, ModuleList
from tinygrad_nn.nn.convolution import (
    AdaptiveAvgPool2d,
    AvgPool2d,
    Conv1d,
    Conv2d,
    MaxPool2d,
)
from tinygrad_nn.nn.layers import LazyLinear, Linear, ReLU, Sequential, Sigmoid, Softmax, Tanh
from tinygrad_nn.nn.lazy import LazyConv1d, LazyConv2d
from tinygrad_nn.nn.loss_modules import (
    BCE,
    MSE,
    SSE,
    BCELoss,
    BCEWithLogitsLoss,
    CrossEntropy,
    CrossEntropyLoss,
    HuberLoss,
    KLDivLoss,
    L1Loss,
    Loss,
    MSELoss,
    NLLLoss,
    SmoothL1Loss,
)
from tinygrad_nn.nn.module import Module, Parameter
from tinygrad_nn.nn.normalization import GroupNorm
from tinygrad_nn.nn.recurrent import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNCell
from tinygrad_nn.nn.transformer import Transformer, TransformerDecoder, TransformerEncoder
from tinygrad_nn.nn.transformer_layers import TransformerDecoderLayer, TransformerEncoderLayer

__all__ = [
    "BCE",
    "ELU",
    "GELU",
    "GRU",
    "LSTM",
    "MSE",
    "RNN",
    "SSE",
    "AdaptiveAvgPool2d",
    "AvgPool2d",
    "BCELoss",
    "BCEWithLogitsLoss",
    "BatchNorm1d",
    "BatchNorm2d",
    "Conv1d",
    "Conv2d",
    "CrossEntropy",
    "CrossEntropyLoss",
    "Dropout",
    "Embedding",
    "Flatten",
    "GRUCell",
    "GroupNorm",
    "HuberLoss",
    "Identity",
    "KLDivLoss",
    "L1Loss",
    "LSTMCell",
    "LayerNorm",
    "LazyConv1d",
    "LazyConv2d",
    "LazyLinear",
    "LeakyReLU",
    "Linear",
    "LogSoftmax",
    "Loss",
    "MSELoss",
    "MaxPool2d",
    "Module",
    "ModuleDict",
    "ModuleList",
    "MultiheadAttention",
    "NLLLoss",
    "Parameter",
    "RNNCell",
    "ReLU",
    "Sequential",
    "SiLU",
    "Sigmoid",
    "SmoothL1Loss",
    "Softmax",
    "Softplus",
    "Tanh",
    "Transformer",
    "TransformerDecoder",
    "TransformerDecoderLayer",
    "TransformerEncoder",
    "TransformerEncoderLayer",
    "functional",
    "init",
    "utils",
]
