"""Recurrent layers as one op per layer and sequence: the loop over time in ``forward``, backpropagation through
time (BPTT) in ``backward``.

Why one op for the whole sequence rather than a graph of per-step ops: the input projection x_t W_ihᵀ of every
step is one big matrix product before the loop, and the weight gradients Σ_t dz_tᵀ x_t and Σ_t dz_tᵀ h_{t−1}
are one big product after it; only h_{t−1} W_hhᵀ and its transpose stay inside the loop. (The LSTM's float32
loop kernels take x_t W_ihᵀ and dz_t W_ih into the loop after all, where the step's rows are in the cache, and
each thread computes its rows' share of the weight gradients: kernels/lstm.py has the measurements.) The
per-step graph (``nn.rnn.lstm_cell_composed``, the readable version) computes the same numbers: the tests
check it, and docs/sequence-models.md has the timings.

Layout: x is (T, B, I) (time first), h₀ and c₀ are (B, H), weights have PyTorch's layout: W_ih (G·H, I),
W_hh (G·H, H), biases (G·H,), with the G gate blocks stacked in PyTorch's order.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd import Function
from ..backend import get_array_module
from ..kernels import dispatch
from .activation import stable_sigmoid


def _check_features(x: Any, w_ih: Any) -> None:
    if x.shape[2] != w_ih.shape[1]:
        raise ValueError(f"the input has {x.shape[2]} features per step but the layer's input_size is "
                         f"{w_ih.shape[1]}: the last axis of the input must be {w_ih.shape[1]}")


def _summed_biases(*biases: Any) -> Any:
    """b_ih + b_hh (or the one present), None without biases."""
    present = [bias for bias in biases if bias is not None]
    return sum(present[1:], present[0]) if present else None


def _input_projection(x: Any, w_ih: Any, *biases: Any) -> Any:
    """x_t W_ihᵀ (+ the biases) for every step at once: one (T·B, I) × (I, G·H) product."""
    steps, batch, features = x.shape
    _check_features(x, w_ih)
    projected = (x.reshape(steps * batch, features) @ w_ih.T).reshape(steps, batch, w_ih.shape[0])
    bias = _summed_biases(*biases)
    if bias is not None:  # b_ih + b_hh first (one short vector), then one pass over the (T, B, G·H) projection
        projected += bias
    return projected


def _check_state(name: str, state: Any, batch: int, hidden: int) -> None:
    if state.shape != (batch, hidden):
        raise ValueError(f"{name} has shape {state.shape}, expected (batch, hidden_size) = ({batch}, {hidden})")


def _weight_grads(grad_gates: Any, x: Any, w_ih: Any, previous_h: Any,
                  need_x: bool) -> tuple[Any, Any, Any, Any]:
    """dx = dZ W_ih, dW_ih = Σ_t dZ_tᵀ x_t, dW_hh = Σ_t dZ_tᵀ h_{t−1}, db = Σ_t Σ_batch dZ_t: one product each
    (db too: 1ᵀ dZ, a third of the time of NumPy's column sums of a (3200, 512) dZ)."""
    steps, batch, gates = grad_gates.shape
    flat = grad_gates.reshape(steps * batch, gates)
    grad_x = (flat @ w_ih).reshape(x.shape) if need_x else None
    grad_w_ih = flat.T @ x.reshape(steps * batch, -1)
    grad_w_hh = flat.T @ previous_h.reshape(steps * batch, -1)
    grad_b = get_array_module(flat).ones(steps * batch, dtype=flat.dtype) @ flat
    return grad_x, grad_w_ih, grad_w_hh, grad_b


def _previous_hidden(xp: Any, h0: Any, hidden_sequence: Any) -> Any:
    """h_{t−1} for t = 1..T: h₀ followed by h₁..h_{T−1}."""
    return xp.concatenate([h0[None], hidden_sequence[:-1]], axis=0)


class RNNSequence(Function):
    """The Elman RNN of the documents,  h_t = f(W x_t + U h_{t−1} + b),  over a whole sequence.

    In PyTorch's names: h_t = f(x_t W_ihᵀ + b_ih + h_{t−1} W_hhᵀ + b_hh), f = tanh (or relu). Output: every h_t,
    shape (T, B, H).

    Backward through time, t = T … 1, where dh_t is ∂L/∂h_t from the output plus what step t + 1 sent back:

        dz_t = dh_t ⊙ f′(z_t)              f′ = 1 − h_t² for tanh, [h_t > 0] for relu
        step t − 1 receives dz_t W_hh       (the recurrence, the only part that has to stay in the loop)
        dW_ih = Σ_t dz_tᵀ x_t,   dW_hh = Σ_t dz_tᵀ h_{t−1},   db_ih = db_hh = Σ_t Σ_batch dz_t,   dx_t = dz_t W_ih
    """

    promotes = "same"  # float32 input, float64 weights: both float64, as Linear (the kernels need one dtype)

    def forward(self, x: Any, h0: Any, w_ih: Any, w_hh: Any, b_ih: Any = None, b_hh: Any = None,
                nonlinearity: str = "tanh") -> Any:
        xp = get_array_module(x)
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNN nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        _check_state("h_0", h0, x.shape[1], w_hh.shape[1])
        projected = _input_projection(x, w_ih, b_ih, b_hh)
        hidden = xp.empty(projected.shape, dtype=x.dtype)
        with dispatch.small_products():  # one small product per step: OpenBLAS on one thread (kernels/threads.py)
            for t in range(x.shape[0]):
                h = hidden[t]  # computed in place: z = x_t W_ihᵀ + b + h_{t−1} W_hhᵀ, then f(z)
                xp.matmul(hidden[t - 1] if t else h0, w_hh.T, out=h)
                h += projected[t]
                if nonlinearity == "tanh":
                    xp.tanh(h, out=h)
                else:
                    xp.maximum(h, 0, out=h)
        self.nonlinearity = nonlinearity
        self.save_for_backward(x, h0, hidden, w_ih, w_hh)
        return hidden

    def backward(self, grad: Any) -> tuple[Any, ...]:
        x, h0, hidden, w_ih, w_hh = self.saved
        xp = get_array_module(grad)
        # f′(z_t) does not depend on the recurrence: computed for all steps at once, before the loop
        slope = 1 - hidden * hidden if self.nonlinearity == "tanh" else (hidden > 0).astype(hidden.dtype)
        grad_z = xp.empty_like(grad)
        grad_h = xp.zeros_like(h0)  # what step t + 1 sends back to h_t
        with dispatch.small_products():
            for t in range(grad.shape[0] - 1, -1, -1):
                grad_h += grad[t]
                xp.multiply(grad_h, slope[t], out=grad_z[t])
                grad_h = grad_z[t] @ w_hh
        previous_h = _previous_hidden(xp, h0, hidden)
        grad_x, grad_w_ih, grad_w_hh, grad_b = _weight_grads(grad_z, x, w_ih, previous_h, self.needs_input_grad[0])
        grads = (grad_x, grad_h, grad_w_ih, grad_w_hh)
        return grads + (grad_b, grad_b) if len(self.needs_input_grad) > 4 else grads


class LSTMSequence(Function):
    """The LSTM over a whole sequence, PyTorch's gates in PyTorch's order i, f, g, o:

        [z_i, z_f, z_g, z_o] = x_t W_ihᵀ + b_ih + h_{t−1} W_hhᵀ + b_hh
        i = σ(z_i)  input gate,   f = σ(z_f)  forget gate,   g = tanh(z_g)  candidate,   o = σ(z_o)  output gate
        c_t = f ⊙ c_{t−1} + i ⊙ g         the cell state: changed by addition, not by a matrix product
        h_t = o ⊙ tanh(c_t)

    Output: the states side by side, [h_t, c_t] for every t, shape (T, B, 2H) (one op has one output; the
    layer slices out h_1..h_T, h_T and c_T).

    Backward through time, t = T … 1, with dh, dc what reaches h_t and c_t (from the output and from step t + 1):

        dc ← dc + dh ⊙ o ⊙ (1 − tanh² c_t)
        dz_i = dc ⊙ g ⊙ i(1 − i),   dz_f = dc ⊙ c_{t−1} ⊙ f(1 − f),   dz_g = dc ⊙ i ⊙ (1 − g²),
        dz_o = dh ⊙ tanh(c_t) ⊙ o(1 − o)
        step t − 1 receives  dh = dz W_hh  and  dc = dc ⊙ f   (the cell path: multiplied by f only)

    and the weight gradients are summed over time as for ``RNNSequence``.
    """

    promotes = "same"  # float32 input, float64 weights: both float64, as Linear (the kernels need one dtype)

    def forward(self, x: Any, h0: Any, c0: Any, w_ih: Any, w_hh: Any, b_ih: Any = None, b_hh: Any = None) -> Any:
        xp = get_array_module(x)
        hidden = w_hh.shape[1]
        _check_state("h_0", h0, x.shape[1], hidden)
        _check_state("c_0", c0, x.shape[1], hidden)
        steps, batch = x.shape[:2]
        gates = xp.empty((steps, batch, w_hh.shape[0]), dtype=x.dtype)  # i, f, g, o after their nonlinearities
        states = xp.empty((steps + 1, batch, 2 * hidden), dtype=x.dtype)  # [h_t, c_t], [h₀, c₀] first
        states[0, :, :hidden], states[0, :, hidden:] = h0, c0
        tanh_c = xp.empty((steps, batch, hidden), dtype=x.dtype)  # kept for the backward pass
        loops = dispatch.lstm_loops(x)
        w_hh = xp.ascontiguousarray(w_hh)
        operand = None
        if loops is not None:  # the whole loop, x_t W_ihᵀ included, in one kernel call per thread (kernels/lstm.py)
            _check_features(x, w_ih)
            inputs, w_ih = xp.ascontiguousarray(x), xp.ascontiguousarray(w_ih)  # the backward loop's too
            bias = _summed_biases(b_ih, b_hh)
            weights = dispatch.lstm_stacked_weights(w_ih, w_hh, xp.zeros(w_hh.shape[0], x.dtype) if bias is None
                                                    else bias)
            operand = xp.empty((steps * batch, weights.shape[0]), dtype=x.dtype)  # [x_t, h_{t−1}, 1] rows
        else:
            projected = _input_projection(x, w_ih, b_ih, b_hh)
            step_forward, _ = dispatch.lstm_steps(x)  # one fused pass per step (kernels/lstm.py)

            def run(start: int, stop: int) -> None:  # the time loop for batch rows start … stop − 1
                recurrent = xp.empty((stop - start, projected.shape[2]), dtype=x.dtype)
                for t in range(steps):
                    previous, current = states[t, start:stop], states[t + 1, start:stop]
                    xp.matmul(previous[:, :hidden], w_hh.T, out=recurrent)  # the only product in the loop
                    step_forward(recurrent, projected[t, start:stop], previous, gates[t, start:stop], current,
                                 tanh_c[t, start:stop])

        # one small product per step: OpenBLAS on one thread (kernels/threads.py); each batch row has its own
        # recurrence, so the rows are shared out between threads that each run the whole time loop
        work = steps * w_hh.size  # multiply-adds of one batch row's recurrent products
        blocks = dispatch.row_blocks(x, batch, work_per_row=work)
        with dispatch.small_products():
            if loops is not None:  # the blocks on Numba's threads
                loops[0](inputs, weights, gates, states, tanh_c, operand, blocks)
            else:
                dispatch.run_blocks(blocks, run)
        # the backward loops take the same blocks: the operand's rows are laid out block after block
        self.tanh_c, self.operand, self.blocks = tanh_c, operand, blocks
        self.save_for_backward(x, w_ih, w_hh, gates, states)
        return states[1:]

    def backward(self, grad: Any) -> tuple[Any, ...]:
        x, w_ih, w_hh, gates, states = self.saved
        xp = get_array_module(grad)
        steps, batch, _ = grad.shape
        hidden = w_hh.shape[1]
        grad = xp.ascontiguousarray(grad, dtype=gates.dtype)
        grad_h = xp.zeros((batch, hidden), dtype=gates.dtype)
        grad_c = xp.zeros((batch, hidden), dtype=gates.dtype)
        loops = dispatch.lstm_loops(grad)
        if loops is not None and self.operand is not None:  # the forward ran them too: dx, dW and db inside
            return self._backward_loops(loops[1], grad, grad_h, grad_c, self.blocks)
        grad_z = xp.empty(gates.shape, dtype=gates.dtype)
        _, step_backward = dispatch.lstm_steps(grad)

        def run(start: int, stop: int) -> None:  # backward through time for batch rows start … stop − 1
            rows = slice(start, stop)
            for t in range(steps - 1, -1, -1):
                step_backward(grad[t, rows], grad_h[rows], grad_c[rows], gates[t, rows], states[t, rows],
                              self.tanh_c[t, rows], grad_z[t, rows])
                xp.matmul(grad_z[t, rows], w_hh, out=grad_h[rows])  # dh_{t−1} = dz_t W_hh (+ the output's, inside)

        with dispatch.small_products():
            dispatch.run_blocks(self.blocks, run)
        previous_h = states[:-1, :, :hidden]  # h_{t−1} for t = 1..T: h₀ followed by h₁..h_{T−1}
        grad_x, grad_w_ih, grad_w_hh, grad_b = _weight_grads(grad_z, x, w_ih, previous_h, self.needs_input_grad[0])
        grads = (grad_x, grad_h, grad_c, grad_w_ih, grad_w_hh)
        return grads + (grad_b, grad_b) if len(self.needs_input_grad) > 5 else grads

    def _backward_loops(self, loop: Any, grad: Any, grad_h: Any, grad_c: Any,
                        blocks: list[tuple[int, int]]) -> tuple[Any, ...]:
        """``backward`` with kernels/lstm.py's loop, one call per block of batch rows: the block's dx_t inside
        the loop, its share of [dW_ih, dW_hh, db] = Σ_t dz_tᵀ [x_t, h_{t−1}, 1] too, on the block's own thread."""
        x, w_ih, w_hh, gates, states = self.saved
        width = gates.shape[2]
        features, hidden = w_ih.shape[1], w_hh.shape[1]
        grad_x = np.empty(x.shape if self.needs_input_grad[0] else (0, 0, 0), dtype=gates.dtype)
        shares = np.empty((len(blocks), width, self.operand.shape[1]), dtype=gates.dtype)
        with dispatch.small_products():
            loop(w_ih, w_hh, grad, gates, states, self.tanh_c, self.operand, grad_h, grad_c, grad_x, shares, blocks)
        total = shares.sum(axis=0)  # the blocks' shares added: [dW_ih, dW_hh, db]
        grad_w_ih = np.ascontiguousarray(total[:, :features])
        grad_w_hh = np.ascontiguousarray(total[:, features : features + hidden])
        grads = (grad_x if self.needs_input_grad[0] else None, grad_h, grad_c, grad_w_ih, grad_w_hh)
        if len(self.needs_input_grad) <= 5:
            return grads
        grad_b = np.ascontiguousarray(total[:, -1])
        return grads + (grad_b, grad_b)


class GRUSequence(Function):
    """The GRU over a whole sequence, PyTorch's gates in PyTorch's order r, z, n:

        r = σ(x W_irᵀ + b_ir + h_{t−1} W_hrᵀ + b_hr)               reset gate
        z = σ(x W_izᵀ + b_iz + h_{t−1} W_hzᵀ + b_hz)               update gate
        n = tanh(x W_inᵀ + b_in + r ⊙ (h_{t−1} W_hnᵀ + b_hn))      candidate
        h_t = (1 − z) ⊙ n + z ⊙ h_{t−1}

    Backward, with dh what reaches h_t and a = h_{t−1} W_hnᵀ + b_hn:
        dn̂ = dh ⊙ (1 − z) ⊙ (1 − n²),   dẑ = dh ⊙ (h_{t−1} − n) ⊙ z(1 − z),   dr̂ = dn̂ ⊙ a ⊙ r(1 − r)
        input side: [dr̂, dẑ, dn̂];  hidden side: [dr̂, dẑ, dn̂ ⊙ r];  step t − 1 receives dh ⊙ z + (hidden side) W_hh
    """

    promotes = "same"  # float32 input, float64 weights: both float64, as Linear (the kernels need one dtype)

    def forward(self, x: Any, h0: Any, w_ih: Any, w_hh: Any, b_ih: Any = None, b_hh: Any = None) -> Any:
        xp = get_array_module(x)
        hidden = w_hh.shape[1]
        _check_state("h_0", h0, x.shape[1], hidden)
        projected = _input_projection(x, w_ih, b_ih)  # b_hh is added on the hidden side: b_hn sits inside r ⊙ (…)
        gates = xp.empty(projected.shape, dtype=x.dtype)  # r, z, n
        recurrent_n = xp.empty(x.shape[:2] + (hidden,), dtype=x.dtype)  # a = h_{t−1} W_hnᵀ + b_hn
        out = xp.empty(x.shape[:2] + (hidden,), dtype=x.dtype)
        h = h0
        with dispatch.small_products():
            for t in range(x.shape[0]):
                recurrent = h @ w_hh.T
                if b_hh is not None:
                    recurrent = recurrent + b_hh
                gate = gates[t]
                gate[:, : 2 * hidden] = stable_sigmoid(projected[t, :, : 2 * hidden] + recurrent[:, : 2 * hidden])
                r, z = gate[:, :hidden], gate[:, hidden : 2 * hidden]
                recurrent_n[t] = recurrent[:, 2 * hidden :]
                gate[:, 2 * hidden :] = xp.tanh(projected[t, :, 2 * hidden :] + r * recurrent_n[t])
                n = gate[:, 2 * hidden :]
                h = (1 - z) * n + z * h
                out[t] = h
        self.save_for_backward(x, h0, gates, w_ih, w_hh, recurrent_n, out)
        return out

    def backward(self, grad: Any) -> tuple[Any, ...]:
        x, h0, gates, w_ih, w_hh, recurrent_n, out = self.saved
        xp = get_array_module(grad)
        hidden = w_hh.shape[1]
        grad_input_side = xp.empty_like(gates)
        grad_hidden_side = xp.empty_like(gates)
        grad_h = xp.zeros_like(h0)
        with dispatch.small_products():
            for t in range(grad.shape[0] - 1, -1, -1):
                r, z, n = (gates[t, :, k * hidden : (k + 1) * hidden] for k in range(3))
                h_previous = out[t - 1] if t > 0 else h0
                grad_h = grad[t] + grad_h
                grad_n = grad_h * (1 - z) * (1 - n * n)
                grad_z = grad_h * (h_previous - n) * z * (1 - z)
                grad_r = grad_n * recurrent_n[t] * r * (1 - r)
                side = grad_input_side[t]
                side[:, :hidden], side[:, hidden : 2 * hidden], side[:, 2 * hidden :] = grad_r, grad_z, grad_n
                side = grad_hidden_side[t]
                side[:, :hidden], side[:, hidden : 2 * hidden], side[:, 2 * hidden :] = grad_r, grad_z, grad_n * r
                grad_h = grad_h * z + side @ w_hh
        steps, batch, _ = grad.shape
        needs = self.needs_input_grad
        flat_input = grad_input_side.reshape(steps * batch, -1)
        flat_hidden = grad_hidden_side.reshape(steps * batch, -1)
        previous_h = _previous_hidden(xp, h0, out)
        grad_x = (flat_input @ w_ih).reshape(x.shape) if needs[0] else None
        grads = (grad_x, grad_h, flat_input.T @ x.reshape(steps * batch, -1),
                 flat_hidden.T @ previous_h.reshape(steps * batch, -1))
        if len(needs) > 4:
            grads += (flat_input.sum(axis=0), flat_hidden.sum(axis=0))
        return grads
