"""``explain``: the story of one field of the Pod, read from a trace.

``explain_field(trace, path)`` answers "why does this field have this value?": every candidate value the
evaluation saw for the field (from ``set``/``append``/``override``/``keep``/``drop`` events on it or on an ancestor
that carried it), the source and rule of each, which one won and why the others lost. The answer is plain data
(``{path, present, value, owner, decidedBy, rule, candidates, history}``, the contract's shape); engine.render.text and
the HTML report render it. It reads a ``Trace`` through its fields and ``history``, and imports nothing of it.
"""

from __future__ import annotations

from typing import Any

from ..k8s import paths as _paths
from ..k8s import quantity
from .provenance import rendered


def explain_field(trace: Any, path: str | tuple) -> dict:
    target, text, found, value, owner, decided_by, candidates, winner, history = _decision(trace, path)
    locate = getattr(trace, "locate", None)
    for candidate in candidates:
        if candidate.get("rule") in trace.config_origins:  # the config options behind a candidate, where each was set
            candidate["from"] = trace.config_origins[candidate["rule"]]
        if locate is not None:  # where the value was written (engine.eval.provenance)
            candidate["where"] = locate(candidate["source"], candidate.get("rule"), target, candidate["value"])
        if isinstance(candidate["value"], (dict, list)):
            continue
        shown = value if candidate is winner and found else rendered(target, candidate["value"])
        if shown != candidate["value"] or type(shown) is not type(candidate["value"]):
            candidate["rendered"] = shown  # as the Pod prints it: "1000m" -> "1"
    return {
        "path": text,
        "present": found,
        "value": value,
        "owner": owner,
        "decidedBy": decided_by,
        "rule": winner["rule"] if winner else None,
        "candidates": candidates,
        "history": [event.to_dict() for event in history],
    }


def owner_and_rule(trace: Any, path: str | tuple) -> tuple:
    """The owner (source) and deciding rule of a field, as ``explain_field`` gives them, without the rest of the
    story: no locations, so the trace's provenance is not resolved (``podeval diff`` asks this of every change)."""
    _, _, _, _, owner, _, _, winner, _ = _decision(trace, path)
    return owner, winner["rule"] if winner else None


def _decision(trace: Any, path: str | tuple) -> tuple:
    """What ``explain_field`` decides from the events alone: the candidates and the winner."""
    target = _paths.parse(path) if isinstance(path, str) else tuple(path)
    text = _paths.render(target)
    found, value = _paths.lookup(trace.pod or {}, target)
    owner = trace.owners.get(text)
    rule_of_owner = trace.owner_rules.get(text)
    if owner is None and found:  # a map or list: the owners of the leaves below it, and their rules
        below = [p for p in trace.owners if _below(p, text)]
        owner = ", ".join(sorted({trace.owners[p] for p in below})) or None
        rule_of_owner = ", ".join(sorted({trace.owner_rules[p] for p in below if trace.owner_rules.get(p)})) or None
    history = trace.history(target)
    candidates = _candidates(history, target)
    decided_by = owner
    if not found:
        # A value the Pod does not show (a zero value Kubernetes omits, an empty list): the last decision about
        # the field tells which source left it so.
        last = _last_decision(history, target)
        if last is not None:
            decided_by, value, rule_of_owner = last
    if (
        decided_by
        and (found or decided_by != owner)
        and not any(c["source"] == decided_by and _same(c["value"], value) for c in candidates)
    ):
        candidates.append({"source": decided_by, "value": value, "rule": rule_of_owner, "outcome": "won", "why": ""})
    winner = _decide(candidates, decided_by, value, rule_of_owner, found)
    return target, text, found, value, owner, decided_by, candidates, winner, history


def _below(path: str, text: str) -> bool:
    return path.startswith(text) and path[len(text) : len(text) + 1] in (".", "[")


def _relative(event: Any, target: tuple) -> tuple | None:
    """The field's path below the event's, or None when the event is below the field (part of its history, not a
    candidate for its value)."""
    return target[len(event.path) :] if _paths.is_prefix(event.path, target) else None


def _candidates(history: list, target: tuple) -> list[dict]:
    """The values the events offered for the field, in order; a source offering the same value again is updated
    in place."""
    candidates: list[dict] = []

    def add(source: str | None, rule: str, candidate: Any, outcome: str, why: str) -> None:
        if source is None:
            return
        for existing in candidates:
            if existing["source"] == source and existing["value"] == candidate:
                existing.update(outcome=outcome, why=why, rule=rule)
                return
        candidates.append({"source": source, "value": candidate, "rule": rule, "outcome": outcome, "why": why})

    for event in history:
        relative = _relative(event, target)
        if relative is None:
            continue
        ok, candidate = _paths.lookup(event.value, relative)
        if event.op in ("set", "append") and ok:
            add(event.source, event.rule, candidate, "won", "")
        elif event.op == "override":
            prev_ok, previous = _paths.lookup(event.previous, relative)
            if prev_ok:
                add(
                    event.previous_source,
                    event.rule,
                    previous,
                    "lost",
                    f"overridden by {event.source} (rule {event.rule})" + (f": {event.note}" if event.note else ""),
                )
            if ok:
                add(event.source, event.rule, candidate, "won", "")
        elif event.op == "keep" and event.rejected is not None:
            rej_ok, rejected = _paths.lookup(event.rejected.get("value"), relative)
            if rej_ok:
                add(
                    event.rejected.get("source"),
                    event.rule,
                    rejected,
                    "lost",
                    f"rule {event.rule}: " + (event.note or f"{event.source}'s value stays"),
                )
        elif event.op == "drop" and ok:
            add(event.source, event.rule, candidate, "dropped", f"rule {event.rule}: " + (event.note or "no effect"))
    return candidates


def _last_decision(history: list, target: tuple) -> tuple[str, Any, str] | None:
    """The last event that decided the field's value: ``(source, value, rule)``."""
    for event in reversed(history):
        relative = _relative(event, target)
        if relative is None or event.op not in ("set", "override", "keep", "append"):
            continue
        ok, last = _paths.lookup(event.value, relative)
        return (event.source, last, event.rule) if ok else None
    return None


def _decide(
    candidates: list[dict], decided_by: str | None, value: Any, rule_of_owner: str | None, found: bool
) -> dict | None:
    """Mark the winner (the owner's candidate with the Pod's value) and why it won; every other candidate that
    was winning at its time lost to a later rule."""
    winner = None
    for candidate in candidates:
        if decided_by and candidate["source"] == decided_by and _same(candidate["value"], value) and winner is None:
            winner = candidate
        elif candidate["outcome"] == "won":
            candidate["outcome"] = "lost"
            candidate["why"] = "replaced by a later rule"
    if winner is not None:
        winner["outcome"] = "won"
        if rule_of_owner:
            winner["rule"] = rule_of_owner
        losers = [c["source"] for c in candidates if c is not winner and c["outcome"] == "lost"]
        winner["why"] = (
            f"set by {decided_by} (rule {winner['rule']}) and kept to the end"
            + (f"; it beat {', '.join(losers)}" if losers else "")
            + ("" if found else "; the Pod omits it (a zero value or an empty list)")
        )
    return winner


def _same(a: Any, b: Any) -> bool:
    """Equal values; quantities compare by amount (the trace carries ``1000m``, the Pod prints ``1``)."""
    if a == b:
        return True
    if (
        isinstance(a, (str, int, float))
        and isinstance(b, (str, int, float))
        and not isinstance(a, bool)
        and not isinstance(b, bool)
    ):
        try:
            return quantity.value_of(a) == quantity.value_of(b)
        except quantity.QuantityError:
            return False
    return False
