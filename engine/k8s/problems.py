"""The problems found in one input, each located in its file, raised together as one error (contract §5)."""

from __future__ import annotations

from typing import Any

from ..errors import FlyteBuildError, InputError, PodevalError
from . import paths as _paths

#: problems collected before podeval stops reading a file (a hostile file can have a million)
MAX_PROBLEMS = 20
#: problems quoted in the one-line message besides the first
QUOTED_PROBLEMS = 4


class TooManyProblems(Exception):
    """Internal: the problem list is full; stop walking."""


class Problems:
    """The problems found in one input, each located in its file; ``raise_all`` raises them as one error.

    ``origins`` serves inputs assembled from several files (the CLI's ``--task``, ``--pod-templates`` ...): a part
    of the input, by its raw path, -> ``(filename, document, path of that part in the document)``; a problem is
    located in the file of the longest part that holds it."""

    def __init__(self, filename: str | None = None, document: Any = None, origins: dict | None = None) -> None:
        self.filename = filename
        self.document = document
        self.origins = origins or {}
        self.items: list[PodevalError] = []
        self.truncated = False

    def add(
        self,
        code: str,
        message: str,
        path: tuple,
        where: tuple | None = None,
        *,
        hint: str | None = None,
        build: bool = False,
        key: bool = False,
    ) -> None:
        """Record a problem at ``path`` (printed, keyed) found at ``where`` (raw keys and indices of the file)."""
        if len(self.items) >= MAX_PROBLEMS:
            self.truncated = True
            raise TooManyProblems
        where = path if where is None else where
        filename, document = self.filename, self.document
        for length in range(len(where), -1, -1):
            origin = self.origins.get(tuple(where[:length]))
            if origin is not None:
                filename, document, prefix = origin
                where = tuple(prefix) + tuple(where[length:])
                break
        line = column = None
        if document is not None:
            found = document.locate_key(where) if key else document.locate(where)
            if found:
                line, column = found
        cls = FlyteBuildError if build else InputError
        self.items.append(
            cls(code, message, path=_paths.render(path) or None, file=filename, line=line, column=column, hint=hint)
        )

    def raise_all(self) -> None:
        raise_together(self.items, truncated=self.truncated)


def raise_together(problems: list[PodevalError], *, truncated: bool = False) -> None:
    """Raise the problems of one input as one error, listed on one line.

    Input problems (exit 2) come before Flyte build failures (exit 3): an input podeval cannot use is reported as
    such even when Flyte would also fail on another part. The error carries them all in ``problems``."""
    if not problems:
        return
    ordered = [p for p in problems if not isinstance(p, FlyteBuildError)] + [
        p for p in problems if isinstance(p, FlyteBuildError)
    ]
    first = ordered[0]
    message = first.message
    others = ordered[1:]
    if others or truncated:
        quoted = "; ".join(_short(p) for p in others[:QUOTED_PROBLEMS])
        more = len(others) - QUOTED_PROBLEMS
        count = f"{len(others)}{'+' if truncated else ''} more problem{'s' if len(others) != 1 or truncated else ''}"
        tail = "" if more <= 0 and not truncated else " ..."
        message += f" [and {count}{': ' + quoted if quoted else ''}{tail}]"
    error = type(first)(
        first.code, message, path=first.path, file=first.file, line=first.line, column=first.column, hint=first.hint
    )
    error.problems = list(ordered)  # type: ignore[attr-defined]
    raise error


def _short(problem: PodevalError) -> str:
    where = f"{problem.line}:{problem.column}: " if problem.line is not None else ""
    return f"{where}{problem.path + ': ' if problem.path else ''}{problem.message.split('; ')[0]} [{problem.code}]"
