"""MNIST and Fashion-MNIST from their IDX files: found offline, or downloaded, checked and cached.

    >>> from tinygrad_edu.data import mnist
    >>> train = mnist(train=True)          # doctest: +SKIP
    >>> x_train, y_train = train.arrays    # doctest: +SKIP

The images are float32 of shape (60000, 1, 28, 28) in [0, 1], the labels int64 of shape (60000,).

``mnist()`` returns a ``TensorDataset`` — what a PyTorch user hands to a ``DataLoader`` — whose ``.arrays`` are
the NumPy arrays a Keras user expects (images scaled to [0, 1], channel axis first as in PyTorch).

Where the files are looked for, in order: ``root`` (when given), the folder named by the environment variable
``$TINYGRAD_EDU_DATA``, and the cache ``~/.cache/tinygrad_edu``. In each folder the four files may lie directly
in it or in a ``mnist/`` (``fashion-mnist/``) subfolder, gzip-compressed (``.gz``) or raw. When none is found
and ``download=True``, the files are fetched from the public mirrors into the first of those folders (its
``mnist/`` subfolder), each one written to a temporary file, checked against its published SHA-256 sum, and
only then renamed into place (``os.replace`` is atomic), so an interrupted or corrupted download never leaves a
partial file behind.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .dataset import TensorDataset
from .idx import MAGIC_IMAGES, MAGIC_LABELS, IDXFormatError, read_idx

ENV_VAR = "TINYGRAD_EDU_DATA"
DOWNLOAD_TIMEOUT_S = 30


@dataclass(frozen=True)
class IDXDataset:
    """Where a dataset's four files come from and what they must hash to (SHA-256 of the ``.gz`` files)."""

    name: str
    folder: str
    mirrors: tuple[str, ...]
    sha256: dict
    classes: tuple[str, ...]


MNIST = IDXDataset(
    name="MNIST",
    folder="mnist",
    mirrors=(
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "https://storage.googleapis.com/cvdf-datasets/mnist/",
        "http://yann.lecun.com/exdb/mnist/",
    ),
    sha256={
        "train-images-idx3-ubyte.gz": "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
        "train-labels-idx1-ubyte.gz": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
        "t10k-images-idx3-ubyte.gz": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
        "t10k-labels-idx1-ubyte.gz": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
    },
    classes=tuple(str(d) for d in range(10)),
)

FASHION_MNIST = IDXDataset(
    name="Fashion-MNIST",
    folder="fashion-mnist",
    mirrors=("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",),
    sha256={
        "train-images-idx3-ubyte.gz": "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
        "train-labels-idx1-ubyte.gz": "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
        "t10k-images-idx3-ubyte.gz": "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
        "t10k-labels-idx1-ubyte.gz": "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
    },
    classes=("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
             "Ankle boot"),
)


class DatasetNotFoundError(FileNotFoundError):
    """A dataset's files are neither on disk nor downloadable (offline, or every copy failed its checksum)."""


def cache_dir() -> Path:
    """The per-user cache folder, ``~/.cache/tinygrad_edu``."""
    return Path.home() / ".cache" / "tinygrad_edu"


def search_dirs(root: str | os.PathLike | None = None) -> list[Path]:
    """The folders looked in, in order: ``root``, ``$TINYGRAD_EDU_DATA``, ``~/.cache/tinygrad_edu``."""
    dirs = [Path(root).expanduser()] if root is not None else []
    if os.environ.get(ENV_VAR):
        dirs.append(Path(os.environ[ENV_VAR]).expanduser())
    dirs.append(cache_dir())
    return dirs


def find_file(filename: str, spec: IDXDataset, dirs: list[Path]) -> Path | None:
    """The first existing copy of ``filename`` (or of its uncompressed twin) in ``dirs`` or their subfolder."""
    names = (filename, filename.removesuffix(".gz"))
    for directory in dirs:
        for folder in (directory, directory / spec.folder):
            for name in names:
                if (folder / name).is_file():
                    return folder / name
    return None


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def fetch(url: str, destination: Path, progress: bool = True) -> None:
    """Stream ``url`` into the file ``destination`` with a tqdm progress bar (replace this to fetch otherwise)."""
    from tqdm.auto import tqdm

    with urllib.request.urlopen(url, timeout=DOWNLOAD_TIMEOUT_S) as response, open(destination, "wb") as file:
        total = int(response.headers.get("Content-Length") or 0) or None
        with tqdm(total=total, unit="B", unit_scale=True, desc=url.rsplit("/", 1)[-1], disable=not progress,
                  leave=False) as bar:
            for block in iter(lambda: response.read(1 << 16), b""):
                file.write(block)
                bar.update(len(block))


def download(filename: str, spec: IDXDataset, folder: Path, progress: bool = True) -> Path:
    """Fetch ``filename`` from the first mirror whose copy matches the published SHA-256; move it into ``folder``.

    The bytes go to a temporary file in ``folder``; only a copy with the right checksum is renamed to its final
    name (atomically, with ``os.replace``). Whatever happens — a failed mirror, a wrong checksum, Ctrl-C — the
    temporary file is removed. Raises ``DatasetNotFoundError`` listing every mirror's failure.
    """
    folder.mkdir(parents=True, exist_ok=True)
    expected = spec.sha256[filename]
    failures = []
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=f".{filename}.", suffix=".part")
    os.close(handle)
    temporary = Path(temporary)
    try:
        for mirror in spec.mirrors:
            url = mirror + filename
            try:
                fetch(url, temporary, progress)
            except (urllib.error.URLError, OSError, ValueError) as error:
                failures.append(f"{url}: {getattr(error, 'reason', error)}")
                continue
            actual = sha256_of(temporary)
            if actual != expected:
                failures.append(f"{url}: SHA-256 {actual} does not match the published {expected}")
                continue
            final = folder / filename
            os.replace(temporary, final)
            return final
    finally:
        temporary.unlink(missing_ok=True)
    raise DatasetNotFoundError("download failed:\n    " + "\n    ".join(failures))


def _how_to_provide(spec: IDXDataset, dirs: list[Path]) -> str:
    sums = "\n".join(f"    {sha}  {name}" for name, sha in spec.sha256.items())
    return (
        f"To provide the files by hand, download the four files\n{sums}\n"
        f"(SHA-256 sums shown) from {spec.mirrors[0]} on a machine with internet access and copy them, "
        f"gzip-compressed or not, into {dirs[-1] / spec.folder}, or into any folder named by "
        f"${ENV_VAR} or passed as root=..."
    )


def locate(spec: IDXDataset, filenames: list[str], root: str | os.PathLike | None = None,
           download_allowed: bool = True, progress: bool = True) -> list[Path]:
    """Paths of ``filenames``: found in the search folders, else downloaded (when allowed) into the first."""
    dirs = search_dirs(root)
    paths = []
    for filename in filenames:
        path = find_file(filename, spec, dirs)
        if path is None:
            looked = "\n".join(f"    {d}  and  {d / spec.folder}" for d in dirs)
            if ENV_VAR not in os.environ:
                looked += f"\n    (${ENV_VAR} is not set)"
            if not download_allowed:
                reason = "download=False, so nothing was downloaded."
            else:
                try:
                    path = download(filename, spec, dirs[0] / spec.folder, progress)
                except DatasetNotFoundError as error:
                    reason = str(error)
            if path is None:
                raise DatasetNotFoundError(
                    f"{spec.name}: the file {filename!r} was not found. Looked in:\n{looked}\n{reason}\n"
                    + _how_to_provide(spec, dirs)
                )
        paths.append(path)
    return paths


def verify_files(spec: IDXDataset, paths: list[Path]) -> None:
    """Check found files against the published SHA-256 sums (of the ``.gz`` files; a raw copy cannot be checked
    against them and is refused with that reason)."""
    for path in paths:
        expected = spec.sha256.get(path.name)
        if expected is None:
            raise IDXFormatError(f"{path}: verify=True checks the published SHA-256 sums, which are those of the .gz "
                                 "files; this is an uncompressed copy: keep the .gz file, or load with verify=False")
        actual = sha256_of(path)
        if actual != expected:
            raise IDXFormatError(f"{path}: SHA-256 {actual} does not match the published {expected}: the file is "
                                 "damaged or not the original; delete it and fetch it again")


def _load(spec: IDXDataset, root: str | os.PathLike | None, train: bool, download: bool,
          progress: bool, verify: bool = False) -> TensorDataset:
    prefix = "train" if train else "t10k"
    image_path, label_path = locate(
        spec, [f"{prefix}-images-idx3-ubyte.gz", f"{prefix}-labels-idx1-ubyte.gz"], root, download, progress
    )
    if verify:
        verify_files(spec, [image_path, label_path])
    images, labels = read_idx(image_path), read_idx(label_path)
    if images.ndim != 3 or images.dtype != np.uint8:
        raise IDXFormatError(f"{image_path}: expected uint8 images of shape (N, rows, cols) (magic {MAGIC_IMAGES}),"
                             f" got {images.dtype} of shape {images.shape}")
    if labels.ndim != 1 or labels.dtype != np.uint8:
        raise IDXFormatError(f"{label_path}: expected uint8 labels of shape (N,) (magic {MAGIC_LABELS}), "
                             f"got {labels.dtype} of shape {labels.shape}")
    if images.shape[0] != labels.shape[0]:
        raise IDXFormatError(f"{image_path} holds {images.shape[0]} images but {label_path} holds "
                             f"{labels.shape[0]} labels: the two files do not belong together")
    if labels.size and labels.max() >= len(spec.classes):  # a cheap check on every load: one pass over N bytes
        bad = int(np.argmax(labels >= len(spec.classes)))
        raise IDXFormatError(f"{label_path}: label {int(labels[bad])} at position {bad} is outside 0..."
                             f"{len(spec.classes) - 1}: the file is damaged or belongs to another dataset")
    scaled = images.astype(np.float32)[:, None]
    scaled /= np.float32(255)  # division, as torchvision's ToTensor: the correctly rounded pixel / 255
    dataset = TensorDataset(scaled, labels.astype(np.int64))
    dataset.classes = list(spec.classes)
    return dataset


def mnist(root: str | os.PathLike | None = None, train: bool = True, download: bool = True,
          progress: bool = True, verify: bool = False) -> TensorDataset:
    """The MNIST handwritten digits: 60,000 training or 10,000 test images (``train=False``).

    Returns a ``TensorDataset`` of float32 images of shape (N, 1, 28, 28) scaled to [0, 1] (pixel / 255) and
    int64 labels 0–9; ``.classes`` names the labels. See the module docstring for where files are looked for.
    Every load checks that images and labels belong together and that labels lie in 0–9; ``verify=True`` also
    checks the files' SHA-256 sums (a second or so).
    """
    return _load(MNIST, root, train, download, progress, verify)


def fashion_mnist(root: str | os.PathLike | None = None, train: bool = True, download: bool = True,
                  progress: bool = True, verify: bool = False) -> TensorDataset:
    """Zalando's Fashion-MNIST: 28×28 grey images of 10 kinds of clothing, the same layout as ``mnist()``."""
    return _load(FASHION_MNIST, root, train, download, progress, verify)
