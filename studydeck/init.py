"""`studydeck init DIR`: a new deck's project, complete (mkdocs' `new`, Sphinx's quickstart).

It holds everything this deck's project holds but its content: the tool (build.py, studydeck/,
templates/ with the fonts and their licences), the GitHub workflows and release scripts,
.gitignore, a pyproject.toml whose [tool.studydeck] names the new deck, its groups and a
guid-prefix of its own, entries/ with one example entry per group and the schema, and a README
that says the two commands. Written into a temporary folder beside DIR and moved into place at
the end: a refused or interrupted init leaves nothing."""

from __future__ import annotations

import json
import re
import secrets
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


def plan(folder: Path, deck: str | None, groups: list[str], description: str | None, prefix: str | None) -> Plan:
    """What init will write, from the options; refuses what a build would refuse."""
    folder = folder.resolve()
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise UsageError(f"{folder}: not an empty folder; init writes a new project into a new or empty folder")
    name = _slug(folder.name) or "study-deck"
    deck = (deck or folder.name).strip()
    groups = tuple(dict.fromkeys(g.strip() for g in groups if g.strip())) or DEFAULT_GROUPS
    prefix = prefix or f"{name}-{secrets.token_hex(4)}"
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}", prefix):
        raise UsageError(f"--guid-prefix '{prefix}': use letters, digits, '.', '_' and '-' (at most 64)")
    return Plan(folder, deck, groups, description or f"{deck}: 빈칸 카드와 인쇄용 정리", prefix, name)


def _slug(text: str) -> str:
    return "-".join(re.findall(r"[a-z0-9]+", text.lower()))[:60].strip("-")


def write(p: Plan) -> list[str]:
    """Write the project; return the lines init prints."""
    missing = [n for n in TOOL_FILES if not (TOOL_ROOT / n).exists()]
    if missing:
        raise UsageError(
            f"this studydeck is installed without its project files ({', '.join(missing)} missing in "
            f"{TOOL_ROOT}); run init from a clone of the tool (pip install -e .)"
        )
    p.folder.parent.mkdir(parents=True, exist_ok=True)
    staging = p.folder.parent / f".{p.folder.name}.init-{secrets.token_hex(4)}"
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
        _check(staging)
        _first_build(staging)
        if p.folder.exists():
            p.folder.rmdir()  # empty: checked in plan()
        staging.rename(p.folder)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return [
        f"created {p.folder}: deck '{p.deck}', groups {', '.join(p.groups)}, guid-prefix {p.guid_prefix}",
        f"next: cd {p.folder} && python3 -m venv .venv && .venv/bin/pip install -e . && .venv/bin/python build.py",
    ]


def _check(staging: Path) -> None:
    """The configuration init wrote, read as a build reads it: a deck or group name Anki would
    change is refused here, at the option that gave it, and nothing is written."""
    from studydeck.errors import StudydeckError
    from studydeck.gather.config import load_config
    from studydeck.gather.reads import Reads

    try:
        load_config(Reads(staging))
    except StudydeckError as exc:
        message = re.sub(r"^pyproject\.toml:\d+:\d+: ", "", str(exc))
        raise UsageError(f"init: {message}") from None


def _first_build(staging: Path) -> None:
    """entries.lock and entries/schema.json as the first build writes them, so the new project
    passes `build.py --check --strict --locked` (its CI) before any edit. The deck is made into
    a temporary folder and dropped, and so is the build's cache."""
    import tempfile

    from studydeck.model import Options
    from studydeck.pipeline import build

    with tempfile.TemporaryDirectory() as out:
        build(Options(staging, Path(out), only="deck", strict=True), say=lambda line: None)
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
# An example entry: replace it with your own (the README's Entries section lists every field).
id: example-{i}
title: 빈칸 카드 예시 {i}
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
