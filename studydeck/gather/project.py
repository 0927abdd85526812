"""Gather: everything every output is made from, read and checked once, before anything is made.

Project is the one parsed document of a build (in Sphinx's words): the configuration, the
entries in reading order, every note with its identity and time, the fonts, the lock to write
and what changed. Every check runs here, whatever is built: an entry is valid or not, for all.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from studydeck import figures, fonts
from studydeck.anki import notes
from studydeck.errors import BuildError, Problem, UsageError, warn, warnings_so_far
from studydeck.gather import history, identity, lint, lock, releases
from studydeck.gather.config import check_drawable, check_released, load_config, source_date_epoch
from studydeck.gather.load import entry_files, load, outside, rel_path, unreadable_name
from studydeck.gather.order import in_reading_order
from studydeck.gather.reads import Reads
from studydeck.gather.schema import SCHEMA_NAME, schema_bytes
from studydeck.gather.validate import Checked, check_file, link
from studydeck.memo import Memo
from studydeck.model import Config, Entry, Options, PrintOptions
from studydeck.state import cache

FONT_CACHE = Path(".cache") / "studydeck" / "fonts"


@dataclass(frozen=True)
class Project:
    options: Options
    reads: Reads = field(compare=False, repr=False)
    config: Config
    entries: list[Entry]
    notes: list[notes.Note]
    notetype: notes.Notetype
    web_fonts: list[fonts.WebFont]  # the deck's and the preview's fonts
    built: int  # the release's time (SOURCE_DATE_EPOCH), else the newest content's: the sheets' date
    # identity, lock and card quality: gather() gives them, draft() (watch mode's preview) does not
    mods: dict[str, int] = field(default_factory=dict)  # GUID -> the note's modification time
    revs: dict[str, str] = field(default_factory=dict)  # GUID -> the note's revision tag
    old_revs: frozenset[str] = frozenset()  # revision tags earlier releases shipped and this build does not
    notetype_mod: int = 0
    lock: lock.Lock = field(default_factory=lock.Lock)  # entries.lock after this build
    changes: identity.NoteChanges = field(default_factory=lambda: identity.NoteChanges([], [], [], {}))
    warnings: list[Problem] = field(default_factory=list)
    schema: bytes = b""  # entries/schema.json as the configuration makes it

    @property
    def root(self) -> Path:
        return self.options.root

    @property
    def templates(self) -> Path:
        return self.options.root / "templates"

    @property
    def lock_bytes(self) -> bytes:
        return self.lock.to_bytes()

    def project_updates(self) -> dict[Path, bytes]:
        """The project's own files this build brings up to date: entries.lock, entries/schema.json."""
        out = {}
        for path, data in ((self.root / lock.LOCK_NAME, self.lock_bytes), (self.root / SCHEMA_NAME, self.schema)):
            if not self.reads.exists(path) or _read_or_none(self.reads, path) != data:
                out[path] = data  # a folder or an unreadable file there: the write says so in one line
        return out


def _read_or_none(reads: Reads, path: Path) -> bytes | None:
    try:
        return reads.bytes(path)
    except OSError:
        return None


def gather(options: Options, reads: Reads) -> Project:
    """The Project for options, every problem raised (BuildError) before any output is made."""
    config = load_config(reads)
    sde = source_date_epoch(reads)
    entries = _entries(options, reads, config, selection=options.only != "deck")
    old_lock = lock.read_lock(reads)
    released = releases.read(reads, lock.LOCK_NAME)
    shipped = releases.shipped(reads, released)
    if released:  # what learners' collections depend on stays, unless the author means to change it
        check_released(config, releases.settings(reads, released[-1]), released[-1].tag)
        old_lock = releases.restore(old_lock, released[-1])
    guids, renamed = identity.assign_guids(entries, old_lock, config)
    gone = identity.check_missing(entries, old_lock, renamed, options.accept_removals, shipped)
    web_fonts, notetype, made = _notes(options, reads, config, entries, guids)
    card_files = [f"templates/card/{name}" for name in notes.CARD_FILES]
    clock = identity.Clock(
        tuple(released),
        history.content_times(reads, sorted({e.path for e in entries}) + card_files),
        sde,
    )
    ids = identity.identify(entries, made, old_lock, renamed, clock)
    nt_record, nt_mod = identity.notetype_times(clock, identity.notetype_hash(notetype), old_lock, card_files)
    new_lock, changes = identity.update(old_lock, ids, nt_record, gone, config.version)
    if options.changes_since is not None:  # a release lists what changed since the previous one
        before = lock.read_lock_file(reads, options.changes_since)
        changes = identity.diff(before, new_lock, config.version, {i.guid: i.legacy for i in ids})
    mods = {i.guid: i.mod for i in ids}
    revs, old_revs = identity.revs(list(clock.releases), ids)
    project = Project(
        options,
        reads,
        config,
        entries,
        made,
        notetype,
        web_fonts,
        sde if sde is not None else max([nt_mod, *mods.values()]),
        mods=mods,
        revs=revs,
        old_revs=old_revs,
        notetype_mod=nt_mod,
        lock=new_lock,
        changes=changes,
        warnings=warnings_so_far() + lint.check(entries, old_lock, renamed, config.lint, shipped),
        schema=schema_bytes(config, list(lint.RULES)),
    )
    _check_lock_and_warnings(project)
    return project


def _entries(options: Options, reads: Reads, config: Config, selection: bool) -> list[Entry]:
    """Every entry, checked: the configuration's words and the entries' text in the bundled font,
    source paths, and (for the printed outputs) the selection of --group and --tag."""
    charset = fonts.charset(reads, options.root / "templates")
    check_drawable(config, charset)
    entries = read_entries(reads, config, charset)
    _check_source_paths(entries, config)
    if selection:
        check_selection(entries, options.printing, config)
    return entries


def _notes(options: Options, reads: Reads, config: Config, entries: list[Entry], guids: dict[str, str]):
    """The deck's fonts (subsets for what the cards show), its notetype and its notes.

    The subsets are made here, in gather, although they are output files: the note type's CSS
    names each subset by its content (Anki keeps a media file it already has, so a new subset
    needs a new name), and the note type's identity and time in entries.lock are settled
    before anything is made. So a new character is a new note type version, by design."""
    templates = options.root / "templates"
    made = notes.notes(entries, config, guids)
    tags = tuple(t for e in entries for t in e.tags)
    text, code = notes.characters(reads, made, notes.decks(config), templates, config, tags)
    kept = options.root / FONT_CACHE if cache.usable(options.root) else None
    web_fonts = fonts.web_fonts(reads, templates, text, code, kept)
    notetype = notes.notetype(reads, templates, config, fonts.css(web_fonts))
    return web_fonts, notetype, made


def draft(options: Options, reads: Reads, now: int) -> Project:
    """The Project as watch mode previews it after a save: every entry read and checked as a
    build checks it (the same problems), but no identities, lock or card-quality checks (the
    full build after it does those), and `now` as its date. Fast: unchanged files are reused."""
    config = load_config(reads)
    entries = _entries(options, reads, config, selection=True)
    guids = {
        f"{e.id}/{d.key}": notes.note_guid(config.guid_prefix, e.id, d.key) for e in entries for d in e.definitions
    }
    web_fonts, notetype, made = _notes(options, reads, config, entries, guids)
    sde = source_date_epoch(reads)
    return Project(options, reads, config, entries, made, notetype, web_fonts, sde if sde is not None else now)


_SCHEMA_LINE = re.compile(r"#\s*yaml-language-server:\s*\$schema=(\S+)")


def _schema_line(root: Path, path: Path, rel: str, data: bytes) -> None:
    """An entry's `$schema` line (the editor checks the file against it) must lead to
    entries/schema.json from the file's own folder: one copied into a subfolder leads nowhere,
    and the editor then checks nothing, silently. A warning that says the path to write."""
    head = data[:2000].decode("utf-8", "replace")
    m = _SCHEMA_LINE.search(head)
    if m is None or "://" in m.group(1):
        return
    schema = root / SCHEMA_NAME
    if (path.parent / m.group(1)).resolve() == schema.resolve():
        return
    want = Path(os.path.relpath(schema, path.parent)).as_posix()
    line = head.count("\n", 0, m.start(1)) + 1
    col = m.start(1) - (head.rfind("\n", 0, m.start(1)) + 1) + 1
    warn(
        rel,
        f"its $schema line leads to {m.group(1)} from this folder, not to entries/schema.json: the editor "
        f"cannot check this file; write $schema={want}",
        line,
        col,
    )


def draft_warnings(project: Project) -> list[Problem]:
    """A draft's card-quality warnings, as the full build will give them (with the lock as it is;
    a rename is the full build's to judge). Watch mode shows them after the preview: at 1,000
    entries they take 0.17 s, a third of the preview's own time."""
    reads = project.reads
    shipped = releases.shipped(reads, releases.read(reads, lock.LOCK_NAME))
    return lint.check(project.entries, lock.read_lock(reads), {}, project.config.lint, shipped)


def read_entries(reads: Reads, config: Config, charset: frozenset[int] | None = None) -> list[Entry]:
    """Every entry file, loaded and validated, in reading order; all problems of all files at once.

    With a charset (the bundled text font's), text the sheets could not show is a problem too.
    """
    root = reads.root
    folder = root / "entries"
    if not folder.is_dir():
        raise BuildError(f"no entries/ folder in {root}")
    checked, problems, unread = [], [], set()
    for path in entry_files(reads, folder):
        if (problem := outside(root, path) or unreadable_name(root, path)) is not None:
            problems.append(problem)
            continue
        found = _check(reads, path, rel_path(root, path), config.group_names, charset)
        if isinstance(found, list):
            problems += found
            unread |= _written_id(reads, path)
        else:
            checked.append(found)
    entries, found = link(checked, frozenset(unread))
    problems += found
    entries, found = figures.load_all(reads, entries)
    problems += found
    if problems:
        raise BuildError(f"{len(problems)} problem(s) in entries/; nothing was written", problems)
    if not entries:
        raise BuildError("entries/ holds no entry files (*.yaml)")
    return in_reading_order(entries, config)


_checked = Memo("gather.checked entry files", 20_000)
_ID_LINE = re.compile(r"^id:[ \t]*['\"]?([a-z0-9]+(?:-[a-z0-9]+)*)['\"]?[ \t]*(?:#.*)?$", re.MULTILINE)


def _written_id(reads: Reads, path: Path) -> set[str]:
    """The id a file that did not load says it has (an `id:` line), or its file name's stem."""
    try:
        found = _ID_LINE.search(reads.text(path))
    except (OSError, UnicodeDecodeError):
        found = None
    return {found.group(1) if found else path.stem}


def _check(
    reads: Reads, path: Path, rel: str, groups: tuple[str, ...], charset: frozenset[int] | None
) -> Checked | list[Problem]:
    """One file loaded and checked on its own (or its problems), remembered for the process by
    its content and the settings it was checked with: watch mode rebuilds on every save, and
    only the saved file has changed."""
    try:
        data = reads.bytes(path)
    except FileNotFoundError:  # listed a moment ago: renamed or deleted while the build reads
        return [
            Problem(rel, 0, 0, "", "the file disappeared while the build read it (renamed or deleted?); build again")
        ]
    except OSError as exc:
        return [Problem(rel, 0, 0, "", f"cannot be read: {exc.strerror or exc}")]
    _schema_line(reads.root, path, rel, data)  # a warning each build, so before the memo
    key = (rel, hashlib.sha256(data).hexdigest(), groups, hash(charset), charset is None)

    def check() -> Checked | list[Problem]:
        source, found = load(reads, path, rel)
        return found if source is None else check_file(source, groups, charset, frozenset(lint.RULES))

    return _checked.get(key, check)


def _check_source_paths(entries: list[Entry], config: Config) -> None:
    """With a source URL, a card links <source-url>entries/<id>.yaml: every file must be there."""
    if not config.source_url:
        return
    problems = [
        Problem(
            e.path,
            *e.at("id"),
            "id",
            f"cards link their entry's file as {config.source_url}entries/{e.id}.yaml (source-url is set): "
            f"move this file to entries/{e.id}.yaml",
        )
        for e in entries
        if e.path != f"entries/{e.id}.yaml"
    ]
    if problems:
        raise BuildError(f"{len(problems)} problem(s) in entries/; nothing was written", problems)


def check_selection(entries: list[Entry], printing: PrintOptions, config: Config) -> None:
    """--group and --tag must name something there is, and select at least one entry."""
    unknown = [g for g in printing.groups if g not in config.group_names]
    if unknown:
        raise UsageError(f"--group {unknown[0]}: no such group; groups: {', '.join(config.group_names)}")
    tags = sorted({t for e in entries for t in e.tags})
    unknown = [t for t in printing.tags if t not in tags]
    if unknown:
        raise UsageError(f"--tag {unknown[0]}: no entry has this tag; tags in use: {', '.join(tags)}")
    if not printing.select(entries):
        raise UsageError("--group and --tag together select no entry; nothing to print")


def _lock_difference(project: Project) -> str:
    """What a stale lock lacks: the notes' changes, or else what else differs (a draft gone, a
    note now in another file, the note type)."""
    said = project.changes.summary()
    before, after = lock.read_lock(project.reads), project.lock
    more = []
    if gone := [n for n in before.notes if n not in after.notes and n not in after.removed]:
        more.append(f"{len(gone)} draft(s) gone")
    if moved := [n for n, r in after.notes.items() if n in before.notes and before.notes[n].path != r.path]:
        more.append(f"{len(moved)} note(s) now in another file")
    if before.notetype != after.notetype:
        more.append("the note type changed")
    if not more and before.to_bytes() != after.to_bytes():
        more.append("a note's term, answers or time")
    return ", ".join([said, *more])


def _check_lock_and_warnings(project: Project) -> None:
    options = project.options
    if options.strict and project.warnings:
        raise BuildError(
            f"{len(project.warnings)} warning(s), and --strict makes them errors; nothing was written",
            project.warnings,
        )
    stale = project.project_updates() if options.locked else {}
    if options.root / lock.LOCK_NAME in stale:
        raise BuildError(
            f"{lock.LOCK_NAME} is out of date ({_lock_difference(project)}); run 'python build.py' "
            f"and commit {lock.LOCK_NAME}"
        )
    if options.root / SCHEMA_NAME in stale:
        raise BuildError(
            f"{SCHEMA_NAME} does not match [tool.studydeck] (its groups) or this version of the build; "
            f"run 'python build.py' and commit {SCHEMA_NAME}"
        )
