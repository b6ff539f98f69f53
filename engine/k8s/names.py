"""Kubernetes' own validation of names, label keys and values, annotation keys (k8s.io/apimachinery/pkg/util/validation),
with messages as the API server words them."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable

_DNS1123_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?\Z")
_DNS1123_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\Z")
_QUALIFIED_NAME = re.compile(r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]\Z")
_LABEL_VALUE = re.compile(r"(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?\Z")
#: ValidateAnnotationsSize: keys and values of one object together
ANNOTATIONS_MAX_BYTES = 256 * 1024


def _remembered(check: Callable[[str], list[str]]) -> Callable[[str], list[str]]:
    """A check of a string, remembered for the last few thousand strings (the same label keys, names and values
    come back in every scenario of a corpus); each call gets its own list."""
    cached = functools.lru_cache(maxsize=4096)(lambda value: tuple(check(value)))

    @functools.wraps(check)
    def remembered(value: str) -> list[str]:
        return list(cached(value))

    return remembered


@_remembered
def dns1123_label_problems(value: str) -> list[str]:
    """IsDNS1123Label: container, volume and namespace names."""
    problems = []
    if len(value) > 63:
        problems.append("must be no more than 63 characters")
    if not _DNS1123_LABEL.match(value):
        problems.append(
            "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', "
            "and must start and end with an alphanumeric character"
        )
    return problems


@_remembered
def dns1123_subdomain_problems(value: str) -> list[str]:
    """IsDNS1123Subdomain: object names (PodTemplates), label key prefixes."""
    problems = []
    if len(value) > 253:
        problems.append("must be no more than 253 characters")
    if not _DNS1123_SUBDOMAIN.match(value):
        problems.append(
            "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or "
            "'.', and must start and end with an alphanumeric character"
        )
    return problems


@_remembered
def qualified_name_problems(value: str) -> list[str]:
    """IsQualifiedName: label and annotation keys (``[prefix/]name``)."""
    parts = value.split("/")
    if len(parts) > 2:
        return ["a qualified name must be a name with an optional DNS subdomain prefix and '/' (e.g. 'example.com/x')"]
    problems = []
    if len(parts) == 2:
        prefix, name = parts
        if not prefix:
            problems.append("prefix part must be non-empty")
        else:
            problems.extend("prefix part " + p for p in dns1123_subdomain_problems(prefix))
    else:
        name = parts[0]
    if not name:
        problems.append("name part must be non-empty")
    elif len(name) > 63:
        problems.append("name part must be no more than 63 characters")
    if name and not _QUALIFIED_NAME.match(name):
        problems.append(
            "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end "
            "with an alphanumeric character"
        )
    return problems


@_remembered
def label_value_problems(value: str) -> list[str]:
    """IsValidLabelValue."""
    problems = []
    if len(value) > 63:
        problems.append("must be no more than 63 characters")
    if not _LABEL_VALUE.match(value):
        problems.append(
            "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or "
            "'.', and must start and end with an alphanumeric character"
        )
    return problems


def suggest_dns1123_label(value: str) -> str | None:
    """A valid name close to ``value`` (for hints), or None."""
    fixed = re.sub(r"[^a-z0-9-]+", "-", value.lower()).strip("-")[:63].strip("-")
    return fixed if fixed and fixed != value and _DNS1123_LABEL.match(fixed) else None
