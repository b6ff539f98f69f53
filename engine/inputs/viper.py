"""Key handling of FlytePropeller's config loading: viper's merge and key case, flytestdlib's restoring of lists and
dotted keys, mapstructure's case-insensitive matching of struct fields (steps 1-5 of ``propeller_config``'s
docstring), and the warnings at keys whose case or dots FlytePropeller changes where they are data.

Which steps a Flyte version has is the pack's ``loader`` setting (``engine.pack.plugin_options.Loader``).
"""

from __future__ import annotations

import copy
from typing import Any

from ..k8s import k8s_schema
from ..pack.plugin_options import Loader
from .config_positions import ConfigFile, Warning_

#: the key handling of the newest FlytePropeller (a pack without a ``loader`` setting)
DEFAULT_LOADER = Loader()


def _lower_keys(value: Any, in_lists: bool) -> Any:
    """viper's insensitiviseMap on a copy: every map key lowercased (inside lists too when ``in_lists``)."""
    if isinstance(value, dict):
        return {str(k).lower(): _lower_keys(v, in_lists) for k, v in value.items()}
    if isinstance(value, list):
        return [_lower_keys(v, in_lists) for v in value] if in_lists else copy.deepcopy(value)
    return value


def _merge(src: dict, tgt: dict, path: tuple, note: Any) -> None:
    """viper's mergeMaps(src, tgt): ``note(path, kind, value)`` hears of every key set ("set") or left alone
    ("ignored")."""
    for key, value in src.items():
        if key not in tgt:
            tgt[key] = value
            note(path + (key,), "set", value)
        elif isinstance(tgt[key], dict):
            if isinstance(value, dict):
                _merge(value, tgt[key], path + (key,), note)
            else:  # viper: "Could not cast sv to map[string]any" -- the map stays
                note(path + (key,), "ignored", value)
        else:
            tgt[key] = value
            note(path + (key,), "set", value)


def _leaves(value: dict, prefix: str, out: list) -> None:
    """viper's flattenAndMergeMap: the leaf keys, joined with dots (maps only; empty maps leave nothing)."""
    for key, item in value.items():
        full = f"{prefix}.{key}" if prefix else key
        if isinstance(item, dict):
            _leaves(item, full, out)
        elif item is not None:  # Get returns nil: getSettings skips the key
            out.append((full, item))


def _all_settings(config: dict) -> dict:
    """viper's AllSettings (getSettings): every leaf key split on dots into nested maps."""
    leaves: list = []
    _leaves(config, "", leaves)
    settings: dict = {}
    for full, value in leaves:
        *parents, last = full.split(".")
        node = settings
        for part in parents:  # deepSearch: a value in the way is replaced by a map
            if not isinstance(node.get(part), dict):
                node[part] = {}
            node = node[part]
        node[last] = value
    return settings


def _restore_lists(settings: dict, raw: dict, path: tuple, note: Any) -> None:
    """flytestdlib's restoreCaseSensitiveArrayKeys (flyte#7013): a list is replaced by the file's value of that key."""
    for key in list(settings):
        raw_key = next((k for k in raw if isinstance(k, str) and k.lower() == key.lower()), None)
        raw_value = raw.get(raw_key) if raw_key is not None else None
        if raw_value is None:
            continue
        if isinstance(settings[key], list):
            settings[key] = copy.deepcopy(raw_value)
            note(path + (key,), "restored", raw_value)
        elif isinstance(settings[key], dict) and isinstance(raw_value, dict):
            _restore_lists(settings[key], raw_value, path + (key,), note)


def _restore_dotted(settings: dict, raw: dict, path: tuple, note: Any) -> None:
    """flytestdlib's restoreDottedMapKeys (flyte#7369): a dotted key and its value put back as written."""
    for raw_key, raw_value in raw.items():
        if not isinstance(raw_key, str):
            continue
        if "." in raw_key:
            _prune(settings, raw_key.lower().split("."))
            settings[raw_key] = copy.deepcopy(raw_value)
            note(path + (raw_key,), "restored", raw_value)
            continue
        key = next((k for k in settings if k.lower() == raw_key.lower()), None)
        if key is not None and isinstance(raw_value, dict) and isinstance(settings[key], dict):
            _restore_dotted(settings[key], raw_value, path + (key,), note)


def _prune(settings: dict, parts: list) -> None:
    """flytestdlib's pruneSplitPath: drop the nested maps viper built from a dotted key, keeping siblings."""
    head = parts[0]
    if head not in settings:
        return
    if len(parts) == 1:
        del settings[head]
        return
    child = settings[head]
    if not isinstance(child, dict):
        return
    _prune(child, parts[1:])
    if not child:
        del settings[head]


def viper_settings(trees: list, loader: Loader = DEFAULT_LOADER, notes: list | None = None) -> dict:
    """The whole settings tree flytestdlib decodes its sections from, for config files read in order (steps 1-4
    of the module's docstring). ``notes[i](path, kind, value)`` hears what file ``i`` set, and what viper ignored."""
    notes = notes or [lambda path, kind, value: None] * len(trees)
    merged: dict = {}
    for tree, note in zip(trees, notes, strict=True):
        if isinstance(tree, dict):  # a file that is not a mapping: FlytePropeller fails at start (checked earlier)
            _merge(_lower_keys(tree, loader.lowercase_in_lists), merged, (), note)
    settings = _all_settings(merged)
    for tree, note in zip(trees, notes, strict=True):  # parseViperConfig: file after file
        if not isinstance(tree, dict):
            continue
        if loader.restore_lists:
            _restore_lists(settings, tree, (), note)
        if loader.restore_dotted_keys:
            _restore_dotted(settings, tree, (), note)
    return settings


def option_type(option: Any) -> tuple[str, str | None]:
    """(kind, Kubernetes type) of an option's value, from the pack's ``type`` and ``k8s``."""
    return getattr(option, "type", "any"), getattr(option, "k8s", None)


def struct_case(value: Any, kind: tuple[str, str | None]) -> Any:
    """Struct field names as the Kubernetes type spells them: Go decodes them without regard to case
    (mapstructure's MatchName, encoding/json's field matching), so viper's lowercasing does not matter there."""
    option_kind, k8s = kind
    if option_kind == "object" and k8s and k8s_schema.fields(k8s):
        return _object_case(value, k8s)
    if option_kind == "list" and k8s and k8s_schema.fields(k8s) and isinstance(value, list):
        return [_object_case(item, k8s) for item in value]
    if option_kind == "map" and k8s and k8s.startswith("list:") and isinstance(value, dict):
        return {
            key: [_object_case(i, k8s[5:]) for i in item] if isinstance(item, list) else _object_case(item, k8s[5:])
            for key, item in value.items()
        }
    return value


def _object_case(value: Any, type_name: str) -> Any:
    if not isinstance(value, dict):
        return value
    fields = k8s_schema.fields(type_name)
    out = {}
    for key, item in value.items():
        name = (
            key
            if key in fields
            else next((f for f in fields if isinstance(key, str) and f.lower() == key.lower()), key)
        )
        spec = fields.get(name)
        if spec is not None and spec.elem_is_type and spec.kind == "object":
            item = _object_case(item, spec.elem)
        elif spec is not None and spec.elem_is_type and spec.kind == "list" and isinstance(item, list):
            item = [_object_case(i, spec.elem) for i in item]
        out[name] = item
    return out


def case_warnings(file: ConfigFile, options: dict, loader: Loader, warnings: list) -> None:
    """Warn at each key of ``plugins.k8s`` whose case (or dots) FlytePropeller changes where it matters: keys of
    maps that are data (labels, env var names, node selectors, resource names), not struct field names."""
    tree = file.tree()
    plugins = next((v for k, v in tree.items() if isinstance(k, str) and k.lower() == "plugins"), None)
    k8s = (
        next((v for k, v in plugins.items() if isinstance(k, str) and k.lower() == "k8s"), None)
        if isinstance(plugins, dict)
        else None
    )
    if not isinstance(k8s, dict):
        return
    for key, value in k8s.items():
        name = next((o for o in options if isinstance(key, str) and o.lower() == key.lower()), None)
        if name is None or getattr(options[name], "key_case", "as-loaded") == "upper":
            continue  # FlytePropeller upper-cases these keys again after loading: viper's lowercasing does not matter
        _walk_case(
            file, ("plugins", "k8s", key), value, option_type(options[name]), name, loader, warnings, in_list=False
        )


def _walk_case(
    file: ConfigFile,
    path: tuple,
    value: Any,
    kind: tuple,
    option: str,
    loader: Loader,
    warnings: list,
    *,
    in_list: bool,
) -> None:
    option_kind, k8s = kind
    if isinstance(value, list):
        if option_kind == "map":  # the list form: [{KEY: value}, ...] (sliceToMapHook)
            for index, item in enumerate(value):
                if isinstance(item, dict):
                    _data_keys(
                        file,
                        path + (index,),
                        item,
                        option,
                        loader,
                        warnings,
                        in_list=True,
                        element=k8s[5:] if k8s and k8s.startswith("list:") else None,
                    )
        elif k8s and k8s_schema.fields(k8s):
            for index, item in enumerate(value):
                _walk_object(file, path + (index,), item, k8s, option, loader, warnings, in_list=True)
        return
    if option_kind == "map" and isinstance(value, dict):
        _data_keys(
            file,
            path,
            value,
            option,
            loader,
            warnings,
            in_list=in_list,
            element=k8s[5:] if k8s and k8s.startswith("list:") else None,
        )
    elif option_kind == "object" and k8s and k8s_schema.fields(k8s):
        _walk_object(file, path, value, k8s, option, loader, warnings, in_list=in_list)


def _walk_object(
    file: ConfigFile,
    path: tuple,
    value: Any,
    type_name: str,
    option: str,
    loader: Loader,
    warnings: list,
    *,
    in_list: bool,
) -> None:
    if not isinstance(value, dict):
        return
    fields = k8s_schema.fields(type_name)
    for key, item in value.items():
        name = next((f for f in fields if isinstance(key, str) and f.lower() == key.lower()), None)
        spec = fields.get(name) if name else None
        if spec is None:
            continue
        if spec.kind == "map" and isinstance(item, dict):
            _data_keys(file, path + (key,), item, option, loader, warnings, in_list=in_list, element=None)
        elif spec.kind == "object" and spec.elem_is_type:
            _walk_object(file, path + (key,), item, spec.elem, option, loader, warnings, in_list=in_list)
        elif spec.kind == "list" and spec.elem_is_type and isinstance(item, list):
            for index, element in enumerate(item):
                _walk_object(file, path + (key, index), element, spec.elem, option, loader, warnings, in_list=True)


def _data_keys(
    file: ConfigFile,
    path: tuple,
    value: dict,
    option: str,
    loader: Loader,
    warnings: list,
    *,
    in_list: bool,
    element: str | None,
) -> None:
    """The keys of a map that is data: lowercased by viper unless a list or a restored dotted key protects them."""
    lowered = not in_list or loader.lowercase_in_lists
    restored = in_list and loader.restore_lists
    seen: dict = {}
    for key, item in value.items():
        if not isinstance(key, str):
            continue
        if element is not None and isinstance(item, list):  # resource-tolerations: the tolerations themselves
            for index, toleration in enumerate(item):
                _walk_object(file, path + (key, index), toleration, element, option, loader, warnings, in_list=True)
        if "." in key and not restored and not (in_list and not loader.lowercase_in_lists):
            if not loader.restore_dotted_keys:  # viper < 1.21 flytestdlib: the split stays
                warnings.append(
                    Warning_(
                        f"viper splits the key {key!r} of {option} on its dots ({key.lower().replace('.', ' > ')}): "
                        "this Flyte version reads nested mappings there, not the key, and cannot load its config",
                        file.where(path + (key,)),
                        path + (key,),
                        fatal=True,
                        hint=f"write {option} as a list of single-key mappings: {option}: [{{{key}: ...}}]",
                    )
                )
            continue  # restoreDottedMapKeys puts the key back as written
        if key.lower() in seen and seen[key.lower()] != key:
            warnings.append(
                Warning_(
                    f"the keys {seen[key.lower()]!r} and {key!r} of {option} differ only in case: FlytePropeller keeps "
                    "one of them, at random (viper lowercases both)",
                    file.where(path + (key,)),
                    path + (key,),
                    hint=f"keep one, or write {option} as a list of single-key mappings",
                )
            )
        seen[key.lower()] = key
        if lowered and not restored and key != key.lower():
            hint = (
                f"to keep the case, write {option} as a list of single-key mappings, which FlytePropeller "
                f"reads as a mapping: {option}: [{{{key}: ...}}]"
                if not in_list
                else "this Flyte version lowercases keys inside lists too"
            )
            warnings.append(
                Warning_(
                    f"FlytePropeller reads the key {key!r} of {option} as {key.lower()!r}: viper lowercases every "
                    "mapping key of the config",
                    file.where(path + (key,)),
                    path + (key,),
                    hint=hint,
                )
            )
