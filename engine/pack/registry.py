"""The merge strategies a pack may name, and the compiled rule that names one.

The pack layer declares and checks names; the evaluation layer implements them. ``engine.eval.strategies``
registers each strategy here when it is imported (``engine.eval`` imports it, and ``import engine`` imports
``engine.eval``), so the pack loader reads the names without importing the code that runs them. The transforms'
registry is ``transform_api.TRANSFORMS``, filled the same way by ``engine.eval.transforms``, ``containers``,
``placement`` and ``copilot``; the JMESPath functions' is ``expressions.function``.

Some modules of the evaluation register names that a Pod's evaluation never uses (the plugins', Flyte 2's):
``engine.eval`` does not import them but names them here (``defer``), and ``load_deferred`` imports them, which
registers their names, when a name is not found among the registered ones (a cached pack naming a plugin's
transform, an expression calling a plugin's function) and before every name is listed or checked (compiling a pack,
``podeval check``, the pack schema): ``podeval render`` of a Pod imports none of them.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import NamedTuple

#: name used in rule files -> strategy(merger, at, lower, higher, params) -> Node | None
STRATEGIES: dict[str, Callable] = {}
#: name -> the parameters a rule may give it
STRATEGY_PARAMS: dict[str, set[str]] = {}


def register_strategy(name: str, function: Callable, params: set[str]) -> None:
    STRATEGIES[name] = function
    STRATEGY_PARAMS[name] = set(params)


#: modules (dotted names) that register strategies, transforms or functions when imported, not imported yet
_DEFERRED: list[str] = []


def defer(*modules: str) -> None:
    """Name modules that register names but are imported only by ``load_deferred`` (see the module)."""
    _DEFERRED.extend(module for module in modules if module not in _DEFERRED)


def load_deferred() -> None:
    """Import the deferred modules: afterwards every strategy, transform and function is registered."""
    while _DEFERRED:
        module = _DEFERRED.pop(0)
        try:
            importlib.import_module(module)
        except BaseException:  # still deferred: the next lookup tries again (and raises the same error)
            _DEFERRED.insert(0, module)
            raise


class Rule(NamedTuple):
    """A compiled per-path merge rule: the strategy function, its parameters and the id used in the trace."""

    id: str
    strategy: Callable
    params: dict
    note: str | None = None
