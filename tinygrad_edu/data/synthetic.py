"""Data generated on the spot, for offline use, tests and walkthroughs: no download, seeded, fast.

Every generator takes ``seed``: with a seed it has its own generator and returns the same data every time;
without, it draws from the project's generator (``tinygrad_edu.manual_seed``). Results are NumPy arrays —
float32 inputs and int64 class labels — ready for ``TensorDataset(*spiral(...))``.
"""

from __future__ import annotations

import numpy as np

from .. import backend

SHAPE_CLASSES = ("circle", "square", "triangle", "cross", "ring")


def _rng(seed: int | None) -> np.random.Generator:
    return backend.generator("numpy") if seed is None else np.random.default_rng(seed)


def spiral(n_classes: int = 3, n_per_class: int = 100, noise: float = 0.2,
           seed: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Interleaved spiral arms in the plane, one per class (CS231n's toy set): not linearly separable.

    Arm k, point i of n:  r = i/n,  θ = 4·(k + r) + ε with ε ~ N(0, noise²),  x = (r sin θ, r cos θ).
    Returns X of shape (n_classes·n_per_class, 2) and labels y.
    """
    rng = _rng(seed)
    radius = np.tile(np.linspace(0.0, 1.0, n_per_class), n_classes)
    labels = np.repeat(np.arange(n_classes), n_per_class)
    theta = 4.0 * (labels + radius) + noise * rng.standard_normal(radius.shape)
    points = np.stack([radius * np.sin(theta), radius * np.cos(theta)], axis=1)
    return points.astype(np.float32), labels.astype(np.int64)


def moons(n: int = 200, noise: float = 0.1, seed: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles (scikit-learn's ``make_moons``): class 0 the upper, class 1 the lower.

    Upper: (cos t, sin t);  lower: (1 − cos t, ½ − sin t);  t uniform on [0, π], plus N(0, noise²) jitter.
    """
    rng = _rng(seed)
    n_upper = n // 2
    t = np.concatenate([np.linspace(0, np.pi, n_upper), np.linspace(0, np.pi, n - n_upper)])
    labels = (np.arange(n) >= n_upper).astype(np.int64)
    x = np.where(labels == 0, np.cos(t), 1.0 - np.cos(t))
    y = np.where(labels == 0, np.sin(t), 0.5 - np.sin(t))
    points = np.stack([x, y], axis=1) + noise * rng.standard_normal((n, 2))
    order = rng.permutation(n)
    return points[order].astype(np.float32), labels[order]


def regression(n: int = 100, d: int = 10, noise: float = 0.1,
               seed: int | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """A linear-regression problem with known answer: y = X w* + b* + ε, ε ~ N(0, noise²).

    X ~ N(0, 1) of shape (n, d); returns ``(X, y, w_true, b_true)`` with y of shape (n, 1), w* of shape (d, 1)
    and b* of shape (1,) — the documents' ``Linear(10, 1)`` example learns w* and b* back.
    """
    rng = _rng(seed)
    w_true = rng.standard_normal((d, 1))
    b_true = rng.standard_normal(1)
    x = rng.standard_normal((n, d))
    y = x @ w_true + b_true + noise * rng.standard_normal((n, 1))
    return (x.astype(np.float32), y.astype(np.float32), w_true.astype(np.float32), b_true.astype(np.float32))


def _circle(u, v, s, scale):
    return np.hypot(u, v) - s


def _square(u, v, s, scale):
    return np.maximum(np.abs(u), np.abs(v)) - 0.8 * s


def _triangle(u, v, s, scale):
    normals = np.deg2rad([90.0, 210.0, 330.0])
    return np.max([np.cos(a) * u + np.sin(a) * v for a in normals], axis=0) - 0.6 * s


def _cross(u, v, s, scale):
    bar = s / 4
    return np.minimum(np.maximum(np.abs(u) - s, np.abs(v) - bar), np.maximum(np.abs(u) - bar, np.abs(v) - s))


def _ring(u, v, s, scale):
    return np.abs(np.hypot(u, v) - s) - 1.2 * scale


_SIGNED_DISTANCES = (_circle, _square, _triangle, _cross, _ring)  # in the order of SHAPE_CLASSES


def shapes(n: int = 1000, size: int = 28, noise: float = 0.1,
           seed: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Grey images of drawn shapes — circle, square, triangle, cross, ring (``SHAPE_CLASSES``) — for image
    classification without a download. Returns float32 images (n, 1, size, size) in [0, 1] and labels.

    Each shape has a random centre, size, rotation and brightness, and is drawn from its *signed distance*
    d(p) (negative inside, positive outside) with a one-pixel soft edge:  intensity = clip(½ − d(p), 0, 1).
    In the shape's rotated frame (u, v) around its centre, with size s uniform on [7, 10] pixels (for size 28):

    * circle    d = ‖(u, v)‖ − s
    * square    d = max(|u|, |v|) − 0.8 s
    * triangle  d = maxₖ (nₖ · (u, v)) − 0.6 s, nₖ the outward normals at 90°, 210°, 330°
    * cross     d = min(max(|u| − s, |v| − t), max(|u| − t, |v| − s)), bar half-width t = s/4
    * ring      d = | ‖(u, v)‖ − s | − 1.2   (for size 28; lengths scale with size/28)

    then Gaussian pixel noise N(0, noise²) is added and the result clipped to [0, 1]. The images of one class
    are drawn together, as arrays of shape (count, size, size): there is no per-image Python loop.
    """
    if size < 10:
        raise ValueError(f"shapes(size={size}): images need at least 10 × 10 pixels to hold a shape")
    rng = _rng(seed)
    labels = rng.integers(0, len(SHAPE_CLASSES), size=n)
    scale = size / 28.0
    half = rng.uniform(7.0, 10.0, size=n) * scale
    margin = 1.2 * half + 0.5 * scale  # a shape reaches at most 1.2 s from its centre (a triangle's corner)
    centre_x = rng.uniform(margin, size - 1 - margin)
    centre_y = rng.uniform(margin, size - 1 - margin)
    angle = rng.uniform(0, 2 * np.pi, size=n)
    brightness = rng.uniform(0.6, 1.0, size=n)

    grid = np.arange(size, dtype=np.float32)
    dx = grid[None, None, :] - centre_x[:, None, None].astype(np.float32)
    dy = grid[None, :, None] - centre_y[:, None, None].astype(np.float32)
    cos = np.cos(angle)[:, None, None].astype(np.float32)
    sin = np.sin(angle)[:, None, None].astype(np.float32)
    u, v = cos * dx + sin * dy, -sin * dx + cos * dy
    s = half[:, None, None].astype(np.float32)

    distance = np.empty((n, size, size), dtype=np.float32)
    for k, draw in enumerate(_SIGNED_DISTANCES):  # one vectorised call per class, over that class's images
        chosen = labels == k
        distance[chosen] = draw(u[chosen], v[chosen], s[chosen], scale)
    images = np.clip(0.5 - distance, 0.0, 1.0) * brightness[:, None, None].astype(np.float32)
    images += noise * rng.standard_normal(images.shape, dtype=np.float32)
    np.clip(images, 0.0, 1.0, out=images)
    return images[:, None], labels.astype(np.int64)


def adding_problem(n: int = 1000, seq_len: int = 50,
                   seed: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The adding problem (Hochreiter & Schmidhuber, 1997), a test of long-range memory for recurrent nets.

    Input of shape (n, seq_len, 2): channel 0 holds values uniform on [0, 1]; channel 1 marks exactly two
    positions with 1, one in each half of the sequence. Target (n, 1): the sum of the two marked values.
    Always predicting 1 gives a mean squared error of 1/6 ≈ 0.167, the baseline to beat.
    """
    if seq_len < 2:
        raise ValueError(f"adding_problem(seq_len={seq_len}): the sequence needs at least 2 steps")
    rng = _rng(seed)
    values = rng.uniform(0.0, 1.0, size=(n, seq_len))
    half = seq_len // 2
    first = rng.integers(0, half, size=n)
    second = rng.integers(half, seq_len, size=n)
    markers = np.zeros((n, seq_len))
    rows = np.arange(n)
    markers[rows, first] = 1.0
    markers[rows, second] = 1.0
    target = values[rows, first] + values[rows, second]
    inputs = np.stack([values, markers], axis=2)
    return inputs.astype(np.float32), target[:, None].astype(np.float32)


def reverse_sequences(n: int = 1000, seq_len: int = 10, vocab_size: int = 10,
                      seed: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """A sequence-to-sequence toy task: token sequences (n, seq_len) of ids in [0, vocab_size) and their
    reverses as targets, ``y[:, t] = x[:, seq_len − 1 − t]`` (int64)."""
    rng = _rng(seed)
    tokens = rng.integers(0, vocab_size, size=(n, seq_len), dtype=np.int64)
    return tokens, tokens[:, ::-1].copy()


def digits() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's bundled 8×8 handwritten digits (1,797 images, no download needed).

    Returns float32 images (1797, 1, 8, 8) scaled to [0, 1] (the raw values are 0–16) and int64 labels 0–9.
    """
    try:
        from sklearn.datasets import load_digits
    except ImportError as error:
        raise ImportError(
            "digits() reads the 8×8 digits bundled with scikit-learn, which is not installed: "
            "`python -m pip install scikit-learn`, or use shapes() or mnist() instead"
        ) from error
    bunch = load_digits()
    images = (bunch.images / 16.0).astype(np.float32)[:, None]
    return images, bunch.target.astype(np.int64)
