"""Every differentiable operation, one ``Function`` class each: ``forward`` and ``backward`` on backend arrays,
the formula in the docstring.

| file | operations |
| --- | --- |
| ``binary.py`` | Add, Sub, Mul, Div, Pow, Maximum, Minimum, Where |
| ``unary.py`` | Neg, Exp, Log, Sqrt, Abs, Sin, Cos, Clip, Cast, ToDevice |
| ``activation.py`` | Tanh, Sigmoid, ReLU, LeakyReLU, GELU, Softmax, LogSoftmax |
| ``reduce.py`` | Sum, Mean, Var, Max, Min, LogSumExp |
| ``matmul.py`` | MatMul, Linear |
| ``shape.py`` | Reshape, Permute, BroadcastTo, Pad, Concatenate, GetItem |
| ``broadcast.py`` | ``unbroadcast``: the broadcast rule backwards, shared by all |
"""

from .activation import GELU, LeakyReLU, LogSoftmax, ReLU, Sigmoid, Softmax, Tanh
from .binary import Add, Div, Maximum, Minimum, Mul, Pow, Sub, Where
from .broadcast import unbroadcast
from .matmul import Linear, MatMul
from .reduce import LogSumExp, Max, Mean, Min, Sum, Var
from .shape import BroadcastTo, Concatenate, GetItem, Pad, Permute, Reshape
from .unary import Abs, Cast, Clip, Cos, Exp, Log, Neg, Sin, Sqrt, ToDevice

__all__ = [
    "Abs", "Add", "BroadcastTo", "Cast", "Clip", "Concatenate", "Cos", "Div", "Exp", "GELU", "GetItem",
    "LeakyReLU", "Linear", "Log", "LogSoftmax", "LogSumExp", "MatMul", "Max", "Maximum", "Mean", "Min",
    "Minimum", "Mul", "Neg", "Pad", "Permute", "Pow", "ReLU", "Reshape", "Sigmoid", "Sin", "Softmax", "Sqrt",
    "Sub", "Sum", "Tanh", "ToDevice", "Var", "Where", "unbroadcast",
]
