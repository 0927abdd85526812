"""Figures: the image files entries show, read, checked and made safe before any output uses them.

- files       a figure's file -> its checked bytes, type and size (raster images decoded by Pillow)
- svg_clean   an SVG rebuilt from an allowlist, every refusal at its place in the SVG
- svg_text    an SVG's text drawn as outlines with the bundled fonts
- svg_tree    an SVG as a tree of nodes with their places, and writing one back out
- limits      what a figure may be, and FigureError
"""

from studydeck.figures.files import load, load_all, sniff
from studydeck.figures.limits import MAX_BYTES, MAX_SIDE, FigureError
from studydeck.figures.svg_clean import CleanSvg, clean_svg

__all__ = ["MAX_BYTES", "MAX_SIDE", "CleanSvg", "FigureError", "clean_svg", "load", "load_all", "sniff"]
