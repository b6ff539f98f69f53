"""The text of a YAML/JSON input before it is parsed, and the errors placed in it.

Owns the reader's ``Limits`` (what one input stream may cost), the decoding of bytes (UTF-8 only, no BOM, size
limit), the refusal of binary input and control characters, and the ``InputError`` at a line and column of the text
(``format_path`` prints the path inside the document). ``yamlio`` reads documents with these; ``yaml_compose``
raises its errors through them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, NamedTuple

from ..errors import InputError
from ..k8s import paths as _paths


class Limits(NamedTuple):
    """Bounds on what one input stream may cost."""

    max_bytes: int = 5 * 1024 * 1024  # size of the input, UTF-8 encoded
    max_depth: int = 64  # nested mappings/sequences, aliases expanded
    max_nodes: int = 200_000  # nodes once every alias is expanded
    max_aliases: int = 1_000  # alias uses (``*name``) in the stream


DEFAULT_LIMITS = Limits()

# --------------------------------------------------------------------------------------------
# paths


def format_path(path: Iterable[Any]) -> str | None:
    """``("spec", "containers", 0, "app.io/x")`` -> ``spec.containers[0]["app.io/x"]``; ``()`` -> None. Printed by
    the one path printer, ``paths.render`` (a key that is not a string, which the loader refuses, as its text)."""
    segments = tuple(
        part if isinstance(part, (str, int, _paths.Key)) and not isinstance(part, bool) else str(part) for part in path
    )
    return _paths.render(segments) or None


# --------------------------------------------------------------------------------------------
# errors

_SYNTAX_HINT = "check the indentation, quoting and brackets near this position"


def _error(code, message, filename, line=None, column=None, path=(), hint=None) -> InputError:
    return InputError(
        code,
        message,
        path=format_path(path),
        file=filename,
        line=line,
        column=column,
        hint=hint,
    )


def _mark_error(code, message, filename, mark, path=(), hint=None) -> InputError:
    return _error(code, message, filename, mark.line + 1, mark.column + 1, path, hint)


def _char_at(text: str, line0: int, column0: int) -> str:
    """The character at a 0-based line/column (for error hints), or ""."""
    start = 0
    for _ in range(line0):
        start = text.find("\n", start) + 1
        if start == 0:
            return ""
    index = start + column0
    return text[index] if index < len(text) and text.find("\n", start, index) < 0 else ""


def _text_position(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


# --------------------------------------------------------------------------------------------
# input checks before parsing

# Characters YAML does not allow in a stream (the same set as pyyaml's Reader and libyaml).
_NON_PRINTABLE = re.compile("[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_CONTROL_BYTES = re.compile(b"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_BINARY_SAMPLE = 4096  # bytes/characters looked at to decide "mostly non-printable"
_BINARY_RATIO = 0.05  # text has no control characters at all; random bytes have ~13%
_BINARY_MIN = 4  # fewer bad characters than this is a stray character, not a binary file


def _looks_binary_bytes(data: bytes, offset: int) -> bool:
    """Undecodable input: binary if control bytes abound around ``offset`` (Latin-1 text has none)."""
    sample = data[max(0, offset - _BINARY_SAMPLE // 2) : offset + _BINARY_SAMPLE // 2]
    bad = len(_CONTROL_BYTES.findall(sample))
    return bad >= _BINARY_MIN and bad > len(sample) * _BINARY_RATIO


def _decode(data: bytes | str, filename: str, limits: Limits) -> str:
    """Size, encoding and binary checks; returns the text without a leading BOM."""
    if isinstance(data, (bytes, bytearray, memoryview)):
        data = bytes(data)
        if data[:2] in (b"\xff\xfe", b"\xfe\xff") or data[:4] == b"\x00\x00\xfe\xff":
            raise _error(
                "not_utf8",
                "input is UTF-16 or UTF-32 (byte order mark at byte offset 0), not UTF-8",
                filename,
                1,
                1,
                hint="save the file as UTF-8",
            )
        if len(data) > limits.max_bytes:
            raise _error(
                "too_large",
                f"input is {len(data)} bytes, more than the limit of {limits.max_bytes}",
                filename,
                hint="split the input or raise the size limit",
            )
        nul = data.find(b"\0")
        if nul >= 0:
            raise _binary(filename, data, nul)
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            if _looks_binary_bytes(data, exc.start):
                raise _binary(filename, data, exc.start) from None
            prefix = data[: exc.start].decode("utf-8")
            line, col = _text_position(prefix, len(prefix))
            raise _error(
                "not_utf8",
                f"input is not valid UTF-8: byte 0x{data[exc.start]:02x} at byte offset {exc.start}",
                filename,
                line,
                col,
                hint="save the file as UTF-8",
            ) from None
    elif isinstance(data, str):
        text = data
        # A str holds at most 4 UTF-8 bytes a character; only encode when that can matter.
        if len(text) > limits.max_bytes or (
            len(text) * 4 > limits.max_bytes and len(text.encode("utf-8", "surrogatepass")) > limits.max_bytes
        ):
            raise _error(
                "too_large",
                f"input is more than the limit of {limits.max_bytes} bytes",
                filename,
                hint="split the input or raise the size limit",
            )
        nul = text.find("\0")
        if nul >= 0:
            raise _binary(filename, text, nul)
    else:
        raise TypeError(f"load_document() takes str or bytes, not {type(data).__name__}")

    if text[:1] == "\ufeff":
        text = text[1:]
    bad = _NON_PRINTABLE.search(text)
    if bad is not None:
        pos = bad.start()
        window = text[max(0, pos - _BINARY_SAMPLE // 2) : pos + _BINARY_SAMPLE // 2]
        bad_count = len(_NON_PRINTABLE.findall(window))
        if bad_count >= _BINARY_MIN and bad_count > len(window) * _BINARY_RATIO:
            raise _binary(filename, text, pos)
        line, col = _text_position(text, pos)
        char = ord(text[pos])
        if 0xD800 <= char <= 0xDFFF:
            raise _error(
                "not_utf8",
                f"input holds a lone surrogate U+{char:04X}, which is not valid UTF-8",
                filename,
                line,
                col,
                hint="save the file as UTF-8",
            )
        raise _error(
            "yaml_syntax",
            f"control character U+{char:04X} is not allowed in YAML",
            filename,
            line,
            col,
            hint='remove it, or write it as an escape inside a double-quoted string ("\\x07")',
        )
    return text


def _binary(filename: str, data: bytes | str, offset: int) -> InputError:
    if isinstance(data, bytes):
        prefix = data[:offset].decode("utf-8", errors="replace")
        line, col = _text_position(prefix, len(prefix))
        what = f"byte offset {offset}"
    else:
        line, col = _text_position(data, offset)
        what = f"character offset {offset}"
    return _error(
        "binary_input",
        f"input looks binary, not YAML or JSON text (first bad byte at {what})",
        filename,
        line,
        col,
        hint="pass a YAML or JSON text file",
    )
