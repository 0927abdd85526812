"""Rewrite the golden files from a build of the project as it is now:

    .venv/bin/python tests/golden/update.py

Run it when an output is meant to change (new content, a layout change, a dependency update),
look at what changed (git diff tests/golden), and commit the files with the change.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from golden import GOLDEN, build_golden  # noqa: E402

FILES = {"CHANGES.md": "changes", "preview.html": "preview", "deck.txt": "deck"}


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        made = build_golden(Path(tmp))
    for name, key in FILES.items():
        (GOLDEN / name).write_text(made[key], "utf-8")
    print(f"wrote {', '.join(FILES)} in {GOLDEN}")


if __name__ == "__main__":
    main()
