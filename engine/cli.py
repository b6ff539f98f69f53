"""The ``podeval`` command line (contract §5).

Exit codes: 0 done; 1 a check the user asked for failed; 2 podeval cannot use its input; 3 this task will not run:
Flyte refuses to build the Pod (nothing on stdout), or the API server will refuse the Pod Flyte builds (the Pod is
printed, then each violation). Errors are one message on stderr (file:line:col, the path in the document, a hint);
a traceback only with ``--debug``.

Imports are kept off the path that does not need them: ``podeval render`` must start fast (pre-commit hooks).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .errors import InputError, PodevalError
from .inputs.cli_inputs import load_cli_scenario
from .render.text import dump, format_event, format_explain, format_graph


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # usage errors are exit 2 with one line, as argparse does
        raise InputError("usage", message, hint=f"see `{self.prog} --help`")


def _add_scenario_inputs(parser: argparse.ArgumentParser, *, required: bool = True) -> None:
    parser.add_argument(
        "scenario",
        nargs="?" if not required else None,
        default=None,
        help="scenario file (YAML or JSON), or - for stdin",
    )
    parser.add_argument(
        "--rules", default="flyte-v1", help="a shipped rule pack name or a pack folder (default flyte-v1)"
    )
    parser.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        help="no warnings on stderr (they stay in the trace); errors are still printed",
    )
    parser.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="say what was read from each input file (e.g. the PodTemplates taken and ignored)",
    )
    parser.add_argument(
        "--strict", action="store_true", help="an unknown K8s plugin option is an error (exit 2), not a warning"
    )
    parts = parser.add_argument_group("build the scenario from separate files (they override the scenario's parts)")
    parts.add_argument("--task", metavar="FILE", help="a file with the scenario's task section")
    parts.add_argument(
        "--task-template",
        metavar="FILE",
        help="the registered task: a flyteidl TaskTemplate (JSON/YAML, flytectl get task -o yaml, "
        "pyflyte's .pb or package .tgz; needs podeval[flyteidl])",
    )
    parts.add_argument(
        "--task-name",
        metavar="NAME",
        help="with --task-template: the task to take from a file of several (the full task name)",
    )
    parts.add_argument(
        "--pod-templates",
        metavar="FILE",
        action="append",
        default=[],
        help="PodTemplates: one object, a kind: List (kubectl -o yaml), or several documents "
        "(helm template); objects of other kinds and empty documents are skipped",
    )
    parts.add_argument(
        "--propeller-config",
        metavar="FILE",
        action="append",
        default=[],
        help="FlytePropeller's config: a config file (plugins: k8s: ...), its ConfigMap, or a "
        "manifest holding it (helm template, kubectl get -o yaml); repeat it for several files, "
        "merged in the order given",
    )
    parts.add_argument("--namespace", help="the execution namespace")
    parts.add_argument("--propeller-namespace", help="the namespace FlytePropeller runs in (default flyte)")
    live = parser.add_argument_group("read the inputs where they live")
    live.add_argument(
        "--cluster",
        action="store_true",
        help="read the runtime PodTemplates and FlytePropeller's config from the cluster (read-only)",
    )
    live.add_argument("--context", help="the kubeconfig context (default: the current one)")
    live.add_argument("--kubeconfig", help="the kubeconfig file (default: $KUBECONFIG or ~/.kube/config)")
    live.add_argument(
        "--propeller-configmap",
        metavar="NAME",
        help="FlytePropeller's ConfigMap: with --cluster (default flyte-propeller-config), or the one "
        "to take from a --propeller-config manifest that holds several",
    )
    live.add_argument(
        "--flytekit",
        metavar="MODULE:TASK",
        help="serialize this flytekit task with flytekit itself (needs podeval[flytekit])",
    )
    live.add_argument("--image", help="with --flytekit: the task image, as pyflyte's --image")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="podeval", description="The Pod Flyte would build for a task, and why every field has its value."
    )
    parser.add_argument("--debug", action="store_true", help="show a traceback on errors")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser, required=True)

    scenario = sub.add_parser("scenario", help="print the assembled scenario (to commit it as a golden case)")
    _add_scenario_inputs(scenario, required=False)

    render = sub.add_parser("render", help="print the Pod")
    _add_scenario_inputs(render, required=False)
    render.add_argument("-o", "--output", choices=("yaml", "json"), default="yaml")
    render.add_argument("--trace", metavar="FILE", help="also write the trace (JSON) to FILE")
    render.add_argument("--html", metavar="FILE", help="also write a self-contained HTML provenance report to FILE")
    render.add_argument("--out", metavar="DIR", help="with a folder of scenarios: write each Pod to DIR/NAME.pod.yaml")
    render.add_argument(
        "-j", "--jobs", type=int, default=2, metavar="N", help="with a folder: worker processes (default 2)"
    )

    explain = sub.add_parser("explain", help="the history of one field")
    _add_scenario_inputs(explain)
    explain.add_argument(
        "path", help="a field path, e.g. metadata.labels.label_1 or spec.containers[name=primary].image"
    )
    explain.add_argument("-o", "--output", choices=("text", "json"), default="text")
    explain.add_argument(
        "--without",
        action="append",
        default=[],
        metavar="SOURCE",
        help="what if: also show the field as it would be without this source (repeatable)",
    )

    trace = sub.add_parser("trace", help="the whole trace")
    _add_scenario_inputs(trace)
    trace.add_argument(
        "-o",
        "--output",
        choices=("text", "json", "managed-fields"),
        default="text",
        help="managed-fields: the owners as Kubernetes metadata.managedFields (engine.render.managed_fields)",
    )

    graph = sub.add_parser("graph", help="the precedence DAG of a rule pack")
    graph.add_argument("--rules", default="flyte-v1")
    graph.add_argument("-o", "--output", choices=("mermaid", "dot", "json"), default="mermaid")

    from . import cli_tools  # the policy-author commands: check, test, diff

    cli_tools.register(sub, _add_scenario_inputs)
    return parser


# ----------------------------------------------------------------------------------------------------------------


def _render_folder(args: argparse.Namespace) -> int:
    """`podeval render DIR --out OUT`: every scenario of the folder, streamed over ``--jobs`` processes."""
    if not args.out:
        raise InputError(
            "usage",
            f"{args.scenario} is a folder: give --out DIR for the Pods",
            hint=f"podeval render {args.scenario} --out pods/",
        )
    if args.jobs < 1:
        raise InputError("usage", "--jobs must be at least 1")
    from .pack.rules import load_rules
    from .tools.batch import render_folder

    load_rules(args.rules)  # a broken pack is one error here, not one per file
    summary = render_folder(args.scenario, args.out, jobs=args.jobs, rules=args.rules, quiet=args.quiet)
    codes = summary["exit_codes"]
    sys.stderr.write(
        f"podeval: {summary['files']} scenarios in {summary['seconds']:.1f} s: "
        + ", ".join(f"{count} exit {code}" for code, count in sorted(codes.items()))
        + "\n"
    )
    return max(codes, default=0)


def run(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from . import cli_tools

    if args.command in cli_tools.COMMANDS:
        return cli_tools.run(args)
    if args.command == "graph":
        from .pack.rules import load_rules

        sys.stdout.write(format_graph(load_rules(args.rules), args.output))
        return 0
    from .eval.evaluate import evaluate

    if args.command == "render" and args.scenario not in (None, "-") and Path(args.scenario).is_dir():
        return _render_folder(args)
    scenario = load_cli_scenario(args)
    if args.command == "scenario":
        sys.stdout.write(dump(scenario.data, "yaml"))
        return 0
    # the trace costs time: `render` records it only when it writes it (warnings are recorded either way)
    tracing = args.command != "render" or bool(args.trace or args.html)
    result = evaluate(scenario, args.rules, trace=tracing, strict=args.strict)
    from .render.warning import write_warnings

    write_warnings(result, sys.stderr, quiet=args.quiet)  # once, for render, explain and trace alike
    if args.command == "render":
        sys.stdout.write(dump(result.pod, args.output))
        if args.trace:
            Path(args.trace).write_text(json.dumps(result.trace.to_dict(), indent=2, ensure_ascii=False) + "\n")
        if args.html:
            from .render.report_html import render_report

            Path(args.html).write_text(render_report(result, result.rules), encoding="utf-8")
        return _report_refusals(result)
    if args.command == "explain":
        from .k8s import paths

        try:
            paths.parse(args.path)
        except ValueError as exc:
            raise InputError("invalid_path", str(exc), hint="e.g. spec.containers[name=primary].image") from None
        if args.without:
            from .cli_tools import format_what_if

            sys.stdout.write(format_what_if(scenario, args.rules, args.path, args.without, args.output, actual=result))
            return 0
        explanation = result.trace.explain(args.path)
        if args.output == "json":
            sys.stdout.write(json.dumps(explanation, indent=2, ensure_ascii=False) + "\n")
        else:
            sys.stdout.write(format_explain(explanation))
        return _report_refusals(result)
    if args.command == "trace":
        if args.output == "managed-fields":
            from .render.managed_fields import format_managed_fields

            sys.stdout.write(format_managed_fields(result))
            return _report_refusals(result)
        data = result.trace.to_dict()
        if args.output == "json":
            sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
        else:
            lines = [f"rules {data['rules']['name']} {data['rules']['digest']}", "sources:"]
            lines += [f"  {s['id']}: {s['origin']}" for s in data["sources"]]
            lines.append("events:")
            lines += ["  " + format_event(e) for e in data["events"]]
            lines.append("owners:")
            lines += [f"  {path}: {owner}" for path, owner in data["owners"].items()]
            sys.stdout.write("\n".join(lines) + "\n")
        return _report_refusals(result)
    raise InputError("usage", f"unknown command {args.command!r}")  # pragma: no cover


def _report_refusals(result: Any) -> int:
    """The API server's objections to the Pod printed (contract §5, exit 3): one line each on stderr."""
    for problem in result.problems:
        sys.stderr.write(f"podeval: error[{problem.code}]: {problem}\n")
    return 3 if result.problems else 0


def main(argv: Sequence[str] | None = None) -> int:
    debug = "--debug" in (argv if argv is not None else sys.argv[1:])
    try:
        return run(argv)
    except PodevalError as error:
        if debug:
            raise
        sys.stderr.write(f"podeval: error[{error.code}]: {error}\n")
        return error.exit_code
    except BrokenPipeError:  # pragma: no cover - `podeval render | head`
        return 0
    except Exception as error:  # a bug in podeval, not a problem of the input
        if debug:
            raise
        sys.stderr.write(
            f"podeval: internal error: {type(error).__name__}: {error} (this is a bug in podeval; "
            "run with --debug for the traceback and report it)\n"
        )
        return 70
    except KeyboardInterrupt:  # pragma: no cover
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
