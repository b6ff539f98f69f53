"""What ``podeval check`` reports: a finding (a ``RuleError`` at a position of a pack file, with the rule it belongs
to), and the ``Report`` that collects the findings and the problems that stop the check, with its exit code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..errors import RuleError
from ..k8s import paths as _paths


@dataclass
class Report:
    findings: list = field(default_factory=list)  # RuleError, sorted
    fatal: list = field(default_factory=list)  # problems that stop the check: exit 2
    pack: Any = None

    @property
    def exit_code(self) -> int:
        if self.fatal:
            return max(getattr(problem, "exit_code", 2) for problem in self.fatal)
        return 1 if self.findings else 0


def finding_at(
    code: str,
    message: str,
    *,
    file: str | None,
    document: Any = None,
    where: tuple = (),
    rule: str | None = None,
    hint: str | None = None,
    key: bool = False,
) -> RuleError:
    """A finding at ``where`` in ``document`` (at the key of a mapping entry when ``key``)."""
    line = column = None
    if document is not None:
        found = document.locate_key(where) if key else document.locate(where)
        if found:
            line, column = found
    return RuleError(
        code, message, file=file, line=line, column=column, path=_paths.render(where) or None, rule=rule, hint=hint
    )
