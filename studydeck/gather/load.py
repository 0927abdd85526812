"""entries/*.yaml -> YAML node trees that remember the line and column of every value."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from studydeck.errors import Problem
from studydeck.gather.reads import Reads

MAX_FILE_BYTES = 64 * 1024  # an entry is a page of text; anything larger is a mistake
SAFE_TAGS = {f"tag:yaml.org,2002:{t}" for t in ("str", "int", "float", "bool", "null", "seq", "map")}


@dataclass(frozen=True)
class Span:
    """Where a scalar lies in its file, to turn an offset in its value into a line and column.

    raw is the scalar as written (indicator or quotes, indentation, escapes); its characters are
    matched against the value's, so a problem at value[offset] is reported where that character
    is typed, also inside a folded (>-) or quoted scalar.
    """

    line: int  # 1-based, of raw[0]
    col: int
    raw: str
    style: str | None  # None (plain), "'", '"', "|" or ">"
    value: str
    lead: int = 0  # characters stripped from the start of value before use

    def at(self, offset: int) -> tuple[int, int]:
        """(line, col) of value[lead + offset] in the file."""
        j = self._index(min(self.lead + offset, len(self.value)))
        before = self.raw[:j]
        newline = before.rfind("\n")
        if newline < 0:
            return self.line, self.col + j
        return self.line + before.count("\n"), j - newline

    def _index(self, offset: int) -> int:
        raw, style, value = self.raw, self.style, self.value
        j = raw.find("\n") + 1 if style in ("|", ">") else 1 if style in ("'", '"') else 0
        for c in value[:offset]:
            j = _step(raw, j, c, style)
        if offset < len(value) and not value[offset].isspace():
            j = _skip_blank(raw, j, style)
        return min(j, len(raw))


def _skip_blank(raw: str, j: int, style: str | None) -> int:
    """Past indentation, line breaks and (in double quotes) escaped line breaks."""
    while j < len(raw):
        if raw[j] in " \t\r\n":
            j += 1
        elif style == '"' and raw.startswith("\\\n", j):
            j += 2
        else:
            break
    return j


_ESCAPE_LENGTH = {"x": 4, "u": 6, "U": 10}


def _step(raw: str, j: int, c: str, style: str | None) -> int:
    """The index in raw just after the source of value character c, reading from j."""
    if not c.isspace():
        j = _skip_blank(raw, j, style)
    if j >= len(raw):
        return j
    if style == '"' and raw[j] == "\\":
        return j + _ESCAPE_LENGTH.get(raw[j + 1 : j + 2], 2)
    if style == "'" and c == "'" and raw.startswith("''", j):
        return j + 2
    return j + 1


@dataclass(frozen=True)
class Source:
    """One entry file, parsed but not yet validated."""

    path: str  # relative to the project, forward slashes
    node: yaml.Node
    text: str  # the decoded file, for hashing and error context

    def span(self, node: yaml.ScalarNode, lead: int = 0) -> Span:
        """Where node's value lies in this file (lead: characters stripped from its start)."""
        start, end = node.start_mark, node.end_mark
        return Span(start.line + 1, start.column + 1, self.text[start.index : end.index], node.style, node.value, lead)


def _compose_node(self, parent, index):
    """Composer.compose_node, refusing aliases (no billion laughs)."""
    if self.check_event(yaml.AliasEvent):
        event = self.peek_event()
        raise yaml.composer.ComposerError(None, None, "aliases (*name) are not supported in entries", event.start_mark)
    return yaml.composer.Composer.compose_node(self, parent, index)


class _Loader(yaml.SafeLoader):
    """The safe loader, composing nodes only; aliases are refused."""

    compose_node = _compose_node


try:
    from yaml.cyaml import CParser  # PyYAML's wheels include libyaml
except ImportError:  # pragma: no cover - built without libyaml: the Python loader does it all
    CParser = None


class _FastLoader(
    yaml.composer.Composer, CParser or yaml.parser.Parser, yaml.constructor.SafeConstructor, yaml.resolver.Resolver
):
    """libyaml's parser (about 8x faster) under PyYAML's own composer, so aliases are refused the
    same way. Files it rejects are parsed again by _Loader, whose messages the tests pin."""

    def __init__(self, stream):
        CParser.__init__(self, stream)
        yaml.composer.Composer.__init__(self)
        yaml.constructor.SafeConstructor.__init__(self)
        yaml.resolver.Resolver.__init__(self)

    compose_node = _compose_node


def _compose(text: str) -> yaml.Node | None:
    if CParser is not None:
        try:
            return yaml.compose(text, Loader=_FastLoader)
        except (yaml.YAMLError, RecursionError):
            pass  # the pure-Python loader says what is wrong, with our usual wording
    return yaml.compose(text, Loader=_Loader)


def entry_files(reads: Reads, entries_dir: Path) -> list[Path]:
    """The entry files (*.yaml, *.yml, in any case: an editor's `.YAML` is read, not ignored) in
    entries/ and its subfolders, sorted by path so every build sees them in the same order.
    Hidden files and folders (.git, .drafts) are skipped."""
    return [p for p in reads.files(entries_dir) if p.suffix.lower() in (".yaml", ".yml") and p.is_file()]


def outside(root: Path, path: Path) -> Problem | None:
    """A problem if path (a link, or inside a linked folder) leads out of the project: entries are
    data of this project, and a build never reads a file elsewhere because a link points there."""
    real, home = path.resolve(), root.resolve()
    if real.is_relative_to(home):
        return None
    return Problem(
        rel_path(root, path),
        0,
        0,
        "",
        f"is a link to {real}, outside the project; entries are read only from files in the project",
    )


def unreadable_name(root: Path, path: Path) -> Problem | None:
    """A problem if the file's name is not UTF-8 (Git, Anki and the messages all need text)."""
    shown = rel_path(root, path)
    if shown == path.relative_to(root).as_posix():
        return None
    return Problem(shown, 0, 0, "", "the file name is not UTF-8; rename the file")


def rel_path(root: Path, path: Path) -> str:
    """A path as messages show it: relative to the project, forward slashes, printable."""
    rel = path.relative_to(root).as_posix()
    return rel.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def load(reads: Reads, path: Path, rel: str) -> tuple[Source | None, list[Problem]]:
    """Read and compose one file; on failure return the problems instead."""
    data = reads.bytes(path)
    if len(data) > MAX_FILE_BYTES:
        return None, [Problem(rel, 0, 0, "", f"file is {len(data):,} bytes; the limit is {MAX_FILE_BYTES:,}")]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        return None, [
            Problem(
                rel,
                line,
                col,
                "",
                f"not UTF-8: byte 0x{data[exc.start]:02x} at offset {exc.start}; save the file as UTF-8",
            )
        ]
    text = text.removeprefix("\ufeff")
    if not text.strip() or all(line.lstrip().startswith("#") or not line.strip() for line in text.splitlines()):
        return None, [Problem(rel, 0, 0, "", "file is empty")]
    try:
        node = _compose(text)
    except yaml.MarkedYAMLError as exc:
        return None, [_yaml_problem(rel, exc)]
    except yaml.reader.ReaderError as exc:  # a character YAML refuses (a control character): its place
        line = text.count("\n", 0, exc.position) + 1
        start = text.rfind("\n", 0, exc.position) + 1
        end = text.find("\n", exc.position)
        where = text[start : end if end >= 0 else len(text)]
        char = exc.character if isinstance(exc.character, str) else chr(exc.character)
        message = f"an invisible control character U+{ord(char):04X} YAML does not allow; delete it"
        return None, [Problem(rel, line, exc.position - start + 1, "", message, excerpt=where)]
    except yaml.YAMLError as exc:  # pragma: no cover - PyYAML marks its other errors
        return None, [Problem(rel, 0, 0, "", f"YAML error: {exc}")]
    except RecursionError:
        return None, [Problem(rel, 0, 0, "", "YAML nesting is too deep")]
    if node is None:
        return None, [Problem(rel, 0, 0, "", "file is empty")]
    problems = list(_unsafe_tags(rel, node))
    return (None if problems else Source(rel, node, text)), problems


def _yaml_problem(rel: str, exc: yaml.MarkedYAMLError) -> Problem:
    mark = exc.problem_mark or exc.context_mark
    if exc.context_mark is not None and not _line_at(mark)[0].strip():  # e.g. at the end: where it began
        mark = exc.context_mark
    what = exc.problem or exc.context or "invalid YAML"
    if exc.context and exc.problem:
        what = f"{exc.context}: {exc.problem}" if "aliases" not in exc.problem else exc.problem
    hint = _yaml_hint(what, mark)
    line, col = (mark.line + 1, mark.column + 1) if mark else (0, 0)
    return Problem(rel, line, col, "", f"YAML syntax: {what}{hint}", excerpt=_line_at(mark)[0])


def _line_at(mark) -> tuple[str, str]:
    """The source line the mark is on, and the nearest non-blank line above it."""
    if mark is None or not isinstance(mark.buffer, str):
        return "", ""
    start = mark.buffer.rfind("\n", 0, mark.pointer) + 1
    end = mark.buffer.find("\n", mark.pointer)
    above = next((t for t in reversed(mark.buffer[: max(start - 1, 0)].split("\n")) if t.strip()), "")
    return mark.buffer[start : end if end >= 0 else len(mark.buffer)].rstrip("\0"), above


def _yaml_hint(what: str, mark) -> str:
    """The usual cause of the usual YAML errors, as an author can act on it."""
    line, above = _line_at(mark)
    if "'\\t'" in what or "\t" in line[: len(line) - len(line.lstrip())]:
        return " (a tab: YAML indents with spaces only)"
    indent = len(line) - len(line.lstrip(" "))
    if "mapping values are not allowed" in what and indent > len(above) - len(above.lstrip(" ")) and ": " in above:
        return " (this line is indented more than the field above it: a field lines up with the fields beside it)"
    if "mapping values are not allowed" in what:
        return " (a ': ' inside a value: put the whole value in double quotes)"
    value = line.split(": ", 1)[1].lstrip() if ": " in line else line.strip().removeprefix("- ")
    if value.startswith(("{", "[")) and "expected" in what:  # e.g. text: {{c1::x}} is ...
        return " (a value that starts with '{' or '[' is read as YAML's own braces: put it in double quotes)"
    if any(k in what for k in ("expected <block end>", "did not find expected key", "did not find expected '-'")):
        return (
            " (check the indentation: a field lines up with the fields beside it; and that every quote above is closed)"
        )
    if "found unexpected end of stream" in what and "quoted scalar" in what:
        return " (a quote that is never closed)"
    return ""


def _unsafe_tags(rel: str, node: yaml.Node):
    stack = [node]
    while stack:
        n = stack.pop()
        if n.tag not in SAFE_TAGS:
            yield Problem(
                rel,
                n.start_mark.line + 1,
                n.start_mark.column + 1,
                "",
                f"YAML tag '{n.tag.replace('tag:yaml.org,2002:', '!!')}' is not allowed; entries are plain data",
            )
        if isinstance(n, yaml.MappingNode):
            for k, v in n.value:
                stack.extend((k, v))
        elif isinstance(n, yaml.SequenceNode):
            stack.extend(n.value)
