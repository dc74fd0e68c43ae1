"""Data augmentation on whole batches: each transform takes a batch of images (N, C, H, W) — or (N, H, W) —
and returns a new batch of the same shape, drawing a different random transformation for every image.

The geometric transforms are affine maps of the image plane. In coordinates centred on the image middle,
an output pixel p shows the input at the point

    q = A⁻¹ (p − t),        A = R(−θ) · S(φ) · Z(s)

with R(θ) = [[cos θ, −sin θ], [sin θ, cos θ]] a rotation, S(φ) = [[1, tan φ], [0, 1]] a shear along x,
Z(s) = s·I a zoom (s > 1 enlarges) and t a shift. The rotation is by −θ because pixel rows count downwards,
so a positive θ turns the picture counter-clockwise as it is displayed (torchvision's and Keras' convention).
The value at the non-integer point q is read by bilinear interpolation from its four neighbouring pixels,
v = Σ wᵢ vᵢ with weights (1 − |qx − xᵢ|)(1 − |qy − yᵢ|), and points outside the image read ``fill``.
All images are resampled together with one vectorised gather; there is no per-image loop. ``RandomAffine``
draws all four parameters at once (a single resampling).

Document 004 (§3.2.1) names four augmentations, 翻转、旋转、裁剪、颜色变换: ``RandomHorizontalFlip``,
``RandomRotation``, ``RandomCrop`` (a random window of the padded image) and ``ColorJitter`` (brightness,
contrast, saturation, hue), with torchvision's names and arguments.

Randomness: with ``seed`` a transform owns its generator; without, it draws from the project's generator
(``tinygrad_edu.manual_seed``). Transforms work on NumPy and CuPy arrays (and Tensors, returned as Tensors).

    >>> import numpy as np
    >>> from tinygrad_edu.data import transforms as T
    >>> augment = T.Compose([T.RandomAffine(degrees=10, translate=0.1, seed=0), T.Normalize(0.1307, 0.3081)])
    >>> augment(np.zeros((64, 1, 28, 28), np.float32)).shape
    (64, 1, 28, 28)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import backend
from ..tensor import Tensor


def _as_batch(name: str, images: Any) -> tuple[Any, bool, bool]:
    """The backend array of ``images`` as (N, C, H, W), and whether it was a Tensor / had no channel axis."""
    was_tensor = isinstance(images, Tensor)
    array = images.data if was_tensor else images
    if array.ndim not in (3, 4):
        raise ValueError(
            f"{name} expects a batch of images of shape (N, C, H, W) or (N, H, W), got shape {tuple(array.shape)}"
            ": transforms work on whole batches (pass them to DataLoader(transform=...))"
        )
    squeezed = array.ndim == 3
    return (array[:, None] if squeezed else array), was_tensor, squeezed


def _restore(array: Any, was_tensor: bool, squeezed: bool) -> Any:
    array = array[:, 0] if squeezed else array
    return Tensor._from_op(array, None) if was_tensor else array


class Transform:
    """A function of a batch; subclasses implement ``apply(batch)`` on an (N, C, H, W) backend array."""

    def __call__(self, images: Any) -> Any:
        batch, was_tensor, squeezed = _as_batch(type(self).__name__, images)
        return _restore(self.apply(batch), was_tensor, squeezed)

    def apply(self, batch: Any) -> Any:
        raise NotImplementedError

    def state_dict(self) -> dict:
        return {}

    def load_state_dict(self, state: dict) -> None:
        pass


class RandomTransform(Transform):
    """A transform with random parameters: its own generator when seeded, else the project's."""

    def __init__(self, seed: int | None = None):
        self.seed = seed
        self._generator = None if seed is None else np.random.default_rng(seed)

    @property
    def generator(self) -> np.random.Generator:
        return self._generator if self._generator is not None else backend.generator("numpy")

    def state_dict(self) -> dict:
        return {} if self._generator is None else {"generator": self._generator.bit_generator.state}

    def load_state_dict(self, state: dict) -> None:
        if self._generator is not None and "generator" in state:
            self._generator.bit_generator.state = state["generator"]


class Normalize(Transform):
    """x ← (x − mean) / std, per channel (one value for all channels, or one per channel).

    MNIST's usual values are mean 0.1307, std 0.3081 (of pixels scaled to [0, 1]).
    """

    def __init__(self, mean: float | Sequence[float], std: float | Sequence[float]):
        self.mean = np.atleast_1d(np.asarray(mean, dtype=np.float64))
        self.std = np.atleast_1d(np.asarray(std, dtype=np.float64))
        if np.any(self.std <= 0):
            raise ValueError(f"Normalize(std={std}): the standard deviation must be positive")

    def apply(self, batch: Any) -> Any:
        xp = backend.get_array_module(batch)
        channels = batch.shape[1]
        if self.mean.size not in (1, channels) or self.std.size not in (1, channels):
            raise ValueError(f"Normalize has {self.mean.size} means and {self.std.size} stds for images with "
                             f"{channels} channels: give one value, or one per channel")
        mean = xp.asarray(self.mean, dtype=batch.dtype).reshape(1, -1, 1, 1)
        std = xp.asarray(self.std, dtype=batch.dtype).reshape(1, -1, 1, 1)
        return (batch - mean) / std

    def __repr__(self) -> str:
        return f"Normalize(mean={self.mean.tolist()}, std={self.std.tolist()})"


def affine_resample(batch: Any, inverse: np.ndarray, shift: np.ndarray, fill: float = 0.0) -> Any:
    """Resample every image of ``batch`` (N, C, H, W) at q = A⁻¹(p − t) with bilinear interpolation.

    ``inverse`` holds each image's A⁻¹ (N, 2, 2), ``shift`` its t (N, 2) as (x, y) in pixels; p and q are
    measured from the image centre ((W − 1)/2, (H − 1)/2).

    The images get a border of ``fill`` (one pixel before, two after) and the sampling points are clamped
    into it, so a point outside the image reads ``fill`` without a mask; the four corners are four flat gathers.
    """
    xp = backend.get_array_module(batch)
    n, channels, height, width = batch.shape
    dtype = batch.dtype if batch.dtype.kind == "f" else np.dtype(np.float32)
    centre_x, centre_y = (width - 1) / 2, (height - 1) / 2
    inverse = xp.asarray(inverse, dtype=dtype)
    shift = xp.asarray(shift, dtype=dtype)
    px = (xp.arange(width, dtype=dtype) - centre_x) - shift[:, 0, None, None]  # (N, 1, W)
    py = (xp.arange(height, dtype=dtype) - centre_y)[:, None] - shift[:, 1, None, None]  # (N, H, 1)
    qx = inverse[:, 0, 0, None, None] * px + inverse[:, 0, 1, None, None] * py
    qy = inverse[:, 1, 0, None, None] * px + inverse[:, 1, 1, None, None] * py
    # back to pixel indices, clamped to [−1, W] (rows: [−1, H]): beyond, every neighbour is border anyway
    qx += centre_x
    qy += centre_y
    xp.clip(qx, -1.0, width, out=qx)
    xp.clip(qy, -1.0, height, out=qy)

    x0, y0 = xp.floor(qx), xp.floor(qy)
    fx, fy = (qx - x0)[:, None], (qy - y0)[:, None]  # the weights, with a channel axis
    padded = xp.pad(batch, ((0, 0), (0, 0), (1, 2), (1, 2)), constant_values=fill)
    row = width + 3
    y0 += 1
    y0 *= row
    x0 += 1
    y0 += x0  # the flat index of (x0, y0) inside a padded image (exact: small integers in floating point)
    image_start = xp.arange(n * channels, dtype=np.int64).reshape(n, channels, 1, 1) * ((height + 3) * row)
    top_left = image_start + y0.astype(np.int64)[:, None]
    flat = padded.reshape(-1)
    upper_left, upper_right = flat[top_left], flat[top_left + 1]
    lower_left, lower_right = flat[top_left + row], flat[top_left + row + 1]
    upper_right -= upper_left
    upper_right *= fx
    upper_left += upper_right  # upper = upper_left + fx (upper_right − upper_left)
    lower_right -= lower_left
    lower_right *= fx
    lower_left += lower_right
    lower_left -= upper_left
    lower_left *= fy
    upper_left += lower_left  # out = upper + fy (lower − upper)
    return upper_left.astype(batch.dtype, copy=False)


def _symmetric(name: str, value: float | Sequence[float] | None, default: float = 0.0) -> tuple[float, float]:
    """A range given as one number a (meaning [−a, a]) or as a pair (low, high)."""
    if value is None:
        return (default, default)
    if isinstance(value, int | float):
        if value < 0:
            raise ValueError(f"{name}={value}: a single value a means the range [−a, a] and must be ≥ 0")
        return (default - value, default + value)
    low, high = value
    if low > high:
        raise ValueError(f"{name}=({low}, {high}): the range's low end is above its high end")
    return (float(low), float(high))


class RandomAffine(RandomTransform):
    """A random rotation, shift, zoom and shear per image, applied as one affine resampling.

    * ``degrees``: rotation angle θ uniform on [−degrees, degrees] (or a (low, high) pair);
    * ``translate``: shift t uniform up to this fraction of the width (x) and height (y), e.g. 0.1;
    * ``zoom``: scale s uniform on [1 − zoom, 1 + zoom] (or a (low, high) pair of scales);
    * ``shear``: shear angle φ uniform on [−shear, shear] degrees;
    * ``fill``: the value of pixels that come from outside the image.
    """

    def __init__(self, degrees: float | Sequence[float] = 0.0, translate: float | Sequence[float] | None = None,
                 zoom: float | Sequence[float] | None = None, shear: float | Sequence[float] | None = None,
                 fill: float = 0.0, seed: int | None = None):
        super().__init__(seed)
        self.degrees = _symmetric("degrees", degrees)
        if translate is None:
            self.translate = (0.0, 0.0)
        elif isinstance(translate, int | float):
            self.translate = (float(translate), float(translate))
        else:
            self.translate = tuple(float(t) for t in translate)
        if not all(0 <= t <= 1 for t in self.translate):
            raise ValueError(f"translate={translate}: shifts are fractions of the image size, between 0 and 1")
        self.zoom = (1.0, 1.0) if zoom is None else (
            _symmetric("zoom", zoom, 1.0) if isinstance(zoom, int | float) else tuple(map(float, zoom)))
        if self.zoom[0] <= 0:
            raise ValueError(f"zoom={zoom}: the scale must stay positive (use a zoom below 1)")
        self.shear = _symmetric("shear", shear)
        self.fill = float(fill)

    def draw(self, n: int, height: int, width: int) -> tuple[np.ndarray, np.ndarray]:
        """Draw each image's A⁻¹ (n, 2, 2) and t (n, 2) from the generator."""
        rng = self.generator
        theta = -np.deg2rad(rng.uniform(*self.degrees, size=n))  # R(−θ): counter-clockwise on screen
        phi = np.deg2rad(rng.uniform(*self.shear, size=n))
        scale = rng.uniform(*self.zoom, size=n)
        shift = rng.uniform(-1.0, 1.0, size=(n, 2)) * np.array(self.translate) * np.array([width, height])
        cos, sin, tan = np.cos(theta), np.sin(theta), np.tan(phi)
        rotation = np.stack([np.stack([cos, -sin], -1), np.stack([sin, cos], -1)], -2)
        shearing = np.zeros((n, 2, 2))
        shearing[:, 0, 0] = shearing[:, 1, 1] = 1.0
        shearing[:, 0, 1] = tan
        forward = rotation @ shearing * scale[:, None, None]
        return np.linalg.inv(forward), shift

    def apply(self, batch: Any) -> Any:
        inverse, shift = self.draw(batch.shape[0], batch.shape[2], batch.shape[3])
        return affine_resample(batch, inverse, shift, self.fill)

    def __repr__(self) -> str:
        ranges = ", ".join(f"{name}=({low:.4g}, {high:.4g})" for name, (low, high) in (
            ("degrees", self.degrees), ("translate", self.translate), ("zoom", self.zoom), ("shear", self.shear)))
        return f"{type(self).__name__}({ranges}, fill={self.fill:g}, seed={self.seed})"


class RandomShift(RandomAffine):
    """Shift each image by up to ``max_shift`` of its width and height (Keras' ``width_shift_range``)."""

    def __init__(self, max_shift: float | Sequence[float] = 0.1, fill: float = 0.0, seed: int | None = None):
        super().__init__(translate=max_shift, fill=fill, seed=seed)


class RandomRotation(RandomAffine):
    """Rotate each image about its centre by an angle uniform on [−degrees, degrees] (positive:
    counter-clockwise as displayed)."""

    def __init__(self, degrees: float | Sequence[float] = 10.0, fill: float = 0.0, seed: int | None = None):
        super().__init__(degrees=degrees, fill=fill, seed=seed)


class RandomZoom(RandomAffine):
    """Scale each image about its centre by s uniform on [1 − zoom, 1 + zoom] (s > 1 enlarges)."""

    def __init__(self, zoom: float | Sequence[float] = 0.1, fill: float = 0.0, seed: int | None = None):
        super().__init__(zoom=zoom, fill=fill, seed=seed)


class RandomShear(RandomAffine):
    """Shear each image along x by an angle φ uniform on [−degrees, degrees]: (x, y) → (x + y tan φ, y)."""

    def __init__(self, degrees: float | Sequence[float] = 10.0, fill: float = 0.0, seed: int | None = None):
        super().__init__(shear=degrees, fill=fill, seed=seed)


class RandomHorizontalFlip(RandomTransform):
    """Mirror each image left–right with probability ``p``."""

    def __init__(self, p: float = 0.5, seed: int | None = None):
        super().__init__(seed)
        if not 0 <= p <= 1:
            raise ValueError(f"RandomHorizontalFlip(p={p}): a probability lies in [0, 1]")
        self.p = p

    def apply(self, batch: Any) -> Any:
        xp = backend.get_array_module(batch)
        flip = xp.asarray(self.generator.random(batch.shape[0]) < self.p)[:, None, None, None]
        return xp.where(flip, batch[..., ::-1], batch)

    def __repr__(self) -> str:
        return f"RandomHorizontalFlip(p={self.p}, seed={self.seed})"


def _pair(name: str, value: int | Sequence[int]) -> tuple[int, int]:
    """An image size given as one int (square) or as (height, width), both positive."""
    size = (int(value), int(value)) if isinstance(value, int | np.integer) else tuple(int(v) for v in value)
    if len(size) != 2 or min(size) <= 0:
        raise ValueError(f"{name}: size={value} must be a positive int or a (height, width) pair of them")
    return size


class RandomCrop(RandomTransform):
    """Cut a random ``size`` window out of each image (after padding it), as torchvision's ``RandomCrop``.

    The image (H, W) is first padded by ``padding`` — one int for every side, (left/right, top/bottom), or
    (left, top, right, bottom) — with ``padding_mode`` "constant" (``fill``), "edge", "reflect" or "symmetric";
    then each image gets its own top-left corner (i, j), uniform on 0 … H_pad − h and 0 … W_pad − w:

        out[n] = padded[n, :, iₙ : iₙ + h, jₙ : jₙ + w]

    The usual CIFAR/MNIST recipe pads by 4 (or 2) and crops back to the original size: a random shift of up to
    4 pixels whose border comes from the padding. ``pad_if_needed`` pads images smaller than ``size``.
    """

    MODES = ("constant", "edge", "reflect", "symmetric")

    def __init__(self, size: int | Sequence[int], padding: int | Sequence[int] | None = None,
                 pad_if_needed: bool = False, fill: float = 0.0, padding_mode: str = "constant",
                 seed: int | None = None):
        super().__init__(seed)
        self.size = _pair("RandomCrop", size)
        if padding is None:
            padding = 0
        pads = (padding,) * 4 if isinstance(padding, int | np.integer) else tuple(int(p) for p in padding)
        if len(pads) == 2:
            pads = (pads[0], pads[1], pads[0], pads[1])
        if len(pads) != 4 or min(pads) < 0:
            raise ValueError(f"RandomCrop(padding={padding}): give one int ≥ 0, (left/right, top/bottom) or "
                             "(left, top, right, bottom)")
        if padding_mode not in self.MODES:
            raise ValueError(f"RandomCrop(padding_mode={padding_mode!r}): use one of {self.MODES}")
        self.padding, self.pad_if_needed, self.fill, self.padding_mode = pads, pad_if_needed, float(fill), padding_mode

    def apply(self, batch: Any) -> Any:
        xp = backend.get_array_module(batch)
        left, top, right, bottom = self.padding
        height, width = batch.shape[2] + top + bottom, batch.shape[3] + left + right
        h, w = self.size
        if self.pad_if_needed:
            extra_h, extra_w = max(h - height, 0), max(w - width, 0)
            top, bottom, left, right = top + extra_h, bottom + extra_h, left + extra_w, right + extra_w
            height, width = height + 2 * extra_h, width + 2 * extra_w
        if h > height or w > width:
            raise ValueError(f"RandomCrop(size={self.size}) of images of size {tuple(batch.shape[2:])} padded to "
                             f"{(height, width)}: the crop is larger than the image (pad more, or pad_if_needed=True)")
        widths = ((0, 0), (0, 0), (top, bottom), (left, right))
        options = {"constant_values": self.fill} if self.padding_mode == "constant" else {}
        padded = xp.pad(batch, widths, mode=self.padding_mode, **options) if any(widths[2] + widths[3]) else batch
        n = batch.shape[0]
        rows = self.generator.integers(0, height - h + 1, size=n)[:, None] + np.arange(h)  # (n, h)
        cols = self.generator.integers(0, width - w + 1, size=n)[:, None] + np.arange(w)   # (n, w)
        index_n = xp.arange(n)[:, None, None, None]
        index_c = xp.arange(batch.shape[1])[None, :, None, None]
        return padded[index_n, index_c, xp.asarray(rows)[:, None, :, None], xp.asarray(cols)[:, None, None, :]]

    def __repr__(self) -> str:
        return (f"RandomCrop(size={self.size}, padding={self.padding}, pad_if_needed={self.pad_if_needed}, "
                f"fill={self.fill:g}, padding_mode={self.padding_mode!r}, seed={self.seed})")


GRAY_WEIGHTS = (0.2989, 0.587, 0.114)  # ITU-R 601 luma, as torchvision's rgb_to_grayscale


def grayscale(batch: Any) -> Any:
    """Luma Y = 0.2989 R + 0.587 G + 0.114 B of an (N, 3, H, W) batch, as (N, 1, H, W); a 1-channel batch as is."""
    if batch.shape[1] == 1:
        return batch
    red, green, blue = batch[:, 0:1], batch[:, 1:2], batch[:, 2:3]
    return GRAY_WEIGHTS[0] * red + GRAY_WEIGHTS[1] * green + GRAY_WEIGHTS[2] * blue


def rgb_to_hsv(batch: Any) -> Any:
    """(N, 3, H, W) RGB in [0, 1] → HSV in [0, 1]: V = max, S = (max − min)/max, H = the hexagon angle / 360°."""
    xp = backend.get_array_module(batch)
    red, green, blue = batch[:, 0], batch[:, 1], batch[:, 2]
    value, low = batch.max(axis=1), batch.min(axis=1)
    chroma = value - low
    saturation = chroma / xp.where(value == 0, 1, value)
    safe = xp.where(chroma == 0, 1, chroma)
    rc, gc, bc = (value - red) / safe, (value - green) / safe, (value - blue) / safe
    hue = xp.where(value == red, bc - gc, xp.where(value == green, 2.0 + rc - bc, 4.0 + gc - rc))
    hue = xp.where(chroma == 0, 0.0, hue)
    return xp.stack([(hue / 6.0) % 1.0, saturation, value], axis=1).astype(batch.dtype, copy=False)


def hsv_to_rgb(batch: Any) -> Any:
    """The inverse of ``rgb_to_hsv``: sector i = ⌊6H⌋ picks which of V, p = V(1 − S), q = V(1 − Sf), t = V(1 − S(1 − f))
    is R, G and B (f = 6H − i)."""
    xp = backend.get_array_module(batch)
    hue, saturation, value = batch[:, 0], batch[:, 1], batch[:, 2]
    sector = xp.floor(hue * 6.0)
    f = hue * 6.0 - sector
    sector = sector.astype(np.int64) % 6
    p = xp.clip(value * (1.0 - saturation), 0.0, 1.0)
    q = xp.clip(value * (1.0 - saturation * f), 0.0, 1.0)
    t = xp.clip(value * (1.0 - saturation * (1.0 - f)), 0.0, 1.0)
    choices = {"r": (value, q, p, p, t, value), "g": (t, value, value, q, p, p), "b": (p, p, t, value, value, q)}
    channels = [xp.choose(sector, options) for options in choices.values()]
    return xp.stack(channels, axis=1).astype(batch.dtype, copy=False)


class ColorJitter(RandomTransform):
    """Random brightness, contrast, saturation and hue per image, as torchvision's ``ColorJitter`` (pixels in [0, 1]).

    Each factor is drawn per image: b, c, s uniform on [max(0, 1 − x), 1 + x] for ``brightness``, ``contrast``,
    ``saturation`` = x (or a (low, high) pair), and a hue shift δ uniform on [−hue, hue] with hue ≤ 0.5. With Y the
    grey (luma) image and Ȳ its mean, the four are applied in this order, each clipped to [0, 1]:

        brightness x ← b·x;   contrast x ← c·x + (1 − c)·Ȳ;   saturation x ← s·x + (1 − s)·Y;   hue H ← (H + δ) mod 1

    (torchvision draws one factor set per call and shuffles the order; here every image has its own factors and the
    order is fixed). Saturation and hue need 3-channel RGB images.
    """

    def __init__(self, brightness: float | Sequence[float] = 0.0, contrast: float | Sequence[float] = 0.0,
                 saturation: float | Sequence[float] = 0.0, hue: float | Sequence[float] = 0.0,
                 seed: int | None = None):
        super().__init__(seed)
        self.brightness = self._factor("brightness", brightness)
        self.contrast = self._factor("contrast", contrast)
        self.saturation = self._factor("saturation", saturation)
        self.hue = _symmetric("hue", hue) if hue is not None else (0.0, 0.0)
        if not -0.5 <= self.hue[0] <= self.hue[1] <= 0.5:
            raise ValueError(f"ColorJitter(hue={hue}): the hue shift is a fraction of the colour circle in [−0.5, 0.5]")

    @staticmethod
    def _factor(name: str, value: float | Sequence[float] | None) -> tuple[float, float]:
        if value is None:
            return (1.0, 1.0)
        if isinstance(value, int | float):
            if value < 0:
                raise ValueError(f"ColorJitter({name}={value}): must be ≥ 0 (the factor is drawn on [1 − x, 1 + x])")
            return (max(0.0, 1.0 - value), 1.0 + value)
        low, high = (float(v) for v in value)
        if not 0 <= low <= high:
            raise ValueError(f"ColorJitter({name}={value}): a (low, high) range of factors with 0 ≤ low ≤ high")
        return (low, high)

    def apply(self, batch: Any) -> Any:
        xp = backend.get_array_module(batch)
        n, channels = batch.shape[:2]
        if (self.saturation != (1.0, 1.0) or self.hue != (0.0, 0.0)) and channels != 3:
            raise ValueError(f"ColorJitter: saturation and hue need RGB images (N, 3, H, W), got {channels} channel(s)")

        def draw(low: float, high: float) -> Any:
            return xp.asarray(self.generator.uniform(low, high, size=n).astype(batch.dtype))[:, None, None, None]

        out = batch
        if self.brightness != (1.0, 1.0):
            out = xp.clip(draw(*self.brightness) * out, 0.0, 1.0)
        if self.contrast != (1.0, 1.0):
            factor = draw(*self.contrast)
            mean = grayscale(out).mean(axis=(1, 2, 3), keepdims=True)
            out = xp.clip(factor * out + (1 - factor) * mean, 0.0, 1.0)
        if self.saturation != (1.0, 1.0):
            factor = draw(*self.saturation)
            out = xp.clip(factor * out + (1 - factor) * grayscale(out), 0.0, 1.0)
        if self.hue != (0.0, 0.0):
            hsv = rgb_to_hsv(out)
            hsv[:, 0] = (hsv[:, 0] + draw(*self.hue)[:, 0]) % 1.0
            out = hsv_to_rgb(hsv)
        return out.astype(batch.dtype, copy=False)

    def __repr__(self) -> str:
        return (f"ColorJitter(brightness={self.brightness}, contrast={self.contrast}, saturation={self.saturation}, "
                f"hue={self.hue}, seed={self.seed})")


class Compose(Transform):
    """Apply transforms one after the other: ``Compose([RandomRotation(10), Normalize(0.13, 0.31)])``."""

    def __init__(self, transforms: Sequence[Any]):
        self.transforms = list(transforms)

    def __call__(self, images: Any) -> Any:
        for transform in self.transforms:
            images = transform(images)
        return images

    def apply(self, batch: Any) -> Any:
        return self(batch)

    def state_dict(self) -> dict:
        return {str(i): t.state_dict() for i, t in enumerate(self.transforms) if hasattr(t, "state_dict")}

    def load_state_dict(self, state: dict) -> None:
        for i, transform in enumerate(self.transforms):
            if str(i) in state and hasattr(transform, "load_state_dict"):
                transform.load_state_dict(state[str(i)])

    def __repr__(self) -> str:
        return "Compose([" + ", ".join(repr(t) for t in self.transforms) + "])"
