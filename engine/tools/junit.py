"""The outcome of one case of a corpus command (``podeval test``, ``podeval diff``), and JUnit XML of a run's cases
(their ``--junit FILE``), the format CI systems read (GitHub Actions test reporters, GitLab, Jenkins).

A case is one scenario file; its status is one of ``pass``, ``fail``, ``missing`` (a golden test without its
golden), ``error`` (the scenario cannot be used), ``updated`` and ``written`` (``podeval test --update``). ``fail``
and ``missing`` are JUnit failures, ``error`` a JUnit error.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class CaseResult:
    """One scenario's outcome: its status, a one-line message and the lines that explain it."""

    scenario: Path
    status: str  # pass | fail | missing | error | updated | written
    message: str = ""
    details: list = field(default_factory=list)  # lines
    seconds: float = 0.0

    @property
    def failed(self) -> bool:
        return self.status in ("fail", "missing", "error")


def write_junit(cases: list[CaseResult], path: str | Path, *, suite: str = "podeval") -> None:
    """JUnit XML, one testcase per scenario (classname: the folder, name: the file)."""
    failures = sum(1 for c in cases if c.status in ("fail", "missing"))
    errors = sum(1 for c in cases if c.status == "error")
    total_time = sum(c.seconds for c in cases)
    root = ET.Element(
        "testsuites",
        name=suite,
        tests=str(len(cases)),
        failures=str(failures),
        errors=str(errors),
        time=f"{total_time:.3f}",
    )
    testsuite = ET.SubElement(
        root,
        "testsuite",
        name=suite,
        tests=str(len(cases)),
        failures=str(failures),
        errors=str(errors),
        skipped="0",
        time=f"{total_time:.3f}",
    )
    for case in cases:
        folder = str(case.scenario.parent).replace("\\", "/").strip("./").replace("/", ".") or "."
        element = ET.SubElement(
            testsuite,
            "testcase",
            classname=folder,
            name=case.scenario.name,
            file=str(case.scenario),
            time=f"{case.seconds:.3f}",
        )
        body = "\n".join(case.details)
        if case.status in ("fail", "missing"):
            ET.SubElement(element, "failure", message=case.message, type=case.status).text = body or case.message
        elif case.status == "error":
            ET.SubElement(element, "error", message=case.message, type="error").text = body or case.message
        elif case.message:
            ET.SubElement(element, "system-out").text = case.message
    ET.indent(root)
    Path(path).write_text(
        '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n", encoding="utf-8"
    )
