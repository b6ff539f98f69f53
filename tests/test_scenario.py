"""Scenario normalisation (contract §2): one shape for the engine, whatever form the user wrote."""

from __future__ import annotations

import engine


def render(data):
    return engine.evaluate(data).pod


BASE_EXECUTION = {"namespace": "ns", "podName": "pod-1"}


def test_snake_case_keys_are_normalised_everywhere():
    camel = render(
        {
            "task": {
                "podTemplate": {
                    "primaryContainerName": "main",
                    "podSpec": {
                        "containers": [{"name": "main", "terminationMessagePath": "/dev/x"}],
                        "hostNetwork": True,
                    },
                },
                "container": {"image": "i"},
                "podTemplateName": "t",
            },
            "execution": BASE_EXECUTION,
            "podTemplates": [
                {
                    "metadata": {"name": "t", "namespace": "ns"},
                    "template": {"spec": {"containers": [{"name": "noop", "image": "x"}]}},
                }
            ],
        }
    )
    snake = render(
        {
            "task": {
                "pod_template": {
                    "primary_container_name": "main",
                    "pod_spec": {
                        "containers": [{"name": "main", "termination_message_path": "/dev/x"}],
                        "host_network": True,
                    },
                },
                "container": {"image": "i"},
                "pod_template_name": "t",
            },
            "execution": {"namespace": "ns", "pod_name": "pod-1"},
            "pod_templates": [
                {
                    "metadata": {"name": "t", "namespace": "ns"},
                    "template": {"spec": {"containers": [{"name": "noop", "image": "x"}]}},
                }
            ],
        }
    )
    assert snake == camel
    assert camel["spec"]["hostNetwork"] is True


def test_env_maps_become_lists_in_order():
    pod = render({"task": {"container": {"image": "i", "env": {"B": "2", "A": 1}}}, "execution": BASE_EXECUTION})
    assert pod["spec"]["containers"][0]["env"] == [{"name": "B", "value": "2"}, {"name": "A", "value": "1"}]


def test_a_whole_plugins_document_is_accepted_as_propeller_config():
    wrapped = render(
        {
            "task": {"container": {"image": "i"}},
            "execution": BASE_EXECUTION,
            "propeller": {"config": {"plugins": {"k8s": {"default-labels": {"a": "b"}}}}},
        }
    )
    plain = render(
        {
            "task": {"container": {"image": "i"}},
            "execution": BASE_EXECUTION,
            "propeller": {"config": {"default-labels": {"a": "b"}}},
        }
    )
    assert wrapped == plain and plain["metadata"]["labels"] == {"a": "b"}


def test_a_kind_list_of_pod_templates_is_accepted():
    template = {
        "apiVersion": "v1",
        "kind": "PodTemplate",
        "metadata": {"name": "t", "namespace": "flyte"},
        "template": {"spec": {"containers": [{"name": "default", "image": "x", "workingDir": "/w"}]}},
    }
    pod = render(
        {
            "task": {"container": {"image": "i"}},
            "execution": BASE_EXECUTION,
            "propeller": {"config": {"default-pod-template-name": "t"}},
            "podTemplates": {"apiVersion": "v1", "kind": "List", "items": [template]},
        }
    )
    assert pod["spec"]["containers"][0]["workingDir"] == "/w"


def test_quantities_print_in_canonical_form():
    pod = render(
        {
            "task": {
                "container": {
                    "image": "i",
                    "resources": {"requests": {"cpu": "1000m", "memory": 1073741824}, "limits": {"cpu": 2}},
                }
            },
            "execution": BASE_EXECUTION,
        }
    )
    resources = pod["spec"]["containers"][0]["resources"]
    assert resources["requests"] == {"cpu": "1", "memory": "1073741824"}
    assert resources["limits"] == {"cpu": "2", "memory": "1073741824"}
