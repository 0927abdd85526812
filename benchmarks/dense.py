"""Cost of one dense entry: python benchmarks/dense.py [--sizes 8,16,32,60] [--runs 1]

Builds (cold, whole `python build.py` processes) a project whose only entry is one file of
about S KB in one of several shapes, to show that the cost of a build grows linearly with
the size of an entry, whatever its shape (issue 10: one 58 KB entry took 8 minutes):

  spaced     one definition of many short clozes with a particle and a word between them
  hinted     the same, every cloze with a hint (the worksheet's blanks carry it)
  glued      clozes written without spaces between them, as long as a run may be (100 chars)
  many-defs  many definitions of 8 clozes each
  latin      long Latin tokens without spaces (100 characters, the longest run allowed)

Prints a Markdown table: time per shape and size, and the time per KB (flat means linear).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORDS = ["스토리지", "볼륨", "파드", "배포", "노드", "서비스", "컨테이너"]
POINTS = "points:\n  - 하나\n  - 둘\n  - 셋\n"


def _definition(key: str, body: str) -> str:
    return f"  - key: {key}\n    term: 용어\n    text: >-\n      {body}\n"


def _clozes(n: int, start: int, fmt: str) -> str:
    return " ".join(fmt.format(i=(start + i) % 500 + 1, w=WORDS[i % len(WORDS)]) for i in range(n))


def entry(shape: str, kb: int) -> str:
    head = "id: dense\ntitle: 큰 항목\ngroup: 개념\ndefinitions:\n"
    budget, defs, i = kb * 1024 - len(head.encode()) - len(POINTS.encode()) - 200, [], 0
    while sum(len(d.encode()) for d in defs) < budget:
        if shape == "spaced":
            body = _clozes(60, i * 60, "{{{{c{i}::{w}}}}}는 {w}")
        elif shape == "hinted":
            body = _clozes(60, i * 60, "{{{{c{i}::{w}::힌트}}}}는 {w}")
        elif shape == "glued":  # 49 two-character answers and a particle: 99 characters, one word
            body = " ".join(
                "".join(f"{{{{c{(i * 98 + j * 49 + k) % 500 + 1}::가나}}}}" for k in range(49)) + "는" for j in range(2)
            )
        elif shape == "many-defs":
            body = _clozes(8, 0, "{{{{c{i}::{w}}}}}는 {w}")
        else:
            body = "{{c1::a}} " + " ".join(("x" * 99 + "가") for _ in range(8))
        defs.append(_definition(f"d{i}", body))
        i += 1
    return head + "".join(defs) + POINTS


def build(project: Path) -> float:
    shutil.rmtree(project / "dist", ignore_errors=True)
    shutil.rmtree(project / ".cache", ignore_errors=True)
    t = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "build.py", "-q", "--accept-removals"], cwd=project, capture_output=True, text=True
    )
    elapsed = time.perf_counter() - t
    if done.returncode:
        raise SystemExit(done.stderr)
    return elapsed


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="8,16,32,60")
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--shapes", default="spaced,hinted,glued,many-defs,latin")
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp) / "p"
        project.mkdir()
        for name in ("build.py", "pyproject.toml", "studydeck", "templates"):
            src = ROOT / name
            (shutil.copytree if src.is_dir() else shutil.copy)(src, project / name)
        (project / "entries").mkdir()
        for shape in args.shapes.split(","):
            times = []
            for kb in sizes:
                (project / "entries" / "dense.yaml").write_text(entry(shape, kb), "utf-8")
                (project / "entries.lock").unlink(missing_ok=True)
                times.append(statistics.median(build(project) for _ in range(args.runs)))
                print(f"{shape} {kb} KB: {times[-1]:.2f} s", file=sys.stderr, flush=True)
            rows.append((shape, times))
    print("| shape | " + " | ".join(f"{kb} KB" for kb in sizes) + " | s per KB (smallest -> largest) |")
    print("|---|" + "---|" * len(sizes) + "---|")
    for shape, times in rows:
        per = [t / kb for t, kb in zip(times, sizes, strict=True)]
        print(f"| {shape} | " + " | ".join(f"{t:.1f} s" for t in times) + f" | {per[0]:.2f} -> {per[-1]:.2f} |")


if __name__ == "__main__":
    main()
