"""``draw(diagram)``: a ``Diagram`` as a picture, laid out and drawn with matplotlib alone (no Graphviz needed).

The layout is the classic layered one (Sugiyama's method, simplified):

1. **layers** — each node goes one row below the lowest of its predecessors (the longest path from a source),
   so every arrow points downwards; a leaf (a weight, a constant) goes just above its first user;
2. **order** — within a row, nodes are sorted by the mean position of their neighbours in the row above, then
   the row below, a few sweeps each way (the barycentre heuristic): it removes most crossings;
3. **coordinates** — boxes are as wide as their text, rows are spaced evenly, each row is centred.

Clusters (sub-modules) are drawn as rounded frames around their nodes, behind everything else.
"""

from __future__ import annotations

import os
from collections import defaultdict
from typing import Any

from .diagram import COLORS, Diagram

CHAR_WIDTH = 0.075  # inches per character at the default font size
LINE_HEIGHT = 0.2  # inches per line of text
ROW_GAP = 0.55  # inches between rows (for the arrows and their labels)
NODE_GAP = 0.3  # inches between neighbouring boxes


def layers(diagram: Diagram) -> dict[str, int]:
    """Row of every node: 1 + the largest row of its predecessors (Kahn's topological order, so a chain of
    thousands of ops needs no recursion); a node without predecessors goes just above its first user, so that a
    constant used near the end is drawn there and not at the top."""
    succs: dict[str, list[str]] = defaultdict(list)
    waiting = {node.id: 0 for node in diagram.nodes}
    for edge in diagram.edges:
        succs[edge.source].append(edge.target)
        waiting[edge.target] += 1
    row = {node: 0 for node, count in waiting.items() if count == 0}
    ready = list(row)
    while ready:
        node = ready.pop()
        for target in succs[node]:
            row[target] = max(row.get(target, 0), row[node] + 1)
            waiting[target] -= 1
            if waiting[target] == 0:
                ready.append(target)
    for node in waiting:  # nodes on a cycle (graph and model_diagram make none): put them after the others
        row.setdefault(node, max(row.values(), default=-1) + 1)
    has_inputs = {edge.target for edge in diagram.edges}
    for node, targets in succs.items():  # a leaf (a weight, a constant) sits just above its first user
        if node not in has_inputs and targets:
            row[node] = min(row[t] for t in targets) - 1
    return row


def order_rows(diagram: Diagram, row: dict[str, int], sweeps: int = 4) -> list[list[str]]:
    """Nodes per row, ordered by the barycentre heuristic to reduce crossings."""
    rows: list[list[str]] = [[] for _ in range(max(row.values(), default=-1) + 1)]
    for node in diagram.nodes:
        rows[row[node.id]].append(node.id)
    preds: dict[str, list[str]] = defaultdict(list)
    succs: dict[str, list[str]] = defaultdict(list)
    for edge in diagram.edges:
        preds[edge.target].append(edge.source)
        succs[edge.source].append(edge.target)

    def position() -> dict[str, float]:
        return {n: i / max(1, len(r) - 1) for r in rows for i, n in enumerate(r)}

    for _ in range(sweeps):
        for neighbours, sequence in ((preds, range(1, len(rows))), (succs, range(len(rows) - 2, -1, -1))):
            for r in sequence:
                where = position()

                def barycentre(n: str, where: dict[str, float] = where, near: dict = neighbours) -> float:
                    linked = [where[m] for m in near[n] if m in where]
                    return sum(linked) / len(linked) if linked else where[n]

                rows[r].sort(key=barycentre)
    return rows


def _size(label: str) -> tuple[float, float]:
    lines = label.split("\n")
    return max(len(line) for line in lines) * CHAR_WIDTH + 0.3, len(lines) * LINE_HEIGHT + 0.2


def layout(diagram: Diagram) -> dict[str, tuple[float, float, float, float]]:
    """Centre x, centre y, width and height of every node's box, in inches (y grows downwards)."""
    rows = order_rows(diagram, layers(diagram))
    sizes = {n.id: _size(n.label) for n in diagram.nodes}
    boxes: dict[str, tuple[float, float, float, float]] = {}
    y = 0.0
    for r in rows:
        height = max(sizes[n][1] for n in r) if r else 0.0
        total = sum(sizes[n][0] for n in r) + NODE_GAP * (len(r) - 1)
        x = -total / 2
        for n in r:
            w, h = sizes[n]
            boxes[n] = (x + w / 2, y + height / 2, w, h)
            x += w + NODE_GAP
        y += height + ROW_GAP
    return boxes


def draw(diagram: Diagram | Any, path: str | os.PathLike | None = None, input_shape: Any = None,
         dpi: float | None = None, **options: Any) -> Any:
    """Lay out and draw a diagram; return the matplotlib ``Figure`` (and save it as PNG to ``path`` if given).

    ``diagram`` is a ``Diagram`` from ``graph`` or ``model_diagram``; a Tensor is drawn with ``graph(tensor,
    **options)`` and a Module with ``model_diagram(module, input_shape, **options)``. ``dpi`` sets the resolution
    (default: matplotlib's for the figure, 110 for the saved PNG).
    """
    from matplotlib.figure import Figure
    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch
    from matplotlib.path import Path as MplPath

    diagram = _as_diagram(diagram, input_shape, options)
    boxes = layout(diagram)
    if not boxes:
        raise ValueError("draw(): the diagram has no nodes")
    left = min(x - w / 2 for x, _, w, _ in boxes.values()) - 0.4
    right = max(x + w / 2 for x, _, w, _ in boxes.values()) + 1.0  # room for the arcs of skip connections
    bottom = max(y + h / 2 for _, y, _, h in boxes.values()) + 0.3
    top = -0.5 if diagram.title else -0.3
    figure = Figure(figsize=(max(3.0, right - left), max(2.0, bottom - top)), dpi=dpi)
    axes = figure.add_axes((0, 0, 1, 1))
    axes.set_xlim(left, right)
    axes.set_ylim(bottom, top)
    axes.axis("off")
    if diagram.title:
        axes.text((left + right) / 2, top + 0.2, diagram.title, ha="center", va="center", fontsize=11,
                  weight="bold")

    _draw_clusters(axes, diagram, boxes, FancyBboxPatch)
    for node in diagram.nodes:
        x, y, w, h = boxes[node.id]
        style = "round,pad=0.02,rounding_size=0.15" if node.kind in ("op", "module") else "square,pad=0.02"
        axes.add_patch(FancyBboxPatch((x - w / 2, y - h / 2), w, h, boxstyle=style, facecolor=COLORS[node.kind],
                                      edgecolor="#555555", linewidth=0.8, zorder=2))
        axes.text(x, y, node.label, ha="center", va="center", fontsize=8, zorder=3, linespacing=1.3)
    row = layers(diagram)
    skips = 0
    for edge in diagram.edges:
        x0, y0, w0, h0 = boxes[edge.source]
        x1, y1, w1, h1 = boxes[edge.target]
        if row[edge.target] - row[edge.source] > 1:  # a skip connection: around the boxes, in the gaps between rows
            between = [bx + bw / 2 for n, (bx, _, bw, _) in boxes.items()
                       if row[edge.source] < row[n] < row[edge.target]]
            skips += 1
            lane = max([x0 + w0 / 2, x1 + w1 / 2, *between]) + 0.15 + 0.1 * (skips % 3)
            below, above = y0 + h0 / 2 + ROW_GAP / 3, y1 - h1 / 2 - ROW_GAP / 3
            entry = x1 + min(0.2, w1 / 4)
            route = MplPath([(x0 + min(0.2, w0 / 4), y0 + h0 / 2), (x0 + min(0.2, w0 / 4), below), (lane, below),
                             (lane, above), (entry, above), (entry, y1 - h1 / 2)],
                            [MplPath.MOVETO] + [MplPath.LINETO] * 5)
            axes.add_patch(FancyArrowPatch(path=route, arrowstyle="-|>", mutation_scale=10, color="#777777",
                                           linewidth=0.8, zorder=1))
            continue
        start, end = (x0, y0 + h0 / 2), (x1, y1 - h1 / 2)
        axes.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=10, color="#444444",
                                       linewidth=0.8, zorder=1))
        if edge.label:
            axes.text((start[0] + end[0]) / 2 + 0.05, (start[1] + end[1]) / 2, edge.label, fontsize=6.5,
                      color="#333333", ha="left", va="center", zorder=3,
                      bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.5, "alpha": 0.8})
    if path is not None:
        figure.savefig(path, dpi=dpi or 110)
    return figure


def _as_diagram(diagram: Any, input_shape: Any, options: dict) -> Diagram:
    if isinstance(diagram, Diagram):
        return diagram
    from ..tensor import Tensor

    if isinstance(diagram, Tensor):
        from .graph import graph

        return graph(diagram, **options)
    if hasattr(diagram, "named_modules"):
        from .model import model_diagram

        return model_diagram(diagram, input_shape, **options)
    raise TypeError(f"draw() expects a Diagram (from graph or model_diagram), a Tensor or a Module, got "
                    f"{type(diagram).__name__}; plain text cannot be laid out — pass the Diagram itself")


def _draw_clusters(axes: Any, diagram: Diagram, boxes: dict, patch: Any) -> None:
    """Frames around each cluster's nodes (outer clusters get a wider margin), labelled at the top left."""
    level = {c.id: 0 for c in diagram.clusters}
    by_id = {c.id: c for c in diagram.clusters}
    for c in diagram.clusters:
        parent = c.parent
        while parent is not None:
            level[c.id] += 1
            parent = by_id[parent].parent
    children: dict[str, list[str]] = defaultdict(list)
    for c in diagram.clusters:
        if c.parent is not None:
            children[c.parent].append(c.id)

    def members(cluster_id: str) -> list[str]:
        found = list(by_id[cluster_id].members)
        for child in children[cluster_id]:
            found += members(child)
        return found

    deepest = max(level.values(), default=0)
    for c in sorted(diagram.clusters, key=lambda c: level[c.id]):
        inside = [boxes[m] for m in members(c.id) if m in boxes]
        if not inside:
            continue
        margin = 0.12 + 0.12 * (deepest - level[c.id])
        x0 = min(x - w / 2 for x, _, w, _ in inside) - margin
        x1 = max(x + w / 2 for x, _, w, _ in inside) + margin
        y0 = min(y - h / 2 for _, y, _, h in inside) - margin - 0.12
        y1 = max(y + h / 2 for _, y, _, h in inside) + margin
        axes.add_patch(patch((x0, y0), x1 - x0, y1 - y0, boxstyle="round,pad=0,rounding_size=0.1",
                             facecolor="#f6f6f6" if level[c.id] % 2 == 0 else "#ececec", edgecolor="#999999",
                             linewidth=0.7, zorder=0))
        axes.text(x0 + 0.06, y0 + 0.08, c.label, fontsize=6.5, color="#555555", ha="left", va="center", zorder=0.5)
