"""``gradcheck_module``: finite differences for a layer's input *and* its parameters (in float64).

``tinygrad_edu.gradcheck`` checks the inputs of a function; a layer's parameters live inside it, so this helper
perturbs them in place, one element at a time, with the same central difference and tolerances.
"""

from __future__ import annotations

import numpy as np

import tinygrad_edu as tg


def gradcheck_module(module: tg.nn.Module, *inputs: tg.Tensor, eps: float = 1e-6, atol: float = 1e-5,
                     rtol: float = 1e-4) -> None:
    module.double()
    xs = [tg.tensor(x.numpy().astype(np.float64), requires_grad=x.requires_grad) for x in inputs]
    out = module(*xs)
    weights = np.random.default_rng(0).uniform(0.5, 1.5, size=out.shape)
    module.zero_grad()
    (out * tg.tensor(weights)).sum().backward()

    def scalar() -> float:
        return float((module(*xs).numpy() * weights).sum())

    checked = [(f"input {i}", x) for i, x in enumerate(xs) if x.requires_grad]
    checked += list(module.named_parameters())
    assert checked, "nothing to check"
    for name, tensor in checked:
        analytic = np.zeros(tensor.shape) if tensor.grad is None else tensor.grad
        numeric = np.zeros(tensor.shape)
        flat = tensor.data.reshape(-1)
        for k in range(flat.size):
            original = flat[k]
            flat[k] = original + eps
            plus = scalar()
            flat[k] = original - eps
            minus = scalar()
            flat[k] = original
            numeric.reshape(-1)[k] = (plus - minus) / (2 * eps)
        np.testing.assert_allclose(analytic, numeric, rtol=rtol, atol=atol, err_msg=f"gradient of {name}")
