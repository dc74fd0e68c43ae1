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
