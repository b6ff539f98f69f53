"""Where each value of an evaluation came from: the input file and line:column (or the ConfigMap key, or the cluster
object and its resourceVersion, or the rule pack's own file), for every event of the trace and every candidate of
``explain``.

One mechanism, applied when the trace is read (locating a value re-reads positions: a render that does not read the
trace does not pay for it). A value reaches the Pod through a rule of the pack, and the rule says what it reads: a
layer its ``select`` (``task.labels``, ``config."default-labels"``) or its literal ``value``; a transform its
parameters' expressions (``task.container``, ``vars.k8sPod`` and, through the variable, what the rule that set it
read), its ``origin`` and its declared ``reads``. Those parts of the inputs are the value's *roots*; the value is
looked up in them, and of the places that hold it the one whose path ends most like the field's path wins
(``task.podTemplate.podSpec.containers[0].image`` for ``spec.containers[name=primary].image``). A value no root holds
as such (built from several inputs, or rewritten by the rule) is placed at the first root the rule read; a value the
pack itself supplies (``restartPolicy: Never``, a built-in option default) at its line in the pack's files.

An event whose source is not its rule's (a merge reports the task's value winning over the template's) is placed by
the rules of its own source.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from ..documents.yamlio import load_document
from ..errors import InputError
from ..inputs import propeller_config
from ..k8s import k8s_schema, quantity
from ..k8s import paths as _paths
from ..pack.pack_chain import PackLocator, shipped_rules_dir

#: the parts of the evaluation's context that are inputs (``vars`` are followed to the rules that set them)
_INPUTS = ("task", "execution", "propeller", "podTemplates", "config", "plugin")


class Locator:
    """Places values of one evaluation in its inputs. ``context``: the evaluation's expression context (the
    scenario's sections and the effective ``config``); ``variables``: the variables the steps set."""

    def __init__(self, pack: Any, scenario: Any, context: dict, variables: dict) -> None:
        self.pack = pack
        self.scenario = scenario
        self.context = {key: context.get(key) for key in _INPUTS}
        self.variables = variables
        self.user_config = ((scenario.data.get("propeller") or {}).get("config")) or {}
        self.entries: dict[str, Any] = {}
        self.setters: dict[str, list] = {}
        #: the plugin that builds the task (None: the pod plugin): its rules and its config section are inputs too
        self.plugin = pack.plugin_for((scenario.data.get("task") or {}).get("type"))
        for step in [*pack.steps, *_plugin_steps(self.plugin)]:
            for entry in step.entries:
                self.entries.setdefault(entry.id, entry)
                if entry.kind == "transform":
                    for name in entry.transform.variables_set(entry.params):
                        self.setters.setdefault(name, []).append(entry)
        self._roots: dict[tuple, list] = {}
        self._walks: dict[tuple, list] = {}
        self._texts: dict[tuple, str | None] = {}

    # -- the answer ---------------------------------------------------------------------------------------------
    def where(self, source: str | None, rule: str | None, path: tuple, value: Any) -> str | None:
        """Where the value ``value`` that ``source`` (by rule ``rule``) put at ``path`` was written, as text."""
        if source is None:
            return None
        path = tuple(path)
        groups, fallbacks = self.roots(source, rule)
        for roots in groups:
            hit = self._search(roots, path, value)
            if hit is not None:
                return self._text(hit)
        for roots in fallbacks:
            for root in roots:  # a value built from an input: the part of the input it was built from
                ok, held = _lookup(self.context, root) if root[0] != "pack" else (False, None)
                if ok and isinstance(held, (dict, list)) and held:
                    return self._text(root)
            packed = next((root for root in roots if root[0] == "pack"), None)
            if packed is not None:  # a value the rule itself supplies or computes
                return self._text(packed)
        return None

    def annotate(self, events: list) -> None:
        """Give every event the place of its value (``located``), of the value it replaced (``previous_where``) and
        of the value it rejected (``rejected["where"]``). A ``where`` the step set itself (a config key) stays and
        wins; warnings keep theirs as they were printed."""
        for event in events:
            if event.where is None and event.located is None:
                if event.path and event.path[0] in _INPUTS[:4]:
                    event.located = self._text(event.path)  # a warning or error about an input: its own place
                elif event.op != "error" and event.value is not None:
                    event.located = self.where(event.source, event.rule, event.path, event.value)
            if event.previous is not None and event.previous_source and event.previous_where is None:
                event.previous_where = self.where(event.previous_source, event.rule, event.path, event.previous)
            if event.rejected is not None and "where" not in event.rejected:
                found = self.where(event.rejected.get("source"), event.rule, event.path, event.rejected.get("value"))
                if found:
                    event.rejected = {**event.rejected, "where": found}

    # -- roots: the parts of the inputs a source's rules read ---------------------------------------------------
    def roots(self, source: str, rule: str | None) -> tuple[list[list], list[list]]:
        """The roots to look in, in groups, and the groups to fall back on when no root holds the value: the rule's
        own when the value is of the rule's source. A value of another source is one that source put in the Pod
        earlier (one group per rule of that source, the only ones to fall back on), or one the rule read from that
        source's input itself (the execution's platform resources, by the k8s-plugin's rule): its own roots last."""
        key = (source, rule)
        found = self._roots.get(key)
        if found is None:
            own = self.entries.get(rule) if rule else None
            own_group = [self._entry_roots(own, set())] if own is not None else []
            if own is not None and own.source == source:
                found = (own_group, own_group)
            else:
                others = [self._entry_roots(e, set()) for e in self.entries.values() if e.source == source]
                found = (others + own_group, others)
            self._roots[key] = found
        return found

    def _entry_roots(self, entry: Any, seen: set) -> list:
        if entry.id in seen:
            return []
        seen.add(entry.id)
        roots: list = []
        expressions = [entry.select] if entry.kind == "layer" else list(entry.params.values())
        for expression in expressions:
            parsed = getattr(getattr(expression, "compiled", None), "parsed", None)
            if isinstance(parsed, dict):
                for chain in _chains(parsed):
                    roots += self._chain_roots(chain, seen)
        if entry.kind == "transform":
            origin = entry.params.get("origin")
            if isinstance(origin, str) and origin.split(".")[0] in _INPUTS:
                roots.append(tuple(origin.split(".")))
            roots += [tuple(read.split(".")) for read in entry.transform.reads if read.split(".")[0] in _INPUTS]
        roots.append(("pack", entry.id))  # the rule itself: a literal value, or what it computes
        return roots

    def _chain_roots(self, chain: tuple, seen: set) -> list:
        if chain[0] in _INPUTS:
            if chain == ("podTemplates",) and self.variables.get("runtimeTemplateIndex") is not None:
                return [("podTemplates", self.variables["runtimeTemplateIndex"])]  # the template the steps chose
            return [chain]
        if chain[0] == "vars" and len(chain) > 1:
            out: list = []
            for setter in self.setters.get(chain[1], ()):
                out += [r for r in self._entry_roots(setter, seen) if r[0] != "pack"]
            return out
        return []

    # -- the search ---------------------------------------------------------------------------------------------
    def _search(self, roots: list, path: tuple, value: Any) -> tuple | None:
        if value is None:
            return None
        best: tuple | None = None
        best_score = -1
        zero = value in ("", {}, []) or value is False or (value == 0 and not isinstance(value, bool))
        for root in roots:
            if root[0] == "pack":
                continue
            for place, held in self._walk(root):
                if not _same(held, value):
                    continue
                score = _suffix_score(place, path)
                if score > best_score and (score > 0 or not zero or place == root):
                    best, best_score = place, score
        return best

    def _walk(self, root: tuple) -> list:
        found = self._walks.get(root)
        if found is None:
            ok, value = _lookup(self.context, root)
            found = self._walks[root] = list(_nodes(root, value)) if ok else []
        return found

    # -- places as text -----------------------------------------------------------------------------------------
    def _text(self, place: tuple) -> str | None:
        if place not in self._texts:
            self._texts[place] = self._place_text(place)
        return self._texts[place]

    def _place_text(self, place: tuple) -> str | None:
        if place[0] == "pack":
            return self._pack_text("pack.yaml", place[1])
        if place[0] == "plugin" and self.plugin is not None:  # the plugin's section: given, or its default
            section = self.plugin.config_section or ""
            given = ((self.scenario.data.get("propeller") or {}).get("plugins") or {}).get(section) or {}
            name = place[1] if len(place) > 1 else None
            written = next((key for key in given if str(key).lower() == str(name).lower()), None)
            if name is not None and written is None:
                return self._plugin_text(("config", "options", name), f"built-in default of plugins.{section} {name}")
            place = ("propeller", "plugins", section, *((written,) if written else ()), *place[2:])
        if place[0] == "config":
            name = place[1] if len(place) > 1 else None
            if name is not None and name not in self.user_config:
                return self._pack_text("plugin-config.yaml", name)
            place = ("propeller", "config", *place[1:])
        loaded = getattr(self.scenario, "config_origin", None)
        if loaded is not None:  # a config file the CLI read, perhaps a ConfigMap's key: the file, the key, line:column
            found = loaded.value_where(place)
            if found:
                return found
        try:
            file, line, column = self.scenario.where(place)
        except (ValueError, KeyError, TypeError):
            file, line, column = self.scenario.filename, None, None
        if line is None and place[0] == "podTemplates" and len(place) > 1:
            return self._cluster_text(place)
        if line is None and place[:2] == ("propeller", "config") and len(place) > 2:
            option = propeller_config.option_where(self.scenario, place[2]).text()
            if option:
                return option
        if file is None:  # a scenario given as a dict: no file, so its path in the scenario
            return _paths.render(place)
        return f"{file}:{line}:{column}" if line is not None else f"{file} {_paths.render(place)}"

    def _cluster_text(self, place: tuple) -> str | None:
        """A PodTemplate read from the cluster: no file, so the object, its resourceVersion and the path in it."""
        ok, template = _lookup(self.context, place[:2])
        metadata = (template.get("metadata") or {}) if ok and isinstance(template, dict) else {}
        name = f"{metadata.get('namespace', '')}/{metadata.get('name', '')}"
        version = f" resourceVersion {metadata['resourceVersion']}" if metadata.get("resourceVersion") else ""
        inside = _paths.render(place[2:])
        return f"PodTemplate {name}{version}" + (f" {inside}" if inside else "")

    def _plugin_text(self, at: tuple, what: str) -> str:
        """A place in the plugin's file (``plugins/<id>.yaml``, the nearest of the pack's chain that has it): an
        option's default (``("config", "options", name)``), a rule (``("rule", id)``)."""
        filename = f"plugins/{self.plugin.id}.yaml"
        if at[0] == "rule":
            return _placed(*self._locator().plugin_rule(filename, at[1]), self.pack.folder / filename, what)
        file, document, where = self._locator().option(at[2], filename, at[:1])
        return _placed(file, document, _with_default(document, where), self.pack.folder / filename, what)

    def _pack_text(self, filename: str, name: str) -> str:
        """The line of a rule (``pack.yaml``) or of an option's default (``plugin-config.yaml``): in the pack's own
        file when it writes or patches it, else in the pack it inherits it from (``extends``)."""
        if filename == "pack.yaml" and self.plugin is not None and name not in _pack_rule_ids(self.pack):
            return self._plugin_text(("rule", name), f"rule {name}")
        if filename == "plugin-config.yaml":
            file, document, where = self._locator().option(name)
            where = _with_default(document, where)
            what = f"built-in default of {name}"
        else:
            file, document, where = self._locator().rule(name)
            what = f"rule {name}"
        return _placed(file, document, where, self.pack.folder / filename, what)

    def _locator(self) -> PackLocator:
        key = (str(self.pack.folder), self.pack.digest)
        if key not in _PACK_LOCATORS:  # the pack's files read once per pack and process, each when first needed
            folders = self.pack.folders or (self.pack.folder,)
            _PACK_LOCATORS[key] = PackLocator(
                [(folder, functools.partial(_pack_document, folder, self.pack.digest)) for folder in folders]
            )
        return _PACK_LOCATORS[key]


#: (pack folder, digest) -> the PackLocator of its chain
_PACK_LOCATORS: dict[tuple, PackLocator] = {}
#: (folder, digest of the pack read, file name) -> the file's Document with positions, or None
_PACK_DOCUMENTS: dict[tuple, Any] = {}


def _pack_document(folder: Path, digest: str, filename: str) -> Any:
    """A file of a pack's folder with positions, read once per process (a pack's files do not change under it)."""
    key = (str(folder), digest, filename)
    if key not in _PACK_DOCUMENTS:
        try:
            _PACK_DOCUMENTS[key] = load_document((folder / filename).read_bytes(), filename)
        except (OSError, InputError):
            _PACK_DOCUMENTS[key] = None
    return _PACK_DOCUMENTS[key]


def _with_default(document: Any, where: tuple) -> tuple:
    """An option's place, at its ``default`` when it declares one."""
    option = _lookup(document.value, where)[1] if document is not None else None
    return where + ("default",) if isinstance(option, dict) and "default" in option else where


def _placed(file: str | None, document: Any, where: tuple, fallback: Path, what: str) -> str:
    """``rules/<pack>/<file>:line:col (what)``; the pack's own file without a line when nothing was found."""
    shown = _shown(Path(file) if file else fallback)
    found = document.locate(where) if document is not None else None
    return f"{shown}:{found[0]}:{found[1]} ({what})" if found else f"{shown} ({what})"


def _plugin_steps(plugin: Any) -> list:
    """Every step of a plugin's file: its shared pod's, its roles' (and their object steps), its own."""
    if plugin is None:
        return []
    builds = ([plugin.shared] if plugin.shared is not None else []) + list(plugin.roles)
    steps = [step for build in builds for step in build.steps]
    steps += [step for role in plugin.roles for step in getattr(role, "object_steps", [])]
    return steps + list(plugin.steps)


def _pack_rule_ids(pack: Any) -> set:
    return {entry.id for step in pack.steps for entry in step.entries}


def _shown(file: Path) -> str:
    """A shipped pack's file relative to the project (``rules/flyte-v1/pack.yaml``); a user's pack as it is."""
    try:
        return str(Path("rules") / file.resolve().relative_to(shipped_rules_dir().resolve()))
    except ValueError:
        return str(file)


def _chains(node: dict) -> list[tuple]:
    """The field chains (``task.container``, ``config."default-cpus"``) an expression reads."""
    kind = node.get("type")
    children = [c for c in node.get("children", []) if isinstance(c, dict)]
    if kind == "field":
        return [(node.get("value"),)]
    if kind == "subexpression":
        chain: list = []
        for child in children:
            if child.get("type") != "field":
                break
            chain.append(child.get("value"))
        if chain:
            return [tuple(chain)] + [c for child in children[len(chain) :] for c in _chains(child)]
    return [c for child in children for c in _chains(child)]


def _lookup(data: Any, path: tuple) -> tuple[bool, Any]:
    for segment in path:
        in_map = isinstance(data, dict) and isinstance(segment, str) and segment in data
        in_list = isinstance(data, list) and isinstance(segment, int) and 0 <= segment < len(data)
        if not (in_map or in_list):
            return False, None
        data = data[segment]
    return True, data


def _nodes(path: tuple, value: Any):
    yield path, value
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _nodes((*path, key), child)
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _nodes((*path, index), child)


def _suffix_score(place: tuple, path: tuple) -> int:
    """How many trailing segments two paths share (a list item matches a list item, whatever its index or key)."""
    score = 0
    for a, b in zip(reversed(place), reversed(path)):
        if isinstance(a, str) and isinstance(b, str):
            if a != b:
                break
        elif isinstance(a, str) or isinstance(b, str):
            break
        score += 1
    return score


def _same(held: Any, value: Any) -> bool:
    """The input's value is the event's: equal, or the same quantity written another way (``1.5`` and ``1500m``)."""
    comparable = type(held) is type(value) or (isinstance(held, (int, float)) and isinstance(value, (int, float)))
    if comparable and held == value and isinstance(held, bool) == isinstance(value, bool):
        return True
    if isinstance(held, (dict, list, bool)) or isinstance(value, (dict, list, bool)) or held is None:
        return False
    if not (_numeric(held) and _numeric(value)):  # only amounts can be one quantity written two ways
        return False
    try:
        return quantity.value_of(held) == quantity.value_of(value)
    except (quantity.QuantityError, TypeError, ValueError):
        return False


def _numeric(value: Any) -> bool:
    return isinstance(value, (int, float)) or (isinstance(value, str) and value[:1] in "0123456789.+-" and value != "")


def rendered(path: tuple, value: Any) -> Any:
    """The value as the Pod prints it, when the field is a Quantity (``1000m`` -> ``"1"``), else the value."""
    if not path or isinstance(value, bool) or not isinstance(value, (str, int, float)):
        return value
    spec = k8s_schema.field_at(tuple(path))
    parent = k8s_schema.field_at(tuple(path[:-1]))
    if (spec is not None and spec.kind == "quantity") or (
        parent is not None and parent.kind == "map" and parent.elem == "quantity"
    ):
        try:
            return quantity.canonical(quantity.to_text(value))
        except quantity.QuantityError:
            return value
    return value


def sources_of(pack: Any) -> Any:
    """The trace's ``sources``: every source that contributed an event (or was read: a runtime PodTemplate), in the
    pack's order, each with what it is (its label and doc in the pack) and where its values came from (``origin``:
    as the evaluation recorded it, else as the pack describes the source)."""

    def describe(recorded: list[dict], events: list) -> list[dict]:
        contributed = {event.source for event in events}
        contributed |= {event.previous_source for event in events if event.previous_source}
        contributed |= {event.rejected.get("source") for event in events if isinstance(event.rejected, dict)}
        by_id = {entry["id"]: entry for entry in recorded}
        out = []
        for source_id, definition in pack.sources.items():
            if source_id not in contributed and source_id not in by_id:
                continue
            entry = {"id": source_id, "label": definition.label, "origin": definition.origin}
            entry.update(by_id.get(source_id) or {})
            if definition.doc:
                entry["doc"] = definition.doc
            out.append(entry)
        return out + [entry for entry in recorded if entry["id"] not in pack.sources]

    return describe
