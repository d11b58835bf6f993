"""Layer 2: the blueprints → the desired resource graph (pure: no I/O)."""
from govcloud.graph.build import build_graph
from govcloud.graph.context import TAG_KEYS
from govcloud.graph.desired import COMPONENT_KINDS, Component, Graph, Node, Ref, Target, refs_in

__all__ = ["COMPONENT_KINDS", "TAG_KEYS", "Component", "Graph", "Node", "Ref", "Target", "build_graph", "refs_in"]
