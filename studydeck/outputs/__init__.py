"""The outputs: one module each, all with one lifecycle (like Sphinx's builders).

    prepare(project) -> inputs     everything its bytes are made from, as plain data; it raises
                                   every refusal making would (run for every output, whatever a
                                   build makes: --check and --only give a full build's verdict)
    key(inputs) -> str | None      a digest of the inputs (the cache's key); None: cheap
    make(inputs, say) -> Made|Job  its files' bytes, from the inputs alone; or a Job, which the
                                   build runs in a worker process (outputs.parallel = True)
    epilog(made) -> str            its words in the build's summary line ("sheet 4 pages")

make() sees only what prepare() returned, and the key is a digest of that same value: a key
cannot leave out something the output is made from. A new output is a module here and one
line in registry(); a slow one returns a Job, and the build runs it beside the others.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from studydeck.model import Options
from studydeck.state import cache


@dataclass
class Made:
    """An output's files, and its page count when it has pages."""

    files: dict[str, bytes]
    pages: int | None = None


@dataclass
class Job:
    """Work for a worker process: run(name, *args, report=...) -> Made, where run is a module-level
    function and args plain data (a worker started by spawn gets them pickled)."""

    run: Callable[..., Made]
    args: tuple


class Output:
    """The interface; see the modules in this package."""

    name = ""  # as the build reports it
    part: str | None = None  # the part of the build it belongs to (deck, sheet, worksheet); None: every part
    cheap = False  # made every time, and written only when its bytes differ (no cache key)
    parallel = False  # make() returns a Job, run in a worker process

    def wanted(self, options: Options) -> bool:
        return options.only is None or self.part is None or options.only == self.part

    def files(self, project) -> list[str]:
        """The names it writes in the output folder, for these options."""
        raise NotImplementedError

    def prepare(self, project) -> Any:
        """What its bytes are made from (plain data: strings, numbers, bytes, dataclasses of
        them), or every refusal making it would raise."""
        raise NotImplementedError

    def key(self, inputs) -> str | None:
        """A digest of the inputs (cache.key: with this code's and the libraries' versions)."""
        return None if self.cheap else cache.key(self.name, cache.plain(inputs))

    def make(self, inputs, say: Callable[[str], None]) -> Made | Job:
        raise NotImplementedError

    def epilog(self, made: Made) -> str:
        """Its part of the build's summary line; "" for none."""
        if made.pages is None:
            return ""
        return f"{self.name} {made.pages} page{'' if made.pages == 1 else 's'}"


def registry() -> list[Output]:
    """Every output, in the order the build makes them (the parallel ones first: they start workers)."""
    from studydeck.outputs.cards import Cards
    from studydeck.outputs.changes import Changes
    from studydeck.outputs.deck import Deck
    from studydeck.outputs.preview import Preview
    from studydeck.outputs.sheet import Sheet
    from studydeck.outputs.worksheet import Worksheet

    return [Sheet(), Worksheet(), Deck(), Preview(), Cards(), Changes()]
