"""build.py --watch: a live preview while you write.

On every save under entries/ or templates/, or of pyproject.toml, the entries are read and
checked again (unchanged files are reused, see project.draft) and the preview and the cards view
are made in memory and served on 127.0.0.1; an open page updates by itself, keeping its scroll
position and showing the entry that changed. A bad save shows its problems (file:line:col) in the
page and the terminal. Then the deck and the PDFs are rebuilt into dist/ by a build in a process
of its own, which the next save stops and starts again; the page says when they are current. The
server serves these pages and nothing else from disk.
"""

from __future__ import annotations

import contextlib
import html
import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from studydeck.errors import StudydeckError
from studydeck.model import Options

HOST = "127.0.0.1"
STEP_MS = 30  # the watcher yields a save this long after the last change it saw


@dataclass
class State:
    """What the server shows; each change makes a new version, and waiting pages hear of it."""

    version: int = 0
    preview: str = ""
    cards: str = ""
    cards_version: int = 0  # the version the cards view was made for: it is made after the preview
    font_css: str = ""  # the deck's fonts, for the status bar above the cards' frame
    problems: list[str] = field(default_factory=list)  # a bad save: the page shows these instead
    error_page: str = ""  # made with them, once
    changed: list[str] = field(default_factory=list)  # entry ids the last save touched
    built: str = ""  # when the preview was last made (HH:MM:SS)
    outputs: dict = field(default_factory=lambda: {"state": "waiting", "message": "", "at": ""})
    lock: threading.Condition = field(default_factory=threading.Condition)

    def status(self) -> dict:
        return {"version": self.version, "preview": self.built, "problems": len(self.problems), **self.outputs}


class Watch:
    def __init__(self, options: Options, argv: list[str], say: Callable[[str], None]):
        self.options, self.argv, self.say = options, argv, say
        self.state = State()
        self.stop = threading.Event()
        self.builder: subprocess.Popen | None = None
        self.builder_lock = threading.Lock()
        self.paths: dict[str, list[str]] = {}  # entry file -> its entry ids, from the last good draft
        self.interrupted = False  # set by the signal handlers (Ctrl-C, SIGTERM)
        self.live = ""  # templates/live.js, read with each refresh

    # --- making the pages ---------------------------------------------------------------------

    def refresh(self, changed_files: list[str]) -> bool:
        """Make the preview, then the cards view, from the files as they are now; True if they are good."""
        from studydeck import fonts
        from studydeck.gather.project import draft
        from studydeck.gather.reads import Reads
        from studydeck.outputs.cards import check_templates
        from studydeck.outputs.cards import page as cards_page
        from studydeck.outputs.preview import Preview

        started = time.perf_counter()
        try:
            self.live = (self.options.root / "templates" / "live.js").read_text("utf-8")
        except OSError:
            self.live = ""
        try:
            project = draft(self.options, Reads(self.options.root), int(time.time()))
            check_templates(project)  # the cards view's one way to fail: now, not after the page
            preview = next(iter(Preview().make(project, lambda _: None).files.values())).decode()
            font_css = fonts.css(project.web_fonts, url=fonts.WebFont.data_url)
            problems = []
        except StudydeckError as exc:
            problems = [str(p) for p in exc.problems] or [str(exc)]
        except Exception as exc:  # a bug of ours: shown like a problem, and the watch goes on
            problems = [_internal(exc)]
        error_page = _error_page(problems, self.options.root, self.live) if problems else ""
        with self.state.lock:
            s = self.state
            s.version += 1
            s.built = datetime.now().strftime("%H:%M:%S")
            s.problems, s.error_page = problems, error_page
            if not problems:
                s.preview, s.font_css = preview, font_css
                self.paths = {}
                for e in project.entries:
                    self.paths.setdefault(e.path, []).append(e.id)
            s.changed = [i for f in changed_files for i in self.paths.get(f, [])]
            s.lock.notify_all()
        took = time.perf_counter() - started
        if problems:
            self.say(f"{len(problems)} problem(s); the page shows them, dist/ keeps the last good outputs:")
            for line in problems:
                self.say(f"  {line}")
            return False
        self.say(f"preview updated in {took:.2f} s" + (f" ({', '.join(s.changed)})" if s.changed else ""))
        try:
            cards = cards_page(project)  # the cards view follows the preview (a request for it waits)
        except Exception as exc:
            self.say(f"  {_internal(exc)}")
            cards = f"<!DOCTYPE html><title>cards</title><p>{html.escape(_internal(exc))}</p>"
        with self.state.lock:
            self.state.cards, self.state.cards_version = cards, s.version
            self.state.lock.notify_all()
        return True

    # --- the deck and the PDFs, in a process of their own -------------------------------------

    def rebuild_outputs(self) -> None:
        """Stop a build still running for an older save, and start one for this one."""
        self.stop_builder()
        self._set_outputs("running", "")
        cmd = [sys.executable, "-m", "studydeck", "--root", str(self.options.root), *self.argv]
        with self.builder_lock:
            self.builder = subprocess.Popen(
                cmd,
                cwd=self.options.root,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                errors="replace",
                start_new_session=False,
            )
            builder = self.builder
        threading.Thread(target=self._wait_builder, args=(builder,), daemon=True).start()

    def _wait_builder(self, builder: subprocess.Popen) -> None:
        out, err = builder.communicate()
        with self.builder_lock:
            if builder is not self.builder:
                return  # stopped for a newer save
            self.builder = None
        if builder.returncode == 0:
            summary = next((ln for ln in out.splitlines() if "->" in ln), "")
            self._set_outputs("current", summary)
            self.say(f"deck and PDFs current in dist/: {summary}")
            for line in err.splitlines():
                self.say(f"  {line}")
        elif builder.returncode not in (130, -signal.SIGTERM):
            self._set_outputs("failed", err.strip().splitlines()[-1] if err.strip() else "")
            self.say("deck and PDFs not rebuilt; dist/ keeps the last good ones:")
            for line in err.splitlines():
                self.say(f"  {line}")

    def stop_builder(self) -> None:
        with self.builder_lock:
            builder, self.builder = self.builder, None
        if builder is not None and builder.poll() is None:
            builder.terminate()  # the build stops its workers and removes its temporary files
            try:
                builder.wait(timeout=10)
            except subprocess.TimeoutExpired:
                builder.kill()
                builder.wait()

    def _set_outputs(self, state: str, message: str) -> None:
        with self.state.lock:
            self.state.outputs = {"state": state, "message": message, "at": datetime.now().strftime("%H:%M:%S")}
            self.state.lock.notify_all()

    # --- watching -----------------------------------------------------------------------------

    def watch(self, changes: queue.Queue) -> None:
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
            if self.refresh(files):
                self.rebuild_outputs()
            else:
                self.stop_builder()
                self._set_outputs("stale", "the entries have problems: fix them and the deck and PDFs follow")

    def _watcher(self, changes: queue.Queue, paths: list[Path], recursive: bool, only: set[str] | None) -> None:
        import watchfiles

        def wanted(change, path: str) -> bool:
            return (only is None or os.path.basename(path) in only) and watchfiles.DefaultFilter()(change, path)

        for batch in watchfiles.watch(
            *paths,
            watch_filter=wanted,
            step=STEP_MS,
            stop_event=self.stop,
            recursive=recursive,
            raise_interrupt=False,
            rust_timeout=500,
        ):
            changes.put({Path(p) for _, p in batch})

    def start_watchers(self) -> queue.Queue:
        root, changes = self.options.root, queue.Queue()
        folders = [p for p in (root / "entries", root / "templates") if p.is_dir()]
        jobs = [(folders, True, None), ([root], False, {"pyproject.toml"})]  # the root alone: not .venv, dist/
        for paths, recursive, only in jobs:
            threading.Thread(target=self._watcher, args=(changes, paths, recursive, only), daemon=True).start()
        return changes


def _internal(exc: Exception) -> str:
    """An unexpected error, in one line: where in our code, so it can be reported."""
    import traceback

    frame = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
    where = f" ({Path(frame.filename).name}:{frame.lineno})" if frame else ""
    return f"internal error{where}: {type(exc).__name__}: {exc}; please report it"


def _relative(root: Path, path: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)


# --- the server ---------------------------------------------------------------------------------


def _with_live(page: str, state: State, live: str, fonts: bool = False) -> str:
    """A served page: the page itself, with the status bar and the script that keeps it current
    (and, for a page that has none of its own, the deck's fonts for the bar's words)."""
    status = json.dumps(state.status())
    bar = f'<div id="sd-live" class="sd-live" data-status="{html.escape(status, quote=True)}" role="status"></div>'
    style = f"<style>\n{state.font_css}\n</style>\n" if fonts else ""
    script = "<script>\n" + live.replace("</", "<\\/") + "\n</script>"
    return page.replace("</body>", f"{style}{bar}\n{script}\n</body>", 1)


def _error_page(problems: list[str], root: Path, live: str) -> str:
    """The page while the files have problems: each as the terminal shows it, file:line:col first.
    It is set in the bundled font, subset to its own characters (a message may quote any entry)."""
    from studydeck import fonts
    from studydeck.gather.project import FONT_CACHE
    from studydeck.gather.reads import Reads

    title = f"문제 {len(problems)}개"
    note = "파일을 고치면 이 페이지가 저절로 원래대로 돌아옵니다. dist/에는 마지막으로 성공한 빌드의 결과가 그대로 있습니다."
    text = frozenset(title + note + "".join(problems) + live)  # live.js: the status bar's words
    try:
        faces = fonts.web_fonts(Reads(root), root / "templates", text, text, root / FONT_CACHE)
        font_css = fonts.css(faces, url=fonts.WebFont.data_url)
    except (StudydeckError, OSError):
        font_css = ""
    items = "\n".join(f"<li><code>{html.escape(p)}</code></li>" for p in problems)
    return f"""<!DOCTYPE html>
<html lang="ko"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
{font_css}
body {{ margin: 0; padding: 1.25rem; background: #fff8f7; color: #3b0a06;
       font-family: "StudyDeck Sans", "Pretendard", sans-serif; word-break: keep-all; }}
h1 {{ font-size: 1.3rem; margin: 0 0 0.5rem; }}
ul {{ padding-left: 1.2rem; }}
li {{ margin: 0.5rem 0; }}
code {{ font-family: "StudyDeck Mono", "StudyDeck Sans", monospace; white-space: pre-wrap; overflow-wrap: anywhere; }}
</style></head>
<body class="sd-error">
<h1>{title}</h1>
<p>{note}</p>
<ul>
{items}
</ul>
</body></html>
"""


class _Handler(BaseHTTPRequestHandler):
    """The preview server's requests; `watch` and `port_box` are set by _handler()."""

    watch: Watch
    port_box: list[int]
    server_version = "studydeck"
    sys_version = ""
    timeout = 10  # seconds a client may take to send its request, or to take a write: no slowloris

    def log_message(self, *args) -> None:  # quiet: the terminal is for the build
        pass

    def _host_ok(self) -> bool:
        # A page on another site cannot reach this server through a name it controls
        # (DNS rebinding): only the loopback names are answered, and only one Host.
        hosts = self.headers.get_all("Host") or []
        return len(hosts) == 1 and hosts[0] in (f"{HOST}:{self.port_box[0]}", f"localhost:{self.port_box[0]}")

    def _send(self, code: int, body: str, kind: str = "text/html; charset=utf-8") -> None:
        data = body.encode("utf-8")
        self.send_response(code)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)  # a browser that went away: _Server.handle_error says nothing

    def do_HEAD(self) -> None:
        self.do_GET()

    def do_GET(self) -> None:
        state = self.watch.state
        if not self._host_ok():
            return self._send(403, "forbidden: use http://127.0.0.1:PORT/", "text/plain; charset=utf-8")
        path = self.path.split("?", 1)[0]
        if path == "/events":
            return self._events()
        if path not in ("/", "/cards"):
            return self._send(404, "not found: this server serves / and /cards only", "text/plain; charset=utf-8")
        with state.lock:
            if path == "/cards":  # made just after the preview: wait for it
                state.lock.wait_for(lambda: state.problems or state.cards_version == state.version, 60)
            page = state.error_page if state.problems else {"/": state.preview, "/cards": state.cards}[path]
            page = _with_live(page, state, self.watch.live, fonts=path == "/cards" and not state.problems)
        self._send(200, page)

    def do_POST(self) -> None:
        self._send(405, "method not allowed", "text/plain; charset=utf-8")

    do_PUT = do_DELETE = do_PATCH = do_POST

    def _events(self) -> None:
        """Server-sent events: 'update' when the pages change, 'status' when the outputs do."""
        state = self.watch.state
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        seen = None
        try:
            while not self.watch.stop.is_set():
                with state.lock:
                    status = state.status()
                    if status == seen:
                        state.lock.wait(timeout=15)
                        status = state.status()
                    changed = list(state.changed)
                if status == seen:
                    self.wfile.write(b": keep-alive\n\n")
                else:
                    kind = "update" if seen is None or status["version"] != seen["version"] else "status"
                    data = json.dumps({**status, "changed": changed})
                    self.wfile.write(f"event: {kind}\ndata: {data}\n\n".encode())
                    seen = status
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError, TimeoutError):
            pass


MAX_CLIENTS = 32  # connections served at once; more are turned away with 503 (each costs a thread)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 64

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.slots = threading.BoundedSemaphore(MAX_CLIENTS)

    def process_request(self, request, client_address) -> None:
        if not self.slots.acquire(blocking=False):
            with contextlib.suppress(OSError):
                request.sendall(
                    b"HTTP/1.0 503 Service Unavailable\r\nContent-Type: text/plain\r\nContent-Length: 31\r\n"
                    b"Connection: close\r\n\r\ntoo many connections; try again"
                )
            self.shutdown_request(request)
            return
        super().process_request(request, client_address)

    def process_request_thread(self, request, client_address) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self.slots.release()

    def handle_error(self, request, client_address) -> None:
        """A client that went away is nothing to report; anything else, one line, not a traceback."""
        exc = sys.exc_info()[1]
        if not isinstance(exc, (ConnectionError, TimeoutError)):
            print(f"preview server: {_internal(exc)}", file=sys.stderr, flush=True)


def _handler(watch: Watch, port_box: list[int]) -> type[_Handler]:
    return type("Handler", (_Handler,), {"watch": watch, "port_box": port_box})


def run(options: Options, argv: list[str], say: Callable[[str], None], port: int = 0) -> int:
    """Serve and watch until Ctrl-C (or SIGTERM); then stop everything this started."""
    watch = Watch(options, argv, say)
    # Ctrl-C and SIGTERM (also twice, or both at once) only raise a flag the loop below reads: a
    # handler takes no lock (a second signal inside it would wait for itself), and the stopping
    # itself is never interrupted halfway.
    previous = {
        sig: signal.signal(sig, lambda *_: setattr(watch, "interrupted", True))
        for sig in (signal.SIGINT, signal.SIGTERM, *([signal.SIGHUP] if hasattr(signal, "SIGHUP") else []))
    }
    server = None
    try:
        watch.refresh([])
        port_box = [0]
        server = _Server((HOST, port), _handler(watch, port_box))
        port_box[0] = server.server_address[1]
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True).start()
        say(f"serving the preview at http://{HOST}:{port_box[0]}/ (cards: http://{HOST}:{port_box[0]}/cards)")
        say(f"watching entries/, templates/ and pyproject.toml in {options.root}; Ctrl-C stops")
        changes = watch.start_watchers()
        if not watch.state.problems and not watch.interrupted:
            watch.rebuild_outputs()
        watch.watch(changes)
    finally:
        watch.stop.set()
        with watch.state.lock:
            watch.state.lock.notify_all()
        if server is not None:
            server.shutdown()
            server.server_close()
        watch.stop_builder()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        say("stopped")
    return 0
