"""The command line: parse arguments, run the pipeline, turn errors into exit codes."""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import sys
import threading
from pathlib import Path

from studydeck.errors import StudydeckError, UsageError, shown
from studydeck.model import MAX_COLUMNS, PAPERS, Options, PrintOptions
from studydeck.outputs import registry

EXIT_OK, EXIT_INTERRUPTED = 0, 130  # errors exit with their exit_code: 1 bad input, 2 bad usage


def _parser(prog: str = "build.py") -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog=prog,
        description=("Build the Anki cloze deck (.apkg) and the printable study sheet (.pdf, .html) from entries/."),
        epilog="Start a deck on another subject: studydeck init DIR (studydeck init --help).",
    )
    p.add_argument(
        "--only",
        choices=sorted({o.part for o in registry() if o.part}),  # deck, sheet, worksheet
        help="build only the deck, only the cheat sheet (.pdf and .html) or only the worksheet",
    )
    p.add_argument("--out", metavar="DIR", help="output folder (default: dist/ in the project)")
    _sheet_options(p)
    p.add_argument(
        "--changes-since",
        metavar="LOCKFILE",
        type=Path,
        help="list in CHANGES.md what changed since this entries.lock (a previous release's; "
        "an empty file means there was none)",
    )
    p.add_argument("--check", action="store_true", help="validate entries and identities only; write nothing")
    p.add_argument(
        "--strict", action="store_true", help="treat warnings (card quality, cache, configuration) as errors (for CI)"
    )
    p.add_argument(
        "--accept-removals",
        action="store_true",
        help="allow notes to disappear; they are listed as removed in CHANGES.md",
    )
    p.add_argument("--locked", action="store_true", help="fail if entries.lock would change (for CI)")
    p.add_argument(
        "--watch",
        action="store_true",
        help="serve a live preview of the sheet and the cards on 127.0.0.1 and rebuild on every save "
        "(the deck and the PDFs in the background); Ctrl-C stops",
    )
    p.add_argument("--port", type=int, default=0, help="with --watch: the preview's port (default: a free one)")
    p.add_argument(
        "--root",
        metavar="DIR",
        type=Path,
        default=None,
        help="the project (default: build.py's folder; for the studydeck command, the nearest folder, "
        "this one or above, whose pyproject.toml has [tool.studydeck])",
    )
    p.add_argument("-q", "--quiet", action="store_true", help="print only errors")
    p.add_argument("--version", action=_Version, nargs=0, help="show the version and exit")
    p.add_argument("--debug", action="store_true", help="show tracebacks")
    return p


def _sheet_options(p: argparse.ArgumentParser) -> None:
    sheets = p.add_argument_group(
        "printed sheets",
        "These shape both PDFs; the deck always holds every entry. "
        "With --group or --tag the PDFs are named after the subset "
        "(e.g. *-object.pdf) so the full sheets are not replaced.",
    )
    sheets.add_argument("--paper", choices=tuple(PAPERS), default="a4", help="paper size (default: a4)")
    sheets.add_argument(
        "--columns", metavar="N", type=_columns, default=2, help=f"columns per page, 1 to {MAX_COLUMNS} (default: 2)"
    )
    sheets.add_argument(
        "--group",
        metavar="G",
        action="append",
        default=[],
        help="print only this group's entries (repeatable; the groups of [tool.studydeck])",
    )
    sheets.add_argument(
        "--tag", metavar="T", action="append", default=[], help="print only entries tagged T (repeatable: any of them)"
    )


class _Version(argparse.Action):
    """--version, its answer looked up only when asked (reading the installed distributions
    costs 40 ms, which every build would otherwise pay at start-up)."""

    def __call__(self, parser, namespace, values, option_string=None):
        print(f"studydeck {_version()}")
        parser.exit()


def _version() -> str:
    from importlib import metadata

    try:  # the distribution the package was installed from (this deck's project, or a new deck's)
        return metadata.version(metadata.packages_distributions().get("studydeck", ["studydeck"])[0])
    except (metadata.PackageNotFoundError, IndexError):
        return "(not installed)"


def _init_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="studydeck init",
        description="Start a new deck: a complete project in DIR (the tool, the workflows, "
        "pyproject.toml with [tool.studydeck], one example entry per group, a README). "
        "On a terminal it asks for the deck's name and groups not given as options.",
    )
    p.add_argument("dir", metavar="DIR", help="a new or empty folder")
    p.add_argument("--deck", metavar="NAME", help="the deck's name in Anki (default: DIR's name)")
    p.add_argument(
        "--group",
        metavar="NAME",
        action="append",
        default=[],
        help="a group: a section of the sheets and a subdeck (repeatable, in order; default: 개념)",
    )
    p.add_argument("--description", metavar="TEXT", help="the deck's description on Anki's overview")
    p.add_argument(
        "--guid-prefix", metavar="P", help="part of every note's GUID (default: DIR's name and a random suffix)"
    )
    return p


def _init(argv: list[str]) -> int:
    from studydeck import init

    try:
        args = _init_parser().parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    if threading.current_thread() is threading.main_thread():  # `kill` or a closed terminal: as Ctrl-C,
        signal.signal(signal.SIGTERM, _interrupt)  # the staging folder and the folders made go with it
        if hasattr(signal, "SIGHUP"):
            signal.signal(signal.SIGHUP, _interrupt)
    try:
        default = Path(args.dir or ".").resolve().name
        if args.deck is not None:
            deck = args.deck
        else:
            deck = None if (asked := init.ask("deck name", default)) == default else asked
        groups = args.group or [
            g.strip()
            for g in init.ask("groups, comma-separated", ", ".join(init.DEFAULT_GROUPS)).split(",")
            if g.strip()
        ]
        for line in init.write(init.plan(args.dir, deck, groups, args.description, args.guid_prefix)):
            print(shown(line))
    except StudydeckError as exc:
        _report(exc)
        return exc.exit_code
    except OSError as exc:
        if isinstance(exc, shutil.Error) and exc.args and isinstance(exc.args[0], list) and exc.args[0]:
            exc = OSError(str(exc.args[0][0][2]))  # copytree's list of failures: the first says why
        print(shown(f"error: init: {exc.strerror or exc}: {exc.filename or args.dir}"), file=sys.stderr)
        return 2
    except (KeyboardInterrupt, EOFError):
        print("interrupted: nothing was written", file=sys.stderr)
        return EXIT_INTERRUPTED
    return EXIT_OK


def _columns(value: str) -> int:
    if not value.isdigit() or not 1 <= int(value) <= MAX_COLUMNS:
        raise argparse.ArgumentTypeError(f"must be a whole number from 1 to {MAX_COLUMNS}, not '{value}'")
    return int(value)


def main(argv: list[str] | None = None, root: Path | None = None) -> int:
    """Entry point of `python build.py` (root: its folder) and the `studydeck` console script
    (the project found from the current folder)."""
    argv = sys.argv[1:] if argv is None else list(argv)
    _DEFAULT_ROOT[:] = [root] if root is not None else []
    if argv[:1] == ["init"]:
        return _init(argv[1:])
    try:
        args = _parser("build.py" if root is not None else "studydeck").parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on bad usage, 0 on --help
        return int(exc.code or 0)
    from studydeck.pipeline import build  # after parsing: --help stays instant
    from studydeck.progress import Reporter

    for stream in (sys.stdout, sys.stderr):  # a message never fails on a character it cannot encode
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    if threading.current_thread() is threading.main_thread():  # `kill` stops a build as Ctrl-C does:
        signal.signal(signal.SIGTERM, _interrupt)  # workers and temporary files go with it
        if hasattr(signal, "SIGHUP"):  # a terminal closing ends the build as Ctrl-C does
            signal.signal(signal.SIGHUP, _interrupt)
    if args.watch:
        return _watch(args)
    reporter = Reporter(quiet=args.quiet)
    say = reporter.say
    try:
        options = _options(args)
        with reporter:
            result = build(options, say, reporter.report)
    except KeyboardInterrupt:
        print("interrupted: the outputs and entries.lock are either all as they were or all new", file=sys.stderr)
        return EXIT_INTERRUPTED
    except StudydeckError as exc:
        if args.debug and not isinstance(exc, UsageError):
            raise
        _report(exc)
        return exc.exit_code
    _report_problems(result.warnings)
    if args.strict and result.warnings:  # found after the outputs were made (the build record)
        print(f"error: {len(result.warnings)} warning(s), and --strict makes them errors", file=sys.stderr)
        return 1
    counts = [_count(result.entries, "entry", "entries"), _count(result.notes, "note"), _count(result.cards, "card")]
    if args.check:
        say(f"ok: {', '.join(counts)} ({result.summary}); nothing written")
        return EXIT_OK
    epilogs = ", ".join(result.epilogs.values())
    say(f"{counts[0]} -> {counts[1]}, {counts[2]}" + (f"; {epilogs}" if epilogs else "") + f" ({result.summary})")
    for path in result.written:
        say(f"wrote {_shown(path)}")
    for path in result.reused:
        say(f"up to date: {_shown(path)}")
    for name in result.updated:
        say(f"updated {name} (commit it)")
    return EXIT_OK


def _options(args) -> Options:
    root = (args.root or _project_root()).resolve()
    if args.root is not None and not (root / "pyproject.toml").is_file():
        why = (
            "no such folder"
            if not root.exists()
            else "not a folder"
            if not root.is_dir()
            else "no pyproject.toml in it"
        )
        raise UsageError(f"--root {args.root}: {why}; give the folder of a studydeck project")
    if args.only == "deck" and (args.group or args.tag):
        raise UsageError(
            "--group and --tag choose what the printed sheets show; they do nothing "
            "with --only deck (the deck always holds every entry)"
        )
    printing = PrintOptions(args.paper, args.columns, tuple(dict.fromkeys(args.group)), tuple(dict.fromkeys(args.tag)))
    return Options(
        root,
        _output_folder(root, args.out),
        args.only,
        args.check,
        args.strict,
        args.accept_removals,
        args.locked,
        printing,
        args.changes_since,
    )


def _watch(args) -> int:
    from studydeck import watch

    try:
        if args.check or args.locked or args.changes_since:
            raise UsageError("--watch builds as you save; --check, --locked and --changes-since are for one build")
        if not 0 <= args.port <= 65535:
            raise UsageError(f"--port {args.port}: give a port from 1 to 65535 (0: a free one)")
        options = _options(args)
        return watch.run(options, _build_args(args), lambda line: print(shown(line), flush=True), args.port)
    except StudydeckError as exc:
        _report(exc)
        return exc.exit_code
    except OSError as exc:
        print(shown(f"error: cannot serve the preview: {exc.strerror or exc}"), file=sys.stderr)
        return 2


def _build_args(args) -> list[str]:
    """The arguments of the builds watch mode runs for the deck and the PDFs: the same choices."""
    out = ["--paper", args.paper, "--columns", str(args.columns)]
    out += ["--only", args.only] if args.only else []
    out += ["--out", args.out] if args.out else []
    out += [x for g in args.group for x in ("--group", g)] + [x for t in args.tag for x in ("--tag", t)]
    return out + (["--strict"] if args.strict else []) + (["--accept-removals"] if args.accept_removals else [])


def _count(n: int, one: str, many: str | None = None) -> str:
    return f"{n:,} {one if n == 1 else many or one + 's'}"


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def _output_folder(root: Path, given: str | None) -> Path:
    """The folder to write into. dist/ must be a real folder of the project: a link there would
    send the build's files wherever it points (a cloned repository could carry one). A folder
    given with --out is the user's choice, anywhere but among the build's own inputs."""
    if given is None:
        dist = root / "dist"
        if dist.is_symlink():
            raise UsageError(
                f"dist is a link to {dist.resolve()}; the build writes only into a real dist/ folder "
                "of the project: remove the link, or name the folder with --out"
            )
        if dist.exists() and not dist.is_dir():
            raise UsageError("dist is a file, not a folder: remove it, or name another folder with --out")
        return dist
    if not given.strip():
        raise UsageError("--out: give a folder name")
    out = Path(given).expanduser().resolve()
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {given}: is a file, not a folder")
    if out == root or any(out.is_relative_to(root / inner) for inner in ("entries", "templates", ".git")):
        raise UsageError(f"--out {given}: the outputs would mix with the project's own files; choose another folder")
    return out


def _report(exc: StudydeckError) -> None:
    print(f"error: {shown(str(exc))}" if isinstance(exc, UsageError) else str(exc), file=sys.stderr)
    _annotate(exc.problems)


def _report_problems(problems) -> None:
    """Warnings: on stderr as file:line:col lines, and as annotations in GitHub Actions."""
    for problem in problems:
        print(problem, file=sys.stderr)
    _annotate(problems)


def _annotate(problems) -> None:
    if os.environ.get("GITHUB_ACTIONS") == "true":
        for problem in problems:
            print(problem.annotation())


def _shown(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


_DEFAULT_ROOT: list[Path] = []  # build.py's own folder: build.py builds the project it is in


def _project_root() -> Path:
    """The project: build.py's folder when run as build.py; else, as git and mkdocs find theirs,
    the current folder or the nearest one above it whose pyproject.toml has [tool.studydeck]."""
    if _DEFAULT_ROOT:
        return _DEFAULT_ROOT[0]
    here = Path.cwd()
    for folder in (here, *here.parents):
        try:
            text = (folder / "pyproject.toml").read_text("utf-8", errors="replace")
        except OSError:
            continue
        if re.search(r"(?m)^\s*\[\[?\s*tool\.studydeck\b", text):
            return folder
    raise UsageError(
        f"no studydeck project here: no pyproject.toml with [tool.studydeck] in {here} or a folder "
        "above it (cd into a project, or start one with `studydeck init DIR`)"
    )
