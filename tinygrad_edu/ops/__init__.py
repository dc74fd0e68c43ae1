"""Every differentiable operation, one ``Function`` class each: ``forward`` and ``backward`` on backend arrays,
the formula in the docstring.

| file | operations |
| --- | --- |
| ``binary.py`` | Add, Sub, Mul, Div, Pow, Maximum, Minimum, Where |
| ``unary.py`` | Neg, Exp, Log, Sqrt, Abs, Sin, Cos, Clip, Cast, ToDevice |
| ``activation.py`` | Tanh, Sigmoid, ReLU, ReLU6, LeakyReLU, GELU, Softmax, LogSoftmax |
| ``reduce.py`` | Sum, Mean, Var, Max, Min, LogSumExp |
| ``matmul.py`` | MatMul, Linear, LinearReLU |
| ``shape.py`` | Reshape, Permute, BroadcastTo, Pad, Concatenate, GetItem, SetItem |
| ``broadcast.py`` | ``unbroadcast``: the broadcast rule backwards, shared by all |
| ``loss.py`` | CrossEntropy, NLLLoss, MSELoss, BinaryCrossEntropy, BinaryCrossEntropyWithLogits |
| ``dropout.py`` | Dropout |
| ``batchnorm.py`` | BatchNorm |
| ``conv.py`` | Conv2d (im2col + one matrix product), Conv2dReLUMaxPool2d |
| ``pool.py`` | MaxPool2d, ReLUMaxPool2d, AvgPool2d, AdaptiveAvgPool2d |
| ``attention.py`` | ScaledDotProductAttention (matrix-product reference, short path or flash kernel) |
| ``embedding.py`` | Embedding (look-up, scatter-add backward) |
| ``layernorm.py`` | LayerNorm |
| ``rnn.py`` | RNNSequence, LSTMSequence, GRUSequence (one op per layer, BPTT in backward) |
| ``gather.py`` | Gather ↔ ScatterAdd, IndexSelect ↔ IndexAdd (adjoint pairs), Scatter, ScatterExtreme, ScatterProd |
| ``movement.py`` | Flip, Roll, Diagonal ↔ DiagonalScatter, Unfold ↔ Fold (im2col/col2im), Clone; pad modes, repeat, … |
| ``scan.py`` | Cumsum, Cumprod, LogCumSumExp, Prod; cummax/cummin (through Gather) |
| ``sort.py`` | sort, topk, kthvalue, median (values = Gather of the indices), amax/amin, var_mean, unique, … |

May import: ``backend``, ``kernels`` (through ``kernels.dispatch``) and the engine (``tensor``); never ``nn``,
``optim``, ``data``, ``train`` or anything above.
"""

from . import promotion  # noqa: F401 (tensor.py uses ops.promotion)
from .activation import GELU, LeakyReLU, LogSoftmax, ReLU, ReLU6, Sigmoid, Softmax, Tanh
from .attention import ScaledDotProductAttention
from .batchnorm import BatchNorm
from .binary import Add, Div, Maximum, Minimum, Mul, Pow, Sub, Where
from .broadcast import unbroadcast
from .conv import Conv2d, Conv2dReLUMaxPool2d
from .dropout import Dropout
from .embedding import Embedding
from .layernorm import LayerNorm
from .loss import BinaryCrossEntropy, BinaryCrossEntropyWithLogits, CrossEntropy, MSELoss, NLLLoss
from .matmul import Linear, LinearReLU, MatMul
from .pool import AdaptiveAvgPool2d, AvgPool2d, MaxPool2d, ReLUMaxPool2d
from .reduce import LogSumExp, Max, Mean, Min, Sum, Var
from .rnn import GRUSequence, LSTMSequence, RNNSequence
from .shape import BroadcastTo, Concatenate, GetItem, Pad, Permute, Reshape, SetItem
from .unary import Abs, Cast, Clip, Cos, Exp, Log, Neg, Sin, Sqrt, ToDevice

__all__ = [
    "Abs", "Add", "BroadcastTo", "Cast", "Clip", "Concatenate", "Cos", "Div", "Exp", "GELU", "GetItem",
    "LeakyReLU", "Linear", "LinearReLU", "Log", "LogSoftmax", "LogSumExp", "MatMul", "Max", "Maximum", "Mean", "Min",
    "Minimum", "Mul", "Neg", "Pad", "Permute", "Pow", "ReLU", "ReLU6", "Reshape", "SetItem", "Sigmoid", "Sin",
    "Softmax", "Sqrt",
    "Sub", "Sum", "Tanh", "ToDevice", "Var", "Where", "unbroadcast",
    "BatchNorm", "BinaryCrossEntropy", "BinaryCrossEntropyWithLogits", "CrossEntropy", "Dropout", "MSELoss",
    "NLLLoss",
    "AdaptiveAvgPool2d", "AvgPool2d", "Conv2d", "Conv2dReLUMaxPool2d", "MaxPool2d", "ReLUMaxPool2d",
    "Embedding", "GRUSequence", "LSTMSequence", "LayerNorm", "RNNSequence", "ScaledDotProductAttention",
]
