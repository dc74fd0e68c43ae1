"""Backend parity: the same case on NumPy and on CuPy, forward values and gradients compared (float32
tolerances), for the ops, the layers, the losses and the optimizers, and a short training run of the documents'
CNN. Every test here is marked ``gpu``: without CuPy and a CUDA device it skips with the reason; in CI it runs on
the NumPy-backed stand-in (conftest.py), which checks the GPU code paths but not CUDA itself.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_edu as tg
from tests import strategies as S
from tests.gpu.conftest import STAND_IN
from tests.test_ops import BINARY, TORCH_CASES, UNARY
from tinygrad_edu import backend, nn, optim
from tinygrad_edu.nn import functional as F

pytestmark = pytest.mark.gpu

RTOL, ATOL = 2e-4, 2e-5  # float32: different summation orders on the two devices
EXAMPLES = 3 if STAND_IN else 20  # the stand-in runs the CUDA kernels in Numba's (slow) simulator


def _host(value):
    return value.numpy() if isinstance(value, tg.Tensor) else np.asarray(backend.to_device(value, "cpu"))


def _run(fn, arrays, device):
    """fn on leaves made from ``arrays`` on ``device``; the output and the gradients of Σ w·out."""
    backend.use("cupy" if device == "cuda" else "numpy")
    try:
        leaves = [tg.tensor(a, requires_grad=a.dtype.kind == "f") for a in arrays]
        out = fn(*leaves)
        weights = tg.tensor(np.linspace(0.5, 1.5, out.size, dtype=np.float32).reshape(out.shape))
        (out * weights).sum().backward()
        assert out.device == device
        return _host(out), [None if leaf.grad is None else _host(leaf.grad) for leaf in leaves]
    finally:
        backend.use("numpy")


def assert_same_on_both(fn, arrays, rtol=RTOL, atol=ATOL):
    cpu_out, cpu_grads = _run(fn, arrays, "cpu")
    gpu_out, gpu_grads = _run(fn, arrays, "cuda")
    np.testing.assert_allclose(gpu_out, cpu_out, rtol=rtol, atol=atol)
    for mine, reference in zip(gpu_grads, cpu_grads, strict=True):
        if reference is not None:
            np.testing.assert_allclose(mine, reference, rtol=rtol, atol=atol)


# --------------------------------------------------------------------------------------------------- ops


@pytest.mark.parametrize(("fn", "inputs"), [(case[1], case[3]) for case in TORCH_CASES],
                         ids=[case[0] for case in TORCH_CASES])
def test_op_table_agrees_on_both_backends(cupy, fn, inputs):
    assert_same_on_both(fn, [np.asarray(a) for a in inputs])


@pytest.mark.parametrize("op", UNARY, ids=repr)
@settings(max_examples=EXAMPLES)
@given(data=st.data())
def test_unary_ops_agree_on_drawn_shapes(cupy, op, data):
    array = np.asarray(data.draw(op.domain(data.draw(S.shapes()))), dtype=np.float32)
    assert_same_on_both(op.fn, [array])


@pytest.mark.parametrize("op", BINARY, ids=repr)
@settings(max_examples=EXAMPLES)
@given(data=st.data())
def test_binary_ops_agree_on_drawn_broadcast_shapes(cupy, op, data):
    a_shape, b_shape = data.draw(S.broadcast_shapes(2))
    a = np.asarray(data.draw(op.left(a_shape)), dtype=np.float32)
    b = np.asarray(data.draw(op.right(b_shape)), dtype=np.float32)
    assert_same_on_both(op.fn, [a, b])


# ------------------------------------------------------------------------------------------------ layers


def _layer_case(make, input_shape, dtype=np.float32, high=None):
    rng = np.random.default_rng(1)
    if high is not None:
        return make, rng.integers(0, high, input_shape)
    return make, rng.standard_normal(input_shape).astype(dtype)


LAYERS = {
    "Linear": _layer_case(lambda: nn.Linear(5, 3), (4, 5)),
    "Conv2d": _layer_case(lambda: nn.Conv2d(2, 3, 3), (2, 2, 6, 6)),
    "Conv2d stride padding dilation": _layer_case(lambda: nn.Conv2d(2, 4, 3, stride=2, padding=2, dilation=2),
                                                  (2, 2, 7, 6)),
    "Conv2d groups same": _layer_case(lambda: nn.Conv2d(4, 4, 3, padding="same", groups=4), (1, 4, 5, 5)),
    "MaxPool2d": _layer_case(lambda: nn.MaxPool2d(2), (2, 3, 6, 6)),
    "AvgPool2d padding": _layer_case(lambda: nn.AvgPool2d(3, stride=2, padding=1), (2, 2, 5, 5)),
    "AdaptiveAvgPool2d": _layer_case(lambda: nn.AdaptiveAvgPool2d(1), (2, 3, 4, 4)),
    "BatchNorm2d": _layer_case(lambda: nn.BatchNorm2d(3), (4, 3, 3, 3)),
    "BatchNorm1d": _layer_case(lambda: nn.BatchNorm1d(5), (6, 5)),
    "LayerNorm": _layer_case(lambda: nn.LayerNorm(5), (3, 5)),
    "Embedding": _layer_case(lambda: nn.Embedding(7, 4), (3, 5), high=7),
    "RNN": _layer_case(lambda: nn.RNN(3, 4, batch_first=True), (2, 5, 3)),
    "LSTM": _layer_case(lambda: nn.LSTM(3, 4, num_layers=2, batch_first=True), (2, 5, 3)),
    "GRU": _layer_case(lambda: nn.GRU(3, 4, batch_first=True), (2, 5, 3)),
    "MultiHeadAttention": _layer_case(lambda: _SelfAttention(), (2, 5, 8)),
    "TransformerEncoderLayer": _layer_case(
        lambda: nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.0), (2, 5, 8)),
    "Dropout (eval)": _layer_case(lambda: nn.Dropout(0.5).eval(), (3, 4)),
    "GELU Softmax Tanh": _layer_case(lambda: nn.Sequential(nn.GELU(), nn.Tanh(), nn.Softmax(dim=1)), (3, 4)),
}


class _SelfAttention(nn.Module):
    def __init__(self):
        super().__init__()
        self.attention = nn.MultiHeadAttention(8, 2)

    def forward(self, x):
        return self.attention(x, x, x)[0]


def _first(output):
    return output[0] if isinstance(output, tuple) else output


@pytest.mark.parametrize("name", list(LAYERS))
def test_layers_agree_on_both_backends(cupy, name):
    make, array = LAYERS[name]
    tg.manual_seed(0)
    layer = make()
    twin = copy.deepcopy(layer).to("cuda")
    results = []
    for model, device in ((layer, "cpu"), (twin, "cuda")):
        x = tg.tensor(backend.to_device(array, device), requires_grad=array.dtype.kind == "f")
        out = _first(model(x))
        assert out.device == device
        weights = np.linspace(0.5, 1.5, out.size, dtype=np.float32).reshape(out.shape)
        (out * tg.tensor(weights).to(device)).sum().backward()
        grads = {n: _host(p.grad) for n, p in model.named_parameters() if p.grad is not None}
        results.append((_host(out), grads, None if x.grad is None else _host(x.grad)))
    (cpu_out, cpu_grads, cpu_x), (gpu_out, gpu_grads, gpu_x) = results
    np.testing.assert_allclose(gpu_out, cpu_out, rtol=RTOL, atol=ATOL)
    assert gpu_grads.keys() == cpu_grads.keys()
    for key in cpu_grads:
        np.testing.assert_allclose(gpu_grads[key], cpu_grads[key], rtol=RTOL, atol=ATOL, err_msg=key)
    if cpu_x is not None:
        np.testing.assert_allclose(gpu_x, cpu_x, rtol=RTOL, atol=ATOL)


@st.composite
def _conv_cases(draw):
    """A convolution drawn whole: batch, channels and groups, kernel size, stride, symmetric padding, dilation."""
    groups = draw(st.sampled_from([1, 2]))
    in_channels, out_channels = groups * draw(st.integers(1, 2)), groups * draw(st.integers(1, 2))
    kernel = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    stride, dilation = (draw(st.integers(1, 2)), draw(st.integers(1, 2))), (draw(st.integers(1, 2)), 1)
    padding = (draw(st.integers(0, kernel[0] // 2)), draw(st.integers(0, kernel[1] // 2)))
    span = tuple(dilation[a] * (kernel[a] - 1) + 1 for a in range(2))
    side = tuple(draw(st.integers(max(1, span[a] - 2 * padding[a]), 6)) for a in range(2))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    x = rng.standard_normal((draw(st.integers(1, 2)), in_channels, *side)).astype(np.float32)
    w = rng.standard_normal((out_channels, in_channels // groups, *kernel)).astype(np.float32)
    b = rng.standard_normal(out_channels).astype(np.float32)
    return x, w, b, dict(stride=stride, padding=padding, dilation=dilation, groups=groups)


@settings(max_examples=EXAMPLES)
@given(case=_conv_cases())
def test_conv2d_agrees_on_drawn_geometries(cupy, case):
    x, w, b, options = case
    assert_same_on_both(lambda a, k, c: F.conv2d(a, k, c, **options), [x, w, b])


@settings(max_examples=EXAMPLES)
@given(data=st.data())
def test_pooling_agrees_on_drawn_geometries(cupy, data):
    kernel = data.draw(st.integers(1, 3))
    stride, padding = data.draw(st.integers(1, 3)), data.draw(st.integers(0, kernel // 2))
    side = data.draw(st.integers(kernel, 7))
    x = np.asarray(data.draw(S.distinct((2, 2, side, side))), dtype=np.float32)  # no ties: one arg-max each
    assert_same_on_both(lambda a: F.max_pool2d(a, kernel, stride, padding), [x])
    assert_same_on_both(lambda a: F.avg_pool2d(a, kernel, stride, padding), [x])


# ------------------------------------------------------------------------------------------------ losses


LOSSES = {
    "cross_entropy": (F.cross_entropy, (4, 5), "classes"),
    "cross_entropy label smoothing": (lambda x, y: F.cross_entropy(x, y, label_smoothing=0.1), (4, 5), "classes"),
    "nll_loss": (lambda x, y: F.nll_loss(x.log_softmax(axis=1), y), (4, 5), "classes"),
    "mse_loss": (F.mse_loss, (4, 3), "values"),
    "l1_loss": (F.l1_loss, (4, 3), "values"),
    "binary_cross_entropy_with_logits": (F.binary_cross_entropy_with_logits, (4, 3), "bits"),
}


@pytest.mark.parametrize("name", list(LOSSES))
def test_losses_agree_on_both_backends(cupy, name):
    fn, shape, kind = LOSSES[name]
    rng = np.random.default_rng(2)
    x = rng.standard_normal(shape).astype(np.float32)
    if kind == "classes":
        target = rng.integers(0, shape[1], shape[0])
    elif kind == "bits":
        target = (rng.random(shape) < 0.5).astype(np.float32)
    else:
        target = rng.standard_normal(shape).astype(np.float32)
    assert_same_on_both(lambda a, t: fn(a, t), [x, target])


# -------------------------------------------------------------------------------------------- optimizers


OPTIMIZERS = {
    "SGD": lambda p: optim.SGD(p, lr=0.1),
    "SGD momentum nesterov decay": lambda p: optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True, weight_decay=1e-2),
    "Adam": lambda p: optim.Adam(p, lr=1e-2),
    "AdamW amsgrad": lambda p: optim.AdamW(p, lr=1e-2, amsgrad=True),
    "RMSprop": lambda p: optim.RMSprop(p, lr=1e-2, momentum=0.5),
    "Adagrad": lambda p: optim.Adagrad(p, lr=1e-1),
}


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_optimizers_and_a_schedule_agree_on_both_backends(cupy, name):
    tg.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 6), nn.Tanh(), nn.Linear(6, 2))
    twin = copy.deepcopy(model).to("cuda")
    rng = np.random.default_rng(3)
    x, y = rng.standard_normal((8, 4)).astype(np.float32), rng.integers(0, 2, 8)
    for m, device in ((model, "cpu"), (twin, "cuda")):
        optimizer = OPTIMIZERS[name](m.parameters())
        schedule = optim.lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5)
        inputs, target = tg.tensor(x).to(device), tg.tensor(y).to(device)
        for _ in range(5):
            optimizer.zero_grad()
            F.cross_entropy(m(inputs), target).backward()
            optimizer.step()
            schedule.step()
    for (key, mine), (_, reference) in zip(twin.state_dict().items(), model.state_dict().items(), strict=True):
        assert mine.device == "cuda"
        np.testing.assert_allclose(_host(mine), _host(reference), rtol=RTOL, atol=ATOL, err_msg=key)


# ----------------------------------------------------------------------------------------- end to end


def _documents_cnn_and_data():
    """The documents' CNN on 28×28 images at batch 16 (GPU); a narrower one on 10×10 images for the stand-in,
    whose CUDA kernels run in Numba's simulator, thread by thread."""
    rng = np.random.default_rng(4)
    if STAND_IN:
        model = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(4, 4, 3), nn.ReLU(),
                              nn.Flatten(), nn.Linear(16, 10))
        return model, rng.random((4, 1, 10, 10), dtype=np.float32), rng.integers(0, 10, 4), 4
    from tinygrad_edu.models import DocumentsCNN

    return DocumentsCNN(), rng.random((16, 1, 28, 28), dtype=np.float32), rng.integers(0, 10, 16), 50


def test_the_documents_cnn_gives_the_same_loss_curve_on_both_backends(cupy):
    tg.manual_seed(0)
    model, images, labels, steps = _documents_cnn_and_data()
    twin = copy.deepcopy(model).to("cuda")
    curves = []
    for m, device in ((model, "cpu"), (twin, "cuda")):
        optimizer = optim.Adam(m.parameters(), lr=1e-3)
        x, y = tg.tensor(images).to(device), tg.tensor(labels).to(device)
        curve = []
        for _ in range(steps):
            optimizer.zero_grad()
            loss = F.cross_entropy(m(x), y)
            loss.backward()
            optimizer.step()
            curve.append(loss.item())
        curves.append(np.array(curve))
    np.testing.assert_allclose(curves[1], curves[0], rtol=1e-3)
    assert curves[0][-1] < curves[0][0]  # it learned something: the comparison is not between two flat lines


# ------------------------------------------------------------------------------------ devices and state


def test_tensors_print_and_come_back_to_the_host(cupy):
    x = tg.tensor([[1.0, 2.0]]).to("cuda")
    assert x.device == "cuda" and backend.get_array_module(x.data) is cupy
    assert "cuda" in repr(x) and "2." in str(x)
    np.testing.assert_array_equal(x.numpy(), [[1.0, 2.0]])
    assert x.to("cpu").device == "cpu" and float(x.sum().item()) == 3.0


def test_random_numbers_are_drawn_on_the_device_and_are_seeded(cupy):
    masks = []
    for _ in range(2):
        tg.manual_seed(5)
        x = tg.ones(64, 8).to("cuda")
        y = F.dropout(x, 0.5, training=True)
        assert backend.get_array_module(y.data) is cupy
        masks.append(_host(y))
    np.testing.assert_array_equal(masks[0], masks[1])
    assert 0.3 < (masks[0] == 0).mean() < 0.7
    backend.use("cupy")
    try:
        tg.manual_seed(5)
        drawn = tg.randn(3, 4)
        layer = nn.Linear(4, 4)
        assert drawn.device == "cuda" and layer.weight.device == "cuda"
    finally:
        backend.use("numpy")


def test_checkpoints_save_from_either_device_and_load_onto_either(cupy, tmp_path):
    tg.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 2))
    gpu_model = copy.deepcopy(model).to("cuda")
    optimizer = optim.Adam(gpu_model.parameters(), lr=1e-2)
    x = tg.tensor(np.random.default_rng(5).standard_normal((6, 3)).astype(np.float32)).to("cuda")
    gpu_model(x).sum().backward()
    optimizer.step()
    tg.save({"model": gpu_model.state_dict(), "optimizer": optimizer.state_dict()}, tmp_path / "gpu.npz")
    with backend.using("cupy"):
        on_cpu = tg.load(tmp_path / "gpu.npz")  # CPU tensors, whatever the current backend
    on_gpu = tg.load(tmp_path / "gpu.npz", map_location="cuda")
    for key, value in gpu_model.state_dict().items():
        np.testing.assert_array_equal(_host(on_cpu["model"][key]), _host(value))
        assert on_cpu["model"][key].device == "cpu" and on_gpu["model"][key].device == "cuda"
        assert type(on_gpu["model"][key]) is type(on_cpu["model"][key]) and on_gpu["model"][key].grad_fn is None
    restored = copy.deepcopy(model)
    restored.load_state_dict(on_gpu["model"])  # GPU values into a CPU model
    resumed = optim.Adam(gpu_model.parameters(), lr=1e-2)
    resumed.load_state_dict(on_cpu["optimizer"])  # CPU state into an optimizer of GPU parameters
    gpu_model(x).sum().backward()
    resumed.step()
    for value in gpu_model.state_dict().values():
        assert value.device == "cuda"
    for key, value in restored.state_dict().items():
        assert value.device == "cpu", key


def test_a_training_loop_on_the_gpu_copies_two_small_reads_per_step(cupy):
    """fit on data that lives on the GPU: host → device only the shuffled order, once per epoch; device → host
    per step only the loss (fit's NaN check and progress bar) and the labels' (min, max) that cross_entropy
    checks, plus each metric's total once per epoch. Batches, activations and gradients never leave the GPU."""
    if not STAND_IN:
        pytest.skip("CuPy's arrays cannot be instrumented; the transfers are counted on the stand-in in CI")
    from tests.gpu import stand_in_cupy

    tg.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(16, 3)).to("cuda")
    rng = np.random.default_rng(6)
    images = backend.to_device(rng.random((12, 1, 6, 6), dtype=np.float32), "cuda")
    labels = backend.to_device(rng.integers(0, 3, 12), "cuda")
    data = tg.data.TensorDataset(images, labels)
    optimizer = optim.Adam(model.parameters(), lr=1e-2)
    loader = tg.data.DataLoader(data, batch_size=4, shuffle=True)
    stand_in_cupy.reset_transfers()
    history = tg.train.fit(model, F.cross_entropy, optimizer, loader, epochs=2, metrics=["accuracy"],
                           progress=False)
    steps, epochs = 2 * len(loader), 2
    assert stand_in_cupy.TRANSFERS == {"to_device": epochs, "to_host": 2 * steps + epochs}
    assert len(history["loss"]) == epochs and all(np.isfinite(history["loss"]))


# ------------------------------------------------------------- options, masks, data tools, training tools


def _classes(n, classes, seed=7):
    return np.random.default_rng(seed).integers(0, classes, n)


LOSS_OPTIONS = {
    "cross_entropy weight ignore_index": (
        lambda x, t, w: F.cross_entropy(x, t, weight=w, ignore_index=2), "classes"),
    "cross_entropy probabilities": (lambda x, t, w: F.cross_entropy(x, t.softmax(axis=1)), "values"),
    "cross_entropy sum, (N, C, d)": (lambda x, t, w: F.cross_entropy(x.reshape(2, 5, 2), t.reshape(2, 2),
                                                                     reduction="sum"), "classes"),
    "binary_cross_entropy weighted": (lambda x, t, w: F.binary_cross_entropy(x.sigmoid(), t.sigmoid()), "values"),
}


@pytest.mark.parametrize("name", list(LOSS_OPTIONS))
def test_loss_options_agree_on_both_backends(cupy, name):
    fn, kind = LOSS_OPTIONS[name]
    rng = np.random.default_rng(8)
    x = rng.standard_normal((4, 5)).astype(np.float32)
    target = _classes(4, 5) if kind == "classes" else rng.standard_normal((4, 5)).astype(np.float32)
    weight = rng.uniform(0.5, 2.0, 5).astype(np.float32)
    assert_same_on_both(fn, [x, target, weight])


def test_attention_masks_and_causal_agree_on_both_backends(cupy):
    rng = np.random.default_rng(9)
    q, k, v = (rng.standard_normal((2, 2, 5, 4)).astype(np.float32) for _ in range(3))
    bias = np.where(rng.random((5, 5)) < 0.3, -np.inf, 0.0).astype(np.float32)
    np.fill_diagonal(bias, 0.0)  # every query keeps at least one key
    assert_same_on_both(lambda a, b, c: F.scaled_dot_product_attention(a, b, c, is_causal=True), [q, k, v])
    assert_same_on_both(lambda a, b, c, m: F.scaled_dot_product_attention(a, b, c, attn_mask=m), [q, k, v, bias])

    tg.manual_seed(0)
    layer = _SelfAttention()
    padding = np.array([[False] * 4 + [True], [False] * 5])
    x = rng.standard_normal((2, 5, 8)).astype(np.float32)
    outs = []
    for model, device in ((layer, "cpu"), (copy.deepcopy(layer).to("cuda"), "cuda")):
        inputs = tg.tensor(backend.to_device(x, device))
        mask = backend.to_device(padding, device)
        outs.append(_host(model.attention(inputs, inputs, inputs, key_padding_mask=mask)[0]))
    np.testing.assert_allclose(outs[1], outs[0], rtol=RTOL, atol=ATOL)


def test_embedding_padding_idx_and_grad_tools_agree_on_both_backends(cupy):
    tg.manual_seed(0)
    model = nn.Sequential(nn.Embedding(6, 4, padding_idx=0), nn.Flatten(), nn.Linear(12, 3))
    twin = copy.deepcopy(model).to("cuda")
    tokens, target = np.array([[0, 3, 5], [2, 0, 1]]), np.array([1, 2])
    norms, grads = [], []
    for m, device in ((model, "cpu"), (twin, "cuda")):
        loss = F.cross_entropy(m(tg.tensor(tokens).to(device)), tg.tensor(target).to(device))
        loss = loss + nn.utils.l1_penalty(m.parameters(), 1e-3) + nn.utils.l2_penalty(m.parameters(), 1e-3)
        loss.backward()
        norms.append(float(nn.utils.clip_grad_norm_(m.parameters(), 0.1)))
        nn.utils.clip_grad_value_(m.parameters(), 0.01)
        grads.append([_host(p.grad) for p in m.parameters()])
    np.testing.assert_allclose(norms[1], norms[0], rtol=RTOL)
    for mine, reference in zip(grads[1], grads[0], strict=True):
        np.testing.assert_allclose(mine, reference, rtol=RTOL, atol=ATOL)
    assert not grads[1][0][0].any()  # padding_idx row gets no gradient


def test_transforms_give_the_same_batches_on_both_backends(cupy):
    from tinygrad_edu.data import transforms as T

    images = np.random.default_rng(10).random((4, 1, 8, 8), dtype=np.float32)
    outs = []
    for device in ("cpu", "cuda"):
        augment = T.Compose([T.RandomAffine(degrees=10, translate=0.1, zoom=0.1, shear=5, seed=3),
                             T.RandomHorizontalFlip(seed=4), T.Normalize(0.5, 0.25)])
        out = augment(backend.to_device(images, device))
        assert backend.device_of(out) == device
        outs.append(_host(out))
    np.testing.assert_allclose(outs[1], outs[0], rtol=RTOL, atol=ATOL)


def test_a_gpu_model_evaluates_and_predicts_host_data(cupy):
    tg.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    twin = copy.deepcopy(model).to("cuda")
    rng = np.random.default_rng(11)
    x, y = rng.standard_normal((10, 3)).astype(np.float32), rng.integers(0, 2, 10)
    on_cpu = tg.train.evaluate(model, (x, y), F.cross_entropy, batch_size=4)
    on_gpu = tg.train.evaluate(twin, (x, y), F.cross_entropy, batch_size=4)  # host data, moved batch by batch
    assert on_gpu.keys() == on_cpu.keys() and all(isinstance(v, float) for v in on_gpu.values())
    for key in on_cpu:
        np.testing.assert_allclose(on_gpu[key], on_cpu[key], rtol=RTOL)
    predicted = tg.train.predict(twin, x, batch_size=4)
    assert predicted.device == "cuda"
    np.testing.assert_allclose(_host(predicted), _host(tg.train.predict(model, x)), rtol=RTOL, atol=ATOL)


def test_pruning_and_summary_work_on_a_gpu_model(cupy):
    tg.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.Flatten(), nn.Linear(64, 3))
    twin = copy.deepcopy(model).to("cuda")
    for m in (model, twin):
        nn.utils.prune.global_unstructured(nn.utils.prune.prunable(m), amount=0.5)
    for (key, mine), (_, reference) in zip(twin.state_dict().items(), model.state_dict().items(), strict=True):
        assert mine.device == "cuda", key
        np.testing.assert_array_equal(_host(mine), _host(reference))
    assert "Total params" in str(nn.summary(twin, (1, 6, 6)))


def test_the_gpu_benchmark_runs(cupy, tmp_path, capsys):
    """``python -m tinygrad_edu.bench --device cuda --only mlp --quick``: builds, synchronises, prints, writes JSON
    (the CNN and attention rows are too slow for the simulator behind the stand-in; on a GPU run them all)."""
    import json

    from tinygrad_edu.bench import cli

    assert cli.main(["--device", "cuda", "--only", "mlp", "--quick", "--json", str(tmp_path / "gpu.json")]) == 0
    report = json.loads((tmp_path / "gpu.json").read_text())
    assert report["device"] == "cuda" and "gpu" in report["machine"]
    assert len(report["results"]) == 2 and all(r["ours_s"] > 0 for r in report["results"])
    assert "baseline = CuPy by hand" in capsys.readouterr().out
    assert backend.current() == "numpy"  # the benchmark gives the backend back


def test_the_gpu_path_runs_the_cuda_kernels(cupy, monkeypatch):
    """Convolution goes through kernels/cuda.py (im2col forward, col2im backward) and attention through
    kernels/attention_cuda.py when the arrays live on the GPU."""
    from tinygrad_edu.kernels import attention_cuda
    from tinygrad_edu.kernels import cuda as conv_cuda

    calls = []
    for module, name in ((conv_cuda, "im2col"), (conv_cuda, "col2im"), (attention_cuda, "flash_forward_cuda"),
                         (attention_cuda, "flash_backward_cuda")):
        original = getattr(module, name)
        monkeypatch.setattr(module, name, lambda *a, _f=original, _n=name, **k: calls.append(_n) or _f(*a, **k))
    conv = nn.Conv2d(2, 3, 3).to("cuda")
    x = tg.tensor(np.ones((1, 2, 5, 5), np.float32)).to("cuda").requires_grad_(True)
    conv(x).sum().backward()
    q = tg.tensor(np.random.default_rng(12).random((1, 2, 4, 8), dtype=np.float32)).to("cuda").requires_grad_(True)
    F.scaled_dot_product_attention(q, q, q).sum().backward()
    assert calls == ["im2col", "col2im", "flash_forward_cuda", "flash_backward_cuda"]


def test_mixed_precision_training_agrees_on_both_backends(cupy):
    """autocast (float16 products) with a GradScaler: three SGD steps give the same weights and scale."""
    from tinygrad_edu import amp

    tg.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
    rng = np.random.default_rng(13)
    x, y = rng.standard_normal((6, 4)).astype(np.float32), np.array([0, 1, 2, 0, 1, 2])
    results = []
    for m, device in ((model, "cpu"), (copy.deepcopy(model).to("cuda"), "cuda")):
        optimizer, scaler = optim.SGD(m.parameters(), lr=0.1), amp.GradScaler()
        inputs, target = tg.tensor(x).to(device), tg.tensor(y).to(device)
        for _ in range(3):
            optimizer.zero_grad()
            with amp.autocast():
                loss = F.cross_entropy(m(inputs), target)
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
        results.append(([_host(p) for p in m.parameters()], scaler.get_scale()))
    (cpu_weights, cpu_scale), (gpu_weights, gpu_scale) = results
    assert gpu_scale == cpu_scale
    for mine, reference in zip(gpu_weights, cpu_weights, strict=True):
        np.testing.assert_allclose(mine, reference, rtol=1e-3, atol=1e-3)  # float16 products
