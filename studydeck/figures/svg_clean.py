"""An SVG rebuilt from an allowlist: no script, no event handlers, no links, no external
references, no style sheet that loads anything, no reference loop, bounded once every <use> is
expanded; its text drawn as outlines (svg_text). Every refusal names its place in the SVG."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from studydeck.figures.limits import MAX_BYTES, MAX_LENGTH, MAX_SVG_DEPTH, MAX_SVG_DRAWN, FigureError
from studydeck.figures.svg_text import Outliner
from studydeck.figures.svg_tree import (
    NUMBER,
    SVG_NS,
    TEXT_STYLE,
    TEXT_UNSUPPORTED,
    URL,
    Node,
    attr_text,
    escape,
    length,
    num,
    parse,
    text_style,
    walk,
)  # fmt: skip
from studydeck.gather.reads import Reads
from studydeck.memo import Memo

XLINK_NS = "http://www.w3.org/1999/xlink"
XML_NS = "http://www.w3.org/XML/1998/namespace"


ELEMENTS = {
    "svg", "g", "defs", "symbol", "use", "path", "rect", "circle", "ellipse", "line", "polyline",
    "polygon", "text", "tspan", "title", "desc", "linearGradient", "radialGradient", "stop",
    "clipPath", "mask", "marker", "pattern", "style",
}  # fmt: skip


DANGEROUS = {
    "script": "a script",
    "foreignObject": "HTML inside the SVG",
    "a": "a link",
    "image": "an embedded image (give the image its own figure)",
    "iframe": "a frame",
    "animate": "an animation",
    "animateMotion": "an animation",
    "animateTransform": "an animation",
    "set": "an animation",
    "feImage": "an external image",
}


DROPPED_NAMESPACES = (  # editors' own data: dropped without a word
    "http://www.inkscape.org/namespaces/inkscape",
    "http://sodipodi.sourceforge.net/DTD/sodipodi-0.dtd",
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "http://purl.org/dc/elements/1.1/",
    "http://creativecommons.org/ns#",
    "http://ns.adobe.com/AdobeIllustrator/10.0/",
    "http://ns.adobe.com/Extensibility/1.0/",
    "http://ns.adobe.com/SaveForWeb/1.0/",
)


@dataclass
class CleanSvg:
    data: bytes
    size: tuple[float, float]
    words: str
    text_px: float = 0.0  # its smallest text, in CSS px at its own size (0: no text)


_cleaned = Memo("figures.svg_clean", 256)


def clean_svg_once(data: bytes, reads: Reads) -> CleanSvg:
    """clean_svg, remembered for the process (watch mode rebuilds on every save) by the SVG's
    bytes and the bundled fonts' (its text is drawn with them)."""
    from studydeck.fonts import FACES, FONT_DIR

    key = (
        hashlib.sha256(data).hexdigest(),
        tuple(reads.digest(reads.root / "templates" / FONT_DIR / face.file) for face in FACES),
    )
    return _cleaned.get(key, lambda: clean_svg(data, reads))


def clean_svg(data: bytes, reads: Reads | None = None) -> CleanSvg:
    """The SVG rebuilt from what is allowed, its text as outlines; FigureError for what is not."""
    root = parse(data)
    if root.tag != "svg":
        raise FigureError(f"the root element is <{root.tag}>, not <svg>", root.line, root.col)
    _check_style_sheets(root)
    size = _size(root)
    _check_references(root)
    words: list[str] = []
    outliner = Outliner(reads, _attributes)
    body = _serialise(root, outliner, words, {}, top=True, size=size).encode("utf-8")
    if len(body) > MAX_BYTES:
        raise FigureError(
            f"drawn with its text as outlines the SVG is {len(body):,} bytes; a figure may have at most {MAX_BYTES:,}"
        )
    return CleanSvg(body, size, " ".join(words), outliner.smallest * _px_per_unit(root, size))


def _px_per_unit(root: Node, size: tuple[float, float]) -> float:
    """CSS px per user unit at the figure's own size (the viewBox scaled to width x height)."""
    parts = root.attrs.get("viewBox", "").replace(",", " ").split()
    if len(parts) == 4 and float(parts[2]) > 0 and float(parts[3]) > 0:
        return min(size[0] / float(parts[2]), size[1] / float(parts[3]))
    return 1.0


def _check_references(root: Node) -> None:
    """No #id reference (href, url(#id)) leads back into itself, and the figure stays small once
    each <use> is expanded (nested <use> multiply)."""
    ids = {n.attrs["id"]: n for n in walk(root) if "id" in n.attrs}
    sizes: dict[int, int] = {}
    visiting: set[int] = set()

    def targets(node: Node):
        for name, value in node.attrs.items():
            local = name.rpartition(" ")[2]
            refs = [value.strip()[1:]] if local.lower() == "href" and value.strip().startswith("#") else []
            refs += [m.group(2).strip()[1:] for m in URL.finditer(value) if m.group(2).strip().startswith("#")]
            yield from (ids[ref] for ref in refs if ref in ids)  # a missing one draws nothing

    def expanded(node: Node, depth: int) -> int:
        if id(node) in sizes:
            return sizes[id(node)]
        if depth > MAX_SVG_DEPTH * 4:
            raise FigureError(f"references nested more than {MAX_SVG_DEPTH * 4} deep", node.line, node.col)
        visiting.add(id(node))
        total = 1 + sum(expanded(c, depth + 1) for c in node.children if isinstance(c, Node))
        for target in targets(node):  # gradients, patterns, markers, clip paths: checked for loops too
            if id(target) in visiting:
                raise FigureError(
                    "a reference leads back to itself (a <use> or url(#id) inside what it refers to)",
                    node.line,
                    node.col,
                )
            drawn = expanded(target, depth + 1)
            total += drawn if node.tag == "use" else 0
        visiting.discard(id(node))
        if total > MAX_SVG_DRAWN:
            raise FigureError(
                f"draws more than {MAX_SVG_DRAWN:,} elements once its <use> are expanded", node.line, node.col
            )
        sizes[id(node)] = total
        return total

    expanded(root, 0)


def _check_style_sheets(root: Node) -> None:
    for node in walk(root):
        if node.tag == "style":
            css = "".join(c for c in node.children if isinstance(c, str))
            _check_css(css, node)
            if re.search(r"font|text-anchor", css):
                raise FigureError(
                    "a <style> element sets fonts; set font-size, font-weight and text-anchor on the "
                    "<text> elements (their text is drawn with the bundled fonts)",
                    node.line,
                    node.col,
                )


# CSS functions that can load something (url() is checked for its target), without a vendor prefix
LOADERS = frozenset({"image-set", "image", "cross-fade", "element", "src"})


def _check_css(value: str, node: Node, name: str = "style") -> None:
    """Refuse what could load or run something, found by the tokens a browser reads: tinycss2
    (CSS Syntax Level 3, installed with WeasyPrint) parses a <style> as a style sheet, style=
    as declarations and any other attribute as a value, so a function is a function however it
    is spaced or commented, and "image (" in an aria-label is not one. CSS escapes are refused
    first (`\\75rl(` is url( to a browser; no drawing program writes them), and the IE and old
    Firefox hooks wherever they appear."""
    if "\\" in value:
        raise FigureError(
            f"a backslash in {name} is not allowed (a CSS escape can hide url() or @import); write the characters",
            node.line,
            node.col,
        )
    low = value.lower()
    for bad in ("expression(", "javascript:", "behavior:", "-moz-binding"):
        if bad in low:
            raise FigureError(f"'{bad}' in {name} is not allowed (it loads or runs something)", node.line, node.col)
    import tinycss2

    if name == "style":
        found = tinycss2.parse_stylesheet(value, skip_comments=True, skip_whitespace=True)
    elif name == "style=":
        found = tinycss2.parse_blocks_contents(value, skip_comments=True, skip_whitespace=True)
    else:
        found = tinycss2.parse_component_value_list(value, skip_comments=True)
    rules = name in ("style", "style=")  # where an at-rule can be one
    for token in _css_tokens(found):
        if (refusal := _css_refusal(token, name, rules)) is not None:
            raise FigureError(refusal, node.line, node.col)


def _css_tokens(nodes):
    """Every token and block of parsed CSS, depth first."""
    for node in nodes:
        kind = node.type
        yield node
        if kind == "at-rule":
            yield from _css_tokens(node.prelude)
            yield from _css_tokens(node.content or [])
        elif kind == "qualified-rule":
            yield from _css_tokens(node.prelude)
            yield from _css_tokens(node.content)
        elif kind == "declaration":
            yield from _css_tokens(node.value)
        elif kind == "function":
            yield from _css_tokens(node.arguments)
        elif kind in ("() block", "[] block", "{} block"):
            yield from _css_tokens(node.content)


def _css_refusal(token, name: str, rules: bool) -> str | None:
    kind = token.type
    if rules and kind in ("at-rule", "at-keyword"):  # a rule, or one nested where CSS reads none yet
        keyword = token.at_keyword if kind == "at-rule" else token.value
        if keyword.lower() == "import":
            return f"'@import' in {name} is not allowed (it loads or runs something)"
        if keyword.lower() != "media":
            return f"'@{keyword}' in {name} is not allowed (it can load something); only @media and url(#id) are"
    if kind == "function":
        bare = re.sub(r"^-[a-z]+-", "", token.lower_name)
        if bare in LOADERS:
            return f"'{token.name}(' in {name} is not allowed (it can load something); only @media and url(#id) are"
        if bare == "url":
            target = next((t.value for t in token.arguments if t.type == "string"), "")
            if not target.strip().startswith("#"):
                return f"{name} refers to {token.serialize()!r}; a figure may refer only to its own parts (url(#id))"
    if kind == "url" and not token.value.strip().startswith("#"):
        return f"{name} refers to {token.serialize()!r}; a figure may refer only to its own parts (url(#id))"
    if kind == "error" and token.kind == "bad-url":
        return f"{name} holds a url() that CSS cannot read; a figure may refer only to its own parts (url(#id))"
    return None


def _size(root: Node) -> tuple[float, float]:
    box = root.attrs.get("viewBox", "")
    numbers: list[float] = []
    if box:
        parts = box.replace(",", " ").split()
        if len(parts) != 4 or not all(re.fullmatch(NUMBER, p) for p in parts):
            raise FigureError(f"viewBox={box[:60]!r}: give four numbers", root.line, root.col)
        numbers = [float(p) for p in parts]
        if not all(abs(n) <= MAX_LENGTH for n in numbers):
            raise FigureError(f"viewBox={box[:60]!r}: numbers up to {MAX_LENGTH:,.0f}", root.line, root.col)
    for name in ("width", "height"):
        if name in root.attrs and length(root.attrs[name]) is None and not root.attrs[name].strip().endswith("%"):
            raise FigureError(
                f"{name}={root.attrs[name][:60]!r}: give a number in px or pt (or leave it out)", root.line, root.col
            )
    width, height = length(root.attrs.get("width")), length(root.attrs.get("height"))
    if len(numbers) == 4 and numbers[2] > 0 and numbers[3] > 0:
        if width and not height:
            height = width * numbers[3] / numbers[2]
        elif height and not width:
            width = height * numbers[2] / numbers[3]
        width, height = width or numbers[2], height or numbers[3]
    if not width or not height or width < 0 or height < 0:
        raise FigureError("the <svg> needs a viewBox, or a width and a height in px", root.line, root.col)
    if width > MAX_LENGTH or height > MAX_LENGTH:
        raise FigureError(
            f"the figure would be {width:,.0f} x {height:,.0f} px; at most {MAX_LENGTH:,.0f}", root.line, root.col
        )
    return width, height


def _serialise(node: Node, outliner, words: list[str], inherited: dict, top=False, size=None) -> str:
    if node.tag.startswith("{"):
        if node.tag[1:].split("}")[0] in DROPPED_NAMESPACES or node.tag.endswith("}metadata"):
            return ""
        raise FigureError(f"<{node.tag}> is not an SVG element; figures hold SVG only", node.line, node.col)
    if node.tag in DANGEROUS:
        raise FigureError(f"<{node.tag}> ({DANGEROUS[node.tag]}) is not allowed in a figure", node.line, node.col)
    if node.tag == "metadata":
        return ""
    if node.tag not in ELEMENTS:
        raise FigureError(f"<{node.tag}> is not supported in figures", node.line, node.col)
    attrs = _attributes(node)
    style = {**inherited, **text_style(node)}
    if node.tag == "text":
        return outliner.text(node, attrs, style, words)
    if node.tag == "tspan":
        raise FigureError("<tspan> outside a <text>", node.line, node.col)
    if top:
        attrs = {"xmlns": SVG_NS, **{k: v for k, v in attrs.items() if k not in ("width", "height")}}
        attrs["width"], attrs["height"] = num(size[0]), num(size[1])
        if "viewBox" not in attrs:
            attrs["viewBox"] = f"0 0 {num(size[0])} {num(size[1])}"
        attrs["xmlns:xlink"] = XLINK_NS
    inner = "".join(
        _serialise(c, outliner, words, style) if isinstance(c, Node) else escape(c)
        for c in node.children
        if isinstance(c, Node) or node.tag in ("style", "title", "desc")
    )
    if top and (glyphs := outliner.defs()):
        inner = f"<defs>{glyphs}</defs>{inner}"
    return f"<{node.tag}{attr_text(attrs)}>{inner}</{node.tag}>" if inner else f"<{node.tag}{attr_text(attrs)}/>"


def _attributes(node: Node) -> dict[str, str]:
    """The element's attributes that may stay; FigureError for one that runs or loads something."""
    out = {}
    for name, value in node.attrs.items():
        ns, _, local = name.rpartition(" ")
        if ns and ns not in (XLINK_NS, XML_NS):
            continue  # an editor's attribute (inkscape:label, ...)
        if local.lower().startswith("on"):
            raise FigureError(f"the event handler {local}= is not allowed in a figure", node.line, node.col)
        if local.lower() == "href":
            if not value.strip().startswith("#"):
                raise FigureError(
                    f"href={value[:60]!r} refers outside the figure; only #id of its own parts is allowed",
                    node.line,
                    node.col,
                )
            name = "xlink:href" if ns == XLINK_NS else "href"
        elif ns == XML_NS:
            if local != "space":
                continue
            name = "xml:space"
        else:
            name = local
        _check_css(value, node, f"{name}=")
        if node.tag in ("text", "tspan") and (local in TEXT_UNSUPPORTED or local in TEXT_STYLE):
            continue  # read by the outliner
        out[name] = value
    return out
