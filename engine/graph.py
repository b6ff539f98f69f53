"""The precedence DAG of a rule pack, as plain data: nodes with their attributes, edges, the evaluation order.

Loading a pack needs only the lexicographic topological order (Kahn's algorithm with a min-heap: among the nodes
that are ready, the smallest id first, so the order is unique and stable). That is done here, so that ``podeval
render`` never imports networkx (a quarter of a second of start-up). Analyses that want graph algorithms
(``podeval check``: components, reachability) get the same graph as a ``networkx.DiGraph`` from ``to_networkx``.
"""

from __future__ import annotations

import heapq
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

    def lexicographical_topological_order(self) -> list[str] | None:
        """The topological order that takes the smallest ready node id first; None if there is a cycle."""
        indegree = {node: 0 for node in self.nodes}
        for targets in self._successors.values():
            for target in targets:
                indegree[target] += 1
        ready = [node for node, degree in indegree.items() if degree == 0]
        heapq.heapify(ready)
        order = []
        while ready:
            node = heapq.heappop(ready)
            order.append(node)
            for target in self._successors[node]:
                indegree[target] -= 1
                if indegree[target] == 0:
                    heapq.heappush(ready, target)
        return order if len(order) == len(self.nodes) else None

    def to_networkx(self):
        """The same graph as a ``networkx.DiGraph`` (imports networkx: for analyses, not for evaluations)."""
        import networkx as nx

        graph = nx.DiGraph()
        for node, attributes in self.nodes.items():
            graph.add_node(node, **attributes)
        graph.add_edges_from(self.edges)
        return graph
