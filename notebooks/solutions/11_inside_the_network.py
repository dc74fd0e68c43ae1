"""Solutions to the exercises of notebook 11_inside_the_network."""

import numpy as np

import tinygrad_edu as tg
import tinygrad_edu.nn.functional as F
from tinygrad_edu import data, explain, nn, optim, train, viz
from tinygrad_edu.nn.utils import prune

# 1. (x @ W).softmax(axis=1): leaves x and W, ops MatMul and Softmax → 4 nodes, 3 edges
x = tg.randn(2, 3, requires_grad=True)
W = tg.randn(3, 4, requires_grad=True)
diagram = viz.graph((x @ W).softmax(axis=1), names={"x": x, "W": W})
print("1.", len(diagram.nodes), "nodes,", len(diagram.edges), "edges")
assert (len(diagram.nodes), len(diagram.edges)) == (4, 3)

# 2. A tensor hook that clips each parameter's gradient to [−0.01, 0.01]
model = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 2))
handles = [p.register_hook(lambda grad: np.clip(grad, -0.01, 0.01)) for p in model.parameters()]
points, labels = data.moons(64, seed=0)
F.cross_entropy(model(tg.tensor(points)), tg.tensor(labels)).backward()
largest = max(float(np.abs(p.grad).max()) for p in model.parameters())
print(f"2. largest |grad| after the hooks: {largest:.4f}")
assert largest <= 0.01
for handle in handles:
    handle.remove()


# 3. Completeness gap of integrated gradients against the number of points
def small_cnn():
    return nn.Sequential(nn.Conv2d(1, 8, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(8, 16, 3), nn.ReLU(),
                         nn.MaxPool2d(2), nn.Flatten(), nn.Linear(16 * 5 * 5, 32), nn.ReLU(), nn.Linear(32, 5))


x_train, y_train = data.shapes(1500, seed=0)
x_test, y_test = data.shapes(400, seed=1)
tg.manual_seed(0)
cnn = small_cnn()
train.fit(cnn, F.cross_entropy, optim.Adam(cnn.parameters(), lr=3e-3), (x_train, y_train), epochs=5, batch_size=64,
          progress=False)
images, targets = x_test[:4], y_test[:4]
print("3. steps   gauss-legendre   trapezoid")
for steps in (4, 8, 16, 32, 64):
    gaps = []
    for method in ("gausslegendre", "trapezoid"):
        ig, gap = explain.integrated_gradients(cnn, images, target=targets, steps=steps, method=method,
                                               return_delta=True)
        change = ig.reshape(4, -1).sum(axis=1) - gap
        gaps.append(np.max(np.abs(gap / change)))
    print(f"   {steps:5d}   {gaps[0]:14.3%}   {gaps[1]:9.3%}")

# 4. Layer-wise against global pruning at 80%
state = {k: v.numpy().copy() for k, v in cnn.state_dict().items()}
results = {}
for method in ("global", "layer"):
    copy = small_cnn()
    copy.load_state_dict(state)
    if method == "global":
        prune.global_unstructured(prune.prunable(copy), amount=0.8)
    else:
        for module, name in prune.prunable(copy):
            prune.l1_unstructured(module, name, amount=0.8)
    results[method] = train.evaluate(copy, (x_test, y_test))["accuracy"]
    print(f"4. {method:6s} pruning: accuracy {results[method]:.1%}")
    print("\n".join("   " + line for line in str(prune.sparsity(copy)).splitlines()))
print("   Layer-wise pruning removes 80% of the first convolution's 72 weights too: with so few weights each one")
print("   matters, while the big dense layer (12,800 weights) is very redundant. The global threshold takes")
print("   more from the dense layer and less from the small ones, and usually loses less accuracy.")
