"""All-or-nothing output: every file of a build (and entries.lock) changes together, or none does.

A build's files are written in three steps:
1. stage: each new file is written beside its target under a temporary name and synced; a
   failure here (a full disk, no permission) removes what was staged and changes nothing;
2. commit: a journal listing every (staged, target) pair is written into the output folder;
3. swap: each existing target is kept under a backup name (a hard link), then the staged file
   is renamed over it; a failure during the swap puts every backup back.
If the process is killed during the swap, the next build finds the journal before it reads
anything and finishes the swap (every staged file was complete before the journal existed).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
from pathlib import Path

from studydeck.errors import BuildError

JOURNAL = ".studydeck-journal.json"
_STAGED = re.compile(r"^\..+\.[0-9a-f]{12}\.(new|old)$")


@contextlib.contextmanager
def one_build_at_a_time(root: Path, say):
    """Builds of one project take turns (a watch's background build and a manual one): each
    holds an exclusive flock on the project's folder from its first read of dist/ to its last
    write, so two never interleave their swaps of dist/, entries.lock or the cache. The lock
    needs no file (nothing to leave behind or to forge) and goes with the process, also on kill -9."""
    try:
        import fcntl
    except ImportError:  # no flock (Windows): builds do not take turns
        yield
        return
    try:
        fd = os.open(root, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:  # the folder cannot be opened: reading it fails later with its own message
        yield
        return
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            say("waiting for another build of this project to finish ...")
            fcntl.flock(fd, fcntl.LOCK_EX)
        except OSError:  # a file system without locks: as without flock
            pass
        yield
    finally:
        os.close(fd)


def safe_stem(name: str, limit: int = 80) -> str:
    """A file name part from any text: no separators, no dot files, never empty, never too long."""
    stem = re.sub(r"[^\w.-]+", "-", name, flags=re.UNICODE).strip(".-")
    if len(stem.encode()) > limit:
        import hashlib

        tail = hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:8]
        stem = stem.encode()[: limit - 9].decode("utf-8", "ignore").rstrip(".-") + "-" + tail
    return stem or "deck"


def write_all(out_dir: Path, files: dict[str, bytes], extra: dict[Path, bytes] | None = None) -> list[Path]:
    """Write files into out_dir, and each extra path (e.g. entries.lock), all or none."""
    targets = [(out_dir / name, data) for name, data in files.items() if _plain_name(name)]
    targets += list((extra or {}).items())
    if not targets:
        return []
    token = secrets.token_hex(6)
    staged = _stage(out_dir, targets, token)
    journal = out_dir / JOURNAL
    try:
        _write_synced(journal, json.dumps([[str(new), str(final)] for new, final in staged]).encode())
    except OSError as exc:
        _discard(staged)
        raise BuildError(f"cannot write {out_dir}: {exc.strerror}; nothing was changed") from None
    _swap(staged, token)
    journal.unlink(missing_ok=True)
    return [final for _, final in staged if final.parent == out_dir]


def _plain_name(name: str) -> bool:
    if "/" in name or "\\" in name or name.startswith(".") or name in ("", ".."):
        raise ValueError(f"refusing to write {name!r}: not a plain file name")
    return True


def _stage(out_dir: Path, targets: list[tuple[Path, bytes]], token: str) -> list[tuple[Path, Path]]:
    staged: list[tuple[Path, Path]] = []
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        for final, data in targets:
            if final.is_dir():
                raise IsADirectoryError(21, "a folder has the name of an output", str(final))
            new = final.with_name(f".{final.name}.{token}.new")
            staged.append((new, final))
            _write_synced(new, data)
    except OSError as exc:
        _discard(staged)
        where = exc.filename or (staged[-1][1] if staged else out_dir)  # a full disk's write names no file
        where = next((final for new, final in staged if str(new) == str(where)), where)  # the file, not its stage
        raise BuildError(f"cannot write {where}: {exc.strerror or exc}; nothing was changed") from None
    return staged


def _write_synced(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0), 0o644)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.chmod(path, 0o644)


def _discard(staged: list[tuple[Path, Path]]) -> None:
    """Remove the staged files, as far as the file system lets us (a read-only one raises EROFS
    even for a file that is not there): the first error is the one reported."""
    for new, _ in staged:
        with contextlib.suppress(OSError):
            new.unlink(missing_ok=True)


def _swap(staged: list[tuple[Path, Path]], token: str) -> None:
    done: list[tuple[Path, Path | None]] = []  # (target, its backup or None if it was new)
    try:
        for new, final in staged:
            backup = final.with_name(f".{final.name}.{token}.old") if final.exists() else None
            if backup is not None:
                _keep(final, backup)
            done.append((final, backup))
            os.replace(new, final)
    except BaseException as exc:  # also Ctrl-C: put everything back, then stop
        for final, backup in reversed(done):
            if backup is None:
                final.unlink(missing_ok=True)
            elif final.exists() and os.path.samefile(backup, final):  # never replaced: the link is the file
                backup.unlink()
            else:
                os.replace(backup, final)
        _discard(staged)
        if staged:
            (staged[0][1].parent / JOURNAL).unlink(missing_ok=True)
        if not isinstance(exc, OSError):
            raise
        raise BuildError(
            f"cannot replace {exc.filename or 'an output'}: {exc.strerror}; every output was put back as it was"
        ) from None
    for _, backup in done:
        if backup is not None:
            backup.unlink(missing_ok=True)


def _keep(final: Path, backup: Path) -> None:
    try:
        os.link(final, backup)
    except OSError:  # a file system without hard links
        shutil.copy2(final, backup)


MAX_JOURNAL = 1 << 20  # bytes: a journal lists a few file names


def recover(out_dir: Path, extras: tuple[Path, ...] = ()) -> int:
    """Finish a swap a killed build left half done, and drop its leftovers; the files completed.

    The journal is read back from disk, so it is untrusted (a cloned repository or an archive can
    carry one): it is followed only if it names exactly what write_all could have staged, i.e.
    plain files of out_dir or one of `extras` (the project's entries.lock and schema), each staged
    beside its target as `.<name>.<token>.new` under one token. Anything else is refused, and
    nothing is moved."""
    journal = out_dir / JOURNAL
    completed, pairs = 0, []
    if os.path.lexists(journal):
        pairs = _journal_pairs(journal, out_dir, extras)
        for new, final in pairs:
            if new.is_file() and not new.is_symlink():
                os.replace(new, final)
                completed += 1
        journal.unlink(missing_ok=True)
    for folder in {out_dir, *(final.parent for _, final in pairs)}:
        if folder.is_dir():
            for leftover in folder.iterdir():
                if _STAGED.match(leftover.name):
                    leftover.unlink(missing_ok=True)
    return completed


def _journal_pairs(journal: Path, out_dir: Path, extras: tuple[Path, ...]) -> list[tuple[Path, Path]]:
    """The (staged, target) pairs of a journal this tool wrote; BuildError for any other file."""
    where = _shown(journal)

    def refuse(why: str) -> BuildError:
        return BuildError(
            f"{where}: {why}; it is not a journal a build of this project wrote, so nothing was moved "
            "(delete it to build)"
        )

    info = journal.lstat()
    if journal.is_symlink() or not journal.is_file():
        raise refuse("it is a link or not a regular file")
    if info.st_size > MAX_JOURNAL:
        raise refuse(f"it is {info.st_size:,} bytes")
    try:
        raw = json.loads(journal.read_bytes().decode("utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return []  # cut short while it was written: the swap had not begun, the staged files are dropped
    if not isinstance(raw, list) or not all(
        isinstance(p, list) and len(p) == 2 and all(isinstance(s, str) for s in p) for p in raw
    ):
        raise refuse("it does not hold a list of [staged, target] file names")
    allowed = {os.path.abspath(p) for p in extras}
    pairs, tokens = [], set()
    for new_s, final_s in raw:
        new, final = Path(new_s), Path(final_s)
        in_out = Path(os.path.abspath(final)).parent == Path(os.path.abspath(out_dir)) and not final.name.startswith(
            "."
        )
        if ".." in final.parts or not (in_out or os.path.abspath(final) in allowed):
            raise refuse(f"it names {final_s[:200]!r}, which no build writes")
        m = re.fullmatch(rf"\.{re.escape(final.name)}\.([0-9a-f]{{12}})\.new", new.name)
        if new.parent != final.parent or not m:
            raise refuse(f"it names {new_s[:200]!r} as staged for {final.name!r}, which no build stages")
        tokens.add(m.group(1))
        pairs.append((new, final))
    if len(tokens) > 1:
        raise refuse("its files come from more than one build")
    return pairs


def _shown(path: Path) -> str:
    try:
        return path.relative_to(Path.cwd()).as_posix()
    except ValueError:
        return str(path)
