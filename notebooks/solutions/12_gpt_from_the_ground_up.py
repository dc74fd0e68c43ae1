"""Solutions to the exercises of notebook 12_gpt_from_the_ground_up."""

import numpy as np

import tinygrad_edu as tg
from tinygrad_edu.models import GPT, GPTConfig, filter_probabilities, perplexity, train_lm
from tinygrad_edu.text import BPETokenizer, ByteTokenizer, load_corpus, split_text

# 1. BPE by hand: the pieces (words with their leading space) are "low", " lower", " lowest", " newest", " widest".
#    Four pairs occur 3 times: e+s, s+t (lowest, newest, widest), l+o, o+w (low, lower, lowest). Ties go to the
#    smaller pair of ids: ("e", "s") = (101, 115) < ("l", "o") = (108, 111) < ("o", "w") < ("s", "t"). So "es",
#    then "lo"; then "es"+"t" and "lo"+"w" (3 each; "es" = 256 is the smaller id, so "est" first), then " low".
bpe = BPETokenizer.train("low lower lowest newest widest", vocab_size=256 + 6, special_tokens=[])
merges = [(bpe.id_to_bytes(a) + bpe.id_to_bytes(b)).decode() for a, b in bpe.merges]
print("1. merges:", merges, "| 'lowest' →", [bpe.decode([i]) for i in bpe.encode("lowest")])
assert merges[:4] == ["es", "lo", "est", "low"]

# 2. Temperature limits
logits = np.array([[2.0, 1.0, 0.5, -1.0]])
cold = filter_probabilities(logits, temperature=1e-3)
hot = filter_probabilities(logits, temperature=1e4)
print("2. τ → 0:", cold.round(4), "| τ → ∞:", hot.round(4))
assert np.allclose(cold, [[1, 0, 0, 0]], atol=1e-6) and np.allclose(hot, 0.25, atol=1e-3)

# 3. The cache is exact
tg.manual_seed(0)
model = GPT(GPTConfig(vocab_size=50, block_size=16, n_layer=2, n_head=2, n_embd=16)).double()
ids = np.random.default_rng(0).integers(0, 50, size=(1, 12))
full = model(ids).numpy()
cache = model.new_cache(1)
pieces = [model(ids[:, :5], cache).numpy()] + [model(ids[:, t:t + 1], cache).numpy() for t in range(5, 12)]
difference = np.abs(np.concatenate(pieces, axis=1) - full).max()
print(f"3. largest difference between cached and full logits: {difference:.2e}")
assert difference < 1e-10

# 4. Sinusoidal against learned positions (20 s each; perplexities vary with the machine's load)
tok = ByteTokenizer()
train_text, val_text = split_text(load_corpus("en"), 0.1)
train_ids, val_ids = np.array(tok.encode(train_text)), np.array(tok.encode(val_text))[:5000]
results = {}
for positions in ("learned", "sinusoidal"):
    tg.manual_seed(0)
    gpt = GPT(GPTConfig(vocab_size=261, block_size=64, n_layer=2, n_head=4, n_embd=64, positions=positions))
    train_lm(gpt, train_ids, steps=10**6, seconds=20, batch_size=16, lr=3e-3, warmup_steps=10)
    results[positions] = (gpt.num_parameters(), perplexity(gpt, val_ids))
    print(f"4. {positions}: {results[positions][0]} parameters, held-out perplexity {results[positions][1]:.2f}")
assert results["learned"][0] - results["sinusoidal"][0] == 64 * 64
