"""Skip unchanged work: each output is remade only when the inputs it is made from change.

Every output has a key: a hash of everything it is made from (for the deck: the notes, their
times, the notetype and deck names; for a PDF: the exact HTML WeasyPrint would lay out, the
fonts, and the versions of WeasyPrint and of this code). The record of the last build lives in
.cache/studydeck/ (ignored by git), one file per output folder, with each output's key and the
SHA-256 of the file written. An output is reused only if its key matches and the file in the
output folder still has that hash, so a deleted or edited output is always remade.
"""
from __future__ import annotations

import functools
import hashlib
import json
import os
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

CACHE_DIR = Path(".cache") / "studydeck"
_CODE = Path(__file__).resolve().parent


@functools.cache
def _code_digest() -> str:
    """This package's own source: a change to the code is a change to every output."""
    digest = hashlib.sha256()
    for path in sorted(_CODE.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def key(*parts) -> str:
    """A key from strings, bytes and JSON-able values, plus this code and its dependencies' versions."""
    digest = hashlib.sha256()
    for part in (_code_digest(), _versions(), *parts):
        data = part if isinstance(part, bytes) else (
            part if isinstance(part, str) else json.dumps(part, ensure_ascii=False, sort_keys=True))
        if isinstance(data, str):
            data = data.encode("utf-8", "surrogateescape")  # file names that are not UTF-8
        digest.update(len(data).to_bytes(8, "big") + data)
    return digest.hexdigest()


@functools.cache
def _versions() -> str:
    out = []
    for dist in ("genanki", "weasyprint", "jinja2", "pyyaml", "fonttools"):
        try:
            out.append(f"{dist}={metadata.version(dist)}")
        except metadata.PackageNotFoundError:
            out.append(f"{dist}=none")
    return ",".join(out)


def files_digest(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(os.fsencode(path.relative_to(folder).as_posix()) + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def inputs_digest(root: Path, files: list[Path], *parts) -> str:
    """Everything a build reads, by content: when it equals the last build's, nothing changed."""
    digest = hashlib.sha256()
    for path in files:
        try:
            data = path.read_bytes()
        except OSError:
            data = b"\0missing"
        name = path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)
        digest.update(os.fsencode(name) + b"\0" + len(data).to_bytes(8, "big") + data)
    return key(digest.hexdigest(), *parts)


@dataclass
class Record:
    """What the last build into one output folder made: name -> {key, sha256, pages}, plus the
    digest of all its inputs and its summary, for the no-op fast path."""

    path: Path
    out: Path
    outputs: dict[str, dict] = field(default_factory=dict)
    last: dict = field(default_factory=dict)  # inputs digest, result figures, names of its outputs
    error: str = ""

    def unchanged(self, inputs: str) -> dict | None:
        """The last build's result if its inputs are these and all its outputs are intact."""
        if not inputs or self.last.get("inputs") != inputs:
            return None
        for name, sha in self.last.get("files", {}).items():
            try:
                if hashlib.sha256((self.out / name).read_bytes()).hexdigest() != sha:
                    return None
            except OSError:
                return None
        return self.last.get("result")

    def finish(self, inputs: str, result: dict, names: list[str]) -> None:
        """Record this build; outputs in self.outputs were hashed when made or checked when reused."""
        files = {}
        for name in names:
            known = self.outputs.get(name, {}).get("sha256")
            files[name] = known or hashlib.sha256((self.out / name).read_bytes()).hexdigest()
        self.last = {"inputs": inputs, "result": result, "files": files}

    def fresh(self, name: str, output_key: str) -> dict | None:
        """The record of name if it can be reused as it is in the output folder, else None."""
        seen = self.outputs.get(name)
        if not seen or seen.get("key") != output_key:
            return None
        try:
            data = (self.out / name).read_bytes()
        except OSError:
            return None
        return seen if hashlib.sha256(data).hexdigest() == seen.get("sha256") else None

    def update(self, name: str, output_key: str, data: bytes, **extra) -> None:
        self.outputs[name] = {"key": output_key, "sha256": hashlib.sha256(data).hexdigest(), **extra}

    def save(self) -> bool:
        """Write the record; False (with self.error) when the cache folder cannot hold it. The
        cache only saves time, so that never fails a build."""
        data = {"outputs": self.outputs, "last": self.last}
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_suffix(".tmp")
            tmp.write_text(json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False) + "\n", "utf-8")
            os.replace(tmp, self.path)
        except OSError as exc:
            self.error = exc.strerror or str(exc)
            return False
        return True


def record(root: Path, out: Path) -> Record:
    """The record for building root's project into out (read; empty when missing or unreadable)."""
    name = hashlib.sha256(str(out.resolve()).encode()).hexdigest()[:16]
    path = root / CACHE_DIR / f"outputs-{name}.json"
    try:
        data = json.loads(path.read_text("utf-8"))
        outputs, last = dict(data["outputs"]), dict(data["last"])
    except (OSError, ValueError, KeyError, TypeError):
        outputs, last = {}, {}
    return Record(path, out, outputs, last)
