"""Every FlytePropeller K8s plugin option that shapes the Pod: where it applies and how it ranks (spec §4).

Each test names the option; docs/plugin-options.md links here. A container task without a pod template is the
base; where an option's precedence against the task or the runtime template matters, both are tested.
"""

from __future__ import annotations

import copy

import pytest

import engine

BASE = {
    "task": {"type": "python-task", "container": {"image": "img:1", "args": ["pyflyte-execute"]}},
    "execution": {"namespace": "ns", "podName": "pod-1", "serviceAccount": "sa"},
    "propeller": {"namespace": "flyte", "config": {}},
}


def render(config=None, *, task=None, execution=None, templates=None, propeller=None):
    scenario = copy.deepcopy(BASE)
    scenario["propeller"]["config"] = config or {}
    scenario["task"].update(task or {})
    scenario["execution"].update(execution or {})
    scenario["propeller"].update(propeller or {})
    if templates:
        scenario["podTemplates"] = templates
    return engine.evaluate(scenario)


def template(spec, metadata=None, name="flyte-template", namespace="flyte"):
    spec = dict(spec)
    spec.setdefault("containers", [{"name": "noop", "image": "docker.io/rwgrim/docker-noop"}])  # the API requires one
    return [
        {
            "apiVersion": "v1",
            "kind": "PodTemplate",
            "metadata": {"name": name, "namespace": namespace},
            "template": {"metadata": metadata or {}, "spec": spec},
        }
    ]


def pod_task(pod_spec, **extra):
    return {"podTemplate": {"primaryContainerName": "primary", "podSpec": pod_spec, **extra}}


def primary(result):
    return result.pod["spec"]["containers"][0]


# -- container target ---------------------------------------------------------------------------------------------


def test_image_pull_policy_applies_to_container_targets_only():
    assert primary(render({"image-pull-policy": "Always"}))["imagePullPolicy"] == "Always"
    result = render({"image-pull-policy": "Always"}, task=pod_task({"containers": [{"name": "primary"}]}))
    assert "imagePullPolicy" not in primary(result)


def test_image_pull_policy_empty_leaves_the_template_value():
    result = render(
        {"image-pull-policy": "", "default-pod-template-name": "flyte-template"},
        templates=template({"containers": [{"name": "default", "imagePullPolicy": "IfNotPresent"}]}),
    )
    assert primary(result)["imagePullPolicy"] == "IfNotPresent"


# -- resources ------------------------------------------------------------------------------------------------------


def test_default_cpus_and_default_memory_fill_requests_and_limits():
    result = render({"default-cpus": "500m", "default-memory": "2Gi"})
    assert primary(result)["resources"] == {
        "requests": {"cpu": "500m", "memory": "2Gi"},
        "limits": {"cpu": "500m", "memory": "2Gi"},
    }
    why = result.trace.explain("spec.containers[name=pod-1].resources.requests.cpu")
    assert why["owner"] == "k8s-plugin"
    assert any("default-cpus" in event.get("note", "") for event in why["history"])


def test_builtin_resource_defaults_are_one_cpu_and_one_gibibyte():
    assert primary(render())["resources"]["requests"] == {"cpu": "1", "memory": "1Gi"}


def test_platform_resources_beat_default_cpus_and_clamp():
    result = render(
        {"default-cpus": "500m"},
        task={"container": {"image": "i", "resources": {"requests": {"cpu": "4"}}}},
        execution={"platformResources": {"requests": {"cpu": "2", "memory": "3Gi"}, "limits": {"cpu": "3"}}},
    )
    resources = primary(result)["resources"]
    assert resources["requests"] == {"cpu": "3", "memory": "3Gi"}  # 4 clamped to the platform limit 3
    assert resources["limits"] == {"cpu": "3", "memory": "3Gi"}


def test_execution_override_resources_win_over_the_task():
    result = render(
        task={"container": {"image": "i", "resources": {"requests": {"cpu": "1"}}}},
        execution={"overrides": {"resources": {"requests": {"cpu": "2"}, "limits": {"cpu": "4"}}}},
    )
    assert primary(result)["resources"]["requests"]["cpu"] == "2"
    assert primary(result)["resources"]["limits"]["cpu"] == "4"
    assert result.trace.owners["spec.containers[name=pod-1].resources.requests.cpu"] == "execution"


def test_gpu_resource_name_renames_gpu_in_pod_specs():
    result = render(
        {"gpu-resource-name": "amd.com/gpu"},
        task=pod_task({"containers": [{"name": "primary", "resources": {"limits": {"gpu": "1"}}}]}),
    )
    resources = primary(result)["resources"]
    assert resources["limits"]["amd.com/gpu"] == "1" and resources["requests"]["amd.com/gpu"] == "1"
    assert "gpu" not in resources["limits"]


def test_template_resources_fill_what_the_task_leaves_unset():
    result = render(
        {"default-pod-template-name": "flyte-template"},
        templates=template({"containers": [{"name": "primary", "resources": {"limits": {"memory": "8Gi"}}}]}),
    )
    assert primary(result)["resources"]["limits"]["memory"] == "8Gi"
    assert primary(result)["resources"]["requests"]["memory"] == "8Gi"
    assert result.trace.owners["spec.containers[name=pod-1].resources.limits.memory"] == "runtime-template"


def test_sidecars_get_zero_cpu_and_memory_and_no_defaults():
    result = render(task=pod_task({"containers": [{"name": "primary"}, {"name": "side", "image": "s"}]}))
    side = result.pod["spec"]["containers"][1]
    assert side["resources"] == {"limits": {"cpu": "0", "memory": "0"}, "requests": {"cpu": "0", "memory": "0"}}


# -- env --------------------------------------------------------------------------------------------------------


def test_env_var_order_follows_decorate_env_vars():
    result = render(
        {
            "default-env-vars": {"B": "2", "A": "1"},
            "default-env-vars-from-env": {"FROM": "HOST_VAR"},
            "default-env-from-secrets": ["s1"],
            "default-env-from-configmaps": ["c1"],
        },
        task={
            "container": {"image": "i", "env": {"OWN": "x"}},
            "id": {"project": "p", "domain": "d", "name": "t", "version": "v"},
        },
        execution={
            "envVars": {"EXEC": "e"},
            "id": {"project": "p", "domain": "d", "name": "abc"},
            "nodeId": "n0",
            "attempt": 1,
        },
        propeller={"env": {"HOST_VAR": "from-propeller"}},
    )
    names = [e["name"] for e in primary(result)["env"]]
    assert names == [
        "OWN",
        "FLYTE_INTERNAL_EXECUTION_ID",
        "FLYTE_INTERNAL_EXECUTION_PROJECT",
        "FLYTE_INTERNAL_EXECUTION_DOMAIN",
        "FLYTE_ATTEMPT_NUMBER",
        "FLYTE_INTERNAL_TASK_PROJECT",
        "FLYTE_INTERNAL_TASK_DOMAIN",
        "FLYTE_INTERNAL_TASK_NAME",
        "FLYTE_INTERNAL_TASK_VERSION",
        "EXEC",
        "A",
        "B",
        "FROM",
    ]
    env = {e["name"]: e.get("value") for e in primary(result)["env"]}
    assert env["FROM"] == "from-propeller" and env["FLYTE_ATTEMPT_NUMBER"] == "1"
    assert primary(result)["envFrom"] == [
        {"secretRef": {"name": "s1", "optional": True}},
        {"configMapRef": {"name": "c1", "optional": True}},
    ]
    assert result.trace.owners["spec.containers[name=pod-1].env[name=A].value"] == "k8s-plugin"
    assert result.trace.owners["spec.containers[name=pod-1].env[name=FLYTE_ATTEMPT_NUMBER].value"] == "flyte"


def test_no_system_env_vars_or_labels_without_an_execution_identity():
    result = render({"default-env-vars": {"foo": "bar"}})
    assert [e["name"] for e in primary(result)["env"]] == ["foo"]
    assert "labels" not in result.pod["metadata"]


def test_system_labels_with_an_execution_identity():
    result = render(
        task={"id": {"project": "p", "domain": "d", "name": "my_module.my_task", "version": "v"}},
        execution={
            "id": {"project": "p", "domain": "d", "name": "abc123"},
            "nodeId": "n0",
            "labels": {"team": "ml", "node-id": "user-value"},
        },
    )
    labels = result.pod["metadata"]["labels"]
    assert labels["execution-id"] == "abc123" and labels["project"] == "p" and labels["domain"] == "d"
    assert labels["node-id"] == "n0" and labels["task-name"] == "my-module-my-task"
    assert labels["interruptible"] == "false" and labels["team"] == "ml"
    assert labels["shard-key"] == str(int(labels["shard-key"])) and 0 <= int(labels["shard-key"]) < 32


def test_template_env_comes_first_and_duplicates_are_kept():
    result = render(
        {"default-pod-template-name": "flyte-template", "default-env-vars": {"FOO": "config"}},
        templates=template({"containers": [{"name": "default", "env": [{"name": "FOO", "value": "tpl"}]}]}),
    )
    env = primary(result)["env"]
    assert env == [{"name": "FOO", "value": "tpl"}, {"name": "FOO", "value": "config"}]
    assert result.trace.owners["spec.containers[name=pod-1].env[name=FOO].value"] == "runtime-template"
    assert result.trace.owners["spec.containers[name=pod-1].env[name=FOO#2].value"] == "k8s-plugin"


# -- tolerations ------------------------------------------------------------------------------------------------

TOL = {"key": "k", "operator": "Exists", "effect": "NoSchedule"}


def test_toleration_order_resource_interruptible_default_then_the_pods_then_gpu():
    config = {
        "resource-tolerations": {"nvidia.com/gpu": [dict(TOL, key="gpu")]},
        "interruptible-tolerations": [dict(TOL, key="spot")],
        "default-tolerations": [dict(TOL, key="dflt")],
        "default-pod-template-name": "flyte-template",
    }
    result = render(
        config,
        task={
            **pod_task(
                {
                    "containers": [{"name": "primary", "resources": {"limits": {"gpu": "1"}}}],
                    "tolerations": [dict(TOL, key="task")],
                }
            ),
            "interruptible": True,
            "extendedResources": {"gpuAccelerator": {"device": "a100"}},
        },
        templates=template({"tolerations": [dict(TOL, key="tpl")]}),
    )
    keys = [t["key"] for t in result.pod["spec"]["tolerations"]]
    assert keys == ["tpl", "gpu", "spot", "dflt", "task", "k8s.amazonaws.com/accelerator"]


def test_resource_tolerations_single_object_is_read_as_a_list():
    result = render(
        {"resource-tolerations": {"nvidia.com/gpu": dict(TOL, key="gpu")}},
        task={"container": {"image": "i", "resources": {"limits": {"gpu": "1"}}}},
    )
    assert [t["key"] for t in result.pod["spec"]["tolerations"]] == ["gpu"]


def test_interruptible_tolerations_only_when_interruptible():
    config = {"interruptible-tolerations": [TOL]}
    assert "tolerations" not in render(config).pod["spec"]
    assert render(config, execution={"interruptible": True}).pod["spec"]["tolerations"] == [TOL]
    assert (
        "tolerations"
        not in render(config, task={"interruptible": True}, execution={"interruptible": False}).pod["spec"]
    )


# -- scheduling -----------------------------------------------------------------------------------------------


def test_scheduler_name_beats_the_template_but_not_the_task():
    tpl = template({"schedulerName": "tpl-scheduler"})
    config = {"scheduler-name": "cfg-scheduler", "default-pod-template-name": "flyte-template"}
    assert render(config, templates=tpl).pod["spec"]["schedulerName"] == "cfg-scheduler"
    task = pod_task({"containers": [{"name": "primary"}], "schedulerName": "task-scheduler"})
    assert render(config, task=task, templates=tpl).pod["spec"]["schedulerName"] == "task-scheduler"
    assert (
        render({"default-pod-template-name": "flyte-template"}, templates=tpl).pod["spec"]["schedulerName"]
        == "tpl-scheduler"
    )


def test_default_node_selector_loses_to_the_task_and_interruptible_node_selector_wins():
    task = pod_task({"containers": [{"name": "primary"}], "nodeSelector": {"a": "task", "b": "task"}})
    config = {"default-node-selector": {"a": "default", "c": "default"}, "interruptible-node-selector": {"b": "spot"}}
    assert render(config, task=task).pod["spec"]["nodeSelector"] == {"a": "task", "b": "task", "c": "default"}
    result = render(config, task=task, execution={"interruptible": True})
    assert result.pod["spec"]["nodeSelector"] == {"a": "task", "b": "spot", "c": "default"}


def test_default_affinity_only_when_the_task_has_none():
    affinity = {
        "podAffinity": {
            "preferredDuringSchedulingIgnoredDuringExecution": [
                {"weight": 1, "podAffinityTerm": {"topologyKey": "zone"}}
            ]
        }
    }
    assert render({"default-affinity": affinity}).pod["spec"]["affinity"] == affinity
    task = pod_task({"containers": [{"name": "primary"}], "affinity": {"nodeAffinity": {}}})
    assert render({"default-affinity": affinity}, task=task).pod["spec"]["affinity"] == {"nodeAffinity": {}}


REQ = {"key": "spot", "operator": "In", "values": ["true"]}
NON = {"key": "spot", "operator": "In", "values": ["false"]}


def test_interruptible_node_selector_requirements():
    config = {"interruptible-node-selector-requirement": REQ, "non-interruptible-node-selector-requirement": NON}
    terms = lambda r: r.pod["spec"]["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"][
        "nodeSelectorTerms"
    ]
    assert terms(render(config, execution={"interruptible": True})) == [{"matchExpressions": [REQ]}]
    assert terms(render(config)) == [{"matchExpressions": [NON]}]
    task = pod_task(
        {
            "containers": [{"name": "primary"}],
            "affinity": {
                "nodeAffinity": {
                    "requiredDuringSchedulingIgnoredDuringExecution": {
                        "nodeSelectorTerms": [
                            {"matchExpressions": [{"key": "a", "operator": "Exists"}]},
                            {"matchExpressions": [{"key": "b", "operator": "Exists"}]},
                        ]
                    }
                }
            },
        }
    )
    got = terms(render(config, task=task, execution={"interruptible": True}))
    assert got == [
        {"matchExpressions": [{"key": "a", "operator": "Exists"}, REQ]},
        {"matchExpressions": [{"key": "b", "operator": "Exists"}, REQ]},
    ]


def test_template_node_selector_terms_are_ored_in_unconstrained_and_the_trace_warns():
    config = {"interruptible-node-selector-requirement": REQ, "default-pod-template-name": "flyte-template"}
    tpl = template(
        {
            "affinity": {
                "nodeAffinity": {
                    "requiredDuringSchedulingIgnoredDuringExecution": {
                        "nodeSelectorTerms": [
                            {"matchExpressions": [{"key": "pool", "operator": "In", "values": ["x"]}]}
                        ]
                    }
                }
            }
        }
    )
    result = render(config, execution={"interruptible": True}, templates=tpl)
    terms = result.pod["spec"]["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"][
        "nodeSelectorTerms"
    ]
    assert terms == [
        {"matchExpressions": [{"key": "pool", "operator": "In", "values": ["x"]}]},
        {"matchExpressions": [REQ]},
    ]
    assert any("OR" in (w.note or "") for w in result.warnings)


# -- security, dns, host network ---------------------------------------------------------------------------------


def test_default_pod_security_context_and_default_security_context():
    config = {
        "default-pod-security-context": {"runAsNonRoot": True},
        "default-security-context": {"allowPrivilegeEscalation": False},
    }
    result = render(config)
    assert result.pod["spec"]["securityContext"] == {"runAsNonRoot": True}
    assert primary(result)["securityContext"] == {"allowPrivilegeEscalation": False}
    task = pod_task(
        {
            "containers": [
                {"name": "primary", "securityContext": {"privileged": True}},
                {"name": "side", "image": "s"},
            ],
            "securityContext": {"runAsUser": 1},
        }
    )
    result = render(config, task=task)
    assert result.pod["spec"]["securityContext"] == {"runAsUser": 1}
    assert primary(result)["securityContext"] == {"privileged": True}
    assert "securityContext" not in result.pod["spec"]["containers"][1]  # primary container only


def test_default_security_context_false_does_not_override_a_template_true():
    config = {
        "default-security-context": {"allowPrivilegeEscalation": False},
        "default-pod-template-name": "flyte-template",
    }
    tpl = template({"containers": [{"name": "default", "securityContext": {"allowPrivilegeEscalation": True}}]})
    assert primary(render(config, templates=tpl))["securityContext"] == {"allowPrivilegeEscalation": True}


def test_default_pod_dns_config_lists_are_appended_after_the_templates():
    config = {"default-pod-dns-config": {"nameservers": ["1.1.1.1"]}, "default-pod-template-name": "flyte-template"}
    tpl = template({"dnsConfig": {"nameservers": ["8.8.8.8"]}})
    assert render(config, templates=tpl).pod["spec"]["dnsConfig"] == {"nameservers": ["8.8.8.8", "1.1.1.1"]}


@pytest.mark.parametrize(
    "config_value, task_value, template_value, expected",
    [
        (True, None, None, True),
        (False, True, None, None),  # the config's false overrides the task's true (UpdatePod assigns)
        (False, True, True, True),  # ... and the template's true then wins (true wins a mergo merge)
        (None, True, False, True),
        (False, None, True, True),
    ],
)
def test_enable_host_networking_pod(config_value, task_value, template_value, expected):
    config = {"default-pod-template-name": "flyte-template"}
    if config_value is not None:
        config["enable-host-networking-pod"] = config_value
    spec = {"containers": [{"name": "primary"}]}
    if task_value is not None:
        spec["hostNetwork"] = task_value
    tpl = template({"hostNetwork": template_value} if template_value is not None else {})
    assert render(config, task=pod_task(spec), templates=tpl).pod["spec"].get("hostNetwork") == expected


# -- extended resources ---------------------------------------------------------------------------------------------


def test_gpu_accelerator_needs_a_gpu_limit_key():
    accelerator = {"extendedResources": {"gpuAccelerator": {"device": "a100"}}}
    # a request is defaulted into a limit for the primary container, so the selector applies
    result = render(task={"container": {"image": "i", "resources": {"requests": {"gpu": "1"}}}, **accelerator})
    assert result.pod["spec"]["tolerations"][0]["value"] == "a100"
    # no container asks for a GPU: nothing is added, and the trace says why
    result = render(task={"container": {"image": "i"}, **accelerator})
    assert "tolerations" not in result.pod["spec"]
    assert any(e.op == "drop" and e.rule == "gpu-accelerator" for e in result.trace.events)
    # Flyte checks that the limit *key* exists: a sidecar's GPU request leaves a zero limit behind, which counts
    side_only = pod_task(
        {"containers": [{"name": "primary"}, {"name": "side", "image": "s", "resources": {"requests": {"gpu": "1"}}}]}
    )
    result = render(task={**side_only, **accelerator})
    assert result.pod["spec"]["containers"][1]["resources"]["limits"]["nvidia.com/gpu"] == "0"
    assert result.pod["spec"]["tolerations"][0]["value"] == "a100"


def test_gpu_device_and_partition_labels():
    config = {"gpu-device-node-label": "dev", "gpu-partition-size-node-label": "part"}
    task = {
        "container": {"image": "i", "resources": {"limits": {"gpu": "1"}}},
        "extendedResources": {"gpuAccelerator": {"device": "a100", "partitionSize": "1g.5gb"}},
    }
    spec = render(config, task=task).pod["spec"]
    requirement = spec["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
    assert requirement["nodeSelectorTerms"] == [
        {
            "matchExpressions": [
                {"key": "dev", "operator": "In", "values": ["a100"]},
                {"key": "part", "operator": "In", "values": ["1g.5gb"]},
            ]
        }
    ]
    assert spec["tolerations"] == [
        {"key": "dev", "value": "a100", "operator": "Equal", "effect": "NoSchedule"},
        {"key": "part", "value": "1g.5gb", "operator": "Equal", "effect": "NoSchedule"},
    ]


def test_gpu_unpartitioned():
    task = {
        "container": {"image": "i", "resources": {"limits": {"gpu": "1"}}},
        "extendedResources": {"gpuAccelerator": {"device": "a100", "unpartitioned": True}},
    }
    spec = render(task=task).pod["spec"]
    expressions = spec["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"][
        "nodeSelectorTerms"
    ][0]["matchExpressions"]
    assert expressions[1] == {"key": "k8s.amazonaws.com/gpu-partition-size", "operator": "DoesNotExist"}
    config = {
        "gpu-unpartitioned-node-selector-requirement": {"key": "whole", "operator": "Exists"},
        "gpu-unpartitioned-toleration": {"key": "whole", "operator": "Exists", "effect": "NoSchedule"},
    }
    spec = render(config, task=task).pod["spec"]
    assert spec["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"][0][
        "matchExpressions"
    ][1] == {"key": "whole", "operator": "Exists"}
    assert spec["tolerations"][-1] == {"key": "whole", "operator": "Exists", "effect": "NoSchedule"}


def test_shared_memory_adds_a_volume_and_mount_and_clashes_are_exit_3():
    task = {"extendedResources": {"sharedMemory": {"mountName": "shm", "mountPath": "/dev/shm", "sizeLimit": "1Gi"}}}
    result = render(task=task)
    assert result.pod["spec"]["volumes"] == [{"name": "shm", "emptyDir": {"medium": "Memory", "sizeLimit": "1Gi"}}]
    assert primary(result)["volumeMounts"] == [{"name": "shm", "mountPath": "/dev/shm"}]
    with pytest.raises(engine.FlyteBuildError) as error:
        render(
            {"default-pod-template-name": "flyte-template"},
            task=task,
            templates=template({"volumes": [{"name": "shm", "emptyDir": {}}]}),
        )
    assert error.value.code == "shared_memory_clash" and "already named shm" in error.value.message


def test_add_tolerations_for_extended_resources_is_not_used_by_the_pod_plugin():
    result = render(
        {"add-tolerations-for-extended-resources": ["nvidia.com/gpu"]},
        task={"container": {"image": "i", "resources": {"limits": {"gpu": "1"}}}},
    )
    assert "tolerations" not in result.pod["spec"]


# -- config loading -------------------------------------------------------------------------------------------------


def test_setting_default_annotations_replaces_the_builtin_default():
    assert render().pod["metadata"]["annotations"]["cluster-autoscaler.kubernetes.io/safe-to-evict"] == "false"
    annotations = render({"default-annotations": {"a": "b"}}).pod["metadata"]["annotations"]
    assert "cluster-autoscaler.kubernetes.io/safe-to-evict" not in annotations and annotations["a"] == "b"


def test_a_list_of_single_key_maps_is_read_as_a_map():
    result = render({"default-labels": [{"a": "1"}, {"b": "2"}]})
    assert result.pod["metadata"]["labels"] == {"a": "1", "b": "2"}


def test_options_that_do_not_shape_the_pod_are_accepted():
    render(
        {
            "create-container-error-grace-period": "3m",
            "pod-pending-timeout": "5m",
            "co-pilot": {"image": "x"},
            "inject-finalizer": False,
            "default-pod-template-resync": "30s",
        }
    )


def test_an_unknown_option_is_ignored_with_a_warning_that_suggests_the_right_one():
    """FlytePropeller decodes its config non-strictly (flytestdlib viper.go: ErrorUnused = strictMode, and
    flytepropeller's root.go loads with StrictMode false): the key is ignored, the Pod is the same."""
    result = render({"default-label": {"a": "b"}, "default-labels": {"c": "d"}})
    assert result.pod == render({"default-labels": {"c": "d"}}).pod
    [warning] = [w for w in result.warnings if w.path_text == "propeller.config.default-label"]
    assert "ignores the unknown K8s plugin option 'default-label'" in warning.note
    assert "did you mean 'default-labels'?" in warning.note


def test_strict_makes_an_unknown_option_an_error():
    scenario = copy.deepcopy(BASE)
    scenario["propeller"]["config"] = {"default-label": {"a": "b"}}
    with pytest.raises(engine.InputError) as error:
        engine.evaluate(scenario, strict=True)
    assert error.value.code == "unknown_option" and "default-labels" in error.value.hint
    assert error.value.path == "propeller.config.default-label"


def test_inject_finalizer():
    assert render({"inject-finalizer": True}).pod["metadata"]["finalizers"] == ["flyte.org/finalizer-k8s"]
    assert "finalizers" not in render().pod["metadata"]


def test_config_values_are_decoded_weakly_as_flytepropeller_does():
    # flytestdlib decodes with WeaklyTypedInput: the docs page's toleration `value=1` reads as "1", one toleration
    # where a list is wanted as a list of one, numbers in default-env-vars as their text (Flyte's testdata config)
    result = render(
        {
            "default-tolerations": {"key": "num-gpus", "operator": "Equal", "value": 1, "effect": "NoSchedule"},
            "default-env-vars": {"AWS_METADATA_SERVICE_TIMEOUT": 5},
        }
    )
    assert result.pod["spec"]["tolerations"] == [
        {"key": "num-gpus", "operator": "Equal", "value": "1", "effect": "NoSchedule"}
    ]
    assert {"name": "AWS_METADATA_SERVICE_TIMEOUT", "value": "5"} in primary(result)["env"]


def test_workflow_name_label_from_the_execution_workflow():
    result = render(
        execution={
            "id": {"project": "p", "domain": "d", "name": "abc"},
            "nodeId": "n0",
            "workflow": "p:d:My_Workflows.train",
        }
    )
    assert result.pod["metadata"]["labels"]["workflow-name"] == "my-workflows-train"
