"""Read the runtime side of a scenario from a live cluster: PodTemplates and FlytePropeller's K8s plugin config.

`read_cluster` is the `--cluster` input adapter. It talks to the API server through the official `kubernetes`
client and the user's kubeconfig, and returns a partial scenario (contract §2): `execution.namespace`,
`propeller.{namespace, config}`, `podTemplates`, plus where each object came from (context, namespace, name,
resourceVersion) so the trace can name its origin and the assembled scenario can be committed as a golden case.

It decides three things:
- What it reads, and nothing more: `list` PodTemplates in the execution namespace and in FlytePropeller's namespace
  (FlytePropeller looks a template up in the execution namespace first, then in its own), and `get` one ConfigMap.
  Every call is a read; the kubeconfig is never written back (no token refresh persisted).
- FlytePropeller's config: every `*.yaml` data key is a config file, loaded as FlytePropeller loads its mounted
  config folder (`engine.inputs.propeller_config`: name order, viper's merge and key case, flytestdlib's restoring), the
  same function as for `--propeller-config`.
- How failures read: an `InputError` (exit 2) with a stable code and a hint, never a traceback.

The `kubernetes` client is imported inside `read_cluster`: importing it costs about half a second, which every
other podeval command should not pay.
"""

from __future__ import annotations

import difflib
import json
import os
from typing import Any

import yaml

from ..errors import InputError
from ..pack.rules import load_rules
from .config_files import configmap_files
from .propeller_config import load

# Seconds for each API request (connect + read); a cluster that does not answer fails fast instead of hanging.
REQUEST_TIMEOUT = 5

# The metadata a PodTemplate keeps in the scenario: enough to name it and pin the version that was read.
_KEPT_METADATA = ("name", "namespace", "resourceVersion")


def read_cluster(
    *,
    namespace: str | None = None,
    kubeconfig: str | None = None,
    context: str | None = None,
    propeller_namespace: str = "flyte",
    propeller_configmap: str = "flyte-propeller-config",
    rules: Any = "flyte-v1",
    on_config: Any = None,
) -> dict:
    """Read PodTemplates and FlytePropeller's `plugins.k8s` config from the cluster of a kubeconfig context.

    `namespace` is the execution namespace (Flyte's `<project>-<domain>`); when None, the context's namespace is
    used, then `default`, as kubectl does. `kubeconfig` None means `$KUBECONFIG` or `~/.kube/config`; `context`
    None means the kubeconfig's current context.

    Returns a partial scenario::

        {"execution": {"namespace": ...},
         "propeller": {"namespace": ..., "config": {<plugins.k8s>},
                       "configSource": {"context", "namespace", "name", "key", "resourceVersion"}},
         "podTemplates": [{"apiVersion": "v1", "kind": "PodTemplate",
                           "metadata": {"name", "namespace", "resourceVersion"}, "template": {...}}, ...],
         "cluster": {"context": ..., "server": ...}}

    `rules`: the rule pack whose config loader reads the ConfigMap (key case differs between Flyte versions);
    `on_config`, if given, is called with the `engine.inputs.propeller_config.Loaded` (each option's key and position, the
    loader's warnings).

    Raises `InputError` with code `kubeconfig_invalid`, `cluster_unreachable`, `cluster_unauthorized`,
    `cluster_forbidden`, `configmap_not_found`, `propeller_config_missing` or `cluster_error`.
    """
    api_client, context_name, context_namespace = _connect(kubeconfig, context)
    from kubernetes import client as k8s  # optional extra, slow: --cluster only

    core = k8s.CoreV1Api(api_client)
    server = api_client.configuration.host
    namespace = namespace or context_namespace or "default"
    reader = _Reader(context_name, server)

    pod_templates: list[dict] = []
    for template_namespace in dict.fromkeys([namespace, propeller_namespace]):  # once when they are the same
        listed = reader.read(
            lambda ns=template_namespace: core.list_namespaced_pod_template(ns, _request_timeout=REQUEST_TIMEOUT),
            verb="list",
            resource="podtemplates",
            namespace=template_namespace,
        )
        items = [_pod_template_dict(api_client, item, template_namespace) for item in listed.items or []]
        pod_templates.extend(sorted(items, key=lambda t: t["metadata"]["name"]))

    config_map = reader.read(
        lambda: core.read_namespaced_config_map(
            propeller_configmap, propeller_namespace, _request_timeout=REQUEST_TIMEOUT
        ),
        verb="get",
        resource="configmaps",
        namespace=propeller_namespace,
        name=propeller_configmap,
    )
    keys, loaded = _k8s_plugin_config(
        config_map.data or {}, propeller_namespace, propeller_configmap, rules, label=f"cluster {context_name}"
    )
    k8s_plugin_config = loaded.document()  # with the other plugins' and the executor's sections, as files give them
    if on_config is not None:
        on_config(loaded)

    return {
        "execution": {"namespace": namespace},
        "propeller": {
            "namespace": propeller_namespace,
            "config": k8s_plugin_config,
            "configSource": {
                "context": context_name,
                "namespace": propeller_namespace,
                "name": propeller_configmap,
                "key": ",".join(keys),
                "resourceVersion": (config_map.metadata.resource_version if config_map.metadata else None),
            },
        },
        "podTemplates": pod_templates,
        "cluster": {"context": context_name, "server": server},
    }


def _connect(kubeconfig: str | None, context: str | None) -> tuple[Any, str, str | None]:
    """An ApiClient for the context, the context's name, and its namespace; `kubeconfig_invalid` otherwise."""
    from kubernetes.config import kube_config  # optional extra, slow: --cluster only

    # Resolved here, not at the client's import time, so a KUBECONFIG set later is honoured; may list several files.
    path = kubeconfig or os.environ.get("KUBECONFIG") or "~/.kube/config"
    try:
        merged = kube_config.KubeConfigMerger(path).config
    except (kube_config.ConfigException, yaml.YAMLError, OSError, AttributeError, TypeError) as error:
        raise InputError("kubeconfig_invalid", f"cannot read the kubeconfig: {error}", file=path) from None
    if merged is None:
        raise InputError(
            "kubeconfig_invalid",
            "no kubeconfig found",
            file=path,
            hint="pass --kubeconfig FILE, or set KUBECONFIG",
        )
    document = _plain(merged)
    entries = document.get("contexts") if isinstance(document, dict) else None
    contexts = {e.get("name"): e for e in map(_plain, entries or []) if isinstance(e, dict) and e.get("name")}
    names = sorted(str(name) for name in contexts)
    context_name = context or (document.get("current-context") if isinstance(document, dict) else None)
    if not context_name:
        raise InputError(
            "kubeconfig_invalid",
            "the kubeconfig has no current-context",
            file=path,
            hint=f"pass --context, one of: {', '.join(names)}" if names else "pass --context",
        )
    if context_name not in contexts:
        nearest = difflib.get_close_matches(str(context_name), names, n=1)
        raise InputError(
            "kubeconfig_invalid",
            f"context {context_name!r} is not in the kubeconfig",
            file=path,
            hint=(f"did you mean {nearest[0]!r}? " if nearest else "") + f"contexts: {', '.join(names) or 'none'}",
        )
    context_entry = _plain(contexts[context_name].get("context"))
    context_namespace = context_entry.get("namespace") if isinstance(context_entry, dict) else None

    try:
        # persist_config=False: reading must never rewrite the user's kubeconfig (refreshed tokens included).
        api_client = kube_config.new_client_from_config(config_file=path, context=context_name, persist_config=False)
    except Exception as error:  # noqa: BLE001 (ConfigException, exec/auth-provider plugins, unreadable cert files)
        raise InputError(
            "kubeconfig_invalid",
            f"cannot use context {context_name!r} of the kubeconfig: {error}",
            file=path,
            hint="check the context's cluster and user entries (kubectl config view --minify)",
        ) from None
    return api_client, context_name, context_namespace


def _plain(node: Any) -> Any:
    """The dict or list inside the client's ConfigNode wrapper (KubeConfigMerger wraps what it merged)."""
    return getattr(node, "value", node)


class _Reader:
    """Runs one API read and turns every failure into an InputError naming the cluster, verb and object."""

    def __init__(self, context: str, server: str) -> None:
        self.context = context
        self.server = server

    def read(self, request, *, verb: str, resource: str, namespace: str, name: str | None = None):
        from kubernetes.client.exceptions import ApiException  # optional extra, slow: --cluster only
        from urllib3.exceptions import HTTPError  # optional extra (with kubernetes)

        target = f"{resource}/{name}" if name else resource
        try:
            return request()
        except ApiException as error:
            raise self._api_error(error, verb, resource, target, namespace) from None
        except HTTPError as error:  # connection refused, DNS, TLS, timeout: urllib3 gave up
            raise InputError(
                "cluster_unreachable",
                f"cannot reach the cluster of context {self.context!r} at {self.server} "
                f"({verb} {target} in namespace {namespace}): {_reason(error)}",
                hint="check the kubeconfig context, the network or VPN, and that the API server is up",
            ) from None
        except (ValueError, TypeError) as error:  # an answer that does not decode into the client's models
            raise InputError(
                "cluster_error",
                f"unexpected answer from {self.server} to {verb} {target} in namespace {namespace}: {error}",
            ) from None

    def _api_error(self, error, verb: str, resource: str, target: str, namespace: str) -> InputError:
        status = error.status
        what = f"{verb} {target} in namespace {namespace!r} (context {self.context!r})"
        if status == 403:
            return InputError(
                "cluster_forbidden",
                f"forbidden: cannot {what}: {_status_message(error)}",
                hint=f"your credentials need RBAC permission to {verb} {resource} in namespace {namespace}; "
                f"check with: kubectl auth can-i {verb} {resource} -n {namespace}",
            )
        if status == 401:
            return InputError(
                "cluster_unauthorized",
                f"unauthorized: the API server rejected the credentials of context {self.context!r} to {what}",
                hint="log in again or refresh the kubeconfig credentials",
            )
        if status == 404 and resource == "configmaps":
            return InputError(
                "configmap_not_found",
                f"ConfigMap {target.split('/', 1)[1]!r} not found in namespace {namespace!r} "
                f"(context {self.context!r})",
                hint="name FlytePropeller's ConfigMap with --propeller-configmap "
                "(flyte-binary deployments use flyte-binary-config) and its namespace with --propeller-namespace",
            )
        return InputError(
            "cluster_error",
            f"cannot {what}: HTTP {status} {_status_message(error)}",
        )


def _pod_template_dict(api_client: Any, item: Any, namespace: str) -> dict:
    """A PodTemplate in Kubernetes JSON, its metadata reduced to name, namespace and resourceVersion.

    List items come without apiVersion and kind from the API server; the scenario wants whole objects.
    """
    data = api_client.sanitize_for_serialization(item)
    metadata = data.get("metadata") or {}
    kept = {key: metadata[key] for key in _KEPT_METADATA if metadata.get(key) is not None}
    kept.setdefault("namespace", namespace)
    result = {"apiVersion": "v1", "kind": "PodTemplate", "metadata": kept}
    if data.get("template") is not None:
        result["template"] = data["template"]
    return result


def _k8s_plugin_config(
    data: dict, namespace: str, name: str, rules: Any = "flyte-v1", *, label: str | None = None
) -> tuple[list[str], Any]:
    """The keys of the ConfigMap that hold `plugins.k8s`, and FlytePropeller's config loaded from all its files
    (`engine.inputs.propeller_config.load`: the one function every way in uses)."""
    pack = load_rules(rules)
    files = configmap_files(data, filename=label, configmap=f"{namespace}/{name}")
    loaded = load(files, pack)
    keys = [f.key for f in files if any(f in contributors for contributors in loaded.origins.values())]
    if not keys and not any(_has_k8s_section(f.tree()) for f in files):
        raise InputError(
            "propeller_config_missing",
            f"no key of ConfigMap {namespace}/{name} holds a plugins.k8s section "
            f"(keys: {', '.join(sorted(data)) or 'none'})",
            hint="name FlytePropeller's own ConfigMap with --propeller-configmap, "
            "or pass the K8s plugin config with --propeller-config FILE",
        )
    return keys, loaded


def _has_k8s_section(tree: Any) -> bool:
    plugins = tree.get("plugins") if isinstance(tree, dict) else None
    return isinstance(plugins, dict) and isinstance(plugins.get("k8s"), dict)


def _status_message(error: Any) -> str:
    """The `message` of the API server's Status body, or the HTTP reason."""
    try:
        body = json.loads(error.body or "")
    except ValueError:
        body = None
    if isinstance(body, dict) and body.get("message"):
        return str(body["message"])
    return str(error.reason or "")


def _reason(error: Exception) -> str:
    """The innermost cause urllib3 reports (MaxRetryError wraps the connection error)."""
    reason = getattr(error, "reason", None)
    return str(reason or error)
