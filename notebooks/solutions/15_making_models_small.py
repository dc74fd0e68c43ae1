"""Solutions to the exercises of notebook 15_making_models_small."""

import numpy as np

import tinygrad_edu as tg
from tinygrad_edu import data
from tinygrad_edu.amp import round_to_bfloat16
from tinygrad_edu.nn.utils import shrink
from tinygrad_edu.quantization import int8
from tinygrad_edu.train import compress_mnist as lab
from tinygrad_edu.models import DocumentsCNN

# 1. Truncation (round toward zero) against round to nearest even
x = np.random.default_rng(0).standard_normal(100_000).astype(np.float32)
truncated = ((x.view(np.uint32) >> 16) << 16).view(np.float32)
rounded = round_to_bfloat16(x)
bias = {}
for name, y in (("truncation", truncated), ("nearest even", rounded)):
    relative = np.abs(y.astype(np.float64) - x) / np.abs(x)
    bias[name] = ((np.abs(y.astype(np.float64)) - np.abs(x)) / np.abs(x)).mean()  # shrinks magnitudes?
    print(f"1. {name:12s} largest relative error {relative.max():.2e}, mean change of |x| {bias[name]:+.2e}")
assert np.abs((truncated.astype(np.float64) - x) / x).max() <= 2.0**-7
assert np.abs((rounded.astype(np.float64) - x) / x).max() <= 2.0**-8
assert bias["truncation"] < -1e-3 and abs(bias["nearest even"]) < 1e-4  # truncation always shrinks |x|

# a teacher for exercises 2–4
x_train, y_train = data.shapes(2000, seed=0)
x_test, y_test = data.shapes(500, seed=1)
tg.manual_seed(0)
teacher = DocumentsCNN()
lab.train(teacher, x_train, y_train, epochs=4, batch_size=32, lr=3e-3, seed=0)

# 2. Per-tensor against per-channel: each channel's own step is at most the global one, so its error is never larger
weight = teacher[3].weight.numpy()
per_tensor_scale = int8.scale_for(np.abs(weight).max())
per_tensor = int8.dequantize(int8.quantize(weight, per_tensor_scale), per_tensor_scale)
q, s = int8.quantize_per_channel(weight, axis=0)
per_channel = int8.dequantize(q, s[:, None, None, None])
errors = {"per tensor": np.abs(per_tensor - weight).mean(), "per channel": np.abs(per_channel - weight).mean()}
print("2.", {k: f"{v:.2e}" for k, v in errors.items()})
assert errors["per channel"] <= errors["per tensor"]

# 3. The temperature of distillation (300 labelled images)
logits = lab.predict(teacher, x_train[:300])
for temperature in (1.0, 4.0):
    tg.manual_seed(0)
    student = lab.student_cnn()
    lab.train(student, x_train[:300], y_train[:300], epochs=15, batch_size=32, lr=3e-3, seed=0,
              teacher_logits=logits, temperature=temperature, alpha=0.5)
    print(f"3. T = {temperature:g}: student accuracy {lab.accuracy(student, x_test, y_test):.1%}")

# 4. How much to remove
batch = x_test[:256]
for amount in (0.25, 0.5, 0.75):
    small = shrink(teacher, amount)
    print(f"4. amount {amount}: {lab.parameter_count(small):,} parameters, "
          f"{lab.inference_ms(small, batch, repeats=3):.1f} ms, accuracy {lab.accuracy(small, x_test, y_test):.1%}")
    assert lab.parameter_count(small) < lab.parameter_count(teacher)
