"""tinygrad_edu.save / load: exact round trips, atomic writes, clear errors, and no pickle."""

from __future__ import annotations

import math
import os
import zipfile

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import nn
from tinygrad_edu.serialization import CheckpointError

DTYPES = ["float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
          "bool", "complex64", "complex128", "<U5", "S3", "datetime64[s]"]


def _sample(dtype: str) -> np.ndarray:
    kind = np.dtype(dtype).kind
    if kind == "U":
        return np.array([["a", "βγ"], ["", "hello"]], dtype=dtype)
    if kind == "S":
        return np.array([b"ab", b"xyz"], dtype=dtype)
    if kind == "M":
        return np.array(["2024-01-02T03:04:05", "1970-01-01T00:00:00"], dtype=dtype)
    if kind == "b":
        return np.array([[True, False], [False, True]])
    info = np.finfo(dtype) if kind in "fc" else np.iinfo(dtype)
    values = np.array([info.min, info.max, 0, 1], dtype=dtype)
    if kind in "fc":
        values = np.concatenate([values, np.array([np.nan, np.inf, -np.inf, info.tiny], dtype=dtype)])
    return values


def test_every_dtype_round_trips_exactly(tmp_path):
    arrays = {dtype: _sample(dtype) for dtype in DTYPES}
    path = tmp_path / "arrays.npz"
    tg.save(arrays, path)
    loaded = tg.load(path)
    assert list(loaded) == DTYPES
    for dtype, array in arrays.items():
        assert loaded[dtype].dtype == array.dtype and loaded[dtype].shape == array.shape
        assert loaded[dtype].tobytes() == array.tobytes()  # bit for bit, NaNs included


def test_nested_state_with_tensors_parameters_and_plain_values_round_trips(tmp_path):
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 2)).double()
    checkpoint = {
        "model": model.state_dict(),
        "optimizer": {"state": {0: {"step": 3, "exp_avg": tg.randn(4, 3)}},
                      "param_groups": [{"lr": 0.001, "betas": (0.9, 0.999), "params": [0, 1, 2], "nesterov": False,
                                        "name": None}]},
        "epoch": 12, "big": 2**70, "best": float("nan"), "inf": -math.inf, "tiny": 5e-324, "note": "ünïcode/ok",
        "flags": [True, False, None], "empty": {}, "nothing": [], "scalar": np.float32(1.5),
        "weight": nn.Parameter(tg.ones(2)), "rng": tg.backend.get_rng_state(),
    }
    path = tmp_path / "checkpoint.npz"
    tg.save(checkpoint, path)
    loaded = tg.load(path)
    assert loaded["optimizer"]["param_groups"] == checkpoint["optimizer"]["param_groups"]
    assert loaded["optimizer"]["state"][0]["step"] == 3 and 0 in loaded["optimizer"]["state"]
    np.testing.assert_array_equal(loaded["optimizer"]["state"][0]["exp_avg"].numpy(),
                                  checkpoint["optimizer"]["state"][0]["exp_avg"].numpy())
    for key in ("epoch", "big", "inf", "tiny", "note", "flags", "empty", "nothing", "rng"):
        assert loaded[key] == checkpoint[key] and type(loaded[key]) is type(checkpoint[key])
    assert math.isnan(loaded["best"])
    assert type(loaded["scalar"]) is np.float32 and loaded["scalar"] == 1.5
    assert isinstance(loaded["weight"], nn.Parameter) and loaded["weight"].requires_grad
    assert isinstance(loaded["model"]["0.weight"], tg.Tensor) and not loaded["model"]["0.weight"].requires_grad

    restored = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 2)).double()
    restored.load_state_dict(loaded["model"])
    x = tg.randn(5, 3, dtype="float64")
    np.testing.assert_array_equal(restored.eval()(x).numpy(), model.eval()(x).numpy())


def test_the_file_is_a_plain_npz_with_flat_slash_keys(tmp_path):
    path = tmp_path / "model.npz"
    tg.save({"model": nn.Linear(2, 3).state_dict(), "epoch": 1}, path)
    with np.load(path, allow_pickle=False) as archive:
        assert sorted(archive.files) == ["__tinygrad_edu__", "model/bias", "model/weight"]
        assert archive["model/weight"].shape == (3, 2)


def test_an_exception_during_save_leaves_the_old_file_intact(tmp_path, monkeypatch):
    path = tmp_path / "checkpoint.npz"
    tg.save({"step": 1, "weights": np.arange(1000.0)}, path)
    original = path.read_bytes()

    real_write_array = np.lib.format.write_array

    def write_then_fail(file, array, *args, **kwargs):  # the disk fills up half-way through the arrays
        real_write_array(file, array, *args, **kwargs)
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(np.lib.format, "write_array", write_then_fail)
    with pytest.raises(OSError, match="No space left"):
        tg.save({"step": 2, "weights": np.zeros(1000)}, path)
    monkeypatch.undo()

    assert path.read_bytes() == original
    assert tg.load(path)["step"] == 1
    assert os.listdir(tmp_path) == ["checkpoint.npz"]  # the temporary file was removed


def test_unsupported_values_are_refused_before_anything_is_written(tmp_path):
    path = tmp_path / "x.npz"
    with pytest.raises(CheckpointError, match="optimizer/hook.*function"):
        tg.save({"optimizer": {"hook": lambda: None}}, path)
    with pytest.raises(CheckpointError, match="dtype object"):
        tg.save({"a": np.array([{}, 1], dtype=object)}, path)
    with pytest.raises(CheckpointError, match="keys must be str or int"):
        tg.save({(1, 2): 3}, path)
    assert not path.exists() and os.listdir(tmp_path) == []


def test_missing_truncated_and_foreign_files_give_clear_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="nowhere.npz"):
        tg.load(tmp_path / "nowhere.npz")
    good = tmp_path / "good.npz"
    tg.save({"w": np.arange(10000.0)}, good)
    truncated = tmp_path / "truncated.npz"
    truncated.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises(CheckpointError, match="truncated.npz.*(truncated|corrupt)"):
        tg.load(truncated)
    text = tmp_path / "notes.npz"
    text.write_text("just some text")
    with pytest.raises(CheckpointError, match="notes.npz.*not an .npz"):
        tg.load(text)
    plain = tmp_path / "plain.npz"
    np.savez(plain, w=np.ones(3))
    with pytest.raises(CheckpointError, match="plain.npz.*not a tinygrad_edu checkpoint"):
        tg.load(plain)
    corrupt = tmp_path / "corrupt.npz"
    data = bytearray(good.read_bytes())
    data[200:400] = b"\x00" * 200  # damage the middle of the array data
    corrupt.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match="corrupt.npz"):
        tg.load(corrupt)


class _Exploit:
    triggered = False

    def __reduce__(self):
        return (_Exploit._trigger, ())

    @staticmethod
    def _trigger():
        _Exploit.triggered = True
        return "pwned"


def test_nothing_is_ever_unpickled(tmp_path):
    path = tmp_path / "evil.npz"
    # a hand-made checkpoint whose array "w" is a pickled object array that would run code when unpickled
    manifest = '{"format": "tinygrad_edu.checkpoint", "version": 1, "tree": {"t": "array", "key": "w"}}'
    with zipfile.ZipFile(path, "w") as archive:
        with archive.open("w.npy", "w") as file:
            np.lib.format.write_array(file, np.array([_Exploit()], dtype=object), allow_pickle=True)
        with archive.open("__tinygrad_edu__.npy", "w") as file:
            np.lib.format.write_array(file, np.array(manifest))
    with pytest.raises(CheckpointError, match="evil.npz.*pickled Python objects"):
        tg.load(path)
    assert not _Exploit.triggered
