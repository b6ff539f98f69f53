"""`read_cluster` against a real HTTP server on loopback that answers the Kubernetes API paths the client calls.

The server speaks just enough of the API (PodTemplate lists and gets, ConfigMap gets, 403 and 404 Status objects)
for the official `kubernetes` client, configured from a real kubeconfig file, to run unchanged. It records every
request, so a test can assert that podeval only ever reads.
"""

from __future__ import annotations

import json
import re
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml

import engine
from engine.errors import InputError
from engine.inputs.cluster import read_cluster

K8S_YAML = """\
plugins:
  k8s:
    default-pod-template-name: flyte-template
    default-labels:
      team: ml
    inject-finalizer: true
"""

CORE_YAML = """\
propeller:
  workers: 4
"""


def pod_template(name: str, namespace: str, resource_version: str, image: str) -> dict:
    """A PodTemplate as the API server stores it, with the server-side metadata podeval should drop."""
    return {
        "metadata": {
            "name": name,
            "namespace": namespace,
            "resourceVersion": resource_version,
            "uid": f"uid-{name}",
            "creationTimestamp": "2025-01-01T00:00:00Z",
            "managedFields": [{"manager": "kubectl", "operation": "Apply", "apiVersion": "v1"}],
        },
        "template": {
            "metadata": {"labels": {"from": namespace}},
            "spec": {
                "containers": [{"name": "default", "image": image, "resources": {"limits": {"cpu": "1"}}}],
                "tolerations": [{"key": "gpu", "operator": "Exists", "effect": "NoSchedule"}],
            },
        },
    }


class FakeApiServer:
    """The state the handler serves: objects by namespace, namespaces whose reads are forbidden, requests seen."""

    def __init__(self) -> None:
        self.pod_templates: dict[str, list[dict]] = {}
        self.config_maps: dict[tuple[str, str], dict] = {}
        self.forbidden: set[tuple[str, str]] = set()  # (namespace, resource) reads that RBAC denies
        self.requests: list[tuple[str, str]] = []
        self.token = "test-token"  # the bearer token the kubeconfig's user must present
        self.url = ""

    def answer(self, method: str, path: str, authorization: str | None) -> tuple[int, dict]:
        self.requests.append((method, path))
        if authorization != f"Bearer {self.token}":
            return 401, status(401, "Unauthorized", "Unauthorized")
        if method != "GET":
            return 405, status(405, "MethodNotAllowed", f"{method} is not served by this test server")
        match = re.fullmatch(r"/api/v1/namespaces/([^/]+)/(podtemplates|configmaps)(?:/([^/]+))?", path)
        if not match:
            return 404, status(404, "NotFound", "the server could not find the requested resource")
        namespace, resource, name = match.groups()
        verb = "get" if name else "list"
        if (namespace, resource) in self.forbidden:
            message = (
                f'{resource} is forbidden: User "system:serviceaccount:ci:reader" cannot {verb} resource '
                f'"{resource}" in API group "" in the namespace "{namespace}"'
            )
            return 403, status(403, "Forbidden", message)
        if resource == "podtemplates" and name is None:
            items = self.pod_templates.get(namespace, [])
            # List items carry no apiVersion/kind, as the real API server answers.
            return 200, {
                "apiVersion": "v1",
                "kind": "PodTemplateList",
                "metadata": {"resourceVersion": "900"},
                "items": items,
            }
        if resource == "podtemplates":
            for item in self.pod_templates.get(namespace, []):
                if item["metadata"]["name"] == name:
                    return 200, {"apiVersion": "v1", "kind": "PodTemplate", **item}
        if resource == "configmaps" and (namespace, name) in self.config_maps:
            return 200, {"apiVersion": "v1", "kind": "ConfigMap", **self.config_maps[(namespace, name)]}
        return 404, status(404, "NotFound", f'{resource} "{name}" not found')


def status(code: int, reason: str, message: str) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Status",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    }


def handler_for(api: FakeApiServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _reply(self) -> None:
            code, body = api.answer(self.command, self.path.split("?", 1)[0], self.headers.get("Authorization"))
            payload = json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _reply

        def log_message(self, *args):  # quiet: pytest shows failures, not access logs
            pass

    return Handler


@pytest.fixture
def api(monkeypatch):
    # The client honours proxy variables; a loopback test must never leave the machine.
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")

    state = FakeApiServer()
    state.pod_templates["flytesnacks-development"] = [
        pod_template("team-template", "flytesnacks-development", "41", "ghcr.io/team/base:1"),
        pod_template("flyte-template", "flytesnacks-development", "42", "ghcr.io/team/ns:1"),
    ]
    state.pod_templates["flyte"] = [pod_template("flyte-template", "flyte", "17", "docker.io/rwgrim/docker-noop")]
    state.config_maps[("flyte", "flyte-propeller-config")] = {
        "metadata": {"name": "flyte-propeller-config", "namespace": "flyte", "resourceVersion": "1234"},
        "data": {"core.yaml": CORE_YAML, "k8s.yaml": K8S_YAML, "README": "not: [yaml"},
    }
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler_for(state))
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)


def write_kubeconfig(tmp_path, server_url: str, *, namespace: str | None = None) -> str:
    context = {"cluster": "loopback", "user": "reader"}
    if namespace:
        context["namespace"] = namespace
    document = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "loopback", "cluster": {"server": server_url}}],
        "users": [{"name": "reader", "user": {"token": "test-token"}}],
        "contexts": [{"name": "flyte-sandbox", "context": context}],
        "current-context": "flyte-sandbox",
    }
    path = tmp_path / "kubeconfig.yaml"
    path.write_text(yaml.safe_dump(document))
    return str(path)


def read(tmp_path, api: FakeApiServer, **kwargs) -> dict:
    kwargs.setdefault("namespace", "flytesnacks-development")
    return read_cluster(kubeconfig=write_kubeconfig(tmp_path, api.url), context="flyte-sandbox", **kwargs)


def test_success__reads_templates_of_both_namespaces_and_the_k8s_plugin_config(tmp_path, api):
    scenario = read(tmp_path, api)

    assert scenario["execution"] == {"namespace": "flytesnacks-development"}
    assert scenario["cluster"] == {"context": "flyte-sandbox", "server": api.url}
    assert scenario["propeller"] == {
        "namespace": "flyte",
        "config": {
            "default-pod-template-name": "flyte-template",
            "default-labels": {"team": "ml"},
            "inject-finalizer": True,
        },
        "configSource": {
            "context": "flyte-sandbox",
            "namespace": "flyte",
            "name": "flyte-propeller-config",
            "key": "k8s.yaml",
            "resourceVersion": "1234",
        },
    }
    # Execution namespace first, then FlytePropeller's; by name within each; server-side metadata dropped.
    assert [t["metadata"] for t in scenario["podTemplates"]] == [
        {"name": "flyte-template", "namespace": "flytesnacks-development", "resourceVersion": "42"},
        {"name": "team-template", "namespace": "flytesnacks-development", "resourceVersion": "41"},
        {"name": "flyte-template", "namespace": "flyte", "resourceVersion": "17"},
    ]
    assert scenario["podTemplates"][2] == {
        "apiVersion": "v1",
        "kind": "PodTemplate",
        "metadata": {"name": "flyte-template", "namespace": "flyte", "resourceVersion": "17"},
        "template": {
            "metadata": {"labels": {"from": "flyte"}},
            "spec": {
                "containers": [
                    {"name": "default", "image": "docker.io/rwgrim/docker-noop", "resources": {"limits": {"cpu": "1"}}}
                ],
                "tolerations": [{"key": "gpu", "operator": "Exists", "effect": "NoSchedule"}],
            },
        },
    }


def test_success__only_reads(tmp_path, api):
    read(tmp_path, api)

    assert {method for method, _ in api.requests} == {"GET"}
    assert sorted(path for _, path in api.requests) == [
        "/api/v1/namespaces/flyte/configmaps/flyte-propeller-config",
        "/api/v1/namespaces/flyte/podtemplates",
        "/api/v1/namespaces/flytesnacks-development/podtemplates",
    ]


def test_success__the_kubeconfig_is_not_rewritten(tmp_path, api):
    path = write_kubeconfig(tmp_path, api.url)
    before = Path(path).read_text()

    read_cluster(namespace="flytesnacks-development", kubeconfig=path)

    assert Path(path).read_text() == before


def test_namespace_defaults_to_the_context_namespace(tmp_path, api):
    path = write_kubeconfig(tmp_path, api.url, namespace="flytesnacks-development")

    scenario = read_cluster(kubeconfig=path)

    assert scenario["execution"] == {"namespace": "flytesnacks-development"}
    assert len(scenario["podTemplates"]) == 3


def test_execution_namespace_equal_to_propeller_namespace_is_listed_once(tmp_path, api):
    scenario = read(tmp_path, api, namespace="flyte")

    assert [t["metadata"]["namespace"] for t in scenario["podTemplates"]] == ["flyte"]
    assert [path for _, path in api.requests].count("/api/v1/namespaces/flyte/podtemplates") == 1


def test_k8s_plugin_config_split_over_keys_is_merged_in_key_order(tmp_path, api):
    api.config_maps[("flyte", "flyte-propeller-config")]["data"]["z-extra.yaml"] = (
        "plugins:\n  k8s:\n    default-labels: {owner: platform}\n    inject-finalizer: false\n"
    )

    propeller = read(tmp_path, api)["propeller"]

    assert propeller["configSource"]["key"] == "k8s.yaml,z-extra.yaml"
    assert propeller["config"] == {
        "default-pod-template-name": "flyte-template",
        "default-labels": {"team": "ml", "owner": "platform"},
        "inject-finalizer": False,
    }


def test_forbidden_namespace__cluster_forbidden(tmp_path, api):
    api.forbidden.add(("flytesnacks-development", "podtemplates"))

    with pytest.raises(InputError) as caught:
        read(tmp_path, api)

    error = caught.value
    assert error.code == "cluster_forbidden"
    assert error.exit_code == 2
    assert "list podtemplates" in error.message
    assert "flytesnacks-development" in error.message
    assert "RBAC" in error.hint


def test_forbidden_configmap__cluster_forbidden_names_the_get(tmp_path, api):
    api.forbidden.add(("flyte", "configmaps"))

    with pytest.raises(InputError) as caught:
        read(tmp_path, api)

    assert caught.value.code == "cluster_forbidden"
    assert "get configmaps/flyte-propeller-config in namespace 'flyte'" in caught.value.message
    assert "kubectl auth can-i get configmaps -n flyte" in caught.value.hint


def test_missing_configmap__configmap_not_found(tmp_path, api):
    with pytest.raises(InputError) as caught:
        read(tmp_path, api, propeller_configmap="flyte-binary-config")

    error = caught.value
    assert error.code == "configmap_not_found"
    assert "flyte-binary-config" in error.message
    assert "--propeller-configmap" in error.hint


def test_configmap_without_plugins_k8s__propeller_config_missing(tmp_path, api):
    del api.config_maps[("flyte", "flyte-propeller-config")]["data"]["k8s.yaml"]

    with pytest.raises(InputError) as caught:
        read(tmp_path, api)

    assert caught.value.code == "propeller_config_missing"
    assert "core.yaml" in caught.value.message


def test_rejected_credentials__cluster_unauthorized(tmp_path, api):
    api.token = "rotated-token"

    with pytest.raises(InputError) as caught:
        read(tmp_path, api)

    assert caught.value.code == "cluster_unauthorized"
    assert "flyte-sandbox" in caught.value.message


def test_closed_port__cluster_unreachable(tmp_path, monkeypatch):
    with socket.socket() as probe:  # a port that was free a moment ago and that nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)

    with pytest.raises(InputError) as caught:
        read_cluster(namespace="ns", kubeconfig=write_kubeconfig(tmp_path, f"http://127.0.0.1:{port}"))

    assert caught.value.code == "cluster_unreachable"
    assert f"127.0.0.1:{port}" in caught.value.message


def test_unknown_context__kubeconfig_invalid(tmp_path, api):
    with pytest.raises(InputError) as caught:
        read_cluster(namespace="ns", kubeconfig=write_kubeconfig(tmp_path, api.url), context="flyte-sandbx")

    assert caught.value.code == "kubeconfig_invalid"
    assert "flyte-sandbox" in caught.value.hint
    assert api.requests == []


def test_missing_kubeconfig__kubeconfig_invalid(tmp_path):
    with pytest.raises(InputError) as caught:
        read_cluster(namespace="ns", kubeconfig=str(tmp_path / "nope.yaml"))

    assert caught.value.code == "kubeconfig_invalid"


def test_kubeconfig_without_current_context__kubeconfig_invalid(tmp_path, api):
    path = write_kubeconfig(tmp_path, api.url)
    document = yaml.safe_load(Path(path).read_text())
    del document["current-context"]
    Path(path).write_text(yaml.safe_dump(document))

    with pytest.raises(InputError) as caught:
        read_cluster(namespace="ns", kubeconfig=path)

    assert caught.value.code == "kubeconfig_invalid"
    assert "flyte-sandbox" in caught.value.hint


def test_the_assembled_scenario_renders_with_the_execution_namespace_template(tmp_path, api):
    scenario = read(tmp_path, api)
    scenario["task"] = {"container": {"image": "ghcr.io/org/app:1", "args": ["run"]}}
    scenario["execution"]["podName"] = "a1b2c3-n0-0"

    result = engine.evaluate(scenario)

    # default-pod-template-name is looked up in the execution namespace before FlytePropeller's own.
    assert result.pod["metadata"]["labels"] == {"from": "flytesnacks-development", "team": "ml"}
    (origin,) = [s["origin"] for s in result.trace.to_dict()["sources"] if s["id"] == "runtime-template"]
    assert "flyte-sandbox" in origin
    assert "flytesnacks-development/flyte-template" in origin
    assert "42" in origin


def test_podeval_render_and_scenario_with_cluster(tmp_path, api, capsys):
    """`podeval render --cluster` and `podeval scenario --cluster`, through the CLI, against the loopback API."""
    from engine.cli import main

    kubeconfig = write_kubeconfig(tmp_path, api.url)
    task = tmp_path / "task.yaml"
    task.write_text(
        yaml.safe_dump({"task": {"container": {"image": "ghcr.io/org/app:1"}}, "execution": {"podName": "a1b2c3-n0-0"}})
    )
    common = [
        "--cluster",
        "--kubeconfig",
        kubeconfig,
        "--context",
        "flyte-sandbox",
        "--namespace",
        "flytesnacks-development",
    ]
    assert main(["render", str(task), *common]) == 0
    pod = yaml.safe_load(capsys.readouterr().out)
    assert pod["metadata"]["labels"]["from"] == "flytesnacks-development"
    assert main(["scenario", str(task), *common]) == 0
    scenario = yaml.safe_load(capsys.readouterr().out)
    assert {t["metadata"]["resourceVersion"] for t in scenario["podTemplates"]} >= {"42", "17"}
    assert scenario["propeller"]["configSource"]["name"] == "flyte-propeller-config"
    assert engine.evaluate(scenario).pod == pod  # the written scenario renders the same Pod, offline
    assert {method for method, _ in api.requests} == {"GET"}


def test_podeval_render_cluster_forbidden_is_exit_2(tmp_path, api, capsys):
    from engine.cli import main

    api.forbidden.add(("flytesnacks-development", "podtemplates"))
    task = tmp_path / "task.yaml"
    task.write_text(yaml.safe_dump({"task": {"container": {"image": "i"}}, "execution": {"podName": "p"}}))
    code = main(
        [
            "render",
            str(task),
            "--cluster",
            "--kubeconfig",
            write_kubeconfig(tmp_path, api.url),
            "--namespace",
            "flytesnacks-development",
        ]
    )
    err = capsys.readouterr().err
    assert code == 2 and "cluster_forbidden" in err and err.count("\n") == 1


def test_cluster_config_is_loaded_as_flytepropeller_loads_it(tmp_path, api, capsys):
    """The ConfigMap read from the cluster goes through the loader --propeller-config uses (engine.inputs.propeller_config):
    viper lowercases the mapping key Team (a warning names the ConfigMap key and the line in its text), the list
    form keeps MY_VAR, and explain names the key an option came from."""
    from engine.cli import main

    api.config_maps[("flyte", "flyte-propeller-config")]["data"]["z-extra.yaml"] = (
        "plugins:\n  k8s:\n    default-labels: {Team: ml}\n    default-env-vars: [{MY_VAR: one}]\n"
    )
    task = tmp_path / "task.yaml"
    task.write_text(
        yaml.safe_dump({"task": {"container": {"image": "ghcr.io/org/app:1"}}, "execution": {"podName": "a1b2c3-n0-0"}})
    )
    common = [
        str(task),
        "--cluster",
        "--kubeconfig",
        write_kubeconfig(tmp_path, api.url),
        "--context",
        "flyte-sandbox",
        "--namespace",
        "flytesnacks-development",
    ]
    assert main(["render", *common]) == 0
    captured = capsys.readouterr()
    pod = yaml.safe_load(captured.out)
    assert pod["metadata"]["labels"]["team"] == "ml" and "Team" not in pod["metadata"]["labels"]
    assert {"name": "MY_VAR", "value": "one"} in pod["spec"]["containers"][0]["env"]
    assert captured.err == (
        "podeval: warning: ConfigMap flyte/flyte-propeller-config data[z-extra.yaml]:3:22 (in cluster "
        "flyte-sandbox): propeller.config.default-labels.Team: FlytePropeller reads the key 'Team' of default-labels "
        "as 'team': viper lowercases every mapping key of the config (hint: to keep the case, write default-labels "
        "as a list of single-key mappings, which FlytePropeller reads as a mapping: default-labels: [{Team: ...}])\n"
    )
    assert main(["explain", *common, "spec.containers[name=a1b2c3-n0-0].env[name=MY_VAR].value"]) == 0
    assert (
        "default-env-vars: ConfigMap flyte/flyte-propeller-config data[z-extra.yaml]:4:5 (in cluster flyte-sandbox)"
    ) in capsys.readouterr().out


def test_cluster_configmap_carries_flyte_2s_executor_section(tmp_path, api, capsys):
    """Flyte 2's executor reads its own section, ``executor``, from the same config (executor/pkg/config/config.go:9,
    :87 at 6fadb90): a key of the ConfigMap holding it is read like --propeller-config's files, and
    executor.defaultK8sServiceAccount is the pod's service account when the task has no run-as account
    (executor/pkg/plugin/task_exec_metadata.go:81-86; flytek8s/pod_helper.go:461-462); explain names the key."""
    from engine.cli import main

    api.config_maps[("flyte", "flyte-propeller-config")]["data"]["executor.yaml"] = (
        "executor:\n  defaultK8sServiceAccount: flyte-task-runner\n"
    )
    task = tmp_path / "task.yaml"
    task.write_text(yaml.safe_dump({"task": {"container": {"image": "ghcr.io/org/app:1"}}}))
    common = [
        str(task),
        "--rules",
        "flyte-v2",
        "--cluster",
        "--kubeconfig",
        write_kubeconfig(tmp_path, api.url),
        "--context",
        "flyte-sandbox",
        "--namespace",
        "flytesnacks-development",
    ]
    assert main(["render", *common]) == 0
    assert yaml.safe_load(capsys.readouterr().out)["spec"]["serviceAccountName"] == "flyte-task-runner"
    assert main(["explain", *common, "spec.serviceAccountName"]) == 0
    assert (
        "from ConfigMap flyte/flyte-propeller-config data[executor.yaml]:2:29 (in cluster flyte-sandbox)"
        in capsys.readouterr().out
    )
