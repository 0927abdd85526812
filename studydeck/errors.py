"""The project's one exception family and the Problem it reports.

Every error a user can cause is a StudydeckError: the CLI prints it (its problems as
file:line:col lines, then its message) and exits with its exit_code, never with a traceback.
"""

from __future__ import annotations

import contextlib
import contextvars
import re
from dataclasses import dataclass

# What a terminal or a CI log would act on rather than show: C0 and C1 controls (ESC sequences
# rewrite the screen or the window title; a newline starts a line GitHub Actions reads as a
# workflow command such as ::error:: or ::add-mask::), DEL, the line and paragraph separators
# and the bidi controls that reorder what is shown ("Trojan Source").
_LIVE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def shown(text: str) -> str:
    """Text as data for a terminal or a log: every character that would act is shown escaped
    (ESC as \\x1b, a newline as \\n), so a message is always the one line it was made as."""
    return _LIVE.sub(lambda m: _NAMED.get(m.group()) or _code(ord(m.group())), text)


_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _code(point: int) -> str:
    return f"\\x{point:02x}" if point < 0x100 else f"\\u{point:04x}"


@dataclass(frozen=True, order=True)
class Problem:
    """One mistake in the input, located as precisely as we can."""

    path: str  # relative to the project, with forward slashes
    line: int  # 1-based; 0 when the problem is about the whole file
    col: int  # 1-based; 0 when unknown
    field: str  # e.g. "definitions[1].text"; "" for the whole file
    message: str
    severity: str = "error"  # or "warning": card quality (studydeck/gather/lint.py), an error with --strict
    excerpt: str = ""  # the source line at (line, col), shown under the message with a caret

    def __str__(self) -> str:
        where = self.path
        if self.line:
            where += f":{self.line}"
            if self.col:
                where += f":{self.col}"
        message = f"warning: {self.message}" if self.severity == "warning" else self.message
        line = f"{where}: {self.field}: {message}" if self.field else f"{where}: {message}"
        if self.excerpt.strip() and self.col:  # each line shown as data, then joined
            return "\n".join(shown(part) for part in [line, *caret(self.excerpt, self.col).split("\n")])
        return shown(line)

    def annotation(self) -> str:
        """The same problem as a GitHub Actions workflow command."""
        attrs = f"file={_escape(shown(self.path), property=True)}"
        if self.line:
            attrs += f",line={self.line}"
            if self.col:
                attrs += f",col={self.col}"
        text = f"{self.field}: {self.message}" if self.field else self.message
        return f"::{self.severity} {attrs}::{_escape(shown(text))}"


def _escape(text: str, property: bool = False) -> str:
    """Workflow command escaping (GitHub's toolkit: escapeData, escapeProperty)."""
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return text.replace(":", "%3A").replace(",", "%2C") if property else text


_CHANNEL: contextvars.ContextVar[list[Problem] | None] = contextvars.ContextVar("warnings", default=None)


def warn(path: str, message: str, line: int = 0, col: int = 0, field: str = "") -> None:
    """A warning for this build (the cache, the configuration, ...): the one channel every warning
    goes through besides card quality, printed with them and counted by --strict."""
    found = _CHANNEL.get()
    if found is not None:
        problem = Problem(path, line, col, field, message, "warning")
        if problem not in found:
            found.append(problem)


def warnings_so_far() -> list[Problem]:
    """The warnings warn() has given in this build until now."""
    return list(_CHANNEL.get() or [])


@contextlib.contextmanager
def collecting_warnings():
    """The warnings warn() gives while the block runs (one build)."""
    found: list[Problem] = []
    token = _CHANNEL.set(found)
    try:
        yield found
    finally:
        _CHANNEL.reset(token)


class StudydeckError(Exception):
    """The base of every error the user must fix."""

    exit_code = 1
    problems: list[Problem] = []


class BuildError(StudydeckError):
    """Bad input (entries, the lock, an output that cannot be written): exit 1."""

    def __init__(self, message: str, problems: list[Problem] | None = None):
        super().__init__(message)
        self.problems = sorted(problems or [])

    def __str__(self) -> str:
        lines = [str(p) for p in self.problems]
        head = shown(self.args[0])
        return "\n".join(lines + [head]) if lines else head


class UsageError(StudydeckError):
    """A bad command line, configuration or environment: exit 2."""

    exit_code = 2


def caret(source_line: str, col: int) -> str:
    """The line, indented, and a caret under its col-th character, as a terminal shows them (a
    wide character, e.g. Hangul, takes two columns; a tab is shown as one space)."""

    text = source_line.replace("\t", " ").rstrip("\r")
    if len(text) > 120:  # a long line: the part around the column
        start = max(0, min(col - 60, len(text) - 120))
        text, col = ("…" if start else "") + text[start : start + 120], col - start + (1 if start else 0)
    width = sum(_width(c) for c in text[: col - 1])
    return f"    {text}\n    {' ' * width}^"


def _width(char: str) -> int:
    """Columns a terminal gives a character: 0 for a combining mark or a Hangul vowel or final
    jamo (they join the character before), 2 for a wide one, else 1."""
    import unicodedata

    if unicodedata.combining(char) or "\u1160" <= char <= "\u11ff" or "\ud7b0" <= char <= "\ud7ff":
        return 0
    return 2 if unicodedata.east_asian_width(char) in "WF" else 1
