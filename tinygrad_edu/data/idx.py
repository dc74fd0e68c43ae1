"""The IDX file format of MNIST and Fashion-MNIST: read (gzip-compressed or raw) and write.

Layout, all integers big-endian::

    bytes 0–1   zero
    byte  2     element type: 0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64
    byte  3     number of dimensions d
    4·d bytes   the size of each dimension (uint32)
    then        the elements, row-major (C order)

So the magic number of a label file (uint8, 1 dimension) is 0x00000801 = 2049 and that of an image file
(uint8, 3 dimensions: count, rows, columns) is 0x00000803 = 2051.
"""

from __future__ import annotations

import gzip
import os
import struct
import zlib
from pathlib import Path

import numpy as np

IDX_TYPES = {
    0x08: np.dtype(np.uint8), 0x09: np.dtype(np.int8), 0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"), 0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8"),
}
MAGIC_LABELS = 2049
MAGIC_IMAGES = 2051


class IDXFormatError(ValueError):
    """A file is not a valid IDX file (wrong magic number, truncated, damaged compression)."""


def parse_idx(raw: bytes, source: str = "<bytes>") -> np.ndarray:
    """Decode the bytes of an (uncompressed) IDX file into an array of its shape, in native byte order."""
    if len(raw) < 4:
        raise IDXFormatError(f"{source}: {len(raw)} bytes is too short for an IDX header (4 bytes at least)")
    zero, type_code, ndim = struct.unpack(">HBB", raw[:4])
    magic = int.from_bytes(raw[:4], "big")
    if zero != 0 or type_code not in IDX_TYPES:
        raise IDXFormatError(
            f"{source}: magic number {magic} (0x{magic:08X}) is not an IDX header: expected 0x0000TTDD with an "
            f"element type TT in {sorted(hex(t) for t in IDX_TYPES)} — e.g. {MAGIC_LABELS} for labels, "
            f"{MAGIC_IMAGES} for images"
        )
    header_size = 4 + 4 * ndim
    if len(raw) < header_size:
        raise IDXFormatError(f"{source}: truncated header: {ndim} dimensions need {header_size} bytes, "
                             f"the file has {len(raw)}")
    shape = struct.unpack(f">{ndim}I", raw[4:header_size])
    dtype = IDX_TYPES[type_code]
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    found = len(raw) - header_size
    if found != expected:
        problem = "truncated" if found < expected else "longer than its header says"
        raise IDXFormatError(
            f"{source}: file is {problem}: the header announces shape {shape} of {dtype.name} "
            f"({expected} data bytes) but {found} data bytes follow — re-download or re-copy the file"
        )
    array = np.frombuffer(raw, dtype=dtype, offset=header_size).reshape(shape)
    return array.astype(dtype.newbyteorder("="))


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read an IDX file; a name ending in ``.gz`` (or a gzip magic number) means gzip-compressed."""
    path = Path(path)
    data = path.read_bytes()
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (EOFError, OSError, zlib.error) as error:
            raise IDXFormatError(
                f"{path}: the gzip stream is damaged or truncated ({error}) — re-download or re-copy the file"
            ) from error
    return parse_idx(data, source=str(path))


def write_idx(path: str | os.PathLike, array: np.ndarray, compress: bool | None = None) -> Path:
    """Write ``array`` as an IDX file (gzip-compressed when ``compress`` or when the name ends in ``.gz``)."""
    path = Path(path)
    array = np.asarray(array)
    codes = {dtype.newbyteorder("="): code for code, dtype in IDX_TYPES.items()}
    native = array.dtype.newbyteorder("=")
    if native not in codes:
        raise TypeError(f"write_idx: dtype {array.dtype} has no IDX code; use one of "
                        f"{sorted({d.name for d in codes})}")
    code = codes[native]
    header = struct.pack(">HBB", 0, code, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    body = np.ascontiguousarray(array, dtype=IDX_TYPES[code]).tobytes()
    raw = header + body
    if compress or (compress is None and path.suffix == ".gz"):
        raw = gzip.compress(raw)
    path.write_bytes(raw)
    return path
