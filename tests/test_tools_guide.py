"""Every example of docs/policy-authors.md runs.

Fenced blocks tagged ``example=NAME part=...`` make up one example per name: fragments of a pack's files
(``pack.yaml``, ``profiles.yaml``, ``plugin-config.yaml``: merged into a copy of the pack, profiles and steps by id,
rules by rule id), a ``scenario`` (``rules=PACK`` picks the base pack, default flyte-v1), and the expected ``pod``
(a fragment: every key given must match, ``null`` means absent, lists match item by item) or ``error`` (its code
and path). ``console run`` blocks are commands (``$ ...``; ``# exit N`` for a non-zero exit code) run in order in a
copy of examples/ and rules/, each followed by lines its output must contain; ``python file=NAME`` blocks are
written into that copy first. Every strategy and every transform must have an example.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml
from console_docs import blocks, run_console_blocks

import engine
from engine.errors import PodevalError
from engine.pack.registry import STRATEGIES, load_deferred
from engine.pack.transform_api import TRANSFORMS

ROOT = Path(__file__).resolve().parent.parent
GUIDE = ROOT / "docs" / "policy-authors.md"


def _blocks() -> list[tuple[str, dict, str, int]]:
    return blocks(GUIDE)


def _examples() -> dict[str, dict]:
    examples: dict[str, dict] = {}
    for language, attributes, body, line in _blocks():
        if "example" in attributes:
            parts = examples.setdefault(attributes["example"], {"line": line})
            assert attributes["part"] not in parts, f"docs line {line}: part {attributes['part']} given twice"
            parts[attributes["part"]] = yaml.safe_load(body)
            if attributes["part"] == "scenario":
                parts["rules"] = attributes.get("rules", "flyte-v1")
                parts["requires"] = attributes.get("requires")  # an optional package (extra) the example needs
    return examples


EXAMPLES = _examples()


def _merge(base, fragment):
    """Deep merge; lists of items with an ``id`` (sources, steps) or a ``rule`` (a step's apply) by that key."""
    if isinstance(base, dict) and isinstance(fragment, dict):
        merged = dict(base)
        for key, value in fragment.items():
            merged[key] = _merge(base[key], value) if key in base else value
        return merged
    if isinstance(base, list) and isinstance(fragment, list) and fragment and isinstance(fragment[0], dict):
        key = "id" if "id" in fragment[0] else "rule" if "rule" in fragment[0] else None
        if key is not None:
            merged = list(base)
            for item in fragment:
                index = next((i for i, old in enumerate(merged) if old.get(key) == item[key]), None)
                if index is None:
                    merged.append(item)
                elif key == "rule":
                    merged[index] = item  # a rule is replaced whole
                else:
                    merged[index] = _merge(merged[index], item)
            return merged
    return fragment


def _contains(actual, expected, where: str) -> None:
    if expected is None:
        assert actual is _ABSENT, f"{where}: expected absent, got {actual!r}"
    elif isinstance(expected, dict):
        assert isinstance(actual, dict), f"{where}: expected a mapping, got {actual!r}"
        for key, value in expected.items():
            _contains(actual.get(key, _ABSENT), value, f"{where}.{key}")
    elif isinstance(expected, list):
        assert isinstance(actual, list) and len(actual) == len(expected), f"{where}: {actual!r} != {expected!r}"
        for index, (a, e) in enumerate(zip(actual, expected)):
            _contains(a, e, f"{where}[{index}]")
    else:
        assert actual == expected and type(actual) is type(expected), f"{where}: {actual!r} != {expected!r}"


_ABSENT = object()


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_example(name, tmp_path):
    example = EXAMPLES[name]
    if example.get("requires"):
        pytest.importorskip(example["requires"], reason=f"needs {example['requires']}")
    rules = example["rules"]
    files = ("pack.yaml", "profiles.yaml", "plugin-config.yaml")
    fragments = {part: example[part] for part in files if part in example}
    if fragments:
        folder = tmp_path / "pack"
        shutil.copytree(ROOT / "rules" / rules, folder)
        for file_name, fragment in fragments.items():
            path = folder / file_name
            path.write_text(yaml.safe_dump(_merge(yaml.safe_load(path.read_text()), fragment), sort_keys=False))
        rules = str(folder)
    assert ("pod" in example) != ("error" in example), f"docs line {example['line']}: give a pod or an error"
    try:
        result = engine.evaluate(example["scenario"], rules=rules)
    except PodevalError as error:
        assert "error" in example, f"docs line {example['line']}: {error}"
        assert error.code == example["error"]["code"]
        assert "path" not in example["error"] or error.path == example["error"]["path"]
        return
    assert "pod" in example, f"docs line {example['line']}: expected an error, got a Pod"
    _contains(result.pod, example["pod"], "pod")


def test_every_strategy_and_transform_has_an_example():
    text = GUIDE.read_text(encoding="utf-8")
    headings = re.findall(r"^###.*$", text, re.MULTILINE)
    load_deferred()  # the plugins' and Flyte 2's transforms too (engine/eval/__init__.py defers their modules)
    for name in list(STRATEGIES) + list(TRANSFORMS):
        assert any(f"`{name}`" in heading for heading in headings), f"docs/policy-authors.md: no section for {name}"
    used = {
        rule.get("transform")
        for e in EXAMPLES.values()
        for s in (e.get("pack.yaml") or {}).get("steps", [])
        for rule in s.get("apply", [])
    }
    assert "merge-onto-template" in used and "k8s-pod-target" in used


def test_console_examples(tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    for folder in ("examples", "rules"):
        shutil.copytree(ROOT / folder, work / folder)
    ran, _ = run_console_blocks(GUIDE, work)
    assert ran >= 8
