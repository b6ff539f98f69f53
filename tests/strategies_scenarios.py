"""Hypothesis strategies for valid scenarios (contract §2), used by tests/test_properties.py.

A generated scenario is valid input: names, labels and quantities are what Kubernetes accepts, and a task that names
a runtime PodTemplate names one that exists. It may still be one Flyte refuses to build (a k8sPod whose primary
container is missing, a shared-memory volume that clashes): evaluating it must then raise a documented error.

The task is one of the three views: a container target, ``@task(pod_template=...)`` (the authoring view,
serialized as flytekit does) or a registered ``k8sPod``; runtime PodTemplates have ``default``, ``primary`` and
other containers; the plugin config is a subset of the options that shape the Pod.
"""

from __future__ import annotations

from hypothesis import strategies as st

from engine.k8s import quantity

NAMESPACES = ("flyte", "flytesnacks-development")
TEMPLATE_NAMES = ("flyte-template", "gpu-template", "base")

dns_labels = st.from_regex(r"[a-z]([-a-z0-9]{0,6}[a-z0-9])?", fullmatch=True)
container_names = st.one_of(st.sampled_from(["primary", "default", "main", "sidecar", "helper"]), dns_labels)
label_names = st.from_regex(r"[A-Za-z0-9]([-A-Za-z0-9_.]{0,6}[A-Za-z0-9])?", fullmatch=True)
label_keys = st.builds(
    lambda prefix, name: prefix + name, st.sampled_from(["", "", "example.com/", "app.kubernetes.io/"]), label_names
)
label_values = st.one_of(st.just(""), label_names)
labels = st.dictionaries(label_keys, label_values, max_size=4)
annotations = st.dictionaries(
    label_keys, st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=12), max_size=4
)
images = st.sampled_from(["img:1", "repo/placeholder:0.0.0", "ghcr.io/org/app:2", "docker.io/rwgrim/docker-noop"])
words = st.from_regex(r"[-a-z0-9_.=/{}]{1,10}", fullmatch=True)
commands = st.lists(words, max_size=3)
quantities = {
    "cpu": st.sampled_from(["100m", "500m", "1", "2", "1500m", 1, 2]),
    "memory": st.sampled_from(["128Mi", "1Gi", "2Gi", "500M", "1024Mi"]),
    "ephemeral-storage": st.sampled_from(["1Gi", "10G"]),
    "gpu": st.sampled_from(["1", "2"]),
}
env_names = st.sampled_from(["FOO", "BAR", "PATH_X", "A1", "FLYTE_X"])


@st.composite
def resource_lists(draw, names=("cpu", "memory", "ephemeral-storage")):
    chosen = draw(st.lists(st.sampled_from(names), unique=True, max_size=len(names)))
    return {name: draw(quantities[name]) for name in chosen}


@st.composite
def resources(draw, gpu=True):
    names = ("cpu", "memory", "ephemeral-storage", "gpu") if gpu else ("cpu", "memory", "ephemeral-storage")
    result = {}
    if draw(st.booleans()):
        result["requests"] = draw(resource_lists(names))
    if draw(st.booleans()):
        result["limits"] = draw(resource_lists(names))
    if "gpu" in result.get("requests", {}) and "gpu" in result.get("limits", {}):
        result["limits"]["gpu"] = result["requests"]["gpu"]  # a GPU cannot be overcommitted: request == limit
    return result


env_lists = st.lists(st.builds(lambda name, value: {"name": name, "value": value}, env_names, words), max_size=3)
tolerations = st.lists(
    st.fixed_dictionaries(
        {"key": label_names},
        optional={
            "operator": st.sampled_from(["Equal", "Exists"]),
            "value": label_values,
            "effect": st.sampled_from(["NoSchedule", "PreferNoSchedule", "NoExecute"]),
            "tolerationSeconds": st.integers(0, 3600),
        },
    ),
    max_size=2,
)
node_selector_requirements = st.fixed_dictionaries(
    {
        "key": label_keys,
        "operator": st.sampled_from(["In", "NotIn", "Exists"]),
    },
    optional={"values": st.lists(label_names, min_size=1, max_size=2)},
)
affinities = st.fixed_dictionaries(
    {},
    optional={
        "nodeAffinity": st.fixed_dictionaries(
            {},
            optional={
                "requiredDuringSchedulingIgnoredDuringExecution": st.fixed_dictionaries(
                    {
                        "nodeSelectorTerms": st.lists(
                            st.fixed_dictionaries(
                                {"matchExpressions": st.lists(node_selector_requirements, min_size=1, max_size=2)}
                            ),
                            min_size=1,
                            max_size=2,
                        )
                    }
                )
            },
        )
    },
)


@st.composite
def containers(draw, name, image=True):
    container = {"name": name}
    if image and draw(st.booleans()):
        container["image"] = draw(images)
    optional = {
        "command": commands,
        "args": commands,
        "env": env_lists,
        "resources": resources(),
        "imagePullPolicy": st.sampled_from(["Always", "IfNotPresent"]),
        "terminationMessagePath": st.sampled_from(["/dev/foo", "/tmp/term"]),
        "workingDir": st.sampled_from(["/work", "/tmp"]),
        "securityContext": st.fixed_dictionaries(
            {}, optional={"runAsUser": st.integers(0, 2000), "privileged": st.booleans()}
        ),
        "volumeMounts": st.lists(
            st.fixed_dictionaries(
                {"name": st.sampled_from(["data", "cache"]), "mountPath": st.sampled_from(["/data", "/cache"])}
            ),
            max_size=1,
        ),
    }
    for field in draw(st.lists(st.sampled_from(sorted(optional)), unique=True, max_size=4)):
        container[field] = draw(optional[field])
    return container


@st.composite
def pod_specs(draw, required=(), names=container_names, image=True):
    """A pod spec whose containers have unique names, including every name of ``required``."""
    extra = draw(st.lists(names, max_size=2))
    ordered = draw(st.permutations(list(dict.fromkeys([*required, *extra])) or ["noop"]))
    spec: dict = {"containers": [draw(containers(name, image=image)) for name in ordered]}
    optional = {
        "hostNetwork": st.booleans(),
        "tolerations": tolerations,
        "nodeSelector": st.dictionaries(label_keys, label_values, max_size=2),
        "serviceAccountName": st.sampled_from(["default", "task-sa"]),
        "schedulerName": st.sampled_from(["default-scheduler", "custom"]),
        "restartPolicy": st.sampled_from(["Never", "OnFailure", "Always"]),
        "affinity": affinities,
        "volumes": st.just([{"name": "data", "emptyDir": {}}]),
        "terminationGracePeriodSeconds": st.integers(0, 120),
        "securityContext": st.fixed_dictionaries(
            {}, optional={"runAsNonRoot": st.booleans(), "fsGroup": st.integers(0, 2000)}
        ),
        "initContainers": st.lists(
            st.sampled_from(["init", "default-init", "primary-init"]), unique=True, max_size=2
        ).map(lambda ns: [{"name": n, "image": "init:1"} for n in ns]),
        "dnsConfig": st.just({"options": [{"name": "ndots", "value": "2"}]}),
    }
    for field in draw(st.lists(st.sampled_from(sorted(optional)), unique=True, max_size=5)):
        spec[field] = draw(optional[field])
    # every mount names a volume of the pod, or the API server refuses it (validateVolumeMounts: Not found)
    mounted = sorted({m["name"] for c in spec["containers"] for m in c.get("volumeMounts", [])})
    have = {volume["name"] for volume in spec.get("volumes", [])}
    if set(mounted) - have:
        spec["volumes"] = spec.get("volumes", []) + [{"name": n, "emptyDir": {}} for n in mounted if n not in have]
    return spec


@st.composite
def runtime_templates(draw):
    """PodTemplates in the cluster: containers named default and/or primary (the ones Flyte reads) and others."""
    templates = []
    for name, namespace in draw(
        st.lists(st.tuples(st.sampled_from(TEMPLATE_NAMES), st.sampled_from(NAMESPACES)), unique=True, max_size=3)
    ):
        required = draw(st.lists(st.sampled_from(["default", "primary", "noop"]), unique=True, min_size=1))
        spec = draw(pod_specs(required=required, names=st.just("noop")))
        for container in spec["containers"]:  # the API server refuses a request above its limit in a PodTemplate
            requests = (container.get("resources") or {}).get("requests") or {}
            limits = (container.get("resources") or {}).get("limits") or {}
            for resource in set(requests) & set(limits):
                if quantity.value_of(requests[resource]) > quantity.value_of(limits[resource]):
                    requests[resource] = limits[resource]
        template = {
            "apiVersion": "v1",
            "kind": "PodTemplate",
            "metadata": {"name": name, "namespace": namespace},
            "template": {"spec": spec},
        }
        if draw(st.booleans()):
            template["template"]["metadata"] = {"labels": draw(labels), "annotations": draw(annotations)}
        templates.append(template)
    return templates


PLUGIN_OPTIONS = {
    "default-labels": labels,
    "default-annotations": annotations,
    "enable-host-networking-pod": st.booleans(),
    "scheduler-name": st.sampled_from(["flyte-scheduler", "default-scheduler"]),
    "default-node-selector": st.dictionaries(label_keys, label_values, max_size=2),
    "default-tolerations": tolerations,
    "interruptible-tolerations": tolerations,
    "interruptible-node-selector": st.dictionaries(label_keys, label_values, max_size=2),
    "interruptible-node-selector-requirement": node_selector_requirements,
    "non-interruptible-node-selector-requirement": node_selector_requirements,
}


@st.composite
def plugin_configs(draw, template_names):
    config = {}
    for option in draw(st.lists(st.sampled_from(sorted(PLUGIN_OPTIONS)), unique=True, max_size=5)):
        config[option] = draw(PLUGIN_OPTIONS[option])
    if template_names and draw(st.booleans()):
        config["default-pod-template-name"] = draw(st.sampled_from(template_names))
    return config


@st.composite
def task_containers(draw):
    container = {"image": draw(images), "args": draw(commands)}
    if draw(st.booleans()):
        container["command"] = draw(commands)
    if draw(st.booleans()):
        container["env"] = draw(env_lists)
    if draw(st.booleans()):
        container["resources"] = draw(resources(gpu=False))
    return container


@st.composite
def tasks(draw, template_names):
    view = draw(st.sampled_from(["container", "podTemplate", "k8sPod"]))
    task: dict = {"type": draw(st.sampled_from(["python-task", "container", "sidecar", "raw-container"]))}
    task["container"] = draw(task_containers())
    primary = draw(st.sampled_from(["primary", "main", "task"]))
    if view == "podTemplate":
        task["podTemplate"] = {
            "primaryContainerName": primary,
            "podSpec": draw(pod_specs(required=draw(st.lists(st.just(primary), max_size=1)), image=False)),
        }
        for container in task["podTemplate"]["podSpec"]["containers"]:
            container.setdefault("image", "sidecar:1")  # flytekit refuses a sidecar without an image
        if draw(st.booleans()):
            task["podTemplate"]["labels"] = draw(labels)
    elif view == "k8sPod":
        task["k8sPod"] = {"podSpec": draw(pod_specs(required=[primary]))}
        task["config"] = {"primary_container_name": primary}
        if draw(st.booleans()):
            task["k8sPod"]["metadata"] = {"labels": draw(labels), "annotations": draw(annotations)}
    if template_names and draw(st.booleans()):
        task["podTemplateName"] = draw(st.sampled_from(template_names))
    if draw(st.booleans()):
        task["labels"] = draw(labels)
    if draw(st.booleans()):
        task["interruptible"] = draw(st.booleans())
    return task


@st.composite
def overrides(draw):
    """Node-level with_overrides(...): resources, an image, a pod template (authoring view)."""
    result: dict = {}
    if draw(st.booleans()):
        result["resources"] = draw(resources(gpu=False))
    if draw(st.booleans()):
        result["containerImage"] = draw(images)
    if draw(st.integers(0, 3)) == 0:
        primary = draw(st.sampled_from(["primary", "main"]))
        spec = draw(pod_specs(required=[primary], image=False))
        for container in spec["containers"]:
            container.setdefault("image", "sidecar:1")
        result["podTemplate"] = {"primaryContainerName": primary, "podSpec": spec}
        if draw(st.booleans()):
            result["podTemplate"]["annotations"] = draw(annotations)
    return result


extended_resources = st.fixed_dictionaries(
    {},
    optional={
        "gpuAccelerator": st.one_of(
            st.fixed_dictionaries(
                {"device": st.sampled_from(["nvidia-a100", "nvidia-t4"])},
                optional={"partitionSize": st.sampled_from(["1g.5gb"])},
            ),
            st.just({"device": "nvidia-a100", "unpartitioned": True}),
        ),
        "sharedMemory": st.fixed_dictionaries(
            {"mountName": st.just("shm"), "mountPath": st.just("/dev/shm")},
            optional={"sizeLimit": st.sampled_from(["1Gi", "64Mi"])},
        ),
    },
)


@st.composite
def flyte_refusals(draw, scenario: dict) -> dict:
    """Turn a valid scenario into one Flyte may refuse to build (still valid input)."""
    task = scenario["task"]
    refusal = draw(st.sampled_from(["none", "missing-primary", "shm-clash", "missing-template"]))
    if refusal == "missing-template":
        task["podTemplateName"] = "no-such-template"
    elif refusal == "missing-primary" and "k8sPod" in task:
        task["config"]["primary_container_name"] = "not-there"
    elif refusal == "shm-clash":
        task["extendedResources"] = {"sharedMemory": {"mountName": "data", "mountPath": "/data"}}
        spec = (task.get("k8sPod") or task.get("podTemplate") or {}).get("podSpec")
        if spec is not None:
            spec["volumes"] = [{"name": "data", "emptyDir": {}}]
    return scenario


@st.composite
def scenarios(draw, refusals: bool = False):
    """Valid scenarios; with ``refusals``, some that Flyte refuses to build."""
    templates = draw(runtime_templates())
    template_names = sorted({t["metadata"]["name"] for t in templates if t["metadata"]["namespace"] == "flyte"})
    scenario: dict = {
        "task": draw(tasks(template_names)),
        "execution": {
            "namespace": draw(st.sampled_from(NAMESPACES)),
            "podName": draw(st.sampled_from(["ax9kd5xb4p8r45bpdv7v-n0-0", "f3a-n1-0-dn0-0"])),
        },
        "propeller": {"namespace": "flyte", "config": draw(plugin_configs(template_names))},
        "podTemplates": templates,
    }
    if draw(st.booleans()):
        scenario["execution"]["labels"] = draw(labels)
    if draw(st.booleans()):
        scenario["execution"]["interruptible"] = draw(st.booleans())
    if draw(st.booleans()):
        scenario["execution"]["overrides"] = draw(overrides())
    if draw(st.integers(0, 3)) == 0:
        scenario["task"]["extendedResources"] = draw(extended_resources)
    return draw(flyte_refusals(scenario)) if refusals else scenario
