"""draw(): a layered layout (every arrow points down, boxes in a row do not overlap, crossings removed where the
barycentre heuristic can) drawn with matplotlib into a PNG that holds one box per node and one arrow per edge."""

from __future__ import annotations

import pytest

import tinygrad_edu as tg
from tinygrad_edu import nn
from tinygrad_edu.viz import Diagram, Edge, Node, draw, graph, layout, model_diagram
from tinygrad_edu.viz.draw import layers, order_rows

from .test_model_diagram import ResNet

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def diamond_with_a_crossing() -> Diagram:
    """a → c, b → d, a → e, b → e — declared so that the naive order c, d under a, b would cross."""
    nodes = [Node(n, n, "op") for n in ("a", "b", "d", "c", "e")]
    edges = [Edge("a", "c"), Edge("b", "d"), Edge("c", "e"), Edge("d", "e")]
    return Diagram(nodes, edges)


def test_layers_follow_the_longest_path():
    diagram = diamond_with_a_crossing()
    assert layers(diagram) == {"a": 0, "b": 0, "c": 1, "d": 1, "e": 2}
    rows = order_rows(diagram, layers(diagram))
    assert rows[1] == ["c", "d"]  # reordered under their parents a, b: no crossing


def test_every_arrow_points_down_and_boxes_do_not_overlap():
    diagram = model_diagram(ResNet(), (4,))
    boxes = layout(diagram)
    assert set(boxes) == {n.id for n in diagram.nodes}
    for edge in diagram.edges:
        assert boxes[edge.target][1] > boxes[edge.source][1]
    for a, (xa, ya, wa, ha) in boxes.items():
        for b, (xb, yb, wb, hb) in boxes.items():
            if a < b and abs(ya - yb) < (ha + hb) / 2:
                assert abs(xa - xb) >= (wa + wb) / 2, f"{a} and {b} overlap"


def test_png_has_one_box_per_node_and_one_arrow_per_edge(tmp_path):
    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

    x = tg.randn(2, 3, requires_grad=True)
    diagram = graph((x.exp() * x).sum())
    path = tmp_path / "graph.png"
    figure = draw(diagram, path)
    patches = figure.axes[0].patches
    assert sum(isinstance(p, FancyBboxPatch) for p in patches) == len(diagram.nodes)
    assert sum(isinstance(p, FancyArrowPatch) for p in patches) == len(diagram.edges)
    texts = {t.get_text() for t in figure.axes[0].texts}
    assert {n.label for n in diagram.nodes} <= texts
    assert path.read_bytes()[:8] == PNG_SIGNATURE


def test_draw_takes_a_model_or_a_tensor_and_frames_clusters(tmp_path):
    from matplotlib.patches import FancyBboxPatch

    figure = draw(ResNet(), tmp_path / "resnet.png", input_shape=(4,), title="ResNet")
    diagram = model_diagram(ResNet(), (4,))
    boxes = [p for p in figure.axes[0].patches if isinstance(p, FancyBboxPatch)]
    assert len(boxes) == len(diagram.nodes) + len(diagram.clusters)
    assert "ResNet" in {t.get_text() for t in figure.axes[0].texts}
    assert draw(tg.ones(2, requires_grad=True).sum()) is not None
    with pytest.raises(TypeError, match="Diagram"):
        draw("flowchart TB")
    with pytest.raises(ValueError, match="no nodes"):
        draw(Diagram([], []))


def test_a_wide_model_is_drawn_without_error(tmp_path):
    class Wide(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.branches = nn.ModuleList([nn.Linear(3, 2) for _ in range(5)])

        def forward(self, x):
            return tg.cat([branch(x) for branch in self.branches], axis=1)

    diagram = model_diagram(Wide(), (3,))
    assert sum(1 for n in diagram.nodes if n.label.startswith("Concatenate")) == 1
    draw(diagram, tmp_path / "wide.png")
    assert (tmp_path / "wide.png").stat().st_size > 5000


def test_a_chain_of_thousands_of_ops_is_layered_without_recursion():
    x = tg.randn(2, requires_grad=True)
    y = x
    for _ in range(3000):  # deeper than Python's recursion limit
        y = y * 1.0
    rows = layers(graph(y, show_constants=False))
    assert max(rows.values()) == 3000
