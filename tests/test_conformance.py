"""Conformance cases ported from Flyte's Go unit tests and flytekit's unit tests.

One parametrized test over every ``tests/conformance/*/*.yaml`` file (test id = file stem). The case format and the
assertion ops are documented in ``tests/conformance/README.md``; this module is the one implementation of them.
"""

from __future__ import annotations

import contextlib
import copy
import importlib
import json
import re
import sys
from pathlib import Path
from typing import Any

import jmespath
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
CASES = ROOT / "tests" / "conformance"
if str(ROOT) not in sys.path:  # the engine package lives at the repository root
    sys.path.insert(0, str(ROOT))

engine = importlib.import_module("engine")
flyte_calls = importlib.import_module("engine.eval.flyte")  # Flyte's Go functions as library calls

KINDS = ("merge", "overlay", "scenario", "serialize", "device-class", "none")
PATH_OPS = ("equals", "whole", "length", "is_null", "is_not_null", "is_false")
OPS = (*PATH_OPS, "unique_env_names_in_every_container", "template_origin", "input_unchanged", "protobuf")
CASE_KEYS = {
    "id",
    "note",
    "origin",
    "issue",
    "kind",
    "input",
    "expect",
    "expect_error",
    "steps",
    "not_portable",
    "requires",
    "rules",
}
STEP_KEYS = {"name", "note", "kind", "input", "expect", "expect_error", "rules"}
#: the pack a case runs with unless it (or its step) says `rules:` (tests/conformance/flyte_v2: flyte-v2)
DEFAULT_RULES = "flyte-v1"
INPUT_KEYS = {
    "merge": ({"template", "base", "primary"}, {"primaryInit"}),
    "overlay": ({"base", "overlay"}, set()),
    "serialize": ({"podTemplate", "container"}, {"defaultImage"}),
    "device-class": ({"podSpec", "primary"}, {"extendedResources", "primaryInit", "config"}),
}
# what the trace names a runtime PodTemplate by (contract §4: origin "podTemplates[<namespace>/<name>]")
TEMPLATE_ORIGIN = re.compile(r"^podTemplates\[")


# ------------------------------------------------------------------------------------------------ loading


def case_files() -> list[Path]:
    return sorted(CASES.glob("*/*.yaml"))


def load_case(path: Path) -> dict:
    case = yaml.safe_load(path.read_text())
    problems = validate(case, path)
    if problems:
        raise AssertionError(f"{path.relative_to(ROOT)} is not a valid case file:\n  - " + "\n  - ".join(problems))
    return case


def steps_of(case: dict) -> list[dict]:
    """A case is one step (kind/input/expect at the top) or a list of ``steps``; both read as a list of steps."""
    rules = case.get("rules", DEFAULT_RULES)
    if "steps" in case:
        return [{"rules": rules, **step} for step in case["steps"]]
    step = {key: case[key] for key in ("kind", "input", "expect", "expect_error") if key in case}
    step["name"] = ""
    step["rules"] = rules
    return [step]


def validate(case: Any, path: Path) -> list[str]:
    problems: list[str] = []
    if not isinstance(case, dict):
        return ["the document is not a mapping"]
    for key in sorted(set(case) - CASE_KEYS):
        problems.append(f"unknown key {key!r}")
    for key in ("id", "note", "origin"):
        if not case.get(key):
            problems.append(f"missing {key!r}")
    if case.get("id") and path.stem not in case["id"] and case["id"] not in path.stem:
        problems.append(f"id {case['id']!r} does not match the file name {path.stem!r}")
    origin = case.get("origin") or {}
    for key in ("repo", "commit", "file", "test"):
        if not origin.get(key):
            problems.append(f"origin.{key} is missing")
    for index, item in enumerate(case.get("not_portable") or []):
        if not (isinstance(item, dict) and item.get("assertion") and item.get("reason")):
            problems.append(f"not_portable[{index}] needs 'assertion' and 'reason'")
    if ("steps" in case) == ("kind" in case):
        problems.append("give either 'kind' (one step) or 'steps', not both or neither")
        return problems
    if "steps" in case:
        for key in ("input", "expect", "expect_error"):
            if key in case:
                problems.append(f"{key!r} belongs inside a step when 'steps' is used")
        for index, step in enumerate(case["steps"]):
            for key in sorted(set(step) - STEP_KEYS):
                problems.append(f"steps[{index}]: unknown key {key!r}")
            if not step.get("name"):
                problems.append(f"steps[{index}]: missing 'name'")
            problems += [f"steps[{index}]: {p}" for p in validate_step(step)]
    else:
        problems += validate_step(case)
        if case["kind"] == "none" and not case.get("not_portable"):
            problems.append("kind 'none' needs a not_portable list saying why nothing runs")
    return problems


def validate_step(step: dict) -> list[str]:
    problems: list[str] = []
    kind = step.get("kind")
    if kind not in KINDS:
        return [f"kind must be one of {KINDS}, not {kind!r}"]
    if kind == "none":
        return [f"kind 'none' takes no {key!r}" for key in ("input", "expect", "expect_error") if key in step]
    if not isinstance(step.get("input"), dict):
        problems.append("'input' must be a mapping")
    elif kind in INPUT_KEYS:
        required, optional = INPUT_KEYS[kind]
        keys = set(step["input"])
        problems += [f"input.{key} is missing" for key in sorted(required - keys)]
        problems += [f"input.{key} is not a {kind} input" for key in sorted(keys - required - optional)]
    if ("expect" in step) == ("expect_error" in step):
        problems.append("give exactly one of 'expect' and 'expect_error'")
    if "expect_error" in step:
        error = step["expect_error"] or {}
        for key in sorted(set(error) - {"code", "exit_code", "message_contains"}):
            problems.append(f"expect_error: unknown key {key!r}")
        if not error.get("code"):
            problems.append("expect_error.code is missing")
    for index, assertion in enumerate(step.get("expect") or []):
        problems += [f"expect[{index}]: {p}" for p in validate_assertion(assertion, kind)]
    if "expect" in step and not step["expect"]:
        problems.append("'expect' is empty")
    return problems


def validate_assertion(assertion: Any, kind: str) -> list[str]:
    if not isinstance(assertion, dict):
        return ["an assertion is a mapping"]
    ops = [key for key in assertion if key in OPS]
    extra = set(assertion) - set(OPS) - {"path", "note", "trace"}
    problems = [f"unknown key {key!r}" for key in sorted(extra)]
    if len(ops) != 1:
        return problems + [f"exactly one op of {OPS} per assertion, found {ops}"]
    op = ops[0]
    if op in PATH_OPS and op != "whole" and "path" not in assertion:
        problems.append(f"{op!r} needs a 'path'")
    if "path" in assertion:
        try:
            jmespath.compile(assertion["path"])
        except jmespath.exceptions.JMESPathError as error:
            problems.append(f"path {assertion['path']!r} is not JMESPath: {error}")
    if (
        op in ("is_null", "is_not_null", "is_false", "unique_env_names_in_every_container")
        and assertion[op] is not True
    ):
        problems.append(f"{op!r} takes the value true")
    if op == "length" and (not isinstance(assertion[op], int) or isinstance(assertion[op], bool)):
        problems.append("'length' takes an integer")
    if op == "template_origin":
        if kind != "scenario":
            problems.append("'template_origin' is for scenario steps")
        value = assertion[op]
        if value is not None and not (isinstance(value, dict) and set(value) == {"id", "origin"}):
            problems.append("'template_origin' is null or {id, origin}")
    if op == "input_unchanged" and (kind != "serialize" or assertion[op] not in ("podTemplate", "container")):
        problems.append("'input_unchanged' is for serialize steps and names podTemplate or container")
    if op == "unique_env_names_in_every_container" and kind != "scenario":
        problems.append("'unique_env_names_in_every_container' is for scenario steps")
    if op == "protobuf":
        value = assertion[op]
        if "path" not in assertion:
            problems.append("'protobuf' needs a 'path'")
        if not (isinstance(value, dict) and set(value) == {"message", "equals"}):
            problems.append("'protobuf' is {message: <flyteidl.core interface message>, equals: <its JSON mapping>}")
    return problems


# ------------------------------------------------------------------------------------------------ comparison


def same(actual: Any, expected: Any) -> bool:
    """Go DeepEqual over Kubernetes JSON: a null field is an absent field; everything else is exact.

    ``[]`` is not absent (a nil slice is not an empty one), ``{}`` is not absent, ``false`` is not ``0``, list order
    counts, numbers compare by value but never with booleans.
    """
    return not differences(actual, expected)


def differences(actual: Any, expected: Any, where: str = "") -> list[str]:
    here = where or "<root>"
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [f"{here}: expected a mapping, got {_short(actual)}"]
        out: list[str] = []
        keys = {k for k, v in expected.items() if v is not None} | {k for k, v in actual.items() if v is not None}
        for key in sorted(keys, key=str):
            sub = f"{where}.{key}" if where else str(key)
            if expected.get(key) is None:
                out.append(f"{sub}: not expected, got {_short(actual[key])}")
            elif actual.get(key) is None:
                out.append(f"{sub}: missing, expected {_short(expected[key])}")
            else:
                out += differences(actual[key], expected[key], sub)
        return out
    if isinstance(expected, list):
        if not isinstance(actual, list):
            return [f"{here}: expected a list, got {_short(actual)}"]
        out = []
        if len(actual) != len(expected):
            out.append(f"{here}: expected {len(expected)} items, got {len(actual)}")
        for index, (a, e) in enumerate(zip(actual, expected)):
            out += differences(a, e, f"{where}[{index}]")
        return out
    if isinstance(expected, bool) or isinstance(actual, bool):
        ok = isinstance(expected, bool) and isinstance(actual, bool) and actual == expected
    elif isinstance(expected, (int, float)) and isinstance(actual, (int, float)):
        ok = actual == expected
    else:
        ok = type(actual) is type(expected) and actual == expected
    return [] if ok else [f"{here}: expected {_short(expected)}, got {_short(actual)}"]


def _short(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, default=str)
    return text if len(text) <= 200 else text[:197] + "..."


# ------------------------------------------------------------------------------------------------ assertions


def check(assertion: dict, subject: Any, context: dict) -> str | None:
    """None when the assertion holds, otherwise what went wrong."""
    op = next(key for key in assertion if key in OPS)
    expected = assertion[op]
    path = assertion.get("path")
    actual = jmespath.search(path, subject) if path else subject

    if op == "equals":
        if same(actual, expected):
            return None
        return "values differ: " + "; ".join(differences(actual, expected)[:20])
    if op == "whole":
        found = differences(actual, expected)
        return None if not found else "objects differ (Go DeepEqual):\n      " + "\n      ".join(found[:40])
    if op == "length":
        size = 0 if actual is None else len(actual) if isinstance(actual, (list, dict, str)) else None
        if size is None:
            return f"has no length: {_short(actual)}"
        return None if size == expected else f"length {size}, expected {expected} (absent counts as 0, as len(nil))"
    if op == "is_null":
        return None if actual is None else "expected absent or null"
    if op == "is_not_null":
        return None if actual is not None else "expected a value, found absent or null"
    if op == "is_false":
        return None if actual is None or actual is False else "expected false or absent (a Go plain bool's zero)"
    if op == "unique_env_names_in_every_container":
        spec = actual.get("spec", actual) if isinstance(actual, dict) else {}
        problems = []
        for container in spec.get("containers") or []:
            names = [item.get("name") for item in container.get("env") or []]
            duplicates = sorted({name for name in names if names.count(name) > 1})
            if duplicates:
                problems.append(f"container {container.get('name')!r} repeats env {duplicates}")
        return "; ".join(problems) or None
    if op == "protobuf":  # base64 protobuf bytes, decoded by flyteidl and compared in protobuf's JSON mapping
        import base64

        from flyteidl.core import interface_pb2
        from google.protobuf import json_format

        message = getattr(interface_pb2, expected["message"])()
        try:
            message.ParseFromString(base64.b64decode(actual or "", validate=True))
        except Exception as error:  # noqa: BLE001 - reported as the assertion's failure
            return f"not base64 protobuf of a {expected['message']}: {error}"
        decoded = json_format.MessageToDict(message)
        found = differences(decoded, expected["equals"])
        return None if not found else "decoded message differs: " + "; ".join(found[:20])
    if op == "template_origin":
        sources = [_source_dict(s) for s in context["result"].trace.sources]
        templates = [s for s in sources if TEMPLATE_ORIGIN.match(str(s.get("origin", "")))]
        if expected is None:
            return None if not templates else f"expected no runtime PodTemplate, the trace has {templates}"
        wanted = {"id": expected["id"], "origin": expected["origin"]}
        got = [{"id": s.get("id"), "origin": s.get("origin")} for s in templates]
        return None if got == [wanted] else f"expected exactly {wanted} among the template sources, got {got}"
    if op == "input_unchanged":
        before = context["pristine"][expected]
        after = context["input"][expected]
        found = differences(after, before)
        return None if not found else f"the {expected} argument was mutated: " + "; ".join(found[:20])
    raise AssertionError(f"unknown op {op!r}")


def _source_dict(source: Any) -> dict:
    if isinstance(source, dict):
        return source
    if hasattr(source, "to_dict"):
        return source.to_dict()
    return {"id": getattr(source, "id", None), "origin": getattr(source, "origin", None)}


# ------------------------------------------------------------------------------------------------ trace help

_JMES_TOKEN = re.compile(
    r'\.?(?:(?P<field>[A-Za-z_][A-Za-z0-9_]*)|"(?P<quoted>(?:[^"\\]|\\.)*)"|\[(?P<index>[0-9]+)\])'
)


def trace_path(jmes: str, pod: dict) -> str | None:
    """The contract §4 path of a simple JMESPath (fields, quoted fields, [n]); None for anything else."""
    paths = importlib.import_module("engine.k8s.paths")
    k8s_schema = importlib.import_module("engine.k8s.k8s_schema")

    segments: list = []
    node: Any = pod
    position = 0
    while position < len(jmes):
        match = _JMES_TOKEN.match(jmes, position)
        if not match or match.end() == position:
            return None
        position = match.end()
        if match.group("index") is not None:
            index = int(match.group("index"))
            if not isinstance(node, list) or index >= len(node):
                segments.append(index)
                node = None
                continue
            segments.append(paths.item_segments(k8s_schema.field_at(tuple(segments)), node)[index])
            node = node[index]
        else:
            field = (
                match.group("field") if match.group("field") is not None else json.loads(f'"{match.group("quoted")}"')
            )
            segments.append(field)
            node = node.get(field) if isinstance(node, dict) else None
    return paths.render(tuple(segments))


def explain(result: Any, assertion: dict) -> str:
    path = assertion.get("trace")
    if path is None and assertion.get("path"):
        try:
            path = trace_path(assertion["path"], result.pod)
        except Exception:  # noqa: BLE001 - best effort only
            path = None
    if not path:
        return ""
    try:
        data = result.trace.explain(path)
    except Exception:  # noqa: BLE001 - the trace is a help for the reader, not part of the check
        return ""
    return f"\n    trace.explain({path!r}):\n" + _indent(
        yaml.safe_dump(data, sort_keys=False, default_flow_style=False), 6
    )


def _indent(text: str, spaces: int) -> str:
    pad = " " * spaces
    return "\n".join(pad + line for line in text.rstrip().splitlines())


# ------------------------------------------------------------------------------------------------ running


def run_step(step: dict) -> tuple[Any, dict]:
    """Calls the engine for one step: (subject the paths search, context for ops that need more)."""
    kind = step["kind"]
    given = step["input"]
    work = copy.deepcopy(given)
    context: dict = {"input": work, "pristine": copy.deepcopy(given)}
    rules = step.get("rules", DEFAULT_RULES)
    if kind == "merge":
        subject = engine.merge_pod_spec_onto_template(
            work["template"], work["base"], work["primary"], work.get("primaryInit", ""), rules=rules
        )
    elif kind == "device-class":
        subject = flyte_calls.apply_accelerator_device_class_pod_template(
            work["podSpec"],
            work.get("extendedResources"),
            work["primary"],
            work.get("primaryInit", ""),
            config=work.get("config"),
            rules=rules,
        )
    elif kind == "overlay":
        subject = engine.merge_overlay_pod_spec_onto_base(work["base"], work["overlay"], rules=rules)
    elif kind == "scenario":
        result = engine.evaluate(work, rules=rules)
        context["result"] = result
        subject = result.pod
    elif kind == "serialize":
        subject = engine.serialize_pod_template(
            work["podTemplate"], work["container"], default_image=work.get("defaultImage")
        )
    else:
        raise AssertionError(f"cannot run kind {kind!r}")
    return subject, context


def podeval_error_class() -> type:
    """engine.PodevalError (contract §6); engine.errors holds it while the package's __init__ is being written."""
    found = getattr(engine, "PodevalError", None)
    if found is None:
        from engine.errors import PodevalError as found
    return found


def describe_error(error: BaseException) -> str:
    if hasattr(error, "to_dict"):
        with contextlib.suppress(Exception):
            return json.dumps(error.to_dict(), sort_keys=True, default=str)
    return f"{type(error).__name__}: {error}"


@pytest.mark.parametrize("case_file", case_files(), ids=lambda p: p.stem)
def test_conformance(case_file: Path) -> None:
    case = load_case(case_file)
    for module in case.get("requires") or []:  # an optional extra the case needs (co-pilot: flyteidl)
        pytest.importorskip(module, reason=f"{case['id']} needs {module} (pip install 'podeval[{module}]')")
    if all(step["kind"] == "none" for step in steps_of(case)):
        pytest.skip(f"{case['id']}: no portable assertion ({len(case['not_portable'])} listed under not_portable)")

    failures: list[str] = []
    for step in steps_of(case):
        label = f"[{case['id']}]" + (f" step {step['name']!r}" if step["name"] else "")
        expected_error = step.get("expect_error")
        try:
            subject, context = run_step(step)
        except Exception as error:  # noqa: BLE001 - every failure is reported with the case id
            if expected_error is None:
                failures.append(f"{label}: the engine raised {describe_error(error)}")
                continue
            problems = []
            code = getattr(error, "code", None)
            if not isinstance(error, podeval_error_class()):
                problems.append(f"expected a podeval error, got {type(error).__name__}")
            if code != expected_error["code"]:
                problems.append(f"code {code!r}, expected {expected_error['code']!r}")
            if "exit_code" in expected_error and getattr(error, "exit_code", None) != expected_error["exit_code"]:
                problems.append(
                    f"exit_code {getattr(error, 'exit_code', None)!r}, expected {expected_error['exit_code']}"
                )
            wanted = expected_error.get("message_contains")
            message = str(getattr(error, "message", "")) + "\n" + str(error)
            if wanted and wanted not in message:
                problems.append(f"message does not contain {wanted!r}")
            if problems:
                failures.append(
                    f"{label}: expect_error {expected_error}: "
                    + "; ".join(problems)
                    + f"\n    raised: {describe_error(error)}"
                )
            continue
        if expected_error is not None:
            failures.append(
                f"{label}: expected error {expected_error}, but the engine returned:\n"
                + _indent(yaml.safe_dump(subject, sort_keys=False), 6)
            )
            continue
        for assertion in step["expect"]:
            try:
                problem = check(assertion, subject, context)
            except Exception as error:  # noqa: BLE001
                problem = f"could not evaluate: {describe_error(error)}"
            if problem is None:
                continue
            path = assertion.get("path")
            actual = jmespath.search(path, subject) if path else subject
            if "whole" in assertion:
                shown = "\n" + _indent(yaml.safe_dump(actual, sort_keys=False, default_flow_style=False), 6)
            else:
                shown = _short(actual)
            text = f"{label}: assertion {json.dumps(assertion, default=str)}\n    {problem}\n    actual: {shown}"
            if "result" in context:
                text += explain(context["result"], assertion)
            failures.append(text)

    if failures:
        head = f"{case['id']}: {len(failures)} failing assertion(s)"
        if case.get("issue"):
            head += f" (this case exercises issue {case['issue']})"
        pytest.fail(head + "\n" + "\n".join(failures), pytrace=False)
