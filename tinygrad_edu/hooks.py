"""Hooks: your own code called inside the forward and backward passes, with PyTorch's semantics.

    handle = tensor.register_hook(fn)                 fn(grad) → None or a replacement gradient
    handle = module.register_forward_pre_hook(fn)     fn(module, args) → None or replacement args
    handle = module.register_forward_hook(fn)         fn(module, args, output) → None or a replacement output
    handle = module.register_full_backward_hook(fn)   fn(module, grad_input, grad_output) → None or new grad_input
    handle.remove()                                   (or ``with handle: ...`` to remove it at the end of a block)

Gradients reach hooks as Tensors without history, the same kind of object as ``tensor.grad``. A hook must not
change them in place — on NumPy their arrays are read-only — but it may return a new one, which replaces the
gradient from then on (a tensor hook's return is what later ops and ``.grad`` see).

A module's backward hook needs ∂L/∂inputs and ∂L/∂outputs of one call together. The module's tensor inputs and
outputs pass through a ``GradientTap`` — an identity op whose backward hands its gradient to a callback. The
tap on the outputs runs first in the backward pass and records ``grad_output``; the tap on the inputs runs after
every op inside the module and calls the hooks with both (several tensors are packed into one flat array so that
their gradients arrive in one call). Nothing of this exists while no backward hook is registered.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, MutableMapping
from typing import Any

import numpy as np

from .autograd import Function
from .backend import get_array_module
from .grad_mode import is_grad_enabled
from .tensor import Tensor

_next_id = itertools.count()


class RemovableHandle:
    """What every ``register_*hook`` returns: ``handle.remove()`` unregisters the hook (calling it more than once
    is harmless). ``with handle: ...`` removes it when the block ends; calling ``handle()`` also removes it."""

    def __init__(self, registry: MutableMapping[int, Callable], hook: Callable) -> None:
        self.id = next(_next_id)
        self._registry = registry
        registry[self.id] = hook

    def remove(self) -> None:
        self._registry.pop(self.id, None)

    __call__ = remove

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.remove()

    def __repr__(self) -> str:
        state = "active" if self.id in self._registry else "removed"
        return f"RemovableHandle(id={self.id}, {state})"


def _shown(grad: Any) -> Any:
    """A gradient array as hooks see it: a read-only Tensor without history."""
    return Tensor._from_op(read_only(grad), None)


def read_only(grad: Any) -> Any:
    """A view of ``grad`` that cannot be written (NumPy only: CuPy has no read-only arrays)."""
    if not isinstance(grad, np.ndarray):  # CuPy arrays (and NumPy scalars) are passed as they are
        return grad
    view = grad.view()
    view.flags.writeable = False
    return view


# ------------------------------------------------------------------------------------------- module hooks


def call_module(module: Any, args: tuple, kwargs: dict) -> Any:
    """``module(*args, **kwargs)`` with its hooks, in PyTorch's order: forward pre-hooks, the backward hooks'
    taps on the inputs, ``forward``, forward hooks, the taps on the outputs."""
    for hook in list(module._forward_pre_hooks.values()):
        result = hook(module, args)
        if result is not None:
            args = result if isinstance(result, tuple) else (result,)
    call = None
    if module._backward_hooks and is_grad_enabled():
        call = _BackwardHookCall(module, len(args))
        args = call.tap_inputs(args)
    out = module.forward(*args, **kwargs)
    for hook in list(module._forward_hooks.values()):
        result = hook(module, args, out)
        if result is not None:
            out = result
    if call is not None:
        out = call.tap_outputs(out)
    return out


class GradientTap(Function):
    """The identity  z = x  on one or several tensors, whose backward hands ∂L/∂z to a callback.

    Several tensors are packed into one flat array z = concat(x₁.ravel(), x₂.ravel(), …) (in their common dtype)
    so that all their gradients reach the callback together. Backward: ∂L/∂xᵢ = the callback's return for the
    i-th piece of ∂L/∂z (the pieces themselves when it returns them unchanged).
    """

    def forward(self, *arrays: Any, on_grad: Callable[[list[Any]], list[Any]]) -> Any:
        self.on_grad = on_grad
        self.shapes = [a.shape for a in arrays]
        self.dtypes = [a.dtype for a in arrays]
        if len(arrays) == 1:
            return arrays[0]
        xp = get_array_module(arrays[0])
        dtype = xp.result_type(*arrays)
        return xp.concatenate([a.reshape(-1).astype(dtype, copy=False) for a in arrays])

    def backward(self, grad: Any) -> tuple[Any, ...]:
        if len(self.shapes) == 1:
            pieces = [grad]
        else:
            pieces, start = [], 0
            for shape, dtype in zip(self.shapes, self.dtypes, strict=True):
                size = 1
                for n in shape:
                    size *= n
                pieces.append(grad[start : start + size].reshape(shape).astype(dtype, copy=False))
                start += size
        return tuple(self.on_grad(pieces))


def _tap(tensors: list[Tensor], on_grad: Callable[[list[Any]], list[Any]]) -> list[Tensor]:
    """Route ``tensors`` through one GradientTap; return the tensors to use in their place."""
    packed = GradientTap.apply(*tensors, on_grad=on_grad)
    if len(tensors) == 1:
        return [packed]
    out, start = [], 0
    for t in tensors:
        piece = packed[start : start + t.size].reshape(t.shape)
        out.append(piece if piece.dtype == t.dtype else piece.astype(t.dtype))
        start += t.size
    return out


def _flatten(value: Any) -> list[Tensor]:
    """The tensors in a (nested) tuple or list, in order."""
    if isinstance(value, Tensor):
        return [value]
    if isinstance(value, tuple | list):
        return [t for item in value for t in _flatten(item)]
    return []


def _rebuild(value: Any, replacements: dict[int, Tensor]) -> Any:
    """``value`` with every tensor whose id is in ``replacements`` swapped for its replacement."""
    if isinstance(value, Tensor):
        return replacements.get(id(value), value)
    if isinstance(value, tuple | list):
        return type(value)(_rebuild(item, replacements) for item in value)
    return value


class _BackwardHookCall:
    """The state of one call of a module with backward hooks: its taps and the ``grad_output`` they record."""

    def __init__(self, module: Any, n_args: int) -> None:
        self.module = module
        self.n_args = n_args
        self.input_positions: list[int] = []
        self.n_outputs = 0
        self.output_positions: list[int] = []
        self.grad_output: tuple | None = None

    def tap_inputs(self, args: tuple) -> tuple:
        self.input_positions = [i for i, a in enumerate(args) if isinstance(a, Tensor) and a.requires_grad]
        if not self.input_positions:
            return args
        tapped = _tap([args[i] for i in self.input_positions], self._on_grad_input)
        args = list(args)
        for i, t in zip(self.input_positions, tapped, strict=True):
            args[i] = t
        return tuple(args)

    def tap_outputs(self, out: Any) -> Any:
        outputs = _flatten(out)
        self.n_outputs = len(outputs)
        self.output_positions = [i for i, t in enumerate(outputs) if t.requires_grad]
        if not self.output_positions:
            return out
        needing = [outputs[i] for i in self.output_positions]
        tapped = _tap(needing, self._on_grad_output)
        return _rebuild(out, {id(old): new for old, new in zip(needing, tapped, strict=True)})

    def _on_grad_output(self, pieces: list[Any]) -> list[Any]:
        grad_output: list[Any] = [None] * self.n_outputs
        for i, grad in zip(self.output_positions, pieces, strict=True):
            grad_output[i] = _shown(grad)
        self.grad_output = tuple(grad_output)
        if not self.input_positions:  # no input needs a gradient: the hooks run now, with grad_input all None
            self._run_hooks([None] * self.n_args, replaceable=False)
        return pieces

    def _on_grad_input(self, pieces: list[Any]) -> list[Any]:
        grad_input: list[Any] = [None] * self.n_args
        for i, grad in zip(self.input_positions, pieces, strict=True):
            grad_input[i] = grad
        grad_input = self._run_hooks(grad_input, replaceable=True)
        return [grad_input[i] for i in self.input_positions]

    def _run_hooks(self, grad_input: list[Any], replaceable: bool) -> list[Any]:
        name = type(self.module).__name__
        grad_output = self.grad_output if self.grad_output is not None else (None,) * self.n_outputs
        for hook in list(self.module._backward_hooks.values()):
            shown = tuple(None if g is None else _shown(g) for g in grad_input)
            result = hook(self.module, shown, grad_output)
            if result is None:
                continue
            if not replaceable:
                raise RuntimeError(f"a backward hook of {name} returned a grad_input, but no input of the module "
                                   "requires grad: there is nothing to replace (return None)")
            result = list(result) if isinstance(result, tuple | list) else [result]
            if len(result) != len(grad_input):
                raise RuntimeError(f"a backward hook of {name} returned {len(result)} gradients, but grad_input has "
                                   f"{len(grad_input)} (one per positional argument of forward)")
            for i, (new, old) in enumerate(zip(result, grad_input, strict=True)):
                new = new.data if isinstance(new, Tensor) else new
                if (new is None) != (old is None) or (new is not None and new.shape != old.shape):
                    expected = "None" if old is None else f"an array of shape {old.shape}"
                    got = "None" if new is None else f"shape {getattr(new, 'shape', type(new).__name__)}"
                    raise RuntimeError(f"a backward hook of {name} returned {got} for grad_input[{i}]; "
                                       f"expected {expected}")
                result[i] = new
            grad_input = result
        return grad_input
