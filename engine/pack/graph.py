"""The precedence DAG of a rule pack, as plain data: nodes with their attributes, edges, the evaluation order.

A compiled pack keeps its graph as plain data, so that it pickles without networkx (the compiled-pack cache lets a
warm ``podeval render`` skip networkx's quarter-second import). The graph is built and sorted with networkx when
the pack is compiled (``rules.collect_problems``), and analyses (``podeval check``: components, reachability) get
it as a ``networkx.DiGraph`` from ``to_networkx``.
"""

from __future__ import annotations

from typing import Any


class PrecedenceGraph:
    """A directed graph with networkx's iteration orders: nodes as added, each node's edges as added."""

    def __init__(self) -> None:
        self.nodes: dict[str, dict] = {}
        self._successors: dict[str, dict[str, None]] = {}

    def add_node(self, node: str, **attributes: Any) -> None:
        self.nodes.setdefault(node, {}).update(attributes)
        self._successors.setdefault(node, {})

    def add_edge(self, source: str, target: str) -> None:
        for node in (source, target):
            if node not in self.nodes:
                self.add_node(node)
        self._successors[source][target] = None

    @property
    def edges(self) -> list[tuple[str, str]]:
        return [(source, target) for source, targets in self._successors.items() for target in targets]

    def to_networkx(self):
        """The same graph as a ``networkx.DiGraph`` (imports networkx: for analyses, not for evaluations)."""
        import networkx as nx  # start-up: networkx for analyses only, never on the way to a Pod

        graph = nx.DiGraph()
        for node, attributes in self.nodes.items():
            graph.add_node(node, **attributes)
        graph.add_edges_from(self.edges)
        return graph
