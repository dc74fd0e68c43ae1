"""Seeing inside the network: drawings of the computation graph and of the architecture, and the gradient flow.

    >>> from tinygrad_edu import viz
    >>> print(viz.graph(loss, names=model))                        # doctest: +SKIP
    >>> print(viz.model_diagram(model, (1, 28, 28)))              # doctest: +SKIP
    >>> viz.draw(viz.model_diagram(model, (1, 28, 28)), "cnn.png")  # doctest: +SKIP

| file | holds |
| --- | --- |
| ``diagram.py`` | ``Diagram`` (nodes, edges, clusters) and its Mermaid and DOT text |
| ``graph.py`` | ``graph(tensor)``: the ops behind a tensor |
| ``model.py`` | ``model_diagram(model, input_shape)``: layers and the shapes between them |
| ``draw.py`` | ``draw(diagram)``: a layered layout drawn with matplotlib (PNG), no Graphviz |
| ``gradient_flow.py`` | ``GradientFlow``: a ``fit`` callback recording ‖∂L/∂W‖ and ‖δ‖ per layer, with warnings |

May import: ``nn``, ``data`` and the engine; never ``demo`` or ``bench``.
"""

from .diagram import Cluster, Diagram, Edge, Node
from .draw import draw, layout
from .gradient_flow import GradientFlow, GradientFlowWarning
from .graph import graph
from .model import model_diagram

__all__ = ["Cluster", "Diagram", "Edge", "GradientFlow", "GradientFlowWarning", "Node", "draw", "graph", "layout",
           "model_diagram"]
