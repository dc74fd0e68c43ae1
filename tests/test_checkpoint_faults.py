"""Checkpoints under faults: hostile headers, a full disk, SIGTERM and kill -9 during save.

Every case must end in the project's own error naming the file (never NumPy's MemoryError or a wrong reason), and
no temporary file may outlive its writer once the next save or load of that path has run.
"""

from __future__ import annotations

import errno
import io
import os
import signal
import subprocess
import sys
import time
import zipfile

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import serialization
from tinygrad_edu.serialization import CheckpointError


def _npz_with_header(path, header: bytes, payload: bytes = b"\0" * 16) -> None:
    """An .npz whose only entry is a hand-made .npy: magic, version 1.0, the given header dict, a payload."""
    header = header + b" " * ((64 - (10 + len(header) + 1) % 64) % 64) + b"\n"
    npy = b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header + payload
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("weight.npy", npy)


def test_a_header_announcing_petabytes_is_refused_before_allocating(tmp_path):
    path = tmp_path / "hostile.npz"
    _npz_with_header(path, b"{'descr': '<f4', 'fortran_order': False, 'shape': (100000000000000,), }")
    with pytest.raises(CheckpointError, match=r"hostile.npz.*declares an array of shape \(100000000000000,\)"):
        tg.load(path)


def test_an_oversized_header_is_reported_as_such_not_as_pickle(tmp_path):
    path = tmp_path / "long_header.npz"
    padding = "x" * 200_000
    buffer = io.BytesIO()
    header = ("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'pad': '" + padding + "'}").encode()
    header = header + b" " * ((64 - (12 + len(header) + 1) % 64) % 64) + b"\n"
    buffer.write(b"\x93NUMPY\x02\x00" + len(header).to_bytes(4, "little") + header + b"\0" * 8)
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("weight.npy", buffer.getvalue())
    with pytest.raises(CheckpointError, match="header is longer") as caught:
        tg.load(path)
    assert "pickle" not in str(caught.value)


def test_an_object_array_is_reported_as_pickle(tmp_path):
    path = tmp_path / "pickled.npz"
    np.savez(path, weight=np.array([1, "a", None], dtype=object))
    with pytest.raises(CheckpointError, match="pickled Python objects"):
        tg.load(path)


def test_a_full_disk_names_the_checkpoint_and_keeps_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "model.ckpt.npz"
    tg.save({"w": tg.ones(3)}, path)

    def full_disk(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(np, "savez", full_disk)
    with pytest.raises(OSError, match=r"model.ckpt.npz.*No space left on device") as caught:
        tg.save({"w": tg.zeros(3)}, path)
    assert caught.value.errno == errno.ENOSPC
    assert tg.load(path)["w"].tolist() == [1.0, 1.0, 1.0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.ckpt.npz"]


def _dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_stale_temporaries_of_dead_writers_go_and_live_ones_stay(tmp_path):
    path = tmp_path / "model.ckpt.npz"
    dead = tmp_path / f".model.ckpt.npz.{_dead_pid()}.abc123.tmp"
    live = tmp_path / f".model.ckpt.npz.{os.getppid()}.def456.tmp"  # our parent runs: its file must stay
    other = tmp_path / f".other.npz.{_dead_pid()}.ghi789.tmp"  # another checkpoint's: not ours to judge
    for file in (dead, live, other):
        file.write_bytes(b"partial")
    tg.save({"w": tg.ones(2)}, path)
    assert not dead.exists() and live.exists() and other.exists()
    dead.write_bytes(b"partial")
    tg.load(path)
    assert not dead.exists() and live.exists()


WRITER = """
import sys, tinygrad_edu as tg, numpy as np
path = sys.argv[1]
weights = {"w": tg.tensor(np.ones((4096, 4096), dtype=np.float32))}  # 64 MB: a save takes a while
tg.save(weights, path)
print("first", flush=True)
while True:
    tg.save(weights, path)
"""


def _writer(path) -> subprocess.Popen:
    process = subprocess.Popen([sys.executable, "-c", WRITER, str(path)], stdout=subprocess.PIPE, text=True)
    assert process.stdout.readline().strip() == "first"
    return process


def _temporaries(folder) -> list[str]:
    return [p.name for p in folder.iterdir() if p.name.endswith(".tmp")]


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
def test_a_killed_saver_leaves_a_loadable_checkpoint_and_no_debris(tmp_path, sig):
    """3 kills in the middle of saves; after each, the last complete checkpoint loads and (after SIGTERM at once,
    after kill -9 at the next save or load) no temporary file is left."""
    path = tmp_path / "model.ckpt.npz"
    for _ in range(3):
        process = _writer(path)
        time.sleep(0.15)  # inside a later save, most likely mid-write
        process.send_signal(sig)
        process.wait(timeout=30)
        if sig == signal.SIGTERM:
            assert process.returncode in (143, -signal.SIGTERM)
            assert _temporaries(tmp_path) == []
        assert tg.load(path)["w"].shape == (4096, 4096)
        assert _temporaries(tmp_path) == []  # load removed a dead writer's file


def test_remove_stale_temporaries_returns_what_it_removed(tmp_path):
    path = tmp_path / "a.npz"
    stale = tmp_path / f".a.npz.{_dead_pid()}.x1.tmp"
    stale.write_bytes(b"")
    assert serialization.remove_stale_temporaries(path) == [stale]
