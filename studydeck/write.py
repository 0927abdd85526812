"""All-or-nothing output: every file goes to a temporary name first, then all are renamed."""
from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path


def safe_stem(name: str) -> str:
    """A file name stem from the deck name: no separators, no dot files, never empty."""
    stem = re.sub(r"[^\w.-]+", "-", name, flags=re.UNICODE).strip(".-")
    return stem[:80] or "deck"


def write_all(out_dir: Path, files: dict[str, bytes]) -> list[Path]:
    """Write every file or none: temp files in out_dir, renamed into place at the end."""
    out_dir.mkdir(parents=True, exist_ok=True)
    staged: list[tuple[str, Path]] = []
    try:
        for name, data in files.items():
            if "/" in name or "\\" in name or name.startswith("."):
                raise ValueError(f"refusing to write {name!r} outside {out_dir}")
            fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=out_dir)
            staged.append((name, Path(tmp)))
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.chmod(tmp, 0o644)
    except BaseException:
        for _, tmp in staged:
            tmp.unlink(missing_ok=True)
        raise
    for name, tmp in staged:
        os.replace(tmp, out_dir / name)
    return [out_dir / name for name, _ in staged]
