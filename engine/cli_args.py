"""What every ``podeval`` command that reads scenarios shares: the SCENARIO arguments and the separate-file flags
(one argument group, ``add_scenario_inputs``), the one file selection (``scenario_files``), the loader of a
command's inputs (``scenario_loader``), and the check that an output file can be written before anything is
printed (``check_writable``). ``engine.cli`` (render, explain, trace ...) and ``engine.cli_tools`` (check, test,
diff, migrate-report) both declare their arguments with it.
"""

from __future__ import annotations

import argparse
import errno
import functools
import os
import sys
from collections.abc import Callable
from pathlib import Path

from .errors import InputError
from .inputs.cli_inputs import load_cli_scenario
from .inputs.scenario_files import corpus_files

RULES_HELP = (
    "a shipped rule pack name or a pack folder (default flyte-v1; flyte-v2 with --flyte-sdk or a Flyte 2 task spec "
    "as --task-template)"
)
SCENARIO_HELP = (
    "scenario files, or folders of them (walked recursively: *.yaml, *.yml, *.json; hidden files and the goldens "
    "*.pod.yaml, *.error.yaml skipped), or - for stdin"
)


def add_scenario_inputs(
    parser: argparse.ArgumentParser, *, nargs: str = "*", parts: bool = True, sides: bool = False, rules: bool = True
) -> None:
    """The arguments of every command that reads scenarios: SCENARIO..., --rules, -v, and (``parts``) the group
    that builds a scenario from separate files, laid over each scenario given. ``sides`` (``diff``): --rules,
    --propeller-config and --pod-templates given twice are the old and the new side. ``rules=False``: the command
    names its packs itself (``migrate-report --from --to``)."""
    parser.add_argument("scenarios", nargs=nargs, metavar="SCENARIO", help=SCENARIO_HELP)
    if rules and sides:
        parser.add_argument(
            "--rules",
            action="append",
            default=[],
            metavar="RULES",
            help="twice: the old and the new pack; once: the pack of both sides (default flyte-v1; flyte-v2 with "
            "--flyte-sdk or a Flyte 2 task spec as --task-template)",
        )
    elif rules:
        parser.add_argument("--rules", default=None, metavar="RULES", help=RULES_HELP)  # default: default_rules
    parser.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="say which files of a folder were skipped and what was read from each input file "
        "(e.g. the PodTemplates taken and ignored)",
    )
    if parts:
        _add_parts(parser, sides)


def _add_parts(parser: argparse.ArgumentParser, sides: bool) -> None:
    parts = parser.add_argument_group(
        "build the scenario from separate files (laid over each SCENARIO given, or the whole scenario without one)"
    )
    parts.add_argument("--task", metavar="FILE", help="a file with the scenario's task section")
    parts.add_argument(
        "--task-template",
        metavar="FILE",
        help="the registered task: a flyteidl TaskTemplate (JSON/YAML, flytectl get task -o yaml, "
        "pyflyte's .pb or package .tgz; needs podeval[flyteidl]), or a Flyte 2 task spec (flyteidl2 TaskSpec, "
        "TaskDetails or TaskTemplate; podeval[flyte-sdk]), which renders with flyte-v2 unless --rules says otherwise",
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
        help=(
            "twice: the old and the new PodTemplates, replacing the scenarios' podTemplates; once: for both sides. "
            if sides
            else ""
        )
        + "PodTemplates: one object, a kind: List (kubectl -o yaml), or several documents "
        "(helm template); objects of other kinds and empty documents are skipped",
    )
    parts.add_argument(
        "--propeller-config",
        metavar="FILE",
        action="append",
        default=[],
        help=(
            "twice: the old and the new FlytePropeller config, replacing the scenarios' propeller.config; once: "
            "for both sides. "
            if sides
            else ""
        )
        + "FlytePropeller's config: a config file (plugins: k8s: ...), its ConfigMap, or a "
        "manifest holding it (helm template, kubectl get -o yaml)"
        + ("" if sides else "; repeat it for several files, merged in the order given"),
    )
    parts.add_argument("-n", "--namespace", metavar="NAMESPACE", help="the execution namespace")
    parts.add_argument(
        "--propeller-namespace", metavar="NAMESPACE", help="the namespace FlytePropeller runs in (default flyte)"
    )
    parts.add_argument(
        "--array-index",
        metavar="N",
        type=_array_index,
        help="a map task: the Pod of subtask N (execution.arrayIndex): an ArrayNode subnode, or a container_array "
        "task's subtask (the legacy k8s-array plugin)",
    )
    live = parser.add_argument_group("read the inputs where they live")
    live.add_argument(
        "--cluster",
        action="store_true",
        help="read the runtime PodTemplates and FlytePropeller's config from the cluster (read-only)",
    )
    live.add_argument("--context", metavar="CONTEXT", help="the kubeconfig context (default: the current one)")
    live.add_argument(
        "--kubeconfig", metavar="FILE", help="the kubeconfig file (default: $KUBECONFIG or ~/.kube/config)"
    )
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
    live.add_argument(
        "--flyte-sdk",
        metavar="MODULE:TASK",
        help="serialize this flyte-sdk (Flyte 2) task with flyte-sdk itself; renders with flyte-v2 unless --rules "
        "says otherwise (needs podeval[flyte-sdk])",
    )
    live.add_argument(
        "--image",
        metavar="IMAGE",
        help="with --flytekit: the task image, as pyflyte's --image; with --flyte-sdk: the image flyte deploy "
        "resolved for the task's environment",
    )


def scenario_files(
    inputs: list, *, verbose: bool = False, what: str = "scenario", code: str = "no_scenarios", tasks: bool = False
) -> list:
    """The scenario files of the SCENARIO arguments, by the one file selection of every command
    (``engine.inputs.scenario_files.corpus_files``): ``["-"]`` for stdin, an empty list for none. A path that does not exist
    is exit 2 naming it; with ``verbose``, each file of a folder that is not taken is said on stderr. ``tasks``: a
    registered task's file is taken too (``migrate-report``)."""
    if "-" in inputs:
        if len(inputs) > 1:
            raise InputError("usage", "- (stdin) is the only SCENARIO when given", hint="give - alone, or files")
        return ["-"]
    for entry in inputs:
        if not os.path.exists(entry):
            raise InputError(
                "unreadable",
                f"cannot read {entry}: {os.strerror(errno.ENOENT)}",
                file=str(entry),
                hint=f"check the path; a {what} is a file or a folder of them",
            )

    def skipped(path: Path, why: str) -> None:
        if verbose:
            sys.stderr.write(f"podeval: skipped {path}: {why}\n")

    files = list(corpus_files(inputs, skipped, tasks=tasks))
    if inputs and not files:
        raise InputError(
            code,
            f"no {what} found in {', '.join(map(str, inputs))}",
            hint="a scenario is a .yaml, .yml or .json file (-v names the files skipped)",
        )
    return files


def _array_index(text: str) -> int:
    """--array-index: a whole number, 0 or more (argparse reports the ValueError as a usage error, exit 2)."""
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"expected a whole number (0 or more), got {text!r}")
    return int(text)


#: the separate-file options (argparse dests) that change a scenario
PART_OPTIONS = (
    "task",
    "task_template",
    "flytekit",
    "flyte_sdk",
    "pod_templates",
    "propeller_config",
    "namespace",
    "propeller_namespace",
    "array_index",
    "cluster",
)


def scenario_loader(args: argparse.Namespace, files: list, *, sides: bool = False) -> Callable | None:
    """How each scenario file is read when separate files are given: ``load(path) -> Scenario`` with them laid
    over it (``engine.inputs.cli_inputs.load_cli_scenario``; a ``functools.partial``, so that worker processes get
    it too; they read the separate files again); None when none is given. ``sides``: --propeller-config and
    --pod-templates are ``diff``'s sides, not layers."""

    options = [o for o in PART_OPTIONS if not (sides and o in ("pod_templates", "propeller_config"))]
    if not any(getattr(args, option, None) not in (None, False, []) for option in options):  # --array-index 0 counts
        return None
    stdin = [o for o in ("task", "task_template") if getattr(args, o) == "-"]
    stdin += [o for o in ("pod_templates", "propeller_config") if "-" in getattr(args, o) and o in options]
    if stdin and len(files) > 1:
        option = "--" + stdin[0].replace("_", "-")
        raise InputError("usage", f"{option} - (stdin) can be read for one scenario only: give a file")
    layered = argparse.Namespace(**vars(args))
    if sides:
        layered.pod_templates, layered.propeller_config = [], []
        layered.rules = args.rules[0] if args.rules else "flyte-v1"
    return functools.partial(load_cli_scenario, layered)


def check_writable(path: str | None, option: str, *, folder: bool = False) -> None:
    """Exit 2, before anything is printed, when ``path`` (the value of ``option``) cannot be written: its folder is
    missing or not a folder, it is a folder (or, for ``folder``, a file), or it may not be written. A missing
    ``folder`` whose parent exists is created."""
    if path is None:
        return
    target = Path(path)
    parent = target.parent
    reason = None
    if not parent.exists():
        reason = errno.ENOENT
    elif not parent.is_dir() or (folder and target.exists() and not target.is_dir()):
        reason = errno.ENOTDIR
    elif not folder and target.is_dir():
        reason = errno.EISDIR
    elif not os.access(target if target.exists() else parent, os.W_OK):
        reason = errno.EACCES
    if reason is None and folder and not target.exists():
        try:
            target.mkdir()
        except OSError as exc:
            reason = exc.errno
    if reason is not None:
        where = f" ({parent} does not exist)" if reason == errno.ENOENT else ""
        raise InputError(
            "unwritable",
            f"cannot write {option} {path}: {os.strerror(reason)}{where}",
            file=str(path),
            hint="give a path in an existing folder you may write to",
        )


def _jobs(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number of processes, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"at least 1 process, got {value}")
    return value


def add_jobs_option(
    parser: argparse.ArgumentParser,
    *,
    default: int = 1,
    help: str = "worker processes (default 1); the output is the same for every N",
) -> None:
    """``-j/--jobs N`` of the commands that go over a corpus (render DIR --out, test, diff, migrate-report): a whole
    number of worker processes, at least 1 (argparse refuses anything else, exit 2)."""
    parser.add_argument("-j", "--jobs", type=_jobs, default=default, metavar="N", help=help)
