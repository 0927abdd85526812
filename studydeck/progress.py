"""What the build is doing: a live status on a terminal, plain lines otherwise (CI logs)."""

from __future__ import annotations

import sys

from studydeck.errors import shown


class Reporter:
    """say(stage) for each stage; report(document, what) for a document's layout progress.

    On a terminal both go to a transient status display (rich) on stderr that shows each
    task's latest step and elapsed time, so a long build is never silent; it disappears when
    the build ends. When stdout is not a terminal, stages are printed as plain lines and the
    per-page progress is left out. quiet: nothing at all.
    """

    def __init__(self, quiet: bool = False, live: bool | None = None):
        self.quiet = quiet
        self.live = (not quiet) and (sys.stdout.isatty() if live is None else live)
        self._progress = None
        self._tasks: dict[str, int] = {}

    def __enter__(self) -> Reporter:
        if self.live:
            from rich.console import Console
            from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

            # auto_refresh=False: no drawing thread (the PDF workers are forked from this process);
            # the display is redrawn on every message, and the build sends one every 0.1 s.
            self._progress = Progress(
                SpinnerColumn(),
                TextColumn("{task.description}"),
                TimeElapsedColumn(),
                console=Console(stderr=True),
                transient=True,
                auto_refresh=False,
            )
            self._progress.start()
        return self

    def __exit__(self, *exc) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None

    def say(self, stage: str) -> None:
        if self.quiet:
            return
        stage = shown(stage)  # a file name or entry text in it never acts on the terminal or the log
        if self._progress is None:
            print(stage, flush=True)
        else:
            self._task("build", stage)

    def report(self, document: str, what: str) -> None:
        """A step of one document's layout; document "" is the build's own status line."""
        if self._progress is not None:
            self._task(document or "build", f"{document}: {what}" if document else what)

    def _task(self, key: str, text: str) -> None:
        from rich.markup import escape

        text = escape(shown(text))  # '[red]' in a file name is text, not rich's markup
        if key not in self._tasks:
            self._tasks[key] = self._progress.add_task(text, total=None)
        else:
            self._progress.update(self._tasks[key], description=text)
        self._progress.refresh()
