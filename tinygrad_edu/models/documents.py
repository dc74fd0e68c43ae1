"""The documents' networks, each defined once, with PyTorch's layer names and layouts.

| class | the documents' model |
| --- | --- |
| ``DocumentsCNN`` | the Keras CNN: Conv2D(32) → MaxPool → Conv2D(64) → MaxPool → Conv2D(64) → Flatten → Dense(64) → |
|  | Dense(classes), input (N, 1, 28, 28), 93,322 parameters for 10 classes |
| ``MLP`` | the dense baseline of the MNIST runs: Flatten → 784-256-128-10 with ReLU |
| ``LSTMClassifier`` | the text classifier: Embedding → LSTM(return_sequences=True) → LSTM → Dense(classes) |
| ``CausalLM`` | the Transformer of the sequence documents as a small GPT-style language model |

Used by the tests, ``python -m tinygrad_edu.bench``, the walkthroughs, ``python -m tinygrad_edu.train`` and the
notebooks, so that every one of them trains the same network.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import backend, nn, ops
from ..grad_mode import no_grad
from ..tensor import Tensor


class DocumentsCNN(nn.Sequential):
    """The documents' Keras CNN in PyTorch's layout (N, 1, 28, 28) → logits (N, num_classes).

    A ``Sequential`` (sub-modules "0" … "11"), so its ``state_dict`` keys are those of the same
    ``torch.nn.Sequential``. Softmax is not a layer: it is inside the cross-entropy loss.
    """

    def __init__(self, num_classes: int = 10) -> None:
        super().__init__(
            nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2),  # Conv2D(32, (3, 3), 'relu'), MaxPooling2D: 28 → 26 → 13
            nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),  # Conv2D(64, (3, 3), 'relu'), MaxPooling2D: 13 → 11 → 5
            nn.Conv2d(64, 64, 3), nn.ReLU(),  # Conv2D(64, (3, 3), 'relu'): 5 → 3
            nn.Flatten(), nn.Linear(64 * 3 * 3, 64), nn.ReLU(),  # Flatten, Dense(64, 'relu')
            nn.Linear(64, num_classes),  # Dense(num_classes)
        )


class MLP(nn.Sequential):
    """A multilayer perceptron on flattened images: Flatten → Linear → ReLU → … → Linear(num_classes);
    ``MLP()`` is the 784-256-128-10 network of the MNIST runs."""

    def __init__(self, in_features: int = 784, hidden: tuple[int, ...] = (256, 128), num_classes: int = 10) -> None:
        layers: list[nn.Module] = [nn.Flatten()]
        for width_in, width_out in zip((in_features, *hidden), hidden, strict=False):
            layers += [nn.Linear(width_in, width_out), nn.ReLU()]
        layers.append(nn.Linear(hidden[-1] if hidden else in_features, num_classes))
        super().__init__(*layers)


class LSTMClassifier(nn.Module):
    """The documents' Keras text model: Embedding → LSTM(return_sequences=True) → LSTM → Dense(num_classes).

    ``forward(tokens)`` maps integer ids (batch, T) to logits (batch, num_classes) read from the second LSTM's
    last hidden state; softmax is inside the loss.
    """

    def __init__(self, vocab_size: int, num_classes: int = 2, embedding_dim: int = 16, hidden_size: int = 32) -> None:
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embedding_dim)  # layers.Embedding(vocab_size, embedding_dim)
        self.lstm1 = nn.LSTM(embedding_dim, hidden_size, batch_first=True)  # layers.LSTM(64, return_sequences=True)
        self.lstm2 = nn.LSTM(hidden_size, hidden_size, batch_first=True)  # layers.LSTM(64)
        self.dense = nn.Linear(hidden_size, num_classes)  # layers.Dense(num_classes)

    def forward(self, tokens: Tensor) -> Tensor:
        sequence, _ = self.lstm1(self.embedding(tokens))
        _, (h_n, _) = self.lstm2(sequence)
        return self.dense(h_n[-1])

    def running_scores(self, tokens: Tensor) -> Tensor:
        """The classifier applied after every word: what the model would answer if the review ended there."""
        sequence, _ = self.lstm1(self.embedding(tokens))
        outputs, _ = self.lstm2(sequence)
        return self.dense(outputs)


class CausalLM(nn.Module):
    """A small GPT-style language model: token embedding → positional encoding → causally masked pre-norm encoder
    layers → final LayerNorm → output projection to next-token logits.

    ``CausalLM(vocab_size, d_model=64, nhead=4, num_layers=2, dim_feedforward=256, max_len=512, dropout=0.1)``;
    ``forward(tokens)`` maps integer ids (batch, T) to logits (batch, T, vocab_size), where position t sees tokens
    0..t only, so the logits at t predict token t + 1. Train with ``F.cross_entropy(logits.reshape(-1, V),
    targets.reshape(-1))``; ``generate`` samples a continuation.
    """

    def __init__(self, vocab_size: int, d_model: int = 64, nhead: int = 4, num_layers: int = 2,
                 dim_feedforward: int = 256, max_len: int = 512, dropout: float = 0.1) -> None:
        super().__init__()
        self.vocab_size, self.d_model, self.max_len = vocab_size, d_model, max_len
        self.embedding = nn.Embedding(vocab_size, d_model)
        self.positional = nn.PositionalEncoding(d_model, max_len, dropout)
        layer = nn.TransformerEncoderLayer(d_model, nhead, dim_feedforward, dropout, activation="gelu",
                                           norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, num_layers, norm=nn.LayerNorm(d_model))
        self.head = nn.Linear(d_model, vocab_size)

    def forward(self, tokens: Any) -> Tensor:
        x = self.embedding(tokens) * math.sqrt(self.d_model)  # the paper's scale: embeddings and PE comparable
        return self.head(self.encoder(self.positional(x), is_causal=True))

    def generate(self, prompt: Any, max_new_tokens: int, temperature: float = 1.0, greedy: bool = False) -> Tensor:
        """Extend ``prompt`` (batch, T) token by token: sample from softmax(logits / temperature) at the last
        position (or take the argmax with ``greedy``), append, repeat. Runs in eval mode without a graph."""
        tokens = prompt.data if isinstance(prompt, Tensor) else self.embedding.weight.xp.asarray(prompt)
        if tokens.ndim == 1:
            tokens = tokens[None]
        was_training = self.training
        self.eval()
        generator = backend.generator(self.embedding.weight.device)
        xp = self.embedding.weight.xp
        with no_grad():
            for _ in range(max_new_tokens):
                logits = self(tokens[:, -self.max_len :]).data[:, -1].astype(np.float64)
                if greedy:
                    chosen = logits.argmax(axis=-1)
                else:
                    probs = ops.Softmax.apply(Tensor(logits / max(temperature, 1e-8))).data
                    uniform = generator.random((probs.shape[0], 1))
                    chosen = (probs.cumsum(axis=-1) < uniform).sum(axis=-1).clip(0, self.vocab_size - 1)
                tokens = xp.concatenate([tokens, chosen[:, None].astype(tokens.dtype)], axis=1)
        self.train(was_training)
        return Tensor(tokens)
