"""The IDX format and the MNIST loader: lookup order, checksummed atomic downloads, clear errors.

All files here are small IDX files written by the tests; the real MNIST files are used only by the optional
checks at the end, found as the package finds them (``pytest --data-dir DIR``, else ``$TINYGRAD_EDU_DATA``, else
``~/.cache/tinygrad_edu``), and skipped with a reason that says so when they are not there.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import http.server
import importlib
import struct
import threading
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from tinygrad_edu.data import DatasetNotFoundError, IDXFormatError, fashion_mnist, mnist, read_idx, write_idx
from tinygrad_edu.data.idx import parse_idx

mnist_module = importlib.import_module("tinygrad_edu.data.mnist")  # the package's `mnist` is the function

FILES = ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz",
         "t10k-labels-idx1-ubyte.gz"]


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path, monkeypatch):
    """No test may see (or write to) the real cache or a $TINYGRAD_EDU_DATA of the machine."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("TINYGRAD_EDU_DATA", raising=False)


def _write_split(folder: Path, prefix: str, n: int, compress: bool = True, seed: int = 0) -> tuple:
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, size=n, dtype=np.uint8)
    suffix = ".gz" if compress else ""
    write_idx(folder / f"{prefix}-images-idx3-ubyte{suffix}", images)
    write_idx(folder / f"{prefix}-labels-idx1-ubyte{suffix}", labels)
    return images, labels


# ------------------------------------------------------------------------------------------------ IDX


@given(array=hnp.arrays(st.sampled_from([np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64]),
                        hnp.array_shapes(min_dims=1, max_dims=4, max_side=5)),
       compress=st.booleans())
def test_idx_round_trip(tmp_path_factory, array, compress):
    path = tmp_path_factory.mktemp("idx") / "a.idx"
    write_idx(path, array, compress=compress)
    back = read_idx(path)
    assert back.shape == array.shape and back.dtype == array.dtype.newbyteorder("=")
    np.testing.assert_array_equal(back, array)


def test_idx_magic_numbers_are_the_published_ones(tmp_path):
    write_idx(tmp_path / "l", np.zeros(3, np.uint8))
    write_idx(tmp_path / "i", np.zeros((3, 28, 28), np.uint8))
    assert struct.unpack(">I", (tmp_path / "l").read_bytes()[:4])[0] == 2049
    header = struct.unpack(">4I", (tmp_path / "i").read_bytes()[:16])
    assert header == (2051, 3, 28, 28)


def test_big_endian_values_are_decoded():
    raw = struct.pack(">HBB", 0, 0x0C, 1) + struct.pack(">I", 2) + struct.pack(">ii", 1, -2)
    np.testing.assert_array_equal(parse_idx(raw), [1, -2])


def test_truncated_idx_file_gives_a_clear_error(tmp_path):
    path = write_idx(tmp_path / "images.idx", np.zeros((10, 28, 28), np.uint8))
    path.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(IDXFormatError, match=r"truncated.*\(10, 28, 28\).*7840 data bytes.*7740"):
        read_idx(path)


def test_truncated_gzip_file_gives_a_clear_error(tmp_path):
    path = write_idx(tmp_path / "images.idx.gz", np.arange(5000, dtype=np.int32))
    path.write_bytes(path.read_bytes()[:-30])
    with pytest.raises(IDXFormatError, match="gzip stream is damaged or truncated"):
        read_idx(path)


def test_wrong_magic_number_is_named(tmp_path):
    path = tmp_path / "not.idx"
    path.write_bytes(b"PK\x03\x04" + bytes(20))
    with pytest.raises(IDXFormatError, match="not an IDX header.*2049.*2051"):
        read_idx(path)


# ------------------------------------------------------------------------------------------- lookup


@pytest.mark.parametrize("subfolder", ["", "mnist"])
@pytest.mark.parametrize("compress", [True, False])
def test_mnist_reads_files_from_root(tmp_path, subfolder, compress):
    images, labels = _write_split(tmp_path / "root" / subfolder, "t10k", 12, compress)
    ds = mnist(tmp_path / "root", train=False, download=False)
    x, y = ds.arrays
    assert x.shape == (12, 1, 28, 28) and x.dtype == np.float32
    assert y.shape == (12,) and y.dtype == np.int64
    np.testing.assert_array_equal(x[:, 0], images.astype(np.float32) / np.float32(255))
    np.testing.assert_array_equal(y, labels)
    assert 0.0 <= x.min() and x.max() <= 1.0
    assert ds.classes == [str(d) for d in range(10)]


def test_lookup_order_root_then_environment_then_cache(tmp_path, monkeypatch):
    _, cache_labels = _write_split(tmp_path / "home" / ".cache" / "tinygrad_edu" / "mnist", "train", 3, seed=1)
    assert mnist(download=False).arrays[1].tolist() == cache_labels.tolist()
    _, env_labels = _write_split(tmp_path / "env", "train", 4, seed=2)
    monkeypatch.setenv("TINYGRAD_EDU_DATA", str(tmp_path / "env"))
    assert mnist(download=False).arrays[1].tolist() == env_labels.tolist()
    _, root_labels = _write_split(tmp_path / "root", "train", 5, seed=3)
    assert mnist(tmp_path / "root", download=False).arrays[1].tolist() == root_labels.tolist()


def test_fashion_mnist_uses_its_own_subfolder_and_classes(tmp_path):
    _write_split(tmp_path / "fashion-mnist", "train", 2)
    ds = fashion_mnist(tmp_path, download=False)
    assert len(ds) == 2 and ds.classes[-1] == "Ankle boot"
    with pytest.raises(DatasetNotFoundError):
        mnist(tmp_path, download=False)  # MNIST files are not looked for in fashion-mnist/


def test_missing_files_offline_error_says_where_and_how(tmp_path):
    with pytest.raises(DatasetNotFoundError) as info:
        mnist(tmp_path / "nowhere", train=True, download=False)
    message = str(info.value)
    assert "train-images-idx3-ubyte.gz" in message
    assert str(tmp_path / "nowhere") in message and "/.cache/tinygrad_edu" in message
    assert "$TINYGRAD_EDU_DATA is not set" in message
    assert "download=False" in message and "by hand" in message
    assert mnist_module.MNIST.sha256["train-images-idx3-ubyte.gz"] in message


def test_images_and_labels_of_different_lengths_are_refused(tmp_path):
    _write_split(tmp_path, "train", 5)
    write_idx(tmp_path / "train-labels-idx1-ubyte.gz", np.zeros(4, np.uint8))
    with pytest.raises(IDXFormatError, match="5 images but .* 4 labels"):
        mnist(tmp_path, download=False)


# ----------------------------------------------------------------------------------------- download


@pytest.fixture
def file_server(tmp_path):
    """A local HTTP server on 127.0.0.1 serving the folder it returns (no network needed)."""
    served = tmp_path / "served"
    served.mkdir()
    handler = functools.partial(_QuietHandler, directory=str(served))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    yield served, f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def _cache_folder(tmp_path: Path) -> Path:
    return tmp_path / "home" / ".cache" / "tinygrad_edu" / "mnist"


def _files_in(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_download_with_wrong_checksum_leaves_no_file_and_says_so(tmp_path, file_server, monkeypatch):
    served, url = file_server
    _write_split(served, "t10k", 3)  # valid IDX files, but not the published ones: their SHA-256 differs
    spec = mnist_module.IDXDataset("MNIST", "mnist", (url,), mnist_module.MNIST.sha256, mnist_module.MNIST.classes)
    monkeypatch.setattr(mnist_module, "MNIST", spec)
    with pytest.raises(DatasetNotFoundError) as info:
        mnist(train=False, download=True, progress=False)
    message = str(info.value)
    assert "does not match the published" in message and url + "t10k-images-idx3-ubyte.gz" in message
    assert "by hand" in message
    assert _files_in(_cache_folder(tmp_path)) == []  # no partial or temporary file left behind


def test_download_checks_fetches_and_caches(tmp_path, file_server, monkeypatch):
    served, url = file_server
    images, labels = _write_split(served, "t10k", 3)
    sums = {name: hashlib.sha256((served / name).read_bytes()).hexdigest()
            for name in FILES if (served / name).exists()}
    spec = mnist_module.IDXDataset("MNIST", "mnist", ("http://127.0.0.1:9/unreachable/", url), sums, ("0",) * 10)
    monkeypatch.setattr(mnist_module, "MNIST", spec)
    ds = mnist(train=False, download=True, progress=False)  # the first mirror fails, the second works
    np.testing.assert_array_equal(ds.arrays[1], labels)
    assert _files_in(_cache_folder(tmp_path)) == ["t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"]
    (served / "t10k-images-idx3-ubyte.gz").unlink()  # now cached: no second download
    assert len(mnist(train=False, download=True, progress=False)) == 3


def test_interrupted_download_leaves_no_partial_file(tmp_path, monkeypatch):
    def fetch_then_interrupt(url, destination, progress=True):
        Path(destination).write_bytes(b"half a file")
        raise KeyboardInterrupt

    monkeypatch.setattr(mnist_module, "fetch", fetch_then_interrupt)
    with pytest.raises(KeyboardInterrupt):
        mnist(train=False, download=True, progress=False)
    assert _files_in(_cache_folder(tmp_path)) == []


def test_download_goes_into_root_when_given(tmp_path, monkeypatch):
    def fetch_gzip_of_wrong_content(url, destination, progress=True):
        Path(destination).write_bytes(gzip.compress(b"wrong"))

    monkeypatch.setattr(mnist_module, "fetch", fetch_gzip_of_wrong_content)
    with pytest.raises(DatasetNotFoundError, match="does not match"):
        mnist(tmp_path / "root", download=True, progress=False)
    assert _files_in(tmp_path / "root" / "mnist") == []


# ---------------------------------------------------------------------------------- the real files


HOW_TO_POINT = "pass pytest --data-dir DIR or set TINYGRAD_EDU_DATA to the folder holding them (README: MNIST)"


def test_published_checksums_match_the_shared_sums_file(real_data_dirs):
    sums_file = next((d / "SHA256SUMS" for d in real_data_dirs if (d / "SHA256SUMS").is_file()), None)
    if sums_file is None:
        pytest.skip(f"no SHA256SUMS file beside the real datasets: {HOW_TO_POINT}")
    listed = dict(reversed(line.split()) for line in sums_file.read_text().splitlines() if line.strip())
    for spec in (mnist_module.MNIST, mnist_module.FASHION_MNIST):
        for name, sha in spec.sha256.items():
            assert listed[f"{spec.folder}/{name}"] == sha


def test_real_mnist_test_set_when_present(real_data_dirs):
    found = [d for d in real_data_dirs if mnist_module.find_file(FILES[3], mnist_module.MNIST, [d])]
    if not found:
        pytest.skip(f"the real MNIST files were not found: {HOW_TO_POINT}")
    x, y = mnist(found[0], train=False, download=False).arrays
    assert x.shape == (10000, 1, 28, 28)
    assert np.bincount(y).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


def test_labels_outside_0_to_9_are_refused_on_every_load(tmp_path):
    images, labels = _write_split(tmp_path, "t10k", 5)
    labels[3] = 11
    write_idx(tmp_path / "t10k-labels-idx1-ubyte.gz", labels)
    with pytest.raises(IDXFormatError, match=r"label 11 at position 3 is outside 0\.\.\.9"):
        mnist(tmp_path, train=False, download=False)


def test_verify_checks_the_published_sums(tmp_path):
    _write_split(tmp_path, "t10k", 5)  # made-up files: their sums are not the published ones
    assert len(mnist(tmp_path, train=False, download=False)) == 5  # no check unless asked
    with pytest.raises(IDXFormatError, match="does not match the published"):
        mnist(tmp_path, train=False, download=False, verify=True)
    raw = tmp_path / "raw"
    _write_split(raw, "t10k", 5, compress=False)
    with pytest.raises(IDXFormatError, match="uncompressed copy"):
        mnist(raw, train=False, download=False, verify=True)
