"""Entry text -> HTML for the printed sheets: clozes emphasised or replaced by blanks, escaped.

WeasyPrint ignores `word-break: keep-all`, so inside every whitespace-separated word that
contains Hangul a WORD JOINER (U+2060, zero width, never a break) sits between every two
characters: Korean words never split across lines, while long Latin tokens (kube-proxy,
URLs) keep their normal break opportunities. (No-wrap spans per word did the same but made
WeasyPrint's layout 2 to 3 times slower.) Browsers understand `word-break: keep-all`, so the
HTML preview gets plain words (joiner=False).

The text is first flattened into pieces (a run of text with the inline elements around it, or
a worksheet blank), the pieces grouped into words at whitespace, and each word emitted.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass

from studydeck.gather import markup
from studydeck.memo import memo

WORD_JOINER = "\u2060"
_HANGUL = re.compile(r"[\u1100-\u11ff\u3130-\u318f\uac00-\ud7af]")
# Longer "words" are left breakable so they cannot overflow a column; a blank counts as its width.
KEEP_ALL_MAX = 24
_OPEN = {"b": "<b>", "code": "<code>", "cloze": '<strong class="cloze">'}
_CLOSE = {"b": "</b>", "code": "</code>", "cloze": "</strong>"}


@dataclass(frozen=True)
class Blank:
    """A worksheet blank: HTML made by the worksheet, kept whole; width in em for word length."""

    html: str
    width: float


@dataclass(frozen=True)
class _Piece:
    text: str  # "" for a blank
    wrap: tuple[str, ...]
    blank: Blank | None = None

    @property
    def space(self) -> bool:
        return self.blank is None and self.text.isspace()


def to_sheet(
    tree: tuple,
    blank: Callable[[markup.Cloze], Blank | None] | None = None,
    joiner: bool = True,
    keep_max: float = KEEP_ALL_MAX,
) -> str:
    """HTML for the printed sheet: clozes emphasised, or each replaced by blank(cloze) (None: the
    cloze's text, plain, as a card that asks another cloze shows it). A word
    is kept whole only up to keep_max em (about a column's width), so it never overflows one."""
    if blank is None:
        return _to_sheet(tree, joiner, keep_max)
    return _typeset(tree, blank, joiner, keep_max)


@memo(65536)
def _to_sheet(tree: tuple, joiner: bool, keep_max: float) -> str:
    """to_sheet without blanks, remembered: the same text always sets the same way, and watch mode
    sets every entry again on each save."""
    return _typeset(tree, None, joiner, keep_max)


_FLAG = re.compile(r"(?<![\w-])(--?)(?=\w)")  # a command-line flag's dashes: --service-node-port-range


def _typeset(tree: tuple, blank, joiner: bool, keep_max: float) -> str:
    pieces: list[_Piece] = []
    _flatten(tree, (), pieces, blank)
    if joiner:  # print: a flag never breaks after its leading dashes
        pieces = [
            _Piece(_FLAG.sub("\\1" + WORD_JOINER, p.text), p.wrap, p.blank) if "-" in p.text else p for p in pieces
        ]
    words: list[list[_Piece]] = [[]]
    for piece in pieces:
        if piece.space:
            words.append([piece])
            words.append([])
        else:
            words[-1].append(piece)
    out = []
    for i, word in enumerate(words):
        if len(word) == 1 and word[0].space:
            out.append(_space(word[0], words[i + 1] if i + 1 < len(words) else [], joiner))
        else:
            out.append(_word(word, joiner, min(keep_max, KEEP_ALL_MAX)))
    return "".join(out)


def _flatten(tree: tuple, wrap: tuple[str, ...], out: list[_Piece], blank) -> None:
    for node in tree:
        if isinstance(node, markup.Text):
            out.extend(_Piece(part, wrap) for part in re.split(r"(\s+)", node.text) if part)
        elif isinstance(node, markup.Code):
            out.extend(_Piece(part, wrap + ("code",)) for part in re.split(r"(\s+)", node.text) if part)
        elif isinstance(node, markup.Bold):
            _flatten(node.children, wrap + ("b",), out, blank)
        elif blank is not None and (made := blank(node)) is not None:
            out.append(_Piece("", wrap, made))
        elif blank is not None:  # another card's deletion: its text, as Anki shows it on this card
            _flatten(node.children, wrap, out, blank)
        else:
            _flatten(node.children, wrap + ("cloze",), out, blank)


def _wrapped(body: str, wrap: tuple[str, ...]) -> str:
    return "".join(_OPEN[w] for w in wrap) + body + "".join(_CLOSE[w] for w in reversed(wrap))


def _space(piece: _Piece, following: list[_Piece], joiner: bool) -> str:
    body = "<br>" if "\n" in piece.text else html.escape(piece.text)
    if joiner and body != "<br>" and following and (following[0].wrap or following[0].blank):
        # WeasyPrint 70 ends a line too early (one word, the rest on the next line) when a long
        # unbreakable run is followed by a space and then an inline element; the same space in
        # its own span does not trigger it (tests/test_sheet.py checks that lines are filled).
        body = f"<span>{body}</span>"
    return _wrapped(body, piece.wrap)


def _word(word: list[_Piece], joiner: bool, keep_max: float = KEEP_ALL_MAX) -> str:
    if not word:
        return ""
    text = "".join(p.text for p in word)
    blanks = [p.blank for p in word if p.blank is not None]
    length = len(text) + sum(b.width for b in blanks)
    if not joiner or not _HANGUL.search(text) or length > keep_max:
        return "".join(_wrapped(p.blank.html if p.blank else html.escape(p.text), p.wrap) for p in word)
    # U+2060 WORD JOINER between every two characters: no line break inside the word, one text run
    joined = WORD_JOINER.join(
        _wrapped(p.blank.html if p.blank else WORD_JOINER.join(html.escape(c) for c in p.text), p.wrap) for p in word
    )
    if blanks:  # a worksheet blank is a box: no-wrap around it too
        return f'<span class="w">{joined}</span>'
    return joined
