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

# tg.autograd.grad and tg.optim.SGD resolve after `import tinygrad_edu as tg`, as after `import torch`;
# tensor_methods binds the long tail of Tensor methods
from . import amp, autograd, backend, data, explain, nn, optim, tensor_methods, train, viz  # noqa: F401
from .anomaly import AnomalyError, detect_anomaly, is_anomaly_enabled
from .autograd import Function, OpError
from .backend import get_default_dtype, manual_seed, set_default_dtype, to_numpy
from .creation import arange, eye, full, multinomial, ones, ones_like, rand, randint, randn, tensor, zeros, zeros_like
from .grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .gradcheck import GradcheckError, GradcheckReport, gradcheck, gradgradcheck
from .hooks import RemovableHandle
from .nn.interop import load_safetensors, load_torch_state_dict, save_safetensors
from .serialization import CheckpointError, load, save
from .tensor import Tensor, cat, concatenate, maximum, minimum, split, stack, where

__version__ = "0.1.0"

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
    "autograd", "get_default_dtype", "gradgradcheck", "optim", "set_default_dtype", "set_grad_enabled",
]
