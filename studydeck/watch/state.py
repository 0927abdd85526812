"""What the watch server shows, shared by the threads that make it and the ones that serve it."""

from __future__ import annotations

import threading
import traceback
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class State:
    """What the server shows; each change makes a new version, and waiting pages hear of it."""

    version: int = 0
    preview: str = ""
    cards: str = ""
    cards_version: int = 0  # the version the cards view was made for: it is made after the preview
    font_css: str = ""  # the deck's fonts, for the status bar above the cards' frame
    problems: list[str] = field(default_factory=list)  # a bad save: the page shows these instead
    warnings: list[str] = field(default_factory=list)  # card quality: shown above a good page
    error_page: str = ""  # made with them, once
    changed: list[str] = field(default_factory=list)  # entry ids the last save touched
    built: str = ""  # when the preview was last made (HH:MM:SS)
    outputs: dict = field(default_factory=lambda: {"state": "waiting", "message": "", "at": ""})
    live: str = ""  # templates/live.js, read with each refresh
    lock: threading.Condition = field(default_factory=threading.Condition)

    def status(self) -> dict:
        return {
            "version": self.version,
            "preview": self.built,
            "problems": len(self.problems),
            "warnings": len(self.warnings),
            **self.outputs,
        }


def internal(exc: BaseException) -> str:
    """An unexpected error, in one line: where in our code, so it can be reported."""
    frame = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
    where = f" ({Path(frame.filename).name}:{frame.lineno})" if frame else ""
    return f"internal error{where}: {type(exc).__name__}: {exc}; please report it"
