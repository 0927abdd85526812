"""What a figure may be: its limits, and the error that refuses one (with its place in the file)."""

from __future__ import annotations

MAX_BYTES = 1024 * 1024  # one figure's file; a phone syncs every byte


MAX_SIDE = 4096  # pixels of a raster image, either side (decoding a huge image is a memory bomb)


MAX_SVG_ELEMENTS = 5000


MAX_SVG_DEPTH = 50


MAX_SVG_DRAWN = 20000  # elements once every <use> is expanded (nested <use> multiply)


MAX_SVG_CHARS = 5000  # characters of text: a figure is a diagram; long text belongs in the entry


class FigureError(ValueError):
    """A figure refused: message, and where in the figure's own file (line, col; 0 if unknown)."""

    def __init__(self, message: str, line: int = 0, col: int = 0):
        super().__init__(message)
        self.line, self.col = line, col


MAX_LENGTH = 100_000.0  # px: any coordinate or size beyond this is a mistake (or an attack on a renderer)
