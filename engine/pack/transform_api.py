"""The transform interface: how a transform declares itself, and the one object it works through.

A transform is a Flyte step that is not a plain merge (``engine.eval.transforms``, ``engine.eval.copilot``). It declares:

* ``params``: its parameters by kind: ``"expression"`` (JMESPath, evaluated against the scenario context),
  ``"value"`` (a literal of the pack), ``"variable"`` (a literal naming a variable the transform sets);
  ``required``: the parameters a pack must give;
* ``reads``: scenario paths it reads beyond its parameters (``podeval check``'s coverage);
* ``writes``: the Pod paths it may write (``podeval check`` looks for two unordered steps writing one path);
* ``sets``: the variables it sets, which later rules read as ``vars.NAME`` (JMESPath) or ``$NAME`` (an ``at`` key
  selector); ``podeval check`` verifies that every variable a pack reads is set by an earlier step.

It is called with a ``Context``: the operations on the evaluation a transform needs (its parameters, the Pod built
so far, events, variables), bound to its rule; it never sees the evaluation itself.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..k8s import paths as _paths
from ..k8s.tree import Node
from .pack_model import Expression

PARAM_KINDS = ("expression", "value", "variable")

#: the variables every evaluation has before any step runs (none today: every variable is a transform's ``sets``)
BUILTIN_VARIABLES: tuple[str, ...] = ()


class Transform:
    """A registered transform: its declaration and its function ``fn(context)``."""

    def __init__(
        self,
        name: str,
        fn: Callable[[Context], None],
        params: dict,
        reads: tuple = (),
        writes: tuple = (),
        sets: tuple = (),
        required: tuple = (),
    ) -> None:
        self.name = name
        self.fn = fn
        self.params = params  # parameter name -> kind (PARAM_KINDS)
        self.reads = reads
        self.writes = writes
        self.sets = sets
        self.required = required

    def variables_set(self, params: dict) -> set[str]:
        """The variables this transform sets with these (the rule's) parameters: ``sets`` and the values of its
        ``"variable"`` parameters."""
        named = {str(params[p]) for p, kind in self.params.items() if kind == "variable" and p in params}
        return set(self.sets) | named


TRANSFORMS: dict[str, Transform] = {}


def transform(
    transform_name: str, *, reads: tuple = (), writes: tuple = (), sets: tuple = (), required: tuple = (), **params: str
) -> Callable:
    """Register ``fn(context)`` as the transform ``transform_name``, with its declaration (see the module)."""
    for name, kind in params.items():
        if kind not in PARAM_KINDS:
            raise ValueError(
                f"transform {transform_name}: parameter {name} has kind {kind!r}, not one of {PARAM_KINDS}"
            )
    unknown = set(required) - set(params)
    if unknown:
        raise ValueError(f"transform {transform_name}: required parameters {sorted(unknown)} are not declared")

    def register(fn: Callable) -> Callable:
        TRANSFORMS[transform_name] = Transform(
            transform_name, fn, dict(params), tuple(reads), tuple(writes), tuple(sets), tuple(required)
        )
        return fn

    return register


class Context:
    """What a transform may do, bound to one rule (``entry``) of one evaluation. Writes, events and failures are
    attributed to the rule's source and id unless a source is given."""

    def __init__(self, evaluation: Any, entry: Any, declared: Transform) -> None:
        self._ev = evaluation
        self._entry = entry
        self._declared = declared
        self._may_set: set | None = None  # the variables it may set: worked out on its first set_var
        self.source: str = entry.source
        self.rule: str = entry.id
        self.tracing: bool = evaluation.tracing

    # -- parameters ---------------------------------------------------------------------------------------------
    def param(self, name: str, default: Any = None) -> Any:
        """A parameter: an expression's result (``default`` when it is null), a literal as the pack wrote it."""
        if name not in self._declared.params:
            raise AssertionError(f"transform {self._declared.name} reads the undeclared parameter {name!r}")
        params = self._entry.params
        if name not in params:
            return default
        value = params[name]
        if type(value) is Expression and value.direct is not None:  # reads only the context: no copy to make
            found = value.direct(self._ev.context)
            return default if found is None else found
        return self._ev.param(self._entry, name, default)

    def given(self, name: str) -> bool:
        """Did the rule give this parameter?"""
        return name in self._entry.params

    def read(self, at: tuple) -> Any:
        """A part of the scenario the transform declares in ``reads`` (None when the scenario lacks it)."""
        if not any(_paths.is_prefix(tuple(r.split(".")), at) for r in self._declared.reads):
            raise AssertionError(f"transform {self._declared.name} reads {at}, which it does not declare")
        value: Any = self._ev.scenario.data
        for segment in at:
            value = value.get(segment) if isinstance(value, dict) else None
        return value

    # -- the Pod built so far -----------------------------------------------------------------------------------
    def get(self, at: tuple) -> Node | None:
        return self._ev.get_at(at)

    def set(self, at: tuple, node: Node | None) -> None:
        self._ev.set_at(at, node, self.source, self.rule)

    def node(self, value: Any, source: str | None = None) -> Node:
        """A scalar (or already wrapped) value as a Node of this rule."""
        return Node(value, self.source if source is None else source, self.rule)

    def merge(self, at: tuple, lower: Node, profile_id: str, warn: Callable | None = None) -> None:
        """Merge ``lower`` under what is at ``at`` with a profile of the pack (the Pod built so far wins).
        ``warn(path, source, rule, *, value, note, in_lower)``: where the merge's warnings go (default: ``warn``)."""
        merger = self._ev.merger(self._entry, profile_id, incoming_is_higher=False, warn=warn)
        self._ev.set_at(at, merger.merge(self._ev.position_of(at), lower, self._ev.get_at(at)), self.source, self.rule)

    def strategy_params(self, profile_id: str, path: str) -> dict:
        """The parameters of a profile's rule for ``path`` (one owner for the names a strategy and a transform
        share, e.g. the template containers' ``primary``/``default``)."""
        profile = self._ev.pack.profile(profile_id)
        rule = profile.rules.get(tuple(path.split(".")))
        return dict(rule.params) if rule is not None else {}

    # -- events -------------------------------------------------------------------------------------------------
    def emit(
        self,
        op: str,
        path: tuple,
        *,
        source: str | None = None,
        value: Any = None,
        previous: Any = None,
        previous_source: str | None = None,
        note: str | None = None,
    ) -> None:
        self._ev.emit(
            op,
            path,
            self.source if source is None else source,
            self.rule,
            value=value,
            previous=previous,
            previous_source=previous_source,
            note=note,
        )

    def warn(
        self, path: tuple, *, source: str | None = None, rule: str | None = None, value: Any = None, note: str
    ) -> None:
        """A warning, recorded with or without a trace (``rule``: a profile rule's id, when a merge warns)."""
        self._ev.warn(path, self.source if source is None else source, rule or self.rule, value=value, note=note)

    def fail(self, code: str, message: str, *, path: tuple = (), hint: str | None = None) -> None:
        """FlytePropeller fails the task here (``FlyteBuildError``)."""
        self._ev.fail(self._entry, code, message, path=path, hint=hint)

    def add_source(self, origin: str, source: str | None = None) -> None:
        """Say where a source's values came from (the trace's ``sources``)."""
        self._ev.add_source(self.source if source is None else source, origin)

    # -- variables ----------------------------------------------------------------------------------------------
    def var(self, name: str) -> Any:
        """A variable an earlier step set (None if none did)."""
        return self._ev.vars.get(name)

    def set_var(self, name: str, value: Any) -> None:
        """Set a variable this transform declares (``sets``, or a ``"variable"`` parameter)."""
        if self._may_set is None:
            self._may_set = self._declared.variables_set(self._entry.params)
        if name not in self._may_set:
            raise AssertionError(f"transform {self._declared.name} sets the undeclared variable {name!r}")
        self._ev.vars[name] = value
