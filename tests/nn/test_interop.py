"""safetensors files and the PyTorch name map without PyTorch: the file's byte layout, round trips, the name map
both ways, every error (missing/unexpected key, shape, dtype) with its fix, all-or-nothing loading, the atomic
write, and no pickle. The comparisons with PyTorch itself are in test_interop_torch.py."""

from __future__ import annotations

import json
import struct
import sys

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import nn
from tinygrad_edu.nn.torch_layout import state_slots

pytest.importorskip("safetensors", reason="the safetensors package is not installed: pip install safetensors")


def encoder(seed: int = 0) -> nn.Module:
    tg.manual_seed(seed)
    layer = nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.0)
    model = nn.Sequential(nn.Embedding(10, 8), nn.TransformerEncoder(layer, 2), nn.Linear(8, 3))
    with tg.no_grad():
        for param in model.parameters():  # biases start at 0 in MultiheadAttention: make every value distinct
            param.data += np.random.default_rng(seed + 1).standard_normal(param.shape).astype(np.float32)
    return model


def read_header(path) -> tuple[int, dict]:
    raw = path.read_bytes()
    (length,) = struct.unpack("<Q", raw[:8])
    return length, json.loads(raw[8 : 8 + length])


def test_the_file_layout_is_header_length_json_header_then_raw_little_endian_bytes(tmp_path):
    model = encoder()
    path = tmp_path / "model.safetensors"
    model.save_safetensors(path, metadata={"epoch": "3"})
    length, header = read_header(path)
    raw = path.read_bytes()
    assert header.pop("__metadata__") == {"format": "pt", "epoch": "3"}
    attention = model[1].layers[0].self_attn
    entry = header["1.layers.0.self_attn.in_proj_weight"]
    assert entry["dtype"] == "F32" and entry["shape"] == [24, 8]
    begin, end = entry["data_offsets"]
    assert end - begin == 24 * 8 * 4  # ∏shape · itemsize
    stored = np.frombuffer(raw[8 + length + begin : 8 + length + end], dtype="<f4").reshape(24, 8)
    expected = np.concatenate([attention.q_proj.weight.numpy(), attention.k_proj.weight.numpy(),
                               attention.v_proj.weight.numpy()])  # in_proj_weight = [W_Q; W_K; W_V]
    np.testing.assert_array_equal(stored, expected)
    ends = sorted(tuple(e["data_offsets"]) for e in header.values())
    assert ends[0][0] == 0 and all(a[1] == b[0] for a, b in zip(ends, ends[1:], strict=False))  # packed, no gaps
    assert len(raw) == 8 + length + ends[-1][1]
    assert not any(key.endswith(("q_proj.weight", "k_proj.bias")) for key in header)  # PyTorch's names only


def test_round_trip_is_exact_and_loads_copies(tmp_path):
    source, target = encoder(0), encoder(5)
    path = tmp_path / "model.safetensors"
    source.save_safetensors(path)
    assert target.load_state_dict(path) == ([], [], [], [])
    for (key, mine), theirs in zip(target.state_dict().items(), source.state_dict().values(), strict=True):
        np.testing.assert_array_equal(mine.numpy(), theirs.numpy(), err_msg=key)
    tokens = np.array([[1, 2, 3, 4]])
    with tg.no_grad():
        np.testing.assert_array_equal(target.eval()(tokens).numpy(), source.eval()(tokens).numpy())
    source[2].weight.data[...] = 0
    assert np.all(target[2].weight.numpy() != 0)


def test_batchnorm_state_travels_with_its_0d_int64_counter(tmp_path):
    source, target = nn.BatchNorm2d(3), nn.BatchNorm2d(3)
    source(tg.randn(4, 3, 2, 2))
    source(tg.randn(4, 3, 2, 2))
    path = tmp_path / "bn.safetensors"
    source.save_safetensors(path)
    _, header = read_header(path)
    assert header["num_batches_tracked"]["dtype"] == "I64" and header["num_batches_tracked"]["shape"] == []
    target.load_state_dict(path)
    assert int(target.num_batches_tracked.numpy()) == 2 and target.num_batches_tracked.shape == ()
    np.testing.assert_array_equal(target.running_var.numpy(), source.running_var.numpy())


def test_both_layouts_of_multihead_attention_load_and_name_the_same_values():
    source = nn.MultiHeadAttention(6, 3, kdim=4, vdim=5)
    ours = {key: value.numpy() for key, value in source.state_dict().items()}
    torch_layout = nn.torch_state_dict(source)
    assert sorted(torch_layout) == ["in_proj_bias", "k_proj_weight", "out_proj.bias", "out_proj.weight",
                                    "q_proj_weight", "v_proj_weight"]
    np.testing.assert_array_equal(torch_layout["k_proj_weight"], ours["k_proj.weight"])
    np.testing.assert_array_equal(torch_layout["in_proj_bias"][6:12], ours["k_proj.bias"])
    for state in (ours, torch_layout):
        target = nn.MultiHeadAttention(6, 3, kdim=4, vdim=5)
        target.load_state_dict(state)
        for key, value in source.state_dict().items():
            np.testing.assert_array_equal(target.state_dict()[key].numpy(), value.numpy())


def test_layers_with_a_pytorch_twin_need_no_renaming():
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.LSTM(3, 4, num_layers=2), nn.LayerNorm(4),
                          nn.Embedding(5, 4), nn.GRU(4, 2, bidirectional=True))
    assert list(nn.torch_state_dict(model)) == list(model.state_dict())
    assert "1.num_batches_tracked" in model.state_dict() and "2.weight_hh_l1" in model.state_dict()
    assert "5.bias_ih_l0_reverse" in model.state_dict()


def test_every_problem_is_listed_with_its_fix_and_nothing_is_loaded():
    model = encoder()
    before = {key: value.numpy().copy() for key, value in model.state_dict().items()}
    state = nn.torch_state_dict(encoder(3))
    del state["1.layers.1.norm2.bias"]
    state["1.layers.0.self_attn.in_proj_weight"] = np.zeros((8, 8), np.float32)
    state["1.layers.0.linear1.weight"] = state["1.layers.0.linear1.weight"].astype(np.int32)
    state["head.weight"] = np.zeros((3, 8), np.float32)
    with pytest.raises(nn.StateDictError) as info:
        model.load_state_dict(state)
    message = str(info.value)
    assert "missing keys" in message and "1.layers.1.norm2.bias" in message
    assert "unexpected keys" in message and "head.weight" in message
    assert "shape mismatch for '1.layers.0.self_attn.in_proj_weight': the model has (24, 8), the state_dict has " \
           "(8, 8)" in message
    assert "dtype mismatch for '1.layers.0.linear1.weight': the model has float32, the state_dict has int32" \
           in message and ".astype(float32)" in message
    assert message.count("fix:") == 4 and "Nothing was loaded" in message
    for key, value in model.state_dict().items():  # all or nothing: the keys that did fit were not loaded either
        np.testing.assert_array_equal(value.numpy(), before[key], err_msg=key)


def test_strict_false_loads_what_fits_and_returns_the_rest():
    model, source = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4)), nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
    source[0].weight.data[...] = 2
    state = {key: value.numpy() for key, value in source.state_dict().items()}
    state["1.num_batches_tracked"] = np.array(2.5)  # a float for the int64 counter
    result = model.load_state_dict(state, strict=False)
    assert result.mismatched_dtypes == [("1.num_batches_tracked", "int64", "float64")]
    assert np.all(model[0].weight.numpy() == 2) and int(model[1].num_batches_tracked.numpy()) == 0


def test_values_are_cast_to_the_models_dtype_and_integers_stay_integers():
    model = nn.BatchNorm1d(2)
    model.load_state_dict({"weight": np.array([1.5, 2.0]), "bias": [0.0, 1.0], "running_mean": np.zeros(2, np.float16),
                           "running_var": np.ones(2), "num_batches_tracked": np.array(7, np.int32)})
    assert model.weight.dtype == np.float32 and model.weight.numpy().tolist() == [1.5, 2.0]
    assert model.num_batches_tracked.dtype == np.int64 and int(model.num_batches_tracked.numpy()) == 7


def test_the_write_is_atomic(tmp_path, monkeypatch):
    path = tmp_path / "model.safetensors"
    nn.Linear(2, 2).save_safetensors(path)
    before = path.read_bytes()

    def disk_full(_descriptor):
        raise OSError("No space left on device")

    monkeypatch.setattr("tinygrad_edu.serialization.os.fsync", disk_full)
    with pytest.raises(OSError, match=r"cannot save safetensors file .*model\.safetensors.*No space"):
        nn.Linear(2, 2).save_safetensors(path)
    assert path.read_bytes() == before and [p.name for p in tmp_path.iterdir()] == ["model.safetensors"]


def test_files_that_are_not_safetensors_are_refused_by_name(tmp_path):
    with pytest.raises(FileNotFoundError, match="nowhere.safetensors"):
        nn.Linear(2, 2).load_state_dict(tmp_path / "nowhere.safetensors")
    pickled = tmp_path / "model.pt"
    pickled.write_bytes(b"\x80\x04\x95 a pickle, which is never unpickled")
    with pytest.raises(tg.CheckpointError, match=r"model\.pt' is not a safetensors file"):
        tg.load_safetensors(pickled)
    truncated = tmp_path / "cut.safetensors"
    nn.Linear(2, 2).save_safetensors(truncated)
    truncated.write_bytes(truncated.read_bytes()[:-5])
    with pytest.raises(tg.CheckpointError, match="cut.safetensors"):
        nn.Linear(2, 2).load_state_dict(truncated)


def test_without_the_package_the_error_says_how_to_install_it(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "safetensors.numpy", None)  # makes `import safetensors.numpy` fail
    with pytest.raises(ImportError, match=r"tinygrad_edu\[safetensors\]"):
        nn.Linear(2, 2).save_safetensors(tmp_path / "model.safetensors")


def test_slots_cover_each_tensor_once_in_either_layout():
    model = encoder()
    for layout in (True, False):
        covered = [id(piece.tensor) for slot in state_slots(model, layout) for piece in slot.pieces]
        assert sorted(covered) == sorted(id(tensor) for tensor in model.state_dict(keep_vars=True).values())


def test_a_tied_weight_given_under_one_name_is_not_missing():
    from tinygrad_edu.models import GPT, GPTConfig

    source, target = (GPT(GPTConfig(vocab_size=11, block_size=4, n_layer=1, n_head=2, n_embd=4)) for _ in range(2))
    state = nn.torch_state_dict(source)
    assert target.lm_head.weight is target.wte.weight
    del state["lm_head.weight"]  # what safetensors.torch.save_model writes for a tied pair
    target.load_state_dict(state)
    np.testing.assert_array_equal(target.lm_head.weight.numpy(), source.wte.weight.numpy())
    del state["wte.weight"]
    with pytest.raises(nn.StateDictError, match="missing keys.*wte.weight, lm_head.weight"):
        target.load_state_dict(state)


def test_a_bfloat16_file_written_by_hand_is_widened_exactly(tmp_path):
    """bfloat16 = the upper 16 bits of a float32: write such bits by the file layout (F93), read them back."""
    values = np.array([[1.0, -2.5], [3.140625, 1e-3]], dtype=np.float32)
    bits = (values.view(np.uint32) >> 16).astype("<u2")  # truncation: 3.140625 is exact, 1e-3 is not
    counter = np.array(7, dtype="<i8")
    header = {"w": {"dtype": "BF16", "shape": [2, 2], "data_offsets": [0, 8]},
              "n": {"dtype": "I64", "shape": [], "data_offsets": [8, 16]}}
    text = json.dumps(header).encode()
    path = tmp_path / "bf16.safetensors"
    path.write_bytes(struct.pack("<Q", len(text)) + text + bits.tobytes() + counter.tobytes())
    arrays = tg.load_safetensors(path)
    expected = (bits.astype(np.uint32) << 16).view(np.float32)
    np.testing.assert_array_equal(arrays["w"], expected)
    assert arrays["w"].dtype == np.float32 and arrays["w"][1, 0] == np.float32(3.140625)
    assert arrays["w"][1, 1] != np.float32(1e-3) and abs(arrays["w"][1, 1] - 1e-3) < 1e-3 * 2**-7
    assert arrays["n"].shape == () and int(arrays["n"]) == 7
