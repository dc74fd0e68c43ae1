"""``model_diagram(model, input_shape)``: the architecture as a flowchart — input → layers → output, with the shape
of the data on every arrow and each sub-module drawn as a box around its layers.

The model runs once on zeros with forward hooks on its layers. Each layer call becomes a node; the arrows are
found from the data itself: for every tensor a layer receives, the computation graph is followed back to the
layer (or the model input) that produced it. So a residual connection (``x + block(x)``), an attention block
that feeds one input to three projections, or a ``flatten`` written in ``forward`` all come out as they really
run, not as the order in which the layers were declared.

``depth`` chooses the level of detail: ``depth=1`` draws each top-level child as one box — the documents'
"input → backbone → multi-head attention → fully connected → output" — and ``None`` (the default) draws every
layer.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..grad_mode import enable_grad
from ..hooks import _flatten
from ..tensor import Tensor
from .diagram import Cluster, Diagram, Edge, Node
from .graph import shape_text

MAX_ARGS_CHARS = 44


def _module_label(name: str, module: Any) -> str:
    args = module.extra_repr()
    if len(args) > MAX_ARGS_CHARS:
        args = args[: MAX_ARGS_CHARS - 1] + "…"
    kind = f"{type(module).__name__}({args})"
    return f"{name}: {kind}" if name else kind


def _units(model: Any, depth: int | None) -> list[tuple[str, Any]]:
    """The modules drawn as one box each: the layers (modules without children), or with ``depth`` the modules
    ``depth`` levels below the model (and shallower layers)."""
    units = []
    for name, module in model.named_modules():
        level = 0 if name == "" else name.count(".") + 1
        leaf = not any(True for _ in module.children())
        if depth is None:
            chosen = leaf
        else:
            chosen = (level == depth) or (leaf and level < depth)
        if chosen and not (name == "" and not leaf and depth != 0):
            units.append((name, module))
    return units


def _example_inputs(model: Any, input_shape: Any, example_input: Any, batch_size: int, dtype: Any) -> list[Tensor]:
    if example_input is not None:
        given = example_input if isinstance(example_input, tuple | list) else [example_input]
        return [x if isinstance(x, Tensor) else Tensor(x) for x in given]
    if input_shape is None:
        raise ValueError("model_diagram needs input_shape (without the batch axis, e.g. (1, 28, 28)) or "
                         "example_input (a tensor to run the model on)")
    shapes = input_shape if input_shape and isinstance(input_shape[0], tuple | list) else [input_shape]
    first = next(model.parameters(), None)
    xp = first.xp if first is not None else np
    return [Tensor(xp.zeros((batch_size, *shape), dtype=dtype)) for shape in shapes]


def model_diagram(model: Any, input_shape: Sequence[int] | Sequence[Sequence[int]] | None = None, *,
                  example_input: Any = None, format: str = "mermaid", depth: int | None = None,  # noqa: A002
                  batch_size: int = 1, dtype: Any = "float32", title: str = "") -> Diagram:
    """The architecture of ``model`` as a Mermaid or DOT flowchart (a ``Diagram``), traced by running it once.

    ``input_shape`` leaves out the batch axis (as ``nn.summary``): ``(1, 28, 28)``; a list of shapes for several
    inputs. ``example_input`` (a tensor or a tuple of them) is used instead, e.g. token ids for an embedding.
    Shapes on the arrows include the batch axis (``batch_size``, 1 by default). The model runs in eval mode,
    and its mode is restored.
    """
    inputs = _example_inputs(model, input_shape, example_input, batch_size, dtype)
    inputs = [x.detach().requires_grad_() if np.issubdtype(x.dtype, np.floating) else x for x in inputs]
    units = _units(model, depth)
    unit_names = {id(m): n for n, m in units}

    nodes: list[Node] = []
    edges: list[Edge] = []
    producer: dict[int, str] = {}  # id(tensor) → the node that produced it
    keep: list[Any] = []  # the traced tensors stay alive, so that no id is reused during the trace
    members: dict[str, str] = {}  # node id → the dotted name of its module
    found: dict[int, list[str]] = {}  # id(tensor) → its sources, for tensors computed outside the layers

    for i, x in enumerate(inputs):
        node_id = f"in{i}"
        nodes.append(Node(node_id, f"input{'' if len(inputs) == 1 else f' {i}'}\n{shape_text(x.shape)}", "input"))
        producer[id(x)] = node_id

    def sources(tensor: Tensor) -> list[str]:
        """The nodes ``tensor`` was computed from, following the graph back through ops outside the layers. An
        op that combines the outputs of several nodes (the + of a residual connection) becomes a node itself."""
        key = id(tensor)
        if key in producer:
            return [producer[key]]
        if key in found:
            return found[key]
        found[key] = []  # guards against revisiting while this tensor is being resolved
        fn = tensor._ctx
        if fn is None or fn.parents is None:
            return []
        per_parent = [(parent, sources(parent)) for parent in fn.parents]
        feeding = [(parent, ids) for parent, ids in per_parent if ids]
        if len(feeding) >= 2:
            junction = f"op{len(nodes)}"
            nodes.append(Node(junction, f"{type(fn).__name__}\n{shape_text(tensor.shape)}", "op"))
            for parent, ids in feeding:
                for source in ids:
                    add_edge(source, junction, shape_text(parent.shape))
            producer[key] = junction
            return [junction]
        found[key] = list(dict.fromkeys(s for _, ids in feeding for s in ids))
        return found[key]

    def add_edge(source: str, target: str, label: str) -> None:
        edge = Edge(source, target, label)
        if edge not in edges:
            edges.append(edge)

    def link(tensor: Tensor, target: str) -> None:
        for source in sources(tensor):
            add_edge(source, target, shape_text(tensor.shape))

    calls: dict[str, int] = {}

    def record(module: Any, args: tuple, output: Any) -> None:
        name = unit_names[id(module)]
        calls[name] = calls.get(name, 0) + 1
        node_id = f"m{len(nodes)}"
        outputs = _flatten(output)
        shapes = ", ".join(shape_text(t.shape) for t in outputs)
        repeat = f" (call {calls[name]})" if calls[name] > 1 else ""
        nodes.append(Node(node_id, f"{_module_label(name, module)}{repeat}\n→ {shapes}", "module"))
        members[node_id] = name
        for tensor in _flatten(args):
            link(tensor, node_id)
        for t in outputs:
            producer[id(t)] = node_id
        keep.append((args, output))

    handles = [module.register_forward_hook(record) for _, module in units]
    modes = {id(m): m.training for m in model.modules()}
    try:
        model.eval()
        with enable_grad():
            output = model(*inputs)
    finally:
        for handle in handles:
            handle.remove()
        for module in model.modules():
            object.__setattr__(module, "training", modes[id(module)])
    outputs = _flatten(output)
    for i, t in enumerate(outputs):
        node_id = f"out{i}"
        nodes.append(Node(node_id, f"output{'' if len(outputs) == 1 else f' {i}'}\n{shape_text(t.shape)}", "output"))
        link(t, node_id)
    return Diagram(nodes, edges, _clusters(model, members), format, title)


def _clusters(model: Any, members: dict[str, str]) -> list[Cluster]:
    """One cluster per sub-module that contains drawn layers (the model itself is the whole picture)."""
    clusters: dict[str, Cluster] = {}
    for name, module in model.named_modules():
        if name == "" or not any(True for _ in module.children()):
            continue
        inside = [node for node, owner in members.items() if owner.startswith(name + ".")]
        if not inside:
            continue
        parent = name.rsplit(".", 1)[0] if "." in name else None
        while parent is not None and parent not in clusters:
            parent = parent.rsplit(".", 1)[0] if "." in parent else None
        clusters[name] = Cluster(f"c{len(clusters)}", f"{name}: {type(module).__name__}", [],
                                 clusters[parent].id if parent else None)
    for node, owner in members.items():  # each node goes to its innermost cluster
        parts = owner.split(".")
        for cut in range(len(parts) - 1, 0, -1):
            prefix = ".".join(parts[:cut])
            if prefix in clusters:
                clusters[prefix].members.append(node)
                break
    return list(clusters.values())
