"""Map tasks: the names FlytePropeller generates for a subtask (engine/pack/generated_names.py).

Every expected value is a vector of Flyte's own Go tests at flyteorg/flyte 89cf9cc, named beside it.
"""

from __future__ import annotations

import pytest

from engine.pack import generated_names as names

ENCODER_TEST = "flyteplugins/go/tasks/pluginmachinery/encoding/encoder_test.go"


@pytest.mark.parametrize(
    "input_id, max_length, expected",
    [
        ("x", 5, "x"),  # TestFixedLengthUniqueID smallerThanMax
        ("xx", 1, "flfryc2i"),  # veryLowLimit (Go also returns an error: the result is longer than 1)
        ("xxxxxx", 5, "fufiti6i"),  # highLimit (also an error in Go)
        ("xxxxx", 10, "xxxxx"),  # higherLimit
        ("x" * 24, 20, "fuaa3aji"),  # largeID
    ],
)
def test_fixed_length_unique_id(input_id, max_length, expected):
    assert names.fixed_length_unique_id(input_id, max_length) == expected


@pytest.mark.parametrize(
    "parts, max_length, expected",
    [
        (["x", "y", "z"], 10, "x-y-z"),  # TestFixedLengthUniqueIDForParts smallerThanMax
        (["x", "y"], 1, "fz2jizji"),  # veryLowLimit
        (["x"], 2, "x"),  # fittingID
        (["x", "y", "z"], 4, "fxzsoqrq"),  # highLimit
        (list("xyzmnyzmnyzmn"), 15, "fe63sz6y"),  # largeID, Algorithm32 (the only one FlytePropeller uses)
    ],
)
def test_fixed_length_unique_id_for_parts(parts, max_length, expected):
    assert names.fixed_length_unique_id_for_parts(max_length, parts) == expected


def test_unique_node_id():
    # flytepropeller/pkg/controller/nodes/common/utils_test.go TestGenerateUniqueID, TestGenerateUniqueIDLong,
    # TestCreateParentInfoNil (a node of the top-level workflow: no parent)
    assert names.unique_node_id("u1", 2, "n1") == "u1-2-n1"
    assert names.unique_node_id("u1111111111323131231asdadasd", 2, "n1") == "fraibbty"
    assert names.unique_node_id(None, None, "n1") == "n1"


def test_task_generated_name():
    # flytepropeller/pkg/controller/nodes/task/taskexec_context_test.go: TestHandler_newTaskExecutionContext
    # ("name-n1-1") and ..._taskExecutionID_WithParentInfo (parent n0 at attempt 2: "name-n0-2-n1-1")
    assert names.task_generated_name("name", "n1", 1) == "name-n1-1"
    assert names.task_generated_name("name", names.unique_node_id("n0", 2, "n1"), 1) == "name-n0-2-n1-1"
    # TestComputeRawOutputPrefix: [name, n1, 0] is "name-n1-0" within 100 characters, "fpqmhlei" within 8
    assert names.fixed_length_unique_id_for_parts(100, ["name", "n1", "0"]) == "name-n1-0"
    assert names.fixed_length_unique_id_for_parts(8, ["name", "n1", "0"]) == "fpqmhlei"


def test_array_node_subtask_name():
    # the subnode n3 of the top-level ArrayNode n0 (attempt 0) at its attempt 1: parent info "n0" (CreateParentInfo
    # with no grandparent), unique id "n0-0-n3", generated name [exec, n0-0-n3, 1] (the functions checked above)
    assert names.array_node_subtask_name("abc", "n0", 0, 3, 1) == "abc-n0-0-n3-1"
    # a long execution name: the whole name is hashed (FixedLengthUniqueID past 50 characters)
    long_name = names.array_node_subtask_name("a" * 41, "n0", 0, 3, 0)
    assert long_name == names.fixed_length_unique_id("a" * 41 + "-n0-0-n3-0", 50) and len(long_name) == 8


@pytest.mark.parametrize(
    "name, expected",
    [  # flyteplugins/go/tasks/pluginmachinery/utils/dns_test.go TestConvertToDNS1123CompatibleString
        ("orgflyteexamplesHelloWorldTask-0", "orgflyteexamples-hello-world-task-0"),
        ("t7vyqhzju1-fib-5-0", "t7vyqhzju1-fib-5-0"),
        ("t7v.yqh.zju1-fib-5-0", "t7v.yqh.zju1-fib-5-0"),
        ("-t7vyqhzju1-fib-5-0", "t7vyqhzju1-fib-5-0"),
        (".t7vyqhzju1-fib-5-0", "t7vyqhzju1-fib-5-0"),
        ("t7vyqhzju1-fib-5-0-", "t7vyqhzju1-fib-5-0"),
        ("t7vyqhzju1-fib-5-0.", "t7vyqhzju1-fib-5-0"),
        ("0123456789" * 7, "0123456789" * 7),
        ("0123456789" * 28, ("0123456789" * 28)[:232] + "-fbbrvh4i"),
        ("---..t7vyqhzjJcI==u1-HelloWorldTask[].-.-.", "t7vyqhzj-jc-iu1-hello-world-task"),
    ],
)
def test_dns1123_subdomain_compatible(name, expected):
    assert names.dns1123_subdomain_compatible(name) == expected


def test_k8s_array_subtask_name():
    # plugins/array/k8s/subtask_exec_context_test.go TestSubTaskExecutionContext: parent "notfound", execution index
    # 0, retry attempt 1 -> "notfound-0-1"; a retry attempt 0 is left out of the name (GetGeneratedName)
    assert names.k8s_array_subtask_name("notfound", 0, 1) == "notfound-0-1"
    assert names.k8s_array_subtask_name("notfound", 4, 0) == "notfound-4"
