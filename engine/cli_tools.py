"""The policy authors' commands (check, test, diff, migrate-report), registered into ``podeval``'s parser by ``cli``;
their scenario arguments are ``engine.cli_args``'s.

Also the helpers ``cli`` calls for ``explain --without`` (what-if) and ``trace -o managed-fields``.
"""

from __future__ import annotations

import argparse
import functools
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .cli_args import add_jobs_option, add_scenario_inputs, check_writable, scenario_files, scenario_loader
from .errors import FlyteBuildError, InputError
from .eval.evaluate import evaluate
from .inputs.cli_inputs import (
    default_rules,
    load_corpus_entry,
    read_propeller_config,
    read_yaml_documents,
)
from .inputs.scenario import load_scenario
from .pack.rules import load_rules
from .render.text import count, format_explain

COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {}


def register(sub) -> None:
    """Add this module's subcommands to the ``podeval`` sub-parsers."""
    check = sub.add_parser(
        "check",
        help="validate a rule pack and report every problem",
        description="Validate a rule pack (schema, loader, precedence graph) and report every "
        "problem at once, with file:line:col and the rule id. Scenarios given are checked for "
        "fields no rule covers. Exit 0 clean, 1 findings, 2 the pack cannot be read.",
    )
    add_scenario_inputs(check, parts=False)
    check.add_argument("-o", "--output", choices=("text", "json"), default="text", help="the report's format")
    COMMANDS["check"] = _check

    test = sub.add_parser(
        "test",
        help="golden tests: scenarios with expected Pods",
        description="Evaluate each scenario NAME.yaml and compare it with NAME.pod.yaml (or the "
        "expected error NAME.error.yaml) beside it. A missing golden fails; only --update writes "
        "goldens. Exit 1 on any mismatch.",
    )
    add_scenario_inputs(test, nargs="+")
    test.add_argument("--update", action="store_true", help="write or rewrite the goldens from the actual Pods")
    test.add_argument("--junit", metavar="FILE", help="also write the results as JUnit XML")
    test.add_argument("-q", "--quiet", action="store_true", help="print failures and the summary only")
    add_jobs_option(test)
    COMMANDS["test"] = _test

    diff = sub.add_parser(
        "diff",
        help="what-if: which Pods and fields change between two packs or configs",
        description="Evaluate a corpus of scenarios under two rule packs (--rules A --rules B), "
        "two FlytePropeller configs (--propeller-config OLD --propeller-config NEW) or two sets "
        "of PodTemplates (--pod-templates OLD --pod-templates NEW), and report each Pod that "
        "changes: the fields, old and new values, and the source and rule behind each.",
    )
    add_scenario_inputs(diff, nargs="+", sides=True)
    diff.add_argument("--exit-code", action="store_true", help="exit 1 when some Pod changed")
    add_jobs_option(diff)
    diff.add_argument("-o", "--output", choices=("text", "json"), default="text", help="the report's format")
    diff.add_argument(
        "--html",
        metavar="FILE",
        help="also write the changed Pods side by side, with provenance, as a self-contained HTML report",
    )
    diff.add_argument("--junit", metavar="FILE", help="also write JUnit XML: a scenario whose Pod changed is a failure")
    COMMANDS["diff"] = _diff

    migrate = sub.add_parser(
        "migrate-report",
        help="what changes for each task when the platform moves to another Flyte (flyte-v1 -> flyte-v2)",
        description="Evaluate each task of a corpus (scenario files, or registered tasks: TaskTemplate files as "
        "flytectl get task -o yaml prints them) under the Flyte the platform runs (--from) and the one it moves to "
        "(--to), with the platform's config and PodTemplates (--propeller-config, --pod-templates, -n), and report "
        "for each task the fields whose value changes, with the explain of both sides, then how many tasks have "
        "each kind of change (gain, lose or change; the field's topic; the source and rule behind it).",
    )
    add_scenario_inputs(migrate, nargs="+", rules=False)
    migrate.add_argument(
        "--from",
        dest="from_rules",
        default="flyte-v1",
        metavar="RULES",
        help="the Flyte the platform runs (default flyte-v1)",
    )
    migrate.add_argument(
        "--to", dest="to_rules", default="flyte-v2", metavar="RULES", help="the Flyte it moves to (default flyte-v2)"
    )
    migrate.add_argument("--exit-code", action="store_true", help="exit 1 when some task changes")
    add_jobs_option(migrate)
    migrate.add_argument("-o", "--output", choices=("text", "json"), default="text", help="the report's format")
    migrate.add_argument(
        "-q", "--quiet", action="store_true", help="text: the summary only (and the tasks that cannot be evaluated)"
    )
    migrate.add_argument(
        "--html", metavar="FILE", help="also write the summary and the changed Pods side by side as an HTML report"
    )
    migrate.add_argument("--junit", metavar="FILE", help="also write JUnit XML: a task that changes is a failure")
    COMMANDS["migrate-report"] = _migrate_report


def run(args: argparse.Namespace) -> int:
    return COMMANDS[args.command](args)


# ----------------------------------------------------------------------------------------------------------------


def _check(args: argparse.Namespace) -> int:
    from .tools.check import check_pack, format_report  # start-up: jsonschema and networkx only for podeval check

    report = check_pack(args.rules, scenario_files(args.scenarios, verbose=args.verbose))
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
    from .tools.golden import format_result, run_cases, write_junit  # start-up: the golden tools only for podeval test

    check_writable(args.junit, "--junit")
    files = scenario_files(args.scenarios, verbose=args.verbose, what="case", code="no_cases")
    rules = load_rules(args.rules)
    results = []
    load = scenario_loader(args, files)
    for case in run_cases(files, rules, update=args.update, jobs=args.jobs, load=load):
        results.append(case)
        if not (args.quiet and case.status == "pass"):
            sys.stdout.write(format_result(case))
    if not results:
        raise InputError(
            "no_cases",
            f"no scenario found in {', '.join(args.scenarios)}",
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
        f"{count(len(results), 'case')}: " + ", ".join(f"{counts[s]} {names[s]}" for s in order if counts.get(s)) + "\n"
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
    if old is None or old == new:
        return "", ""
    short_old, short_new = Path(old).name, Path(new).name
    return (short_old, short_new) if short_old != short_new else (old, new)


def _normalised(part: str, path: str | list, rules: Any = "flyte-v1") -> Any:
    """A --propeller-config or --pod-templates file (or several, in order), normalised as the scenario's parts would
    be (a config file, ConfigMap or manifest is loaded as FlytePropeller loads it, with the key case of ``rules``'
    config loader; several config files merge, several PodTemplate files add up)."""
    paths = [path] if isinstance(path, str) else list(path)
    if part == "templates" and len(paths) != 1:
        return [item for one in paths for item in _normalised("templates", one, rules)]
    path = paths[0]
    if part == "config":  # the parts of propeller the files give: config, and plugins and executor if they have them
        config = read_propeller_config(paths, rules)
        loaded = load_scenario({"propeller": {"config": config.document()}}, origins=config.scenario_origins())
        return {
            key: value for key, value in loaded.data["propeller"].items() if key in ("config", "plugins", "executor")
        }

    from .inputs.podtemplate_files import read_pod_template_file  # start-up: corpus commands given templates

    found = read_pod_template_file(path, read_yaml_documents(path))
    origins = {
        ("podTemplates", index): (path, document, where) for index, (_, document, where) in enumerate(found.items)
    }
    loaded = load_scenario({"podTemplates": [item for item, _, _ in found.items]}, origins=origins)
    return loaded.data.get("podTemplates") or []


def _diff(args: argparse.Namespace) -> int:
    from .tools.corpus import Side, run_corpus  # start-up: the corpus tools only for podeval diff

    check_writable(args.html, "--html")
    check_writable(args.junit, "--junit")
    files = scenario_files(args.scenarios, verbose=args.verbose)
    rules_old, rules_new = _side_part(args.rules, "--rules")
    config_old, config_new = _side_part(args.propeller_config, "--propeller-config")
    templates_old, templates_new = _side_part(args.pod_templates, "--pod-templates")
    if len(args.rules) < 2 and len(args.propeller_config) < 2 and len(args.pod_templates) < 2:
        raise InputError(
            "usage",
            "nothing to compare: give two --rules, two --propeller-config or two --pod-templates",
            hint="podeval diff --rules flyte-v1 --rules flyte-docs examples/flyte-docs/",
        )
    if not args.rules:  # the pack of both sides: the one render would take
        args.rules = [default_rules(args)]
        rules_old = rules_new = args.rules[0]
    pack_old = load_rules(rules_old)
    pack_new = load_rules(rules_new)
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
    cases: list | None = [] if args.junit else None
    summary = run_corpus(
        [str(f) for f in files],
        old_side,
        new_side,
        output=args.output,
        changed=changed,
        cases=cases,
        jobs=args.jobs,
        load=scenario_loader(args, files, sides=True),
    )
    if args.junit:
        from .tools.junit import write_junit  # start-up: the JUnit writer only with --junit

        write_junit(cases or [], args.junit, suite="podeval diff")
    if args.html:
        from .render.report_diff import render_diff_report  # start-up: the HTML report only with --html

        Path(args.html).write_text(
            render_diff_report(
                changed or [], pack_old, pack_new, title=f"podeval diff: {old_side.label} vs {new_side.label}"
            ),
            encoding="utf-8",
        )
    if summary.scenarios == 0:
        raise InputError("no_scenarios", f"no scenario found in {', '.join(args.scenarios)}")
    if summary.unreadable:
        return 2
    return 1 if args.exit_code and summary.changed else 0


def _migrate_report(args: argparse.Namespace) -> int:
    from .tools.corpus import Side  # start-up: the corpus tools only for the corpus commands
    from .tools.migration import migrate, pairs_for_report  # start-up: only for podeval migrate-report

    check_writable(args.html, "--html")
    check_writable(args.junit, "--junit")
    files = scenario_files(args.scenarios, verbose=args.verbose, what="task", tasks=True)
    packs = load_rules(args.from_rules), load_rules(args.to_rules)
    labels = [pack.name for pack in packs] if packs[0].name != packs[1].name else [args.from_rules, args.to_rules]
    # the platform's config and PodTemplates are the same on both sides; each pack loads the config its own way
    sides = [
        Side(
            label,
            pack,
            _normalised("config", args.propeller_config, pack) if args.propeller_config else None,
            _normalised("templates", args.pod_templates) if args.pod_templates else None,
        )
        for label, pack in zip(labels, packs)
    ]
    layered = argparse.Namespace(
        **{**vars(args), "rules": args.from_rules, "pod_templates": [], "propeller_config": []}
    )
    load = functools.partial(load_corpus_entry, layered)
    cases: list | None = [] if args.junit else None
    changed: list | None = [] if args.html else None
    unchanged: list | None = [] if args.html else None
    summary = migrate(
        [str(f) for f in files],
        *sides,
        output=args.output,
        out=sys.stdout,
        cases=cases,
        changed=changed,
        unchanged=unchanged,
        jobs=args.jobs,
        load=load,
        quiet=args.quiet,
    )
    if args.junit:
        from .tools.junit import write_junit  # start-up: the JUnit writer only with --junit

        write_junit(cases or [], args.junit, suite="podeval migrate-report")
    if args.html:
        from .render.report_diff import render_diff_report  # start-up: the HTML report only with --html

        kinds = [(item["kind"], item["tasks"]) for item in summary.to_dict()["kinds"]]
        Path(args.html).write_text(
            render_diff_report(
                pairs_for_report(changed or [], *sides, load),
                *packs,
                title=f"podeval migrate-report: {labels[0]} -> {labels[1]}",
                summary=kinds,
                total=summary.tasks,
                unchanged_names=unchanged or [],
            ),
            encoding="utf-8",
        )
    if summary.tasks == 0:
        raise InputError("no_scenarios", f"no task found in {', '.join(args.scenarios)}")
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
