"""An SVG's text drawn as outlines with the bundled fonts: Anki shows an SVG as an image, which
cannot use the card's fonts, so a phone without a Korean font would show boxes. Each character
is one glyph of the bundled font, placed by its advance width (no kerning or shaping).

Not shaped (uharfbuzz would shape and kern): labels are mostly Hangul syllables, which need
neither, and short Latin words, which lose only their kerning pairs. Shaping would change the
bytes of every figure with Latin text, and so update those notes once for every learner: a
change to make for a measured reason, not by the way."""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Callable
from pathlib import Path

from studydeck.figures.limits import MAX_SVG_CHARS, FigureError
from studydeck.figures.svg_tree import TEXT_UNSUPPORTED, Node, attr_text, escape, length, num, text_style
from studydeck.gather.reads import Reads
from studydeck.memo import memo


class Outliner:
    """<text> -> <g> of <path>s: each character drawn with the bundled font's glyph."""

    def __init__(self, reads: Reads | None, check: Callable[[Node], dict[str, str]]):
        self.reads, self.check = reads, check  # check: an element's attributes, or FigureError
        self._fonts: dict[str, _Face] = {}
        self._glyph_paths: dict[tuple[str, str], tuple[str, str]] = {}  # (font, glyph) -> (id, d)
        self.chars = 0  # characters drawn so far
        self.smallest = 0.0  # the smallest font-size drawn, in user units (0: none yet)

    def font(self, mono: bool, bold: bool) -> _Face:
        from studydeck.fonts import FACES, MONO, SANS, font_data

        family = MONO if mono else SANS
        face = next(f for f in FACES if f.family == family and f.weight == (700 if bold else 400))
        if face.file not in self._fonts:
            templates = (self.reads.root if self.reads else Path(__file__).resolve().parents[2]) / "templates"
            data = (
                font_data(self.reads, templates, face) if self.reads else (templates / "fonts" / face.file).read_bytes()
            )
            self._fonts[face.file] = _face(data)
        return self._fonts[face.file]

    def text(self, node: Node, attrs: dict[str, str], style: dict[str, str], words: list[str]) -> str:
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
        label = escape(shown.strip(), True)
        inner = "".join(
            f'<use xlink:href="#{ref}" transform="translate({num(gx)} {num(gy)}) scale({num(scale, 4)} '
            f'{num(-scale, 4)})"{f" fill={_q(fill)}" if fill else ""}/>'
            for ref, gx, gy, scale, fill in paths
        )
        return f'<g role="img" aria-label="{label}"{attr_text(_kept(attrs))}>{inner}</g>'

    def defs(self) -> str:
        """The glyphs the text uses, each once, in font units (<use> places and scales them)."""
        return "".join(f'<path id="{ref}" d="{d}"/>' for ref, d in self._glyph_paths.values())

    def _runs(self, node: Node, style: dict, pos: dict):
        """(text, style, position attributes) of the text and its <tspan>s, in order."""
        for key in TEXT_UNSUPPORTED:
            if key in style and style[key] not in ("normal", "none", "0", "auto", "ltr"):
                raise FigureError(f"{key} on text is not supported in figures", node.line, node.col)
        here = dict(pos)
        for key in ("x", "y", "dx", "dy"):
            if key in node.attrs:
                values = node.attrs[key].replace(",", " ").split()
                if len(values) != 1 or length(values[0]) is None:
                    raise FigureError(f"{key}={node.attrs[key]!r}: give one number in px", node.line, node.col)
                here[key] = length(values[0])
        fill = node.attrs.get("fill") or _style_value(node, "fill")
        if fill:
            style = {**style, "fill": fill}
        first = True
        for child in node.children:
            if isinstance(child, str):
                yield child, style, here if first else {}
                first = False
            elif child.tag == "tspan":
                self.check(child)
                yield from self._runs(child, {**style, **text_style(child)}, here if first else {})
                first = False
            elif child.tag in ("title", "desc"):
                continue
            else:
                raise FigureError(f"<{child.tag}> inside <text> is not supported in figures", child.line, child.col)

    def _glyphs(self, node: Node, text: str, style: dict, x: float, y: float, out: list) -> float:
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

            pen = SVGPathPen(self.glyphs, ntos=num)
            self.glyphs[name].draw(pen)
            self._paths[name] = pen.getCommands()
        return self._paths[name]


@memo(8)
def _face(data: bytes) -> _Face:
    return _Face(data)


def _strip_trailing_space(items: list) -> list:
    while items and items[-1][0] == "glyph" and not items[-1][1]:
        items = items[:-1]
    return items


def _kept(attrs: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in attrs.items() if k not in ("x", "y", "dx", "dy", "xml:space")}


def _q(value: str) -> str:
    return f'"{escape(value, True)}"'


def _style_value(node: Node, key: str) -> str | None:
    for decl in node.attrs.get("style", "").split(";"):
        k, _, v = decl.partition(":")
        if k.strip().lower() == key:
            return v.strip()
    return None


def _font_size(value: str, node: Node) -> float:
    size = length(value)
    if size is None or not 1 <= size <= 500:
        raise FigureError(f"font-size {value!r}: give a number in px or pt", node.line, node.col)
    return size


def _baseline(style: dict, face: _Face, node: Node) -> float:
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
