"""Text renderers of what an evaluation says: ``explain`` and ``trace`` events as lines, the pack's precedence
graph as Mermaid, dot or JSON, and documents as YAML or JSON. Renderers take plain data (``Trace.explain``'s dict,
an event's ``to_dict``, ``RulePack.graph_dict``) and return text; they compute nothing about the Pod.
"""

from __future__ import annotations

import json
import re
from typing import Any

from ..documents.yamlio import dump_yaml


def dump(value: Any, output: str) -> str:
    if output == "json":
        return json.dumps(value, indent=2, ensure_ascii=False) + "\n"
    return dump_yaml(value)


def format_value(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else json.dumps(value)


def format_explain(explanation: dict) -> str:
    lines = [f"{explanation['path']}"]
    if explanation["present"]:
        lines.append(f"  value: {format_value(explanation['value'])}")
        lines.append(
            f"  owner: {explanation['owner']}" + (f" (rule {explanation['rule']})" if explanation["rule"] else "")
        )
    else:
        lines.append("  not in the Pod")
    if explanation["candidates"]:
        lines.append("  candidates:")
        for candidate in explanation["candidates"]:
            shown = format_value(candidate["value"])
            if "rendered" in candidate:  # as written, and as the Pod prints it
                shown += f" -> {format_value(candidate['rendered'])}"
            lines.append(f"    {candidate['outcome']:<7} {candidate['source']:<20} {shown}")
            lines.append(f"            {candidate['why']}")
            if candidate.get("where"):
                lines.append(f"            from {candidate['where']}")
            for option in candidate.get("from") or ():  # the config options behind it, where each was set
                lines.append(f"            {option['option']}: {option['origin']}")
    if explanation["history"]:
        lines.append("  history:")
        for event in explanation["history"]:
            lines.append("    " + format_event(event))
    return "\n".join(lines) + "\n"


def format_event(event: dict) -> str:
    text = f"#{event['seq']:<3} {event['op']:<8} {event['path']}  [{event['source']} / {event['rule']}]"
    if "value" in event and event["op"] not in ("drop",):
        text += f" = {truncate(format_value(event['value']))}"
    if "previous" in event:
        text += f" (was {truncate(format_value(event['previous']))} from {event.get('previousSource')})"
    if "rejected" in event:
        rejected = event["rejected"]
        text += f" (rejected {truncate(format_value(rejected['value']))} from {rejected['source']})"
    if event["op"] == "drop":
        text += f" dropped {truncate(format_value(event.get('value')))}"
    if event.get("note"):
        text += f" -- {event['note']}"
    if event.get("where"):
        text += f" @ {event['where']}"
    return text


def truncate(text: str, limit: int = 100) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _mermaid_id(node: str) -> str:
    return re.sub(r"\W", "_", node) + "_"  # never a mermaid keyword (`end`), never a dot


def format_graph(pack: Any, output: str, task_type: str | None = None) -> str:
    """The pack's DAG (or, for a plugin's ``task_type``, the plugin's: ``RulePack.plugin_graph_dict``). Mermaid and
    dot draw bottom-up (``graph BT``), as the docs page draws its precedence diagram: sources (rounded) feed
    FlytePropeller's steps (boxes), which run upwards in order."""
    graph = pack.graph_dict() if task_type is None else pack.plugin_graph_dict(task_type)
    sources = [node for node in graph["nodes"] if node["kind"] == "source"]
    steps = [node for node in graph["nodes"] if node["kind"] == "step"]
    if output == "json":
        return json.dumps(graph, indent=2) + "\n"
    if output == "dot":
        lines = [f'digraph "{graph["name"]}" {{', "  rankdir=BT;"]
        for node in sources + steps:
            shape = "box" if node["kind"] == "step" else "ellipse"
            lines.append(f'  "{node["id"]}" [label="{node["label"]}", shape={shape}];')
        lines += [f'  "{a}" -> "{b}";' for a, b in graph["edges"]]
        lines.append("}")
        return "\n".join(lines) + "\n"
    lines = ["graph BT", "  subgraph sources"]
    lines += [f'    {_mermaid_id(n["id"])}(["{n["label"]}"])' for n in sources]
    lines += ["  end", "  subgraph steps [FlytePropeller's steps]"]
    lines += [f'    {_mermaid_id(n["id"])}["{n["label"]}"]' for n in steps]
    lines.append("  end")
    lines += [f"  {_mermaid_id(a)} --> {_mermaid_id(b)}" for a, b in graph["edges"]]
    return "\n".join(lines) + "\n"


def count(number: int, noun: str, plural: str | None = None) -> str:
    """``1 scenario``, ``2 scenarios``: a number with its noun in agreement (``plural`` when not noun + s)."""
    return f"{number} {noun if number == 1 else plural or noun + 's'}"
