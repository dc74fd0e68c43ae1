"""``Diagram``: a directed graph of labelled boxes (nodes, edges, nested clusters) and its text forms.

``graph(tensor)`` and ``model_diagram(model, ...)`` both return a ``Diagram``. It *is* the text of the chosen
format (a ``str``: print it, write it to a file, paste it into Markdown), and it also keeps the structure, so
that ``diagram.nodes`` / ``diagram.edges`` can be inspected, ``diagram.to("dot")`` gives the other format and
``draw(diagram)`` lays it out as a picture.

* Mermaid (``flowchart TB``) renders on GitHub, GitLab and in many documentation tools: put the text in a
  ```` ```mermaid ```` block. In Jupyter the diagram shows as that block (``_repr_markdown_``).
* DOT is Graphviz's language: ``dot -Tpng graph.dot -o graph.png`` if you have Graphviz (``draw`` needs only
  matplotlib).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

FORMATS = ("mermaid", "dot")

# fill colours by kind of node, shared by the text forms and draw()
COLORS = {
    "op": "#dbe9f6",        # an operation (graph) — light blue
    "param": "#fde2b8",     # a trainable weight — orange
    "leaf": "#d5f0d5",      # an input that requires grad — green
    "const": "#eeeeee",     # a constant (no gradient) — grey
    "input": "#d5f0d5",     # the model's input — green
    "module": "#dbe9f6",    # a layer — light blue
    "output": "#f8d0d0",    # the result — red
}


@dataclass(frozen=True)
class Node:
    id: str
    label: str  # lines separated by "\n"
    kind: str  # a key of COLORS


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    label: str = ""


@dataclass
class Cluster:
    """A labelled group of nodes (a sub-module): ``members`` are node ids, ``parent`` the enclosing cluster."""

    id: str
    label: str
    members: list[str] = field(default_factory=list)
    parent: str | None = None


class Diagram(str):
    """The text of a diagram in ``format`` ("mermaid" or "dot"), carrying its ``nodes``, ``edges``, ``clusters``
    and ``title``. ``to(format)`` renders the same diagram in the other format."""

    nodes: list[Node]
    edges: list[Edge]
    clusters: list[Cluster]
    format: str
    title: str

    def __new__(cls, nodes: list[Node], edges: list[Edge], clusters: list[Cluster] | None = None,
                format: str = "mermaid", title: str = "") -> Diagram:  # noqa: A002 (the name users pass)
        if format not in FORMATS:
            raise ValueError(f"format={format!r}: choose one of {FORMATS}")
        clusters = clusters or []
        text = to_mermaid(nodes, edges, clusters, title) if format == "mermaid" else to_dot(nodes, edges, clusters,
                                                                                             title)
        self = super().__new__(cls, text)
        self.nodes, self.edges, self.clusters, self.format, self.title = nodes, edges, clusters, format, title
        return self

    def to(self, format: str) -> Diagram:  # noqa: A002
        return Diagram(self.nodes, self.edges, self.clusters, format, self.title)

    def node(self, node_id: str) -> Node:
        for node in self.nodes:
            if node.id == node_id:
                return node
        raise KeyError(f"no node {node_id!r} in this diagram")

    def successors(self, node_id: str) -> list[str]:
        return [e.target for e in self.edges if e.source == node_id]

    def predecessors(self, node_id: str) -> list[str]:
        return [e.source for e in self.edges if e.target == node_id]

    def _repr_markdown_(self) -> str:
        text = self if self.format == "mermaid" else self.to("mermaid")
        return f"```mermaid\n{text}\n```"


# --------------------------------------------------------------------------------------------- Mermaid


def _mermaid_text(text: str) -> str:
    return text.replace('"', "#quot;").replace("\n", "<br/>")


def _mermaid_node(node: Node) -> str:
    label = _mermaid_text(node.label)
    if node.kind == "op":
        return f'{node.id}(["{label}"])'  # stadium shape: an operation
    if node.kind in ("input", "output"):
        return f'{node.id}[/"{label}"/]'  # parallelogram: data in and out
    return f'{node.id}["{label}"]'


def _nodes_in_clusters(nodes: list[Node], clusters: list[Cluster], node_line: Callable[[Node], str],
                       opening: Callable[[Cluster], list[str]], closing: str) -> list[str]:
    """The node declarations of either text format, indented: free nodes first, then each cluster (opened by
    ``opening``, closed by ``closing``) with its members and, nested inside, its child clusters."""
    lines: list[str] = []
    clustered = {m for c in clusters for m in c.members}
    lines += [f"    {node_line(node)}" for node in nodes if node.id not in clustered]
    by_id = {n.id: n for n in nodes}

    def emit(cluster: Cluster, indent: str) -> None:
        lines.extend(indent + line for line in opening(cluster))
        lines.extend(f"{indent}    {node_line(by_id[member])}" for member in cluster.members)
        for child in clusters:
            if child.parent == cluster.id:
                emit(child, indent + "    ")
        lines.append(indent + closing)

    for cluster in clusters:
        if cluster.parent is None:
            emit(cluster, "    ")
    return lines


def to_mermaid(nodes: list[Node], edges: list[Edge], clusters: list[Cluster], title: str = "") -> str:
    lines = []
    if title:
        lines += ["---", f"title: {title}", "---"]
    lines.append("flowchart TB")
    lines += _nodes_in_clusters(
        nodes, clusters, _mermaid_node,
        opening=lambda cluster: [f'subgraph {cluster.id}["{_mermaid_text(cluster.label)}"]'], closing="end")
    for edge in edges:
        arrow = f'-->|"{_mermaid_text(edge.label)}"|' if edge.label else "-->"
        lines.append(f"    {edge.source} {arrow} {edge.target}")
    for kind in sorted({n.kind for n in nodes}):
        lines.append(f"    classDef {kind} fill:{COLORS[kind]},stroke:#555")
        lines.append(f"    class {','.join(n.id for n in nodes if n.kind == kind)} {kind}")
    return "\n".join(lines)


# ------------------------------------------------------------------------------------------------- DOT


def _dot_text(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _dot_node(node: Node) -> str:
    shape = {"op": "ellipse", "input": "parallelogram", "output": "parallelogram"}.get(node.kind, "box")
    return (f'{node.id} [label="{_dot_text(node.label)}", shape={shape}, style="filled,rounded", '
            f'fillcolor="{COLORS[node.kind]}"];')


def to_dot(nodes: list[Node], edges: list[Edge], clusters: list[Cluster], title: str = "") -> str:
    lines = ["digraph G {", "    rankdir=TB;", '    node [fontname="Helvetica", fontsize=11];',
             '    edge [fontname="Helvetica", fontsize=9];']
    if title:
        lines.append(f'    label="{_dot_text(title)}"; labelloc=t;')
    lines += _nodes_in_clusters(
        nodes, clusters, _dot_node,
        opening=lambda cluster: [f"subgraph cluster_{cluster.id} {{",
                                 f'    label="{_dot_text(cluster.label)}"; style=rounded; color="#888888";'],
        closing="}")
    for edge in edges:
        label = f' [label="{_dot_text(edge.label)}"]' if edge.label else ""
        lines.append(f"    {edge.source} -> {edge.target}{label};")
    lines.append("}")
    return "\n".join(lines)
