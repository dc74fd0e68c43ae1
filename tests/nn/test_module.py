"""Module, Parameter and the containers: registration, traversal, modes, dtypes and state_dict loading."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import nn
from tinygrad_edu.nn import Parameter


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 4)
        self.norm = nn.BatchNorm1d(4)
        self.scale = Parameter(tg.ones(4))
        self.register_buffer("steps", tg.zeros(1, dtype="int64"))
        self.register_buffer("cache", tg.zeros(2), persistent=False)
        self.plain = tg.zeros(3)  # a plain tensor attribute is not registered

    def forward(self, x):
        return self.norm(self.fc(x)) * self.scale


def test_assignment_registers_parameters_modules_and_buffers():
    block = Block()
    names = [name for name, _ in block.named_parameters()]
    assert names == ["scale", "fc.weight", "fc.bias", "norm.weight", "norm.bias"]
    assert [name for name, _ in block.named_buffers()] == [
        "steps", "cache", "norm.running_mean", "norm.running_var", "norm.num_batches_tracked"]
    assert [name for name, _ in block.named_children()] == ["fc", "norm"]
    assert [type(m).__name__ for m in block.modules()] == ["Block", "Linear", "BatchNorm1d"]
    assert block.scale is block._parameters["scale"] and block.fc is block._modules["fc"]
    assert all(p.requires_grad for p in block.parameters())
    assert "plain" not in block.state_dict()


def test_state_dict_has_dotted_names_buffers_and_shares_memory():
    block = Block()
    state = block.state_dict()
    assert list(state) == ["scale", "steps", "fc.weight", "fc.bias", "norm.weight", "norm.bias",
                           "norm.running_mean", "norm.running_var", "norm.num_batches_tracked"]
    assert "cache" not in state  # non-persistent buffer
    assert state["fc.weight"].data is block.fc.weight.data and not state["fc.weight"].requires_grad
    assert state["norm.num_batches_tracked"].dtype == np.int64


def test_reassigning_a_parameter_with_a_plain_tensor_is_an_error():
    layer = nn.Linear(2, 2)
    with pytest.raises(TypeError, match="Parameter"):
        layer.weight = tg.zeros(2, 2)
    layer.bias = None
    assert [n for n, _ in layer.named_parameters()] == ["weight"]
    with pytest.raises(AttributeError, match="__init__"):
        class Broken(nn.Module):
            def __init__(self):
                self.w = Parameter(tg.zeros(1))
        Broken()


def test_shared_parameters_are_listed_once():
    shared = nn.Linear(2, 2)
    model = nn.Sequential(shared, nn.ReLU(), shared)
    assert len(list(model.parameters())) == 2
    assert len(list(model.modules())) == 3


def test_train_eval_zero_grad_and_requires_grad():
    model = nn.Sequential(nn.Linear(3, 2), nn.Dropout(0.5))
    assert model.training and model[1].training
    assert model.eval() is model and not model[1].training
    model.train()
    assert model[0].training
    model(tg.randn(4, 3)).sum().backward()
    assert model[0].weight.grad is not None
    model.zero_grad(set_to_none=False)
    assert np.all(model[0].weight.grad == 0)
    model.zero_grad()
    assert model[0].weight.grad is None
    model.requires_grad_(False)
    assert not any(p.requires_grad for p in model.parameters())


def test_to_double_float_keep_parameter_identity_and_integer_buffers():
    block = Block()
    weight = block.fc.weight
    block.double()
    assert block.fc.weight is weight and weight.dtype == np.float64
    assert block.norm.running_mean.dtype == np.float64
    assert block.norm.num_batches_tracked.dtype == np.int64 and block.steps.dtype == np.int64
    block.to("float32")
    assert weight.dtype == np.float32
    assert block.to("cpu") is block
    with pytest.raises(TypeError, match="floating"):
        block.to("int32")


def test_load_state_dict_round_trip_and_copy_semantics():
    source, target = Block(), Block()
    source.fc.weight.data[...] = 7
    target.load_state_dict(source.state_dict())
    assert np.all(target.fc.weight.data == 7)
    source.fc.weight.data[...] = 1  # the loaded values are copies
    assert np.all(target.fc.weight.data == 7)
    arrays = {k: v.numpy() for k, v in source.state_dict().items()}  # plain arrays load too
    target.load_state_dict(arrays)
    assert np.all(target.fc.weight.data == 1)


def test_load_state_dict_lists_every_problem_in_one_error():
    model = nn.Sequential(nn.Linear(3, 4), nn.Linear(4, 2))
    state = {k: v.numpy() for k, v in model.state_dict().items()}
    del state["0.bias"]
    state["1.weight"] = np.zeros((5, 4), np.float32)
    state["extra.weight"] = np.zeros(1, np.float32)
    before = model[1].weight.numpy().copy()
    with pytest.raises(nn.StateDictError) as info:
        model.load_state_dict(state)
    message = str(info.value)
    assert "0.bias" in message and "extra.weight" in message
    assert "1.weight" in message and "(2, 4)" in message and "(5, 4)" in message
    np.testing.assert_array_equal(model[1].weight.numpy(), before)  # strict: nothing loaded
    state["0.weight"] = np.full((4, 3), 3, np.float32)
    result = model.load_state_dict(state, strict=False)
    assert result.missing_keys == ["0.bias"]
    assert result.unexpected_keys == ["extra.weight"]
    assert result.mismatched_shapes == [("1.weight", (2, 4), (5, 4))]
    assert np.all(model[0].weight.data == 3)


def test_sequential_modulelist_moduledict_identity():
    seq = nn.Sequential(nn.Linear(2, 3), nn.ReLU())
    seq.append(nn.Linear(3, 1))
    assert len(seq) == 3 and isinstance(seq[-1], nn.Linear)
    assert isinstance(seq[:2], nn.Sequential) and len(seq[:2]) == 2
    assert seq(tg.randn(5, 2)).shape == (5, 1)
    with pytest.raises(IndexError, match="out of range"):
        seq[3]
    layers = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
    layers.insert(0, nn.Identity())
    assert [type(m).__name__ for m in layers] == ["Identity", "Linear", "Linear", "Linear"]
    assert len(list(layers.parameters())) == 6
    heads = nn.ModuleDict({"a": nn.Linear(2, 1), "b": nn.Linear(2, 2)})
    assert list(heads) == ["a", "b"] and "a" in heads
    assert [n for n, _ in heads.named_parameters()] == ["a.weight", "a.bias", "b.weight", "b.bias"]
    x = tg.randn(2, 2)
    assert nn.Identity(5, foo=1)(x) is x


def test_repr_prints_the_layer_tree():
    model = nn.Sequential(nn.Linear(784, 64), nn.ReLU(), nn.Linear(64, 10))
    assert repr(model) == (
        "Sequential(\n"
        "  (0): Linear(in_features=784, out_features=64, bias=True)\n"
        "  (1): ReLU()\n"
        "  (2): Linear(in_features=64, out_features=10, bias=True)\n"
        ")"
    )
    assert repr(Parameter(tg.zeros(1))).startswith("Parameter containing:\nTensor(")


def test_parameter_shares_the_tensor_data_and_rejects_integers():
    t = tg.zeros(3)
    p = Parameter(t)
    assert p.data is t.data and p.requires_grad and isinstance(p, tg.Tensor)
    with pytest.raises(TypeError, match="floating"):
        Parameter(np.arange(3))
    assert not Parameter(np.arange(3), requires_grad=False).requires_grad


def test_forward_hook_apply_get_submodule_and_delattr():
    model = nn.Sequential(nn.Linear(2, 2), nn.Sequential(nn.Linear(2, 1)))
    seen = []
    remove = model[0].register_forward_hook(lambda m, i, o: seen.append(o.shape))
    model(tg.randn(3, 2))
    remove()
    model(tg.randn(3, 2))
    assert seen == [(3, 2)]
    assert model.get_submodule("1.0") is model[1][0]
    with pytest.raises(AttributeError, match="no sub-module"):
        model.get_submodule("1.5")
    touched = []
    model.apply(lambda m: touched.append(type(m).__name__))
    assert touched == ["Linear", "Linear", "Sequential", "Sequential"]
    layer = nn.Linear(2, 2)
    del layer.bias
    assert [n for n, _ in layer.named_parameters()] == ["weight"]
    with pytest.raises(AttributeError, match="no attribute 'missing'"):
        _ = layer.missing


def test_deepcopy_gives_an_independent_model():
    import copy

    model = nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2))
    clone = copy.deepcopy(model)
    assert [n for n, _ in clone.named_parameters()] == [n for n, _ in model.named_parameters()]
    clone[0].weight.data[...] = 0
    clone[1].running_mean.data[...] = 5
    assert model[0].weight.numpy().any() and not model[1].running_mean.numpy().any()
