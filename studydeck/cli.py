"""The command line: parse arguments, run the pipeline, turn errors into exit codes."""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from .errors import BuildError, UsageError

EXIT_OK, EXIT_BAD_ENTRIES, EXIT_USAGE = 0, 1, 2


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="build.py", description=(
        "Build the Anki cloze deck (.apkg) and the printable study sheet (.pdf, .html) from entries/."))
    p.add_argument("--only", choices=("deck", "sheet"), help="build only the deck or only the sheet")
    p.add_argument("--out", metavar="DIR", type=Path, help="output folder (default: dist/ in the project)")
    p.add_argument("--check", action="store_true", help="validate entries and identities only; write nothing")
    p.add_argument("--accept-removals", action="store_true",
                   help="allow notes to disappear; they are listed as removed in CHANGES.md")
    p.add_argument("--locked", action="store_true", help="fail if entries.lock would change (for CI)")
    p.add_argument("--root", metavar="DIR", type=Path, default=None, help=argparse.SUPPRESS)
    p.add_argument("-q", "--quiet", action="store_true", help="print only errors")
    p.add_argument("--debug", action="store_true", help="show tracebacks")
    return p


def main(argv: list[str] | None = None) -> int:
    """Entry point of `python build.py` and the `studydeck` console script."""
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on bad usage, 0 on --help
        return int(exc.code or 0)
    from .pipeline import Options, build  # after parsing: --help stays instant

    root = (args.root or _project_root()).resolve()
    out = (args.out or root / "dist").resolve()
    say = (lambda msg: None) if args.quiet else (lambda msg: print(msg, flush=True))
    try:
        result = build(Options(root, out, args.only, args.check, args.accept_removals, args.locked), say)
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except BuildError as exc:
        if args.debug:
            raise
        _report(exc)
        return EXIT_BAD_ENTRIES
    if args.check:
        say(f"ok: {result.entries} entries, {result.notes} notes, {result.cards} cards ({result.summary}); "
            "nothing written")
        return EXIT_OK
    say(f"{result.entries} entries -> {result.notes} notes, {result.cards} cards"
        + (f", {result.pages} pages" if result.pages else "") + f" ({result.summary})")
    for path in result.written:
        say(f"wrote {_shown(path)}")
    return EXIT_OK


def _report(exc: BuildError) -> None:
    print(str(exc), file=sys.stderr)
    if os.environ.get("GITHUB_ACTIONS") == "true":
        for problem in exc.problems:
            print(problem.annotation())


def _shown(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _project_root() -> Path:
    """The folder holding build.py and pyproject.toml: the current one, or the package's parent."""
    here = Path.cwd()
    if (here / "pyproject.toml").exists() and (here / "entries").is_dir():
        return here
    return Path(__file__).resolve().parent.parent
