"""The preview server: / (the preview), /cards (the cards view) and /events (server-sent events
that tell an open page to update), on the loopback interface only, to the loopback names only
(no DNS rebinding), with a time limit per request and a limit on connections. Nothing else from
disk is served."""

from __future__ import annotations

import contextlib
import html
import json
import re
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING

from studydeck.watch.state import State, internal

if TYPE_CHECKING:
    from studydeck.watch import Watch

HOST = "127.0.0.1"


def _with_live(page: str, state: State, fonts: bool = False) -> str:
    """A served page: the page itself, with the status bar and the script that keeps it current
    (and, for a page that has none of its own, the deck's fonts for the bar's words)."""
    status = json.dumps(state.status())
    bar = f'<div id="sd-live" class="sd-live" data-status="{html.escape(status, quote=True)}" role="status"></div>'
    style = f"<style>\n{state.font_css}\n</style>\n" if fonts else ""
    script = "<script>\n" + state.live.replace("</", "<\\/") + "\n</script>"
    if state.warnings and not state.problems:
        page = re.sub(r"<body[^>]*>", lambda m: m.group(0) + _warnings(state.warnings), page, count=1)
    return page.replace("</body>", f"{style}{bar}\n{script}\n</body>", 1)


def _warnings(warnings: list[str]) -> str:
    """The card-quality warnings above the page, as the terminal and --strict see them. In a
    system monospace font first: the page's own fonts are subset to its text, which the
    messages' words may not be in (the entry text they quote is)."""
    items = "".join(f"<li><code>{html.escape(w)}</code></li>" for w in warnings)
    return (
        '<aside id="sd-warnings" role="note" style="margin:0;padding:0.6rem 1rem;background:#fff6d6;'
        "color:#3d2e00;border-bottom:2px solid #c99a00;font:0.85rem/1.4 'DejaVu Sans Mono',Menlo,Consolas,"
        "'StudyDeck Mono','StudyDeck Sans',monospace\">"
        f"<strong>{len(warnings)} warning(s)</strong>: card quality; the build makes them, --strict (CI) refuses them"
        f'<ul style="margin:0.3rem 0 0;padding-left:1.2rem;white-space:pre-wrap;overflow-wrap:anywhere">{items}</ul>'
        "</aside>"
    )


class Handler(BaseHTTPRequestHandler):
    """The preview server's requests; `watch` and `port_box` are set by serve()."""

    watch: Watch  # state, stop
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
            self.wfile.write(data)  # a browser that went away: Server.handle_error says nothing

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
            page = _with_live(page, state, fonts=path == "/cards" and not state.problems)
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


class Server(ThreadingHTTPServer):
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
            print(f"preview server: {internal(exc)}", file=sys.stderr, flush=True)


def serve(watch: Watch, port: int = 0) -> Server:
    """The server, serving in a thread of its own on 127.0.0.1:port (0: a free port)."""
    port_box = [0]
    server = Server((HOST, port), type("Handler", (Handler,), {"watch": watch, "port_box": port_box}))
    port_box[0] = server.server_address[1]
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True).start()
    return server
