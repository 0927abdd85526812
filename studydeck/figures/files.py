"""Figures: the image files entries show, read, checked and made safe before any output uses them.

A figure is a file inside the project (PNG, JPEG, WebP or SVG). Its type is read from its bytes,
not its name. A raster image passes through unchanged once Pillow has decoded it; an SVG is
rebuilt clean (svg_clean). Every refusal names the entry's file, line and column, and for an SVG
the place in the SVG.
"""

from __future__ import annotations

import dataclasses
import io
import os
import re
import unicodedata
from pathlib import Path

from studydeck.errors import Problem
from studydeck.figures.limits import MAX_BYTES, MAX_SIDE, FigureError
from studydeck.figures.svg_clean import clean_svg_once
from studydeck.gather.load import rel_path
from studydeck.gather.reads import Reads
from studydeck.model import Entry, Figure


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
        clean = clean_svg_once(data, reads)
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
