"""The build: gather and check everything first, then make every output, then write them all."""
from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Callable

from . import cache, changes, deck, fonts, history, identity, lint, lock, pdf, preview, releases, sheet
from .config import load_config, source_date_epoch
from .errors import BuildError, Problem, UsageError
from .load import entry_files, load, outside, rel_path, unreadable_name
from .model import Config, Entry, PrintOptions
from .order import in_reading_order
from .validate import validate
from .write import recover, safe_stem, write_all

CARD_FILES = ("templates/card/front.html", "templates/card/back.html", "templates/card/card.css")


@dataclass(frozen=True)
class Options:
    root: Path
    out: Path
    only: str | None = None  # "deck", "sheet", "worksheet" or None for all
    check: bool = False
    strict: bool = False  # card-quality warnings are errors
    accept_removals: bool = False
    locked: bool = False
    printing: PrintOptions = PrintOptions()
    changes_since: Path | None = None  # a previous release's entries.lock for CHANGES.md

    def makes(self, output: str) -> bool:
        return self.only in (None, output)

    @property
    def makes_sheets(self) -> bool:
        return self.only != "deck"


@dataclass
class Result:
    entries: int = 0
    notes: int = 0
    cards: int = 0
    pages: dict[str, int] = field(default_factory=dict)  # "sheet"/"worksheet" -> page count
    reused: list[Path] = field(default_factory=list)  # outputs already up to date, left as they were
    written: list[Path] = field(default_factory=list)
    summary: str = ""
    warnings: list[Problem] = field(default_factory=list)  # card quality (studydeck/lint.py)


def read_entries(root: Path, config: Config, charset: frozenset[int] | None = None) -> list[Entry]:
    """Every entry file, loaded and validated; all problems of all files raised at once.

    With a charset (the sheet font's), text the printed sheet could not show is a problem too.
    """
    folder = root / "entries"
    if not folder.is_dir():
        raise BuildError(f"no entries/ folder in {root}")
    sources, problems = [], []
    for path in entry_files(folder):
        if (problem := outside(root, path) or unreadable_name(root, path)) is not None:
            problems.append(problem)
            continue
        source, found = load(path, rel_path(root, path))
        problems += found
        if source is not None:
            sources.append(source)
    entries, found = validate(sources, config.group_names, charset, frozenset(lint.RULES))
    problems += found
    if problems:
        raise BuildError(f"{len(problems)} problem(s) in entries/; nothing was written", problems)
    if not entries:
        raise BuildError("entries/ holds no entry files (*.yaml)")
    return in_reading_order(entries, config)


def build(opts: Options, say: Callable[[str], None] = print,
          report: Callable[[str, str], None] | None = None) -> Result:
    """Build dist/ from entries/ (or only check it). say(stage) and report(document, step) tell the user."""
    root, templates = opts.root, opts.root / "templates"
    config = load_config(root)
    if not opts.check and (finished := recover(opts.out)):
        say(f"finished writing {finished} file(s) that an interrupted build had left half written")
    record = cache.record(root, opts.out)
    inputs = _inputs(opts, config)
    if not opts.check and (last := record.unchanged(inputs)):  # nothing changed since the last build
        warnings = [Problem(**w) for w in last.get("warnings", [])]
        return Result(**{**last, "warnings": warnings, "reused": [opts.out / n for n in record.last["files"]]})
    # 1. Gather: every entry, identity and time is settled before anything is written. Every
    #    check runs whatever is built (--only, --check): an entry is valid or not, for all outputs.
    sde = source_date_epoch()
    entries = read_entries(root, config, fonts.charset(templates))
    if opts.makes_sheets:
        _check_selection(entries, opts.printing, config)
    old_lock = lock.read_lock(root)
    guids, renamed = identity.assign_guids(entries, old_lock, config)
    gone = identity.check_missing(entries, old_lock, renamed, opts.accept_removals)
    text_chars, code_chars = deck.characters(entries, templates, config)
    web_fonts = fonts.web_fonts(templates, text_chars, code_chars, root / cache.CACHE_DIR / "fonts")
    nt = deck.notetype(templates, fonts.css(web_fonts))
    notes = deck.notes(entries, config, guids)
    paths = sorted({e.path for e in entries})
    clock = identity.Clock(tuple(releases.read(root, lock.LOCK_NAME)),
                           history.content_times(root, paths + list(CARD_FILES)), sde)
    ids = identity.identify(entries, notes, old_lock, renamed, clock)
    mods = {i.guid: i.mod for i in ids}
    nt_hash = identity.content_hash(nt.id, nt.name, nt.fields, nt.template, nt.front, nt.back, nt.css)
    nt_record, nt_mod = identity.notetype_times(clock, nt_hash, old_lock, list(CARD_FILES))
    new_lock, diff = identity.update(old_lock, ids, nt_record, gone, config.version)
    if opts.changes_since is not None:  # a release lists what changed since the previous one
        diff = identity.diff(lock.read_lock_file(opts.changes_since), new_lock, config.version)
    result = Result(len(entries), len(notes), sum(len(n.ordinals) for n in notes), summary=diff.summary(),
                    warnings=lint.check(entries, old_lock, renamed, config.lint))
    if opts.strict and result.warnings:
        raise BuildError(f"{len(result.warnings)} card-quality warning(s), and --strict makes them errors; "
                         "nothing was written", result.warnings)
    lock_bytes = new_lock.to_bytes()
    lock_path = root / lock.LOCK_NAME
    if opts.locked and (not lock_path.exists() or lock_path.read_bytes() != lock_bytes):
        raise BuildError(f"{lock.LOCK_NAME} is out of date ({result.summary}); run 'python build.py' "
                         f"and commit {lock.LOCK_NAME}")
    if opts.check:
        return result
    # 2. Make every output that changed, in memory; a failure here leaves dist/ untouched. The
    #    sheets are laid out in their own processes while the deck is packed here.
    stem, files = safe_stem(config.deck), {}
    kinds = [k for k in sheet.KINDS if opts.makes(k)]
    todo, keys, names = {}, {}, {}
    if kinds:
        built, printing = sde if sde is not None else max([nt_mod, *mods.values()]), opts.printing
        stem_p = stem + printing.suffix()
        names = {"sheet": f"{stem_p}.pdf", "worksheet": f"{stem_p}-worksheet.pdf"}
        font_digest = cache.files_digest(templates / fonts.FONT_DIR)
        for kind in kinds:
            make = _FirstLayout(partial(sheet.render, kind, entries, config, templates, built, printing))
            keys[kind] = cache.key(kind, make.first.html, font_digest, printing.columns, pdf.BALANCE_MAX_PAGES)
            seen = record.fresh(names[kind], keys[kind])
            if seen:
                result.pages[kind] = seen.get("pages", 0)
                result.reused.append(opts.out / names[kind])
            else:
                todo[kind] = make
        if todo:
            say(f"laying out {' and '.join(names[k] for k in todo)} ({len(printing.select(entries))} entries) ...")
            pending = pdf.start(todo, templates, built, printing.columns, report)
        if "sheet" in kinds:  # the HTML preview, for a browser
            files[f"{stem_p}.html"] = preview.render(entries, config, templates, built, printing, web_fonts).encode()
    try:
        media = {**{f.name: f.data for f in web_fonts}, **fonts.licences(templates)}
        _make_deck(opts, config, notes, nt, nt_mod, mods, media, stem, record, files, result, say)
    except BaseException:
        if todo:
            pending.cancel()
        raise
    if todo:
        if report:
            report("", f"{'deck packed; ' if opts.makes('deck') else ''}waiting for the sheets ...")
        for kind, (data, pages) in pending.result().items():
            files[names[kind]] = data
            result.pages[kind] = pages
            record.update(names[kind], keys[kind], data, pages=pages)
    files["CHANGES.md"] = changes.render(config, diff, new_lock, nt.name).encode()
    for name in [n for n in files if n.endswith((".html", ".md"))]:  # cheap to make: skip if identical
        if _same(opts.out / name, files[name]):
            files.pop(name)
            result.reused.append(opts.out / name)
    # 3. Write all outputs and the identities they were built with, or none of them.
    new_lock_file = {} if lock_path.exists() and lock_path.read_bytes() == lock_bytes else {lock_path: lock_bytes}
    result.written = write_all(opts.out, files, new_lock_file)
    # 4. Remember what this build read and made, so a rebuild from the same inputs can stop at the
    #    start. They include the lock as it was read: a build that rewrote it is followed by one
    #    full build (whose CHANGES.md then lists nothing new, as it always did).
    record.finish(inputs, {"entries": result.entries, "notes": result.notes, "cards": result.cards,
                           "pages": result.pages, "summary": result.summary,
                           "warnings": [dataclasses.asdict(w) for w in result.warnings]},
                  sorted(p.name for p in result.written + result.reused))
    if not record.save():
        say(f"warning: could not record this build in {cache.CACHE_DIR.as_posix()}/ ({record.error}); "
            "the next build makes everything again")
    return result


def _inputs(opts: Options, config) -> str:
    """A digest of every file and setting the build reads (git history only matters for edited
    notes, and an edit changes an entry file)."""
    root = opts.root
    if not (root / "entries").is_dir():
        return ""
    files = [*entry_files(root / "entries"), *sorted(p for p in (root / "templates").rglob("*") if p.is_file()),
             root / "pyproject.toml", root / lock.LOCK_NAME]
    if opts.changes_since is not None:
        files.append(opts.changes_since.resolve())
    settings = [opts.only, opts.strict, opts.accept_removals, opts.locked, str(opts.changes_since), opts.printing.paper,
                opts.printing.columns, opts.printing.groups, opts.printing.tags, config.version,
                source_date_epoch(), _git_state(root)]
    return cache.inputs_digest(root, files, settings)


def _git_state(root: Path) -> list:
    """What the modification times read from git: the releases, and the last commit of each
    file (an edit that is committed changes no file, but moves its notes' times)."""
    return [[(r.tag, r.time) for r in releases.read(root, lock.LOCK_NAME)],
            history.content_times(root, [p.relative_to(root).as_posix() for p in entry_files(root / "entries")]
                                  + list(CARD_FILES))]


def _make_deck(opts, config, notes, nt, nt_mod, mods, media, stem, record, files, result, say) -> None:
    """The .apkg into files, unless the one in the output folder is up to date."""
    if not opts.makes("deck"):
        return
    name, description = f"{stem}.apkg", _description(config)
    deck_key = cache.key("deck", [(n.guid, identity.note_hash(n), mods[n.guid], n.position) for n in notes], nt_mod,
                         [nt.id, nt.name, nt.fields, nt.template, nt.front, nt.back, nt.css],
                         deck.deck_names(config), description, sorted(media))
    if record.fresh(name, deck_key):
        result.reused.append(opts.out / name)
        return
    from . import apkg  # genanki: imported only when the deck is packed

    say(f"packing {len(notes)} notes ...")
    files[name] = apkg.pack(notes, nt, deck.deck_names(config), description, mods, nt_mod, media)
    record.update(name, deck_key, files[name])


class _FirstLayout:
    """sheet.render with its first (unfitted) document made once: it is also the cache key."""

    def __init__(self, make):
        self.make, self.first = make, make(None)

    def __call__(self, fit=None, **kwargs):
        return self.first if fit is None and not kwargs else self.make(fit, **kwargs)


def _same(path: Path, data: bytes) -> bool:
    try:
        return path.stat().st_size == len(data) and path.read_bytes() == data
    except OSError:
        return False


def _check_selection(entries: list[Entry], printing: PrintOptions, config: Config) -> None:
    unknown = [g for g in printing.groups if g not in config.group_names]
    if unknown:
        raise UsageError(f"--group {unknown[0]}: no such group; groups: {', '.join(config.group_names)}")
    tags = sorted({t for e in entries for t in e.tags})
    unknown = [t for t in printing.tags if t not in tags]
    if unknown:
        raise UsageError(f"--tag {unknown[0]}: no entry has this tag; tags in use: {', '.join(tags)}")
    if not printing.select(entries):
        raise UsageError("--group and --tag together select no entry; nothing to print")


def _description(config) -> str:
    return f"쿠버네티스 오브젝트와 네트워크 개념 클로즈 카드. 버전 {config.version}."


__all__ = ["Options", "Result", "build", "read_entries", "BuildError", "Problem"]
