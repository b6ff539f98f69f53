"""The names FlytePropeller generates: node unique ids, task execution names, map subtask names.

Each function is the Go function it names, at flyteorg/flyte 89cf9cc:

* ``fnv32a``: Go's ``hash/fnv`` New32a (the shard-key label, the hashed ids below);
* ``fixed_length_unique_id`` / ``fixed_length_unique_id_for_parts``: flyteplugins
  ``pluginmachinery/encoding/encoder.go`` (FixedLengthUniqueID, FixedLengthUniqueIDForParts with the default 32-bit
  algorithm): the parts joined with ``-`` (an empty first part adds no dash), or, when longer than the limit,
  ``f`` + base32 of the fnv32a hash with the alphabet ``abcdefghijklmnopqrstuvwxyz123456``;
* ``dns1123_subdomain_compatible``: flyteplugins ``pluginmachinery/utils/dns.go``
  (ConvertToDNS1123SubdomainCompatibleString);
* ``unique_node_id``: flytepropeller ``controller/nodes/common/utils.go`` (GenerateUniqueID, max length 20);
* ``task_generated_name``: flytepropeller ``controller/nodes/task/taskexec_context.go`` (ComputeRawOutputPrefix's
  unique id, the task execution's generated name: IDMaxLength 50);
* ``array_node_subtask_name``: the generated name of subnode ``index`` of an ArrayNode (handler.go
  buildArrayNodeContext: the subnode is ``n<index>`` under the parent info of the array node);
* ``k8s_array_subtask_name``: the legacy k8s-array plugin's SubTaskExecutionID.GetGeneratedName
  (``plugins/array/k8s/subtask_exec_context.go``).

``tests/test_map_tasks.py`` checks them against the vectors of Flyte's own Go tests (encoder_test.go, utils_test.go).
"""

from __future__ import annotations

import re

from ..k8s.names import dns1123_subdomain_problems

_BASE32_ALPHABET = "abcdefghijklmnopqrstuvwxyz123456"
#: flytepropeller nodes/common/utils.go maxUniqueIDLength; pluginmachinery/utils/dns.go maxUniqueIDLength
UNIQUE_ID_MAX_LENGTH = 20
#: flytepropeller nodes/task/taskexec_context.go IDMaxLength (the pod plugin sets no GeneratedNameMaxLength)
TASK_NAME_MAX_LENGTH = 50
_DNS1123_SUBDOMAIN_MAX_LENGTH = 253
_DNS1123_INVALID = re.compile(r"[^-.a-z0-9]")
_CAMEL_CASE = re.compile(r"([a-z0-9])([A-Z])")


def fnv32a(data: bytes) -> int:
    """Go's hash/fnv New32a over ``data``."""
    value = 0x811C9DC5
    for byte in data:
        value = ((value ^ byte) * 0x01000193) & 0xFFFFFFFF
    return value


def _base32(data: bytes) -> str:
    """base32.NewEncoding(alphabet).WithPadding(NoPadding).EncodeToString: 5 bits per character, the last group
    padded with zero bits."""
    bits = int.from_bytes(data, "big")
    count = len(data) * 8
    length = -(-count // 5)
    bits <<= length * 5 - count
    return "".join(_BASE32_ALPHABET[(bits >> (5 * (length - 1 - i))) & 31] for i in range(length))


def fixed_length_unique_id(input_id: str, max_length: int) -> str:
    """FixedLengthUniqueID: the id itself when it fits, else ``f`` + base32(fnv32a(id)) (8 characters). Go also
    returns an error when even that is longer than ``max_length``; no caller here passes a limit under 8."""
    if len(input_id) <= max_length:
        return input_id
    return "f" + _base32(fnv32a(input_id.encode()).to_bytes(4, "big"))


def fixed_length_unique_id_for_parts(max_length: int, parts: list[str]) -> str:
    """FixedLengthUniqueIDForParts: the parts joined with ``-`` (no dash while nothing was written yet), then
    FixedLengthUniqueID."""
    joined = ""
    for i, part in enumerate(parts):
        if i > 0 and joined:
            joined += "-"
        joined += part
    return fixed_length_unique_id(joined, max_length)


def dns1123_subdomain_compatible(name: str) -> str:
    """ConvertToDNS1123SubdomainCompatibleString: a valid subdomain unchanged; else kebab-cased, lowercased, invalid
    characters removed, dots and dashes trimmed, and shortened with a hashed suffix past 253 characters."""
    if not dns1123_subdomain_problems(name):
        return name
    name = _CAMEL_CASE.sub(r"\1-\2", name).lower()
    name = _DNS1123_INVALID.sub("", name).strip(".-")
    if len(name) > _DNS1123_SUBDOMAIN_MAX_LENGTH:
        suffix = fixed_length_unique_id(name, UNIQUE_ID_MAX_LENGTH)
        name = name[: _DNS1123_SUBDOMAIN_MAX_LENGTH - UNIQUE_ID_MAX_LENGTH - 1] + "-" + suffix
    return name


def unique_node_id(parent_unique_id: str | None, parent_attempt: int | None, node_id: str) -> str:
    """GenerateUniqueID: a node's id unique in its execution, from its parent's unique id and attempt (none for a
    node of the top-level workflow)."""
    if parent_unique_id is None:
        return fixed_length_unique_id_for_parts(UNIQUE_ID_MAX_LENGTH, ["", "", node_id])
    return fixed_length_unique_id_for_parts(UNIQUE_ID_MAX_LENGTH, [parent_unique_id, str(parent_attempt), node_id])


def task_generated_name(execution_name: str, unique_node_id_: str, attempt: int) -> str:
    """The task execution's generated name (the Pod's name): FixedLengthUniqueIDForParts(50, [the FlyteWorkflow's
    name, the node's unique id, the attempt])."""
    return fixed_length_unique_id_for_parts(TASK_NAME_MAX_LENGTH, [execution_name, unique_node_id_, str(attempt)])


def array_node_subtask_name(
    execution_name: str, array_node_id: str, array_node_attempt: int, index: int, subnode_attempt: int
) -> str:
    """The Pod name of subnode ``index`` of the ArrayNode ``array_node_id`` (a node of the top-level workflow):
    the subnode ``n<index>`` runs under the parent info CreateParentInfo(nil, array node, its attempt)."""
    parent = unique_node_id(None, None, array_node_id)
    return task_generated_name(execution_name, unique_node_id(parent, array_node_attempt, f"n{index}"), subnode_attempt)


def k8s_array_subtask_name(parent_name: str, execution_index: int, retry_attempt: int) -> str:
    """SubTaskExecutionID.GetGeneratedName: ``<parent>-<index>``, with ``-<retry>`` when the subtask's retry attempt
    is not 0, made DNS-1123 compatible."""
    if retry_attempt == 0:
        return dns1123_subdomain_compatible(f"{parent_name}-{execution_index}")
    return dns1123_subdomain_compatible(f"{parent_name}-{execution_index}-{retry_attempt}")
