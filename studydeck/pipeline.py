"""The build: gather and check everything first, then make every output that changed, then
write them all at once (or none)."""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from studydeck import workers
from studydeck.errors import Problem, collecting_warnings
from studydeck.gather.lock import LOCK_NAME
from studydeck.gather.project import Project, gather
from studydeck.gather.reads import Reads
from studydeck.gather.schema import SCHEMA_NAME
from studydeck.model import Options
from studydeck.outputs import Made, registry
from studydeck.state import cache
from studydeck.state.write import one_build_at_a_time, recover, write_all

Say = Callable[[str], None]
Report = Callable[[str, str], None]


@dataclass
class Result:
    entries: int = 0
    notes: int = 0
    cards: int = 0
    epilogs: dict[str, str] = field(default_factory=dict)  # output -> its words in the summary ("sheet 4 pages")
    reused: list[Path] = field(default_factory=list)  # outputs already up to date, left as they were
    written: list[Path] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)  # the project's own files rewritten (entries.lock, ...)
    summary: str = ""
    warnings: list[Problem] = field(default_factory=list)  # card quality (studydeck/gather/lint.py)


def build(options: Options, say: Say = print, report: Report | None = None) -> Result:
    """Build the outputs from entries/ (or only check them). say(stage) and report(document, step)
    tell the user what happens. Builds of one project take turns; --check writes nothing and waits for none."""
    with collecting_warnings(), contextlib.nullcontext() if options.check else one_build_at_a_time(options.root, say):
        return _steps(options, say, report)


def _steps(options: Options, say: Say, report: Report | None) -> Result:
    """The pipeline's table of contents: replay, gather, check, make, write, remember."""
    extras = (options.root / LOCK_NAME, options.root / SCHEMA_NAME)
    if not options.check and (finished := recover(options.out, extras)):
        say(f"finished writing {finished} file(s) that an interrupted build had left half written")
    record = cache.record(options.root, options.out)
    if not options.check and (last := record.unchanged(options)):  # nothing changed since the last build
        return _result_of_record(last, record, options)
    # 1. Gather: every entry, identity and time is settled, and every check run, before anything is made.
    reads = Reads(options.root)
    project = gather(options, reads)
    # every output's inputs, and so its refusals, whatever is made: one verdict for every command
    prepared = {output: output.prepare(project) for output in registry()}
    result = Result(
        len(project.entries),
        len(project.notes),
        sum(len(n.ordinals) for n in project.notes),
        summary=project.changes.summary(),
        warnings=project.warnings,
    )
    if options.check:
        return result
    # 2. Make every output that changed, in memory; a failure here leaves the output folder untouched.
    files = make(project, prepared, record, result, say, report)
    # 3. Write all outputs and the identities they were built with (and the entries' schema), or none.
    stale = project.project_updates()
    result.written = write_all(options.out, files, stale)
    result.updated = [path.relative_to(options.root).as_posix() for path in stale]
    # 4. Remember what this build read and made, so a rebuild from the same inputs stops at the start.
    #    The reads include the lock as it was read: a build that rewrote it is followed by one full build.
    _remember(record, reads, options, result, say)
    return result


def make(
    project: Project, prepared: dict, record: cache.Record, result: Result, say: Say, report: Report | None
) -> dict[str, bytes]:
    """Every wanted output's files: reused when its key says nothing changed, made otherwise;
    the Jobs (the PDFs) in worker processes, started first, while the others are made here."""
    out, files = project.options.out, {}
    todo = []
    for output, inputs in prepared.items():
        if not output.wanted(project.options):
            continue
        key = output.key(inputs)
        if key is None or not _reused(output, key, project, record, result):
            todo.append((output, inputs, key))
    jobs = {output: (output.make(inputs, say), key) for output, inputs, key in todo if output.parallel}
    pending = None
    try:
        if jobs:
            pending = workers.start({o.name: job for o, (job, _) in jobs.items()}, report)
        for output, inputs, key in todo:
            if not output.parallel:
                files.update(_keep(output, output.make(inputs, say), key, record, result, out))
    except BaseException:
        if pending is not None:
            pending.cancel()
        raise
    if pending is not None:
        done = pending.result()
        for output, (_, key) in jobs.items():
            files.update(_keep(output, done[output.name], key, record, result, out))
    return files


def _reused(output, key: str, project: Project, record: cache.Record, result: Result) -> bool:
    names = output.files(project)
    seen = [record.fresh(name, key) for name in names]
    if not all(seen):
        return False
    result.reused += [project.options.out / name for name in names]
    if epilog := seen[-1].get("epilog"):
        result.epilogs[output.name] = epilog
    return True


def _keep(output, made: Made, key: str | None, record: cache.Record, result: Result, out: Path) -> dict[str, bytes]:
    if epilog := output.epilog(made):
        result.epilogs[output.name] = epilog
    if key is None:  # cheap: written only when its bytes differ from the file there
        same = {n for n, data in made.files.items() if _same(out / n, data)}
        result.reused += [out / n for n in sorted(same)]
        return {n: data for n, data in made.files.items() if n not in same}
    for name, data in made.files.items():
        record.update(name, key, data, epilog=epilog)
    return made.files


def _same(path: Path, data: bytes) -> bool:
    try:
        return path.stat().st_size == len(data) and path.read_bytes() == data
    except OSError:
        return False


def _remember(record: cache.Record, reads: Reads, options: Options, result: Result, say: Say) -> None:
    counts = {
        "entries": result.entries,
        "notes": result.notes,
        "cards": result.cards,
        "epilogs": result.epilogs,
        "summary": result.summary,
        "warnings": [dataclasses.asdict(w) for w in result.warnings],
    }
    record.finish(reads.record(), options, counts, sorted(p.name for p in result.written + result.reused))
    if not record.save():
        problem = Problem(
            cache.CACHE_DIR.as_posix(),
            0,
            0,
            "",
            f"could not record this build ({record.error}); the next build makes everything again",
            "warning",
        )
        result.warnings = [*result.warnings, problem]


def _result_of_record(last: dict, record: cache.Record, options: Options) -> Result:
    warnings = [Problem(**w) for w in last.get("warnings", [])]
    return Result(**{**last, "warnings": warnings, "reused": [options.out / n for n in record.last["files"]]})
