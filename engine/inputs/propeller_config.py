"""FlytePropeller's configuration, read as FlytePropeller reads it: config files merged by viper, key case as
viper and flytestdlib leave it, each option's origin remembered.

FlytePropeller (and flyte-binary) starts with ``--config /etc/flyte/config/*``: every file of the mounted ConfigMap.
flytestdlib reads them as follows (``config/files/finder.go`` ``FindConfigFiles``: ``filepath.Glob``, which sorts
names; ``config/viper/collection.go`` ``MergeAllConfigs``: one ``viper.MergeConfig`` per file, in that order):

1. viper decodes each file and lowercases every map key (``insensitiviseMap``; viper 1.21 also inside lists,
   ``insensitiveArray``; viper 1.11 does not go into lists);
2. viper merges the file into what it has (``mergeMaps``): maps key by key, anything else replaced by the later
   file -- except that a map is never replaced by a value that is not a map (viper logs "Could not cast" and keeps
   the map);
3. ``AllSettings`` rebuilds the tree from the leaf keys joined and split on dots (``getSettings``): a key holding a
   dot (``example.com/name``) becomes nested maps, an empty map or a null disappears;
4. flytestdlib's ``parseViperConfig`` (flyte#7013, #7369; 89cf9cc) then reads every file again with yaml.v3 and,
   file after file, puts back the lists as written (``restoreCaseSensitiveArrayKeys``: a list in the merged tree is
   replaced by the value of that key in the file, whatever its type) and the dotted keys as written
   (``restoreDottedMapKeys``: the nested maps are pruned, the key and its raw value put back);
5. mapstructure decodes the ``plugins.k8s`` map into the K8s plugin's config struct, matching field names without
   regard to case (``ErrorUnused`` is FlytePropeller's strict mode, off: unknown keys are ignored). Flyte 2's
   executor decodes its own section, ``executor`` (executor/pkg/config/config.go at 6fadb90, a flytestdlib section of
   the same config), the same way.

Which of these steps a Flyte version has is a setting of the rule pack (``loader`` in ``plugin-config.yaml``), not
code here. ``load`` does all of it for a list of files and returns the ``plugins.k8s`` section (and the other
plugins' sections, and Flyte 2's ``executor`` section), where each option came from, and what the user should be
told (keys whose case FlytePropeller changes, values viper ignores); ``Loaded.document`` is them as the scenario's
``propeller.config``, which the scenario reads as it reads a whole config document written in it.
``engine.inputs.config_files.read_files`` turns the files a user has (a config file, a ConfigMap, a ``helm template`` manifest, a
``kubectl get -o yaml`` List) into that list of files. This module owns those two and the options' provenance for
the evaluation; steps 1-5 themselves are ``viper``'s, a file and the positions in it ``config_positions``'.
"""

from __future__ import annotations

from typing import Any

from ..documents.yamlio import format_path
from ..errors import InputError
from ..k8s import k8s_schema
from ..pack.plugin_options import NOT_DECODED, Loader, weakly_decoded
from .config_positions import ConfigFile, OptionDocument, Warning_, Where
from .scenario_shape import EXECUTOR_SECTION, SCENARIO_SHAPE, raw_path
from .viper import case_warnings, option_type, struct_case, viper_settings


class Loaded:
    """FlytePropeller's ``plugins.k8s`` section after loading, and where each option came from."""

    def __init__(
        self,
        k8s: dict,
        files: list[ConfigFile],
        origins: dict[str, list[ConfigFile]] | None = None,
        warnings: list[Warning_] | None = None,
        plugins: dict | None = None,
        executor: dict | None = None,
        executor_origins: dict[str, list[ConfigFile]] | None = None,
        sections: dict | None = None,
        section_origins: dict | None = None,
    ) -> None:
        self.k8s = k8s
        self.files = files
        #: option name (as FlytePropeller holds it) -> the files that set it, the deciding one last
        self.origins = {} if origins is None else origins
        self.warnings = [] if warnings is None else warnings
        #: the other plugins' sections (``plugins.ray`` ...), as viper holds them (keys lowercased)
        self.plugins = {} if plugins is None else plugins
        #: Flyte 2's ``executor`` section, its keys the struct's (``defaultK8sServiceAccount``), as mapstructure
        #: matches them without regard to case; and the files that set each key, the deciding one last
        self.executor = {} if executor is None else executor
        self.executor_origins = {} if executor_origins is None else executor_origins
        #: flytestdlib's own sections that the pack reads (``storage``, ``logger``: co-pilot's command line), their
        #: keys as flytestdlib's structs spell them; and, per section, the files behind each key
        self.sections = {} if sections is None else sections
        self.section_origins = {} if section_origins is None else section_origins

    def document(self) -> dict:
        """The scenario's ``propeller.config``: the ``plugins.k8s`` section alone, or, when the files have other
        plugins' sections, an ``executor`` section or ``storage``/``logger`` sections, the whole config document
        (the scenario lifts them: ``scenario_normalise.lift_config_sections``)."""
        if not self.plugins and not self.executor and not self.sections:
            return self.k8s
        return {
            "plugins": {"k8s": self.k8s, **self.plugins},
            **({"executor": self.executor} if self.executor else {}),
            **self.sections,
        }

    def option_where(self, option: str) -> Where | None:
        files = self.origins.get(option)
        return files[-1].where(("plugins", "k8s", option)) if files else None

    def scenario_origins(self, prefix: tuple = ("propeller", "config")) -> dict:
        """``load_scenario`` origins: each option's part of the scenario -> its file, located below the option; each
        key of the executor section (``propeller.config.executor.<key>`` as the scenario has it) the same way."""
        origins = {}
        parts = [(("plugins", "k8s", option), (option,), files) for option, files in self.origins.items()]
        parts += [(("executor", key), ("executor", key), files) for key, files in self.executor_origins.items()]
        parts += [
            ((section, key), (section, key), files)
            for section, keys in self.section_origins.items()
            for key, files in keys.items()
        ]
        for tree_path, scenario_path, files in parts:
            last = files[-1]
            where = last.where(tree_path)
            # positions inside a key's text (a ConfigMap read from the cluster) name the key with the file
            name = (
                " ".join(
                    p
                    for p in (last.filename, f"ConfigMap {last.configmap}" if last.configmap else None, where.key)
                    if p
                )
                if where.relative
                else last.filename
            )
            origins[prefix + scenario_path] = (name, OptionDocument(last, tree_path), ())
        return origins

    def value_where(self, place: tuple) -> str | None:
        """Where the value at ``place``, a path of the scenario below an option (``propeller.config.<option>...``)
        or an executor key (``propeller.executor.<key>...``), was written: the file (and ConfigMap key) and
        line:column, as text; None when no file read has it."""
        if len(place) < 3:
            return None
        if place[:2] == ("propeller", "config"):
            files, tree_path = self.origins.get(place[2]), ("plugins", "k8s", *place[2:])
        elif place[:2] == ("propeller", "executor"):
            files, tree_path = self.executor_origins.get(place[2]), ("executor", *place[2:])
        elif place[1] in self.section_origins:
            files, tree_path = self.section_origins[place[1]].get(place[2]), place[1:]
        else:
            return None
        return (files[-1].where(tree_path, key=False).text() or None) if files else None

    def describe(self) -> dict:
        """Where each option came from, as text (the trace's ``sources`` entry)."""
        return {
            option: "; ".join(f.where(("plugins", "k8s", option)).text() for f in files)
            for option, files in self.origins.items()
        }


def load(files: list[ConfigFile], pack: Any = None) -> Loaded:
    """The ``plugins.k8s`` section FlytePropeller holds after loading ``files`` in order, with each option's
    origin and the warnings about keys FlytePropeller reads differently from how they are written."""
    loader = Loader.from_pack(pack)
    options = getattr(pack, "options", None) or {}
    loaded = Loaded({}, list(files))
    origins: dict[str, list[ConfigFile]] = {}
    executor_origins: dict[str, list[ConfigFile]] = {}
    section_origins: dict[str, dict[str, list[ConfigFile]]] = {name: {} for name in STDLIB_SECTIONS}

    def noter(file: ConfigFile):
        def note(path: tuple, kind: str, value: Any) -> None:
            if path[:1] == ("executor",):
                _note_section(executor_origins, file, path[1:], kind, value)
                return
            if path[:1] and path[0] in section_origins:
                _note_section(section_origins[path[0]], file, path[1:], kind, value)
                return
            if path[:2] != ("plugins", "k8s")[: len(path[:2])]:
                return
            if kind == "ignored":
                loaded.warnings.append(
                    Warning_(
                        f"FlytePropeller ignores this value: an earlier file sets {format_path(path)} to a mapping, "
                        'and viper never replaces a mapping with a value that is not one (mergeMaps: "Could not '
                        'cast")',
                        file.where(path),
                        path,
                        hint="give a mapping, or remove the key from the earlier file",
                    )
                )
                return
            if len(path) < 3:  # the whole plugins (or plugins.k8s) mapping: every option in it
                section = value.get("k8s") if len(path) == 1 and isinstance(value, dict) else value
                for option in section if isinstance(section, dict) and kind == "set" else ():
                    origins[option] = [file]
                return
            contributors = origins.setdefault(path[2], [])
            if len(path) == 3:  # the option's whole value: set by this file, or put back as this file has it
                contributors.clear()
            if file in contributors:
                contributors.remove(file)
            contributors.append(file)

        return note

    for file in files:
        if isinstance(file.tree(), dict):
            case_warnings(file, options, loader, loaded.warnings)
    fatal = [w for w in loaded.warnings if w.fatal]
    if fatal:
        raise InputError(
            "invalid_type",
            fatal[0].message,
            file=fatal[0].where.file,
            line=fatal[0].where.line,
            column=fatal[0].where.column,
            hint=fatal[0].hint,
            path=format_path(("propeller", "config") + fatal[0].path[2:]),
        )
    settings = viper_settings([f.tree() for f in files], loader, [noter(f) for f in files])
    plugins = settings.get("plugins")
    k8s = plugins.get("k8s") if isinstance(plugins, dict) else None
    k8s = k8s if isinstance(k8s, dict) else {}
    if isinstance(plugins, dict):
        loaded.plugins = {name: value for name, value in plugins.items() if name != "k8s" and isinstance(value, dict)}
    # mapstructure matches option names and struct fields without regard to case (decodeStructFromMap)
    loaded.k8s = {}
    for key, value in k8s.items():
        name = key if key in options else next((o for o in options if o.lower() == key.lower()), key)
        option = options.get(name)
        loaded.k8s[name] = struct_case(value, option_type(option)) if option is not None else value
        if name != key and key in origins:
            origins[name] = origins.pop(key)
    loaded.origins = {name: files_ for name, files_ in origins.items() if name in loaded.k8s and files_}
    _top_sections(loaded, settings, files, executor_origins, section_origins)
    return loaded


def _top_sections(
    loaded: Loaded, settings: dict, files: list[ConfigFile], executor_origins: dict, section_origins: dict
) -> None:
    """Flyte 2's ``executor`` section and flytestdlib's ``storage``/``logger`` sections of the merged settings into
    ``loaded``, their keys as the structs spell them, with the files behind each key."""
    executor = settings.get("executor")
    for key, value in (executor if isinstance(executor, dict) else {}).items():
        # mapstructure: the struct's field whose json name matches without regard to case; an unknown key as written
        name = struct_key(key, EXECUTOR_SECTION)
        if name not in EXECUTOR_SECTION:
            written = [f.written(("executor", key)) for f in reversed(files)]
            name = next((w[1] for w in written if len(w) == 2), key)
        loaded.executor[name] = value
        if executor_origins.get(key):
            loaded.executor_origins[name] = executor_origins[key]
    for section in STDLIB_SECTIONS:
        value = settings.get(section)
        if not isinstance(value, dict) or not value:
            continue
        shape = SCENARIO_SHAPE["propeller"][section]
        loaded.sections[section] = struct_keys(value, shape)
        loaded.section_origins[section] = {
            struct_key(key, shape): by for key, by in section_origins[section].items() if by
        }


#: flytestdlib's sections of the same config files that a pack reads: ``storage`` (storage/config.go) and ``logger``
#: (logger/config.go), for co-pilot's command line (CopilotCommandArgs)
STDLIB_SECTIONS = ("storage", "logger")


def struct_key(key: str, shape: Any) -> str:
    """viper lowercases every key; mapstructure matches it to the struct's field without regard to case: the key as
    the struct (and the scenario's shape) spells it, or as given when the struct has no such field."""
    if not isinstance(shape, dict) or key in shape:
        return key
    return next((name for name in shape if name.lower() == str(key).lower()), key)


_WEAK_SPECS = {
    "str": k8s_schema.FieldSpec(kind="string", ptr=False),
    "bool": k8s_schema.FieldSpec(kind="bool", ptr=False),
    "int": k8s_schema.FieldSpec(kind="int", ptr=False),
}


def weakly_typed(value: Any, shape: Any) -> Any:
    """A flytestdlib section as mapstructure decodes it with WeaklyTypedInput (flytestdlib/config/viper/viper.go:476 at
    89cf9cc), by the scenario's shape of it: a bool or number where a string is wanted becomes its text (``true`` ->
    ``"1"``), ``"true"`` where a bool is wanted true, and so on, a ``map`` (``map[string]string``, such as
    ``storage.stow.config``) value by value; a value it cannot convert is left for the scenario's check to refuse."""
    if isinstance(shape, dict):
        if not isinstance(value, dict):
            return value
        return {key: weakly_typed(item, shape.get(key)) for key, item in value.items()}
    if shape == "map" and isinstance(value, dict):
        return {key: weakly_typed(item, "str") for key, item in value.items()}
    spec = _WEAK_SPECS.get(shape) if isinstance(shape, str) else None
    if spec is None or value is None:
        return value
    decoded = weakly_decoded(value, spec)
    return value if decoded is NOT_DECODED else decoded


def struct_keys(value: Any, shape: Any) -> Any:
    """A section's keys as its struct spells them, through the nested structs the shape knows (a map's keys, such
    as ``stow.config``'s, stay as viper holds them)."""
    if not isinstance(value, dict) or not isinstance(shape, dict):
        return value
    return {struct_key(key, shape): struct_keys(item, shape.get(struct_key(key, shape))) for key, item in value.items()}


def _note_section(origins: dict, file: ConfigFile, path: tuple, kind: str, value: Any) -> None:
    """``file`` set ``path`` of a top-level section (``executor``): the files behind each of its keys."""
    if kind not in ("set", "restored"):
        return
    keys = list(value) if not path and isinstance(value, dict) else path[:1]  # the whole section: each key in it
    for key in keys:
        contributors = origins.setdefault(key, [])
        if len(path) <= 1:  # the key's whole value: set by this file
            contributors.clear()
        if file in contributors:
            contributors.remove(file)
        contributors.append(file)


# ----------------------------------------------------------------------------------------------------------------
# provenance, for the evaluation and its trace


def config_source(pack: Any) -> str:
    """The pack's source of FlytePropeller's config: the one whose origin is ``propeller.config``."""
    sources = getattr(pack, "sources", None) or {}
    return next((s.id for s in sources.values() if str(s.origin).startswith("propeller.config")), "k8s-plugin")


def option_where(scenario: Any, name: str) -> Where:
    """Where the option ``name`` of ``propeller.config`` was written: its key in a config file the CLI read, or in
    the scenario's file."""
    loaded = getattr(scenario, "config_origin", None)
    if loaded is not None:
        found = loaded.option_where(name)
        if found is not None:
            return found
    document = getattr(scenario, "document", None)
    if document is None:
        return Where(getattr(scenario, "filename", None))
    found = document.locate_key(raw_path(document.value, ("propeller", "config", name)))
    return Where(scenario.filename, *(found or (None, None)))


def loader_warnings(scenario: Any) -> list[tuple[tuple, str, str]]:
    """The loader's warnings about the files of ``propeller.config`` as (path in the scenario, note, where)."""
    loaded = getattr(scenario, "config_origin", None)
    if loaded is None:
        return []
    out = []
    for warning in loaded.warnings:
        path = (
            ("propeller", "config") + tuple(warning.path[2:])
            if warning.path[:2] == ("plugins", "k8s")
            else ("propeller", "config")
        )
        note = warning.message + (f" (hint: {warning.hint})" if warning.hint else "")
        out.append((path, note, warning.where.text()))
    return out


def provenance(scenario: Any, pack: Any, user: dict) -> dict | None:
    """The trace's ``sources`` entry of FlytePropeller's config: where it was read, and where each option set."""
    if not user:
        return None
    loaded = getattr(scenario, "config_origin", None)
    options = {name: option_where(scenario, name).text() or "propeller.config" for name in user}
    if loaded is not None:
        options.update({k: v for k, v in loaded.describe().items() if k in user})
        names = []
        for file in loaded.files:
            label = f"{file.filename} (ConfigMap {file.configmap})" if file.configmap else file.filename
            if label not in names:
                names.append(label)
        keys = [f.key for f in loaded.files if f.key and any(f in fs for fs in loaded.origins.values())]
        origin = ", ".join(str(n) for n in names) + (f" data[{', '.join(keys)}]" if keys else "")
    else:
        filename = getattr(scenario, "filename", None)
        origin = f"{filename} propeller.config" if filename else "propeller.config"
    return {"id": config_source(pack), "origin": origin, "options": options}


_OPTIONS_READ: dict = {}


def options_read(pack: Any) -> dict[str, list[str]]:
    """rule id -> the ``config."option"`` names its expressions read (``when``, ``select``, ``params``)."""
    key = getattr(pack, "digest", None)
    if key in _OPTIONS_READ:
        return _OPTIONS_READ[key]
    found: dict[str, list[str]] = {}
    for step in getattr(pack, "steps", None) or []:
        for entry in step.entries:
            names: list[str] = []
            expressions = [entry.when, entry.select, *entry.params.values()]
            for expression in expressions:
                parsed = getattr(getattr(expression, "compiled", None), "parsed", None)
                if isinstance(parsed, dict):
                    _config_fields(parsed, names)
            if names:
                found[entry.id] = names
    _OPTIONS_READ[key] = found
    return found


def _config_fields(node: dict, out: list) -> None:
    children = [c for c in node.get("children", []) if isinstance(c, dict)]
    if (
        node.get("type") == "subexpression"
        and len(children) >= 2
        and children[0].get("type") == "field"
        and children[0].get("value") == "config"
        and children[1].get("type") == "field"
    ):
        name = children[1].get("value")
        if name not in out:
            out.append(name)
    for child in children:
        _config_fields(child, out)
