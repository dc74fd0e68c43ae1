"""Checkpoints: ``save(obj, path)`` and ``load(path)`` without pickle.

``obj`` is a nest of dicts, lists and tuples holding Tensors, NumPy arrays and plain values (int, float, bool,
str, None): a model's ``state_dict()``, an optimizer's, the epoch and the random generator's state.

The file is an ordinary ``.npz`` (a zip of ``.npy`` arrays) that ``numpy.load`` can open too:
- every array sits under a flat key made of its path, e.g. ``"model/0/weight"``;
- one more entry, ``"__tinygrad_edu__"``, holds a JSON description of the nest (dict keys and their types,
  lists, tuples and the plain values), so that ``load`` rebuilds exactly what was saved.

Safety: arrays are read with ``allow_pickle=False`` and the structure is JSON, so loading a file never runs
code from it; every array's header is checked against the bytes the file really holds before anything is
allocated (a hostile header cannot ask for 364 TiB). The write is atomic: the data go to a temporary file in the
same folder, which is flushed to disk and then renamed over the target (``os.replace``). A crash, an exception or a
full disk during ``save`` leaves the previous checkpoint untouched. The temporary file carries the writer's process
id (``.NAME.PID.XXXX.tmp``): SIGTERM during ``save`` removes it, and after a ``kill -9`` the next ``save`` or
``load`` of that path removes the temporary files of writers that no longer run (never a live writer's).
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import re
import signal
import tempfile
import threading
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from . import backend
from .tensor import Tensor

MANIFEST_KEY = "__tinygrad_edu__"
FORMAT = "tinygrad_edu.checkpoint"
VERSION = 1
# Tensor subclasses kept as themselves, by manifest name: nn registers its Parameter (nn/__init__.py), since the
# engine may not import nn. A subclass not listed here is saved and loaded as a plain Tensor.
TENSOR_KINDS: dict[str, type[Tensor]] = {}


def register_tensor_kind(name: str, cls: type[Tensor]) -> None:
    """Save instances of ``cls`` under the manifest type ``name`` and load them back as ``cls``."""
    TENSOR_KINDS[name] = cls

PathLike = str | os.PathLike


class CheckpointError(ValueError):
    """A file could not be saved or loaded as a checkpoint; the message names the file and the problem."""


# ---------------------------------------------------------------------------------------------- save


def save(obj: Any, path: PathLike, compress: bool = False) -> None:
    """Write ``obj`` to ``path`` (used as given: no extension is added) atomically; see the module docstring.

    ``compress=True`` zips the arrays (smaller files, slower).
    """
    path = Path(path)
    arrays: dict[str, np.ndarray] = {}
    tree = _encode(obj, [], arrays, str(path))
    manifest = json.dumps({"format": FORMAT, "version": VERSION, "tree": tree})
    arrays[MANIFEST_KEY] = np.array(manifest)
    atomic_write(path, lambda file: (np.savez_compressed if compress else np.savez)(file, allow_pickle=False,
                                                                                   **arrays), what="checkpoint")


def atomic_write(path: PathLike, write: Callable[[BinaryIO], Any], what: str = "file") -> None:
    """Call ``write(file)`` on a temporary file in ``path``'s folder, flush it to disk, then rename it over
    ``path`` (``os.replace`` is atomic): readers see the old file or the complete new one, never half of it.
    On any exception (Ctrl-C, SIGTERM, a full disk: the error then names ``what`` and ``path``) the temporary file
    is removed and ``path`` is left as it was; one left by a ``kill -9`` is removed by the next write."""
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise FileNotFoundError(f"cannot save {what} '{path}': the folder '{folder}' does not exist")
    remove_stale_temporaries(path)
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp", dir=folder)
    try:
        with _removed_on_sigterm(temporary), os.fdopen(descriptor, "wb") as file:
            write(file)
            file.flush()
            os.fsync(file.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)  # mkstemp makes the file private (0600); give it the usual mode
        os.replace(temporary, path)
    except BaseException as error:
        if os.path.exists(temporary):
            os.remove(temporary)
        if isinstance(error, OSError) and not isinstance(error, FileNotFoundError | PermissionError):
            # e.g. a full disk (ENOSPC) or a too-large file (EFBIG): NumPy's error does not say which file
            raise type(error)(error.errno, f"cannot save {what} '{path}': {error.strerror or error} (the "
                              "previous file, if any, is untouched; free space or choose another folder)") from None
        raise


def remove_stale_temporaries(path: PathLike) -> list[Path]:
    """Delete the temporary files that writers of ``path`` left when they were killed (``kill -9``).

    A temporary file is stale when the process id in its name no longer runs; a live writer's file (in this or
    another process) is never touched. Returns the files removed.
    """
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    pattern = re.compile(re.escape(f".{path.name}.") + r"(\d+)\.[^.]+\.tmp$")
    removed = []
    with contextlib.suppress(OSError):
        for candidate in folder.iterdir():
            match = pattern.match(candidate.name)
            if match and int(match.group(1)) != os.getpid() and not _process_runs(int(match.group(1))):
                with contextlib.suppress(OSError):
                    candidate.unlink()
                    removed.append(candidate)
    return removed


def _process_runs(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it runs, as another user
    return True


@contextlib.contextmanager
def _removed_on_sigterm(temporary: str) -> Iterator[None]:
    """While a save runs, SIGTERM (the default ``kill``) raises SystemExit, so the ``except`` above removes the
    temporary file before the process ends with the usual status 143. Only where SIGTERM has its default action
    and only in the main thread (the one place Python lets a program set a signal handler)."""
    if threading.current_thread() is not threading.main_thread() or signal.getsignal(signal.SIGTERM) != signal.SIG_DFL:
        yield
        return

    def terminate(signum: int, frame: Any) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, terminate)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _encode(value: Any, path: list[str], arrays: dict[str, np.ndarray], file: str) -> Any:
    """The JSON description of ``value``; arrays are moved into ``arrays`` under their path."""
    if value is None or isinstance(value, bool | str):
        return {"t": "scalar", "v": value}
    if isinstance(value, int):
        return {"t": "int", "v": str(value)}  # a string: JSON readers other than Python's lose big ints
    if isinstance(value, float):
        return {"t": "float", "v": float.hex(value)}  # exact, and also for nan and ±inf
    if isinstance(value, Tensor):
        node = {"t": "tensor", "key": _store(value.numpy(), path, arrays, file), "requires_grad": value.requires_grad}
        for name, cls in TENSOR_KINDS.items():
            if isinstance(value, cls):
                node["t"] = name
        return node
    if isinstance(value, np.ndarray | np.generic) or backend.get_array_module(value) is not np:
        kind = "numpy_scalar" if isinstance(value, np.generic) else "array"
        return {"t": kind, "key": _store(backend.to_device(np.asarray(value) if kind == "numpy_scalar" else value,
                                                          "cpu"), path, arrays, file)}
    if isinstance(value, dict):
        items = []
        for key, item in value.items():
            if not isinstance(key, str | int) or isinstance(key, bool):
                raise CheckpointError(f"cannot save to '{file}': dict key {key!r} at '{'/'.join(path) or '/'}' is a "
                                      f"{type(key).__name__}; keys must be str or int")
            encoded_key = {"t": "str" if isinstance(key, str) else "int", "v": str(key)}
            items.append([encoded_key, _encode(item, [*path, str(key)], arrays, file)])
        return {"t": "dict", "items": items}
    if isinstance(value, list | tuple):
        items = [_encode(item, [*path, str(i)], arrays, file) for i, item in enumerate(value)]
        return {"t": "list" if isinstance(value, list) else "tuple", "items": items}
    raise CheckpointError(
        f"cannot save to '{file}': the value at '{'/'.join(path) or '/'}' is a {type(value).__name__}; checkpoints "
        "hold dicts, lists, tuples, Tensors, arrays, int, float, bool, str and None (nothing that needs pickle)"
    )


def _store(array: np.ndarray, path: list[str], arrays: dict[str, np.ndarray], file: str) -> str:
    if array.dtype.hasobject:
        raise CheckpointError(f"cannot save to '{file}': the array at '{'/'.join(path)}' has dtype object, which "
                              "would need pickle; convert it to a numeric or string dtype")
    key = "/".join(path) or "root"
    unique, n = key, 1
    while unique in arrays or unique == MANIFEST_KEY:  # a dict key that contains "/" could collide
        n += 1
        unique = f"{key}#{n}"
    arrays[unique] = array
    return unique


# ---------------------------------------------------------------------------------------------- load


def load(path: PathLike, map_location: str | None = None) -> Any:
    """Read a checkpoint written by ``save``: the same nest, with Tensors (and Parameters) on the CPU, arrays as
    NumPy arrays and plain values as they were — or, with ``map_location="cuda"``, Tensors and arrays on the GPU
    (as PyTorch's ``torch.load``). Never unpickles anything. A checkpoint saved from either device loads onto
    either: ``save`` always writes host copies.

    Raises ``FileNotFoundError`` for a missing file and ``CheckpointError`` (naming the file) for one that is
    truncated, corrupt, or not a tinygrad_edu checkpoint.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"checkpoint '{path}' does not exist")
    if not zipfile.is_zipfile(path):
        raise CheckpointError(f"'{path}' is not a tinygrad_edu checkpoint: it is not an .npz (zip) file, or it is "
                              "truncated (an interrupted copy or download?)")
    remove_stale_temporaries(path)
    _check_array_headers(path)
    try:
        with np.load(path, allow_pickle=False) as archive:
            if MANIFEST_KEY not in archive.files:
                raise CheckpointError(
                    f"'{path}' is an .npz file but not a tinygrad_edu checkpoint (it has no '{MANIFEST_KEY}' "
                    "entry); read plain .npz files with numpy.load"
                )
            manifest = json.loads(str(archive[MANIFEST_KEY]))
            if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
                raise CheckpointError(f"'{path}' has a '{MANIFEST_KEY}' entry that is not a checkpoint description")
            if manifest.get("version", 0) > VERSION:
                raise CheckpointError(f"'{path}' was written by a newer version (format {manifest['version']}); "
                                      "upgrade tinygrad_edu to read it")
            with backend.using("numpy"):  # Tensor(array) would go to the GPU under backend.use("cupy")
                tree = _decode(manifest["tree"], archive, path)
    except CheckpointError:
        raise
    except ValueError as error:
        if "allow_pickle" in str(error):
            raise CheckpointError(f"'{path}' holds pickled Python objects, which are never loaded (unpickling can run "
                                  "arbitrary code): it was not written by tinygrad_edu.save") from error
        raise CheckpointError(f"'{path}' is corrupt or truncated and cannot be loaded: {error}") from error
    except (zipfile.BadZipFile, EOFError, OSError, KeyError, TypeError) as error:
        raise CheckpointError(f"'{path}' is corrupt or truncated and cannot be loaded: {error}") from error
    return tree if map_location is None else _to_device(tree, backend.normalize_device(map_location))


MAX_HEADER_BYTES = 10_000  # NumPy's own default limit for a .npy header


def _check_array_headers(path: Path) -> None:
    """Read every ``.npy`` header of the archive and refuse, before anything is allocated, an entry that holds
    objects (pickle), whose header is absurdly long, or whose shape × dtype asks for more bytes than it holds."""
    try:
        with zipfile.ZipFile(path) as archive:
            for info in archive.infolist():
                with archive.open(info) as entry:
                    try:
                        version = np.lib.format.read_magic(entry)
                        reader = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                                  else np.lib.format.read_array_header_2_0)
                        shape, _, dtype = reader(entry, max_header_size=MAX_HEADER_BYTES)
                    except ValueError as error:
                        reason = ("its header is longer than the 10,000 bytes a real array needs"
                                  if "max_header_size" in str(error) or "large" in str(error) else str(error))
                        raise CheckpointError(f"'{path}': the entry '{info.filename}' is not a valid .npy array "
                                              f"({reason}): the file is corrupt or was not written by "
                                              "tinygrad_edu.save") from None
                    if dtype.hasobject:
                        raise CheckpointError(f"'{path}' holds pickled Python objects (entry '{info.filename}'), "
                                              "which are never loaded (unpickling can run arbitrary code): it was "
                                              "not written by tinygrad_edu.save")
                    declared = math.prod(shape) * dtype.itemsize
                    held = info.file_size - entry.tell()
                    if declared > held:
                        raise CheckpointError(
                            f"'{path}': the entry '{info.filename}' declares an array of shape {shape} and dtype "
                            f"{dtype} ({declared:,} bytes) but holds only {held:,} bytes: the file is corrupt, "
                            "truncated or hostile; nothing was allocated"
                        )
    except (zipfile.BadZipFile, EOFError, OSError) as error:
        raise CheckpointError(f"'{path}' is corrupt or truncated and cannot be loaded: {error}") from None


def _to_device(node: Any, device: str) -> Any:
    """The loaded nest with its Tensors and arrays on ``device``."""
    if isinstance(node, Tensor):  # a fresh leaf of the same class (a Parameter stays one), not a graph node
        return type(node)(backend.to_device(node.data, device), requires_grad=node.requires_grad)
    if isinstance(node, np.ndarray):
        return backend.to_device(node, device)
    if isinstance(node, dict):
        return {key: _to_device(value, device) for key, value in node.items()}
    if isinstance(node, list | tuple):
        return type(node)(_to_device(value, device) for value in node)
    return node


def _decode(node: dict, archive: Any, path: Path) -> Any:
    kind = node["t"]
    if kind == "scalar":
        return node["v"]
    if kind == "int":
        return int(node["v"])
    if kind == "float":
        return float.fromhex(node["v"])
    if kind == "tensor" or kind in TENSOR_KINDS:
        return TENSOR_KINDS.get(kind, Tensor)(archive[node["key"]], requires_grad=node["requires_grad"])
    if kind == "array":
        return archive[node["key"]]
    if kind == "numpy_scalar":
        return archive[node["key"]][()]
    if kind == "dict":
        return {(key["v"] if key["t"] == "str" else int(key["v"])): _decode(item, archive, path)
                for key, item in node["items"]}
    if kind in ("list", "tuple"):
        items = [_decode(item, archive, path) for item in node["items"]]
        return items if kind == "list" else tuple(items)
    raise CheckpointError(f"'{path}' describes an entry of unknown type {kind!r}")
