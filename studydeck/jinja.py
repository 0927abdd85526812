"""Jinja2 for the project's templates: HTML escaped by default, a typo in a template an error
(StrictUndefined), and every template read through the build's Reads (so it is an input).

The templates are the author's to edit (README), so they are input like the entries: whatever
goes wrong in one, a missing file, a syntax error, a name it uses that does not exist, is one
line `templates/NAME:LINE: message` (a BuildError, exit 1), never a traceback."""

from __future__ import annotations

from pathlib import Path

import jinja2
from markupsafe import Markup, escape

from studydeck.errors import BuildError, StudydeckError
from studydeck.gather.reads import Reads


def template_text(reads: Reads, templates: Path, name: str) -> str:
    """A file of templates/ as text (CSS, card HTML, a page), or a BuildError naming it."""
    path = templates / name
    try:
        return reads.text(path)
    except FileNotFoundError:
        raise BuildError(f"templates/{name}: missing; the build needs it (restore it from git)") from None
    except IsADirectoryError:
        raise BuildError(f"templates/{name}: is a folder, not a file") from None
    except UnicodeDecodeError as exc:
        raise BuildError(f"templates/{name}: not UTF-8 text (byte {exc.start})") from None
    except OSError as exc:
        raise BuildError(f"templates/{name}: cannot be read: {exc.strerror or exc}") from None


class _Loader(jinja2.BaseLoader):
    def __init__(self, folder: Path, reads: Reads):
        self.folder, self.reads = folder, reads

    def get_source(self, environment, template):
        return template_text(self.reads, self.folder, template), str(self.folder / template), lambda: True


class _Environment(jinja2.Environment):
    folder: Path

    def handle_exception(self, source=None):
        """Jinja's hook for every error in a template, at compile or render time: one line instead."""
        try:
            super().handle_exception(source)
        except StudydeckError:
            raise
        except Exception as exc:
            raise BuildError(_where(exc, self.folder) + f"{type(exc).__name__}: {exc}") from None


def _where(exc: Exception, folder: Path) -> str:
    """'templates/NAME:LINE: ' for the deepest template line in the error's traceback."""
    place = None
    if isinstance(exc, jinja2.TemplateSyntaxError) and exc.filename:
        place = (exc.filename, exc.lineno)
    tb = exc.__traceback__
    while tb is not None and not isinstance(exc, jinja2.TemplateSyntaxError):
        if tb.tb_frame.f_code.co_filename.startswith(str(folder)):
            place = (tb.tb_frame.f_code.co_filename, tb.tb_lineno)  # rewritten by Jinja to the template's line
        tb = tb.tb_next
    if place is None:
        return "templates: "
    try:
        shown = Path(place[0]).relative_to(folder).as_posix()
    except ValueError:
        shown = Path(place[0]).name
    return f"templates/{shown}:{place[1]}: "


def environment(templates: Path, reads: Reads) -> jinja2.Environment:
    env = _Environment(
        loader=_Loader(templates, reads), autoescape=True, undefined=jinja2.StrictUndefined, keep_trailing_newline=True
    )
    env.folder = templates
    env.filters["unbroken"] = unbroken
    return env


def unbroken(text: str) -> Markup:
    """An id or a flag for print: no line break after its hyphens (a WORD JOINER, zero width, after
    each), e.g. `network-security` never ends a line at `network-`."""
    return Markup(str(escape(text)).replace("-", "-\u2060"))
