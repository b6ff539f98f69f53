"""The one exception tree podeval raises.

Errors carry data; the message is derived from it. Tests assert ``code`` and ``path``, never prose.

    PodevalError                 base: code, message, path, file, line, column, hint, exit_code
    ├── InputError               exit 2: podeval cannot use its input (usage, YAML, schema, rule pack)
    │   └── RuleError            a rule pack that breaks the pack schema (also carries the rule id)
    └── FlyteBuildError          exit 3: valid input, but FlytePropeller would refuse to build the Pod
        └── PodRefusedError      exit 3: FlytePropeller builds the Pod, the API server refuses it (the Pod is shown)
"""

from __future__ import annotations


class PodevalError(Exception):
    """Base of every error podeval raises on purpose."""

    exit_code = 1

    def __init__(
        self,
        code: str,
        message: str,
        *,
        path: str | None = None,
        file: str | None = None,
        line: int | None = None,
        column: int | None = None,
        hint: str | None = None,
        rule: str | None = None,
        source: str | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.path = path
        self.file = file
        self.line = line
        self.column = column
        self.hint = hint
        self.rule = rule
        self.source = source

    @property
    def location(self) -> str:
        """``file:line:col`` with the parts that are known, or ``""``."""
        if not self.file:
            return ""
        parts = [self.file]
        if self.line is not None:
            parts.append(str(self.line))
            if self.column is not None:
                parts.append(str(self.column))
        return ":".join(parts)

    def __str__(self) -> str:
        head = [p for p in (self.location, self.path) if p]
        text = ": ".join([*head, self.message])
        if self.rule:
            text += f" [rule {self.rule}]"
        if self.hint:
            text += f" (hint: {self.hint})"
        return text

    def __reduce__(self):
        # picklable whatever the subclass's constructor: worker processes (engine.tools.workers) send errors back
        return _restore, (type(self), self.message, dict(self.__dict__))

    def to_dict(self) -> dict:
        data = {"code": self.code, "message": self.message, "exit_code": self.exit_code}
        for key in ("path", "file", "line", "column", "hint", "rule", "source"):
            value = getattr(self, key)
            if value is not None:
                data[key] = value
        return data


class InputError(PodevalError):
    """podeval cannot use its input: exit code 2."""

    exit_code = 2


class RuleError(InputError):
    """A rule pack that cannot be loaded: unknown strategy, bad JMESPath, a cycle, a schema break."""


class FlyteBuildError(PodevalError):
    """The input is valid, but FlytePropeller would fail the task instead of building this Pod: exit 3."""

    exit_code = 3


class PodRefusedError(FlyteBuildError):
    """FlytePropeller builds this Pod, but the API server refuses it when FlytePropeller creates it: exit 3.

    One violation of the API server's validation, found on the *rendered* Pod: ``path`` is the path in the Pod,
    ``source`` and ``rule`` the owner of the value there (from the trace), ``input_path`` and ``file``/``line``/
    ``column`` where that value was written (when an input wrote it)."""

    def __init__(self, code: str, message: str, *, input_path: str | None = None, **kwargs) -> None:
        super().__init__(code, message, **kwargs)
        self.input_path = input_path

    def __str__(self) -> str:
        head = [p for p in (self.location, self.path) if p]
        text = ": ".join([*head, self.message])
        origin = [f"source {self.source}"] if self.source else []
        if self.rule:
            origin.append(f"rule {self.rule}")
        if self.input_path:
            origin.append(f"from {self.input_path}")
        if origin:
            text += f" [{', '.join(origin)}]"
        if self.hint:
            text += f" (hint: {self.hint})"
        return text

    def to_dict(self) -> dict:
        data = super().to_dict()
        if self.input_path is not None:
            data["inputPath"] = self.input_path
        return data


def _restore(cls: type, message: str, state: dict) -> PodevalError:
    error = cls.__new__(cls)
    Exception.__init__(error, message)
    error.__dict__.update(state)
    return error
