"""Card quality: warnings for cards that can be answered without recall or ask too much at once.

Each rule reads one definition the way its cards will show it (each cloze number is one card:
its deletions hidden, every other cloze shown as text) and follows the minimum information
principle (SuperMemo's 20 rules): one fact per deletion, nothing around it that gives it away.
A rule is silenced for one definition by naming it in that definition's `lint_ignore` list.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass

from studydeck.errors import Problem
from studydeck.gather import markup
from studydeck.gather.lock import Lock
from studydeck.model import Definition, Entry, LintConfig

RULES = {
    "giveaway": "text on the card's front that gives the answer away",
    "long-answer": "a deletion longer than max-answer-chars",
    "most-of-sentence": "a deletion that hides most of its sentence",
    "many-deletions": "more cloze numbers in one definition than max-deletions",
    "numbering": "cloze numbers with a gap",
    "hint": "a hint that is, or holds, its answer",
    "history": "a card whose answer changed to a different one since entries.lock",
    "figure": "a figure shown on the card's front whose text or caption holds an answer",
}
_GLOSS_AFTER = re.compile(r"^\s?[(（]([^()（）]{1,60})[)）]")
_GLOSS_BEFORE = re.compile(r"[(（]([^()（）]{1,60})[)）]\s?$")
_SENTENCE_END = re.compile(r"(?<=[.!?。])\s+|\n+")


@dataclass(frozen=True)
class _Span:
    start: int
    end: int
    cloze: markup.Cloze


def check(
    entries: list[Entry],
    lock: Lock,
    renamed: dict[str, str],
    config: LintConfig,
    shipped: frozenset[str] | None = None,
) -> list[Problem]:
    """Every warning for every definition, located at the deletion (or definition) it is about.
    shipped: the GUIDs a release shipped (None: every note of the lock): only their cards have a
    review history for the `history` rule to keep; a draft's answers may change freely."""
    out = []
    for entry in entries:
        for i, d in enumerate(entry.definitions):
            name = f"{entry.id}/{d.key}"
            locked = lock.notes.get(renamed.get(name, name))
            if locked is not None and shipped is not None and locked.guid not in shipped:
                locked = None
            out += _definition(entry, i, d, dict(locked.answers) if locked else {}, config)
            out += _front_figure(entry, d)
    return sorted(out)


def _front_figure(entry: Entry, d: Definition) -> list[Problem]:
    """A figure on the card's front (front: true) must not show what the card asks for: its
    caption, its alt text and (an SVG's) its drawn text are all in view with the question."""
    figure = d.figure or entry.figure
    if figure is None or not figure.front or "figure" in d.lint_ignore:
        return []
    out = []
    for ordinal, answer, _ in markup.answers(d.tree):
        for what, text in (("caption", figure.caption), ("alt text", figure.alt), ("drawn text", figure.words)):
            if _norm(answer) and _norm(answer) in _norm(text):
                out.append(
                    Problem(
                        entry.path,
                        *figure.pos,
                        f"{figure.place}.file",
                        f"the figure is on the front of '{d.key}' (front: true) and its {what} shows the "
                        f"answer of c{ordinal} ('{answer.strip()}'); show it on the back only [figure]",
                        "warning",
                    )
                )
                break
    return out


def _definition(entry: Entry, i: int, d: Definition, locked: dict[int, str], config: LintConfig) -> list[Problem]:
    field = f"definitions[{i}].text"
    plain, spans = _spans(d.tree)
    ordinals = sorted(markup.ordinals(d.tree))
    found = _giveaways(d.tree, ordinals)
    for span in spans:
        found += _answer(plain, span, config)
    found += _numbering(ordinals, config) + _history(d.tree, ordinals, locked)
    return [
        Problem(
            entry.path,
            *(d.span.at(at) if at is not None and d.span else entry.at(field)),
            field,
            f"{message} [{rule}]",
            "warning",
        )
        for rule, at, message in found
        if rule not in d.lint_ignore
    ]


Found = list[tuple[str, int | None, str]]  # (rule, offset in the text or None, message)


def _answer(plain: str, span: _Span, config: LintConfig) -> Found:
    """One deletion: how much it hides, of what, and whether its hint says it."""
    found: Found = []
    answer = plain[span.start : span.end]
    size = len(re.sub(r"\s", "", answer))
    n = span.cloze.ordinal
    if size > config.max_answer_chars:
        found.append(
            (
                "long-answer",
                span.cloze.pos,
                f"c{n} hides {size} characters (more than {config.max_answer_chars}); "
                "delete the one key word, or split the fact into two definitions",
            )
        )
    sentence = len(re.sub(r"\s", "", _sentence(plain, span)))
    if size >= 2 and size > config.max_answer_share * sentence:
        found.append(
            (
                "most-of-sentence",
                span.cloze.pos,
                f"c{n} hides most of its sentence ({size} of {sentence} characters); "
                "leave enough of it to ask a question",
            )
        )
    hint = span.cloze.hint
    if hint and _norm(answer) and (_norm(answer) in _norm(hint)):
        found.append(
            (
                "hint",
                span.cloze.pos,
                f"the hint of c{n} ('{hint}') gives its answer "
                f"'{answer.strip()}'; a hint narrows the answer down, it does not say it",
            )
        )
    return found


def _numbering(ordinals: list[int], config: LintConfig) -> Found:
    """The definition's cards: not too many, numbered from c1 without gaps."""
    found: Found = []
    if len(ordinals) > config.max_deletions:
        found.append(
            (
                "many-deletions",
                None,
                f"{len(ordinals)} cards from one definition (c{', c'.join(map(str, ordinals))}); "
                f"more than {config.max_deletions} is more than a learner can hold: split it",
            )
        )
    missing = sorted(set(range(1, max(ordinals) + 1)) - set(ordinals)) if ordinals else []
    if missing:
        found.append(
            (
                "numbering",
                None,
                f"cloze numbers skip {', '.join(f'c{n}' for n in missing)} "
                f"(this definition has c{', c'.join(map(str, ordinals))}); number them from c1 without gaps",
            )
        )
    return found


def _spans(tree: tuple) -> tuple[str, list[_Span]]:
    """The plain text (every cloze revealed) and where each cloze's answer lies in it."""
    out, spans = [], []

    def walk(nodes):
        for node in nodes:
            if isinstance(node, (markup.Text, markup.Code)):
                out.append(node.text)
            else:
                start = sum(map(len, out))
                walk(node.children)
                if isinstance(node, markup.Cloze):
                    spans.append(_Span(start, sum(map(len, out)), node))

    walk(tree)
    return "".join(out), spans


def _sentence(plain: str, span: _Span) -> str:
    starts = [0] + [m.end() for m in _SENTENCE_END.finditer(plain) if m.end() <= span.start]
    ends = [m.start() for m in _SENTENCE_END.finditer(plain) if m.start() >= span.end] + [len(plain)]
    return plain[max(starts) : min(ends)]


_HIDDEN = "\ue000"  # where card N's deletion is, in its front's text


def _front(tree: tuple, ordinal: int) -> tuple[str, list[markup.Cloze]]:
    """Card `ordinal`'s front as text, each hidden deletion a single private-use character."""
    out, hidden = [], []

    def walk(nodes):
        for node in nodes:
            if isinstance(node, (markup.Text, markup.Code)):
                out.append(node.text)
            elif isinstance(node, markup.Cloze) and node.ordinal == ordinal:
                out.append(_HIDDEN)
                hidden.append(node)
            else:
                walk(node.children)

    walk(tree)
    return "".join(out), hidden


def _giveaways(tree: tuple, ordinals: list[int]) -> list[tuple[str, int, str]]:
    found = []
    for ordinal in ordinals:
        front, hidden = _front(tree, ordinal)
        pieces = front.split(_HIDDEN)
        shown = _norm(front.replace(_HIDDEN, " "))
        for k, cloze in enumerate(hidden):
            answer = markup.plain(cloze.children)
            after = _GLOSS_AFTER.search(pieces[k + 1])
            before = _GLOSS_BEFORE.search(pieces[k])
            gloss = after or before
            if gloss:
                found.append(
                    (
                        "giveaway",
                        cloze.pos,
                        f"'({gloss.group(1)})' {'after' if after else 'before'} c{ordinal} glosses its answer "
                        f"'{answer.strip()}' on the front; move the gloss to the points (the card's back)",
                    )
                )
            elif len(_norm(answer)) >= 2 and _norm(answer) in shown:
                found.append(
                    (
                        "giveaway",
                        cloze.pos,
                        f"the answer of c{ordinal} ('{answer.strip()}') is written out elsewhere on its "
                        "front; reword that part, or delete it in the same card",
                    )
                )
    return found


def _history(tree: tuple, ordinals: list[int], locked: dict[int, str]) -> list[tuple[str, int, str]]:
    found = []
    answers = {}
    for ordinal, answer, _ in markup.answers(tree):
        answers.setdefault(ordinal, []).append(" ".join(answer.split()))
    used = set(ordinals) | set(locked)
    for ordinal in ordinals:
        now, before = " / ".join(answers[ordinal]), locked.get(ordinal)
        if before is None or _same_fact(before, now):
            continue
        first = next(c for c in markup.clozes(tree) if c.ordinal == ordinal)
        fresh = max(used) + 1
        found.append(
            (
                "history",
                first.pos,
                f"c{ordinal} asked for '{before}' and now asks for '{now}': its card would keep the review "
                f"history of the old question. For a new fact, use a number this note never had "
                f"({{{{c{fresh}::...}}}}); for the same fact reworded, add 'history' to lint_ignore",
            )
        )
    return found


def _same_fact(before: str, now: str) -> bool:
    a, b = _norm(before), _norm(now)
    return a == b or a in b or b in a or difflib.SequenceMatcher(None, a, b).ratio() >= 0.5


def _norm(text: str) -> str:
    return re.sub(r"[\s\W_]+", "", unicodedata.normalize("NFKC", text).casefold())
