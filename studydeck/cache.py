"""Skip unchanged work: each output is remade only when what it is made from changes.

Every output has a key (outputs.Output.key): a hash of everything it is made from (for the
deck: the notes, their times, the notetype, decks and media; for a PDF: the exact HTML
WeasyPrint lays out and the fonts), with the versions of the libraries and of this code. The
record of the last build lives in .cache/studydeck/ (ignored by git), one file per output
folder, with each output's key and the SHA-256 of the file written. An output is reused only if
its key matches and the file in the output folder still has that hash, so a deleted or edited
output is always remade. The record also holds every question the last build asked of its
inputs (studydeck/reads.py) and its options: when all are the same, a build stops at the start.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import os
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

from . import reads

CACHE_DIR = Path(".cache") / "studydeck"
_CODE = Path(__file__).resolve().parent


@functools.cache
def _code_digest() -> str:
    """This package's own source: a change to the code is a change to every output."""
    digest = hashlib.sha256()
    for path in sorted(_CODE.rglob("*.py")):
        digest.update(path.relative_to(_CODE).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def key(*parts) -> str:
    """A key from strings, bytes and JSON-able values, plus this code and its dependencies' versions."""
    digest = hashlib.sha256()
    for part in (_code_digest(), _versions(), *parts):
        data = (
            part
            if isinstance(part, bytes)
            else (part if isinstance(part, str) else json.dumps(part, ensure_ascii=False, sort_keys=True, default=str))
        )
        if isinstance(data, str):
            data = data.encode("utf-8", "surrogateescape")  # file names that are not UTF-8
        digest.update(len(data).to_bytes(8, "big") + data)
    return digest.hexdigest()


@functools.cache
def _versions() -> str:
    out = []
    for dist in (
        "genanki",
        "weasyprint",
        "pydyf",
        "tinycss2",
        "cssselect2",
        "tinyhtml5",
        "fonttools",
        "brotli",
        "jinja2",
        "pyyaml",
    ):
        try:
            out.append(f"{dist}={metadata.version(dist)}")
        except metadata.PackageNotFoundError:
            out.append(f"{dist}=none")
    return ",".join(out)


def options_digest(options) -> str:
    """Every field of the build's options, whatever fields there are."""
    return key(dataclasses.asdict(options) | {"type": type(options).__qualname__})


@dataclass
class Record:
    """What the last build into one output folder made: file name -> {key, sha256, figures}; and,
    for stopping at the start when nothing changed, every question that build asked of its
    inputs with a digest of the answer (studydeck/reads.py), its options and its result."""

    path: Path
    out: Path
    outputs: dict[str, dict] = field(default_factory=dict)
    last: dict = field(default_factory=dict)  # reads, options, result, files (name -> sha256)
    error: str = ""

    def unchanged(self, options) -> dict | None:
        """The last build's result if its options were these, every input reads the same and every
        one of its outputs is intact in the output folder."""
        if self.last.get("options") != options_digest(options) or not reads.unchanged(
            options.root, self.last.get("reads", {})
        ):
            return None
        for name, sha in self.last.get("files", {}).items():
            try:
                if hashlib.sha256((self.out / name).read_bytes()).hexdigest() != sha:
                    return None
            except OSError:
                return None
        return self.last.get("result")

    def finish(self, answers: dict[str, str], options, result: dict, names: list[str]) -> None:
        """Record this build; outputs in self.outputs were hashed when made or checked when reused."""
        files = {}
        for name in names:
            known = self.outputs.get(name, {}).get("sha256")
            files[name] = known or hashlib.sha256((self.out / name).read_bytes()).hexdigest()
        self.last = {"reads": answers, "options": options_digest(options), "result": result, "files": files}

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
