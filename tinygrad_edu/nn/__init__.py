"""Neural-network layers, losses and initialisation with PyTorch's names and layouts.

    >>> from tinygrad_edu import nn
    >>> import tinygrad_edu.nn.functional as F
    >>> model = nn.Sequential(nn.Linear(784, 64), nn.ReLU(), nn.Linear(64, 10))
    >>> loss = F.cross_entropy(model(x), labels)

| file | contents |
| --- | --- |
| ``module.py`` | Module, Parameter, Sequential, ModuleList, ModuleDict, Identity |
| ``linear.py`` | Linear, DropConnect, Flatten |
| ``activation.py`` | ReLU, ReLU6, LeakyReLU, Sigmoid, Tanh, GELU, Softmax, LogSoftmax |
| ``dropout.py`` | Dropout |
| ``batchnorm.py`` | BatchNorm1d, BatchNorm2d |
| ``conv.py`` | Conv2d |
| ``pooling.py`` | MaxPool2d, AvgPool2d, AdaptiveAvgPool2d |
| ``loss.py`` | MSELoss, L1Loss, CrossEntropyLoss, NLLLoss, BCELoss, BCEWithLogitsLoss |
| ``functional.py`` | the same as functions (``F``), and the losses |
| ``init.py`` | weight initialisation (Xavier, Kaiming, …) |
| ``summary.py`` | ``summary(model, input_shape)``: layers, output shapes, parameter counts |
| ``embedding.py`` | Embedding |
| ``rnn.py`` | RNN, LSTM, GRU, RNNCell, LSTMCell, GRUCell |
| ``layernorm.py`` | LayerNorm |
| ``attention.py`` | MultiHeadAttention (and ``F.scaled_dot_product_attention``) |
| ``transformer.py`` | PositionalEncoding, TransformerEncoderLayer, TransformerEncoder (LM on top: ``models``) |
| ``interop.py`` | save_safetensors, load_safetensors, load_torch_state_dict: weights to and from PyTorch |
| ``torch_layout.py`` | the name map between PyTorch's state_dict keys and ours, torch_state_dict |

Other parts of the project add their layers here: import them below and add the names to ``__all__``.

May import: the engine (``tensor``, ``ops``, ``grad_mode``, ``serialization``, …), ``backend``; never ``train``,
``models``, ``demo`` or ``bench``. Whole networks live in ``models``.
"""

from .. import serialization
from . import functional, init, utils
from .activation import GELU, LeakyReLU, LogSoftmax, ReLU, ReLU6, Sigmoid, Softmax, Tanh
from .attention import MultiHeadAttention
from .batchnorm import BatchNorm1d, BatchNorm2d
from .conv import Conv2d
from .dropout import Dropout
from .embedding import Embedding
from .interop import load_safetensors, load_torch_state_dict, save_safetensors
from .layernorm import LayerNorm
from .linear import DropConnect, Flatten, Linear
from .loss import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, L1Loss, MSELoss, NLLLoss
from .module import (
    Identity,
    IncompatibleKeys,
    Module,
    ModuleDict,
    ModuleList,
    Parameter,
    Sequential,
    StateDictError,
)
from .pooling import AdaptiveAvgPool2d, AvgPool2d, MaxPool2d
from .rnn import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNCell
from .summary import SummaryTable, summary
from .torch_layout import torch_state_dict
from .transformer import PositionalEncoding, TransformerEncoder, TransformerEncoderLayer

# issue 18: more activations, losses and layers
# isort: split
from .activation_more import (
    CELU,
    ELU,
    GLU,
    SELU,
    CosineEmbeddingLoss,
    CosineSimilarity,
    Dropout1d,
    Dropout2d,
    Hardshrink,
    Hardsigmoid,
    Hardswish,
    Hardtanh,
    HuberLoss,
    LogSigmoid,
    Mish,
    PairwiseDistance,
    PReLU,
    SiLU,
    SmoothL1Loss,
    Softmin,
    Softplus,
    Softshrink,
    Softsign,
    Tanhshrink,
    Threshold,
    Upsample,
    UpsamplingBilinear2d,
    UpsamplingNearest2d,
)
from .layers_more import (
    AvgPool1d,
    Conv1d,
    ConvTranspose1d,
    ConvTranspose2d,
    GroupNorm,
    InstanceNorm1d,
    InstanceNorm2d,
    MaxPool1d,
    PixelShuffle,
    PixelUnshuffle,
    Unflatten,
)

serialization.register_tensor_kind("parameter", Parameter)  # tg.save / tg.load keep a Parameter a Parameter

__all__ = [
    "BCELoss", "BCEWithLogitsLoss", "BatchNorm1d", "BatchNorm2d", "CrossEntropyLoss", "DropConnect", "Dropout",
    "Flatten", "GELU", "Identity", "IncompatibleKeys", "L1Loss", "LeakyReLU", "Linear", "LogSoftmax", "MSELoss",
    "Module", "ModuleDict", "ModuleList", "NLLLoss", "Parameter", "ReLU", "ReLU6", "Sequential", "Sigmoid", "Softmax",
    "StateDictError", "SummaryTable", "Tanh", "functional", "init", "summary", "utils",
    "AdaptiveAvgPool2d", "AvgPool2d", "Conv2d", "MaxPool2d",
    "Embedding", "GRU", "GRUCell", "LSTM", "LSTMCell", "LayerNorm", "MultiHeadAttention",
    "PositionalEncoding", "RNN", "RNNCell", "TransformerEncoder", "TransformerEncoderLayer",
    "load_safetensors", "load_torch_state_dict", "save_safetensors", "torch_state_dict",
    "CELU", "ELU", "GLU", "SELU", "CosineEmbeddingLoss", "CosineSimilarity", "Dropout1d", "Dropout2d", "Hardshrink",
    "Hardsigmoid", "Hardswish", "Hardtanh", "HuberLoss", "LogSigmoid", "Mish", "PairwiseDistance", "PReLU", "SiLU",
    "SmoothL1Loss", "Softmin", "Softplus", "Softshrink", "Softsign", "Tanhshrink", "Threshold", "Upsample",
    "UpsamplingBilinear2d", "UpsamplingNearest2d",
    "AvgPool1d", "Conv1d", "ConvTranspose1d", "ConvTranspose2d", "GroupNorm", "InstanceNorm1d", "InstanceNorm2d",
    "MaxPool1d", "PixelShuffle", "PixelUnshuffle", "Unflatten",
]
