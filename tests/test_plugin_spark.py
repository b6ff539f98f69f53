"""The Spark plugin (rules/flyte-v1/plugins/spark.yaml, engine/eval/plugin_spark.py): the examples of flyte#4378,
flyte#6348 and flyte PR #6363 as FlytePropeller v1.16 builds them, and the parts of BuildResource spark_test.go does
not pin (tests/conformance/flyte_go/SPK*.yaml port those).

Every expected value is read from flyteplugins/go/tasks/plugins/k8s/spark/spark.go at flyteorg/flyte 89cf9cc (the
line is named beside each) or from spark-operator's v1beta2 types, not from podeval's output.
"""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

import engine

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples" / "plugins"
TOLERATIONS_4378 = EXAMPLES / "spark-4378-pod-template-tolerations.yaml"
RESOURCES_6348 = EXAMPLES / "spark-6348-pod-template-resources.yaml"
ROLE_POD_6363 = EXAMPLES / "spark-6363-executor-pod-without-task-pod-template.yaml"


def _load(path: Path) -> dict:
    return yaml.safe_load(path.read_text())


def _custom(scenario: dict) -> dict:
    return scenario["task"]["template"]["custom"]


def _drops(result) -> dict:
    return {event.path_text: event for event in result.trace.events if event.op == "drop"}


# ------------------------------------------------------------------------------------------------ the examples


def test_4378_the_task_pod_templates_toleration_reaches_driver_and_executor():
    result = engine.evaluate(_load(TOLERATIONS_4378))
    toleration = {"key": "app", "operator": "Equal", "value": "flyte", "effect": "NoSchedule"}
    for role in ("driver", "executor"):  # createSparkPodSpec: Tolerations/NodeSelector of the built pod (:185-187)
        spec = result.pod["spec"][role]
        assert spec["tolerations"] == [toleration]
        assert spec["nodeSelector"] == {"app": "flyte"}
    explained = result.trace.explain("spec.driver.tolerations")
    assert explained["owner"] == "compile-time"  # the task's pod template (@task pod_template), not a default


def test_6348_the_templates_resources_are_dropped_and_sizing_comes_from_spark_conf():
    result = engine.evaluate(_load(RESOURCES_6348))
    spec = result.pod["spec"]
    for role in ("driver", "executor"):
        assert "resources" not in spec[role]  # SparkPodSpec has no resources; createSparkPodSpec copies none
    # createDriverSpec/createExecutorSpec (:241-244, :295-301): cores, instances, memory from sparkConf only
    assert (spec["executor"]["cores"], spec["executor"]["instances"], spec["executor"]["memory"]) == (3, 2, "4000M")
    assert spec["driver"]["memory"] == "1000M"
    assert "cores" not in spec["driver"]  # spark.driver.cores unset: ParseInt("") fails, Cores stays nil
    drops = _drops(result)
    for role in ("driver", "executor"):
        dropped = drops[f"spec.{role}.spec.containers[name=primary].resources"]
        assert dropped.value["requests"]["cpu"] == "4"
        assert dropped.value["requests"]["ephemeral-storage"] == "10Gi"
        assert "6348" in dropped.note
    assert result.trace.explain("spec.executor.cores")["owner"] == "spark-job"  # the task's sparkConf


def test_6363_a_role_pod_template_without_a_task_pod_template_is_refused():
    with pytest.raises(engine.FlyteBuildError) as raised:
        engine.evaluate(_load(ROLE_POD_6363))
    error = raised.value
    assert (error.code, error.exit_code) == ("primary_container_missing", 3)
    # GetContainer (pod_helper.go:645), via createExecutorSpec (:281-284)
    assert "[BadTaskSpecification] invalid TaskSpecification, container [primary] not defined" in str(error)
    assert error.path == "task.custom.executorPod.primaryContainerName"


def test_6363_with_a_task_pod_template_the_role_container_merges_and_its_resources_are_still_dropped():
    scenario = _load(ROLE_POD_6363)
    template = scenario["task"]["template"]
    container = template.pop("container")
    container.pop("resources")
    container["name"] = "primary"
    template["k8sPod"] = {"podSpec": {"containers": [container]}}  # as flytekit writes @task(pod_template=...)
    template["config"] = {"primary_container_name": "primary"}
    result = engine.evaluate(scenario)
    assert result.pod["spec"]["executor"]["instances"] == 2
    dropped = _drops(result)["spec.executor.spec.containers[name=primary].resources"]
    assert dropped.value["requests"]["ephemeral-storage"] == "9Gi"  # the executorPod's, merged, then dropped


# ------------------------------------------------------------------------------------------------ BuildResource


def _base() -> dict:
    scenario = _load(RESOURCES_6348)
    scenario["task"]["template"]["custom"]["sparkConf"] = {"spark.executor.instances": "2"}
    return scenario


def test_the_application_fields():
    pod = engine.evaluate(_base()).pod
    assert (pod["apiVersion"], pod["kind"]) == ("sparkoperator.k8s.io/v1beta2", "SparkApplication")
    spec = pod["spec"]
    assert spec["type"] == "Python"  # applicationType omitted by flytekit (PYTHON = 0) (:372-384)
    assert spec["mode"] == "cluster"  # DeployModeCluster (:320)
    assert spec["restartPolicy"] == {"type": "OnFailure", "onSubmissionFailureRetries": 14}  # (:307, :325-328)
    assert spec["mainApplicationFile"] == "local:///opt/venv/bin/entrypoint.py"
    assert "mainClass" not in spec  # flytekit writes main_class="" (omitted), :339-341 sets it only when non-empty
    assert spec["image"] == "ghcr.io/example/spark:1.0"
    assert spec["arguments"][0] == "pyflyte-execute"  # the executor's primary args (:317-318)
    assert "batchScheduler" not in spec  # no spark.batchScheduler key (:332-334)
    assert spec["sparkConf"]["spark.pyspark.python"] == "/opt/venv/bin/python3"  # executorPath (:98-101)
    assert spec["sparkConf"]["spark.pyspark.driver.python"] == "/opt/venv/bin/python3"
    assert spec["sparkConf"]["spark.kubernetes.executor.podNamePrefix"] == "a8x2kq4z7w-n0-0"  # generated name (:131)
    assert spec["driver"]["serviceAccount"] == "default"  # the execution's (:137-143, :238)
    assert spec["driver"]["env"][-1] == {"name": "FLYTE_MAX_ATTEMPTS", "value": "1"}  # (:174)


def test_driver_args_are_dropped_and_the_executors_become_the_applications():
    scenario = _base()
    _custom(scenario)["executorPod"] = {
        "podSpec": {"containers": [{"name": "primary", "image": "exec:2", "args": ["--extra"]}]},
        "primaryContainerName": "primary",
    }
    result = engine.evaluate(scenario)
    spec = result.pod["spec"]
    assert spec["image"] == "exec:2"  # the executor primary's image, overridden by executorPod (:317)
    assert spec["executor"]["image"] == "exec:2"
    assert spec["driver"]["image"] == "ghcr.io/example/spark:1.0"
    assert spec["arguments"][-1] == "--extra"  # args appended by the overlay merge (mergo WithAppendSlice)
    assert "spec.driver.spec.containers[name=primary].args" in _drops(result)


def test_spark_conf_layers_and_features():
    scenario = _base()
    scenario["propeller"] = {
        "config": {
            "plugins": {
                "spark": {
                    "spark-config-default": {"spark.default.only": "d", "spark.executor.instances": "9"},
                    "features": [
                        {"name": "feat", "spark-config": {"spark.hadoop.feat": "on"}},
                        {"name": "feat", "spark-config": {"spark.hadoop.second": "never"}},
                    ],
                }
            }
        }
    }
    _custom(scenario)["sparkConf"] = {
        "spark.executor.instances": "2",
        "spark.flyte.feat.enabled": " TRUE ",  # strings.ToLower(strings.TrimSpace(v)) == "true" (:347)
        "spark.flyteorg.unknown.enabled": "true",  # no such feature: kept as written (:368)
        "spark.flyte.off.enabled": "false",  # not true: kept as written (:347-349)
        "spark.executor.cores": "4",
        "spark.kubernetes.driver.request.cores": "3",
    }
    result = engine.evaluate(scenario)
    conf = result.pod["spec"]["sparkConf"]
    assert conf["spark.default.only"] == "d"  # spark-config-default (:94-96)
    assert conf["spark.executor.instances"] == "2"  # the task's key over the default (:103-109)
    assert conf["spark.hadoop.feat"] == "on"  # the first feature of that name (:359-366)
    assert "spark.hadoop.second" not in conf
    assert "spark.flyte.feat.enabled" not in conf
    assert conf["spark.flyteorg.unknown.enabled"] == "true"
    assert conf["spark.flyte.off.enabled"] == "false"
    assert conf["spark.kubernetes.driver.limit.cores"] == "3"  # request.cores first (:113-119)
    assert conf["spark.kubernetes.executor.limit.cores"] == "4"  # else spark.executor.cores (:122-128)
    assert result.pod["spec"]["executor"]["cores"] == 4
    explained = result.trace.explain('spec.sparkConf["spark.hadoop.feat"]')
    assert explained["owner"] == "spark-plugin"


def test_sizing_keys_that_do_not_parse_or_are_zero_are_omitted():
    scenario = _base()
    _custom(scenario)["sparkConf"] = {
        "spark.driver.cores": "1.5",  # strconv.ParseInt fails (:241)
        "spark.executor.cores": "0",  # intPtr(0) is nil (:615-620)
        "spark.executor.instances": "+3",  # ParseInt accepts a sign
        "spark.driver.memory": "",  # strPtr("") is nil (:608-613)
        "spark.batchScheduler": "",  # present: &val, even empty (:332-334)
    }
    spec = engine.evaluate(scenario).pod["spec"]
    assert "cores" not in spec["driver"]
    assert "cores" not in spec["executor"]
    assert spec["executor"]["instances"] == 3
    assert "memory" not in spec["driver"]
    assert spec["batchScheduler"] == ""


@pytest.mark.parametrize(("given", "expected"), [("JAVA", "Java"), ("SCALA", "Scala"), ("R", "R"), (2.0, "Scala")])
def test_application_type(given, expected):
    scenario = _base()
    _custom(scenario)["applicationType"] = given
    assert engine.evaluate(scenario).pod["spec"]["type"] == expected  # getApplicationType (:372-384)


def test_service_account_falls_back_to_spark_and_ignores_the_pods():
    scenario = _base()
    scenario["execution"].pop("serviceAccount")
    scenario["task"]["template"]["k8sPod"]["podSpec"]["serviceAccountName"] = "from-the-pod"
    result = engine.evaluate(scenario)
    assert result.pod["spec"]["driver"]["serviceAccount"] == "spark"  # serviceAccountName (:137-143)
    assert result.pod["spec"]["executor"]["serviceAccount"] == "spark"
    assert _drops(result)["spec.driver.spec.serviceAccountName"].value == "from-the-pod"


def test_scheduler_name_and_host_network_are_always_written():
    spec = engine.evaluate(_base()).pod["spec"]
    for role in ("driver", "executor"):
        # &podSpec.SchedulerName, &podSpec.HostNetwork (:186, :188): pointers, printed even at "" and false
        assert spec[role]["schedulerName"] == ""
        assert spec[role]["hostNetwork"] is False
        assert "priorityClassName" not in spec[role]  # strPtr("") is nil (:239, :294)


def test_role_primary_container_name_picks_another_container():
    scenario = _base()
    pod_spec = scenario["task"]["template"]["k8sPod"]["podSpec"]
    pod_spec["containers"].append({"name": "side", "image": "side:1", "env": [{"name": "S", "value": "1"}]})
    _custom(scenario)["driverPod"] = {"podSpec": {"containers": []}, "primaryContainerName": "side"}
    result = engine.evaluate(scenario)
    driver = result.pod["spec"]["driver"]
    assert driver["image"] == "side:1"  # GetContainer(podSpec, "side") (:223-231)
    assert driver["env"][0] == {"name": "S", "value": "1"}
    assert "spec.driver.spec.containers[name=primary]" in _drops(result)  # now a sidecar: not copied
    assert result.pod["spec"]["executor"]["image"] == "ghcr.io/example/spark:1.0"


def test_dropped_pod_parts_are_drop_events():
    scenario = _base()
    pod_spec = scenario["task"]["template"]["k8sPod"]["podSpec"]
    pod_spec["volumes"] = [{"name": "data", "emptyDir": {}}]
    pod_spec["initContainers"] = [{"name": "init", "image": "init:1"}]
    pod_spec["runtimeClassName"] = "gvisor"
    pod_spec["containers"][0]["volumeMounts"] = [{"name": "data", "mountPath": "/data"}]
    drops = _drops(engine.evaluate(scenario))
    for role in ("driver", "executor"):
        for path in (
            "spec.volumes",
            "spec.initContainers",
            "spec.runtimeClassName",
            "spec.restartPolicy",
            "spec.containers[name=primary].volumeMounts",
        ):
            assert f"spec.{role}.{path}" in drops, path


def test_the_driver_is_never_interruptible():
    scenario = _base()
    scenario["execution"]["interruptible"] = True
    scenario["propeller"] = {
        "config": {
            "interruptible-node-selector": {"x/spot": "true"},
            "interruptible-tolerations": [{"key": "spot", "operator": "Exists"}],
        }
    }
    spec = engine.evaluate(scenario).pod["spec"]
    assert "nodeSelector" not in spec["driver"]  # WithInterruptible(false) (:199-201)
    assert spec["executor"]["nodeSelector"] == {"x/spot": "true"}
    assert {"key": "spot", "operator": "Exists"} in spec["executor"]["tolerations"]


def test_labels_and_annotations_of_the_roles():
    scenario = _base()
    scenario["execution"]["labels"] = {"team": "a", "shared": "execution"}
    scenario["propeller"] = {"config": {"default-labels": {"shared": "default", "site": "x"}}}
    _custom(scenario)["driverPod"] = {"metadata": {"labels": {"shared": "driver"}}}
    spec = engine.evaluate(scenario).pod["spec"]
    # UnionMaps(default-labels, objectMeta, execution labels), then the role pod's (:153-168)
    assert spec["driver"]["labels"] == {"team": "a", "shared": "driver", "site": "x"}
    assert spec["executor"]["labels"] == {"team": "a", "shared": "execution", "site": "x"}


@pytest.mark.parametrize(
    ("change", "code", "message"),
    [
        (lambda c: c.clear(), "spark_main_missing", "either MainApplicationFile or MainClass must be set"),
        (lambda c: c.update(sparkConf={"spark.executor.cores": 2}), "spark_job_invalid", "failed to unmarshal"),
    ],
)
def test_refusals(change, code, message):
    scenario = _base()
    change(_custom(scenario))
    with pytest.raises(engine.FlyteBuildError) as raised:
        engine.evaluate(scenario)
    assert raised.value.code == code
    assert raised.value.exit_code == 3
    assert message in str(raised.value)


def test_the_example_scenarios_are_unchanged_by_evaluation():
    scenario = _load(RESOURCES_6348)
    before = copy.deepcopy(scenario)
    engine.evaluate(scenario)
    assert scenario == before
