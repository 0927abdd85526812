"""build.py --watch: a live preview while you write.

On every save under entries/ or templates/, or of pyproject.toml, the entries are read and
checked again (unchanged files are reused, see gather.project.draft) and the preview and the
cards view are made in memory (pages) and served on 127.0.0.1 (server); an open page updates by
itself, keeping its scroll position and showing the entry that changed. A bad save shows its
problems (file:line:col) in the page and the terminal. Then the deck and the PDFs are rebuilt
into dist/ by a build in a process of its own (builder), which the next save stops and starts
again; the page says when they are current. The saves come from the OS's file events (files).
The server serves these pages and nothing else from disk.
"""

from __future__ import annotations

import queue
import signal
import threading
from collections.abc import Callable
from pathlib import Path

from studydeck.model import Options
from studydeck.watch.builder import Builder
from studydeck.watch.files import start_watchers
from studydeck.watch.pages import Pages
from studydeck.watch.server import HOST, serve
from studydeck.watch.state import State


class Watch:
    """One watch session: what is shown (state), how it is made (pages), the background build
    (builder), and the loop that turns saves into the two."""

    def __init__(self, options: Options, argv: list[str], say: Callable[[str], None]):
        self.options, self.say = options, say
        self.state = State()
        self.stop = threading.Event()
        self.interrupted = False  # set by the signal handlers (Ctrl-C, SIGTERM, SIGHUP)
        self.pages = Pages(options, self.state, say)
        self.builder = Builder(options, argv, say, self.state)

    def loop(self, changes: queue.Queue) -> None:
        """Each batch of saves: the pages again, then, if they are good, the deck and the PDFs."""
        root = self.options.root
        while not self.interrupted:
            try:
                batch = changes.get(timeout=0.2)
            except queue.Empty:
                continue
            while True:  # saves that came together: one refresh
                try:
                    batch |= changes.get_nowait()
                except queue.Empty:
                    break
            files = sorted({_relative(root, p) for p in batch})
            self.say(f"changed: {', '.join(files)}")
            if self.pages.refresh(files):
                self.builder.start()
            else:
                self.builder.stop()
                self.builder.set_outputs("stale", "the entries have problems: fix them and the deck and PDFs follow")


def _relative(root: Path, path: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)


def run(options: Options, argv: list[str], say: Callable[[str], None], port: int = 0) -> int:
    """Serve and watch until Ctrl-C (or SIGTERM); then stop everything this started."""
    watch = Watch(options, argv, say)
    # Ctrl-C and SIGTERM (also twice, or both at once) only raise a flag the loop reads: a
    # handler takes no lock (a second signal inside it would wait for itself), and the stopping
    # itself is never interrupted halfway.
    previous = {
        sig: signal.signal(sig, lambda *_: setattr(watch, "interrupted", True))
        for sig in (signal.SIGINT, signal.SIGTERM, *([signal.SIGHUP] if hasattr(signal, "SIGHUP") else []))
    }
    server = None
    try:
        watch.pages.refresh([])
        server = serve(watch, port)
        port = server.server_address[1]
        say(f"serving the preview at http://{HOST}:{port}/ (cards: http://{HOST}:{port}/cards)")
        say(f"watching entries/, templates/ and pyproject.toml in {options.root}; Ctrl-C stops")
        changes = start_watchers(options.root, watch.stop)
        if not watch.state.problems and not watch.interrupted:
            watch.builder.start()
        watch.loop(changes)
    finally:
        watch.stop.set()
        with watch.state.lock:
            watch.state.lock.notify_all()
        if server is not None:
            server.shutdown()
            server.server_close()
        watch.builder.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        say("stopped")
    return 0
