"""`studydeck init DIR`: a new deck's project, complete (mkdocs' `new`, Sphinx's quickstart).

It holds everything this deck's project holds but its content: the tool (build.py, studydeck/,
templates/ with the fonts and their licences), the GitHub workflows and release scripts,
.gitignore, a pyproject.toml whose [tool.studydeck] names the new deck, its groups and a
guid-prefix of its own, entries/ with one example entry per group and the schema, and a README
that says the two commands. Written into a temporary folder beside DIR and moved into place at
the end (an empty DIR is filled in place: the current folder or a mount point stays itself): a
refused or interrupted init leaves nothing, not even the parent folders it made."""

from __future__ import annotations

import contextlib
import json
import re
import secrets
import shlex
import shutil
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

from studydeck.errors import UsageError

TOOL_ROOT = Path(__file__).resolve().parent.parent  # the project this copy of the tool runs from
TOOL_FILES = ("build.py", "studydeck", "templates", ".github", ".gitignore")  # copied as they are
DEFAULT_GROUPS = ("개념",)


@dataclass(frozen=True)
class Plan:
    folder: Path
    deck: str
    groups: tuple[str, ...]
    description: str
    guid_prefix: str
    name: str  # [project] name: the Python distribution
    deck_from: str = "--deck"  # what gave the deck's name, for messages


def plan(folder: str | Path, deck: str | None, groups: list[str], description: str | None, prefix: str | None) -> Plan:
    """What init will write, from the options; refuses what a build would refuse."""
    if not str(folder).strip():
        raise UsageError("init: DIR is empty; name the folder of the new project (e.g. studydeck init my-deck)")
    folder = Path(folder)
    if deck is not None and not deck.strip():
        raise UsageError("init: --deck is empty; give the deck's name, or leave the option out for DIR's name")
    if blank := [i for i, g in enumerate(groups, 1) if not g.strip()]:
        raise UsageError(f"init: --group #{blank[0]} is empty; give each group a name")
    if prefix is not None and not prefix.strip():
        raise UsageError("init: --guid-prefix is empty; leave the option out for one made from DIR's name")
    if folder.is_symlink():  # a link, dangling or not, would send the project wherever it points
        raise UsageError(f"{folder}: is a link; init writes a new project into a real folder")
    folder = folder.resolve()
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"{folder}: is a file; init writes a new project into a new or empty folder")
    if folder.exists() and any(
        p.name != ".git" for p in folder.iterdir()
    ):  # a fresh clone of an empty repository: fine
        raise UsageError(f"{folder}: not an empty folder; init writes a new project into a new or empty folder")
    name = _slug(folder.name) or "study-deck"
    deck_from = "--deck" if deck else "the deck's name (DIR's name; give one with --deck)"
    deck = (deck or folder.name).strip()
    groups = tuple(dict.fromkeys(g.strip() for g in groups if g.strip())) or DEFAULT_GROUPS
    prefix = prefix or f"{name}-{secrets.token_hex(4)}"
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}", prefix):
        raise UsageError(f"--guid-prefix '{prefix}': use letters, digits, '.', '_' and '-' (at most 64)")
    if description is not None:
        description = " ".join(description.split())  # one line, as Anki's overview and the metadata show it
    return Plan(folder, deck, groups, description or f"{deck}: 빈칸 카드와 인쇄용 정리", prefix, name, deck_from)


def _slug(text: str) -> str:
    return "-".join(re.findall(r"[a-z0-9]+", text.lower()))[:50].strip("-")  # + 9: a guid-prefix of <= 64


def write(p: Plan) -> list[str]:
    """Write the project; return the lines init prints."""
    missing = [n for n in TOOL_FILES if not (TOOL_ROOT / n).exists()]
    if missing:
        raise UsageError(
            f"this studydeck is installed without its project files ({', '.join(missing)} missing in "
            f"{TOOL_ROOT}); run init from a clone of the tool (pip install -e .)"
        )
    made = [d for d in (p.folder, *p.folder.parents) if not d.exists()]  # removed again if init fails
    in_place = p.folder.exists()  # an empty folder (the current one, a mount point): filled where it is
    if in_place:
        staging = p.folder / f".studydeck-init-{secrets.token_hex(4)}"
    else:
        p.folder.parent.mkdir(parents=True, exist_ok=True)
        staging = p.folder.parent / f".studydeck-init-{secrets.token_hex(4)}"
    moved: list[Path] = []
    try:
        staging.mkdir()
        for name in TOOL_FILES:
            src = TOOL_ROOT / name
            if src.is_dir():
                shutil.copytree(src, staging / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
            else:
                shutil.copy2(src, staging / name)
        (staging / "pyproject.toml").write_text(pyproject(p), "utf-8")
        entries = staging / "entries"
        entries.mkdir()
        shutil.copy2(TOOL_ROOT / "entries" / "schema.json", entries / "schema.json")
        for i, group in enumerate(p.groups, 1):
            (entries / f"example-{i}.yaml").write_text(example(group, i), "utf-8")
        (staging / "README.md").write_text(readme(p), "utf-8")
        _check(staging, p.deck_from)
        repository = (p.folder / ".git").exists() or _git_init(staging)
        _first_build(staging, p.deck_from)
        if in_place:
            for item in sorted(staging.iterdir()):
                item.rename(p.folder / item.name)
                moved.append(p.folder / item.name)
            staging.rmdir()
        else:
            staging.rename(p.folder)
    except BaseException:
        for item in moved:
            shutil.rmtree(item, ignore_errors=True) if item.is_dir() else item.unlink(missing_ok=True)
        shutil.rmtree(staging, ignore_errors=True)
        for folder in made[1:]:  # the folders init made on the way (DIR itself is the staging's)
            with contextlib.suppress(OSError):
                folder.rmdir()
        raise
    return [
        f"created {p.folder}: deck '{p.deck}', groups {', '.join(p.groups)}, guid-prefix {p.guid_prefix}"
        + ("; a git repository" if repository else "; no git found: run git init there before a release"),
        f"next: cd {shlex.quote(str(p.folder))} && python3 -m venv .venv && .venv/bin/pip install -e . "
        "&& .venv/bin/python build.py",
    ]


def _check(staging: Path, deck_from: str) -> None:
    """The configuration init wrote, read as a build reads it: a deck or group name Anki would
    change is refused here, at the option that gave it, and nothing is written."""
    from studydeck.errors import StudydeckError
    from studydeck.gather.config import load_config
    from studydeck.gather.reads import Reads

    try:
        load_config(Reads(staging))
    except StudydeckError as exc:
        raise UsageError(f"init: {as_option(str(exc), deck_from)}") from None


def as_option(message: str, deck_from: str = "--deck") -> str:
    """A build's message about the pyproject.toml init wrote, in the words of init's options."""
    message = re.sub(r"^pyproject\.toml(:\d+:\d+)?: ", "", message)
    message = message.replace("[tool.studydeck] deck", deck_from)
    message = re.sub(r"\[tool\.studydeck\] (description|guid-prefix)\b", r"--\1", message)
    return re.sub(r"\[\[tool\.studydeck\.groups\]\] #(\d+) (label|name|subdeck)", r"--group #\1", message)


def _git_init(staging: Path) -> bool:
    """The project as a git repository of its own (as `cargo new` makes one): its release tags are
    read there, so until a release ships nothing, every note is a draft (the example entries go
    freely). Outside git every note of entries.lock would count as released."""
    import subprocess

    if shutil.which("git") is None:
        return False
    done = subprocess.run(
        ["git", "-c", "init.defaultBranch=main", "init", "-q", str(staging)], capture_output=True, text=True
    )
    return done.returncode == 0


def _first_build(staging: Path, deck_from: str) -> None:
    """entries.lock and entries/schema.json as the first build writes them, so the new project
    passes `build.py --check --strict --locked` (its CI) before any edit. The deck is made into
    a temporary folder and dropped, and so is the build's cache."""
    import tempfile

    from studydeck.errors import UsageError as ConfigError
    from studydeck.model import Options
    from studydeck.pipeline import build

    with tempfile.TemporaryDirectory() as out:
        try:
            build(Options(staging, Path(out), only="deck", strict=True), say=lambda line: None)
        except ConfigError as exc:  # e.g. a name the bundled font cannot draw: said as the option that gave it
            raise UsageError(f"init: {as_option(str(exc), deck_from)}") from None
    shutil.rmtree(staging / ".cache", ignore_errors=True)


def _toml(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)  # a TOML basic string is a JSON string


def pyproject(p: Plan) -> str:
    tool = tomllib.loads((TOOL_ROOT / "pyproject.toml").read_text("utf-8"))
    deps = "".join(f"    {_toml(d)},\n" for d in tool["project"]["dependencies"])
    groups = "".join(
        f"\n[[tool.studydeck.groups]]\nname = {_toml(g)}\nlabel = {_toml(g)}\nsubdeck = {_toml(g)}\norder = []\n"
        for g in p.groups
    )
    return f"""[build-system]
requires = ["setuptools>=68"]
build-backend = "setuptools.build_meta"

[project]
name = {_toml(p.name)}
version = "0.1.0"
description = {_toml(p.description)}
requires-python = ">=3.11"
# The tool's own pins: its outputs' bytes depend on them (a release is reproducible).
dependencies = [
{deps}]

[project.optional-dependencies]
test = ["pytest>=8"]

[project.scripts]
studydeck = "studydeck.cli:main"

[tool.setuptools.packages.find]
include = ["studydeck", "studydeck.*"]

[tool.studydeck]
# The deck's name in Anki. Subdecks are "<deck>::<subdeck>". Anki matches decks by name:
# renaming it after a release moves no card, it makes new decks on the next import.
deck = {_toml(p.deck)}
# Part of every note's GUID and of the note type's id, made unique for this deck by init.
# Never change it after a release: every note would import as a new one.
guid-prefix = {_toml(p.guid_prefix)}
# On Anki's deck overview, with the version and the links to the source and the change list.
description = {_toml(p.description)}
# The language of the release notes (dist/CHANGES.md): "ko" or "en".
language = "ko"

# The groups, in the order of the sheets' sections. An entry's `group:` names one. `label` is
# its section heading, `subdeck` its Anki subdeck. `order` lists entry ids first, in reading
# order; the group's other entries follow by title.
{groups}"""


def example(group: str, i: int) -> str:
    return f"""# yaml-language-server: $schema=schema.json
# An example entry: replace it with your own. entries/schema.json describes every field (an
# editor with YAML support completes them); `build.py --check` finds every mistake at its line.
id: example-{i}
title: {_toml(group + " 빈칸 카드 예시")}
group: {_toml(group)}
definitions:
  - key: cloze
    term: 빈칸 카드
    text: "빈칸 카드는 문장의 한 부분을 {{{{c1::가리고}}}} 그 부분을 {{{{c2::떠올리게}}}} 하는 카드다."
points:
  - 한 정의는 Anki 노트 하나가 되고, 빈칸 하나가 카드 하나가 된다.
  - 카드 하나는 사실 하나만 묻는다.
  - 저장하면 미리보기가 바로 바뀐다 (build.py --watch).
"""


def readme(p: Plan) -> str:
    return f"""# {p.deck}

{p.description}

Made with studydeck: the entries in `entries/` become an Anki deck of cloze cards, printable
study sheets and a worksheet, in `dist/`.

Build `dist/`:

```sh
python3 -m venv .venv && .venv/bin/pip install -e . && .venv/bin/python build.py
```

Check the entries as CI does (problems at file:line:col; warnings are errors):

```sh
.venv/bin/python build.py --check --strict
```

While writing, `.venv/bin/python build.py --watch` serves a live preview of the sheet and the cards.
A release: commit `entries.lock` with the entries, then push a tag `v1.0.0`; the release workflow
builds and publishes the deck and the PDFs.
"""


def ask(prompt: str, default: str) -> str:
    """One question, only on a terminal."""
    if not sys.stdin.isatty():
        return default
    answer = input(f"{prompt} [{default}]: ").strip()
    return answer or default
