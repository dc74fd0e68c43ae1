"""``graph(tensor)``: the computation graph behind a tensor — what ``backward()`` will walk — as a diagram.

Every op that produced the tensor, directly or through other ops, becomes a node labelled with the op's name
and the shape of its result; the tensors the user made (leaves) become boxes: weights (those named in
``names``, e.g. a model's parameters) in orange, other inputs that require grad in green, constants in grey.
An edge goes from each input to the op that used it, so arrows point the way the forward pass ran; the
backward pass follows them in reverse.

    >>> x = tg.randn(4, 3, requires_grad=True)
    >>> print(graph((x * 2).sum(), names={"x": x}))          # doctest: +SKIP
    flowchart TB
        n0(["Sum<br/>()"])
        ...
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from ..tensor import Tensor
from .diagram import Diagram, Edge, Node


def shape_text(shape: tuple[int, ...]) -> str:
    """``(64, 10)``; a scalar is ``()``."""
    return "(" + ", ".join(str(n) for n in shape) + ("," if len(shape) == 1 else "") + ")"


def _leaf_label(tensor: Tensor, name: str | None) -> tuple[str, str]:
    """(label, kind) of a tensor the user made."""
    dtype = "" if tensor.dtype == np.float32 else f" {tensor.dtype}"
    if name is not None:
        kind = "param" if tensor.requires_grad else "const"
        return f"{name}\n{shape_text(tensor.shape)}{dtype}", kind
    if tensor.requires_grad:
        return f"input\n{shape_text(tensor.shape)}{dtype}", "leaf"
    if tensor.size == 1:
        return f"const {tensor.numpy().reshape(-1)[0]:.4g}", "const"
    return f"const\n{shape_text(tensor.shape)}{dtype}", "const"


def graph(tensor: Tensor, format: str = "mermaid", names: Mapping[str, Tensor] | Any = None,  # noqa: A002
          show_constants: bool = True, title: str = "") -> Diagram:
    """The computation graph that produced ``tensor``, as Mermaid or DOT text (a ``Diagram``).

    ``names``: a dict {name: tensor} or a Module (its ``named_parameters()``), to label weights and inputs.
    ``show_constants=False`` leaves out inputs that need no gradient (scalars, data), keeping the picture small.
    Draw it before ``backward()`` frees the graph (or call ``backward(retain_graph=True)``).
    """
    if not isinstance(tensor, Tensor):
        raise TypeError(f"graph(tensor): expected a Tensor, got {type(tensor).__name__}")
    if names is not None and hasattr(names, "named_parameters"):
        names = dict(names.named_parameters())
    label_of = {id(t): name for name, t in (names or {}).items()}

    node_ids: dict[int, str] = {}  # id(Function) or id(leaf tensor) → node id
    nodes: list[Node] = []
    edges: list[Edge] = []
    linked: set[tuple[str, str]] = set()

    def node_for(t: Tensor) -> str | None:
        key = id(t._ctx) if t._ctx is not None else id(t)
        if key in node_ids:
            return node_ids[key]
        if t._ctx is None:
            if not show_constants and not t.requires_grad and id(t) not in label_of:
                return None
            label, kind = _leaf_label(t, label_of.get(id(t)))
        else:
            label, kind = f"{type(t._ctx).__name__}\n{shape_text(t.shape)}", "op"
        node_ids[key] = f"n{len(node_ids)}"
        nodes.append(Node(node_ids[key], label, kind))
        return node_ids[key]

    root = node_for(tensor)
    if root is None:  # a constant asked for with show_constants=False: show it anyway
        label, kind = _leaf_label(tensor, label_of.get(id(tensor)))
        nodes.append(Node("n0", label, kind))
    stack, seen = [tensor], {id(tensor)}
    while stack:
        t = stack.pop()
        fn = t._ctx
        if fn is None:
            continue
        if fn.parents is None:
            raise RuntimeError(
                f"graph(): the graph behind this tensor was freed by backward() (at {type(fn).__name__}): draw it "
                "before calling backward, or call backward(retain_graph=True)"
            )
        target = node_ids[id(fn)]
        for parent in fn.parents:
            source = node_for(parent)
            if source is not None and (source, target) not in linked:  # x * x: one edge, not two
                linked.add((source, target))
                edges.append(Edge(source, target))
            if id(parent) not in seen:
                seen.add(id(parent))
                stack.append(parent)
    return Diagram(nodes, edges, [], format, title)
