"""The ``podeval`` command line (contract §5).

Exit codes: 0 done; 1 a check the user asked for failed; 2 podeval cannot use its input; 3 this task will not run:
Flyte refuses to build the Pod (nothing on stdout), or the API server will refuse the Pod Flyte builds (the Pod is
printed, then each violation). Errors are one message on stderr (file:line:col, the path in the document, a hint);
a traceback only with ``--debug``.

Imports are kept off the path that does not need them: ``podeval render`` must start fast (pre-commit hooks).
"""

from __future__ import annotations

import argparse
import gc
import io
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

from . import __version__, cli_tools
from .cli_args import add_jobs_option, add_scenario_inputs, check_writable, scenario_files, scenario_loader
from .cli_tools import format_what_if
from .errors import InputError, PodevalError
from .eval import user_paths
from .eval.evaluate import evaluate
from .inputs.cli_inputs import default_rules, load_cli_scenario
from .k8s import paths
from .pack.rules import load_rules
from .render.text import count, dump, format_event, format_explain, format_graph
from .render.warning import write_warnings

PATH_SYNTAX = """\
field paths (contract section 4):
  metadata.labels.label_1                          a field: dotted names
  metadata.labels["app.kubernetes.io/name"]        a map key that is not a plain name, quoted
  spec.containers[name=primary].image              an item of a keyed list, by its key
  spec.containers[primary].image                   the same: a bare value is the item's key
  spec.containers[0].image                         the same, by index: podeval says which key it is
  spec.containers[name=primary].ports[containerPort=53,protocol=UDP]   a key of several fields
  spec.tolerations[0]                              an item of a list without a key, by index
A path that addresses nothing is exit 2, with the nearest paths the Pod has."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # usage errors are exit 2 with one line, as argparse does
        raise InputError("usage", message, hint=f"see `{self.prog} --help`")


def _evaluating(parser: argparse.ArgumentParser) -> None:
    """The options of the commands that evaluate one scenario at a time (render, explain, trace, scenario)."""
    add_scenario_inputs(parser)
    parser.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        help="no warnings on stderr (they stay in the trace); errors are still printed",
    )
    parser.add_argument(
        "--strict", action="store_true", help="an unknown K8s plugin option is an error (exit 2), not a warning"
    )


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="podeval",
        description="The Pod Flyte would build for a task, and why every field has its value.",
        epilog="`podeval help COMMAND` (or `podeval COMMAND --help`) for a command's options; "
        "`podeval completion bash|zsh` for shell completion.",
    )
    parser.add_argument("--version", action="version", version=f"podeval {__version__}", help="print the version")
    parser.add_argument("--debug", action="store_true", help="show a traceback on errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    render = sub.add_parser(
        "render",
        help="print the Pod",
        description="Print the Pod Flyte builds for each scenario (several: YAML documents, each after a "
        "`# Source: FILE` line, or a kind: List with -o json); with --out DIR, write each to DIR/NAME.pod.yaml.",
    )
    _evaluating(render)
    render.add_argument("-o", "--output", choices=("yaml", "json"), default="yaml", help="the Pod's format")
    render.add_argument("--trace", metavar="FILE", help="also write the trace (JSON) to FILE (one scenario)")
    render.add_argument(
        "--html", metavar="FILE", help="also write a self-contained HTML provenance report to FILE (one scenario)"
    )
    render.add_argument(
        "--out",
        metavar="DIR",
        help="write each Pod to DIR/NAME.pod.yaml (a folder's subfolders kept) instead of printing it; "
        "DIR is created if its parent exists",
    )
    add_jobs_option(render, default=2, help="with --out: worker processes (default 2)")

    explain = sub.add_parser(
        "explain",
        help="the history of one field",
        description="Every candidate value of one field of the Pod, its source and rule, which one won and why.",
        epilog=PATH_SYNTAX,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _evaluating(explain)
    explain.add_argument(
        "path",
        metavar="PATH",
        help="a field path, e.g. metadata.labels.label_1 or spec.containers[name=primary].image (below)",
    )
    explain.add_argument("-o", "--output", choices=("text", "json"), default="text", help="the answer's format")
    explain.add_argument(
        "--without",
        action="append",
        default=[],
        metavar="SOURCE",
        help="what if: also show the field as it would be without this source (repeatable)",
    )

    trace = sub.add_parser("trace", help="the whole trace", description="Every event and the owner of every field.")
    _evaluating(trace)
    trace.add_argument(
        "-o",
        "--output",
        choices=("text", "json", "managed-fields"),
        default="text",
        help="managed-fields: the owners as Kubernetes metadata.managedFields (engine.render.managed_fields)",
    )

    scenario = sub.add_parser(
        "scenario",
        help="print the assembled scenario (to commit it as a golden case)",
        description="Print the scenario the inputs make, normalised (separate files and --cluster included).",
    )
    _evaluating(scenario)

    graph = sub.add_parser("graph", help="the precedence DAG of a rule pack")
    graph.add_argument("--rules", default="flyte-v1", metavar="RULES", help="the pack (default flyte-v1)")
    graph.add_argument(
        "-o", "--output", choices=("mermaid", "dot", "json"), default="mermaid", help="the graph's format"
    )
    graph.add_argument(
        "--task-type",
        metavar="NAME",
        help="the DAG of the plugin that builds this task type (ray, spark, ...): its roles and the object's steps",
    )

    from . import cli_tools  # the policy-author commands: check, test, diff

    cli_tools.register(sub)

    completion = sub.add_parser(
        "completion",
        help="print a shell completion script",
        description="Print the completion script of a shell: `source <(podeval completion bash)`, or write "
        "`podeval completion zsh` to a file named _podeval in a folder of $fpath.",
    )
    completion.add_argument("shell", metavar="SHELL", choices=("bash", "zsh"), help="bash or zsh")
    helps = sub.add_parser("help", help="help on a command", description="Print the help of a command.")
    helps.add_argument("topic", metavar="COMMAND", nargs="?", choices=sorted(sub.choices), help="the command")
    return parser


# ----------------------------------------------------------------------------------------------------------------


def _render_out(args: argparse.Namespace, files: list) -> int:
    """`podeval render SCENARIO... --out OUT`: every scenario, streamed over ``--jobs`` processes."""
    if files == ["-"]:
        raise InputError("usage", "--out writes NAME.pod.yaml for scenario files: give files, not -")
    load = scenario_loader(args, files)
    if load is not None:
        return _render_out_here(args, load)
    from .tools.batch import render_folder  # start-up: the worker pool (multiprocessing) only for folders

    load_rules(args.rules)  # a broken pack is one error here, not one per file
    summary = render_folder(
        args.scenarios, args.out, jobs=min(args.jobs, len(files)), rules=args.rules, quiet=args.quiet
    )
    return _summary(summary["files"], summary["exit_codes"], summary["seconds"])


def _render_out_here(args: argparse.Namespace, load: Any) -> int:
    """`render --out` with separate files laid over each scenario (``load``): in this process."""

    from .tools.batch import outputs  # start-up: the worker pool (multiprocessing) only for folders

    started = time.perf_counter()
    codes: dict[int, int] = {}
    for source, name in outputs(args.scenarios):
        try:
            result = evaluate(load(source), args.rules, trace=False, strict=args.strict)
            write_warnings(result, sys.stderr, quiet=args.quiet)
            target = Path(args.out) / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(dump(result.pod, "yaml"))
            code = _report_refusals(result)
        except PodevalError as error:
            sys.stderr.write(f"podeval: error[{error.code}]: {error}\n")
            code = error.exit_code
        codes[code] = codes.get(code, 0) + 1
    return _summary(sum(codes.values()), codes, time.perf_counter() - started)


def _summary(files: int, codes: dict, seconds: float) -> int:
    sys.stderr.write(
        f"podeval: {count(files, 'scenario')} in {seconds:.1f} s: "
        + ", ".join(f"{number} exit {code}" for code, number in sorted(codes.items()))
        + "\n"
    )
    return max(codes, default=0)


def _each_scenario(args: argparse.Namespace, files: list) -> int:
    """Run the command on each scenario file: one is printed as it is; several each after a `# Source: FILE`
    line (JSON: one document of them all), a file podeval cannot read or Flyte refuses reported and skipped. The
    exit code is the worst."""
    if len(files) <= 1:
        return _one(args, load_cli_scenario(args, files[0] if files else None), sys.stdout)

    worst = 0
    collected: list = []
    for source in files:
        out = io.StringIO()
        try:
            code = _one(args, load_cli_scenario(args, source), out)
        except PodevalError as error:
            sys.stderr.write(f"podeval: error[{error.code}]: {error}\n")
            code = error.exit_code
        worst = max(worst, code)
        if args.output == "json" and out.getvalue():
            collected.append((source, json.loads(out.getvalue())))
        elif out.getvalue():
            sys.stdout.write(f"---\n# Source: {source}\n{out.getvalue()}")
    if args.output == "json":
        if args.command == "render":
            data: Any = {"apiVersion": "v1", "kind": "List", "items": [value for _, value in collected]}
        else:
            data = [{"file": str(source), **value} for source, value in collected]
        sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    return worst


def run(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args, extras = parser.parse_known_args(argv)
    _intermixed(parser, args, extras)
    if args.command is None:
        sys.stdout.write(parser.format_help())
        return 0
    if args.command == "help":
        commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices
        sys.stdout.write((commands[args.topic] if args.topic else parser).format_help())
        return 0
    if args.command == "completion":
        return _completion(parser, args.shell)

    if getattr(args, "rules", "") is None:
        args.rules = default_rules(args)
    if args.command in cli_tools.COMMANDS:
        return cli_tools.run(args)
    if args.command == "graph":
        pack = load_rules(args.rules)
        if args.task_type is not None and pack.plugin_for(args.task_type) is None:
            types = [t for plugin in pack.plugins.values() for t in plugin.task_types]
            raise InputError(
                "usage",
                f"no plugin of the pack {pack.name} builds task type {args.task_type!r}",
                hint=f"plugin task types: {', '.join(types) or 'none'} (the pod plugin's DAG: leave --task-type out)",
            )
        sys.stdout.write(format_graph(pack, args.output, args.task_type))
        return 0
    if args.command == "scenario":
        args.output = "yaml"
    for option in ("trace", "html"):
        check_writable(getattr(args, option, None), f"--{option}")
    if getattr(args, "out", None):
        check_writable(args.out, "--out", folder=True)
    files = scenario_files(args.scenarios, verbose=args.verbose)
    if args.command == "render" and args.out:
        return _render_out(args, files)
    if len(files) > 1 and (getattr(args, "trace", None) or getattr(args, "html", None)):
        raise InputError("usage", "--trace and --html write the story of one scenario: give one")
    return _each_scenario(args, files)


def _intermixed(parser: argparse.ArgumentParser, args: argparse.Namespace, extras: list) -> None:
    """Positionals after options, as kubectl takes them (`explain task.yaml --cluster ... PATH`): argparse reads
    the positionals of one command in one run, so the later ones come back unrecognized; they are scenarios, and
    for `explain` the last one is the PATH."""
    if not extras:
        return
    if any(extra.startswith("-") and extra != "-" for extra in extras) or not hasattr(args, "scenarios"):
        parser.error(f"unrecognized arguments: {' '.join(extras)}")
    if args.command == "explain":
        args.scenarios += [args.path, *extras[:-1]]
        args.path = extras[-1]
    else:
        args.scenarios += extras


def _completion(parser: argparse.ArgumentParser, shell: str) -> int:
    """The completion script of ``shell``, by shtab; options whose metavar is a file or folder complete paths."""
    import shtab  # only for this command: start-up time of the others

    def mark(actions: list) -> None:
        for action in actions:
            if action.metavar in ("FILE", "SCENARIO", "RULES"):
                action.complete = shtab.FILE  # type: ignore[attr-defined]
            elif action.metavar == "DIR":
                action.complete = shtab.DIRECTORY  # type: ignore[attr-defined]
            if isinstance(action, argparse._SubParsersAction):
                for sub in action.choices.values():
                    mark(sub._actions)

    mark(parser._actions)
    sys.stdout.write(shtab.complete(parser, shell=shell) + "\n")
    return 0


def _one(args: argparse.Namespace, scenario: Any, out: Any) -> int:
    """The command on one scenario, its output written to ``out``; the exit code."""
    if args.command == "scenario":
        out.write(dump(scenario.data, "yaml"))
        return 0

    # the trace costs time: `render` records it only when it writes it (warnings are recorded either way)
    tracing = args.command != "render" or bool(args.trace or args.html)
    result = evaluate(scenario, args.rules, trace=tracing, strict=args.strict)

    write_warnings(result, sys.stderr, quiet=args.quiet)  # once, for render, explain and trace alike
    if args.command == "render":
        out.write(dump(result.pod, args.output))
        if args.trace:
            Path(args.trace).write_text(json.dumps(result.trace.to_dict(), indent=2, ensure_ascii=False) + "\n")
        if args.html:
            from .render.report_html import render_report  # start-up: the HTML report only with --html

            Path(args.html).write_text(render_report(result, result.rules), encoding="utf-8")
        return _report_refusals(result)
    if args.command == "explain":
        _explain(args, scenario, result, out)
        return _report_refusals(result)
    if args.output == "managed-fields":
        from .render.managed_fields import format_managed_fields  # start-up: only for -o managed-fields

        out.write(format_managed_fields(result))
        return _report_refusals(result)
    data = result.trace.to_dict()
    if args.output == "json":
        out.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    else:
        lines = [f"rules {data['rules']['name']} {data['rules']['digest']}", "sources:"]
        lines += [f"  {s['id']}: {s['origin']}" for s in data["sources"]]
        lines.append("events:")
        lines += ["  " + format_event(e) for e in data["events"]]
        lines.append("owners:")
        lines += [f"  {path}: {owner}" for path, owner in data["owners"].items()]
        out.write("\n".join(lines) + "\n")
    return _report_refusals(result)


def _explain(args: argparse.Namespace, scenario: Any, result: Any, out: Any) -> None:
    """`podeval explain`: the path as typed resolved against the Pod (``containers[0]`` is the key of that item,
    said in a note), then the field's story; a path that addresses nothing is exit 2 with the nearest paths."""

    try:
        target, notes = user_paths.resolve(result.pod, args.path)
    except ValueError as exc:
        raise InputError("invalid_path", str(exc), hint="e.g. spec.containers[name=primary].image") from None
    explanation = result.trace.explain(target)
    if not user_paths.addresses_something(result.pod, target, explanation["candidates"]):
        near = user_paths.nearest(result.pod, paths.render(target))
        raise InputError(
            "unknown_path",
            f"{args.path} addresses nothing in the Pod"
            + (f"; the nearest paths it has: {', '.join(near)}" if near else ""),
            hint="see `podeval explain --help` for the path syntax",
        )
    if args.without:
        text = format_what_if(scenario, args.rules, paths.render(target), args.without, args.output, actual=result)
        out.write("".join(f"note: {note}\n" for note in notes) if args.output == "text" else "")
        out.write(text)
        return
    if args.output == "json":
        if notes:
            explanation = {**explanation, "asked": args.path, "notes": notes}
        out.write(json.dumps(explanation, indent=2, ensure_ascii=False) + "\n")
    else:
        out.write("".join(f"note: {note}\n" for note in notes) + format_explain(explanation))


def _report_refusals(result: Any) -> int:
    """The API server's objections to the Pod printed (contract §5, exit 3): one line each on stderr."""
    for problem in result.problems:
        sys.stderr.write(f"podeval: error[{problem.code}]: {problem}\n")
    return 3 if result.problems else 0


def main(argv: Sequence[str] | None = None) -> int:
    debug = "--debug" in (argv if argv is not None else sys.argv[1:])
    try:
        return run(argv)
    except SystemExit as done:  # --help and --version: printed, exit 0
        return done.code if isinstance(done.code, int) else 0
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


def console() -> NoReturn:
    """The ``podeval`` executable (and ``python -m engine``): ``main``, then exit.

    Before exiting, every object is moved to the collector's permanent generation (``gc.freeze``): the interpreter's
    final collection then has nothing to traverse. Its walk over every object the imports made (code, functions,
    schema tables) took some 7 ms of a cold ``podeval render``'s 100 (benchmarks/RESULTS.md, "fifth pass: cold
    start"); the process is ending, so nothing it would free matters. Output is already written and ``atexit``
    handlers still run.
    ``main`` itself leaves the collector alone: tests and tools call it many times in one process."""
    code = main()
    gc.freeze()
    sys.exit(code)


if __name__ == "__main__":  # pragma: no cover
    console()
