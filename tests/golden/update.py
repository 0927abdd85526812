"""Rewrite the golden files from a build of the project as it is now:

    .venv/bin/python tests/golden/update.py

Run it when an output is meant to change (new content, a layout change, a dependency update),
look at what changed (git diff tests/golden), and commit the files with the change.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from golden import GOLDEN, build_golden  # noqa: E402


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        made = build_golden(Path(tmp))
    (GOLDEN / "hashes.json").write_text(
        json.dumps(made["hashes"], indent=1, sort_keys=True, ensure_ascii=False) + "\n", "utf-8"
    )
    (GOLDEN / "CHANGES.md").write_text(made["changes"], "utf-8")
    (GOLDEN / "preview.html").write_text(made["preview"], "utf-8")
    print(f"wrote {', '.join(sorted(p.name for p in GOLDEN.iterdir() if p.suffix != '.py'))} in {GOLDEN}")


if __name__ == "__main__":
    main()
