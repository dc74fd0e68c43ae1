"""Issue #18: every name a PyTorch user reaches for exists, spelled as the issue spells it (``tg.x``, ``Tensor.x``,
``F.x``, ``nn.X``, ``tg.linalg.x``). The behaviour of each is tested in the test module of its group."""

from __future__ import annotations

import importlib

import tinygrad_edu as tg

GROUPS = {
    "1 arithmetic spellings": [
        *(f"Tensor.{n}" for n in ("add", "sub", "mul", "div", "pow", "neg", "abs", "exp", "log", "sqrt",
                                  "true_divide", "multiply", "subtract", "negative", "fmod", "remainder", "__mod__",
                                  "__rmod__", "__floordiv__", "__rfloordiv__", "type", "int", "long", "bool", "half",
                                  "short", "byte", "float", "double")),
        *(f"tg.{n}" for n in ("add", "sub", "mul", "div", "pow", "neg", "abs", "exp", "log", "sqrt", "sin", "cos",
                              "sigmoid", "tanh", "relu", "logsumexp", "softmax", "log_softmax", "matmul", "sum",
                              "mean", "max", "min", "var", "std", "argmax", "argmin", "clamp", "clip", "reshape",
                              "transpose", "permute", "flatten", "squeeze", "unsqueeze", "numel", "rsub",
                              "true_divide", "multiply", "subtract", "negative", "fmod", "remainder", "floor_divide",
                              "float32", "float64", "float16", "int32", "int64", "bool")),
    ],
    "2 masks and logic": [
        *(f"Tensor.{n}" for n in ("__and__", "__or__", "__xor__", "__invert__", "masked_fill", "masked_select",
                                  "tril", "triu", "isnan", "isinf", "isfinite", "eq", "ne", "lt", "le", "gt", "ge")),
        *(f"tg.{n}" for n in ("logical_and", "logical_or", "logical_not", "logical_xor", "bitwise_and", "bitwise_or",
                              "bitwise_xor", "bitwise_not", "masked_fill", "masked_select", "tril", "triu", "where",
                              "isnan", "isinf", "isfinite", "isclose", "allclose", "equal", "eq", "ne", "lt", "le",
                              "gt", "ge")),
    ],
    "3 gathering and scattering": [
        f"{p}.{n}" for n in ("gather", "scatter", "scatter_add", "scatter_reduce", "index_select", "index_add",
                             "take_along_dim", "nonzero", "argwhere") for p in ("tg", "Tensor")],
    "4 shape": [
        *(f"{p}.{n}" for n in ("repeat_interleave", "chunk", "unbind", "flip", "roll", "movedim", "swapaxes",
                               "narrow", "diagonal", "diag", "diag_embed", "tile") for p in ("tg", "Tensor")),
        "Tensor.repeat", "Tensor.unflatten", "tg.unflatten", "tg.meshgrid", "Tensor.unfold", "F.pad", "F.unfold",
        "F.fold",
    ],
    "5 scans and order": [
        f"{p}.{n}" for n in ("cumsum", "cumprod", "cummax", "cummin", "logcumsumexp", "prod", "sort", "argsort",
                             "topk", "kthvalue", "median", "amax", "amin", "aminmax") for p in ("tg", "Tensor")
    ] + ["tg.std_mean", "tg.var_mean"],
    "6 creation": [
        *(f"tg.{n}" for n in ("empty", "full_like", "zeros_like", "ones_like", "rand_like", "randn_like",
                              "randint_like", "empty_like", "linspace", "logspace", "arange", "manual_seed",
                              "multinomial", "bernoulli", "normal", "full", "tensor")),
        "Tensor.bernoulli",
    ],
    "7 math": [
        f"{p}.{n}" for n in ("floor", "ceil", "round", "trunc", "fix", "frac", "sign", "sgn", "rsqrt", "reciprocal",
                             "square", "erf", "erfc", "erfinv", "log2", "log10", "log1p", "expm1", "exp2", "tan",
                             "asin", "acos", "atan", "atan2", "sinh", "cosh", "asinh", "acosh", "atanh", "lerp",
                             "logaddexp", "logaddexp2", "hypot", "copysign", "clamp", "clip", "clamp_min",
                             "clamp_max", "nan_to_num", "xlogy", "sinc", "deg2rad", "rad2deg") for p in ("tg", "Tensor")
    ],
    "8 linear algebra": [
        "tg.einsum", "tg.outer", "tg.dot", "tg.bmm", "tg.baddbmm", "tg.addmm", "tg.norm", "tg.linalg.norm",
        "tg.linalg.vector_norm", "tg.cdist", "Tensor.outer", "Tensor.dot", "Tensor.bmm", "Tensor.norm",
    ],
    "9 activations and functional": [
        *(f"F.{n}" for n in ("silu", "elu", "selu", "celu", "softplus", "softsign", "mish", "hardtanh", "relu6",
                             "hardswish", "hardsigmoid", "logsigmoid", "glu", "one_hot", "normalize",
                             "cosine_similarity", "embedding", "dropout2d", "interpolate")),
        *(f"nn.{n}" for n in ("SiLU", "ReLU6", "Softmin", "Upsample", "Identity", "Unflatten", "ELU", "SELU",
                              "Softplus", "Mish", "Hardtanh", "Hardswish", "Hardsigmoid", "LogSigmoid", "GLU")),
    ],
    "10 layers": [
        "F.conv1d", "nn.Conv1d", "F.conv_transpose2d", "nn.ConvTranspose2d", "nn.MaxPool1d", "nn.AvgPool1d",
        "nn.GroupNorm", "nn.InstanceNorm2d", "nn.BatchNorm1d", "nn.PixelShuffle",
    ],
}


def _resolve(name: str) -> bool:
    prefix, _, rest = name.partition(".")
    roots = {"tg": tg, "Tensor": tg.Tensor, "F": importlib.import_module("tinygrad_edu.nn.functional"),
             "nn": tg.nn}
    obj = roots[prefix]
    for part in rest.split("."):
        if not hasattr(obj, part):
            return False
        obj = getattr(obj, part)
    return True


def missing_names() -> dict[str, list[str]]:
    """Group → the names of that group that do not resolve."""
    return {group: missing for group, names in GROUPS.items() if (missing := [n for n in names if not _resolve(n)])}


def test_every_name_of_issue_18_exists():
    missing = missing_names()
    assert not missing, "missing names of issue #18:\n" + "\n".join(f"  group {g}: {', '.join(m)}"
                                                                   for g, m in missing.items())
