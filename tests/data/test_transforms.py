"""Batch augmentation: the affine resampling against exact references, per-image randomness, seeding."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_edu as tg
from tinygrad_edu.data import transforms as T
from tinygrad_edu.data.transforms import affine_resample


def _images(n: int = 4, channels: int = 2, size: int = 9, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).random((n, channels, size, size)).astype(np.float32)


def _identity(n: int) -> np.ndarray:
    return np.broadcast_to(np.eye(2), (n, 2, 2)).copy()


def test_identity_resampling_returns_the_images_exactly():
    images = _images()
    out = affine_resample(images, _identity(4), np.zeros((4, 2)))
    np.testing.assert_array_equal(out, images)
    assert out.dtype == np.float32


@given(dx=st.integers(-4, 4), dy=st.integers(-4, 4))
def test_integer_shift_moves_pixels_and_fills_with_zero(dx, dy):
    images = _images(n=1, channels=1)
    out = affine_resample(images, _identity(1), np.array([[dx, dy]], dtype=float))
    expected = np.zeros_like(images)
    h = w = 9
    expected[..., max(dy, 0):h + min(dy, 0), max(dx, 0):w + min(dx, 0)] = \
        images[..., max(-dy, 0):h + min(-dy, 0), max(-dx, 0):w + min(-dx, 0)]
    np.testing.assert_allclose(out, expected, atol=1e-6)


def test_rotation_by_90_degrees_matches_rot90():
    images = _images(n=2, channels=1)
    rotation = T.RandomRotation(degrees=(90, 90))
    out = rotation(images)
    # positive angles turn the picture counter-clockwise as displayed (rows downwards), as np.rot90 does
    np.testing.assert_allclose(out, np.rot90(images, k=1, axes=(2, 3)), atol=1e-5)


def test_half_pixel_shift_averages_neighbours():
    images = _images(n=1, channels=1)
    out = affine_resample(images, _identity(1), np.array([[0.5, 0.0]]))
    np.testing.assert_allclose(out[0, 0, :, 1:], (images[0, 0, :, 1:] + images[0, 0, :, :-1]) / 2, atol=1e-6)
    np.testing.assert_allclose(out[0, 0, :, 0], images[0, 0, :, 0] / 2, atol=1e-6)  # the other neighbour is fill


def test_fill_value_for_pixels_from_outside():
    images = np.zeros((1, 1, 5, 5), np.float32)
    out = affine_resample(images, _identity(1), np.array([[2.0, 0.0]]), fill=1.0)
    np.testing.assert_allclose(out[0, 0, :, :2], 1.0)
    np.testing.assert_allclose(out[0, 0, :, 2:], 0.0)


def test_zoom_keeps_the_centre_and_shear_keeps_the_middle_row():
    images = _images(n=3, channels=1, size=9)
    zoomed = T.RandomZoom(zoom=(2.0, 2.0))(images)
    np.testing.assert_allclose(zoomed[:, :, 4, 4], images[:, :, 4, 4], atol=1e-6)
    # a zoom by 2 reads the input at half the distance from the centre: output (6, 4) shows input (5, 4)
    np.testing.assert_allclose(zoomed[:, :, 6, 4], images[:, :, 5, 4], atol=1e-6)
    sheared = T.RandomShear(degrees=(30, 30))(images)
    np.testing.assert_allclose(sheared[:, :, 4, :], images[:, :, 4, :], atol=1e-6)  # y = 0: x + y tan φ = x


def test_every_image_gets_its_own_parameters_and_seeds_reproduce():
    image = _images(n=1, channels=1)
    batch = np.repeat(image, 8, axis=0)
    augment = T.RandomAffine(degrees=20, translate=0.1, zoom=0.1, shear=10, seed=3)
    out = augment(batch)
    assert len({out[i].tobytes() for i in range(8)}) == 8
    np.testing.assert_array_equal(T.RandomAffine(degrees=20, translate=0.1, zoom=0.1, shear=10, seed=3)(batch), out)
    tg.manual_seed(11)
    unseeded = T.RandomRotation(15)(batch)
    tg.manual_seed(11)
    np.testing.assert_array_equal(T.RandomRotation(15)(batch), unseeded)


def test_transform_state_dict_resumes_its_generator():
    augment = T.Compose([T.RandomShift(0.2, seed=1), T.RandomHorizontalFlip(seed=2)])
    images = _images()
    augment(images)
    state = augment.state_dict()
    expected = augment(images)
    other = T.Compose([T.RandomShift(0.2, seed=1), T.RandomHorizontalFlip(seed=2)])
    other.load_state_dict(state)
    np.testing.assert_array_equal(other(images), expected)


def test_horizontal_flip_probability_extremes():
    images = _images()
    np.testing.assert_array_equal(T.RandomHorizontalFlip(p=1.0)(images), images[..., ::-1])
    np.testing.assert_array_equal(T.RandomHorizontalFlip(p=0.0)(images), images)
    flipped = T.RandomHorizontalFlip(p=0.5, seed=0)(np.repeat(images[:1], 64, axis=0))
    count = sum(np.array_equal(f, images[0, ..., ::-1]) for f in flipped)
    assert 16 < count < 48


def test_normalize_per_channel_and_compose():
    images = _images(channels=2)
    out = T.Normalize([0.5, 0.25], [2.0, 0.5])(images)
    np.testing.assert_allclose(out[:, 0], (images[:, 0] - 0.5) / 2.0, rtol=1e-6)
    np.testing.assert_allclose(out[:, 1], (images[:, 1] - 0.25) / 0.5, rtol=1e-6)
    composed = T.Compose([T.RandomHorizontalFlip(p=1.0), T.Normalize(0.5, 2.0)])(images)
    np.testing.assert_allclose(composed, (images[..., ::-1] - 0.5) / 2.0, rtol=1e-6)
    with pytest.raises(ValueError, match="3 means .* 2 channels"):
        T.Normalize([0.1, 0.2, 0.3], [1, 1, 1])(images)
    with pytest.raises(ValueError, match="must be positive"):
        T.Normalize(0.0, 0.0)


def test_channel_less_batches_and_tensors():
    images = _images(channels=1)[:, 0]
    out = T.RandomRotation(10, seed=0)(images)
    assert out.shape == images.shape
    tensor_out = T.RandomRotation(10, seed=0)(tg.Tensor(images))
    assert isinstance(tensor_out, tg.Tensor)
    np.testing.assert_array_equal(tensor_out.numpy(), out)


def test_bad_shapes_and_ranges_are_explained():
    with pytest.raises(ValueError, match=r"RandomRotation expects a batch of images.*\(9, 9\)"):
        T.RandomRotation(10)(np.zeros((9, 9)))
    with pytest.raises(ValueError, match="fractions of the image size"):
        T.RandomShift(3)
    with pytest.raises(ValueError, match="must be ≥ 0"):
        T.RandomRotation(-5)


# ---------------------------------------------------------------- RandomCrop and ColorJitter (document 004 §3.2.1)


@given(st.integers(0, 3), st.integers(3, 9), st.integers(3, 9), st.integers(0, 2**16))
def test_random_crop_cuts_a_window_of_the_padded_image(padding, h, w, seed):
    images = _images(n=5, channels=2, size=9)
    size = (min(h, 9 + 2 * padding), min(w, 9 + 2 * padding))
    out = T.RandomCrop(size, padding=padding, seed=seed)(images)
    assert out.shape == (5, 2, *size)
    padded = np.pad(images, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    for image, crop in zip(padded, out, strict=True):
        windows = [(i, j) for i in range(padded.shape[2] - size[0] + 1) for j in range(padded.shape[3] - size[1] + 1)
                   if np.array_equal(image[:, i:i + size[0], j:j + size[1]], crop)]
        assert windows, "the crop is no window of the padded image"


def test_random_crop_corners_vary_per_image_and_seeds_reproduce():
    images = np.repeat(np.arange(81, dtype=np.float32).reshape(1, 1, 9, 9), 200, axis=0)
    out = T.RandomCrop(5, seed=3)(images)
    corners = {(int(crop[0, 0, 0]) // 9, int(crop[0, 0, 0]) % 9) for crop in out}
    assert corners == {(i, j) for i in range(5) for j in range(5)}  # every one of the 25 corners is drawn
    np.testing.assert_array_equal(out, T.RandomCrop(5, seed=3)(images))
    np.testing.assert_array_equal(T.RandomCrop(9)(images), images)  # full size, no padding: the identity


def test_random_crop_padding_modes_and_pad_if_needed():
    image = np.arange(9, dtype=np.float32).reshape(1, 1, 3, 3)
    for mode in ("constant", "edge", "reflect", "symmetric"):
        out = T.RandomCrop(7, padding=2, padding_mode=mode, fill=-1.0)(image)  # 7 = 3 + 2·2: the whole padded image
        expected = np.pad(image, ((0, 0), (0, 0), (2, 2), (2, 2)), mode=mode,
                          **({"constant_values": -1.0} if mode == "constant" else {}))
        np.testing.assert_array_equal(out, expected)
    assert T.RandomCrop(5, pad_if_needed=True)(image).shape == (1, 1, 5, 5)
    with pytest.raises(ValueError, match="larger than the image"):
        T.RandomCrop(5)(image)
    with pytest.raises(ValueError, match="padding_mode"):
        T.RandomCrop(3, padding_mode="wrap")


def _rgb(n: int = 6, size: int = 5, seed: int = 0, high: float = 1.0) -> np.ndarray:
    return (np.random.default_rng(seed).random((n, 3, size, size)) * high).astype(np.float32)


def test_brightness_scales_each_image_by_its_own_factor_in_range():
    images = _rgb(n=40, high=0.5) + 0.01  # ≤ 0.51: no clipping with factors ≤ 1.5
    out = T.ColorJitter(brightness=0.5, seed=0)(images)
    ratios = (out / images).reshape(40, -1)
    np.testing.assert_allclose(ratios, ratios[:, :1] * np.ones_like(ratios), rtol=1e-5)
    assert 0.5 <= ratios.min() and ratios.max() <= 1.5 and len(np.unique(ratios[:, 0].round(5))) > 30


def test_contrast_and_saturation_are_blends_with_the_grey_image():
    images = _rgb(n=20, high=0.5) + 0.25  # in [0.25, 0.75]: factors in [0.5, 1.5] stay inside [0, 1]
    gray = T.grayscale(images)
    saturated = T.ColorJitter(saturation=0.5, seed=1)(images)
    # s·x + (1 − s)·Y keeps the luma Y (up to 10⁻⁴·Y: torchvision's weights sum to 0.9999)
    np.testing.assert_allclose(T.grayscale(saturated), gray, atol=1e-4)
    contrasted = T.ColorJitter(contrast=0.5, seed=2)(images)
    mean = gray.mean(axis=(1, 2, 3), keepdims=True)
    factor = ((contrasted - mean) / (images - mean)).reshape(20, -1)  # x' − Ȳ = c (x − Ȳ)
    np.testing.assert_allclose(factor, np.median(factor, axis=1, keepdims=True) * np.ones_like(factor), rtol=1e-3)
    np.testing.assert_array_equal(T.ColorJitter()(images), images)  # no jitter asked: unchanged


@given(st.integers(0, 2**16))
def test_hsv_round_trip_and_hue_shift_keeps_value_and_saturation(seed):
    images = _rgb(seed=seed)
    np.testing.assert_allclose(T.hsv_to_rgb(T.rgb_to_hsv(images)), images, atol=1e-5)
    shifted = T.ColorJitter(hue=0.5, seed=seed)(images)
    before, after = T.rgb_to_hsv(images), T.rgb_to_hsv(shifted)
    np.testing.assert_allclose(after[:, 1:], before[:, 1:], atol=1e-4)  # S and V unchanged
    hue_moves = (after[:, 0] - before[:, 0]) % 1.0
    per_image = hue_moves.reshape(len(images), -1)
    circular = np.minimum(np.abs(per_image - per_image[:, :1]), 1 - np.abs(per_image - per_image[:, :1]))
    assert circular[before[:, 1].reshape(len(images), -1) > 0.05].max() < 1e-3  # one shift δ per image


def test_pure_colours_turn_by_the_hue_shift():
    red = np.zeros((1, 3, 1, 1), np.float32)
    red[0, 0] = 1.0
    hsv = T.rgb_to_hsv(red)
    hsv[:, 0] = (hsv[:, 0] + 1 / 3) % 1.0  # a third of the circle: red → green
    np.testing.assert_allclose(T.hsv_to_rgb(hsv)[0, :, 0, 0], [0.0, 1.0, 0.0], atol=1e-6)


def test_color_jitter_errors_name_the_fix():
    with pytest.raises(ValueError, match="need RGB images"):
        T.ColorJitter(saturation=0.3)(_images(channels=1))
    with pytest.raises(ValueError, match=r"\[−0.5, 0.5\]"):
        T.ColorJitter(hue=0.7)
    with pytest.raises(ValueError, match="must be ≥ 0"):
        T.ColorJitter(brightness=-0.1)
    assert T.ColorJitter(brightness=0.2)(_images(channels=1)).shape == (4, 1, 9, 9)  # brightness works on grey
