"""The bundled fonts: what they can draw, and compact web fonts for the cards and the preview.

The printed sheets use the bundled TrueType files as they are (WeasyPrint embeds what it uses).
Anki and browsers get WOFF2 subsets holding only the characters the deck uses. A subset is a
modified version of the font, and both fonts reserve their names under the SIL OFL, so each
subset is renamed (StudyDeck Sans, StudyDeck Mono) and carries its copyright, the licence and
where it comes from in its name table; the licence files travel with the deck too.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import io
import os
from dataclasses import dataclass
from pathlib import Path

from studydeck.errors import BuildError, warn
from studydeck.gather.reads import Reads
from studydeck.memo import memo
from studydeck.state.cache import has_key, read_signed, write_signed

FONT_DIR = "fonts"


@dataclass(frozen=True)
class Face:
    family: str  # the CSS family of the web subset
    weight: int
    file: str  # in templates/fonts/
    upstream: str  # the font it is made from, for its name table
    licence: str  # the licence file beside it
    budget: int  # bytes its WOFF2 subset may have: a phone loads a card's fonts whole


# Budgets that hold for 1,000 entries using all 2,350 Hangul syllables of KS X 1001 (everyday
# Korean), with room to spare: there the text faces are 156 and 160 KiB, the code faces (no
# Hangul: see web_fonts) 7 KiB; the default deck's 34 and 7 KiB (benchmarks/fonts.py, figures in
# benchmarks/README.md; tests/test_card_fonts.py holds the default deck to them).
TEXT_BUDGET, CODE_BUDGET = 192 * 1024, 16 * 1024

SANS, MONO = "StudyDeck Sans", "StudyDeck Mono"
FACES = (
    Face(
        SANS,
        400,
        "Pretendard-Regular.ttf",
        "Pretendard 1.3.9 (c) 2021 Kil Hyung-jin",
        "OFL-Pretendard.txt",
        TEXT_BUDGET,
    ),
    Face(
        SANS,
        700,
        "Pretendard-Bold.ttf",
        "Pretendard 1.3.9 (c) 2021 Kil Hyung-jin",
        "OFL-Pretendard.txt",
        TEXT_BUDGET,
    ),
    Face(
        MONO,
        400,
        "NanumGothicCoding-Regular.ttf",
        "NanumGothicCoding 2.0 (c) 2010 NAVER Corporation",
        "OFL-NanumGothicCoding.txt",
        CODE_BUDGET,
    ),
    Face(
        MONO,
        700,
        "NanumGothicCoding-Bold.ttf",
        "NanumGothicCoding 2.0 (c) 2010 NAVER Corporation",
        "OFL-NanumGothicCoding.txt",
        CODE_BUDGET,
    ),
)
ASCII = frozenset(chr(c) for c in range(32, 127))


def font_data(reads: Reads, templates: Path, face: Face) -> bytes:
    """A bundled font file; a missing one stops the build by name."""
    try:
        return reads.bytes(templates / FONT_DIR / face.file)
    except OSError:
        raise BuildError(
            f"templates/{FONT_DIR}/{face.file} does not exist: the cards and the sheets need every "
            "bundled font (fonts.FACES)"
        ) from None


@memo(8)
def _cmap(data: bytes) -> frozenset[int]:
    from fontTools.ttLib import TTFont  # comes with WeasyPrint

    return frozenset(TTFont(io.BytesIO(data), lazy=True).getBestCmap())


def charset(reads: Reads, templates: Path) -> frozenset[int]:
    """Code points every text face (regular and bold) has a glyph for: all entry text must be
    drawable by them (code falls back to them where the monospace font lacks a character)."""
    data = {face: font_data(reads, templates, face) for face in FACES}  # every face must be there
    return frozenset.intersection(*(_cmap(d) for face, d in data.items() if face.family == SANS))


def is_hangul(c: str) -> bool:
    """A Hangul syllable, jamo or compatibility jamo (Unicode's Hangul blocks)."""
    o = ord(c)
    return 0xAC00 <= o <= 0xD7FF or 0x1100 <= o <= 0x11FF or 0x3130 <= o <= 0x318F or 0xA960 <= o <= 0xA97F


def missing(text: str, chars: frozenset[int]) -> list[tuple[int, str]]:
    """(index, character) for each character of text the fonts cannot draw; whitespace is fine."""
    return [(i, c) for i, c in enumerate(text) if ord(c) not in chars and not c.isspace()]


@dataclass(frozen=True)
class WebFont:
    face: Face
    name: str  # file name: changes whenever the bytes do (Anki keeps the first file of a name)
    data: bytes

    def data_url(self) -> str:
        """The font inside a page (the preview, the cards view, watch mode's pages)."""
        return "data:font/woff2;base64," + base64.b64encode(self.data).decode()


def web_fonts(
    reads: Reads, templates: Path, text: frozenset[str], code: frozenset[str], cache: Path | None = None
) -> list[WebFont]:
    """WOFF2 subsets of every face: the text faces with `text`, the monospace ones with `code`
    but its Hangul, which the text font draws (every stylesheet names StudyDeck Sans after
    StudyDeck Mono). A phone loads a card's fonts whole, and Hangul in code made the code faces
    a second copy of the text's: 85 and 117 KiB for 1,000 entries with Korean in their code,
    7 KiB without it (benchmarks/README.md)."""
    out = []
    for face in FACES:
        chars = (frozenset(c for c in code if not is_hangul(c)) if face.family == MONO else text) | ASCII
        data = _subset(font_data(reads, templates, face), face, frozenset(chars), cache)
        slug = face.family.lower().replace(" ", "-")
        out.append(WebFont(face, f"_{slug}-{face.weight}-{hashlib.sha256(data).hexdigest()[:12]}.woff2", data))
    return out


def licences(reads: Reads, templates: Path) -> dict[str, bytes]:
    """The licence files, under names that change with their text, as Anki media."""
    out = {}
    for name in sorted({f.licence for f in FACES}):
        data = reads.bytes(templates / FONT_DIR / name)
        out[f"_studydeck-{Path(name).stem}-{hashlib.sha256(data).hexdigest()[:8]}.txt"] = data
    return out


def css(fonts: list[WebFont], url=lambda font: font.name) -> str:
    """@font-face rules for the subsets; url(font) says where each file is found."""
    return "".join(
        f'@font-face {{ font-family: "{f.face.family}"; font-weight: {f.face.weight}; font-style: normal; '
        f'src: url("{url(f)}") format("woff2"); }}\n'
        for f in fonts
    )


_SUBSET_VERSION = "3"  # part of the cache key: change it when _make_subset changes


def _subset(source: bytes, face: Face, chars: frozenset[str], cache: Path | None) -> bytes:
    key = hashlib.sha256(
        b"\0".join(
            [
                _SUBSET_VERSION.encode(),
                source,
                face.family.encode(),
                str(face.weight).encode(),
                "".join(sorted(chars)).encode("utf-8", "surrogatepass"),
            ]
        )
    ).hexdigest()
    path = cache / f"{key}.woff2" if cache is not None else None
    if path is not None and (kept := read_signed(path, len(source))) is not None:
        return kept  # signed by this user's builds: a planted or altered file is made again
    if path is not None and os.path.lexists(path) and has_key():
        warn(f".cache/studydeck/fonts/{path.name}", "ignored: it is not a font subset signed with your key; made again")
    data = _make_subset(source, face, chars)
    if path is not None:
        with contextlib.suppress(OSError):  # the cache only saves time
            write_signed(path, data)  # under a temporary name of its own: two builds at once never mix
    return data


def _make_subset(source: bytes, face: Face, chars: frozenset[str]) -> bytes:
    from fontTools import subset
    from fontTools.ttLib import TTFont

    options = subset.Options()
    options.flavor = "woff2"
    options.hinting = False  # screens scale outlines well; hints doubled the size
    options.drop_tables += ["GSUB", "GPOS"]  # Hangul needs neither; decompiling them took 0.5 s a face
    options.name_IDs = [0, 1, 2, 3, 4, 5, 6, 10, 13, 14]
    options.notdef_outline = True
    font = TTFont(io.BytesIO(source), recalcTimestamp=False)  # the font's own time: same bytes every build
    for table in ("GSUB", "GPOS"):
        if table in font:
            del font[table]
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=sorted(ord(c) for c in chars))
    subsetter.subset(font)
    _rename(font, face)
    out = io.BytesIO()
    subset.save_font(font, out, options)  # applies options.flavor: font.save() alone writes TrueType
    return out.getvalue()


def _rename(font, face: Face) -> None:
    """The subset's names: never the upstream family's (OFL: Reserved Font Names)."""
    style = "Bold" if face.weight >= 700 else "Regular"
    names = {
        1: face.family,
        2: style,
        3: f"{face.family} {style}; subset made by studydeck",
        4: f"{face.family} {style}",
        6: f"{face.family.replace(' ', '')}-{style}",
        10: f"A subset of {face.upstream}, licensed under the SIL Open Font License 1.1, renamed as the "
        "licence requires of modified versions.",
    }
    table = font["name"]
    table.names = [n for n in table.names if n.nameID not in names and n.nameID not in (16, 17, 21, 22)]
    for name_id, value in names.items():
        table.setName(value, name_id, 3, 1, 0x409)
    if "CFF " in font:
        font["CFF "].cff.fontNames = [names[6]]
