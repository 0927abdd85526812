"""Jinja2 for the project's templates: HTML escaped by default, a typo in a template an error
(StrictUndefined), and every template read through the build's Reads (so it is an input)."""

from __future__ import annotations

from pathlib import Path

import jinja2

from .reads import Reads


class _Loader(jinja2.BaseLoader):
    def __init__(self, folder: Path, reads: Reads):
        self.folder, self.reads = folder, reads

    def get_source(self, environment, template):
        path = self.folder / template
        try:
            return self.reads.text(path), str(path), lambda: True
        except OSError:
            raise jinja2.TemplateNotFound(template) from None


def environment(templates: Path, reads: Reads) -> jinja2.Environment:
    return jinja2.Environment(
        loader=_Loader(templates, reads), autoescape=True, undefined=jinja2.StrictUndefined, keep_trailing_newline=True
    )
