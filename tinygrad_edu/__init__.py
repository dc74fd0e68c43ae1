"""tinygrad_edu: a from-scratch neural-network engine on NumPy/CuPy whose code is the textbook.

    >>> import tinygrad_edu as tg
    >>> x = tg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    >>> (x * x).sum().backward()
    >>> x.grad
    Tensor([2., 4., 6.])

Package map: ``autograd.py`` (the engine: Function, op interceptors, the backward pass), ``tensor.py`` (the
Tensor API), ``ops/`` (one Function per operation), ``backend.py`` (NumPy ↔ CuPy, devices), ``gradcheck.py``
(finite-difference checks), ``kernels/`` (reference, Numba and CUDA kernels, chosen in ``kernels/dispatch.py``);
seeing inside: ``viz/`` (graph and architecture drawings, gradient flow), ``explain/`` (saliency, integrated
gradients, …), ``hooks.py``, ``anomaly.py`` (``detect_anomaly``), ``amp/`` (mixed precision).

Layers (docs/architecture.md): this root re-exports the public API and so imports ``train``, ``viz`` …;
modules below the train layer import the modules they need, never ``tinygrad_edu`` itself.
"""

import os as _os

# How long OpenBLAS's idle threads spin before they sleep: 2^18 cycles, about 0.1 ms, instead of 2^28, about
# 0.1 s. A spinning BLAS thread takes a core from the Numba kernel that follows a matrix product
# (kernels/threads.py has the measurements). OpenBLAS reads the variable when NumPy loads it; where NumPy was
# imported first, it is told to read it again (at the end of the imports). Setting the variable yourself wins.
_os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "18")

import numpy as _np  # noqa: E402

# tg.autograd.grad and tg.optim.SGD resolve after `import tinygrad_edu as tg`, as after `import torch`;
# tensor_methods binds the long tail of Tensor methods
from . import amp, autograd, backend, data, explain, nn, optim, tensor_methods, train, viz  # noqa: F401
from .anomaly import AnomalyError, detect_anomaly, is_anomaly_enabled
from .autograd import Function, OpError
from .backend import get_default_dtype, manual_seed, set_default_dtype, to_numpy
from .creation import (
    arange,
    bernoulli,
    empty,
    empty_like,
    eye,
    full,
    full_like,
    linspace,
    logspace,
    multinomial,
    normal,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randint_like,
    randn,
    randn_like,
    tensor,
    zeros,
    zeros_like,
)
from .grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .gradcheck import GradcheckError, GradcheckReport, gradcheck, gradgradcheck
from .hooks import RemovableHandle
from .nn.interop import load_safetensors, load_torch_state_dict, save_safetensors
from .ops.arith import *  # noqa: F403  (tg.add, tg.exp, tg.sum, ...: issue #18's spellings)
from .ops.arith import __all__ as _arith_names

# gathering, scattering, shape, scans and order (issue #18 groups 3-5)
from .ops.gather import (
    argwhere,
    gather,
    index_add,
    index_fill,
    index_select,
    nonzero,
    scatter,
    scatter_add,
    scatter_reduce,
    take,
    take_along_dim,
)
from .ops.logic import *  # noqa: F403  (tg.logical_and, tg.isnan, tg.tril, ...)
from .ops.logic import __all__ as _logic_names
from .ops.math import *  # noqa: F403  (tg.floor, tg.erf, tg.atan2, ...)
from .ops.math import __all__ as _math_names
from .ops.movement import (
    chunk,
    clone,
    diag,
    diag_embed,
    diagonal,
    flip,
    fliplr,
    flipud,
    meshgrid,
    moveaxis,
    movedim,
    narrow,
    repeat_interleave,
    roll,
    select,
    squeeze,
    swapaxes,
    swapdims,
    t,
    tile,
    unbind,
    unflatten,
)
from .ops.scan import cummax, cummin, cumprod, cumsum, logcumsumexp, prod
from .ops.sort import (
    amax,
    amin,
    aminmax,
    argsort,
    bincount,
    bucketize,
    count_nonzero,
    histc,
    kthvalue,
    median,
    mode,
    msort,
    nanmedian,
    searchsorted,
    sort,
    std_mean,
    topk,
    unique,
    var_mean,
)
from .serialization import CheckpointError, load, save
from .tensor import Tensor, cat, concatenate, maximum, minimum, split, stack, where

# isort: split
# linear algebra, activations, layers (issue 18, groups 8-10)
from . import linalg
from .ops.linalg import (
                         addbmm,
                         addmm,
                         addmv,
                         addr,
                         baddbmm,
                         bmm,
                         cdist,
                         cross,
                         dot,
                         einsum,
                         ger,
                         inner,
                         mm,
                         mv,
                         norm,
                         outer,
                         trace,
                         vdot,
)

# isort: split
from .kernels import threads as _threads

_threads.sync_openblas_thread_timeout()  # NumPy imported first: OpenBLAS has read its environment already

__version__ = "0.1.0"

# dtypes under PyTorch's names (NumPy dtypes): tg.float32 is tg.float, tg.int64 is tg.long, ...
float16 = half = _np.dtype("float16")
float32 = float = _np.dtype("float32")  # noqa: A001
float64 = double = _np.dtype("float64")
int8 = _np.dtype("int8")
uint8 = _np.dtype("uint8")
int16 = short = _np.dtype("int16")
int32 = int = _np.dtype("int32")  # noqa: A001
int64 = long = _np.dtype("int64")
bool = _np.dtype("bool")  # noqa: A001
_DTYPE_NAMES = ["float16", "half", "float32", "float", "float64", "double", "int8", "uint8", "int16", "short",
                "int32", "int", "int64", "long", "bool"]

__all__ = [
    "Function", "GradcheckError", "GradcheckReport", "OpError", "Tensor", "arange", "backend", "cat",
    "concatenate", "enable_grad", "eye", "full", "gradcheck", "is_grad_enabled", "manual_seed", "maximum",
    "minimum", "no_grad", "ones", "ones_like", "rand", "randint", "randn", "split", "stack", "tensor", "to_numpy",
    "where", "zeros", "zeros_like",
    "CheckpointError", "load", "nn", "save",
    "multinomial",
    "data", "train",
    "AnomalyError", "RemovableHandle", "amp", "detect_anomaly", "explain", "is_anomaly_enabled", "viz",
    "load_safetensors", "load_torch_state_dict", "save_safetensors",
    "addbmm", "addmm", "addmv", "addr", "baddbmm", "bmm", "cdist", "cross", "dot", "einsum", "ger", "inner", "linalg",
    "mm", "mv", "norm", "outer", "trace", "vdot",
    "autograd", "get_default_dtype", "gradgradcheck", "optim", "set_default_dtype", "set_grad_enabled",
    "bernoulli", "empty", "empty_like", "full_like", "linspace", "logspace", "normal", "rand_like", "randint_like",
    "randn_like", *_arith_names, *_logic_names, *_math_names, *_DTYPE_NAMES,
    # gathering, scattering, shape, scans and order (issue #18 groups 3-5)
    "argwhere", "gather", "index_add", "index_fill", "index_select", "nonzero", "scatter", "scatter_add",
    "scatter_reduce", "take", "take_along_dim",
    "chunk", "clone", "diag", "diag_embed", "diagonal", "flip", "fliplr", "flipud", "meshgrid", "moveaxis", "movedim",
    "narrow", "repeat_interleave", "roll", "select", "squeeze", "swapaxes", "swapdims", "t", "tile", "unbind",
    "unflatten",
    "cummax", "cummin", "cumprod", "cumsum", "logcumsumexp", "prod",
    "amax", "amin", "aminmax", "argsort", "bincount", "bucketize", "count_nonzero", "histc", "kthvalue", "median",
    "mode", "msort", "nanmedian", "searchsorted", "sort", "std_mean", "topk", "unique", "var_mean",
]
