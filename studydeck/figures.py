"""Figures: the image files entries show, read, checked and made safe before any output uses them.

A figure is a file inside the project (PNG, JPEG, WebP or SVG). Its type is read from its bytes,
not its name. A raster image passes through unchanged once Pillow has decoded it. An SVG is
rebuilt from an allowlist (no script, no event handlers, no links, no external references, no
DOCTYPE), and its text is drawn as outlines with the bundled fonts: Anki shows an SVG as an
image, which cannot use the card's fonts, so a phone without a Korean font would show boxes.
Every refusal names the entry's file, line and column, and for an SVG the place in the SVG.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import io
import os
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from xml.parsers import expat

from studydeck.errors import Problem
from studydeck.gather.load import rel_path
from studydeck.gather.reads import Reads
from studydeck.model import Entry, Figure

MAX_BYTES = 1024 * 1024  # one figure's file; a phone syncs every byte
MAX_SIDE = 4096  # pixels of a raster image, either side (decoding a huge image is a memory bomb)
MAX_SVG_ELEMENTS = 5000
MAX_SVG_DEPTH = 50
MAX_SVG_DRAWN = 20000  # elements once every <use> is expanded (nested <use> multiply)
MAX_SVG_CHARS = 5000  # characters of text: a figure is a diagram; long text belongs in the entry
SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
XML_NS = "http://www.w3.org/XML/1998/namespace"


class FigureError(ValueError):
    """A figure refused: message, and where in the figure's own file (line, col; 0 if unknown)."""

    def __init__(self, message: str, line: int = 0, col: int = 0):
        super().__init__(message)
        self.line, self.col = line, col


def load_all(reads: Reads, entries: list[Entry]) -> tuple[list[Entry], list[Problem]]:
    """The entries with their figures read and checked; a problem for each figure refused."""
    out, problems = [], []
    for entry in entries:
        found: list[Problem] = []

        def loaded(fig: Figure | None, entry=entry, found=found) -> Figure | None:
            if fig is None:
                return None
            try:
                return load(reads, entry, fig)
            except FigureError as exc:
                inside = f"{fig.file}:{exc.line}:{exc.col}: " if exc.line else ""
                found.append(Problem(entry.path, *fig.pos, f"{fig.place}.file", f"{inside}{exc}"))
                return None

        definitions = tuple(dataclasses.replace(d, figure=loaded(d.figure)) for d in entry.definitions)
        entry = dataclasses.replace(entry, figure=loaded(entry.figure), definitions=definitions)
        problems += found
        out.append(entry)
    return out, problems


def load(reads: Reads, entry: Entry, fig: Figure) -> Figure:
    """The figure with its bytes (an SVG rebuilt clean), type and size."""
    root = reads.root
    path = as_stored((root / entry.path).parent, fig.file)
    try:
        real = path.resolve()
        if not real.is_relative_to(root.resolve()):
            raise FigureError(
                f"'{fig.file}' leads outside the project ({real}); figures are read only from the project"
            )
        if not real.exists():
            raise FigureError(
                f"'{fig.file}' not found: there is no file {rel_path(root, path.parent.resolve() / path.name)}"
            )
        if not real.is_file():
            raise FigureError(f"'{fig.file}' is not a file (a folder, or a device or pipe)")
        size = real.stat().st_size
    except RuntimeError:  # Path.resolve: a link that leads back to itself
        raise FigureError(f"'{fig.file}' is a symbolic link that leads in a loop") from None
    except OSError as exc:
        raise FigureError(f"'{fig.file}' cannot be read: {exc.strerror or exc}") from None
    if size > MAX_BYTES:
        raise FigureError(f"'{fig.file}' is {size:,} bytes; a figure may have at most {MAX_BYTES:,}")
    data = reads.bytes(real)
    kind = sniff(data)
    if kind is None:
        raise FigureError(f"'{fig.file}' is not a PNG, JPEG, WebP or SVG image (read from its bytes)")
    named = {"jpg": "jpeg"}.get(fig.file.rsplit(".", 1)[-1].lower(), fig.file.rsplit(".", 1)[-1].lower())
    if named != kind:
        raise FigureError(f"'{fig.file}' is named .{fig.file.rsplit('.', 1)[-1]} but its bytes are {kind.upper()}")
    if kind == "svg":
        clean = _clean_svg_once(data, reads)
        return dataclasses.replace(
            fig, kind=kind, data=clean.data, size=clean.size, words=clean.words, text_px=clean.text_px
        )
    return dataclasses.replace(fig, kind=kind, data=data, size=_raster_size(data, kind))


def as_stored(folder: Path, relative: str) -> Path:
    """folder / relative as the file system stores it: entry text is NFC (as Anki stores it), but
    macOS writes Hangul file names decomposed (NFD), so a component not found as written is
    matched by its normalized form among its folder's names (only when exactly one matches)."""
    path = folder
    for part in Path(relative).parts:
        candidate = path / part
        if part not in ("..", ".") and not os.path.lexists(candidate):
            wanted = unicodedata.normalize("NFC", part)
            try:
                found = [n for n in os.listdir(path) if unicodedata.normalize("NFC", n) == wanted]
            except OSError:
                found = []
            if len(found) == 1:
                candidate = path / found[0]
        path = candidate
    return path


def sniff(data: bytes) -> str | None:
    """The image type from its first bytes."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    head = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n")
    if re.match(rb"(<\?xml[^>]*\?>\s*)?(<!--.*?-->\s*)*<svg[\s>]", head, re.S):
        return "svg"
    if head.startswith((b"<?xml", b"<!DOCTYPE", b"<!--")) and b"<svg" in data[:4096]:
        return "svg"
    return None


def _raster_size(data: bytes, kind: str) -> tuple[float, float]:
    from PIL import Image  # WeasyPrint's own dependency

    try:
        with Image.open(io.BytesIO(data)) as image:
            fmt, (width, height) = image.format, image.size
            if width > MAX_SIDE or height > MAX_SIDE:
                raise FigureError(f"the image is {width} x {height} pixels; at most {MAX_SIDE} on a side")
            image.load()  # decodes it all: a damaged file is refused here, not on a phone
            turned = image.getexif().get(0x0112) in (5, 6, 7, 8)  # EXIF Orientation: shown turned a quarter
    except FigureError:
        raise
    except Exception as exc:  # Pillow raises many kinds for damaged data
        reason = re.sub(r"\s*<_io\.BytesIO object at 0x[0-9a-f]+>", "", str(exc)) or type(exc).__name__
        raise FigureError(f"the {kind.upper()} image cannot be decoded: {reason}") from None
    if {"mpo": "jpeg"}.get(fmt.lower(), fmt.lower()) != kind:  # MPO: a camera's JPEG with a preview inside
        raise FigureError(f"the bytes look like {kind.upper()} but decode as {fmt}")
    return (float(height), float(width)) if turned else (float(width), float(height))


# --- SVG --------------------------------------------------------------------------------------

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
TEXT_STYLE = ("font-size", "font-weight", "font-family", "text-anchor", "dominant-baseline", "alignment-baseline")
TEXT_UNSUPPORTED = (
    "rotate", "textLength", "lengthAdjust", "letter-spacing", "word-spacing", "writing-mode", "font-style",
    "text-decoration", "font-variant", "baseline-shift", "direction", "unicode-bidi",
)  # fmt: skip
_URL = re.compile(r"url\(\s*(['\"]?)(.*?)\1\s*\)", re.I | re.S)


@dataclass
class _Node:
    tag: str
    attrs: dict[str, str]
    line: int
    col: int
    children: list = field(default_factory=list)  # _Node or str


@dataclass
class CleanSvg:
    data: bytes
    size: tuple[float, float]
    words: str
    text_px: float = 0.0  # its smallest text, in CSS px at its own size (0: no text)


_cleaned: dict[tuple[str, tuple[str, ...]], CleanSvg] = {}


def _clean_svg_once(data: bytes, reads: Reads) -> CleanSvg:
    """clean_svg, remembered for the process (watch mode rebuilds on every save) by the SVG's
    bytes and the bundled fonts' (its text is drawn with them)."""
    from studydeck.fonts import FACES, FONT_DIR

    key = (
        hashlib.sha256(data).hexdigest(),
        tuple(reads.digest(reads.root / "templates" / FONT_DIR / face.file) for face in FACES),
    )
    if key not in _cleaned:
        if len(_cleaned) > 256:
            _cleaned.clear()
        _cleaned[key] = clean_svg(data, reads)
    return _cleaned[key]


def clean_svg(data: bytes, reads: Reads | None = None) -> CleanSvg:
    """The SVG rebuilt from what is allowed, its text as outlines; FigureError for what is not."""
    root = _parse(data)
    if root.tag != "svg":
        raise FigureError(f"the root element is <{root.tag}>, not <svg>", root.line, root.col)
    _check_style_sheets(root)
    size = _size(root)
    _check_references(root)
    words: list[str] = []
    outliner = _Outliner(reads)
    body = _serialise(root, outliner, words, {}, top=True, size=size).encode("utf-8")
    if len(body) > MAX_BYTES:
        raise FigureError(
            f"drawn with its text as outlines the SVG is {len(body):,} bytes; a figure may have at most {MAX_BYTES:,}"
        )
    return CleanSvg(body, size, " ".join(words), outliner.smallest * _px_per_unit(root, size))


def _px_per_unit(root: _Node, size: tuple[float, float]) -> float:
    """CSS px per user unit at the figure's own size (the viewBox scaled to width x height)."""
    parts = root.attrs.get("viewBox", "").replace(",", " ").split()
    if len(parts) == 4 and float(parts[2]) > 0 and float(parts[3]) > 0:
        return min(size[0] / float(parts[2]), size[1] / float(parts[3]))
    return 1.0


def _check_references(root: _Node) -> None:
    """No #id reference (href, url(#id)) leads back into itself, and the figure stays small once
    each <use> is expanded (nested <use> multiply)."""
    ids = {n.attrs["id"]: n for n in _walk(root) if "id" in n.attrs}
    sizes: dict[int, int] = {}
    visiting: set[int] = set()

    def targets(node: _Node):
        for name, value in node.attrs.items():
            local = name.rpartition(" ")[2]
            refs = [value.strip()[1:]] if local.lower() == "href" and value.strip().startswith("#") else []
            refs += [m.group(2).strip()[1:] for m in _URL.finditer(value) if m.group(2).strip().startswith("#")]
            yield from (ids[ref] for ref in refs if ref in ids)  # a missing one draws nothing

    def expanded(node: _Node, depth: int) -> int:
        if id(node) in sizes:
            return sizes[id(node)]
        if depth > MAX_SVG_DEPTH * 4:
            raise FigureError(f"references nested more than {MAX_SVG_DEPTH * 4} deep", node.line, node.col)
        visiting.add(id(node))
        total = 1 + sum(expanded(c, depth + 1) for c in node.children if isinstance(c, _Node))
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


def _parse(data: bytes) -> _Node:
    parser = expat.ParserCreate(namespace_separator=" ")
    stack: list[_Node] = []
    top: list[_Node] = []
    count = [0]

    def where():
        return parser.CurrentLineNumber, parser.CurrentColumnNumber + 1

    def start(name: str, attrs: dict[str, str]) -> None:
        count[0] += 1
        if count[0] > MAX_SVG_ELEMENTS:
            raise FigureError(f"more than {MAX_SVG_ELEMENTS} elements", *where())
        if len(stack) >= MAX_SVG_DEPTH:
            raise FigureError(f"elements nested more than {MAX_SVG_DEPTH} deep", *where())
        node = _Node(name, dict(attrs), *where())
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


def _local(node: _Node) -> _Node:
    """Namespaces resolved: SVG elements by their local name; other elements marked for dropping."""
    ns, _, name = node.tag.rpartition(" ")
    if ns not in ("", SVG_NS):
        node.tag = f"{{{ns}}}{name}"
    else:
        node.tag = name
    node.children = [_local(c) if isinstance(c, _Node) else c for c in node.children]
    return node


def _check_style_sheets(root: _Node) -> None:
    for node in _walk(root):
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


def _walk(node: _Node):
    yield node
    for child in node.children:
        if isinstance(child, _Node):
            yield from _walk(child)


# CSS functions that can load an image (url() is _URL's); a function is its name and "(" with
# nothing between, so "image (" in an aria-label is not one
_LOADS = re.compile(r"\b(?:image-set|image|cross-fade|element|src)\(", re.I)
_AT_RULE = re.compile(r"@(?!media\b)[a-z-]+", re.I)  # in a style sheet: @import, @font-face, @namespace ...


def _check_css(value: str, node: _Node, name: str = "style") -> None:
    """Refuse what could load or run something. CSS escapes are refused first: `\\75rl(` is url(."""
    if "\\" in value:
        raise FigureError(
            f"a backslash in {name} is not allowed (a CSS escape can hide url() or @import); write the characters",
            node.line,
            node.col,
        )
    low = value.lower()
    for bad in ("@import", "expression(", "javascript:", "behavior:", "-moz-binding"):
        if bad in low:
            raise FigureError(f"'{bad}' in {name} is not allowed (it loads or runs something)", node.line, node.col)
    if m := _LOADS.search(value) or (name in ("style", "style=") and _AT_RULE.search(value)):
        raise FigureError(
            f"'{m.group(0)}' in {name} is not allowed (it can load something); only @media and url(#id) are",
            node.line,
            node.col,
        )
    for m in _URL.finditer(value):
        if not m.group(2).strip().startswith("#"):
            raise FigureError(
                f"{name} refers to {m.group(0)!r}; a figure may refer only to its own parts (url(#id))",
                node.line,
                node.col,
            )


_NUMBER = r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?"
MAX_LENGTH = 100_000.0  # px: any coordinate or size beyond this is a mistake (or an attack on a renderer)


def _size(root: _Node) -> tuple[float, float]:
    box = root.attrs.get("viewBox", "")
    numbers: list[float] = []
    if box:
        parts = box.replace(",", " ").split()
        if len(parts) != 4 or not all(re.fullmatch(_NUMBER, p) for p in parts):
            raise FigureError(f"viewBox={box[:60]!r}: give four numbers", root.line, root.col)
        numbers = [float(p) for p in parts]
        if not all(abs(n) <= MAX_LENGTH for n in numbers):
            raise FigureError(f"viewBox={box[:60]!r}: numbers up to {MAX_LENGTH:,.0f}", root.line, root.col)
    for name in ("width", "height"):
        if name in root.attrs and _length(root.attrs[name]) is None and not root.attrs[name].strip().endswith("%"):
            raise FigureError(
                f"{name}={root.attrs[name][:60]!r}: give a number in px or pt (or leave it out)", root.line, root.col
            )
    width, height = _length(root.attrs.get("width")), _length(root.attrs.get("height"))
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


def _length(value: str | None) -> float | None:
    if value is None:
        return None
    m = re.fullmatch(rf"\s*({_NUMBER})\s*(px|pt)?\s*", value)
    if not m:
        return None
    number = float(m.group(1)) * (4 / 3 if m.group(2) == "pt" else 1)
    return number if abs(number) <= MAX_LENGTH else None


def _serialise(node: _Node, outliner, words: list[str], inherited: dict, top=False, size=None) -> str:
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
    style = {**inherited, **_text_style(node)}
    if node.tag == "text":
        return outliner.text(node, attrs, style, words)
    if node.tag == "tspan":
        raise FigureError("<tspan> outside a <text>", node.line, node.col)
    if top:
        attrs = {"xmlns": SVG_NS, **{k: v for k, v in attrs.items() if k not in ("width", "height")}}
        attrs["width"], attrs["height"] = _num(size[0]), _num(size[1])
        if "viewBox" not in attrs:
            attrs["viewBox"] = f"0 0 {_num(size[0])} {_num(size[1])}"
        attrs["xmlns:xlink"] = XLINK_NS
    inner = "".join(
        _serialise(c, outliner, words, style) if isinstance(c, _Node) else _escape(c)
        for c in node.children
        if isinstance(c, _Node) or node.tag in ("style", "title", "desc")
    )
    if top and (glyphs := outliner.defs()):
        inner = f"<defs>{glyphs}</defs>{inner}"
    return f"<{node.tag}{_attr_text(attrs)}>{inner}</{node.tag}>" if inner else f"<{node.tag}{_attr_text(attrs)}/>"


def _attributes(node: _Node) -> dict[str, str]:
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


def _text_style(node: _Node) -> dict[str, str]:
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


def _attr_text(attrs: dict[str, str]) -> str:
    return "".join(f' {k}="{_escape(v, True)}"' for k, v in attrs.items())


def _escape(text: str, quote: bool = False) -> str:
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.replace('"', "&quot;") if quote else text


def _num(value: float, places: int = 2) -> str:
    text = f"{value:.{places}f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


class _Outliner:
    """<text> -> <g> of <path>s: each character drawn with the bundled font's glyph."""

    def __init__(self, reads: Reads | None):
        self.reads = reads
        self._fonts: dict[str, _Face] = {}
        self._glyph_paths: dict[tuple[str, str], tuple[str, str]] = {}  # (font, glyph) -> (id, d)
        self.chars = 0  # characters drawn so far
        self.smallest = 0.0  # the smallest font-size drawn, in user units (0: none yet)

    def font(self, mono: bool, bold: bool) -> _Face:
        from studydeck.fonts import FACES, MONO, SANS, font_data

        family = MONO if mono else SANS
        face = next(f for f in FACES if f.family == family and f.weight == (700 if bold else 400))
        if face.file not in self._fonts:
            templates = (self.reads.root if self.reads else Path(__file__).resolve().parent.parent) / "templates"
            data = (
                font_data(self.reads, templates, face) if self.reads else (templates / "fonts" / face.file).read_bytes()
            )
            self._fonts[face.file] = _face(data)
        return self._fonts[face.file]

    def text(self, node: _Node, attrs: dict[str, str], style: dict[str, str], words: list[str]) -> str:
        runs = list(self._runs(node, style, {}))
        shown = re.sub(r"\s+", " ", "".join(t for t, *_ in runs))
        words.append(shown.strip())
        chunks: list[list] = []  # each: [(glyph path, advance, run), ...] from one anchored start
        x = y = 0.0
        leading = True
        for text, run_style, pos in runs:
            if "x" in pos or "y" in pos or not chunks:
                x, y = pos.get("x", x), pos.get("y", y)
                chunks.append([x, y, run_style.get("text-anchor", "start"), []])
            x += pos.get("dx", 0.0)
            y += pos.get("dy", 0.0)
            chunk = chunks[-1]
            if "dx" in pos or "dy" in pos:
                chunk[3].append(("move", x, y))
            text = re.sub(r"\s+", " ", text)
            if leading:
                text = text.lstrip()
            if text:
                leading = text.endswith(" ")
                x = self._glyphs(node, text, run_style, x, y, chunk[3])
        if chunks and chunks[-1][3]:
            chunks[-1][3] = _strip_trailing_space(chunks[-1][3])
        paths = []
        for start_x, _, anchor, items in chunks:
            glyphs = [i for i in items if i[0] == "glyph"]
            if not glyphs:
                continue
            width = max(i[2] + i[3] for i in glyphs) - start_x
            shift = {"middle": -width / 2, "end": -width}.get(anchor, 0.0)
            for _, ref, gx, _adv, fill, gy, scale in glyphs:
                if ref:
                    paths.append((ref, gx + shift, gy, scale, fill))
        label = _escape(shown.strip(), True)
        inner = "".join(
            f'<use xlink:href="#{ref}" transform="translate({_num(gx)} {_num(gy)}) scale({_num(scale, 4)} '
            f'{_num(-scale, 4)})"{f" fill={_q(fill)}" if fill else ""}/>'
            for ref, gx, gy, scale, fill in paths
        )
        return f'<g role="img" aria-label="{label}"{_attr_text(_kept(attrs))}>{inner}</g>'

    def defs(self) -> str:
        """The glyphs the text uses, each once, in font units (<use> places and scales them)."""
        return "".join(f'<path id="{ref}" d="{d}"/>' for ref, d in self._glyph_paths.values())

    def _runs(self, node: _Node, style: dict, pos: dict):
        """(text, style, position attributes) of the text and its <tspan>s, in order."""
        for key in TEXT_UNSUPPORTED:
            if key in style and style[key] not in ("normal", "none", "0", "auto", "ltr"):
                raise FigureError(f"{key} on text is not supported in figures", node.line, node.col)
        here = dict(pos)
        for key in ("x", "y", "dx", "dy"):
            if key in node.attrs:
                values = node.attrs[key].replace(",", " ").split()
                if len(values) != 1 or _length(values[0]) is None:
                    raise FigureError(f"{key}={node.attrs[key]!r}: give one number in px", node.line, node.col)
                here[key] = _length(values[0])
        fill = node.attrs.get("fill") or _style_value(node, "fill")
        if fill:
            style = {**style, "fill": fill}
        first = True
        for child in node.children:
            if isinstance(child, str):
                yield child, style, here if first else {}
                first = False
            elif child.tag == "tspan":
                _attributes(child)
                yield from self._runs(child, {**style, **_text_style(child)}, here if first else {})
                first = False
            elif child.tag in ("title", "desc"):
                continue
            else:
                raise FigureError(f"<{child.tag}> inside <text> is not supported in figures", child.line, child.col)

    def _glyphs(self, node: _Node, text: str, style: dict, x: float, y: float, out: list) -> float:
        size = _font_size(style.get("font-size", "16"), node)
        if text.strip():
            self.smallest = min(self.smallest, size) if self.smallest else size
        weight = style.get("font-weight", "normal")
        bold = weight in ("bold", "bolder") or (weight.isdigit() and int(weight) >= 600)
        mono = bool(re.search(r"mono|coding|courier|consol", style.get("font-family", ""), re.I))
        face = self.font(mono, bold)
        scale = size / face.upem
        shift = _baseline(style, face, node) * scale
        self.chars += len(text)
        if self.chars > MAX_SVG_CHARS:
            raise FigureError(
                f"more than {MAX_SVG_CHARS:,} characters of text; a figure is a diagram (long text belongs in the entry)",
                node.line,
                node.col,
            )
        for char in text:
            name = face.cmap.get(ord(char))
            if name is None:
                raise FigureError(
                    f"'{char}' (U+{ord(char):04X}) in the text is not in the bundled font", node.line, node.col
                )
            advance = face.advance(name) * scale
            out.append(("glyph", self._glyph(face, name), x, advance, style.get("fill"), y + shift, scale))
            x += advance
        return x

    def _glyph(self, face: _Face, name: str) -> str | None:
        """The id of the glyph's path in the defs (None for a glyph that draws nothing: a space)."""
        key = (face.key, name)
        if key not in self._glyph_paths:
            d = face.path(name)
            self._glyph_paths[key] = (f"sd-glyph-{len(self._glyph_paths) + 1}" if d else "", d)
        return self._glyph_paths[key][0] or None


class _Face:
    """One bundled font, read once per process: its character map, advances and outlines."""

    def __init__(self, data: bytes):
        from fontTools.ttLib import TTFont

        self.key = hashlib.sha256(data).hexdigest()
        self.font = TTFont(io.BytesIO(data), lazy=True)
        self.cmap = self.font.getBestCmap()
        self.glyphs = self.font.getGlyphSet()
        self.hmtx = self.font["hmtx"]
        self.upem = self.font["head"].unitsPerEm
        os2 = self.font["OS/2"]
        self.x_height = getattr(os2, "sxHeight", 0) or self.upem // 2
        self.ascender, self.descender = os2.sTypoAscender, os2.sTypoDescender
        self._paths: dict[str, str] = {}

    def advance(self, name: str) -> int:
        return self.hmtx[name][0]

    def path(self, name: str) -> str:
        """The glyph's outline as SVG path data, in font units (y up)."""
        if name not in self._paths:
            from fontTools.pens.svgPathPen import SVGPathPen

            pen = SVGPathPen(self.glyphs, ntos=_num)
            self.glyphs[name].draw(pen)
            self._paths[name] = pen.getCommands()
        return self._paths[name]


@functools.lru_cache(maxsize=8)
def _face(data: bytes) -> _Face:
    return _Face(data)


def _strip_trailing_space(items: list) -> list:
    while items and items[-1][0] == "glyph" and not items[-1][1]:
        items = items[:-1]
    return items


def _kept(attrs: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in attrs.items() if k not in ("x", "y", "dx", "dy", "xml:space")}


def _q(value: str) -> str:
    return f'"{_escape(value, True)}"'


def _style_value(node: _Node, key: str) -> str | None:
    for decl in node.attrs.get("style", "").split(";"):
        k, _, v = decl.partition(":")
        if k.strip().lower() == key:
            return v.strip()
    return None


def _font_size(value: str, node: _Node) -> float:
    size = _length(value)
    if size is None or not 1 <= size <= 500:
        raise FigureError(f"font-size {value!r}: give a number in px or pt", node.line, node.col)
    return size


def _baseline(style: dict, face: _Face, node: _Node) -> float:
    """How far (in font units, down) the baseline moves for dominant-baseline."""
    value = style.get("dominant-baseline") or style.get("alignment-baseline") or "auto"
    if value == "middle":
        return face.x_height / 2
    if value == "central":
        return (face.ascender + face.descender) / 2
    if value in ("hanging", "text-before-edge", "text-top"):
        return face.ascender
    if value in ("auto", "alphabetic", "baseline"):
        return 0.0
    raise FigureError(
        f"dominant-baseline {value!r} is not supported; use auto, middle, central or hanging", node.line, node.col
    )
