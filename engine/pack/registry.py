"""The merge strategies a pack may name, and the compiled rule that names one.

The pack layer declares and checks names; the evaluation layer implements them. ``engine.eval.strategies``
registers each strategy here when it is imported (``engine.eval`` imports it, and ``import engine`` imports
``engine.eval``), so the pack loader reads the names without importing the code that runs them. The transforms'
registry is ``transform_api.TRANSFORMS``, filled the same way by ``engine.eval.transforms``, ``containers``,
``placement`` and ``copilot``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

#: name used in rule files -> strategy(merger, at, lower, higher, params) -> Node | None
STRATEGIES: dict[str, Callable] = {}
#: name -> the parameters a rule may give it
STRATEGY_PARAMS: dict[str, set[str]] = {}


def register_strategy(name: str, function: Callable, params: set[str]) -> None:
    STRATEGIES[name] = function
    STRATEGY_PARAMS[name] = set(params)


class Rule(NamedTuple):
    """A compiled per-path merge rule: the strategy function, its parameters and the id used in the trace."""

    id: str
    strategy: Callable
    params: dict
    note: str | None = None
