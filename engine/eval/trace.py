"""The trace: one ordered event stream per evaluation, and everything derived from it.

Ops form a closed set; each is emitted when:

* ``set``      a source puts a value where there was none;
* ``override`` a higher source replaces a lower source's value (``previous`` holds the loser);
* ``keep``     an incoming value lost: the value already there stays (``rejected`` holds the loser and why);
* ``append``   list items are added after the ones already there (mergo's WithAppendSlice);
* ``drop``     an input had no effect at all (an unmatched template container, a template restartPolicy);
* ``warn``     something the user must hear about, printed on stderr (docs/errors.md "Warnings"): an input that did
               nothing while Flyte says nothing (a default-pod-template-name that matches no PodTemplate, a template
               container that matches no task container: its path is then the input's, ``podTemplates[0]...``), or
               something legal but surprising (a node-selector term OR'ed in unconstrained); recorded with or
               without a trace;
* ``error``    the evaluation stops here: FlytePropeller would refuse to build the Pod.

``owners`` (path -> source) is not recorded by the walk: it is read off the finished Pod, whose every leaf
remembers the source that set it. ``explain`` is a filter over the events, as renderers are.
"""

from __future__ import annotations

from typing import Any

from ..k8s import paths as _paths
from ..k8s.tree import Node, plain
from .explain import explain_field, owner_and_rule

OPS = ("set", "override", "keep", "append", "drop", "warn", "error")


#: Event's fields, in the order of its constructor (its slots and repr; ``value`` and ``previous`` are properties)
_EVENT_FIELDS = (
    "seq",
    "path",
    "op",
    "source",
    "rule",
    "_value",
    "_previous",
    "previous_source",
    "rejected",
    "note",
    "where",
    "previous_where",
    "located",
)


class Event:
    """One write (or warning, or error) of the evaluation. A plain class, not a dataclass: a dataclass compiles its
    methods at import (start-up time of ``podeval render``)."""

    __slots__ = _EVENT_FIELDS

    def __init__(
        self,
        seq: int,
        path: tuple,
        op: str,
        source: str,
        rule: str,
        value: Any = None,
        previous: Any = None,
        previous_source: str | None = None,
        rejected: dict | None = None,
        note: str | None = None,
        where: str | None = None,
        previous_where: str | None = None,
        located: str | None = None,
    ) -> None:
        self.seq = seq
        self.path = path
        self.op = op
        self.source = source
        self.rule = rule
        #: ``value`` and ``previous`` as emitted: a plain value, or the ``tree.Node`` it is made from (made plain on
        #: first read: Nodes are never mutated, and most events of an evaluation are never read)
        self._value = value
        self._previous = previous
        self.previous_source = previous_source
        self.rejected = rejected
        self.note = note
        #: where in the inputs the event's value was written, when the step that emits it knows better than the
        #: path (a config key's own position, a ConfigMap key): ``file:line:col`` as text
        self.where = where
        #: where the value it replaced (``previous``) was written; set when the trace is read
        #: (``engine.eval.provenance``)
        self.previous_where = previous_where
        #: where its value was written, found when the trace is read (``engine.eval.provenance``: a file:line:col,
        #: a ConfigMap key, a cluster object, the pack's own file); the trace's ``where`` when the step set none
        self.located = located

    def __repr__(self) -> str:  # as a dataclass prints it
        return f"Event({', '.join(f'{name}={getattr(self, name)!r}' for name in _EVENT_FIELDS)})"

    @property
    def value(self) -> Any:
        value = self._value
        if type(value) is Node:
            value = self._value = plain(value)
        return value

    @value.setter
    def value(self, value: Any) -> None:
        self._value = value

    @property
    def previous(self) -> Any:
        previous = self._previous
        if type(previous) is Node:
            previous = self._previous = plain(previous)
        return previous

    @previous.setter
    def previous(self, previous: Any) -> None:
        self._previous = previous

    @property
    def path_text(self) -> str:
        return _paths.render(self.path)

    def to_dict(self) -> dict:
        data: dict[str, Any] = {
            "seq": self.seq,
            "path": _paths.render(self.path),
            "op": self.op,
            "source": self.source,
            "rule": self.rule,
        }
        if self.op not in ("drop", "warn", "error") or self.value is not None:
            data["value"] = self.value
        if self.previous is not None:
            data["previous"] = self.previous
            if self.previous_source:
                data["previousSource"] = self.previous_source
            if self.previous_where:
                data["previousWhere"] = self.previous_where
        if self.rejected is not None:
            data["rejected"] = self.rejected
        if self.note:
            data["note"] = self.note
        if self.where or self.located:
            data["where"] = self.where or self.located
        return data


class Trace:
    """The trace of one evaluation: its sources, events and the owner of every field."""

    def __init__(
        self,
        rules_name: str,
        rules_digest: str,
        sources: list[dict] | None = None,
        events: list[Event] | None = None,
        owners: dict[str, str] | None = None,
        pod: dict | None = None,
        owner_rules: dict[str, str] | None = None,
        config_origins: dict[str, list] | None = None,
    ) -> None:
        self.rules_name = rules_name
        self.rules_digest = rules_digest
        self.sources = [] if sources is None else sources
        self.events = [] if events is None else events
        self.owners = {} if owners is None else owners
        self.pod = pod
        #: path -> the rule that set the owner's value (an extension of the contract's trace: ``ownerRules``)
        self.owner_rules = {} if owner_rules is None else owner_rules
        #: rule -> the FlytePropeller config options it reads and where each was set (``configOrigins``)
        self.config_origins = {} if config_origins is None else config_origins
        #: computes, when the trace is first read, the config's ``sources`` entry, ``config_origins`` and the
        #: locator that places every event's value in the inputs (``engine.eval.provenance``: locating re-reads
        #: positions, a cost a render that does not read the trace should not pay)
        self.provenance: Any = None
        #: places a value in the inputs: ``locate(source, rule, path, value) -> "file:line:col"`` (after
        #: ``_resolve``)
        self.locate: Any = None

    def _resolve(self) -> None:
        if self.provenance is not None:
            entry, self.config_origins, locator, describe = self.provenance()
            self.provenance = None
            if entry is not None:
                self.sources.insert(0, entry)
            if locator is not None:
                locator.annotate(self.events)
                self.locate = locator.where
            if describe is not None:
                self.sources = describe(self.sources, self.events)

    def to_dict(self) -> dict:
        self._resolve()
        return {
            "version": 1,
            "rules": {"name": self.rules_name, "digest": self.rules_digest},
            "sources": list(self.sources),
            "events": [event.to_dict() for event in self.events],
            "owners": dict(self.owners),
            "ownerRules": dict(self.owner_rules),
            **({"configOrigins": dict(self.config_origins)} if self.config_origins else {}),
        }

    @property
    def warnings(self) -> list[Event]:
        """The warn events; an evaluation without a trace (``trace=False``) still records these."""
        return [event for event in self.events if event.op == "warn"]

    def history(self, path: str | tuple) -> list[Event]:
        """Every event that touched the field: on it, on an ancestor that carried it, or on a descendant.

        Items of lists without a key are addressed by index, and an index can change after the event (a later
        rule prepends items): an event on ``tolerations[0]`` then counts for the item now at ``tolerations[3]``
        when it carried the value that item has now."""
        target = _paths.parse(path) if isinstance(path, str) else tuple(path)
        found = []
        for event in self.events:
            event_path = self._realign(event, target)
            if _paths.is_prefix(event_path, target) or _paths.is_prefix(target, event_path):
                if event.op in ("warn", "error") and not _paths.is_prefix(target, event_path) and event_path != target:
                    continue
                found.append(event if event_path == event.path else _moved(event, event_path))
        return found

    def _realign(self, event: Event, target: tuple) -> tuple:
        path = event.path
        for position, segment in enumerate(path):
            if position >= len(target):
                break
            wanted = target[position]
            if (
                isinstance(segment, int)
                and isinstance(wanted, int)
                and segment != wanted
                and path[:position] == target[:position]
                and position == len(path) - 1
                and event.op in ("append", "set")
            ):
                ok, current = _paths.lookup(self.pod or {}, target[: position + 1])
                if ok and current == event.value:
                    return target[: position + 1]
            if segment != wanted:
                break
        return path

    def explain(self, path: str | tuple) -> dict:
        """The history of one field: every candidate value, its source and rule, which one won and why
        (``engine.eval.explain``)."""
        self._resolve()
        return explain_field(self, path)

    def owner_and_rule(self, path: str | tuple) -> tuple:
        """``explain(path)``'s owner and rule alone: read off the events, without locating values in the inputs
        (which ``explain`` does for the whole trace on first use)."""
        return owner_and_rule(self, path)


def _moved(event: Event, path: tuple) -> Event:
    """The event as seen from the item's current position."""
    return Event(
        event.seq,
        path,
        event.op,
        event.source,
        event.rule,
        event._value,
        event._previous,
        event.previous_source,
        event.rejected,
        event.note,
        event.where,
        event.previous_where,
        event.located,
    )
