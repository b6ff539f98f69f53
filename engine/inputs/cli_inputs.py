"""The command line's inputs: a scenario file, or the separate files a user already has (``--task``,
``--task-template``, ``--flytekit``, ``--pod-templates``, ``--propeller-config``, ``--cluster``, ``-n``), read into
one scenario with the origin of each part, so that a problem in any file is reported at its file:line:col.

Each kind of file is read by the module that owns its format (engine.inputs.propeller_config, engine.inputs.task_template,
engine.inputs.podtemplate_files, engine.inputs.cluster, engine.inputs.flytekit_source); this module only puts the parts together.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..documents.yamlio import load_documents, read_input
from ..errors import InputError
from ..pack.rules import load_rules
from .propeller_config import load
from .scenario import load_scenario

if TYPE_CHECKING:
    from .task_template_files import TemplateFile


def read_yaml_documents(path: str) -> list:
    """The documents of a YAML file (``-`` for stdin), each a ``yamlio.Document`` (values and positions)."""
    return load_documents(read_input(path), path)


def read_yaml_file(path: str) -> Any:
    documents = [d.value for d in read_yaml_documents(path)]
    return documents[0] if len(documents) == 1 else documents


def read_propeller_config(paths: list, rules: Any, configmap: str | None = None) -> Any:
    """FlytePropeller's config files given on the command line, loaded as FlytePropeller loads them
    (``engine.inputs.propeller_config``): an ``engine.inputs.propeller_config.Loaded``."""
    from .config_files import read_files  # start-up: only with --propeller-config or --cluster

    pack = load_rules(rules)
    return load(read_files(list(paths), configmap=configmap, pack=pack, read=read_input), pack)


#: what ``load_cli_scenario`` reads of the command line besides the scenario, with the value a flag has when not
#: given (``engine/cli_args.py`` declares the flags; ``scenario_from_parts`` gives the same inputs from Python)
PART_DEFAULTS: dict[str, Any] = {
    "rules": None,  # default_rules
    "verbose": False,
    "task": None,
    "task_template": None,
    "task_name": None,
    "flytekit": None,
    "flyte_sdk": None,
    "image": None,
    "pod_templates": [],
    "propeller_config": [],
    "propeller_configmap": None,
    "namespace": None,
    "propeller_namespace": None,
    "array_index": None,
    "cluster": False,
    "context": None,
    "kubeconfig": None,
}


def default_rules(args: argparse.Namespace) -> str:
    """The pack a command evaluates with when ``--rules`` is not given: flyte-v2 for a flyte-sdk task (Flyte 2's
    SDK, which only Flyte 2 runs) and for a Flyte 2 task spec given with ``--task-template`` (flyteidl2's, as the
    reader tells it: ``task_template_files.TemplateFile.idl``), flyte-v1 otherwise."""
    if getattr(args, "flyte_sdk", None):
        return "flyte-v2"
    if getattr(args, "task_template", None) and not (getattr(args, "task", None) or getattr(args, "flytekit", None)):
        return "flyte-v2" if read_task_template(args).idl == "flyteidl2" else "flyte-v1"
    return "flyte-v1"


def read_task_template(args: argparse.Namespace) -> TemplateFile:
    """``--task-template FILE`` (``task_template_files.read_template_file``). Read twice in a command (for the default
    pack, then for the scenario): stdin's bytes are kept on ``args`` the first time, as stdin can be read once."""
    data = None
    if args.task_template == "-":
        data = getattr(args, "task_template_stdin", None)
        if data is None:
            data = args.task_template_stdin = read_input("-")
    from .task_template_files import read_template_file  # start-up: only with --task-template

    return read_template_file(args.task_template, getattr(args, "task_name", None), data)


def scenario_from_parts(scenario: Any = None, **parts: Any) -> Any:
    """The scenario the command line would give for the scenario ``scenario`` (a path, or a dict) and these flags, by
    their option names with ``_`` for ``-`` (``task_template="task.pb"``, ``pod_templates=["dump.yaml"]``);
    ``flytekit`` and ``flyte_sdk`` also take the task object."""
    unknown = sorted(set(parts) - set(PART_DEFAULTS))
    if unknown:
        raise TypeError(f"unknown scenario part {unknown[0]!r}; the parts are {', '.join(sorted(PART_DEFAULTS))}")
    values = {**PART_DEFAULTS, **{key: value for key, value in parts.items() if value is not None}}
    for key in ("pod_templates", "propeller_config"):
        if isinstance(values[key], (str, Path)):
            values[key] = [values[key]]
        values[key] = [str(path) for path in values[key]]
    args = argparse.Namespace(**values)
    args.rules = args.rules or default_rules(args)
    return load_cli_scenario(args, scenario)


def load_cli_scenario(args: argparse.Namespace, source: str | Path | dict | None = None) -> Any:
    """The scenario the command line gives: the scenario file ``source`` (a path, ``-`` for stdin, or None; from
    Python also a dict), with the separate files laid over it. A path is always read as a file, never as YAML
    text."""
    if isinstance(source, str) and source != "-":
        source = Path(source)
    parts = any(
        (
            args.task,
            args.pod_templates,
            args.propeller_config,
            args.namespace,
            args.propeller_namespace,
            args.array_index is not None,
            args.cluster,
            args.flytekit,
            getattr(args, "flyte_sdk", None),
            args.task_template,
        )
    )
    _check_usage(args, parts, source)
    if not parts:
        return load_scenario(source)
    base: dict = {}
    # where each part came from, so that a problem in any of the files is reported at its file:line:col
    origins: dict = {}
    if source is not None:
        scenario = load_scenario(source)
        base = dict(scenario.data)
        if scenario.document is not None:
            origins.update({(key,): (scenario.filename, scenario.document, (key,)) for key in base})
    if args.flytekit:
        from .flytekit_source import scenario_from_flytekit  # flytekit is an optional extra, and slow to import

        base["task"] = scenario_from_flytekit(args.flytekit, image=args.image)["task"]
        origins.pop(("task",), None)
    if getattr(args, "flyte_sdk", None):
        from .flyte_sdk_source import scenario_from_flyte_sdk  # flyte-sdk is an optional extra

        base["task"] = scenario_from_flyte_sdk(args.flyte_sdk, image=args.image)["task"]
        origins.pop(("task",), None)
    if args.task_template:
        template, document, where, _ = read_task_template(args)
        base["task"] = {"template": template}
        origins.pop(("task",), None)
        origins[("task", "template")] = (args.task_template, document, where)
    loaded_config: list = []  # how propeller.config was read (engine.inputs.propeller_config.Loaded)
    if args.cluster:
        _add_cluster(args, base, origins, loaded_config)
    if args.task:
        _add_task_file(args.task, base, origins)
    if args.pod_templates:
        _add_pod_templates(args.pod_templates, base, origins, verbose=getattr(args, "verbose", False))
    if args.propeller_config:
        loaded = read_propeller_config(args.propeller_config, args.rules, args.propeller_configmap)
        base.setdefault("propeller", {})["config"] = loaded.document()
        origins.pop(("propeller", "config"), None)
        origins.update(loaded.scenario_origins())
        loaded_config[:] = [loaded]
    if args.propeller_namespace:
        base.setdefault("propeller", {})["namespace"] = args.propeller_namespace
    if args.namespace:
        base.setdefault("execution", {})["namespace"] = args.namespace
    if args.array_index is not None:
        base.setdefault("execution", {})["arrayIndex"] = args.array_index
    scenario = load_scenario(base, origins=origins)
    if loaded_config:
        scenario.config_origin = loaded_config[-1]
    return scenario


def load_corpus_entry(args: argparse.Namespace, source: str | Path) -> Any:
    """A file of a corpus (``podeval migrate-report``): a scenario, or a registered task (a TaskTemplate file, as
    ``--task-template`` reads it), with the separate files of ``args`` laid over it."""
    from .task_template_files import is_registered_task  # start-up: only for corpus commands

    if is_registered_task(source):
        return load_cli_scenario(argparse.Namespace(**{**vars(args), "task_template": str(source), "task_name": None}))
    return load_cli_scenario(args, source)


def _check_usage(args: argparse.Namespace, parts: bool, source: Any) -> None:
    given = [
        option
        for option, value in (
            ("--task", args.task),
            ("--task-template", args.task_template),
            ("--flytekit", args.flytekit),
            ("--flyte-sdk", getattr(args, "flyte_sdk", None)),
        )
        if value
    ]
    if len(given) > 1:
        raise InputError("usage", f"{' and '.join(given)} both give the task: give one")
    if args.task_name and not args.task_template:
        raise InputError(
            "usage",
            "--task-name picks a task of --task-template FILE: give the file",
            hint="podeval render --task-template flyte-package.tgz --task-name my_pkg.train.fit",
        )
    if source is None and not parts:
        raise InputError(
            "usage",
            "give a scenario file (or - for stdin), or --task and friends",
            hint="podeval render examples/flyte-docs/example-3.yaml",
        )


def _add_cluster(args: argparse.Namespace, base: dict, origins: dict, loaded_config: list) -> None:
    """The execution namespace's PodTemplates and FlytePropeller's config, read from a live cluster."""
    from .cluster import read_cluster  # the kubernetes client is slow to import: only for --cluster

    namespace = args.namespace or (base.get("execution") or {}).get("namespace")
    live = read_cluster(
        namespace=namespace,
        kubeconfig=args.kubeconfig,
        context=args.context,
        propeller_namespace=args.propeller_namespace or (base.get("propeller") or {}).get("namespace") or "flyte",
        propeller_configmap=args.propeller_configmap or "flyte-propeller-config",
        rules=args.rules,
        on_config=loaded_config.append,
    )
    base.setdefault("execution", {}).update(live.get("execution") or {})
    base.setdefault("propeller", {}).update(live.get("propeller") or {})
    base["podTemplates"] = live.get("podTemplates") or []
    if live.get("cluster"):
        base["cluster"] = live["cluster"]
    for key in ("execution", "propeller", "podTemplates"):
        origins.pop((key,), None)
    if loaded_config:  # each option and executor key at its ConfigMap key's line
        origins.update(loaded_config[-1].scenario_origins())


def _add_task_file(path: str, base: dict, origins: dict) -> None:
    """``--task FILE``: the task, or a scenario-shaped file whose task (and execution, ...) are taken."""
    [document] = read_yaml_documents(path)[:1] or [None]
    task = document.value if document is not None else None
    if task is None:
        raise InputError(
            "empty_scenario",
            f"{path} is empty: --task needs the task (or a scenario with one)",
            file=path,
            hint="e.g. container: {image: my-image:1}",
        )
    if isinstance(task, dict) and "task" in task:
        for key, value in task.items():
            base[key] = value
            origins[(key,)] = (path, document, (key,))
    else:
        base["task"] = task
        origins[("task",)] = (path, document, ())


def _add_pod_templates(paths: list, base: dict, origins: dict, *, verbose: bool) -> None:
    """``--pod-templates FILE...``: every PodTemplate of the files, after those the scenario has."""
    templates: list = list(base.get("podTemplates") or [])
    origins.pop(("podTemplates",), None)
    from .podtemplate_files import read_pod_template_file  # start-up: only with --pod-templates

    for path in paths:
        found = read_pod_template_file(path, read_yaml_documents(path))
        for item, document, where in found.items:
            origins[("podTemplates", len(templates))] = (path, document, where)
            templates.append(item)
        if verbose:
            sys.stderr.write(f"podeval: --pod-templates {path}: {found.summary()}\n")
    base["podTemplates"] = templates
