"""graph(tensor): the ops and leaves behind a tensor, checked as structure (nodes, edges) and in both text formats
(the Mermaid and DOT text is parsed back, so a renderer that drops a node or an arrow fails)."""

from __future__ import annotations

import re

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import nn
from tinygrad_edu.viz import Diagram, graph


def parse_mermaid(text: str) -> tuple[dict[str, str], set[tuple[str, str]]]:
    """{node id: label} and {(source, target)} from our Mermaid flowcharts."""
    labels = {m.group(1): m.group(2).replace("<br/>", "\n")
              for m in re.finditer(r'^\s*(\w+)(?:\(\[|\[/?)"(.*?)"(?:\]\)|/?\])\s*$', text, flags=re.MULTILINE)}
    edges = {(a, b) for a, b in re.findall(r"^\s*(\w+) -->(?:\|\"[^\"]*\"\|)? (\w+)$", text, flags=re.MULTILINE)}
    return labels, edges


def parse_dot(text: str) -> tuple[dict[str, str], set[tuple[str, str]]]:
    labels = {m.group(1): m.group(2).replace("\\n", "\n")
              for m in re.finditer(r'^\s*(\w+) \[label="(.*?)", shape', text, flags=re.MULTILINE)}
    edges = set(re.findall(r"^\s*(\w+) -> (\w+)", text, flags=re.MULTILINE))
    return labels, edges


def named_edges(labels: dict[str, str], edges: set[tuple[str, str]]) -> set[tuple[str, str]]:
    """Edges as (first line of source label, first line of target label)."""
    first = {node: label.split("\n")[0] for node, label in labels.items()}
    return {(first[a], first[b]) for a, b in edges}


def affine_relu_sum():
    x = tg.randn(4, 3, requires_grad=True)
    w = tg.randn(3, 2, requires_grad=True)
    b = tg.randn(2, requires_grad=True)
    return ((x @ w + b).relu()).sum(), {"x": x, "W": w, "b": b}


EXPECTED = {("x", "MatMul"), ("W", "MatMul"), ("MatMul", "Add"), ("b", "Add"), ("Add", "ReLU"), ("ReLU", "Sum")}


@pytest.mark.parametrize("format_, parse", [("mermaid", parse_mermaid), ("dot", parse_dot)])
def test_every_op_and_leaf_and_arrow_is_in_the_text(format_, parse):
    loss, names = affine_relu_sum()
    diagram = graph(loss, format=format_, names=names)
    assert isinstance(diagram, Diagram) and isinstance(diagram, str)
    labels, edges = parse(diagram)
    assert len(labels) == 7 and len(edges) == 6
    assert named_edges(labels, edges) == EXPECTED
    by_first_line = {label.split("\n")[0]: label for label in labels.values()}
    assert by_first_line["MatMul"] == "MatMul\n(4, 2)"
    assert by_first_line["W"] == "W\n(3, 2)"
    assert by_first_line["Sum"] == "Sum\n()"


def test_structure_kinds_and_the_other_format():
    loss, names = affine_relu_sum()
    diagram = graph(loss, names=names)
    kinds = {node.label.split("\n")[0]: node.kind for node in diagram.nodes}
    assert kinds == {"Sum": "op", "ReLU": "op", "Add": "op", "MatMul": "op", "x": "param", "W": "param",
                     "b": "param"}
    assert diagram.format == "mermaid" and diagram.to("dot").startswith("digraph G {")
    assert diagram._repr_markdown_().startswith("```mermaid\nflowchart TB")
    root = diagram.nodes[0]
    assert root.label.startswith("Sum") and diagram.successors(root.id) == []
    assert [diagram.node(p).label.split("\n")[0] for p in diagram.predecessors(root.id)] == ["ReLU"]


def test_unnamed_leaves_constants_and_a_tensor_used_twice():
    x = tg.randn(3, requires_grad=True)
    y = (x * x * 2.0).sum()
    labels, edges = parse_mermaid(graph(y))
    lines = named_edges(labels, edges)
    assert ("input", "Mul") in lines and ("const 2", "Mul") in lines
    assert sum(1 for a, b in edges if labels[a].startswith("input")) == 1  # x * x: one arrow, not two
    without = graph(y, show_constants=False)
    assert "const" not in without
    assert len(without.nodes) == len(graph(y).nodes) - 1


def test_names_from_a_module_and_dtype_shown_when_not_float32():
    layer = nn.Linear(3, 2)
    out = layer(tg.randn(5, 3, dtype="float64").float()).sum()
    labels = [n.label for n in graph(out, names=layer).nodes]
    assert "weight\n(2, 3)" in labels and "bias\n(2,)" in labels
    z = (tg.randn(2, dtype="float64", requires_grad=True) * 3).sum()
    assert any("float64" in n.label for n in graph(z).nodes)


def test_a_freed_graph_is_a_clear_error_and_retain_graph_keeps_it():
    loss, _ = affine_relu_sum()
    loss.backward(retain_graph=True)
    assert len(graph(loss).nodes) == 7
    loss.backward()
    with pytest.raises(RuntimeError, match="freed by backward"):
        graph(loss)
    with pytest.raises(TypeError, match="Tensor"):
        graph(np.zeros(3))
    with pytest.raises(ValueError, match="format"):
        graph(tg.ones(1), format="svg")
