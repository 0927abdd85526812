"""What Anki shows for a card: its template language and its clozes, as Anki renders them.

A faithful copy, for the cards view, of the parts of Anki's renderer (rslib/src/template.rs and
cloze.rs, Anki 23.10 to 25.x) our note type uses: {{Field}}, {{cloze:Field}}, {{#Field}} and
{{^Field}} sections, {{FrontSide}}; clozes with hints, nested clozes, `[...]`. Anything else in a
template is refused, so the view never silently differs from Anki. tests/test_cards_view.py
checks every card of the deck against Anki's own engine.
"""

from __future__ import annotations

import html
import re

from studydeck.memo import memo

_TAG = re.compile(r"\{\{(.*?)\}\}", re.S)
_OPEN = re.compile(r"\{\{c([\d,]+)::")


class TemplateError(ValueError):
    """What the cards view cannot render as Anki would; `pos` is its offset in the template."""

    def __init__(self, message: str, pos: int = 0):
        super().__init__(message)
        self.pos = pos


def check(template: str, fields: tuple[str, ...]) -> None:
    """Raise TemplateError (with its offset) for a tag the view cannot render as Anki does."""

    def walk(nodes: list) -> None:
        for node in nodes:
            if node[0] == "section":
                walk(node[3])
            elif node[0] == "field" and node[2] == "CardID":
                raise TemplateError("{{CardID}}: a card's id exists only once Anki has imported it", node[3])
            elif node[0] == "field" and node[2] not in fields and node[2] != "FrontSide":
                raise TemplateError(f"{{{{{node[2]}}}}}: the note type has no such field", node[3])

    walk(_parse(template))


def render(template: str, fields: dict[str, str], ordinal: int, question: bool, front_side: str = "") -> str:
    """The card's side: the template with the note's fields, for cloze number `ordinal`."""
    return _render(_parse(template), fields, ordinal, question, front_side)


@memo(64)  # a note type has two templates; watch mode renders them often
def _parse(template: str) -> list:
    """Tokens -> a tree: ("text", s) | ("field", filters, name, offset) | ("section", negated, name, children)."""
    out: list = []
    stack: list[tuple[str, list]] = []
    pos = 0
    current = out
    for m in _TAG.finditer(template):
        if m.start() > pos:
            current.append(("text", template[pos : m.start()]))
        pos = m.end()
        inner = m.group(1).strip()
        if inner[:1] in "#^":
            section: list = []
            current.append(("section", inner[0] == "^", inner[1:].strip(), section))
            stack.append((inner[1:].strip(), current))
            current = section
        elif inner[:1] == "/":
            if not stack or stack[-1][0] != inner[1:].strip():
                raise TemplateError(f"{{{{{inner}}}}} closes no open section", m.start())
            current = stack.pop()[1]
        else:
            *filters, name = inner.split(":")
            if any(f not in ("cloze",) for f in filters):
                raise TemplateError(f"{{{{{inner}}}}}: the cards view supports only the cloze filter", m.start())
            current.append(("field", tuple(filters), name.strip(), m.start()))
    if stack:
        raise TemplateError(f"{{{{#{stack[-1][0]}}}}} is never closed", len(template))
    if pos < len(template):
        current.append(("text", template[pos:]))
    return out


def _render(nodes: list, fields: dict[str, str], ordinal: int, question: bool, front_side: str) -> str:
    out = []
    for node in nodes:
        if node[0] == "text":
            out.append(node[1])
        elif node[0] == "section":
            _, negated, name, children = node
            if (not field_is_empty(fields.get(name, ""))) != negated:
                out.append(_render(children, fields, ordinal, question, front_side))
        else:
            _, filters, name, _ = node
            if name == "FrontSide":
                out.append(front_side)
            elif name not in fields:
                raise TemplateError(f"{{{{{name}}}}}: the note type has no such field")
            elif filters == ("cloze",):
                out.append(reveal_cloze_text(fields[name], ordinal, question))
            else:
                out.append(fields[name])
    return "".join(out)


def field_is_empty(text: str) -> bool:
    """Anki: only whitespace and <br>/<div> tags."""
    return re.fullmatch(r"(?:\s|</?(?:br|div) ?/?>)*", text, re.I | re.S) is not None


# --- clozes (cloze.rs) ------------------------------------------------------------------------


def _tokens(text: str):
    """("open", ordinals) | ("close", None) | ("text", s): Anki's tokenizer, which tries an
    opening `{{cN::` or a closing `}}` at every position and takes everything else as text."""
    pos = start = 0
    while pos < len(text):
        m = _OPEN.match(text, pos) if text.startswith("{{c", pos) else None
        ordinals = sorted({int(n) for n in m.group(1).split(",") if n}) if m else []
        if ordinals or text.startswith("}}", pos):
            if start < pos:
                yield ("text", text[start:pos])
            yield ("open", ordinals) if ordinals else ("close", None)
            pos = start = m.end() if ordinals else pos + 2
        else:
            pos += 1
    if start < len(text):
        yield ("text", text[start:])


def _parse_clozes(text: str) -> list:
    """[str | Cloze], as Anki's parse_text_with_clozes (an unclosed cloze's text is dropped)."""
    output: list = []
    open_clozes: list[dict] = []
    for kind, value in _tokens(text):
        if kind == "open":
            if len(open_clozes) < 10:
                open_clozes.append({"ordinals": value, "nodes": [], "hint": None})
        elif kind == "text":
            if open_clozes:
                cloze = open_clozes[-1]
                if not value.startswith("image-occlusion:") and "::" in value:
                    value, cloze["hint"] = value.split("::", 1)
                cloze["nodes"].append(value)
            else:
                output.append(value)
        elif open_clozes:
            cloze = open_clozes.pop()
            (open_clozes[-1]["nodes"] if open_clozes else output).append(cloze)
        else:
            output.append("}}")
    return output


def _reveal(cloze: dict, ordinal: int, question: bool, found: list[bool]) -> str:
    active = ordinal in cloze["ordinals"]
    found[0] |= active
    numbers = ",".join(map(str, cloze["ordinals"]))
    inner = "".join(n if isinstance(n, str) else _reveal(n, ordinal, question, found) for n in cloze["nodes"])
    if question and active:
        hint = cloze["hint"] if cloze["hint"] is not None else "..."
        return (
            f'<span class="cloze" data-cloze="{html.escape(inner, quote=True)}" '
            f'data-ordinal="{numbers}">[{hint}]</span>'
        )
    if active:
        return f'<span class="cloze" data-ordinal="{numbers}">{inner}</span>'
    return f'<span class="cloze-inactive" data-ordinal="{numbers}">{inner}</span>'


def reveal_cloze_text(text: str, ordinal: int, question: bool) -> str:
    found = [False]
    out = "".join(n if isinstance(n, str) else _reveal(n, ordinal, question, found) for n in _parse_clozes(text))
    return out if found[0] else ""
