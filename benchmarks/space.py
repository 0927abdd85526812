"""Empty space on the printed sheets: python benchmarks/space.py [--project DIR]

Builds the cheat sheet and the worksheet at every paper size and column count (a4, letter x
1-4 columns) and prints, for each, the page count and the empty share at the foot of every column of every page
but the last (tests/pdfcheck.py column_fill, as the layout tests measure it; issue 23 wants
none over 20 % but the named exemptions: the page before the worksheet's key, a page whose
next opens with a figure that did not fit). Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--project", type=Path, default=ROOT, help="the project to build (default: this one)")
    args = ap.parse_args()
    from pdfcheck import column_fill, pages

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp) / "p"
        project.mkdir()
        for name in ("build.py", "pyproject.toml", "entries.lock", "studydeck", "templates", "entries"):
            src = args.project / name
            (shutil.copytree if src.is_dir() else shutil.copy)(src, project / name)
        for paper in ("a4", "letter"):
            for columns in (1, 2, 3, 4):
                out = Path(tmp) / f"{paper}-{columns}"
                done = subprocess.run(
                    [sys.executable, "build.py", "-q", "--paper", paper, "--columns", str(columns), "--out", str(out)],
                    cwd=project,
                    capture_output=True,
                    text=True,
                )
                if done.returncode:
                    raise SystemExit(done.stderr)
                for pdf in sorted(out.glob("*.pdf")):
                    kind = "worksheet" if pdf.stem.endswith("-worksheet") else "sheet"
                    fill = column_fill(pdf, columns)
                    gaps = [g["empty"] for g in fill if not g["before_key"] and not g["next_is_figure"]]
                    rows.append((paper, columns, kind, len(pages(pdf)), gaps))
    print("| paper | columns | document | pages | columns measured | their empty share: mean / max |")
    print("|---|---|---|---|---|---|")
    for paper, columns, kind, count, gaps in rows:
        stats = f"{sum(gaps) / len(gaps):.0%} / {max(gaps):.0%}" if gaps else "-"
        print(f"| {paper} | {columns} | {kind} | {count} | {len(gaps)} | {stats} |")


if __name__ == "__main__":
    main()
