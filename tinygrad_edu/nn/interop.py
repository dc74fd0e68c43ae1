"""Weights that travel: PyTorch state_dicts and safetensors files into and out of our modules, without pickle.

    >>> model.save_safetensors("model.safetensors")                     # PyTorch's names and layouts
    >>> torch_model.load_state_dict(safetensors.torch.load_file("model.safetensors"))   # on the PyTorch side
    >>> tg.load_torch_state_dict(model, torch_model.state_dict())       # or a path to a .safetensors file
    >>> model.load_state_dict("model.safetensors")                      # the same, through the usual method

**safetensors** (the format of the Hugging Face hub) is a flat file: an 8-byte little-endian header length N,
N bytes of JSON ``{key: {"dtype", "shape", "data_offsets": [begin, end]}}``, then the raw bytes of every tensor
(C order, little-endian), tensor k at bytes 8 + N + begin_k … 8 + N + end_k with end_k − begin_k = ∏shape_k ·
itemsize. Reading it runs no code (a pickle-based ``torch.save`` file can). We read and write it with the
``safetensors`` package's NumPy API (an optional extra: ``pip install 'tinygrad_edu[safetensors]'``); the write
is atomic (``serialization.atomic_write``).

Loading validates everything before it changes anything: missing keys, unexpected keys, shape and dtype
mismatches are all listed in one ``StateDictError`` (the key, both shapes or dtypes, and the fix), and the model is
left untouched. The name map between PyTorch's keys and ours is in ``nn/torch_layout.py``.
"""

from __future__ import annotations

import json
import os
import struct
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from .. import backend
from ..serialization import CheckpointError, atomic_write
from ..tensor import Tensor
from .module import IncompatibleKeys, Module, StateDictError
from .torch_layout import layout_of, state_slots, torch_state_dict

PathLike = str | os.PathLike
INSTALL_HINT = "pip install 'tinygrad_edu[safetensors]' (or: pip install safetensors)"


def _safetensors_numpy() -> Any:
    try:
        import safetensors.numpy as safetensors_numpy
    except ImportError as error:
        raise ImportError(f"reading and writing .safetensors files needs the safetensors package: {INSTALL_HINT}"
                          ) from error
    return safetensors_numpy


# ------------------------------------------------------------------------------------------------- files


def save_safetensors(module_or_state: Module | Mapping[str, Any], path: PathLike,
                     metadata: Mapping[str, str] | None = None) -> None:
    """Write a module's state (under PyTorch's names and layouts, ``torch_layout.torch_state_dict``) or a
    mapping of names to arrays/Tensors to ``path`` as safetensors, atomically. ``metadata`` (str → str) goes to the
    header's ``__metadata__``, with ``"format": "pt"`` (what Hugging Face's loaders look for)."""
    if isinstance(module_or_state, Module):
        state = torch_state_dict(module_or_state)
    elif isinstance(module_or_state, Mapping):
        state = {key: _as_array(value, key) for key, value in module_or_state.items()}
    else:
        raise TypeError(f"save_safetensors expects a Module or a mapping of names to arrays, got "
                        f"{type(module_or_state).__name__}")
    arrays = {}
    for key, value in state.items():
        array = backend.to_numpy(value)  # host, C order: the file is raw C-order bytes
        if not array.flags.c_contiguous:
            array = np.ascontiguousarray(array)  # (not on a 0-d array: ascontiguousarray makes it shape (1,))
        if array.dtype.byteorder == ">":
            array = array.astype(array.dtype.newbyteorder("<"))  # the format is little-endian
        if array.dtype.hasobject:
            raise CheckpointError(f"cannot save '{key}' to '{path}': dtype object has no safetensors equivalent")
        arrays[key] = array
    header = {"format": "pt", **{str(k): str(v) for k, v in (metadata or {}).items()}}
    payload = _safetensors_numpy().save(arrays, metadata=header)
    atomic_write(path, lambda file: file.write(payload), what="safetensors file")


def load_safetensors(path: PathLike) -> dict[str, np.ndarray]:
    """The arrays of a safetensors file, by key (NumPy, on the host). Never unpickles anything.

    bfloat16 tensors, which NumPy has no dtype for, are widened exactly to float32. Raises ``FileNotFoundError``
    for a missing file and ``CheckpointError`` naming the file for one that is not safetensors (a pickle-based
    ``torch.save`` file, say)."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"safetensors file '{path}' does not exist")
    reader = _safetensors_numpy()
    try:
        return reader.load_file(str(path))
    except TypeError as error:
        if "bfloat16" in str(error):
            return _load_widening_bfloat16(path)
        raise CheckpointError(f"'{path}' cannot be read as safetensors: {error}") from error
    except Exception as error:  # safetensors' own SafetensorError, raised from its Rust core
        raise CheckpointError(f"'{path}' is not a safetensors file, or it is truncated ({error}). A file written by "
                              "torch.save is a pickle: convert it in PyTorch with safetensors.torch.save_file"
                              "(model.state_dict(), path)") from error


def _load_widening_bfloat16(path: Path) -> dict[str, np.ndarray]:
    """A file with bfloat16 tensors (PyTorch's ``model.to(torch.bfloat16)``), which NumPy has no dtype for. A
    bfloat16 is the upper 16 bits of a float32 (sign, 8 exponent bits, 7 mantissa bits), so

        float32 bits = bfloat16 bits · 2¹⁶   (shifted left by 16: exact, every bfloat16 is a float32)

    The bfloat16 entries are read from the file's own layout (header offsets, little-endian), every other entry
    through the safetensors package; they all come back as float32 arrays."""
    from safetensors import safe_open

    raw = path.read_bytes()
    (length,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + length])
    arrays = {}
    with safe_open(str(path), framework="numpy") as file:
        for key in file.keys():  # safe_open is not a mapping: keys() is its API
            entry = header[key]
            if entry["dtype"] != "BF16":
                arrays[key] = file.get_tensor(key)
                continue
            begin, end = entry["data_offsets"]
            bits = np.frombuffer(raw, dtype="<u2", count=(end - begin) // 2, offset=8 + length + begin)
            arrays[key] = (bits.astype(np.uint32) << 16).view(np.float32).reshape(entry["shape"])
    return arrays


# --------------------------------------------------------------------------------------------- loading


def load_torch_state_dict(module: Module, state_dict_or_path: Mapping[str, Any] | PathLike,
                          strict: bool = True) -> IncompatibleKeys:
    """Load a PyTorch ``state_dict`` (torch tensors, NumPy arrays or our Tensors) or a ``.safetensors`` file into
    ``module``, which must have the same architecture: ``Module.load_state_dict`` does exactly this too."""
    return load_state(module, state_dict_or_path, strict)


def load_state(module: Module, state_dict: Mapping[str, Any] | PathLike, strict: bool = True) -> IncompatibleKeys:
    """The body of ``Module.load_state_dict``: read the file (a path), find which layout each mapped layer's keys
    use (ours or PyTorch's, ``torch_layout.layout_of``), check every key, shape and dtype, and only then copy."""
    if isinstance(state_dict, str | os.PathLike):
        state_dict = load_safetensors(state_dict)
    if not isinstance(state_dict, Mapping):
        raise TypeError(f"load_state_dict expects a mapping of names to arrays (or a path to a .safetensors file), "
                        f"got {type(state_dict).__name__}")
    slots = {slot.key: slot for slot in state_slots(module, torch_layout=layout_of(state_dict.keys()))}
    # a tied weight (GPT's lm_head.weight is wte.weight) given under one of its names is not missing under the other:
    # safetensors.torch.save_model writes shared tensors once
    given = {id(piece.tensor) for key, slot in slots.items() if key in state_dict for piece in slot.pieces}
    missing = [key for key, slot in slots.items()
               if key not in state_dict and not all(id(piece.tensor) in given for piece in slot.pieces)]
    unexpected = [key for key in state_dict if key not in slots]
    wrong_shape, wrong_dtype, writes = [], [], []
    for key, slot in slots.items():
        if key not in state_dict:
            continue
        value = _as_array(state_dict[key], key)
        if tuple(value.shape) != slot.shape:
            wrong_shape.append((key, slot.shape, tuple(value.shape)))
        elif not _same_kind(value.dtype, slot.dtype):
            wrong_dtype.append((key, str(slot.dtype), str(value.dtype)))
        else:
            writes.extend(slot.scatter(value))
    problems = IncompatibleKeys(missing, unexpected, wrong_shape, wrong_dtype)
    if strict and (missing or unexpected or wrong_shape or wrong_dtype):
        raise StateDictError(describe_problems(type(module).__name__, problems))
    # convert (dtype, device) every value first, then assign: a failure while converting changes nothing
    converted = [(tensor, backend.to_device(value, tensor.device).astype(tensor.dtype, copy=False))
                 for tensor, value in writes]
    for tensor, value in converted:
        tensor.data[...] = value
    return problems


def _as_array(value: Any, key: str) -> Any:
    """A NumPy/CuPy array for a Tensor, a torch tensor (detached, on the host; bfloat16 widened exactly to
    float32), an array, or a number/list."""
    if isinstance(value, Tensor):
        return value.data
    if type(value).__module__.split(".")[0] == "torch" and hasattr(value, "detach"):
        value = value.detach().cpu()
        if str(value.dtype) == "torch.bfloat16":
            value = value.float()  # NumPy has no bfloat16; every bfloat16 is exactly a float32
        return value.numpy()
    if hasattr(value, "shape") and hasattr(value, "dtype"):
        return value
    array = np.asarray(value)
    if array.dtype.hasobject:
        raise TypeError(f"load_state_dict: the value of '{key}' is a {type(value).__name__}, not an array")
    return array


def _same_kind(given: np.dtype, expected: np.dtype) -> bool:
    """Floating values load into floating tensors (cast, as PyTorch's copy_), integers into integer ones (e.g.
    BatchNorm's num_batches_tracked), booleans into booleans; any other pairing is most likely the wrong key."""
    given, expected = np.dtype(given), np.dtype(expected)
    if np.issubdtype(expected, np.floating):
        return np.issubdtype(given, np.floating)
    if np.issubdtype(expected, np.integer):
        return np.issubdtype(given, np.integer)
    return given == expected


def describe_problems(owner: str, problems: IncompatibleKeys) -> str:
    """One message listing every problem, each with the key, what the model has, what was given, and the fix."""
    parts = [f"error(s) loading the state_dict of {owner}:"]
    if problems.missing_keys:
        parts.append("  missing keys (in the model, not in the state_dict): " + ", ".join(problems.missing_keys)
                     + "\n    fix: load a state_dict of the same architecture, or pass strict=False to leave these "
                     "as they are")
    if problems.unexpected_keys:
        parts.append("  unexpected keys (in the state_dict, not in the model): " + ", ".join(problems.unexpected_keys)
                     + "\n    fix: build the model with the layers (and names) the state_dict was saved from; "
                     "PyTorch's names and ours are listed in docs/interop.md")
    for key, expected, given in problems.mismatched_shapes:
        parts.append(f"  shape mismatch for '{key}': the model has {expected}, the state_dict has {given}"
                     "\n    fix: build the layer with the sizes the weights were trained with")
    for key, expected, given in problems.mismatched_dtypes:
        parts.append(f"  dtype mismatch for '{key}': the model has {expected}, the state_dict has {given}"
                     f"\n    fix: a wrong key? if not, convert the value first (.astype({expected}))")
    parts.append("Nothing was loaded. Pass strict=False to load the matching keys and get this list returned.")
    return "\n".join(parts)
