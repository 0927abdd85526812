"""build.py --watch, run as a user runs it: a served page that follows the files, and a clean stop."""

from __future__ import annotations

import html
import http.client
import json
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from conftest import SMALL_STEM, copy_project, outputs, small_project

from studydeck.watch import server
from studydeck.watch.state import State

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="reads /proc")


class Watching:
    """A `build.py --watch` process, its output lines and its server-sent events."""

    def __init__(self, project: Path, tmp: Path, *args: str):
        env = {k: v for k, v in os.environ.items() if k not in ("SOURCE_DATE_EPOCH", "STUDYDECK_VERSION")}
        env.update(TMPDIR=str(tmp), PYTHONUNBUFFERED="1")
        self.proc = subprocess.Popen(
            [sys.executable, "build.py", "--watch", *args],
            cwd=project,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.log: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()
        line = self.wait_line(r"serving the preview at http://127\.0\.0\.1:(\d+)/")
        self.port = int(re.search(r":(\d+)/", line).group(1))
        self.events: queue.Queue[tuple[str, dict]] = queue.Queue()
        threading.Thread(target=self._listen, daemon=True).start()
        self.next_event("update")  # the current state, sent on connecting

    def _read(self):
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))

    def wait_line(self, pattern: str, timeout: float = 60) -> str:
        end = time.time() + timeout
        while time.time() < end:
            try:
                line = self.lines.get(timeout=0.2)
            except queue.Empty:
                continue
            self.log.append(line)
            if re.search(pattern, line):
                return line
        raise AssertionError(f"no line matching {pattern!r} in:\n" + "\n".join(self.log))

    def _listen(self):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        conn.request("GET", "/events")
        response = conn.getresponse()
        kind = None
        for raw in response:
            line = raw.decode().rstrip("\n")
            if line.startswith("event: "):
                kind = line[7:]
            elif line.startswith("data: "):
                self.events.put((kind, json.loads(line[6:])))

    def next_event(self, kind: str, until=lambda e: True, timeout: float = 60) -> dict:
        end = time.time() + timeout
        while time.time() < end:
            try:
                got, data = self.events.get(timeout=0.2)
            except queue.Empty:
                continue
            if (got == kind or kind == "any") and until(data):
                return data
        raise AssertionError(f"no {kind} event in {timeout} s")

    def get(self, path: str, method: str = "GET", host: str | None = None) -> tuple[int, str]:
        return _get(self.port, path, method, host)


def _get(port: int, path: str, method: str = "GET", host: str | None = None) -> tuple[int, str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request(method, path, headers={"Host": host or f"127.0.0.1:{port}"})
    response = conn.getresponse()
    return response.status, response.read().decode("utf-8", "replace")


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text("utf-8")
    assert old in text
    path.write_text(text.replace(old, new), "utf-8")


def test_the_page_follows_each_save_and_shows_a_bad_one(tmp_path):
    project = small_project(tmp_path / "p")  # two entries: the watch, not the content
    w = Watching(project, tmp_path)
    try:
        status, page = w.get("/")
        assert status == 200 and '<article class="entry" id="entry-alpha">' in page
        assert 'id="sd-live"' in page and 'new EventSource("/events")' in page
        assert w.get("/cards")[0] == 200
        w.next_event("any", lambda e: e["state"] == "current", timeout=120)  # the first deck and PDFs
        apkg = outputs(project, SMALL_STEM)["apkg"].read_bytes()

        entry = project / "entries" / "alpha.yaml"
        _edit(entry, "title: 퓽 알파\n", "title: 퓽 알파 워치\n")
        update = w.next_event("update", lambda e: e["problems"] == 0 and "alpha" in e["changed"])
        assert '<h3><a class="self" href="#entry-alpha">퓽 알파 워치</a></h3>' in w.get("/")[1]
        assert "알파 워치" in w.get("/cards")[1]
        w.wait_line(r"preview updated in \d+\.\d\d s \(alpha\)")

        # a bad save: the page itself (as a reload fetches it) lists the problem, as the terminal does
        _edit(entry, "group: object\n", "group: [object\n")
        bad = w.next_event("update", lambda e: e["version"] > update["version"] and e["problems"] > 0)
        status, page = w.get("/")
        assert status == 200 and re.search(r"<h1>문제 \d+개</h1>", page)
        problem = re.search(r"<li><code>(entries/alpha\.yaml:\d+:\d+: [^<]*)</code></li>", page).group(1)
        assert len(html.unescape(problem).split("\n")) == 3  # a YAML error: the message, its line, a caret
        for line in html.unescape(problem).split("\n"):  # the terminal shows the same lines
            w.wait_line("^" + re.escape("  " + line) + "$")
        assert re.search(r"<h1>문제 \d+개</h1>", w.get("/cards")[1])
        assert outputs(project, SMALL_STEM)["apkg"].read_bytes() == apkg  # dist/ keeps the last good outputs

        _edit(entry, "group: [object\n", "group: object\n")
        w.next_event("update", lambda e: e["version"] > bad["version"] and e["problems"] == 0)
        assert '<article class="entry" id="entry-alpha">' in w.get("/")[1]
        w.next_event("any", lambda e: e["state"] == "current", timeout=120)
        assert "알파 워치" in outputs(project, SMALL_STEM)["html"].read_text("utf-8")  # rebuilt in the background
        assert outputs(project, SMALL_STEM)["apkg"].read_bytes() != apkg

        # a card-quality warning: above the page at once, as --strict would refuse it, and gone when fixed
        beta = project / "entries" / "beta.yaml"
        _edit(beta, "{{c1::베타}}", "{{c1::베타::베타}}")
        warned = w.next_event("update", lambda e: e["warnings"] == 1)
        page = w.get("/")[1]
        warning = re.search(r'<aside id="sd-warnings".*?<li><code>(entries/beta\.yaml:\d+:\d+: [^<]*)</code>', page)
        assert warning and warning.group(1).endswith("[hint]"), page[:2000]
        assert 'id="sd-warnings"' in w.get("/cards")[1]
        w.wait_line(re.escape("  " + html.unescape(warning.group(1))))
        _edit(beta, "{{c1::베타::베타}}", "{{c1::베타}}")
        w.next_event("update", lambda e: e["version"] > warned["version"] and e["warnings"] == 0)
        assert 'id="sd-warnings"' not in w.get("/")[1]
    finally:
        w.proc.send_signal(signal.SIGINT)
        w.proc.wait(timeout=30)


def _descendants(pid: int) -> set[int]:
    parents = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(stat.parent.name)] = int(fields[1])
    found, todo = set(), [pid]
    while todo:
        p = todo.pop()
        for child, parent in parents.items():
            if parent == p and child not in found:
                found.add(child)
                todo.append(child)
    return found


def _listening(port: int) -> list[str]:
    """The local addresses listening on port (from /proc/net/tcp and tcp6), as hex."""
    out = []
    for name in ("tcp", "tcp6"):
        for line in Path(f"/proc/net/{name}").read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hexport = local.rsplit(":", 1)
            if state == "0A" and int(hexport, 16) == port:
                out.append(address)
    return out


def test_only_loopback_only_the_pages_and_nothing_left_after_ctrl_c(tmp_path):
    project = copy_project(tmp_path / "p")
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    w = Watching(project, scratch)
    try:
        assert _listening(w.port) == ["0100007F"]  # 127.0.0.1, nothing else, no IPv6
        for path in ("/pyproject.toml", "/entries/pod.yaml", "/dist/", "/../pyproject.toml", "/favicon.ico"):
            assert w.get(path)[0] == 404, path
        assert w.get("/", host="attacker.example:80")[0] == 403  # DNS rebinding
        assert w.get("/", method="POST")[0] == 405
        raw = socket.create_connection(("127.0.0.1", w.port))  # two Hosts, the good one first
        raw.sendall(f"GET / HTTP/1.1\r\nHost: 127.0.0.1:{w.port}\r\nHost: attacker.example\r\n\r\n".encode())
        assert raw.recv(64).startswith(b"HTTP/1.0 403")
        raw.close()
        for _ in range(3):  # a browser that leaves in the middle of a page: nothing to report
            raw = socket.create_connection(("127.0.0.1", w.port))
            raw.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            raw.sendall(f"GET /cards HTTP/1.1\r\nHost: 127.0.0.1:{w.port}\r\n\r\n".encode())
            raw.close()
        assert w.get("/")[0] == 200
        # stop while the background build runs (its PDF workers too)
        _edit(project / "entries" / "pod.yaml", "title: Pod\n", "title: Pod 중지\n")
        w.next_event("any", lambda e: e["state"] == "running" and "pod" in e["changed"])
        time.sleep(0.5)
        children = _descendants(w.proc.pid)
        assert children  # the build, and its workers
    finally:
        # Ctrl-C, and a SIGTERM right behind it (a terminal and a process manager both stopping it)
        w.proc.send_signal(signal.SIGINT)
        w.proc.send_signal(signal.SIGTERM)
        code = w.proc.wait(timeout=30)
    assert code == 0
    w.wait_line("^stopped$")
    assert not [line for line in w.log if "Traceback" in line or "Error" in line], w.log
    time.sleep(0.5)
    assert not [p for p in children if Path(f"/proc/{p}").exists()]
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", w.port), timeout=2)
    assert list(scratch.iterdir()) == []  # no temporary files left


def test_silent_clients_are_turned_away_then_dropped_after_the_timeout(monkeypatch):
    """Many clients that open a connection and send nothing (slowloris): the server turns the
    surplus away at once, and drops the silent ones after its timeout (1 s here, 10 s shipped),
    in process, on the server `--watch` starts."""
    monkeypatch.setattr(server.Handler, "timeout", 1)
    watch = type("Watch", (), {"state": State(preview="<p>preview</p>"), "stop": threading.Event()})()
    srv = server.serve(watch)
    port = srv.server_address[1]
    try:
        assert _get(port, "/")[0] == 200
        idle = [socket.create_connection(("127.0.0.1", port)) for _ in range(server.MAX_CLIENTS + 4)]
        opened = time.monotonic()
        while _get(port, "/")[0] != 503:  # the server has taken the idle ones in
            assert time.monotonic() - opened < 5
            time.sleep(0.05)
        while _get(port, "/")[0] != 200:  # until it drops them: after its timeout, not before
            assert time.monotonic() - opened < 1 + 5
            time.sleep(0.1)
        assert time.monotonic() - opened >= 1 - 0.5
        for conn in idle:
            conn.close()
    finally:
        watch.stop.set()
        srv.shutdown()
        srv.server_close()
