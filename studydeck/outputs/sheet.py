"""dist/<deck>.pdf: the cheat sheet (documents.py makes its HTML, render.py its PDF in a worker)."""

from __future__ import annotations

import hashlib

from studydeck import fonts
from studydeck.outputs import Job, Output
from studydeck.pdf import documents, render
from studydeck.state import cache
from studydeck.state.write import safe_stem


class Sheet(Output):
    name = part = kind = "sheet"
    suffix = ""
    worker = True

    def __init__(self):
        self._document = None  # made once a build: it is also the cache key

    def files(self, project) -> list[str]:
        return [f"{safe_stem(project.config.deck)}{project.options.printing.suffix()}{self.suffix}.pdf"]

    def document(self, project) -> documents.Document:
        if self._document is None:
            self._document = documents.render(
                self.kind,
                project.entries,
                project.config,
                project.templates,
                project.built,
                project.options.printing,
                project.reads,
            )
        return self._document

    def check(self, project) -> None:
        self.document(project)  # its templates, rendered

    def key(self, project) -> str:
        document = self.document(project)
        faces = [hashlib.sha256(fonts.font_data(project.reads, project.templates, f)).hexdigest() for f in fonts.FACES]
        return cache.key(self.kind, document.html(), document.columns, faces, render.BALANCE_MAX_PAGES)

    def make(self, project, say) -> Job:
        return Job(self.document(project), self.files(project)[0])
