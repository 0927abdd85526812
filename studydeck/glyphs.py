"""The characters the bundled font can draw: the sheet never falls back to a system font."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

FONT_DIR = "fonts"


def font_files(templates: Path) -> list[Path]:
    return sorted((templates / FONT_DIR).glob("*.[ot]tf"))


@lru_cache(maxsize=4)
def _charset(files: tuple[Path, ...]) -> frozenset[int]:
    from fontTools.ttLib import TTFont  # comes with WeasyPrint

    sets = [frozenset(TTFont(f, lazy=True).getBestCmap()) for f in files]
    return frozenset.intersection(*sets) if sets else frozenset()


def charset(templates: Path) -> frozenset[int]:
    """Code points every bundled font (regular and bold) has a glyph for."""
    return _charset(tuple(font_files(templates)))


def missing(text: str, chars: frozenset[int]) -> list[tuple[int, str]]:
    """(index, character) for each character of text the fonts cannot draw; whitespace is fine."""
    return [(i, c) for i, c in enumerate(text) if ord(c) not in chars and not c.isspace()]
