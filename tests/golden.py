"""The golden build: the default project, built the same way every time, for tests/test_golden.py
and tests/golden/update.py (which rewrites the golden files)."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from conftest import copy_project, outputs, run_build

GOLDEN = Path(__file__).resolve().parent / "golden"
ENV = {"SOURCE_DATE_EPOCH": "1700000000", "STUDYDECK_VERSION": "1.0.0"}


def build_golden(tmp: Path, **env: str) -> dict:
    """Build in a fresh git repository whose one commit is dated, as a release build is."""
    project = copy_project(tmp / "p", with_git=True)
    done = run_build(project, env={**ENV, **env})
    assert done.returncode == 0, done.stderr
    paths = outputs(project)
    hashes = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted((project / "dist").iterdir())}
    return {
        "hashes": hashes,
        "changes": paths["changes"].read_text("utf-8"),
        "preview": normalized_preview(paths["html"].read_text("utf-8")),
    }


def normalized_preview(page: str) -> str:
    """The preview with each inline font (base64) replaced by its digest: readable as a diff."""
    return re.sub(
        r"data:font/woff2;base64,([A-Za-z0-9+/=]+)",
        lambda m: "data:font/woff2;sha256," + hashlib.sha256(m.group(1).encode()).hexdigest(),
        page,
    )
