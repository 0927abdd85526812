"""Watch mode latency: from saving an entry to the preview page that shows it.

    .venv/bin/python benchmarks/watch.py                 # N = 12 and 1,000; 10 saves each
    .venv/bin/python benchmarks/watch.py --sizes 12 --saves 20

For each N it copies the project (bench.py's projects: the real 12 entries, or synthetic ones),
starts `python build.py --watch`, waits until the first deck and PDFs are built, then saves one
entry (a new title) again and again, each after the previous background build is done or
stopped. It times, from the write: the server-sent `update` event that tells an open page (the
preview is made), and that event plus fetching the new page, as the page's script does (what
the reader waits for; the browser then swaps the page in, about 0.1 s more for N = 1,000).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import queue
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench import machine, make_project  # noqa: E402


def _events(port: int, out: queue.Queue) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    conn.request("GET", "/events")
    kind = None
    for raw in conn.getresponse():
        line = raw.decode().rstrip("\n")
        if line.startswith("event: "):
            kind = line[7:]
        elif line.startswith("data: "):
            out.put((time.perf_counter(), kind, json.loads(line[6:])))


def _wait(events: queue.Queue, test, timeout: float = 600.0) -> tuple[float, dict]:
    end = time.perf_counter() + timeout
    while time.perf_counter() < end:
        try:
            at, _, data = events.get(timeout=0.5)
        except queue.Empty:
            continue
        if test(data):
            return at, data
    raise RuntimeError("no such event")


def measure(n: int, saves: int, workdir: Path) -> dict:
    project = make_project(workdir / f"n{n}", n)
    proc = subprocess.Popen(
        [sys.executable, "build.py", "--watch"],
        cwd=project,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        port = None
        for line in proc.stdout:
            if m := re.search(r"http://127\.0\.0\.1:(\d+)/", line):
                port = int(m.group(1))
                break
        threading.Thread(target=lambda: [None for _ in proc.stdout], daemon=True).start()
        events: queue.Queue = queue.Queue()
        threading.Thread(target=_events, args=(port, events), daemon=True).start()
        _wait(events, lambda e: e["state"] == "current")
        entry = sorted((project / "entries").glob("*.yaml"))[n // 2]
        text = entry.read_text("utf-8")
        title = re.search(r"(?m)^title: (.*)$", text).group(1)
        event_times, page_times = [], []
        for i in range(saves):
            new = f"{title} {i}"
            start = time.perf_counter()
            entry.write_text(text.replace(f"title: {title}", f"title: {new}", 1), "utf-8")
            at, data = _wait(events, lambda e: e["problems"] == 0 and e["changed"])
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            conn.request("GET", "/")
            page = conn.getresponse().read().decode()
            done = time.perf_counter()
            assert new in page
            event_times.append(at - start)
            page_times.append(done - start)
            _wait(events, lambda e: e["state"] in ("current", "failed"))  # let the background build finish
            time.sleep(0.2)
        return {
            "n": n,
            "event": statistics.median(event_times),
            "event_max": max(event_times),
            "page": statistics.median(page_times),
            "page_max": max(page_times),
            "page_kb": len(page.encode()) // 1024,
        }
    finally:
        proc.terminate()
        proc.wait(timeout=60)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="12,1000")
    parser.add_argument("--saves", type=int, default=10)
    args = parser.parse_args()
    print(machine())
    print("| N | save -> update event (median / max) | save -> page fetched (median / max) | page size |")
    print("|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for n in (int(s) for s in args.sizes.split(",")):
            r = measure(n, args.saves, Path(tmp))
            print(
                f"| {r['n']:,} | {r['event']:.2f} / {r['event_max']:.2f} s | {r['page']:.2f} / {r['page_max']:.2f} s "
                f"| {r['page_kb']:,} KB |",
                flush=True,
            )


if __name__ == "__main__":
    main()
