"""The outputs: one module each, all with the same small interface (like Sphinx's builders).

An Output says which files it writes for the options of a build, what it is made from (its
cache key: the very data it turns into bytes), and makes those bytes from the Project; one that
is slow and needs nothing from this process (the PDFs) hands out a job a worker process does.
A new output is a module here and one line in OUTPUTS.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from studydeck.model import Options


@dataclass
class Made:
    """An output's files."""

    files: dict[str, bytes]


class Output:
    """The interface; see the modules in this package."""

    name = ""  # as the build reports it
    part: str | None = None  # the part of the build it belongs to (deck, sheet, worksheet); None: every part
    cheap = False  # made every time, and written only when its bytes differ (no cache key)
    worker = False  # make() returns a Job, done in a worker process (plain data in and out)

    def wanted(self, options: Options) -> bool:
        return options.only is None or self.part is None or options.only == self.part

    def files(self, project) -> list[str]:
        """The names it writes in the output folder, for these options."""
        raise NotImplementedError

    def check(self, project) -> None:
        """Raise every refusal making it could raise (a template it cannot render, ...), whatever
        this build makes: --check and --only give the verdict a full build gives."""

    def key(self, project) -> str | None:
        """A digest of everything its bytes are made from; None for a cheap output."""
        return None

    def make(self, project, say: Callable[[str], None]) -> Made | Job:
        """Its files' bytes, or a Job for a worker process."""
        raise NotImplementedError


@dataclass
class Job:
    """Work for a worker process: plain data in, (PDF bytes, page count) out (see pdf.workers.start)."""

    document: object  # a pdf.documents.Document
    file: str


def registry() -> list[Output]:
    """Every output, in the order the build makes them (the slow ones first: they start workers)."""
    from studydeck.outputs.cards import Cards
    from studydeck.outputs.changes import Changes
    from studydeck.outputs.deck import Deck
    from studydeck.outputs.preview import Preview
    from studydeck.outputs.sheet import Sheet
    from studydeck.outputs.worksheet import Worksheet

    return [Sheet(), Worksheet(), Deck(), Preview(), Cards(), Changes()]
