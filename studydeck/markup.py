"""Entry text: Anki clozes plus a tiny inline markup, parsed once, rendered safely three ways.

The markup is deliberately small: `**bold**`, `` `code` `` and line breaks. Everything
else is text and is HTML-escaped, in the deck and in the sheet alike, so entry text can
never become live HTML or script.
"""
from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

MAX_CLOZE_DEPTH = 3  # c1 inside c2 inside c3; deeper nesting is unreadable on a card


class MarkupError(ValueError):
    """A mistake in entry text; the message is shown to the user as is."""


@dataclass(frozen=True)
class Text:
    text: str


@dataclass(frozen=True)
class Code:
    text: str


@dataclass(frozen=True)
class Bold:
    children: tuple


@dataclass(frozen=True)
class Cloze:
    ordinal: int
    children: tuple
    hint: str | None = None


_TOKEN = re.compile(r"\{\{c(\d+)::|\{\{|\}\}|\*\*|`[^`\n]*`|::|\n")


@dataclass
class _Open:
    kind: str  # "root", "cloze", "bold"
    children: list = field(default_factory=list)
    ordinal: int = 0
    token: str = ""
    hint: list | None = None  # hint text pieces once '::' was seen


def parse(source: str, allow_cloze: bool = True) -> tuple:
    """Parse entry text into a tree of Text/Code/Bold/Cloze; raise MarkupError on mistakes."""
    stack = [_Open("root")]
    pos = 0
    for m in _TOKEN.finditer(source):
        _add_text(stack[-1], source[pos:m.start()])
        pos = m.end()
        _token(stack, m, allow_cloze)
    _add_text(stack[-1], source[pos:])
    top = stack[-1]
    if top.kind == "cloze":
        raise MarkupError(f"unbalanced cloze: '{top.token}' is never closed")
    if top.kind == "bold":
        raise MarkupError("unbalanced bold: '**' is never closed")
    return tuple(top.children)


def _add_text(top: _Open, text: str) -> None:
    if not text:
        return
    if top.hint is not None:
        top.hint.append(text)
    elif top.children and isinstance(top.children[-1], Text):
        top.children[-1] = Text(top.children[-1].text + text)
    else:
        top.children.append(Text(text))


def _token(stack: list[_Open], m: re.Match, allow_cloze: bool) -> None:
    tok, top = m.group(0), stack[-1]
    if top.hint is not None and tok not in ("}}", "\n") and not tok.startswith("`"):
        if tok == "::":
            raise MarkupError(f"'::' twice in '{top.token}': Anki reads everything after the first '::' as the hint")
        raise MarkupError(f"'{tok}' inside the hint of '{top.token}': a hint is plain text")
    if m.group(1) is not None:
        _open_cloze(stack, int(m.group(1)), tok, allow_cloze)
    elif tok == "{{":
        raise MarkupError("'{{' that is not a cloze: Anki would read it as template or cloze syntax; "
                          "put it in `code` or write '{ {'")
    elif tok == "}}":
        _close_cloze(stack)
    elif tok == "**":
        _toggle_bold(stack)
    elif tok == "::":
        _hint_mark(stack)
    elif tok == "\n" or top.hint is not None:
        _add_text(top, tok)
    else:
        top.children.append(Code(tok[1:-1]))


def _hint_mark(stack: list[_Open]) -> None:
    top = stack[-1]
    if top.kind == "cloze":
        if not _plain(top.children).strip():
            raise MarkupError(f"cloze with an empty answer: '{top.token}::'")
        top.hint = []
    elif any(o.kind == "cloze" for o in stack):
        raise MarkupError("'::' inside a cloze answer: Anki would read the rest as a hint")
    else:
        _add_text(top, "::")


def _open_cloze(stack: list[_Open], ordinal: int, tok: str, allow_cloze: bool) -> None:
    if not allow_cloze:
        raise MarkupError(f"'{tok}': clozes are only allowed in definition text")
    if ordinal < 1:
        raise MarkupError(f"cloze numbers start at 1: '{tok}'")
    depth = sum(1 for o in stack if o.kind == "cloze")
    if depth >= MAX_CLOZE_DEPTH:
        raise MarkupError(f"'{tok}' is nested {depth + 1} deep; at most {MAX_CLOZE_DEPTH} levels are allowed")
    stack.append(_Open("cloze", ordinal=ordinal, token=tok))


def _close_cloze(stack: list[_Open]) -> None:
    top = stack[-1]
    if top.kind == "bold":
        raise MarkupError("'**' opened inside a cloze must close inside it")
    if top.kind != "cloze":
        raise MarkupError("unbalanced cloze: '}}' without an opening '{{cN::'")
    if not _plain(top.children).strip():
        raise MarkupError(f"cloze with an empty answer: '{top.token}}}}}'")
    hint = None
    if top.hint is not None:
        hint = "".join(top.hint).strip()
        if not hint:
            raise MarkupError(f"empty hint in '{top.token}': remove the trailing '::'")
    stack.pop()
    stack[-1].children.append(Cloze(top.ordinal, tuple(top.children), hint))


def _toggle_bold(stack: list[_Open]) -> None:
    top = stack[-1]
    if top.kind == "bold":
        stack.pop()
        stack[-1].children.append(Bold(tuple(top.children)))
    elif any(o.kind == "bold" for o in stack):
        raise MarkupError("'**' opened outside a cloze must close outside it")
    else:
        stack.append(_Open("bold", token="**"))


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


def answers(tree: tuple) -> list[tuple[int, str, str | None]]:
    """(ordinal, answer text, hint) for every cloze, outer before inner, in reading order."""
    out = []
    for node in tree:
        if isinstance(node, Cloze):
            out.append((node.ordinal, _plain(node.children), node.hint))
        if isinstance(node, (Cloze, Bold)):
            out.extend(answers(node.children))
    return out


def auto_cloze(source: str, term: str) -> str | None:
    """Wrap the first occurrence of term in {{c1::...}}; None when the term does not occur.

    Only the term itself is deleted, so a particle that follows it stays visible:
    "Pod는" becomes "{{c1::Pod}}는".
    """
    at = source.find(term)
    if at < 0:
        return None
    return f"{source[:at]}{{{{c1::{term}}}}}{source[at + len(term):]}"


# --- rendering -------------------------------------------------------------------------

def _esc(text: str) -> str:
    return html.escape(text, quote=True).replace("\n", "<br>")


def _esc_code(text: str) -> str:
    # Braces and colons as entities: Anki's cloze parser never sees "{{" or "::" from code.
    return (html.escape(text, quote=True)
            .replace("{", "&#123;").replace("}", "&#125;").replace(":", "&#58;"))


def to_anki(tree: tuple) -> str:
    """HTML for an Anki field, with the clozes in Anki's own syntax."""
    out = []
    for node in tree:
        if isinstance(node, Text):
            out.append(_esc(node.text))
        elif isinstance(node, Code):
            out.append(f"<code>{_esc_code(node.text)}</code>")
        elif isinstance(node, Bold):
            out.append(f"<b>{to_anki(node.children)}</b>")
        else:
            hint = f"::{_esc(node.hint)}" if node.hint else ""
            out.append(f"{{{{c{node.ordinal}::{to_anki(node.children)}{hint}}}}}")
    return "".join(out)


_HANGUL = re.compile(r"[\u1100-\u11ff\u3130-\u318f\uac00-\ud7af]")
_KEEP_ALL_MAX = 24  # longer "words" are left breakable so they cannot overflow a column


def to_sheet(tree: tuple, blank=None, joiner: bool = True) -> str:
    """HTML for the printed sheet: clozes emphasised (or replaced by blank(cloze)).

    WeasyPrint ignores `word-break: keep-all`, so inside every whitespace-separated word
    that contains Hangul a WORD JOINER (U+2060, zero width, never a break) sits between every
    two characters: Korean words never split across lines, while long Latin tokens
    (kube-proxy, URLs) keep their normal break opportunities. (No-wrap spans per word did
    the same but made WeasyPrint's layout 2 to 3 times slower.) joiner=False leaves them
    out, for browsers, which understand `word-break: keep-all`.
    """
    runs: list[tuple[str, tuple[str, ...]]] = []
    _flatten(tree, (), runs, blank)
    html_out = _emit_words(runs, joiner)
    if joiner:
        # WeasyPrint 70 ends a line too early (one word, the rest on the next line) when a long
        # unbreakable run is followed by a space and then an inline element; the same space in
        # its own span does not trigger it (tests/test_sheet.py checks that lines are filled).
        html_out = _SPACE_BEFORE_TAG.sub(r"<span>\1</span>", html_out)
    return html_out


_SPACE_BEFORE_TAG = re.compile(r"( +)(?=<(?:strong|b|code|span)[ >])")


def _flatten(tree, wrap: tuple, runs: list, blank) -> None:
    for node in tree:
        if isinstance(node, Text):
            runs.append((node.text, wrap))
        elif isinstance(node, Code):
            runs.append((node.text, wrap + ("code",)))
        elif isinstance(node, Bold):
            _flatten(node.children, wrap + ("b",), runs, blank)
        elif blank is not None:
            runs.append(("\0" + blank(node), wrap))  # pre-rendered HTML, kept whole
        else:
            _flatten(node.children, wrap + ("cloze",), runs, blank)


_OPEN = {"b": "<b>", "code": "<code>", "cloze": '<strong class="cloze">'}
_CLOSE = {"b": "</b>", "code": "</code>", "cloze": "</strong>"}


def _emit_words(runs: list[tuple[str, tuple[str, ...]]], joiner: bool) -> str:
    # Split runs into pieces that are either whitespace or not, then group words.
    pieces: list[tuple[str, tuple[str, ...], bool]] = []
    for text, wrap in runs:
        if text.startswith("\0"):
            pieces.append((text, wrap, False))
            continue
        for part in re.split(r"(\s+)", text):
            if part:
                pieces.append((part, wrap, part.isspace()))
    out, word = [], []
    for piece in pieces + [("", (), True)]:
        if piece[2]:
            out.append(_word_html(word, joiner))
            word = []
            if piece[0]:
                out.append(_wrap_html(piece[0], piece[1]))
        else:
            word.append(piece)
    return "".join(out)


def _wrap_html(text: str, wrap: tuple[str, ...]) -> str:
    if text.startswith("\0"):
        body = text[1:]
    elif "\n" in text and text.isspace():
        body = "<br>"
    else:
        body = html.escape(text, quote=True)
    return "".join(_OPEN[w] for w in wrap) + body + "".join(_CLOSE[w] for w in reversed(wrap))


WORD_JOINER = "\u2060"


def _word_html(word: list, joiner: bool) -> str:
    if not word:
        return ""
    text = "".join(t for t, _, _ in word if not t.startswith("\0"))
    if not joiner or not _HANGUL.search(text) or len(text) > _KEEP_ALL_MAX:
        return "".join(_wrap_html(t, wrap) for t, wrap, _ in word)
    # U+2060 WORD JOINER between every two characters: no line break inside the word, one text run
    joined = WORD_JOINER.join(_wrap_html(t if t.startswith("\0") else WORD_JOINER.join(t), wrap)
                              for t, wrap, _ in word)
    if any(t.startswith("\0") for t, _, _ in word):  # a worksheet blank is a box: no-wrap around it too
        return f'<span class="w">{joined}</span>'
    return joined
