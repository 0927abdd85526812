"""The saves the watch reacts to: file events from the OS (watchfiles: inotify, FSEvents,
ReadDirectoryChangesW), not polling, for entries/, templates/ and pyproject.toml."""

from __future__ import annotations

import os
import queue
import threading
from pathlib import Path

STEP_MS = 30  # the watcher yields a save this long after the last change it saw


def start_watchers(root: Path, stop: threading.Event) -> queue.Queue:
    """A queue that receives each batch of changed paths until stop is set."""
    changes: queue.Queue = queue.Queue()
    folders = [p for p in (root / "entries", root / "templates") if p.is_dir()]
    jobs = [(folders, True, None), ([root], False, {"pyproject.toml"})]  # the root alone: not .venv, dist/
    for paths, recursive, only in jobs:
        threading.Thread(target=_watch, args=(changes, stop, paths, recursive, only), daemon=True).start()
    return changes


def _watch(changes: queue.Queue, stop: threading.Event, paths: list[Path], recursive: bool, only: set[str] | None):
    import watchfiles

    def wanted(change, path: str) -> bool:
        return (only is None or os.path.basename(path) in only) and watchfiles.DefaultFilter()(change, path)

    for batch in watchfiles.watch(
        *paths,
        watch_filter=wanted,
        step=STEP_MS,
        stop_event=stop,
        recursive=recursive,
        raise_interrupt=False,
        rust_timeout=500,
    ):
        changes.put({Path(p) for _, p in batch})
