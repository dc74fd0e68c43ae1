"""Recurrent layers with PyTorch's names, arguments, weight names and layouts: RNN, LSTM, GRU and their cells.

The documents' recurrence is h_t = f(W x_t + U h_{t−1} + b): the same weights W, U at every step, and a hidden
state h that carries what the network has seen so far. PyTorch (and we) call W ``weight_ih``, U ``weight_hh``
and split b into ``bias_ih`` + ``bias_hh``. The equations and their backward (BPTT) are in ``ops/rnn.py``; the
``*_composed`` functions at the end write one step with core ops, the readable version the tests compare with.

Shapes (time first unless ``batch_first=True``): input (T, B, input_size); output (T, B, D·hidden_size) with
D = 2 for ``bidirectional``; h_n (and c_n) (num_layers·D, B, hidden_size). An unbatched (T, input_size) input
gives unbatched results.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import backend, ops
from ..tensor import Tensor, stack
from . import init
from .module import Module, Parameter

_GATES = {"RNN": 1, "LSTM": 4, "GRU": 3}


class _RNNBase(Module):
    """What RNN, LSTM and GRU share: the parameters of every layer and direction, the loop over layers."""

    mode = "RNN"

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 device: str | None = None, dtype: Any = None) -> None:
        super().__init__()
        if input_size <= 0 or hidden_size <= 0 or num_layers <= 0:
            raise ValueError(f"{type(self).__name__}(input_size={input_size}, hidden_size={hidden_size}, "
                             f"num_layers={num_layers}): all three must be positive")
        if not 0.0 <= dropout <= 1.0:
            raise ValueError(f"{type(self).__name__}(dropout={dropout}): a probability in [0, 1]")
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.bias, self.batch_first, self.dropout, self.bidirectional = bias, batch_first, dropout, bidirectional
        xp = backend.array_module(None if device is None else backend.normalize_device(device))
        dtype = np.dtype(dtype or np.float32)
        gates = _GATES[self.mode] * hidden_size
        directions = 2 if bidirectional else 1
        for layer in range(num_layers):
            layer_input = input_size if layer == 0 else hidden_size * directions
            for suffix in ("", "_reverse")[:directions]:
                self.register_parameter(f"weight_ih_l{layer}{suffix}",
                                        Parameter(xp.empty((gates, layer_input), dtype=dtype)))
                self.register_parameter(f"weight_hh_l{layer}{suffix}",
                                        Parameter(xp.empty((gates, hidden_size), dtype=dtype)))
                if bias:
                    self.register_parameter(f"bias_ih_l{layer}{suffix}", Parameter(xp.empty(gates, dtype=dtype)))
                    self.register_parameter(f"bias_hh_l{layer}{suffix}", Parameter(xp.empty(gates, dtype=dtype)))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """PyTorch's initialisation: every weight and bias ~ U(−1/√hidden_size, 1/√hidden_size)."""
        bound = 1 / math.sqrt(self.hidden_size)
        for param in self.parameters():
            init.uniform_(param, -bound, bound)

    def _layer_params(self, layer: int, suffix: str) -> tuple[Tensor, ...]:
        params = self._parameters
        weights = (params[f"weight_ih_l{layer}{suffix}"], params[f"weight_hh_l{layer}{suffix}"])
        if not self.bias:
            return weights
        return weights + (params[f"bias_ih_l{layer}{suffix}"], params[f"bias_hh_l{layer}{suffix}"])

    def _check_input(self, input: Tensor) -> tuple[Tensor, bool]:  # noqa: A002
        """Return the input as (T, B, features) and whether it came without a batch axis."""
        name = f"{type(self).__name__}(input_size={self.input_size}, hidden_size={self.hidden_size})"
        if not isinstance(input, Tensor):
            raise TypeError(f"{name} expects a Tensor, got {type(input).__name__}")
        if input.ndim not in (2, 3):
            raise ValueError(f"{name} expects a 3-D input ({'batch, seq' if self.batch_first else 'seq, batch'}, "
                             f"features) or a 2-D unbatched (seq, features), got shape {tuple(input.shape)}")
        if input.shape[-1] != self.input_size:
            raise ValueError(f"{name} got input of shape {tuple(input.shape)}: the last axis (features per step) "
                             f"must be {self.input_size}")
        steps_axis = 1 if self.batch_first and input.ndim == 3 else 0
        if input.shape[steps_axis] == 0:  # PyTorch refuses it too: there is no h_T to return
            raise ValueError(f"{name} got input of shape {tuple(input.shape)}: a sequence needs at least one time "
                             f"step (axis {steps_axis} is 0)")
        unbatched = input.ndim == 2
        if unbatched:
            return input.unsqueeze(1), True
        return (input.transpose(0, 1) if self.batch_first else input), False

    def _initial_state(self, state: Tensor | None, batch: int, unbatched: bool, like: Tensor,
                       name: str) -> Tensor:
        directions = 2 if self.bidirectional else 1
        expected = (self.num_layers * directions, batch, self.hidden_size)
        if state is None:
            return Tensor(like.xp.zeros(expected, dtype=like.dtype))
        if unbatched:
            state = state.unsqueeze(1)
        if tuple(state.shape) != expected:
            shown = expected[:1] + expected[2:] if unbatched else expected
            raise ValueError(f"{type(self).__name__}: {name} has shape {tuple(state.shape)}, expected "
                             f"(num_layers·directions, batch, hidden_size) = {shown}")
        return state

    def _run_layers(self, x: Tensor, initial: list[Tensor]) -> tuple[Tensor, list[list[Tensor]]]:
        """Run every layer and direction; ``initial`` holds the initial-state tensors (h₀, or h₀ and c₀).
        Returns the last layer's output (T, B, D·H) and, per state kind, the final states of all layers."""
        directions = 2 if self.bidirectional else 1
        finals: list[list[Tensor]] = [[] for _ in initial]
        for layer in range(self.num_layers):
            outputs = []
            for direction, suffix in enumerate(("", "_reverse")[:directions]):
                index = layer * directions + direction
                states = [state[index] for state in initial]
                sequence = x if direction == 0 else x[::-1]
                out, last = self._run_direction(sequence, states, self._layer_params(layer, suffix))
                outputs.append(out if direction == 0 else out[::-1])
                for kind, value in enumerate(last):
                    finals[kind].append(value)
            x = outputs[0] if directions == 1 else ops.Concatenate.apply(*outputs, axis=2)
            if self.dropout and self.training and layer < self.num_layers - 1:
                x = ops.Dropout.apply(x, p=self.dropout)  # between layers only, as PyTorch
        return x, finals

    def _run_direction(self, x: Tensor, states: list[Tensor],
                       params: tuple[Tensor, ...]) -> tuple[Tensor, list[Tensor]]:
        raise NotImplementedError

    def extra_repr(self) -> str:
        text = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            text += f", num_layers={self.num_layers}"
        for name, default in (("bias", True), ("batch_first", False), ("dropout", 0.0), ("bidirectional", False)):
            if getattr(self, name) != default:
                text += f", {name}={getattr(self, name)}"
        return text

    def _finish(self, output: Tensor, unbatched: bool) -> Tensor:
        if unbatched:
            return output.squeeze(1)
        return output.transpose(0, 1) if self.batch_first else output


class _SingleStateRNN(_RNNBase):
    """RNN and GRU: one hidden state per layer and direction, returned as (output, h_n)."""

    def forward(self, input: Tensor, hx: Tensor | None = None) -> tuple[Tensor, Tensor]:  # noqa: A002
        x, unbatched = self._check_input(input)
        h0 = self._initial_state(hx, x.shape[1], unbatched, x, "hx")
        output, (h_n,) = self._run_layers(x, [h0])
        h_n = stack(h_n)
        return self._finish(output, unbatched), (h_n.squeeze(1) if unbatched else h_n)


class RNN(_SingleStateRNN):
    """Elman RNN, the documents' h_t = f(W x_t + U h_{t−1} + b):  h_t = f(x_t W_ihᵀ + b_ih + h_{t−1} W_hhᵀ + b_hh),
    f = tanh (``nonlinearity="tanh"``, the default) or relu.

    ``RNN(input_size, hidden_size, num_layers=1, nonlinearity="tanh", bias=True, batch_first=False, dropout=0.0,
    bidirectional=False)``; ``forward(input, hx=None)`` returns ``(output, h_n)``: output holds h_t of the last
    layer for every t, h_n the last h of every layer. Parameters ``weight_ih_l{k}`` (H, in), ``weight_hh_l{k}``
    (H, H), ``bias_ih_l{k}``, ``bias_hh_l{k}`` (H,), as PyTorch, so its state_dict loads unchanged.
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, nonlinearity: str = "tanh",
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 device: str | None = None, dtype: Any = None) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNN(nonlinearity={nonlinearity!r}): use 'tanh' or 'relu'")
        self.nonlinearity = nonlinearity
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional, device,
                         dtype)

    def _run_direction(self, x: Tensor, states: list[Tensor],
                       params: tuple[Tensor, ...]) -> tuple[Tensor, list[Tensor]]:
        out = ops.RNNSequence.apply(x, states[0], *params, nonlinearity=self.nonlinearity)
        return out, [out[-1]]

    def extra_repr(self) -> str:
        text = super().extra_repr()
        return text + (f", nonlinearity={self.nonlinearity!r}" if self.nonlinearity != "tanh" else "")


class LSTM(_RNNBase):
    """Long short-term memory, gates in PyTorch's order i, f, g, o (``ops.LSTMSequence`` has the equations):

        c_t = σ(f) ⊙ c_{t−1} + σ(i) ⊙ tanh(g),   h_t = σ(o) ⊙ tanh(c_t)

    ``LSTM(input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
    bidirectional=False)``; ``forward(input, (h_0, c_0)=None)`` returns ``output, (h_n, c_n)``. Weights
    ``weight_ih_l{k}`` (4H, in) and ``weight_hh_l{k}`` (4H, H) stack the four gates' matrices, as PyTorch's.

    The documents' Keras ``LSTM(64, return_sequences=True)`` is ``output``; ``LSTM(64)`` is ``h_n[-1]``.
    """

    mode = "LSTM"

    def forward(self, input: Tensor,  # noqa: A002
                hx: tuple[Tensor, Tensor] | None = None) -> tuple[Tensor, tuple[Tensor, Tensor]]:
        x, unbatched = self._check_input(input)
        if hx is not None and (not isinstance(hx, tuple | list) or len(hx) != 2):
            raise TypeError("LSTM(input, hx): hx must be a pair (h_0, c_0)")
        h0, c0 = (None, None) if hx is None else hx
        h0 = self._initial_state(h0, x.shape[1], unbatched, x, "h_0")
        c0 = self._initial_state(c0, x.shape[1], unbatched, x, "c_0")
        output, (h_n, c_n) = self._run_layers(x, [h0, c0])
        h_n, c_n = stack(h_n), stack(c_n)
        if unbatched:
            h_n, c_n = h_n.squeeze(1), c_n.squeeze(1)
        return self._finish(output, unbatched), (h_n, c_n)

    def _run_direction(self, x: Tensor, states: list[Tensor],
                       params: tuple[Tensor, ...]) -> tuple[Tensor, list[Tensor]]:
        hidden = self.hidden_size
        both = ops.LSTMSequence.apply(x, states[0], states[1], *params)  # [h_t, c_t] side by side
        last = both[-1]
        return both[:, :, :hidden], [last[:, :hidden], last[:, hidden:]]


class GRU(_SingleStateRNN):
    """Gated recurrent unit, gates in PyTorch's order r, z, n (``ops.GRUSequence`` has the equations):

        h_t = (1 − z) ⊙ n + z ⊙ h_{t−1},   n = tanh(W_in x + b_in + r ⊙ (W_hn h_{t−1} + b_hn))

    Same arguments and return values as ``RNN``; weights (3H, in) and (3H, H).
    """

    mode = "GRU"

    def _run_direction(self, x: Tensor, states: list[Tensor],
                       params: tuple[Tensor, ...]) -> tuple[Tensor, list[Tensor]]:
        out = ops.GRUSequence.apply(x, states[0], *params)
        return out, [out[-1]]


# ------------------------------------------------------------------------------------------------ cells


class _CellBase(Module):
    """One step of a recurrent layer, for writing the loop over time yourself."""

    mode = "RNN"

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device: str | None = None,
                 dtype: Any = None) -> None:
        super().__init__()
        if input_size <= 0 or hidden_size <= 0:
            raise ValueError(f"{type(self).__name__}({input_size}, {hidden_size}): sizes must be positive")
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        xp = backend.array_module(None if device is None else backend.normalize_device(device))
        dtype = np.dtype(dtype or np.float32)
        gates = _GATES[self.mode] * hidden_size
        self.weight_ih = Parameter(xp.empty((gates, input_size), dtype=dtype))
        self.weight_hh = Parameter(xp.empty((gates, hidden_size), dtype=dtype))
        if bias:
            self.bias_ih = Parameter(xp.empty(gates, dtype=dtype))
            self.bias_hh = Parameter(xp.empty(gates, dtype=dtype))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    reset_parameters = _RNNBase.reset_parameters

    def _params(self) -> tuple[Tensor, ...]:
        p = self._parameters
        weights = (p["weight_ih"], p["weight_hh"])
        return weights + (p["bias_ih"], p["bias_hh"]) if self.bias else weights

    def _check(self, input: Tensor, state: Tensor | None, name: str) -> tuple[Tensor, Tensor, bool]:  # noqa: A002
        """(input as (1, B, in), state as (B, H), unbatched?): the cell runs as a sequence op of length 1."""
        layer = f"{type(self).__name__}({self.input_size}, {self.hidden_size})"
        if input.ndim not in (1, 2) or input.shape[-1] != self.input_size:
            raise ValueError(f"{layer} got input of shape {tuple(input.shape)}: expected (batch, {self.input_size}) "
                             f"or ({self.input_size},)")
        unbatched = input.ndim == 1
        x = input.reshape(1, 1, -1) if unbatched else input.unsqueeze(0)
        batch = x.shape[1]
        if state is None:
            state = Tensor(x.xp.zeros((batch, self.hidden_size), dtype=x.dtype))
        elif unbatched:
            state = state.unsqueeze(0)
        if tuple(state.shape) != (batch, self.hidden_size):
            raise ValueError(f"{layer}: {name} has shape {tuple(state.shape)}, expected {(batch, self.hidden_size)}")
        return x, state, unbatched

    def extra_repr(self) -> str:
        return f"{self.input_size}, {self.hidden_size}" + ("" if self.bias else ", bias=False")


class RNNCell(_CellBase):
    """One step  h′ = f(x W_ihᵀ + b_ih + h W_hhᵀ + b_hh)  (f = tanh or relu); ``forward(input, hx=None)`` → h′."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, nonlinearity: str = "tanh",
                 device: str | None = None, dtype: Any = None) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNNCell(nonlinearity={nonlinearity!r}): use 'tanh' or 'relu'")
        self.nonlinearity = nonlinearity
        super().__init__(input_size, hidden_size, bias, device, dtype)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:  # noqa: A002
        x, h, unbatched = self._check(input, hx, "hx")
        h = ops.RNNSequence.apply(x, h, *self._params(), nonlinearity=self.nonlinearity)[0]
        return h[0] if unbatched else h


class LSTMCell(_CellBase):
    """One LSTM step (gates i, f, g, o); ``forward(input, (h, c)=None)`` → ``(h′, c′)``."""

    mode = "LSTM"

    def forward(self, input: Tensor,  # noqa: A002
                hx: tuple[Tensor, Tensor] | None = None) -> tuple[Tensor, Tensor]:
        h0, c0 = (None, None) if hx is None else hx
        x, h, unbatched = self._check(input, h0, "h")
        _, c, _ = self._check(input, c0, "c")
        both = ops.LSTMSequence.apply(x, h, c, *self._params())[0]
        h, c = both[:, : self.hidden_size], both[:, self.hidden_size :]
        return (h[0], c[0]) if unbatched else (h, c)


class GRUCell(_CellBase):
    """One GRU step (gates r, z, n); ``forward(input, hx=None)`` → h′."""

    mode = "GRU"

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:  # noqa: A002
        x, h, unbatched = self._check(input, hx, "hx")
        h = ops.GRUSequence.apply(x, h, *self._params())[0]
        return h[0] if unbatched else h


# -------------------------------------------------------------------- one step from core ops (readable)


def rnn_cell_composed(x: Tensor, h: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih: Tensor | None = None,
                      b_hh: Tensor | None = None, nonlinearity: str = "tanh") -> Tensor:
    """h′ = f(x W_ihᵀ + b_ih + h W_hhᵀ + b_hh), written with core ops: each line one node of the graph."""
    z = x @ w_ih.T + h @ w_hh.T
    if b_ih is not None:
        z = z + b_ih + b_hh
    return z.tanh() if nonlinearity == "tanh" else z.relu()


def lstm_cell_composed(x: Tensor, h: Tensor, c: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih: Tensor | None = None,
                       b_hh: Tensor | None = None) -> tuple[Tensor, Tensor]:
    """One LSTM step with core ops, line by line the equations of ``ops.LSTMSequence``."""
    z = x @ w_ih.T + h @ w_hh.T
    if b_ih is not None:
        z = z + b_ih + b_hh
    z_i, z_f, z_g, z_o = z.split(h.shape[-1], axis=-1)
    i, f, g, o = z_i.sigmoid(), z_f.sigmoid(), z_g.tanh(), z_o.sigmoid()
    c = f * c + i * g
    return o * c.tanh(), c
