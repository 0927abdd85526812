"""An SVG file as a tree of nodes that remember their line and column (expat, no DOCTYPE, no
entities, bounded in size and depth), and the small pieces that write one back out.

expat directly, not defusedxml: what defusedxml adds to expat is refusing DTDs, entity
declarations and external references, which the handlers in parse() do, with the line and
column in the message the author reads (and expat 2.4+ bounds entity expansion itself)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from xml.parsers import expat

from studydeck.figures.limits import MAX_LENGTH, MAX_SVG_DEPTH, MAX_SVG_ELEMENTS, FigureError

SVG_NS = "http://www.w3.org/2000/svg"


TEXT_STYLE = ("font-size", "font-weight", "font-family", "text-anchor", "dominant-baseline", "alignment-baseline")


TEXT_UNSUPPORTED = (
    "rotate", "textLength", "lengthAdjust", "letter-spacing", "word-spacing", "writing-mode", "font-style",
    "text-decoration", "font-variant", "baseline-shift", "direction", "unicode-bidi",
)  # fmt: skip


URL = re.compile(r"url\(\s*(['\"]?)(.*?)\1\s*\)", re.I | re.S)


@dataclass
class Node:
    tag: str
    attrs: dict[str, str]
    line: int
    col: int
    children: list = field(default_factory=list)  # Node or str


def parse(data: bytes) -> Node:
    parser = expat.ParserCreate(namespace_separator=" ")
    stack: list[Node] = []
    top: list[Node] = []
    count = [0]

    def where():
        return parser.CurrentLineNumber, parser.CurrentColumnNumber + 1

    def start(name: str, attrs: dict[str, str]) -> None:
        count[0] += 1
        if count[0] > MAX_SVG_ELEMENTS:
            raise FigureError(f"more than {MAX_SVG_ELEMENTS} elements", *where())
        if len(stack) >= MAX_SVG_DEPTH:
            raise FigureError(f"elements nested more than {MAX_SVG_DEPTH} deep", *where())
        node = Node(name, dict(attrs), *where())
        (stack[-1].children if stack else top).append(node)
        stack.append(node)

    def end(name: str) -> None:
        stack.pop()

    def chars(text: str) -> None:
        if stack:
            stack[-1].children.append(text)

    def doctype(*_):
        raise FigureError("a DOCTYPE is not allowed in a figure (it can declare entities)", *where())

    def entity(*_):
        raise FigureError("entity declarations are not allowed in a figure", *where())

    parser.StartElementHandler, parser.EndElementHandler = start, end
    parser.CharacterDataHandler = chars
    parser.StartDoctypeDeclHandler = doctype
    parser.EntityDeclHandler = entity
    parser.ExternalEntityRefHandler = lambda *_: 0
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    try:
        parser.Parse(data, True)
    except expat.ExpatError as exc:
        message = expat.errors.messages[exc.code]
        raise FigureError(f"not well-formed XML: {message}", exc.lineno, exc.offset + 1) from None
    return _local(top[0])


def _local(node: Node) -> Node:
    """Namespaces resolved: SVG elements by their local name; other elements marked for dropping."""
    ns, _, name = node.tag.rpartition(" ")
    if ns not in ("", SVG_NS):
        node.tag = f"{{{ns}}}{name}"
    else:
        node.tag = name
    node.children = [_local(c) if isinstance(c, Node) else c for c in node.children]
    return node


def walk(node: Node):
    yield node
    for child in node.children:
        if isinstance(child, Node):
            yield from walk(child)


NUMBER = r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?"


def length(value: str | None) -> float | None:
    if value is None:
        return None
    m = re.fullmatch(rf"\s*({NUMBER})\s*(px|pt)?\s*", value)
    if not m:
        return None
    number = float(m.group(1)) * (4 / 3 if m.group(2) == "pt" else 1)
    return number if abs(number) <= MAX_LENGTH else None


def text_style(node: Node) -> dict[str, str]:
    """The font properties an element sets (attributes, then its style=), inherited by its text."""
    found = {k: v.strip() for k, v in node.attrs.items() if k in TEXT_STYLE or k in TEXT_UNSUPPORTED}
    for decl in node.attrs.get("style", "").split(";"):
        key, _, value = decl.partition(":")
        key = key.strip().lower()
        if key in TEXT_STYLE or key in TEXT_UNSUPPORTED:
            found[key] = value.strip()
        elif key == "font":
            raise FigureError("the font shorthand is not supported; use font-size and font-weight", node.line, node.col)
    return found


def attr_text(attrs: dict[str, str]) -> str:
    return "".join(f' {k}="{escape(v, True)}"' for k, v in attrs.items())


def escape(text: str, quote: bool = False) -> str:
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.replace('"', "&quot;") if quote else text


def num(value: float, places: int = 2) -> str:
    text = f"{value:.{places}f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text
