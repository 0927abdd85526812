"""Headless Chromium driven over the DevTools protocol on a pipe (--remote-debugging-pipe): no
port, no websocket, standard library only. For the tests that look at a page as a browser
shows it (tests/test_cards_browser.py) and benchmarks/cards.py.

    with Chromium() as browser:
        page = browser.page(1280, 900)
        page.goto(path.as_uri())
        page.eval("document.title")
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import queue
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def executable() -> str | None:
    """The browser to run: $STUDYDECK_CHROMIUM, or the first Chromium on PATH."""
    if os.environ.get("STUDYDECK_CHROMIUM"):
        return os.environ["STUDYDECK_CHROMIUM"]
    return next((p for p in map(shutil.which, CANDIDATES) if p), None)


class BrowserError(RuntimeError):
    pass


class Chromium:
    def __init__(self, path: str | None = None, timeout: float = 60):
        self.path = path or executable()
        if not self.path:
            raise BrowserError("no Chromium found (apt-get install chromium)")
        self.timeout = timeout
        self.profile = tempfile.mkdtemp(prefix="studydeck-chromium-")
        to_browser_r, self._to_browser = os.pipe()
        self._from_browser, from_browser_w = os.pipe()

        def fds():  # the protocol's pipe: the browser reads fd 3 and writes fd 4
            os.dup2(to_browser_r, 3)
            os.dup2(from_browser_w, 4)

        self.proc = subprocess.Popen(
            [
                self.path,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--no-first-run",
                "--no-default-browser-check",
                f"--user-data-dir={self.profile}",
                "--remote-debugging-pipe",
                "about:blank",
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=fds,
            pass_fds=(3, 4),
        )
        os.close(to_browser_r)
        os.close(from_browser_w)
        self._next = 0
        self._replies: dict[int, queue.Queue] = {}
        self._events: dict[str, queue.Queue] = {}  # session id ("" for the browser) -> events
        self._lock = threading.Lock()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        buf = b""
        with os.fdopen(self._from_browser, "rb", buffering=0) as pipe:
            while chunk := pipe.read(1 << 16):
                buf += chunk
                *messages, buf = buf.split(b"\0")
                for raw in messages:
                    msg = json.loads(raw)
                    if "id" in msg:
                        self._replies.pop(msg["id"]).put(msg)
                    else:
                        self._queue(msg.get("sessionId", "")).put(msg)

    def _queue(self, session: str) -> queue.Queue:
        with self._lock:
            return self._events.setdefault(session, queue.Queue())

    def call(self, method: str, params: dict | None = None, session: str = "", timeout: float | None = None):
        with self._lock:
            self._next += 1
            mid = self._next
            box = self._replies[mid] = queue.Queue()
        msg = {"id": mid, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self._to_browser, json.dumps(msg).encode() + b"\0")
        try:
            reply = box.get(timeout=timeout or self.timeout)
        except queue.Empty:
            raise BrowserError(f"{method}: no answer in {timeout or self.timeout} s") from None
        if "error" in reply:
            raise BrowserError(f"{method}: {reply['error'].get('message')}")
        return reply["result"]

    def page(self, width: int, height: int, dark: bool = False) -> Page:
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        page = Page(self, session)
        page.call("Page.enable")
        page.call("Runtime.enable")
        page.size(width, height)
        page.dark(dark)
        return page

    def close(self) -> None:
        with contextlib.suppress(BrowserError, OSError):
            self.call("Browser.close", timeout=10)
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self._to_browser)
        shutil.rmtree(self.profile, ignore_errors=True)

    def __enter__(self) -> Chromium:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class Page:
    def __init__(self, browser: Chromium, session: str):
        self.browser, self.session = browser, session
        self.errors: list[str] = []

    def call(self, method: str, params: dict | None = None, timeout: float | None = None):
        return self.browser.call(method, params, self.session, timeout)

    def events(self, name: str, timeout: float | None = None):
        """Wait for the next event `name` on this page; the others seen meanwhile are noted."""
        box = self.browser._queue(self.session)
        end = time.monotonic() + (timeout or self.browser.timeout)
        while (left := end - time.monotonic()) > 0:
            try:
                msg = box.get(timeout=left)
            except queue.Empty:
                break
            self._note(msg)
            if msg["method"] == name:
                return msg["params"]
        raise BrowserError(f"no {name} in {timeout or self.browser.timeout} s")

    def _note(self, msg: dict) -> None:
        if msg["method"] == "Runtime.exceptionThrown":
            d = msg["params"]["exceptionDetails"]
            self.errors.append(d.get("exception", {}).get("description") or d.get("text", "?"))

    def size(self, width: int, height: int) -> None:
        self.call(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
        )

    def dark(self, on: bool) -> None:
        """The system's colour scheme as the page's prefers-color-scheme sees it."""
        self.call(
            "Emulation.setEmulatedMedia",
            {"features": [{"name": "prefers-color-scheme", "value": "dark" if on else "light"}]},
        )

    def goto(self, url: str) -> None:
        self.call("Page.navigate", {"url": url})
        self.events("Page.loadEventFired")

    def eval(self, expression: str, timeout: float | None = None):
        """The value of a JavaScript expression (a promise is awaited), as JSON."""
        got = self.call(
            "Runtime.evaluate",
            {"expression": expression, "awaitPromise": True, "returnByValue": True, "timeout": 1000 * (timeout or 60)},
            timeout=timeout,
        )
        if "exceptionDetails" in got:
            d = got["exceptionDetails"]
            raise BrowserError(d.get("exception", {}).get("description") or d.get("text", "?"))
        return got["result"].get("value")

    def wait(self, expression: str, timeout: float = 60) -> object:
        """Poll until the expression is truthy; its value."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if value := self.eval(expression):
                return value
            time.sleep(0.05)
        raise BrowserError(f"still false after {timeout} s: {expression}")

    def screenshot(self, path: Path, full: bool = False) -> Path:
        params = {"format": "png", "captureBeyondViewport": full}
        if full:
            w, h = self.eval("[document.documentElement.scrollWidth, document.documentElement.scrollHeight]")
            params["clip"] = {"x": 0, "y": 0, "width": w, "height": h, "scale": 1}
        Path(path).write_bytes(base64.b64decode(self.call("Page.captureScreenshot", params)["data"]))
        return Path(path)
