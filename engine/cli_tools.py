"""The policy authors' commands (check, test, diff): registered into ``podeval``'s parser by ``cli``.

Also the helpers ``cli`` calls for ``explain --without`` (what-if) and ``trace -o managed-fields``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import Any

from .errors import FlyteBuildError, InputError
from .inputs.cli_inputs import read_propeller_config, read_yaml_documents
from .render.text import format_explain

COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {}


def register(sub, add_scenario_inputs) -> None:
    """Add this module's subcommands to the ``podeval`` sub-parsers."""
    check = sub.add_parser(
        "check",
        help="validate a rule pack and report every problem",
        description="Validate a rule pack (schema, loader, precedence graph) and report every "
        "problem at once, with file:line:col and the rule id. Scenarios given are checked for "
        "fields no rule covers. Exit 0 clean, 1 findings, 2 the pack cannot be read.",
    )
    check.add_argument(
        "scenarios",
        nargs="*",
        metavar="SCENARIO",
        help="scenarios (files, or folders walked recursively) whose fields must be covered",
    )
    check.add_argument("--rules", default="flyte-v1", help="a shipped rule pack name or a pack folder")
    check.add_argument("-o", "--output", choices=("text", "json"), default="text")
    COMMANDS["check"] = _check

    test = sub.add_parser(
        "test",
        help="golden tests: scenarios with expected Pods",
        description="Evaluate each scenario NAME.yaml and compare it with NAME.pod.yaml (or the "
        "expected error NAME.error.yaml) beside it. A missing golden fails; only --update writes "
        "goldens. Exit 1 on any mismatch.",
    )
    test.add_argument("paths", nargs="+", metavar="PATH", help="scenario files or folders of them")
    test.add_argument("--rules", default="flyte-v1", help="a shipped rule pack name or a pack folder")
    test.add_argument("--update", action="store_true", help="write or rewrite the goldens from the actual Pods")
    test.add_argument("--junit", metavar="FILE", help="also write the results as JUnit XML")
    test.add_argument("-q", "--quiet", action="store_true", help="print failures and the summary only")
    test.add_argument(
        "-j",
        "--jobs",
        type=_jobs,
        default=1,
        metavar="N",
        help="worker processes (default 1); the output is the same for every N",
    )
    COMMANDS["test"] = _test

    diff = sub.add_parser(
        "diff",
        help="what-if: which Pods and fields change between two packs or configs",
        description="Evaluate a corpus of scenarios under two rule packs (--rules A --rules B), "
        "two FlytePropeller configs (--propeller-config OLD --propeller-config NEW) or two sets "
        "of PodTemplates (--pod-templates OLD --pod-templates NEW), and report each Pod that "
        "changes: the fields, old and new values, and the source and rule behind each.",
    )
    diff.add_argument("paths", nargs="+", metavar="PATH", help="scenario files or folders of them (walked recursively)")
    diff.add_argument(
        "--rules",
        action="append",
        default=[],
        metavar="R",
        help="twice: the old and the new pack; once: the pack of both sides (default flyte-v1)",
    )
    diff.add_argument(
        "--propeller-config",
        action="append",
        default=[],
        metavar="FILE",
        help="twice: the old and the new FlytePropeller config, replacing the scenarios' "
        "propeller.config; once: for both sides",
    )
    diff.add_argument(
        "--pod-templates",
        action="append",
        default=[],
        metavar="FILE",
        help="twice: the old and the new PodTemplates (a kind: List is fine), replacing the "
        "scenarios' podTemplates; once: for both sides",
    )
    diff.add_argument("--exit-code", action="store_true", help="exit 1 when some Pod changed")
    diff.add_argument(
        "-j",
        "--jobs",
        type=_jobs,
        default=1,
        metavar="N",
        help="worker processes (default 1); the output is the same for every N",
    )
    diff.add_argument("-o", "--output", choices=("text", "json"), default="text")
    diff.add_argument(
        "--html",
        metavar="FILE",
        help="also write the changed Pods side by side, with provenance, as a self-contained HTML report",
    )
    COMMANDS["diff"] = _diff


def _jobs(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number of processes, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"at least 1 process, got {value}")
    return value


def run(args: argparse.Namespace) -> int:
    return COMMANDS[args.command](args)


# ----------------------------------------------------------------------------------------------------------------


def _check(args: argparse.Namespace) -> int:
    from .tools.check import check_pack, format_report

    report = check_pack(args.rules, args.scenarios)
    if args.output == "json":
        data = {
            "rules": report.pack.name if report.pack is not None else args.rules,
            "problems": [f.to_dict() for f in report.fatal + report.findings],
            "exitCode": report.exit_code,
        }
        sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    else:
        out, err = format_report(report, args.rules)
        sys.stdout.write(out)
        sys.stderr.write(err)
    return report.exit_code


def _test(args: argparse.Namespace) -> int:
    from .pack.rules import load_rules
    from .tools.golden import format_result, run_cases, write_junit

    rules = load_rules(args.rules)
    results = []
    for case in run_cases(args.paths, rules, update=args.update, jobs=args.jobs):
        results.append(case)
        if not (args.quiet and case.status == "pass"):
            sys.stdout.write(format_result(case))
    if not results:
        raise InputError(
            "no_cases",
            f"no scenario found in {', '.join(args.paths)}",
            hint="a case is NAME.yaml with its golden NAME.pod.yaml beside it",
        )
    if args.junit:
        write_junit(results, args.junit)
    counts: dict[str, int] = {}
    for case in results:
        counts[case.status] = counts.get(case.status, 0) + 1
    order = ("pass", "fail", "missing", "error", "updated", "written")
    names = {
        "pass": "passed",
        "fail": "failed",
        "missing": "without a golden",
        "error": "could not run",
        "updated": "updated",
        "written": "written",
    }
    sys.stdout.write(
        f"{len(results)} case{'s' if len(results) != 1 else ''}: "
        + ", ".join(f"{counts[s]} {names[s]}" for s in order if counts.get(s))
        + "\n"
    )
    if counts.get("error"):
        return 2
    return 1 if counts.get("fail") or counts.get("missing") else 0


def _side_part(values: list, what: str) -> tuple[Any, Any]:
    if len(values) > 2:
        raise InputError("usage", f"give {what} at most twice (old, then new)", hint="see `podeval diff --help`")
    if not values:
        return None, None
    return values[0], values[-1]


def _label(old: str | None, new: str | None) -> tuple[str, str]:
    from pathlib import Path

    if old is None or old == new:
        return "", ""
    short_old, short_new = Path(old).name, Path(new).name
    return (short_old, short_new) if short_old != short_new else (old, new)


def _normalised(part: str, path: str, rules: Any = "flyte-v1") -> Any:
    """A --propeller-config or --pod-templates file, normalised as the scenario's part would be (a config file,
    ConfigMap or manifest is loaded as FlytePropeller loads it, with the key case of ``rules``' config loader)."""
    from .inputs.scenario import load_scenario

    if part == "config":
        config = read_propeller_config([path], rules)
        loaded = load_scenario({"propeller": {"config": config.k8s}}, origins=config.scenario_origins())
        return loaded.data["propeller"]["config"]
    from .inputs.podtemplate_files import read_pod_template_file

    found = read_pod_template_file(path, read_yaml_documents(path))
    origins = {
        ("podTemplates", index): (path, document, where) for index, (_, document, where) in enumerate(found.items)
    }
    loaded = load_scenario({"podTemplates": [item for item, _, _ in found.items]}, origins=origins)
    return loaded.data.get("podTemplates") or []


def _diff(args: argparse.Namespace) -> int:
    from .pack.rules import load_rules
    from .tools.corpus import Side, run_corpus

    rules_old, rules_new = _side_part(args.rules, "--rules")
    config_old, config_new = _side_part(args.propeller_config, "--propeller-config")
    templates_old, templates_new = _side_part(args.pod_templates, "--pod-templates")
    if len(args.rules) < 2 and len(args.propeller_config) < 2 and len(args.pod_templates) < 2:
        raise InputError(
            "usage",
            "nothing to compare: give two --rules, two --propeller-config or two --pod-templates",
            hint="podeval diff --rules flyte-v1 --rules flyte-docs examples/flyte-docs/",
        )
    pack_old = load_rules(rules_old or "flyte-v1")
    pack_new = load_rules(rules_new or "flyte-v1")
    labels_old, labels_new = [], []
    if pack_old is not pack_new:
        names = (pack_old.name, pack_new.name) if pack_old.name != pack_new.name else (rules_old, rules_new)
        labels_old.append(names[0])
        labels_new.append(names[1])
    for old, new in ((config_old, config_new), (templates_old, templates_new)):
        label_old, label_new = _label(old, new)
        if label_old:
            labels_old.append(label_old)
            labels_new.append(label_new)
    old_side = Side(
        " + ".join(labels_old) or "old",
        pack_old,
        _normalised("config", config_old, pack_old) if config_old else None,
        _normalised("templates", templates_old) if templates_old else None,
    )
    new_side = Side(
        " + ".join(labels_new) or "new",
        pack_new,
        _normalised("config", config_new, pack_new) if config_new else None,
        _normalised("templates", templates_new) if templates_new else None,
    )
    if old_side.label == new_side.label:
        old_side.label, new_side.label = "old", "new"
    changed: list | None = [] if args.html else None
    summary = run_corpus(args.paths, old_side, new_side, output=args.output, changed=changed, jobs=args.jobs)
    if args.html:
        from pathlib import Path

        from .render.report_html import render_diff_report

        Path(args.html).write_text(
            render_diff_report(
                changed or [], pack_old, pack_new, title=f"podeval diff: {old_side.label} vs {new_side.label}"
            ),
            encoding="utf-8",
        )
    if summary.scenarios == 0:
        raise InputError("no_scenarios", f"no scenario found in {', '.join(args.paths)}")
    if summary.unreadable:
        return 2
    return 1 if args.exit_code and summary.changed else 0


# ----------------------------------------------------------------------------------------------------------------
# For cli.py: `explain --without SOURCE` and `trace -o managed-fields`


def format_what_if(
    scenario: Any, rules: Any, path: str, without: list[str], output: str = "text", *, actual: Any = None
) -> str:
    """The field as it is (``actual``: the evaluation with every source, if already done), and as it would be if
    the ``without`` sources were absent."""
    from .eval.evaluate import evaluate

    actual = (actual if actual is not None else evaluate(scenario, rules)).trace.explain(path)
    try:
        what_if: dict | None = evaluate(scenario, rules, without=without).trace.explain(path)
        refused = None
    except FlyteBuildError as error:
        what_if, refused = None, error
    if output == "json":
        data: dict = {"path": actual["path"], "without": list(without), "actual": actual}
        data["whatIf"] = what_if if refused is None else {"error": refused.to_dict()}
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    sources = ", ".join(without)
    text = "actual (every source):\n" + _indent(format_explain(actual))
    text += f"\nwhat if {sources} {'were' if len(without) > 1 else 'was'} absent:\n"
    if refused is not None:
        text += f"  Flyte would refuse to build the Pod: error[{refused.code}] {refused}\n"
    else:
        text += _indent(format_explain(what_if))
        if actual["present"] != what_if["present"] or actual["value"] != what_if["value"]:
            before = json.dumps(actual["value"]) if actual["present"] else "(absent)"
            after = json.dumps(what_if["value"]) if what_if["present"] else "(absent)"
            text += f"\n  => without {sources}: {before} becomes {after}\n"
        else:
            text += f"\n  => without {sources} the value is the same\n"
    return text


def _indent(text: str) -> str:
    return "".join("  " + line + "\n" for line in text.rstrip("\n").splitlines())
