"""The cards view's cost: python benchmarks/cards.py [--sizes 12,1000] [--runs 5]

For each N (bench.py's projects: the real 12 entries, or N synthetic ones) it gathers the project
once, then times making the page (studydeck.outputs.cards.page, its card rendering cache emptied
each time: what a cold `build.py --only deck` spends on it) and gives its size. With Chromium
(tests/chromium.py) it also opens the file at 1280x900 and times the load event and, where the
page measures its cards (window.studydeckCards), the moment every card is measured; and the
frames on screen and the page's JavaScript heap then.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests"))
from bench import ROOT, make_project  # noqa: E402


def page_cost(project_dir: Path, runs: int) -> tuple[float, str, int]:
    sys.path.insert(0, str(ROOT))
    from studydeck.gather.project import gather
    from studydeck.gather.reads import Reads
    from studydeck.model import Options
    from studydeck.outputs import cards

    project = gather(Options(project_dir, project_dir / "dist", "deck"), Reads(project_dir))
    times, text = [], ""
    for _ in range(runs):
        cards._sides.cache_clear()
        start = time.perf_counter()
        text = cards.page(project)
        times.append(time.perf_counter() - start)
    return statistics.median(times), text, sum(len(n.ordinals) for n in project.notes)


def browser_cost(path: Path) -> dict | None:
    try:
        from chromium import Chromium, executable
    except ImportError:
        return None
    if not executable():
        return None
    with Chromium() as browser:
        page = browser.page(1280, 900)
        start = time.perf_counter()
        page.goto(path.as_uri())
        out = {"load": time.perf_counter() - start}
        if page.eval("typeof window.studydeckCards === 'object'"):
            page.wait("studydeckCards.measured()", 600)
            out["measured"] = time.perf_counter() - start
        out["frames"] = page.eval("document.querySelectorAll('iframe').length")
        page.call("Performance.enable")
        metrics = {m["name"]: m["value"] for m in page.call("Performance.getMetrics")["metrics"]}
        out["heap"] = metrics.get("JSHeapUsedSize", 0) / 2**20
        out["documents"] = metrics.get("Documents", 0)
        return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="12,1000")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    print("| N | cards | make the page | file | load event | every card measured | frames | JS heap | documents |")
    print("|---|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for n in (int(s) for s in args.sizes.split(",")):
            project = make_project(Path(tmp) / f"n{n}", n)
            seconds, text, count = page_cost(project, args.runs)
            path = Path(tmp) / f"cards-{n}.html"
            path.write_text(text, "utf-8")
            b = browser_cost(path) or {}
            measured = f"{b['measured']:.2f} s" if "measured" in b else "-"
            load = f"{b['load']:.2f} s" if b else "-"
            print(
                f"| {n} | {count} | {seconds:.3f} s | {len(text.encode()) / 1024:.0f} KiB | {load} | {measured} "
                f"| {b.get('frames', '-')} | {b.get('heap', 0):.0f} MiB | {b.get('documents', 0):.0f} |"
            )


if __name__ == "__main__":
    main()
