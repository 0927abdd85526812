"""The deck and the PDFs, rebuilt into dist/ after each good save by a build in a process of its
own (`python -m studydeck`, the same command as build.py), stopped and started again by the next."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from datetime import datetime

from studydeck.model import Options
from studydeck.watch.state import State


class Builder:
    def __init__(self, options: Options, argv: list[str], say: Callable[[str], None], state: State):
        self.options, self.argv, self.say, self.state = options, argv, say, state
        self.process: subprocess.Popen | None = None
        self.lock = threading.Lock()

    def start(self) -> None:
        """Stop a build still running for an older save, and start one for this one."""
        self.stop()
        self.set_outputs("running", "")
        cmd = [sys.executable, "-m", "studydeck", "--root", str(self.options.root), *self.argv]
        with self.lock:
            self.process = subprocess.Popen(
                cmd,
                cwd=self.options.root,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                errors="replace",
                start_new_session=False,
            )
            process = self.process
        threading.Thread(target=self._wait, args=(process,), daemon=True).start()

    def _wait(self, process: subprocess.Popen) -> None:
        out, err = process.communicate()
        with self.lock:
            if process is not self.process:
                return  # stopped for a newer save
            self.process = None
        if process.returncode == 0:
            summary = next((ln for ln in out.splitlines() if "->" in ln), "")
            self.set_outputs("current", summary)
            self.say(f"deck and PDFs current in dist/: {summary}")
            for line in err.splitlines():
                self.say(f"  {line}")
        elif process.returncode not in (130, -signal.SIGTERM):
            self.set_outputs("failed", err.strip().splitlines()[-1] if err.strip() else "")
            self.say("deck and PDFs not rebuilt; dist/ keeps the last good ones:")
            for line in err.splitlines():
                self.say(f"  {line}")

    def stop(self) -> None:
        with self.lock:
            process, self.process = self.process, None
        if process is not None and process.poll() is None:
            process.terminate()  # the build stops its workers and removes its temporary files
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def set_outputs(self, state: str, message: str) -> None:
        with self.state.lock:
            self.state.outputs = {"state": state, "message": message, "at": datetime.now().strftime("%H:%M:%S")}
            self.state.lock.notify_all()
