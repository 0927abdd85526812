"""Everything a build reads, by content: files, folder listings, file times, environment
variables and git's answers.

Every stage reads its inputs through one Reads object, which remembers each question and a
digest of its answer. A build records them (with its options and this code's digest); the next
build asks every question again before doing anything, and when each answer is the same,
nothing changed and it stops there. An input or a setting a stage starts to read joins that
check by being read: nobody keeps a list of the inputs.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from pathlib import Path

from studydeck.memo import Memo


def _digest(data: bytes | str | None) -> str:
    if data is None:
        return "-"
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogateescape")
    return hashlib.sha256(data).hexdigest()


_BIG = 256 * 1024  # files at least this large (the fonts) are read once per process while unchanged
_big_files = Memo("gather.reads big files", 16)


class Reads:
    """The reading side of a build: ask through it, and the question and its answer are kept."""

    def __init__(self, root: Path):
        self.root = root
        self.answers: dict[str, str] = {}  # a question (JSON) -> the digest of its answer
        self._git: dict[str, bytes | None] = {}  # a git question (JSON) -> its answer, this build

    def _keep(self, question: list, answer) -> None:
        self.answers[json.dumps(question, ensure_ascii=False)] = _digest(answer)

    def _path(self, path: Path) -> str:
        path = Path(path)
        return path.relative_to(self.root).as_posix() if path.is_relative_to(self.root) else str(path)

    def bytes(self, path: Path) -> bytes:
        """The file's content; an OSError (a missing file) is the caller's, and is kept too.
        A large file (a font) unchanged since this process last read it (same size, time and
        inode) is not read again: watch mode asks for the fonts on every save."""
        question = ["file", self._path(path)]
        try:
            st = os.stat(path)
            key = (str(path), st.st_size, st.st_mtime_ns, st.st_ino)
            if st.st_size >= _BIG and (kept := _big_files.peek(key)):
                data, digest = kept
                self.answers[json.dumps(question, ensure_ascii=False)] = digest
                return data
            data = Path(path).read_bytes()
        except OSError:
            self._keep(question, None)
            raise
        self._keep(question, data)
        if len(data) >= _BIG and len(data) == st.st_size:
            _big_files.put(key, (data, self.answers[json.dumps(question, ensure_ascii=False)]))
        return data

    def text(self, path: Path) -> str:
        return self.bytes(path).decode("utf-8")

    def digest(self, path: Path) -> str:
        """The SHA-256 of the file's content (read, and kept, as bytes() does)."""
        self.bytes(path)
        return self.answers[json.dumps(["file", self._path(path)], ensure_ascii=False)]

    def exists(self, path: Path) -> bool:
        found = Path(path).exists()
        self._keep(["exists", self._path(path)], str(found))
        return found

    def files(self, folder: Path) -> list[Path]:
        """Every file under folder, hidden ones left out, sorted; links followed."""
        found = list_files(Path(folder))
        self._keep(["files", self._path(folder)], _listing(found, Path(folder)))
        return found

    def mtime(self, path: Path) -> int:
        when = int(Path(path).stat().st_mtime)
        self._keep(["mtime", self._path(path)], str(when))
        return when

    def env(self, name: str) -> str | None:
        value = os.environ.get(name)
        self._keep(["env", name], value)
        return value

    def git(self, *args: str, stdin: bytes = b"") -> bytes | None:
        """git's output in the project; None when git fails or is missing. A question asked again
        in the same build (history and releases both ask where the repository's top is) gets the
        first answer, without running git again."""
        question = ["git", list(args), stdin.decode("utf-8", "surrogateescape")]
        key = json.dumps(question, ensure_ascii=False)
        if key in self._git:
            return self._git[key]
        out = self._git[key] = run_git(self.root, args, stdin)
        self._keep(question, out)
        return out

    def record(self) -> dict[str, str]:
        return dict(sorted(self.answers.items()))


def list_files(folder: Path) -> list[Path]:
    out = []
    if folder.is_dir():
        for parent, dirs, names in os.walk(folder, followlinks=True):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            out += [Path(parent) / n for n in names if not n.startswith(".")]
    return sorted(out, key=lambda p: p.relative_to(folder).as_posix())


def _listing(files: list[Path], folder: Path) -> str:
    return "\n".join(p.relative_to(folder).as_posix() for p in files)


def run_git(root: Path, args, stdin: bytes = b"") -> bytes | None:
    try:
        done = subprocess.run(["git", "-C", str(root), *args], capture_output=True, timeout=60, input=stdin)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout if done.returncode == 0 else None


def unchanged(root: Path, recorded: dict[str, str]) -> bool:
    """Whether every question a build asked gets the same answer now."""
    return bool(recorded) and all(_answer(root, json.loads(q)) == d for q, d in recorded.items())


def _answer(root: Path, question: list) -> str:
    kind, argument = question[0], question[1]
    path = Path(argument) if os.path.isabs(str(argument)) else root / str(argument)
    try:
        if kind == "file":
            return _digest(path.read_bytes())
        if kind == "exists":
            return _digest(str(path.exists()))
        if kind == "files":
            return _digest(_listing(list_files(path), path))
        if kind == "mtime":
            return _digest(str(int(path.stat().st_mtime)))
        if kind == "env":
            return _digest(os.environ.get(argument))
        if kind == "git":
            return _digest(run_git(root, argument, question[2].encode("utf-8", "surrogateescape")))
    except OSError:
        return _digest(None)
    return "unknown question"
