"""dist/<deck>-worksheet.pdf: the worksheet, made as the cheat sheet is."""

from __future__ import annotations

from studydeck.outputs.sheet import Sheet


class Worksheet(Sheet):
    name = part = kind = "worksheet"
    suffix = "-worksheet"
