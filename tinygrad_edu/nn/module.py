"""``Module``: the building block of networks, with PyTorch's semantics.

A module holds parameters (the weights that training changes), buffers (state that is not trained, such as a
BatchNorm layer's running statistics) and sub-modules. Assigning one of them to an attribute registers it:

    >>> class Net(Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.hidden = Linear(784, 64)      # a sub-module
    ...         self.scale = Parameter(ones(64))   # a parameter
    ...     def forward(self, x):
    ...         return self.hidden(x).relu() * self.scale

From the registry follow ``parameters()`` (what an optimizer updates), ``state_dict()`` (what a checkpoint
stores, under dotted names such as ``"hidden.weight"``), ``train()`` / ``eval()``, ``to(device or dtype)`` and
the printed layer tree.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, NamedTuple

import numpy as np

from .. import backend
from ..hooks import RemovableHandle, call_module
from ..tensor import Tensor


class Parameter(Tensor):
    """A Tensor that is a trainable weight: it requires grad, and assigning it to a Module attribute registers it.

    ``Parameter(data)`` takes a Tensor (sharing its array, as PyTorch does) or anything ``Tensor`` accepts.
    """

    def __init__(self, data: Any = None, requires_grad: bool = True):
        if data is None:
            data = np.empty(0, dtype=np.float32)
        super().__init__(data.data if isinstance(data, Tensor) else data, requires_grad=requires_grad)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()


class IncompatibleKeys(NamedTuple):
    """What ``load_state_dict(..., strict=False)`` could not load."""

    missing_keys: list[str]
    unexpected_keys: list[str]
    mismatched_shapes: list[tuple[str, tuple[int, ...], tuple[int, ...]]]  # (key, expected shape, given shape)
    mismatched_dtypes: list[tuple[str, str, str]]  # (key, expected dtype, given dtype): float ↔ int, say


class StateDictError(RuntimeError):
    """``load_state_dict`` found missing or unexpected keys, shape or dtype mismatches (all listed in the message,
    each with its fix); nothing was loaded."""


class Module:
    """Base class of every layer and network: subclass it, create sub-modules and parameters in ``__init__``
    (after ``super().__init__()``) and compute the output in ``forward``. Call the module, not ``forward``."""

    training: bool

    def __init__(self) -> None:
        setattr_ = object.__setattr__
        setattr_(self, "training", True)
        setattr_(self, "_parameters", OrderedDict())
        setattr_(self, "_buffers", OrderedDict())
        setattr_(self, "_non_persistent_buffers", set())
        setattr_(self, "_modules", OrderedDict())
        setattr_(self, "_forward_hooks", OrderedDict())
        setattr_(self, "_forward_pre_hooks", OrderedDict())
        setattr_(self, "_backward_hooks", OrderedDict())

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define forward(...)")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self._forward_hooks or self._forward_pre_hooks or self._backward_hooks:
            return call_module(self, args, kwargs)  # hooks.py: the hooks around forward, in PyTorch's order
        return self.forward(*args, **kwargs)

    def register_forward_pre_hook(self, hook: Callable[[Module, tuple], Any]) -> RemovableHandle:
        """Call ``hook(module, args)`` before every forward; a non-None return (a tuple, or one value) replaces
        the positional arguments. Returns a handle whose ``remove()`` unregisters the hook."""
        return RemovableHandle(self._forward_pre_hooks, hook)

    def register_forward_hook(self, hook: Callable[[Module, tuple, Any], Any]) -> RemovableHandle:
        """Call ``hook(module, args, output)`` after every forward; a non-None return replaces the output.
        Returns a handle whose ``remove()`` (or call) unregisters the hook."""
        return RemovableHandle(self._forward_hooks, hook)

    def register_full_backward_hook(self, hook: Callable[[Module, tuple, tuple], Any]) -> RemovableHandle:
        """Call ``hook(module, grad_input, grad_output)`` when the gradients with respect to the module's inputs
        have been computed: ``grad_input`` holds ∂L/∂input for each positional argument of ``forward`` (None where
        it is not a tensor that requires grad), ``grad_output`` ∂L/∂output for each output tensor. A non-None
        return (a tuple like ``grad_input``) replaces ∂L/∂input. Returns a handle; see tinygrad_edu/hooks.py."""
        return RemovableHandle(self._backward_hooks, hook)

    # ------------------------------------------------------------------------------------- registration

    def __setattr__(self, name: str, value: Any) -> None:
        params = self.__dict__.get("_parameters")
        if isinstance(value, Parameter):
            if params is None:
                raise AttributeError("cannot assign a Parameter before Module.__init__() is called")
            self._forget(name)
            params[name] = value
        elif params is not None and name in params:
            if value is not None:
                raise TypeError(
                    f"cannot assign {type(value).__name__} as parameter '{name}' of {type(self).__name__}: "
                    "wrap it as Parameter(...) (or assign None to remove the weight)"
                )
            params[name] = None
        elif isinstance(value, Module):
            if params is None:
                raise AttributeError("cannot assign a sub-module before Module.__init__() is called")
            self._forget(name)
            self._modules[name] = value
        elif params is not None and name in self._modules:
            if value is not None:
                raise TypeError(f"cannot assign {type(value).__name__} as sub-module '{name}' (Module or None)")
            self._modules[name] = None
        elif params is not None and name in self._buffers:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"cannot assign {type(value).__name__} as buffer '{name}' (Tensor or None)")
            self._buffers[name] = value
        else:
            object.__setattr__(self, name, value)

    def __getattr__(self, name: str) -> Any:
        # only reached when ordinary lookup fails: parameters, buffers and sub-modules live in the registries
        d = self.__dict__
        for registry in ("_parameters", "_buffers", "_modules"):
            found = d.get(registry)
            if found is not None and name in found:
                return found[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name: str) -> None:
        for registry in (self._parameters, self._buffers, self._modules):
            if name in registry:
                del registry[name]
                self._non_persistent_buffers.discard(name)
                return
        object.__delattr__(self, name)

    def _forget(self, name: str) -> None:
        """Remove ``name`` from every registry and the instance dict before it is registered anew."""
        self.__dict__.pop(name, None)
        for registry in (self._parameters, self._buffers, self._modules):
            registry.pop(name, None)
        self._non_persistent_buffers.discard(name)

    def _register(self, registry: dict[str, Any], caller: str, name: str, value: Any, kind: type) -> None:
        """Check ``value`` (a ``kind`` or None) and ``name``, then file it under ``name`` in ``registry`` alone."""
        if value is not None and not isinstance(value, kind):
            raise TypeError(f"{caller}('{name}', ...) needs a {kind.__name__} or None, got {type(value).__name__}")
        self._check_name(name)
        self._forget(name)
        registry[name] = value

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        self._register(self._parameters, "register_parameter", name, param, Parameter)

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        """Register state that is not trained (e.g. running statistics): moved by ``to()``, saved in
        ``state_dict()`` unless ``persistent=False``, never returned by ``parameters()``."""
        self._register(self._buffers, "register_buffer", name, tensor, Tensor)
        if not persistent:
            self._non_persistent_buffers.add(name)

    def add_module(self, name: str, module: Module | None) -> None:
        self._register(self._modules, "add_module", name, module, Module)

    register_module = add_module

    def _check_name(self, name: str) -> None:
        if "_parameters" not in self.__dict__:
            raise AttributeError("call super().__init__() before registering parameters, buffers or modules")
        if not isinstance(name, str) or not name or "." in name:
            raise KeyError(f"invalid name {name!r}: a non-empty string without '.'")

    # ------------------------------------------------------------------------------------------ traversal

    def named_modules(self, prefix: str = "", memo: set[int] | None = None) -> Iterator[tuple[str, Module]]:
        """This module and every sub-module (each once), with dotted names; the root's name is ``prefix``."""
        memo = set() if memo is None else memo
        if id(self) in memo:
            return
        memo.add(id(self))
        yield prefix, self
        for name, child in self._modules.items():
            if child is not None:
                yield from child.named_modules(f"{prefix}.{name}" if prefix else name, memo)

    def modules(self) -> Iterator[Module]:
        for _, module in self.named_modules():
            yield module

    def named_children(self) -> Iterator[tuple[str, Module]]:
        seen: set[int] = set()
        for name, child in self._modules.items():
            if child is not None and id(child) not in seen:
                seen.add(id(child))
                yield name, child

    def children(self) -> Iterator[Module]:
        for _, child in self.named_children():
            yield child

    def _named_members(self, registry: str, prefix: str, recurse: bool) -> Iterator[tuple[str, Tensor]]:
        seen: set[int] = set()
        modules = self.named_modules(prefix) if recurse else [(prefix, self)]
        for module_name, module in modules:
            for name, value in getattr(module, registry).items():
                if value is None or id(value) in seen:
                    continue
                seen.add(id(value))  # a weight shared by two layers is listed (and updated) once
                yield (f"{module_name}.{name}" if module_name else name), value

    def named_parameters(self, prefix: str = "", recurse: bool = True) -> Iterator[tuple[str, Parameter]]:
        """``("hidden.weight", Parameter)`` pairs of this module and (with ``recurse``) all sub-modules."""
        return self._named_members("_parameters", prefix, recurse)  # type: ignore[return-value]

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        for _, param in self.named_parameters(recurse=recurse):
            yield param

    def named_buffers(self, prefix: str = "", recurse: bool = True) -> Iterator[tuple[str, Tensor]]:
        return self._named_members("_buffers", prefix, recurse)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        for _, buffer in self.named_buffers(recurse=recurse):
            yield buffer

    def get_submodule(self, target: str) -> Module:
        """The sub-module at a dotted path such as ``"encoder.layers.0"`` (``""`` is this module)."""
        module: Module = self
        for part in target.split(".") if target else []:
            child = module._modules.get(part)
            if child is None:
                raise AttributeError(f"{type(module).__name__} has no sub-module '{part}' (looking up '{target}')")
            module = child
        return module

    def apply(self, fn: Callable[[Module], Any]) -> Module:
        """Call ``fn`` on every sub-module (children first) and then on this module, e.g. to initialise weights."""
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    # -------------------------------------------------------------------------------------- modes, grads

    def train(self, mode: bool = True) -> Module:
        """Training mode (Dropout drops, BatchNorm uses batch statistics) for this module and all sub-modules;
        modules frozen with ``freeze()`` stay in evaluation mode."""
        if not isinstance(mode, bool):
            raise TypeError(f"train(mode) expects a bool, got {type(mode).__name__}")
        for module in self.modules():
            object.__setattr__(module, "training", mode and not module.__dict__.get("frozen", False))
        return self

    def eval(self) -> Module:
        """Evaluation mode: the same as ``train(False)``."""
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        """Freeze (``False``) or unfreeze every parameter."""
        for param in self.parameters():
            param.requires_grad_(requires_grad)
        return self

    def freeze(self) -> Module:
        """Ours (PyTorch has no ``freeze``): ``requires_grad_(False)`` on every parameter (gradients cleared to
        None), and this module and its sub-modules kept in evaluation mode, even when ``train()`` is called on a
        model that contains them.

        Why evaluation mode: a frozen backbone's BatchNorm layers must go on normalising with the running
        statistics of the data they were trained on (the source domain), which the weights after them expect;
        in training mode they would instead use — and overwrite their running averages with — the statistics
        of each small batch of the new data, noisy for a batch of 32 and from another domain. It is Keras'
        ``base_model.trainable = False`` with ``base_model(x, training=False)``, and in PyTorch the idiom
        ``backbone.requires_grad_(False)`` plus ``backbone.eval()`` after every ``model.train()``.
        """
        for module in self.modules():
            object.__setattr__(module, "frozen", True)
            object.__setattr__(module, "training", False)
        self.zero_grad()  # .grad = None: an optimizer skips these parameters from now on
        return self.requires_grad_(False)

    def unfreeze(self) -> Module:
        """Ours: undo ``freeze()`` — parameters trainable again, and ``train()`` reaches these modules again."""
        for module in self.modules():
            object.__setattr__(module, "frozen", False)
        return self.requires_grad_(True)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear every parameter's gradient: to None (the default, as PyTorch) or to zeros in place."""
        for param in self.parameters():
            if set_to_none or param.grad is None:
                param.grad = None
            else:
                param.grad.data.fill(0)
                param.grad._version += 1

    # ------------------------------------------------------------------------------- devices and dtypes

    def to(self, device_or_dtype: Any = None, *, device: str | None = None, dtype: Any = None) -> Module:
        """Move (``"cpu"``, ``"cuda"``) or convert (``"float64"``, ``np.float32``) every parameter and buffer,
        in place: the Parameter objects stay the same, so an optimizer holding them keeps working.

        A dtype change applies to floating-point parameters and buffers only (integer counters stay integers).
        """
        if device_or_dtype is not None:
            if backend.is_device_name(device_or_dtype):
                device = device_or_dtype
            else:
                dtype = device_or_dtype
        target_device = backend.normalize_device(device) if device is not None else None
        target_dtype = np.dtype(dtype) if dtype is not None else None
        if target_dtype is not None and not np.issubdtype(target_dtype, np.floating):
            raise TypeError(f"Module.to(dtype={target_dtype}): modules can only be converted to floating dtypes")

        def convert(array: Any) -> Any:
            if target_device is not None:
                array = backend.to_device(array, target_device)
            if target_dtype is not None and np.issubdtype(array.dtype, np.floating):
                array = array.astype(target_dtype, copy=False)
            return array

        for module in self.modules():
            for tensor in [*module._parameters.values(), *module._buffers.values()]:
                if tensor is None:
                    continue
                tensor.data = convert(tensor.data)
                if tensor.grad is not None:
                    tensor.grad.data = convert(tensor.grad.data)
        return self

    def double(self) -> Module:
        return self.to(dtype=np.float64)

    def float(self) -> Module:
        return self.to(dtype=np.float32)

    def cpu(self) -> Module:
        return self.to(device="cpu")

    def cuda(self) -> Module:
        return self.to(device="cuda")

    # ----------------------------------------------------------------------------------- checkpoints

    def state_dict(self, prefix: str = "", keep_vars: bool = False) -> OrderedDict[str, Tensor]:
        """Every parameter and persistent buffer under its dotted name, e.g. ``"0.weight"``,
        ``"1.running_mean"``. The values share memory with the module (as PyTorch); ``keep_vars=False``
        detaches them from the graph. Save it with ``tinygrad_edu.save`` (a checkpoint) or ``save_safetensors`` (for
        PyTorch)."""
        state: OrderedDict[str, Tensor] = OrderedDict()
        for module_name, module in self.named_modules(prefix.rstrip(".")):
            dotted = f"{module_name}." if module_name else ""
            for name, param in module._parameters.items():
                if param is not None:
                    state[dotted + name] = param if keep_vars else param.detach()
            for name, buffer in module._buffers.items():
                if buffer is not None and name not in module._non_persistent_buffers:
                    state[dotted + name] = buffer if keep_vars else buffer.detach()
        return state

    def load_state_dict(self, state_dict: Mapping[str, Any] | str | os.PathLike,
                        strict: bool = True) -> IncompatibleKeys:
        """Copy values into the parameters and buffers of the same name, in place, converted to their dtype and
        device. The values may be Tensors, NumPy/CuPy arrays or PyTorch tensors: a PyTorch model's
        ``state_dict()`` loads as it is, its ``MultiheadAttention`` keys (``in_proj_weight``, …) included
        (``nn/torch_layout.py``). A path loads a ``.safetensors`` file (``nn/interop.py``).

        Every problem is collected first: missing keys, unexpected keys, shape mismatches and dtype mismatches (a
        float for an integer buffer, say). With ``strict=True`` any of them raises one ``StateDictError`` listing
        them all with their fixes, and nothing is changed; with ``strict=False`` the keys that fit are loaded and
        the problems are returned.
        """
        from .interop import load_state  # here: interop imports the layers, which import this module

        return load_state(self, state_dict, strict)

    def save_safetensors(self, path: str | os.PathLike, metadata: Mapping[str, str] | None = None) -> None:
        """Write the state_dict to a ``.safetensors`` file, atomically, under PyTorch's names and layouts, so that
        ``torch_model.load_state_dict(safetensors.torch.load_file(path))`` loads it into the same architecture
        (needs the optional ``safetensors`` package; no pickle)."""
        from .interop import save_safetensors

        save_safetensors(self, path, metadata)

    # ------------------------------------------------------------------------------------------- repr

    def extra_repr(self) -> str:
        """The arguments shown inside the parentheses of this module's repr line."""
        return ""

    def __repr__(self) -> str:
        lines = []
        for name, child in self._modules.items():
            child_repr = repr(child).replace("\n", "\n  ")
            lines.append(f"  ({name}): {child_repr}")
        extra = self.extra_repr()
        if not lines:
            return f"{type(self).__name__}({extra})"
        head = f"{type(self).__name__}({extra}" if extra else f"{type(self).__name__}("
        return head + "\n" + "\n".join(lines) + "\n)"

    def __dir__(self) -> list[str]:
        return sorted({*super().__dir__(), *self._parameters, *self._buffers, *self._modules})




# ------------------------------------------------------------------------------------------- containers


class Identity(Module):
    """Returns its input unchanged (a placeholder, e.g. to remove a layer from a network)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:  # accepts and ignores arguments, as PyTorch's
        super().__init__()

    def forward(self, input: Any) -> Any:  # noqa: A002 (PyTorch's argument name)
        return input


class Sequential(Module):
    """Modules applied one after another: ``Sequential(Linear(784, 64), ReLU(), Linear(64, 10))``; the output of
    each is the input of the next. Sub-modules are named "0", "1", … (or by an ``OrderedDict``'s keys)."""

    def __init__(self, *modules: Module | Mapping[str, Module]) -> None:
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], Mapping):
            for name, module in modules[0].items():
                self.add_module(name, module)
        else:
            for index, module in enumerate(modules):
                self.add_module(str(index), module)  # type: ignore[arg-type]

    def forward(self, input: Any) -> Any:  # noqa: A002
        from .fusion import run_layers  # fusion.py builds on the layers, which build on this module

        return run_layers(list(self._modules.values()), input)  # a fusable run of layers as one op (fusion.py)

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return Sequential(OrderedDict(list(self._modules.items())[index]))
        return list(self._modules.values())[_checked_index(index, len(self), "Sequential")]

    def __setitem__(self, index: int, module: Module) -> None:
        key = list(self._modules)[_checked_index(index, len(self), "Sequential")]
        self.add_module(key, module)

    def append(self, module: Module) -> Sequential:
        self.add_module(str(len(self)), module)
        return self


class ModuleList(Module):
    """A list of modules whose parameters are registered (a plain Python list would hide them)."""

    def __init__(self, modules: Iterable[Module] | None = None) -> None:
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return ModuleList(list(self._modules.values())[index])
        return self._modules[str(_checked_index(index, len(self), "ModuleList"))]

    def __setitem__(self, index: int, module: Module) -> None:
        self.add_module(str(_checked_index(index, len(self), "ModuleList")), module)

    def append(self, module: Module) -> ModuleList:
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules: Iterable[Module]) -> ModuleList:
        for module in modules:
            self.append(module)
        return self

    def insert(self, index: int, module: Module) -> None:
        items = list(self._modules.values())
        items.insert(index, module)
        self._modules.clear()
        for i, item in enumerate(items):
            self.add_module(str(i), item)


class ModuleDict(Module):
    """A dict of modules whose parameters are registered, keeping insertion order."""

    def __init__(self, modules: Mapping[str, Module] | Iterable[tuple[str, Module]] | None = None) -> None:
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key: str) -> Module:
        return self._modules[key]

    def __setitem__(self, key: str, module: Module) -> None:
        self.add_module(key, module)

    def __delitem__(self, key: str) -> None:
        del self._modules[key]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[str]:
        return iter(self._modules)

    def __contains__(self, key: object) -> bool:
        return key in self._modules

    def keys(self) -> Iterable[str]:
        return self._modules.keys()

    def values(self) -> Iterable[Module]:
        return self._modules.values()

    def items(self) -> Iterable[tuple[str, Module]]:
        return self._modules.items()

    def update(self, modules: Mapping[str, Module] | Iterable[tuple[str, Module]]) -> None:
        pairs = modules.items() if isinstance(modules, Mapping) else modules
        for key, module in pairs:
            self.add_module(key, module)


def _checked_index(index: int, length: int, owner: str) -> int:
    if not -length <= index < length:
        raise IndexError(f"index {index} is out of range for a {owner} of {length} modules")
    return index % length


def add_weight_and_bias(module: Module, weight_shape: tuple[int, ...], bias: bool, device: Any = None,
                        dtype: Any = None) -> None:
    """Register ``module.weight`` of ``weight_shape`` and ``module.bias`` (one per output unit, or None),
    uninitialised, on ``device`` (default: the current backend) in ``dtype`` (default float32)."""
    xp = backend.array_module(None if device is None else backend.normalize_device(device))
    dtype = np.dtype(np.float32 if dtype is None else dtype)
    module.weight = Parameter(xp.empty(weight_shape, dtype=dtype))
    if bias:
        module.bias = Parameter(xp.empty(weight_shape[0], dtype=dtype))
    else:
        module.register_parameter("bias", None)
