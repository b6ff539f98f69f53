"""The rule-pack file format, declared once.

A pack is a folder of three YAML files (``pack.yaml``, ``profiles.yaml``, ``plugin-config.yaml``). This module
states, as data, every section of them: its keys, their types, which are required, their defaults, what they mean,
and how a pack that ``extends`` another lays each one over its parent's. Everything else is derived from it:

* the loader's key checks and defaults (``engine.pack.rules``: unknown and missing keys, one-of constraints);
* the ``extends`` merge itself (``engine.pack.pack_chain.merge``, from each key's declared ``merge``);
* the JSON Schema of ``podeval check`` and of editors (``engine.pack.pack_schema.json_schema``;
  ``engine/data/pack.schema.json`` is its output, with the strategy and transform registries' names and parameters);
* the reference tables of docs/policy-authors.md (``engine.pack.pack_schema.reference``), between marker comments.

``python tools/gen_pack_format.py`` regenerates the schema file and the guide's tables (a test fails when either
is stale); ``--json-schema`` and ``--reference`` print them.

How ``extends`` merges (the ``merge`` of each key): ``replace`` (the child's value), ``key by key`` (a mapping: each
key the child gives is merged in, recursively), ``patch by id`` (a list of items: an item with an id the parent has
is merged into it key by key, a new one is added at the end), ``patch by name`` (a mapping of items: the same, by
the item's name), ``replace by name`` (a mapping of items: an item the child names replaces the parent's whole),
``not inherited``. A strategy rule that names a ``strategy`` (or is a strategy's name) replaces the parent's rule
for its path whole; one without ``strategy`` patches it (its ``params`` key by key).
"""

from __future__ import annotations

import json
from typing import Any, NamedTuple

PACK_FILES = ("pack.yaml", "profiles.yaml", "plugin-config.yaml")
#: the folder of a pack's plugin files: one ``<plugin id>.yaml`` per FlytePropeller plugin that is not the pod plugin
PLUGINS_FOLDER = "plugins"


def plugin_files(folder: Any) -> tuple[str, ...]:
    """The plugin files of a pack folder (``plugins/ray.yaml``, ...), relative, in name order."""
    base = folder / PLUGINS_FOLDER
    if not base.is_dir():
        return ()
    return tuple(f"{PLUGINS_FOLDER}/{path.name}" for path in sorted(base.glob("*.yaml")))


def pack_files(folder: Any) -> tuple[str, ...]:
    """Every file of a pack folder that the pack is made of: the three files and its plugin files."""
    return PACK_FILES + plugin_files(folder)


#: the ``type`` of a plugin option (plugin-config.yaml); what each one decodes to is engine.k8s.validate's
OPTION_TYPES = ("bool", "duration", "int", "list", "map", "object", "quantity", "string", "struct")

# how `extends` merges a key (see the module docstring)
REPLACE, KEY_BY_KEY, BY_ID, BY_NAME, REPLACE_BY_NAME, NOT_INHERITED = (
    "replace",
    "key by key",
    "patch by id",
    "patch by name",
    "replace by name",
    "not inherited",
)

_UNSET = object()


class Key(NamedTuple):
    """One key of a section.

    ``type``: ``id`` (a non-empty string), ``text``, ``path`` (a path in the contract's syntax), ``jmespath``,
    ``bool``, ``any``, ``mapping``, ``ids`` (a list of ids), ``enum`` (one of ``values``), ``strategy`` and
    ``transform`` (a name of the registry), ``section`` (a mapping of section ``of``), ``list`` (a list of them),
    ``map`` (a mapping of names to them).
    """

    name: str
    type: str
    doc: str
    required: bool = False
    default: Any = _UNSET
    merge: str = REPLACE
    of: str | None = None
    values: tuple = ()
    default_doc: str | None = None  # the default, told, when it is not a value (a label defaults to the id)

    def default_text(self) -> str:
        if self.default_doc is not None:
            return self.default_doc
        if self.default is _UNSET or self.default == "":
            return ""
        return f"`{json.dumps(self.default)}`"


class Section(NamedTuple):
    """A mapping of a pack file: a whole file (``file``) or an item of one."""

    name: str  # the JSON Schema definition's name
    title: str  # where it is, for people
    doc: str
    keys: tuple
    file: str = ""
    id_key: str | None = None  # the key that names an item of a list (`extends` patches by it)
    patch: bool = False  # `extends` patches it: a patch variant (only ``patch_required`` required) exists
    patch_required: tuple = ()
    one_of: tuple = ()  # exactly one of these keys ...
    one_of_message: str = ""  # ... or this problem
    shorthand: str | None = None  # a plain string is the value of this key
    params_of: str | None = None  # "strategy" | "transform": `params` are that registry item's parameters
    schema_patch_if: str | None = None  # the schema tells a patch by this key (pack.yaml: `extends`)

    def key(self, name: str) -> Key | None:
        return next((k for k in self.keys if k.name == name), None)

    @property
    def names(self) -> set:
        return {k.name for k in self.keys}

    def required(self, *, patch: bool = False) -> tuple:
        return self.patch_required if patch else tuple(k.name for k in self.keys if k.required)

    def get(self, value: dict, name: str) -> Any:
        """``value[name]``, or the key's declared default."""
        key = self.key(name)
        default = None if key is None or key.default is _UNSET else key.default
        return value.get(name, default)

    def replaces(self, child: Any) -> bool:
        """Does this value of an extending pack replace its parent's whole (rather than patch it)?"""
        return self.shorthand is not None and (not isinstance(child, dict) or self.shorthand in child)


SECTIONS: dict[str, Section] = {
    s.name: s
    for s in (
        Section(
            "packFile",
            "pack.yaml",
            "the sources and steps of the precedence DAG",
            file="pack.yaml",
            patch_required=("name",),
            schema_patch_if="extends",
            keys=(
                Key("name", "id", "the pack's name (traces and reports give it)", required=True),
                Key("description", "text", "what the pack models"),
                Key(
                    "extends",
                    "id",
                    "a shipped pack or a folder: the pack starts from it (its files, patched by this one's)",
                    merge=NOT_INHERITED,
                ),
                Key(
                    "root", "enum", "what the pack builds", values=("PodTemplateSpec", "Pod"), default="PodTemplateSpec"
                ),
                Key("sources", "list", "the inputs: nodes of the DAG", required=True, merge=BY_ID, of="source"),
                Key(
                    "pipelines",
                    "mapping",
                    "named lists of step ids that plugins run to build a pod (`to-k8s-pod-spec`: ToK8sPodSpec)",
                    merge=KEY_BY_KEY,
                    default={},
                ),
                Key(
                    "steps",
                    "list",
                    "what FlytePropeller does, in its order: nodes of the DAG",
                    required=True,
                    merge=BY_ID,
                    of="step",
                ),
            ),
        ),
        Section(
            "source",
            "pack.yaml `sources[]`",
            "an input of the pack",
            id_key="id",
            patch=True,
            patch_required=("id",),
            keys=(
                Key("id", "id", "the source's id: rules name it in `source`, steps in `uses`", required=True),
                Key("label", "text", "its name in graphs and reports", default_doc="the id"),
                Key("doc", "text", "what it is", default=""),
                Key("origin", "text", "where in the scenario it comes from", default=""),
            ),
        ),
        Section(
            "step",
            "pack.yaml `steps[]`",
            "a step of FlytePropeller",
            id_key="id",
            patch=True,
            patch_required=("id",),
            keys=(
                Key("id", "id", "the step's id", required=True),
                Key("label", "text", "its name in graphs and reports", default_doc="the id"),
                Key("doc", "text", "what it does", default=""),
                Key("after", "ids", "steps this one runs after", default=()),
                Key("uses", "ids", "sources this step reads", default=()),
                Key("apply", "list", "its rules, read top to bottom", required=True, merge=BY_ID, of="rule"),
            ),
        ),
        Section(
            "rule",
            "pack.yaml `steps[].apply[]`",
            "a rule: a layer or a transform",
            id_key="rule",
            patch=True,
            patch_required=("rule",),
            one_of=("layer", "transform"),
            one_of_message="a rule has exactly one of 'layer' or 'transform'",
            params_of="transform",
            keys=(
                Key("rule", "id", "the rule's id (unique in the pack; traces name it)", required=True),
                Key("source", "id", "the source it speaks for: the owner of what it writes", required=True),
                Key("when", "jmespath", "the rule applies only when this is truthy"),
                Key("doc", "text", "what it does"),
                Key("note", "text", "a note the trace keeps with what the rule writes"),
                Key(
                    "layer", "section", "a value laid over or under the Pod built so far", merge=KEY_BY_KEY, of="layer"
                ),
                Key(
                    "transform", "transform", "a named Flyte step that is not a plain merge (engine/eval/transforms.py)"
                ),
                Key(
                    "params",
                    "mapping",
                    "the transform's parameters (expression parameters are JMESPath)",
                    merge=KEY_BY_KEY,
                    default={},
                ),
            ),
        ),
        Section(
            "layer",
            "pack.yaml `steps[].apply[].layer`",
            "a value merged into the Pod at a path",
            patch=True,
            one_of=("select", "value"),
            one_of_message="a layer has exactly one of 'select' (JMESPath) or 'value' (a literal)",
            keys=(
                Key(
                    "at",
                    "path",
                    "a path in the contract's syntax; `$var` in a key selector is a variable",
                    required=True,
                ),
                Key("select", "jmespath", "the value: JMESPath over the context"),
                Key("value", "any", "the value: a literal", merge=KEY_BY_KEY),
                Key(
                    "position",
                    "enum",
                    "laid over (wins) or under (loses to) the Pod built so far",
                    values=("over", "under"),
                    default="over",
                ),
                Key("profile", "id", "the merge profile (profiles.yaml)", default="mergo"),
            ),
        ),
        Section(
            "pluginFile",
            "plugins/<id>.yaml",
            "a FlytePropeller plugin that builds an object other than the Pod (Ray, Spark, ...): its roles' pods and "
            "the object's own steps",
            file="plugins/<id>.yaml",
            patch_required=("id",),
            keys=(
                Key("id", "id", "the plugin's id (the file's name)", required=True),
                Key("label", "text", "its name in graphs and reports", default_doc="the id"),
                Key("doc", "text", "what FlytePropeller's plugin does", default=""),
                Key("task-types", "ids", "the task types (task.type) it builds", required=True),
                Key("root", "id", "the object's type (engine/data/crd_types.yaml)", required=True),
                Key(
                    "sources",
                    "list",
                    "the plugin's own inputs (its task config, its config section, role pod templates)",
                    merge=BY_ID,
                    of="source",
                    default=(),
                ),
                Key("config", "section", "its FlytePropeller config section", merge=KEY_BY_KEY, of="pluginConfig"),
                Key(
                    "shared",
                    "section",
                    "a pod built once that roles copy (`pipeline: shared`)",
                    merge=KEY_BY_KEY,
                    of="podBuild",
                ),
                Key("roles", "list", "the pods of the object, built in this order", merge=BY_ID, of="role", default=()),
                Key(
                    "finish",
                    "id",
                    "a pipeline of pack.yaml run on the object after its steps (`object-metadata`: addObjectMetadata)",
                ),
                Key(
                    "steps",
                    "list",
                    "what the plugin does to the object once every role is placed",
                    merge=BY_ID,
                    of="step",
                    default=(),
                ),
            ),
        ),
        Section(
            "pluginConfig",
            "plugins/<id>.yaml `config`",
            "the plugin's section of FlytePropeller's configuration (plugins.<section>)",
            keys=(
                Key("section", "id", "its key under FlytePropeller's `plugins`", required=True),
                Key("options", "map", "the options, by name", required=True, merge=REPLACE_BY_NAME, of="option"),
            ),
        ),
        Section(
            "podBuild",
            "plugins/<id>.yaml `shared`",
            "a pod built by a pipeline of the pack's steps, then the plugin's own steps",
            keys=(
                Key("pipeline", "id", "a pipeline of pack.yaml (`pipelines`)", required=True),
                Key(
                    "context",
                    "mapping",
                    "context paths (`execution.interruptible`) replaced for this pod, each by a JMESPath expression",
                    default={},
                ),
                Key("steps", "list", "run on the pod after the pipeline", merge=BY_ID, of="step", default=()),
                Key(
                    "error",
                    "text",
                    "how the plugin reports a failure of the pipeline: a message with `{message}` (Ray: "
                    "`[BadTaskSpecification] Unable to create pod spec: [{message}]`)",
                ),
            ),
        ),
        Section(
            "role",
            "plugins/<id>.yaml `roles[]`",
            "a pod of the object (Ray's head, a worker group, Spark's driver ...)",
            id_key="id",
            patch=True,
            patch_required=("id",),
            keys=(
                Key("id", "id", "the role's id", required=True),
                Key("label", "text", "its name in graphs and reports", default_doc="the id"),
                Key("doc", "text", "what it is", default=""),
                Key(
                    "pipeline",
                    "id",
                    "a pipeline of pack.yaml that builds the role's pod, or `shared`: a copy of the plugin's shared pod",
                    required=True,
                ),
                Key("each", "jmespath", "one pod per item of this list (`role.item`, `$item.<field>` in `at`)"),
                Key("error", "text", "how the plugin reports a failure of the role's pipeline (`{message}`)"),
                Key(
                    "context",
                    "mapping",
                    "context paths replaced for the role's pipeline, each by a JMESPath expression",
                    default={},
                ),
                Key("steps", "list", "run on the role's pod after the pipeline", merge=BY_ID, of="step", default=()),
                Key(
                    "object-steps",
                    "list",
                    "run on the object once the role's pod is placed (`role` and `$item` still this role's)",
                    merge=BY_ID,
                    of="step",
                    default=(),
                ),
                Key("at", "text", "where the role's pod goes in the object (a path; `$item.<field>` in keys)"),
                Key(
                    "place",
                    "transform",
                    "the transform that places the pod (default `graft`: the PodTemplateSpec at `at`)",
                    default="graft",
                ),
                Key("params", "mapping", "the place transform's parameters", merge=KEY_BY_KEY, default={}),
            ),
        ),
        Section(
            "profilesFile",
            "profiles.yaml",
            "merge profiles",
            file="profiles.yaml",
            patch=True,
            patch_required=("profiles",),
            keys=(Key("profiles", "map", "the profiles, by id", required=True, merge=BY_NAME, of="profile"),),
        ),
        Section(
            "profile",
            "profiles.yaml `profiles.<id>`",
            "a merge profile: a default strategy and strategies per path",
            patch=True,
            keys=(
                Key("doc", "text", "what it models"),
                Key(
                    "default",
                    "section",
                    "the strategy of every path `paths` does not name",
                    required=True,
                    merge=KEY_BY_KEY,
                    of="strategyRule",
                ),
                Key(
                    "paths",
                    "map",
                    "schema paths relative to where the layer applies (field names; `[]` steps into "
                    "list items, `*` into map entries), each with its strategy",
                    merge=BY_NAME,
                    of="strategyRule",
                    default={},
                ),
            ),
        ),
        Section(
            "strategyRule",
            "profiles.yaml `default` and `paths.<path>`",
            "a strategy, by name or as a mapping",
            patch=True,
            shorthand="strategy",
            params_of="strategy",
            keys=(
                Key("strategy", "strategy", "the merge strategy (section 2)", required=True),
                Key("params", "mapping", "the strategy's parameters", merge=KEY_BY_KEY, default={}),
                Key("note", "text", "a note the trace keeps with what the strategy decides"),
                Key("rule", "id", "the rule id in traces", default_doc="`<profile>:<path>`"),
            ),
        ),
        Section(
            "pluginConfigFile",
            "plugin-config.yaml",
            "the FlytePropeller K8s plugin options the pack knows",
            file="plugin-config.yaml",
            keys=(
                Key("options", "map", "the options, by name", required=True, merge=REPLACE_BY_NAME, of="option"),
                Key(
                    "loader",
                    "section",
                    "how the Flyte version's config loader treats keys (engine/inputs/propeller_config.py)",
                    merge=KEY_BY_KEY,
                    of="loader",
                ),
            ),
        ),
        Section(
            "loader",
            "plugin-config.yaml `loader`",
            "how FlytePropeller's config loader (viper and flytestdlib) treats map keys",
            keys=(
                Key(
                    "lowercase-in-lists",
                    "bool",
                    "viper lowercases keys inside lists too (viper >= 1.20; 1.11 does not)",
                    default=True,
                ),
                Key(
                    "restore-lists",
                    "bool",
                    "flytestdlib puts lists back as written (restoreCaseSensitiveArrayKeys, flyte#7013)",
                    default=True,
                ),
                Key(
                    "restore-dotted-keys",
                    "bool",
                    "flytestdlib puts dotted keys back as written (restoreDottedMapKeys, flyte#7369)",
                    default=True,
                ),
            ),
        ),
        Section(
            "option",
            "plugin-config.yaml `options.<name>`",
            "a K8s plugin option",
            keys=(
                Key("type", "enum", "how FlytePropeller decodes it", required=True, values=OPTION_TYPES),
                Key("default", "any", "FlytePropeller's built-in default (a struct: its fields' defaults)"),
                Key(
                    "shapes-pod",
                    "bool",
                    "false: accepted and ignored on purpose (it does not change the Pod)",
                    default=True,
                ),
                Key("doc", "text", "what it does", default=""),
                Key(
                    "k8s",
                    "text",
                    "the Kubernetes type of the value, or of its items or values; labels or annotations for maps",
                ),
                Key("fields", "map", "a struct's fields, each an option that defaults on its own", of="option"),
                Key(
                    "key-case",
                    "enum",
                    "a map's keys after loading: as-loaded (viper's lowercasing stands) or upper (FlytePropeller "
                    "upper-cases them again, as Flyte 2's accelerator-device-classes)",
                    default="as-loaded",
                    values=("as-loaded", "upper"),
                ),
            ),
        ),
    )
}

PACK_FILE, PROFILES_FILE, PLUGIN_CONFIG_FILE, PLUGIN_FILE = (
    SECTIONS["packFile"],
    SECTIONS["profilesFile"],
    SECTIONS["pluginConfigFile"],
    SECTIONS["pluginFile"],
)
PLUGIN_CONFIG, POD_BUILD, ROLE = SECTIONS["pluginConfig"], SECTIONS["podBuild"], SECTIONS["role"]
SOURCE, STEP, RULE, LAYER = SECTIONS["source"], SECTIONS["step"], SECTIONS["rule"], SECTIONS["layer"]
PROFILE, STRATEGY_RULE, OPTION, LOADER = (
    SECTIONS["profile"],
    SECTIONS["strategyRule"],
    SECTIONS["option"],
    SECTIONS["loader"],
)
