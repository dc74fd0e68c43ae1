"""Solutions to the exercises of notebook 08_attention_transformer."""

import numpy as np

import tinygrad_edu as tg
import tinygrad_edu.nn.functional as F
from tinygrad_edu import models, nn, optim


class Reverser(nn.Module):
    def __init__(self, d_model=32, positional=True):
        super().__init__()
        self.embedding = nn.Embedding(10, d_model)
        self.positional = nn.PositionalEncoding(d_model, max_len=10) if positional else nn.Identity()
        self.encoder = nn.TransformerEncoder(nn.TransformerEncoderLayer(d_model, 4, 64, dropout=0.0), num_layers=2)
        self.head = nn.Linear(d_model, 10)

    def forward(self, digits):
        return self.head(self.encoder(self.positional(self.embedding(digits))))


def train(model, steps, seed=0):
    rng = np.random.default_rng(seed)
    adam = optim.Adam(model.parameters(), lr=0.003)
    for _ in range(steps):
        digits = rng.integers(0, 10, (64, 10))
        loss = F.cross_entropy(model(digits).reshape(-1, 10), digits[:, ::-1].reshape(-1))
        adam.zero_grad()
        loss.backward()
        adam.step()
    test = rng.integers(0, 10, (500, 10))
    with tg.no_grad():
        return float((model(test).numpy().argmax(-1) == test[:, ::-1]).mean())


# 1. Without the positional encoding the encoder is permutation-equivariant
tg.manual_seed(0)
model = Reverser()
digits = np.array([[3, 1, 4, 1, 5, 9, 2, 6, 5, 3]])
order = np.random.default_rng(0).permutation(10)
with tg.no_grad():
    out = model.encoder(model.embedding(digits)).numpy()
    out_permuted = model.encoder(model.embedding(digits[:, order])).numpy()
print("1. encoder(permuted tokens) == permuted encoder(tokens):", np.allclose(out[:, order], out_permuted, atol=1e-5))
assert np.allclose(out[:, order], out_permuted, atol=1e-5)

# 2. Multi-head attention by hand
tg.manual_seed(0)
mha = nn.MultiHeadAttention(8, 2)
x = tg.randn(1, 5, 8)
with tg.no_grad():
    def heads(t):  # (1, 5, 8) → (1, 2, 5, 4)
        return t.reshape(1, 5, 2, 4).transpose(1, 2)
    context = F.scaled_dot_product_attention(heads(mha.q_proj(x)), heads(mha.k_proj(x)), heads(mha.v_proj(x)))
    by_hand = mha.out_proj(context.transpose(1, 2).reshape(1, 5, 8)).numpy()
    library = mha(x, x, x)[0].numpy()
print("2. max |by hand − MultiHeadAttention| =", np.abs(by_hand - library).max())
assert np.allclose(by_hand, library, atol=1e-5)

# 3. Without positions no output position knows where it is, so it cannot find its mirror: the best it can do is to
#    name the most frequent digit of the sequence, right for about a quarter of the tokens (instead of ~100 %).
tg.manual_seed(0)
accuracy = train(Reverser(positional=False), 100)
print(f"3. without positional encoding: token accuracy {accuracy:.3f} after 100 steps")
assert accuracy < 0.4

# 4. A tiny causal language model on 0 1 2 3 4 0 1 2 …
tg.manual_seed(0)
lm = models.CausalLM(vocab_size=5, d_model=32, nhead=4, num_layers=1, dim_feedforward=64, dropout=0.0)
adam = optim.Adam(lm.parameters(), lr=3e-3)
rng = np.random.default_rng(0)
for _ in range(60):
    starts = rng.integers(0, 5, (16, 1))
    tokens = (starts + np.arange(13)) % 5
    logits = lm(tokens[:, :-1])
    loss = F.cross_entropy(logits.reshape(-1, 5), tokens[:, 1:].reshape(-1))
    adam.zero_grad()
    loss.backward()
    adam.step()
continuation = lm.generate(np.array([[0, 1]]), max_new_tokens=8, greedy=True).numpy()[0]
print(f"4. loss {loss.item():.4f}; greedy continuation of [0, 1]:", continuation)
assert list(continuation) == [0, 1, 2, 3, 4, 0, 1, 2, 3, 4]
