"""Skip unchanged work: each output is remade only when what it is made from changes.

Every output has a key (outputs.Output.key): a hash of everything it is made from (for the
deck: the notes, their times, the notetype, decks and media; for a PDF: the exact HTML
WeasyPrint lays out and the fonts), with the versions of the libraries and of this code. The
record of the last build lives in .cache/studydeck/ (ignored by git), one file per output
folder, with each output's key and the SHA-256 of the file written. An output is reused only if
its key matches and the file in the output folder still has that hash, so a deleted or edited
output is always remade. The record also holds every question the last build asked of its
inputs (studydeck/gather/reads.py) and its options: when all are the same, a build stops at the start.

The record is read back from disk, so it is untrusted: an archive or a copied folder can carry
one, and its questions would be asked again (git among them). So a record is signed with a key
of this user's (in their own cache folder, never in the project) and is used only when the
signature holds and its shape is right; any other record (corrupt, from another version, a
link, a folder, too large, another user's or an attacker's) is ignored and everything is made
again. It names the output folder relative to the project, so a copy of a built project (the
same user's) is up to date.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

from studydeck.errors import warn
from studydeck.gather import reads

CACHE_DIR = Path(".cache") / "studydeck"
_CODE = Path(__file__).resolve().parent.parent  # the studydeck package, every subpackage


@functools.cache
def _code_digest() -> str:
    """This package's own source: a change to the code is a change to every output."""
    digest = hashlib.sha256()
    for path in sorted(_CODE.rglob("*.py")):
        digest.update(path.relative_to(_CODE).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def plain(value):
    """value as JSON-able data, for a key: a dataclass as its type's name and its fields (but
    those with metadata {"key": False}: where inputs are, not what they are), bytes as their
    SHA-256, sets sorted. Anything else is a TypeError: a key never holds a repr()."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            "": type(value).__qualname__,
            **{f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value) if f.metadata.get("key", True)},
        }
    if isinstance(value, bytes):
        return hashlib.sha256(value).hexdigest()
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            raise TypeError(f"a key's mapping has a key that is not a string: {sorted(map(repr, value))[:3]}")
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted((plain(v) for v in value), key=lambda v: json.dumps(v, sort_keys=True, ensure_ascii=False))
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    raise TypeError(f"{type(value).__qualname__} cannot be part of a key: make it plain data")


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
    """Every field of the build's options, whatever fields there are; paths inside the project
    relative to it (a moved or copied project is the same build)."""
    fields = {
        name: _relative(options.root, value) if isinstance(value, Path) else value
        for name, value in dataclasses.asdict(options).items()
    }
    return key(fields | {"type": type(options).__qualname__})


def _relative(root: Path, path: Path) -> str:
    path = Path(path)
    return "./" + path.relative_to(root).as_posix() if path.is_absolute() and path.is_relative_to(root) else str(path)


@dataclass
class Record:
    """What the last build into one output folder made: file name -> {key, sha256, pages}; and,
    for stopping at the start when nothing changed, every question that build asked of its
    inputs with a digest of the answer (studydeck/gather/reads.py), its options and its result."""

    path: Path
    out: Path
    outputs: dict[str, dict] = field(default_factory=dict)
    last: dict = field(default_factory=dict)  # reads, options, result, files (name -> sha256)
    error: str = ""
    disabled: bool = False  # the cache folder cannot be used (and a warning said so)

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
        """Write the record, signed; False (with self.error) when the cache folder cannot hold it
        or there is no key to sign it with. The cache only saves time: that never fails a build."""
        if self.disabled:
            return True
        secret = _secret()
        if secret is None:
            self.error = "no key to sign it with in the user's cache folder"
            return False
        body = {"outputs": self.outputs, "last": self.last}
        data = {"format": FORMAT, "mac": _mac(secret, body), "body": body}
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(self.path, (json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False) + "\n").encode())
        except OSError as exc:
            self.error = exc.strerror or str(exc)
            return False
        return True


FORMAT = 3  # of the record file: another format is ignored
MAX_RECORD = 64 << 20  # bytes: a record lists reads and outputs; a larger file is not one of ours


def write_atomic(path: Path, data: bytes) -> None:
    """path's new content, whole or not at all, under a temporary name no other build shares."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o644)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_signed(path: Path, data: bytes) -> None:
    """A cache file whose bytes go into an output (a font subset): signed with this user's key."""
    secret = _secret()
    if secret is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, hmac.new(secret, data, hashlib.sha256).hexdigest().encode() + b"\n" + data)


def read_signed(path: Path, limit: int) -> bytes | None:
    """What write_signed wrote, or None for anything else (missing, a link, too large, altered)."""
    secret = _secret()
    try:
        if secret is None or path.is_symlink() or not path.is_file() or path.lstat().st_size > limit + 65:
            return None
        raw = path.read_bytes()
    except OSError:
        return None
    mac, data = raw[:64], raw[65:]
    good = hmac.new(secret, data, hashlib.sha256).hexdigest().encode()
    return data if raw[64:65] == b"\n" and hmac.compare_digest(mac, good) else None


def has_key() -> bool:
    """Whether this user has a key to sign and check cache files with."""
    return _secret() is not None


def _mac(secret: bytes, body: dict) -> str:
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hmac.new(secret, canonical.encode("utf-8", "surrogateescape"), hashlib.sha256).hexdigest()


def _secret() -> bytes | None:
    """This user's key for signing build records (made once, readable by the user alone)."""
    folder = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "studydeck"
    path = folder / "record-key"
    for _ in range(2):
        try:
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
            with os.fdopen(fd, "rb") as fh:
                data = fh.read(65)
            return data if len(data) == 64 else None
        except FileNotFoundError:
            try:
                folder.mkdir(parents=True, exist_ok=True, mode=0o700)
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
                with os.fdopen(fd, "wb") as fh:
                    fh.write(secrets.token_hex(32).encode())
            except FileExistsError:
                continue  # another build made it first: read theirs
            except OSError:
                return None
        except (OSError, RuntimeError, RecursionError):
            return None
    return None


def usable(root: Path) -> bool:
    """Whether root's .cache/studydeck/ may be used: not when it (or .cache) is a link, which
    would write elsewhere, or not a folder; a warning says so, and the cache is not used."""
    for folder in (root / CACHE_DIR.parent, root / CACHE_DIR):
        if os.path.lexists(folder) and (folder.is_symlink() or not folder.is_dir()):
            kind = "a link" if folder.is_symlink() else "not a folder"
            warn(
                folder.relative_to(root).as_posix(),
                f"is {kind}, so no build is recorded: each build makes everything again",
            )
            return False
    return True


def record(root: Path, out: Path) -> Record:
    """The record for building root's project into out: read, and empty unless it is intact and
    signed with this user's key (see the module's docstring)."""
    out_key = _relative(root.resolve(), out.resolve())
    name = hashlib.sha256(out_key.encode("utf-8", "surrogateescape")).hexdigest()[:16]
    path = root / CACHE_DIR / f"outputs-{name}.json"
    if not usable(root):
        return Record(path, out, disabled=True)
    outputs, last, why = _read(path)
    if why:
        warn((CACHE_DIR / path.name).as_posix(), f"ignored: it {why}; everything is made again")
    return Record(path, out, outputs, last)


def _read(path: Path) -> tuple[dict, dict, str]:
    """The record's outputs and last build, and why it was ignored ("" when it was not, or when
    there is none or it is of another format: nothing to warn about)."""
    try:
        info = path.lstat()
    except FileNotFoundError:
        return {}, {}, ""
    except OSError as exc:
        return {}, {}, f"cannot be read ({exc.strerror or exc})"
    if path.is_symlink():
        return {}, {}, "is a link"
    if not path.is_file():
        return {}, {}, "is not a file"
    if info.st_size > MAX_RECORD:
        return {}, {}, f"is over {MAX_RECORD >> 20} MiB"
    try:
        data = json.loads(path.read_bytes().decode("utf-8"))
    except (OSError, ValueError, RecursionError):
        return {}, {}, "is not a record (not UTF-8 JSON)"
    if isinstance(data, dict) and data.get("format") != FORMAT and isinstance(data.get("format"), int):
        return {}, {}, ""  # another version's: made again, as after any upgrade
    secret = _secret()
    if secret is None:
        return {}, {}, ""  # save() says there is no key
    try:
        if (
            not isinstance(data, dict)
            or not isinstance(data.get("mac"), str)
            or not hmac.compare_digest(data["mac"], _mac(secret, data.get("body")))
        ):
            return {}, {}, "is not signed with your key (copied from elsewhere, or altered)"
        outputs, last = data["body"]["outputs"], data["body"]["last"]
    except (ValueError, KeyError, TypeError, RecursionError):
        return {}, {}, "is not signed with your key (copied from elsewhere, or altered)"
    if not _shaped(outputs, last):
        return {}, {}, "is damaged"
    return outputs, last, ""


def _shaped(outputs, last) -> bool:
    """The record's shape as save() writes it (a signed record of an older version may differ)."""
    if not isinstance(outputs, dict) or not all(isinstance(v, dict) for v in outputs.values()):
        return False
    if not isinstance(last, dict):
        return False
    if not last:
        return True
    return (
        isinstance(last.get("reads"), dict)
        and all(isinstance(v, str) for v in last["reads"].values())
        and isinstance(last.get("files"), dict)
        and all(isinstance(v, str) for v in last["files"].values())
        and isinstance(last.get("result"), dict)
    )
