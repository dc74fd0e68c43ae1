"""The name map between our state_dict and PyTorch's: which key holds which rows of which of our tensors.

Every layer with a PyTorch twin stores its state under PyTorch's names and in PyTorch's layouts — ``Linear``,
``Conv2d``, ``BatchNorm1d/2d`` (with ``running_mean``, ``running_var``, ``num_batches_tracked``), ``LayerNorm``,
``Embedding``, ``RNN``/``LSTM``/``GRU`` (``weight_ih_l0``, gates stacked i, f, g, o / r, z, n), the index names
``"0"``, ``"1"``, … of ``Sequential`` and ``ModuleList`` — so for them the map is the identity. One layer differs
on purpose: ``MultiHeadAttention`` keeps W_Q, W_K, W_V as three ``Linear`` layers (``q_proj``, ``k_proj``,
``v_proj``, easier to read and to hook), where PyTorch's ``MultiheadAttention`` stacks them row-wise:

    in_proj_weight = [W_Q; W_K; W_V]  (3E, E),      in_proj_bias = [b_Q; b_K; b_V]  (3E,)

(when ``kdim`` or ``vdim`` ≠ E PyTorch keeps ``q_proj_weight`` (E, E), ``k_proj_weight`` (E, kdim),
``v_proj_weight`` (E, vdim) apart, with the stacked ``in_proj_bias``); ``out_proj.weight`` / ``out_proj.bias``
have the same names on both sides.

A ``Slot`` is one entry of a state_dict in one layout: its key, shape and dtype, and the ``Piece`` of our tensors
that fill it (rows start:stop of the entry go to one tensor). ``state_slots`` lists them for a module, in our
layout or PyTorch's; loading and saving (``nn/interop.py``) only ever work through slots.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Collection
from dataclasses import dataclass

import numpy as np

from ..backend import to_numpy
from ..tensor import Tensor
from .attention import MultiHeadAttention
from .module import Module


@dataclass(frozen=True)
class Piece:
    """Rows ``start:stop`` (axis 0) of a slot's value are the tensor ``tensor`` (None, None: the whole value)."""

    tensor: Tensor
    start: int | None = None
    stop: int | None = None


@dataclass(frozen=True)
class Slot:
    """One state_dict entry: ``key``, the ``shape`` and ``dtype`` it must have, and the ``pieces`` it fills."""

    key: str
    shape: tuple[int, ...]
    dtype: np.dtype
    pieces: tuple[Piece, ...]

    def gather(self) -> np.ndarray:
        """The entry's value as a host array: our tensors stacked row-wise (one tensor: a copy of it)."""
        arrays = [to_numpy(piece.tensor.data) for piece in self.pieces]
        return np.concatenate(arrays, axis=0) if len(arrays) > 1 else np.array(arrays[0], copy=True)

    def scatter(self, value: np.ndarray) -> list[tuple[Tensor, np.ndarray]]:
        """(tensor, new value) for each piece: the rows of ``value`` that go to it."""
        return [(piece.tensor, value if piece.start is None else value[piece.start : piece.stop])
                for piece in self.pieces]


def _whole(key: str, tensor: Tensor) -> Slot:
    return Slot(key, tuple(tensor.shape), tensor.dtype, (Piece(tensor),))


def _attention_slots(prefix: str, layer: MultiHeadAttention) -> tuple[list[Slot], set[str]]:
    """PyTorch's entries for the q/k/v projections of ``layer``, and the names of the sub-modules they replace."""
    projections = (layer.q_proj, layer.k_proj, layer.v_proj)
    embed = layer.embed_dim
    slots = []
    if layer.kdim == layer.vdim == embed:
        weights = tuple(Piece(p.weight, i * embed, (i + 1) * embed) for i, p in enumerate(projections))
        slots.append(Slot(prefix + "in_proj_weight", (3 * embed, embed), layer.q_proj.weight.dtype, weights))
    else:
        for name, projection in zip(("q", "k", "v"), projections, strict=True):
            slots.append(_whole(f"{prefix}{name}_proj_weight", projection.weight))
    if layer.q_proj.bias is not None:
        biases = tuple(Piece(p.bias, i * embed, (i + 1) * embed) for i, p in enumerate(projections))
        slots.append(Slot(prefix + "in_proj_bias", (3 * embed,), layer.q_proj.bias.dtype, biases))
    return slots, {"q_proj", "k_proj", "v_proj"}


# type → function (key prefix "name.", module) -> (its slots, names of the sub-modules those slots cover).
# A layer whose layout must differ from PyTorch's adds its entry here, with a test in tests/nn/test_interop.py.
TORCH_NAME_MAP: dict[type, Callable[[str, Module], tuple[list[Slot], set[str]]]] = {
    MultiHeadAttention: _attention_slots,  # type: ignore[dict-item]
}

# the keys that only exist in PyTorch's layout of each mapped type (how a loader tells which layout it was given)
TORCH_ONLY_KEYS: dict[type, tuple[str, ...]] = {
    MultiHeadAttention: ("in_proj_weight", "in_proj_bias", "q_proj_weight", "k_proj_weight", "v_proj_weight"),
}


def _mapped_type(module: Module) -> type | None:
    return next((kind for kind in TORCH_NAME_MAP if isinstance(module, kind)), None)


def state_slots(module: Module, torch_layout: bool | Callable[[str, Module], bool] = True) -> list[Slot]:
    """Every entry of ``module``'s state_dict (parameters and persistent buffers), in the order of
    ``state_dict()``: in PyTorch's layout (``torch_layout=True``), in ours (False), or decided per mapped
    sub-module by ``torch_layout(prefix, submodule)``."""
    slots: list[Slot] = []
    covered: set[str] = set()  # names of sub-modules whose state a mapped parent already listed
    for name, child in module.named_modules():
        if name in covered or any(name.startswith(parent + ".") for parent in covered):
            continue
        prefix = f"{name}." if name else ""
        kind = _mapped_type(child)
        use_torch = torch_layout(prefix, child) if callable(torch_layout) else torch_layout
        if kind is not None and use_torch:
            mapped, replaced = TORCH_NAME_MAP[kind](prefix, child)
            slots.extend(mapped)
            covered.update(prefix + sub for sub in replaced)
        for key, param in child._parameters.items():
            if param is not None:
                slots.append(_whole(prefix + key, param))
        for key, buffer in child._buffers.items():
            if buffer is not None and key not in child._non_persistent_buffers:
                slots.append(_whole(prefix + key, buffer))
    return slots


def layout_of(keys: Collection[str]) -> Callable[[str, Module], bool]:
    """Decide, for each mapped sub-module, whether ``keys`` (a state_dict's) use PyTorch's layout for it: they do
    when any key that only PyTorch's layout has is there (e.g. ``"encoder.layers.0.self_attn.in_proj_weight"``)."""
    keys = set(keys)

    def uses_torch(prefix: str, module: Module) -> bool:
        kind = _mapped_type(module)
        return kind is not None and any(prefix + key in keys for key in TORCH_ONLY_KEYS[kind])

    return uses_torch


def torch_state_dict(module: Module) -> OrderedDict[str, np.ndarray]:
    """``module``'s state under PyTorch's names and layouts, as host (NumPy) copies: what
    ``torch_module.load_state_dict`` expects (after ``torch.from_numpy``) and what ``save_safetensors`` writes."""
    return OrderedDict((slot.key, slot.gather()) for slot in state_slots(module, torch_layout=True))
