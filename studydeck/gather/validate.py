"""YAML nodes -> Entry objects, collecting every problem in every file before giving up."""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import urlsplit

import yaml

from studydeck import fonts
from studydeck.errors import Problem
from studydeck.gather import markup
from studydeck.gather.load import Source
from studydeck.model import Definition, Entry, Figure

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
TAG = re.compile(r"^[^\s\"]+$")
MIN_POINTS, MAX_POINTS = 3, 6
MAX_SOURCES = 4
# No text has a longer run without a space: a longer one cannot wrap in a column, and laying out a
# very long unbreakable run is quadratic in WeasyPrint (20,000 characters took 110 s).
MAX_RUN = 100
MAX_URL = 500
ENTRY_KEYS = ("id", "title", "group", "tags", "definitions", "points", "related", "source", "figure", "renamed_from")
REQUIRED_ENTRY = ("id", "title", "group", "definitions", "points")
DEFINITION_KEYS = ("key", "term", "text", "figure", "renamed_from", "lint_ignore")
FIGURE_KEYS = ("file", "alt", "caption", "front")
REQUIRED_FIGURE = ("file", "alt")
FIGURE_SUFFIXES = (".svg", ".png", ".jpg", ".jpeg", ".webp")
REQUIRED_DEFINITION = ("key", "term", "text")
STR = "tag:yaml.org,2002:str"
# Invisible characters that change how text reads or is parsed: bidi overrides ("Trojan
# source"), a byte order mark inside text, and the line/paragraph separators.
_INVISIBLE = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff\u2028\u2029")
# A line can break only at a breaking space: a no-break space (U+00A0, U+2007, U+202F) or a
# word joiner does not end a run.
_BREAKS = " \t\n\r\u1680\u2000-\u2006\u2008-\u200a\u205f\u3000"
_RUN = re.compile(rf"[^{_BREAKS}]{{{MAX_RUN + 1},}}")


@dataclass
class _Ctx:
    source: Source
    problems: list[Problem]
    charset: frozenset[int] | None = None  # what the sheet's font can draw; None: not checked
    lint_rules: frozenset[str] = frozenset()  # names lint_ignore may use
    groups: tuple[str, ...] = ()  # the configured groups

    @property
    def path(self) -> str:
        return self.source.path

    def add(self, node: yaml.Node | None, field: str, message: str, offset: int | None = None, lead: int = 0) -> None:
        line, col = _position(self.source, node, offset, lead)
        self.problems.append(Problem(self.path, line, col, field, message))


def _position(source: Source, node, offset, lead) -> tuple[int, int]:
    if node is None:
        return 0, 0
    if offset is not None and isinstance(node, yaml.ScalarNode):
        return source.span(node, lead).at(offset)
    return node.start_mark.line + 1, node.start_mark.column + 1


@dataclass
class Checked:
    """One file checked on its own: its entry (None if it has problems), and what the checks
    across files need. It depends only on the file and the settings, so it can be reused."""

    source: Source
    entry: Entry | None
    eid: str | None
    id_node: yaml.Node | None
    related: list
    problems: list[Problem]


def check_file(
    source: Source,
    groups: tuple[str, ...],
    charset: frozenset[int] | None = None,
    lint_rules: frozenset[str] = frozenset(),
) -> Checked:
    problems: list[Problem] = []
    ctx = _Ctx(source, problems, charset, lint_rules, groups)
    entry, eid, id_node, rel = _entry(ctx, source.node)
    return Checked(source, entry if not problems else None, eid, id_node, rel, problems)


def link(checked: list[Checked], unread: frozenset[str] = frozenset()) -> tuple[list[Entry], list[Problem]]:
    """The checks across files (ids unique, related ids known); the good entries, all problems.
    unread: the ids of files that did not load (their own problem is reported): links to them are
    not reported again in every file that names them."""
    problems: list[Problem] = []
    entries, id_nodes = [], {}
    for c in checked:
        problems += c.problems
        if c.eid is not None and c.eid in id_nodes:
            _Ctx(c.source, problems).add(c.id_node, "id", f"duplicate entry id '{c.eid}' (also in {id_nodes[c.eid]})")
            continue
        if c.eid is not None:
            id_nodes[c.eid] = c.source.path
        if c.entry is not None:
            entries.append(c.entry)
    for c in checked:  # every file's links, also of files with other problems
        _check_related(_Ctx(c.source, problems), c.eid, c.related, set(id_nodes) | unread)
    return entries, problems


def validate(
    sources: list[Source],
    groups: tuple[str, ...],
    charset: frozenset[int] | None = None,
    lint_rules: frozenset[str] = frozenset(),
) -> tuple[list[Entry], list[Problem]]:
    """Check every entry and the links between them; return the good entries and all problems.

    With a charset, every string must be drawable by the sheet's bundled font.
    """
    return link([check_file(source, groups, charset, lint_rules) for source in sources])


def _entry(ctx: _Ctx, node: yaml.Node):
    if not isinstance(node, yaml.MappingNode):
        ctx.add(node, "", "the top level must be a mapping of fields (id: ..., title: ...)")
        return None, None, None, []
    fields = _mapping(ctx, node, "", ENTRY_KEYS, REQUIRED_ENTRY)
    eid = _slug(ctx, fields, "id", "")
    title = _string(ctx, fields, "title", "")
    group = _string(ctx, fields, "group", "")
    if group is not None and group not in ctx.groups:
        ctx.add(fields["group"], "group", f"must be one of {', '.join(ctx.groups)}, not '{group}'")
        group = None
    tags = _list(ctx, fields, "tags", "", _tag) or ()
    definitions = _definitions(ctx, fields)
    points = _points(ctx, fields)
    related = _related(ctx, fields)
    sources = _sources(ctx, fields)
    figure = _figure(ctx, fields, "")
    renamed = _slug(ctx, fields, "renamed_from", "")
    if None in (eid, title, group, definitions, points, sources, figure):
        return None, eid, fields.get("id"), related
    where = {"": _pos(node), **{k: _pos(v) for k, v in fields.items()}}
    for i, dnode in enumerate(fields["definitions"].value):
        where[f"definitions[{i}]"] = _pos(dnode)
        for k, v in getattr(dnode, "value", ()):
            where[f"definitions[{i}].{k.value}"] = _pos(v)
    entry = Entry(
        eid,
        title,
        group,
        tuple(dict.fromkeys(tags)),
        definitions,
        points,
        tuple(r for r, _, _ in related),
        sources,
        ctx.path,
        renamed,
        where,
        figure or None,
    )
    return entry, eid, fields.get("id"), related


def _pos(node: yaml.Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


def _mapping(ctx: _Ctx, node: yaml.MappingNode, prefix: str, allowed, required) -> dict[str, yaml.Node]:
    fields: dict[str, yaml.Node] = {}
    for knode, vnode in node.value:
        key = knode.value if isinstance(knode, yaml.ScalarNode) else None
        where = f"{prefix}{key}" if key else prefix.rstrip(".") or "(top level)"
        if key is None:
            kind = "list" if isinstance(knode, yaml.SequenceNode) else "mapping"
            ctx.add(knode, where, f"a key must be a plain word (one of {', '.join(allowed)}), not a {kind}")
        elif key not in allowed:
            hint = difflib.get_close_matches(str(key), allowed, n=1)
            extra = f" (did you mean '{hint[0]}'?)" if hint else f"; allowed: {', '.join(allowed)}"
            ctx.add(knode, where, f"unknown key '{_shown(str(key))}'{extra}")
        elif key in fields:
            ctx.add(knode, where, f"duplicate key '{key}'")
        else:
            fields[key] = vnode
    for key in required:
        if key not in fields:
            ctx.add(node, f"{prefix}{key}", "required field is missing")
    return fields


def _shown(text: str) -> str:
    """Text for a message: characters that cannot be printed shown as escapes."""
    return "".join(c if c.isprintable() and not 0xD800 <= ord(c) <= 0xDFFF else f"\\u{ord(c):04x}" for c in text)


def _scalar_str(ctx: _Ctx, node: yaml.Node, field: str, run_limit: bool = True) -> str | None:
    if not isinstance(node, yaml.ScalarNode) or node.tag != STR:
        ctx.add(node, field, f"must be a string, not {_kind(node)}")
        return None
    raw = node.value
    if not raw.strip():
        ctx.add(node, field, "must not be empty")
        return None
    lead = len(raw) - len(raw.lstrip())
    value = raw.strip()
    bad = _bad_character(value)
    if bad is not None:
        ctx.add(node, field, bad[1], bad[0], lead)
        return None
    value = unicodedata.normalize("NFC", value)  # as Anki stores it (and composed Hangul for the font)
    if ctx.charset is not None:
        missing = fonts.missing(value, ctx.charset)
        if missing:
            shown = ", ".join(f"'{c}' (U+{ord(c):04X}, character {i + 1})" for i, c in missing[:3])
            more = f" and {len(missing) - 3} more" if len(missing) > 3 else ""
            ctx.add(
                node,
                field,
                f"{shown}{more} not in the bundled font, so the printed sheet cannot show "
                "it; use another character or add a font with it to templates/fonts/",
                missing[0][0],
                lead,
            )
            return None
    if run_limit and not _short_runs(ctx, node, field, value, value, lead):
        return None
    return value


def _short_runs(ctx: _Ctx, node, field: str, shown: str, source: str, lead: int) -> bool:
    """False (and a problem) if what is shown has a run without a space longer than MAX_RUN;
    the problem points at the longest run in the source, which holds it (markup only adds)."""
    run = _RUN.search(shown)
    if run is None:
        return True
    at = max(re.finditer(rf"[^{_BREAKS}]+", source), key=lambda m: len(m.group(0))).start()
    ctx.add(
        node,
        field,
        f"{len(run.group(0)):,} characters without a space (a no-break space does not count); at most {MAX_RUN} "
        "can be set on a line: add spaces",
        at,
        lead,
    )
    return False


def _bad_character(value: str) -> tuple[int, str] | None:
    for i, c in enumerate(value):
        code = ord(c)
        if 0xD800 <= code <= 0xDFFF:
            return (
                i,
                f"character {i + 1} is a lone surrogate (U+{code:04X}), which is not text; "
                "remove it (check the file's encoding or a \\u escape)",
            )
        if (unicodedata.category(c) == "Cc" and c not in "\n\t") or c in _INVISIBLE or code in (0xFFFE, 0xFFFF):
            name = unicodedata.name(c, "control character")
            return i, f"character {i + 1} is the invisible U+{code:04X} ({name}); remove it"
    return None


def _kind(node: yaml.Node) -> str:
    if isinstance(node, yaml.MappingNode):
        return "a mapping"
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    name = node.tag.rsplit(":", 1)[-1]
    return {"null": "empty (null)", "int": "a number", "float": "a number", "bool": "true/false"}.get(name, name)


def _string(ctx, fields, key, prefix):
    return _scalar_str(ctx, fields[key], prefix + key) if key in fields else None


def _slug(ctx, fields, key, prefix):
    value = _string(ctx, fields, key, prefix)
    if value is not None and not SLUG.match(value):
        ctx.add(fields[key], prefix + key, f"'{value}' is not a slug: use lowercase a-z, 0-9 and single hyphens")
        return None
    return value


def _list(ctx, fields, key, prefix, item):
    if key not in fields:
        return None
    node = fields[key]
    if not isinstance(node, yaml.SequenceNode):
        ctx.add(node, prefix + key, f"must be a list, not {_kind(node)}")
        return None
    values = [item(ctx, n, f"{prefix}{key}[{i}]") for i, n in enumerate(node.value)]
    return [v for v in values if v is not None]


def _tag(ctx, node, field):
    value = _scalar_str(ctx, node, field)
    if value is not None and not TAG.match(value):
        ctx.add(node, field, f"tag '{value}' has a space or a quote; Anki tags are single words (use - or ::)")
        return None
    if value is not None and any(not part for part in value.split("::")):
        ctx.add(node, field, f"tag '{value}' has an empty level; write levels as parent::child")
        return None
    return value


def _slug_item(ctx, node, field):
    value = _scalar_str(ctx, node, field)
    if value is not None and not SLUG.match(value):
        ctx.add(node, field, f"'{value}' is not an entry id")
        return None
    return value


def _definitions(ctx: _Ctx, fields) -> tuple[Definition, ...] | None:
    if "definitions" not in fields:
        return None
    node = fields["definitions"]
    if not isinstance(node, yaml.SequenceNode) or not node.value:
        ctx.add(node, "definitions", "must be a list of one or more definitions")
        return None
    out, keys, ok = [], {}, True
    for i, dnode in enumerate(node.value):
        d = _definition(ctx, dnode, f"definitions[{i}]")
        if d is None:
            ok = False
        elif d.key in keys:
            ctx.add(
                dnode, f"definitions[{i}].key", f"duplicate definition key '{d.key}' (also definitions[{keys[d.key]}])"
            )
            ok = False
        else:
            keys[d.key] = i
            out.append(d)
    return tuple(out) if ok else None


def _definition(ctx: _Ctx, node: yaml.Node, prefix: str) -> Definition | None:
    if not isinstance(node, yaml.MappingNode):
        ctx.add(node, prefix, f"must be a mapping with key, term and text, not {_kind(node)}")
        return None
    fields = _mapping(ctx, node, prefix + ".", DEFINITION_KEYS, REQUIRED_DEFINITION)
    key = _slug(ctx, fields, "key", prefix + ".")
    term = _string(ctx, fields, "term", prefix + ".")
    text = _scalar_str(ctx, fields["text"], prefix + ".text", run_limit=False) if "text" in fields else None
    renamed = _slug(ctx, fields, "renamed_from", prefix + ".")
    ignore = _lint_ignore(ctx, fields, prefix + ".")
    figure = _figure(ctx, fields, prefix + ".")
    if None in (key, term, text, ignore, figure):
        return None
    where, tnode = f"{prefix}.text", fields["text"]
    lead = len(tnode.value) - len(tnode.value.lstrip())
    try:
        tree = markup.parse(text)
    except markup.MarkupError as exc:
        ctx.add(tnode, where, str(exc), exc.pos, lead)
        return None
    if not _short_runs(ctx, tnode, where, markup.plain(tree), text, lead):
        return None
    if not markup.ordinals(tree):
        clozed = markup.auto_cloze(tree, term)
        if clozed is None:
            ctx.add(
                tnode,
                where,
                f"has no cloze and the term '{term}' does not occur in it, "
                "so nothing can be deleted automatically; mark one with {{c1::...}}",
            )
            return None
        tree = clozed
    return Definition(key, term, text, tree, renamed, ctx.source.span(tnode, lead), ignore, figure or None)


def _figure(ctx: _Ctx, fields, prefix: str) -> Figure | bool | None:
    """`figure:` as {file, alt, caption?, front?}; False when there is none, None when it is wrong.
    Only the path's form is checked here; studydeck/figures/ reads and checks the file."""
    node = fields.get("figure")
    if node is None:
        return False
    where = f"{prefix}figure"
    if not isinstance(node, yaml.MappingNode):
        ctx.add(node, where, f"must be a mapping with file and alt (and caption, front), not {_kind(node)}")
        return None
    parts = _mapping(ctx, node, where + ".", FIGURE_KEYS, REQUIRED_FIGURE)
    file = _string(ctx, parts, "file", where + ".")
    alt = _string(ctx, parts, "alt", where + ".")
    caption = _string(ctx, parts, "caption", where + ".") if "caption" in parts else ""
    front = parts.get("front")
    if front is not None and front.tag != "tag:yaml.org,2002:bool":
        ctx.add(front, f"{where}.front", f"must be true or false, not {_kind(front)}")
        return None
    if None in (file, alt, caption) or len(parts) < len(REQUIRED_FIGURE):
        return None
    problem = _figure_path(file)
    if problem:
        ctx.add(parts["file"], f"{where}.file", problem)
        return None
    shown_front = front is not None and front.value.lower() in ("true", "yes", "on")
    return Figure(file, alt, caption, shown_front, where, _pos(parts["file"]))


def _figure_path(file: str) -> str | None:
    """What is wrong with a figure's path as written, if anything."""
    if "\\" in file or file.startswith("/") or re.match(r"^[A-Za-z]:", file) or "//" in file:
        return f"'{_shown(file)}' must be a path relative to the entry's folder, with / between folders"
    if not file.lower().endswith(FIGURE_SUFFIXES):
        return f"'{_shown(file)}' must be an image: {', '.join(FIGURE_SUFFIXES)}"
    return None


def _lint_ignore(ctx: _Ctx, fields, prefix) -> tuple[str, ...] | None:
    names = _list(ctx, fields, "lint_ignore", prefix, _scalar_str)
    if names is None:
        return () if "lint_ignore" not in fields else None
    for i, name in enumerate(names):
        if name not in ctx.lint_rules:
            ctx.add(
                fields["lint_ignore"].value[i],
                f"{prefix}lint_ignore[{i}]",
                f"no card-quality rule is called '{name}'; rules: {', '.join(sorted(ctx.lint_rules))}",
            )
            return None
    return tuple(names)


def _points(ctx: _Ctx, fields) -> tuple[tuple, ...] | None:
    texts = _list(ctx, fields, "points", "", lambda c, n, f: _scalar_str(c, n, f, run_limit=False))
    if texts is None:
        return None
    node = fields["points"]
    if not MIN_POINTS <= len(node.value) <= MAX_POINTS:
        ctx.add(node, "points", f"has {len(node.value)} items; write {MIN_POINTS} to {MAX_POINTS} key points")
        return None
    if len(texts) != len(node.value):
        return None
    trees = []
    for i, (text, pnode) in enumerate(zip(texts, node.value, strict=True)):
        lead = len(pnode.value) - len(pnode.value.lstrip())
        try:
            tree = markup.parse(text, allow_cloze=False)
        except markup.MarkupError as exc:
            ctx.add(pnode, f"points[{i}]", str(exc), exc.pos, lead)
            continue
        if _short_runs(ctx, pnode, f"points[{i}]", markup.plain(tree), text, lead):
            trees.append(tree)
    return tuple(trees) if len(trees) == len(node.value) else None


def _sources(ctx: _Ctx, fields) -> tuple[str, ...] | None:
    """`source:` as one https URL or a list of 1 to 4; missing is allowed (an empty tuple)."""
    node = fields.get("source")
    if node is None:
        return ()
    if isinstance(node, yaml.SequenceNode):
        if not 1 <= len(node.value) <= MAX_SOURCES:
            ctx.add(node, "source", f"has {len(node.value)} URLs; give 1 to {MAX_SOURCES}")
            return None
        urls = [_url(ctx, n, f"source[{i}]") for i, n in enumerate(node.value)]
        return tuple(urls) if None not in urls else None
    url = _url(ctx, node, "source")
    return None if url is None else (url,)


def _url(ctx: _Ctx, node: yaml.Node, field: str) -> str | None:
    value = _scalar_str(ctx, node, field, run_limit=False)
    if value is None:
        return None
    try:
        parts = urlsplit(value)
        ok = parts.scheme == "https" and bool(parts.hostname) and parts.port != 0
    except ValueError:  # e.g. an unclosed [IPv6] host or a port that is not a number
        ok = False
    if not ok or len(value) > MAX_URL or any(c in value for c in " \"'<>`\\{}[]") or any(ord(c) < 33 for c in value):
        ctx.add(node, field, f"must be an https:// URL (at most {MAX_URL} characters), not '{value}'")
        return None
    return value


def _related(ctx: _Ctx, fields) -> list[tuple[str, yaml.Node, str]]:
    if "related" not in fields:
        return []
    node = fields["related"]
    if not isinstance(node, yaml.SequenceNode):
        ctx.add(node, "related", f"must be a list, not {_kind(node)}")
        return []
    out = []
    for i, item in enumerate(node.value):
        value = _slug_item(ctx, item, f"related[{i}]")
        if value is not None:
            out.append((value, item, f"related[{i}]"))
    return out


def _check_related(ctx: _Ctx, eid: str | None, related: list[tuple[str, yaml.Node, str]], known: set[str]) -> None:
    for rid, item, field in related:
        if rid == eid:
            ctx.add(item, field, "an entry cannot be related to itself")
        elif rid not in known:
            close = difflib.get_close_matches(rid, sorted(known), n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            ctx.add(item, field, f"no entry has the id '{rid}'{hint}")
