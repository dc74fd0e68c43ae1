"""model_diagram(model, input_shape): layers, the shapes between them and the real data flow (residual additions,
one input feeding three projections), in both text formats; depth; clusters for sub-modules."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import nn
from tinygrad_edu.models import DocumentsCNN
from tinygrad_edu.viz import model_diagram

from .test_graph import named_edges, parse_dot, parse_mermaid


class Block(nn.Module):
    """y = x + W₂ relu(W₁ x): a residual block."""

    def __init__(self, width: int) -> None:
        super().__init__()
        self.inner = nn.Linear(width, width)
        self.outer = nn.Linear(width, width)

    def forward(self, x):
        return x + self.outer(self.inner(x).relu())


class ResNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Linear(4, 8)
        self.blocks = nn.Sequential(Block(8), Block(8))
        self.head = nn.Linear(8, 2)

    def forward(self, x):
        return self.head(self.blocks(self.stem(x)))


class AttentionNet(nn.Module):
    """input → backbone → multi-head attention → fully connected → output, the documents' flowchart."""

    def __init__(self) -> None:
        super().__init__()
        self.backbone = nn.Linear(8, 16)
        self.attention = nn.MultiHeadAttention(16, 2)
        self.fc = nn.Linear(16, 4)

    def forward(self, x):
        h = self.backbone(x).relu()
        context, _ = self.attention(h, h, h)
        return self.fc(context.mean(axis=1))


def first_lines(labels):
    return {node: label.split("\n")[0] for node, label in labels.items()}


@pytest.mark.parametrize("format_, parse", [("mermaid", parse_mermaid), ("dot", parse_dot)])
def test_the_documents_cnn_is_a_chain_with_every_shape(format_, parse):
    model = DocumentsCNN()
    diagram = model_diagram(model, (1, 28, 28), format=format_)
    labels, edges = parse(diagram)
    assert len(labels) == 12 + 2 and len(edges) == 13  # 12 layers, input, output; one arrow between neighbours
    names = first_lines(labels)
    chain = ["input"] + [f"{i}: {type(layer).__name__}" for i, layer in enumerate(model)] + ["output"]
    order = {n: next(k for k, v in names.items() if v.startswith(n)) for n in chain}
    for a, b in zip(chain, chain[1:], strict=False):
        assert (order[a], order[b]) in edges, f"no arrow {a} → {b}"
    assert "→ (1, 32, 26, 26)" in labels[order["0: Conv2d"]]
    assert "→ (1, 576)" in labels[order["8: Flatten"]]
    assert labels[order["output"]] == "output\n(1, 10)"
    if format_ == "mermaid":
        assert '|"(1, 64, 5, 5)"|' in diagram  # the shape travelling on the arrow into the third convolution


def test_residual_additions_become_nodes_and_sub_modules_clusters():
    diagram = model_diagram(ResNet(), (4,))
    labels, edges = parse_mermaid(diagram)
    names = first_lines(labels)
    node = {v: k for k, v in names.items()}
    adds = sorted(k for k, v in names.items() if v == "Add")
    assert len(adds) == 2
    first_add, second_add = adds
    # block 1: the stem's output goes into the block and around it
    assert {(node["stem: Linear(in_features=4, out_features=8, bias=True)"], first_add),
            (node["blocks.0.outer: Linear(in_features=8, out_features=8, bias=True)"], first_add)} <= edges
    assert (first_add, node["blocks.1.inner: Linear(in_features=8, out_features=8, bias=True)"]) in edges
    assert (first_add, second_add) in edges
    assert (second_add, node["head: Linear(in_features=8, out_features=2, bias=True)"]) in edges
    assert "subgraph" in diagram and 'c0["blocks: Sequential"]' in diagram
    clusters = {c.label: c for c in diagram.clusters}
    assert set(clusters) == {"blocks: Sequential", "blocks.0: Block", "blocks.1: Block"}
    assert clusters["blocks.0: Block"].parent == clusters["blocks: Sequential"].id
    assert len(clusters["blocks.0: Block"].members) == 2
    assert "subgraph cluster_c0 {" in diagram.to("dot")


def test_depth_one_draws_the_documents_flowchart():
    diagram = model_diagram(AttentionNet(), (5, 8), depth=1)
    labels, edges = parse_mermaid(diagram)
    assert named_edges(labels, edges) == {
        ("input", "backbone: Linear(in_features=8, out_features=16, bias=True)"),
        ("backbone: Linear(in_features=8, out_features=16, bias=True)",
         "attention: MultiHeadAttention(embed_dim=16, num_heads=2, dropout=0.0)"),
        ("attention: MultiHeadAttention(embed_dim=16, num_heads=2, dropout=0.0)",
         "fc: Linear(in_features=16, out_features=4, bias=True)"),
        ("fc: Linear(in_features=16, out_features=4, bias=True)", "output"),
    }


def test_full_depth_shows_one_input_feeding_three_projections():
    labels, edges = parse_mermaid(model_diagram(AttentionNet(), (5, 8)))
    names = first_lines(labels)
    backbone = next(k for k, v in names.items() if v.startswith("backbone"))
    fed = {names[b].split(":")[0] for a, b in edges if a == backbone}
    assert fed == {"attention.q_proj", "attention.k_proj", "attention.v_proj"}


def test_several_inputs_outputs_and_an_example_input_of_token_ids():
    class TwoWay(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.left, self.right = nn.Linear(3, 2), nn.Linear(4, 2)

        def forward(self, a, b):
            return self.left(a), self.right(b)

    labels, edges = parse_mermaid(model_diagram(TwoWay(), [(3,), (4,)]))
    assert named_edges(labels, edges) == {
        ("input 0", "left: Linear(in_features=3, out_features=2, bias=True)"),
        ("input 1", "right: Linear(in_features=4, out_features=2, bias=True)"),
        ("left: Linear(in_features=3, out_features=2, bias=True)", "output 0"),
        ("right: Linear(in_features=4, out_features=2, bias=True)", "output 1"),
    }
    embedder = nn.Sequential(nn.Embedding(10, 4), nn.Linear(4, 2))
    labels, edges = parse_mermaid(model_diagram(embedder, example_input=tg.tensor(np.array([[1, 2, 3]]))))
    assert named_edges(labels, edges) == {
        ("input", "0: Embedding(10, 4)"),
        ("0: Embedding(10, 4)", "1: Linear(in_features=4, out_features=2, bias=True)"),
        ("1: Linear(in_features=4, out_features=2, bias=True)", "output"),
    }
    assert "input\n(1, 3)" in labels.values()


def test_mode_is_restored_and_missing_shape_is_explained():
    model = nn.Sequential(nn.Linear(2, 2), nn.Dropout(0.5))
    model.train()
    model_diagram(model, (2,))
    assert all(m.training for m in model.modules())
    with pytest.raises(ValueError, match="input_shape"):
        model_diagram(model)
