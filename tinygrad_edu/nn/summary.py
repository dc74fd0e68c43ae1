"""``summary(model, input_shape)``: the layers of a model, their output shapes and parameter counts.

The documents measure models by their number of parameters: a Linear(in, out) layer has in·out weights and
out biases, so the Keras MLP 784 → 64 → 10 has 784·64 + 64 + 64·10 + 10 = 50,890.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .. import backend
from ..grad_mode import no_grad
from ..tensor import Tensor
from .module import Module


@dataclass
class SummaryRow:
    name: str  # dotted path, e.g. "0" or "encoder.fc1"
    layer: str  # class name
    output_shape: tuple[int, ...] | None  # with the batch axis shown as -1
    parameters: int  # parameters owned directly by this layer


@dataclass
class SummaryTable:
    """What ``summary`` printed, as data: one row per layer and the totals."""

    rows: list[SummaryRow] = field(default_factory=list)
    total_parameters: int = 0
    trainable_parameters: int = 0

    @property
    def non_trainable_parameters(self) -> int:
        return self.total_parameters - self.trainable_parameters

    def __str__(self) -> str:
        header = ("Layer (type)", "Output shape", "Param #")
        cells = [(f"{r.name} ({r.layer})", "-" if r.output_shape is None else str(list(r.output_shape)),
                  f"{r.parameters:,}") for r in self.rows]
        widths = [max(len(line[i]) for line in [header, *cells]) for i in range(3)]
        rule = "=" * (sum(widths) + 6)

        def line(row: Sequence[str]) -> str:
            return f"{row[0]:<{widths[0]}}   {row[1]:<{widths[1]}}   {row[2]:>{widths[2]}}"

        text = [rule, line(header), rule, *(line(c) for c in cells), rule,
                f"Total params: {self.total_parameters:,}",
                f"Trainable params: {self.trainable_parameters:,}",
                f"Non-trainable params: {self.non_trainable_parameters:,}", rule]
        return "\n".join(text)


def summary(model: Module, input_shape: Sequence[int], batch_size: int = 2, dtype: Any = np.float32,
            print_fn: Callable[[str], Any] | None = print) -> SummaryTable:
    """Run ``model`` once on zeros of shape (batch_size, *input_shape) and tabulate every layer (each module
    without sub-modules, and any module that owns parameters) in call order with its output shape and its own
    parameter count, then the totals over the whole model (shared weights counted once).

    ``input_shape`` leaves out the batch axis, as Keras and torchsummary do: ``summary(mlp, (784,))``. The model
    runs in evaluation mode without a graph, and its mode is restored afterwards. ``print_fn=None`` prints
    nothing; the table is returned either way.
    """
    rows: list[SummaryRow] = []
    removers = []
    for name, module in model.named_modules():
        has_children = any(True for _ in module.children())
        own = sum(p.size for p in module.parameters(recurse=False))
        if has_children and own == 0:
            continue  # a pure container: its layers are listed themselves

        def record(mod: Module, inputs: tuple, output: Any, name: str = name, own: int = own) -> None:
            shape = tuple(output.shape) if isinstance(output, Tensor) else None
            if shape:
                shape = (-1,) + shape[1:]
            rows.append(SummaryRow(name or type(mod).__name__, type(mod).__name__, shape, own))

        removers.append(module.register_forward_hook(record))
    modes = {id(m): m.training for m in model.modules()}
    first = next(model.parameters(), None)  # the input goes where the model's weights are
    xp = first.xp if first is not None else backend.array_module()
    x = Tensor._from_op(xp.zeros((batch_size, *input_shape), dtype=dtype), None)
    try:
        model.eval()
        with no_grad():
            model(x)
    finally:
        for remove in removers:
            remove()
        for module in model.modules():
            object.__setattr__(module, "training", modes[id(module)])
    params = list(model.parameters())
    table = SummaryTable(rows, sum(p.size for p in params), sum(p.size for p in params if p.requires_grad))
    if print_fn is not None:
        print_fn(str(table))
    return table
