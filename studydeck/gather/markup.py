"""Entry text: Anki clozes plus a tiny inline markup, parsed once into a tree.

The markup is deliberately small: `**bold**`, `` `code` `` and line breaks. Everything else
is text. This module only parses and answers questions about the tree; each output renders
it (escaped) itself: studydeck/anki/notes.py for Anki, studydeck/pdf/typeset.py for the sheets.

Every node remembers `pos`, the offset in the source string where it starts, so a problem
found later (a giveaway, a cloze that moved) can be reported at its line and column.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

MAX_CLOZE_DEPTH = 3  # c1 inside c2 inside c3; deeper nesting is unreadable on a card
# Anki makes at most 500 cards from a cloze note: a cloze number above 500 is folded into card
# 500 (rslib/src/notetype/cardgen.rs: `cloze_ord.saturating_sub(1).min(499)`, the same in 24.11),
# and its package reader fails on card numbers beyond 65,535.
MAX_ORDINAL = 500


class MarkupError(ValueError):
    """A mistake in entry text; the message is shown to the user as is, at offset pos."""

    def __init__(self, message: str, pos: int = 0):
        super().__init__(message)
        self.pos = pos


@dataclass(frozen=True)
class Text:
    text: str
    pos: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Code:
    text: str
    pos: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Bold:
    children: tuple
    pos: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Cloze:
    ordinal: int
    children: tuple
    hint: str | None = None
    pos: int = field(default=0, compare=False)


_TOKEN = re.compile(r"\{\{c(\d+)::|\{\{|\}\}|\*\*|`[^`\n]*`|::|\n")


@dataclass
class _Open:
    kind: str  # "root", "cloze", "bold"
    children: list = field(default_factory=list)
    ordinal: int = 0
    token: str = ""
    pos: int = 0
    hint: list | None = None  # hint text pieces once '::' was seen


def parse(source: str, allow_cloze: bool = True) -> tuple:
    """Parse entry text into a tree of Text/Code/Bold/Cloze; raise MarkupError on mistakes."""
    stack = [_Open("root")]
    pos = 0
    for m in _TOKEN.finditer(source):
        _add_text(stack[-1], source[pos : m.start()], pos)
        pos = m.end()
        _token(stack, m, allow_cloze)
    _add_text(stack[-1], source[pos:], pos)
    top = stack[-1]
    if top.kind == "cloze":
        raise MarkupError(f"unbalanced cloze: '{top.token}' is never closed", top.pos)
    if top.kind == "bold":
        raise MarkupError("unbalanced bold: '**' is never closed", top.pos)
    return _merged(top.children)


def _add_text(top: _Open, text: str, pos: int) -> None:
    if not text:
        return
    if top.hint is not None:
        top.hint.append(text)
    else:
        top.children.append(Text(text, pos))


def _merged(children: list) -> tuple:
    """Adjacent Text pieces as one node (joined once: no quadratic concatenation)."""
    out, run = [], []
    for node in children + [None]:
        if isinstance(node, Text):
            run.append(node)
            continue
        if run:
            out.append(Text("".join(t.text for t in run), run[0].pos) if len(run) > 1 else run[0])
            run = []
        if node is not None:
            out.append(node)
    return tuple(out)


def _token(stack: list[_Open], m: re.Match, allow_cloze: bool) -> None:
    tok, top, at = m.group(0), stack[-1], m.start()
    if top.hint is not None and tok not in ("}}", "\n") and not tok.startswith("`"):
        if tok == "::":
            raise MarkupError(
                f"'::' twice in '{top.token}': Anki reads everything after the first '::' as the hint", at
            )
        raise MarkupError(f"'{tok}' inside the hint of '{top.token}': a hint is plain text", at)
    if m.group(1) is not None:
        _open_cloze(stack, int(m.group(1)), tok, allow_cloze, at)
    elif tok == "{{" and (near := re.match(r"\{\{\s*c\s*(\d+)\s*:(?!:)", m.string[at:], re.IGNORECASE)):
        raise MarkupError(f"'{near.group(0)}' is not a cloze: did you mean '{{{{c{near.group(1)}::'?", at)
    elif tok == "{{":
        raise MarkupError(
            "'{{' that is not a cloze: Anki would read it as template or cloze syntax; put it in `code` or write '{ {'",
            at,
        )
    elif tok == "}}":
        _close_cloze(stack, at)
    elif tok == "**":
        _toggle_bold(stack, at)
    elif tok == "::":
        _hint_mark(stack, at)
    elif tok == "\n" or top.hint is not None:
        _add_text(top, tok, at)
    else:
        top.children.append(Code(tok[1:-1], at))


def _hint_mark(stack: list[_Open], at: int) -> None:
    top = stack[-1]
    if top.kind == "cloze":
        if not _plain(top.children).strip():
            raise MarkupError(f"cloze with an empty answer: '{top.token}::'", top.pos)
        top.hint = []
    elif any(o.kind == "cloze" for o in stack):
        raise MarkupError("'::' inside a cloze answer: Anki would read the rest as a hint", at)
    else:
        _add_text(top, "::", at)


def _open_cloze(stack: list[_Open], ordinal: int, tok: str, allow_cloze: bool, at: int) -> None:
    if not allow_cloze:
        raise MarkupError(f"'{tok}': clozes are only allowed in definition text", at)
    if ordinal < 1:
        raise MarkupError(f"cloze numbers start at 1: '{tok}'", at)
    if ordinal > MAX_ORDINAL:
        raise MarkupError(
            f"'{tok}': Anki makes at most {MAX_ORDINAL} cards from a note, so cloze numbers go from 1 to {MAX_ORDINAL}",
            at,
        )
    depth = sum(1 for o in stack if o.kind == "cloze")
    if depth >= MAX_CLOZE_DEPTH:
        raise MarkupError(f"'{tok}' is nested {depth + 1} deep; at most {MAX_CLOZE_DEPTH} levels are allowed", at)
    stack.append(_Open("cloze", ordinal=ordinal, token=tok, pos=at))


def _close_cloze(stack: list[_Open], at: int) -> None:
    top = stack[-1]
    if top.kind == "bold":
        raise MarkupError("'**' opened inside a cloze must close inside it", top.pos)
    if top.kind != "cloze":
        raise MarkupError("unbalanced cloze: '}}' without an opening '{{cN::'", at)
    if not _plain(top.children).strip():
        raise MarkupError(f"cloze with an empty answer: '{top.token}}}}}'", top.pos)
    hint = None
    if top.hint is not None:
        hint = "".join(top.hint).strip()
        if not hint:
            raise MarkupError(f"empty hint in '{top.token}': remove the trailing '::'", top.pos)
    stack.pop()
    stack[-1].children.append(Cloze(top.ordinal, _merged(top.children), hint, top.pos))


def _toggle_bold(stack: list[_Open], at: int) -> None:
    top = stack[-1]
    if top.kind == "bold":
        stack.pop()
        stack[-1].children.append(Bold(_merged(top.children), top.pos))
    elif any(o.kind == "bold" for o in stack):
        raise MarkupError("'**' opened outside a cloze must close outside it", at)
    else:
        stack.append(_Open("bold", token="**", pos=at))


# --- questions about a tree ------------------------------------------------------------


def ordinals(tree: tuple) -> set[int]:
    """Every cloze number in the tree, nested ones included."""
    found: set[int] = set()
    for node in tree:
        if isinstance(node, Cloze):
            found.add(node.ordinal)
        if isinstance(node, (Cloze, Bold)):
            found |= ordinals(node.children)
    return found


def _plain(tree) -> str:
    out = []
    for node in tree:
        if isinstance(node, (Text, Code)):
            out.append(node.text)
        else:
            out.append(_plain(node.children))
    return "".join(out)


def plain(tree: tuple) -> str:
    """The text a reader sees with every cloze revealed, without markup."""
    return _plain(tree)


def clozes(tree: tuple) -> list[Cloze]:
    """Every cloze, outer before inner, in reading order."""
    out = []
    for node in tree:
        if isinstance(node, Cloze):
            out.append(node)
        if isinstance(node, (Cloze, Bold)):
            out.extend(clozes(node.children))
    return out


def answers(tree: tuple) -> list[tuple[int, str, str | None]]:
    """(ordinal, answer text, hint) for every cloze, outer before inner, in reading order."""
    return [(c.ordinal, _plain(c.children), c.hint) for c in clozes(tree)]


def question(tree: tuple, ordinal: int, blank: str = "[...]") -> str:
    """The plain text card `ordinal` shows on its front: its clozes hidden (as [hint] where
    there is a hint), every other cloze shown as text, as Anki renders a cloze card."""
    out = []
    for node in tree:
        if isinstance(node, (Text, Code)):
            out.append(node.text)
        elif isinstance(node, Cloze) and node.ordinal == ordinal:
            out.append(f"[{node.hint}]" if node.hint else blank)
        else:
            out.append(question(node.children, ordinal, blank))
    return "".join(out)


def auto_cloze(tree: tuple, term: str) -> tuple | None:
    """The tree with the first occurrence of term (in text or code) as cloze 1; None if absent.

    Only the term itself is deleted, so a particle that follows it stays visible:
    "Pod는" becomes "{{c1::Pod}}는". Working on the tree, not the source, means a term
    with '::' or one inside `code` is deleted as it is written.
    """
    done, out = _auto(tree, term)
    return out if done else None


def _auto(tree: tuple, term: str) -> tuple[bool, tuple]:
    out = list(tree)
    for i, node in enumerate(tree):
        if isinstance(node, (Text, Code)) and term in node.text:
            at = node.text.index(term)
            kind = type(node)
            before, after = node.text[:at], node.text[at + len(term) :]
            pieces = (
                ([kind(before, node.pos)] if before else [])
                + [Cloze(1, (kind(term, node.pos + at),), None, node.pos + at)]
                + ([kind(after, node.pos + at + len(term))] if after else [])
            )
            return True, tuple(out[:i] + pieces + out[i + 1 :])
        if isinstance(node, Bold):
            done, children = _auto(node.children, term)
            if done:
                out[i] = Bold(children, node.pos)
                return True, tuple(out)
    return False, tree
