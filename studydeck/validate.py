"""YAML nodes -> Entry objects, collecting every problem in every file before giving up."""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

import yaml

from . import glyphs, markup
from .errors import Problem
from .load import Source
from .model import GROUPS, Definition, Entry

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
TAG = re.compile(r"^[^\s\"]+$")
MIN_POINTS, MAX_POINTS = 3, 6
ENTRY_KEYS = ("id", "title", "group", "tags", "definitions", "points", "related", "source", "renamed_from")
REQUIRED_ENTRY = ("id", "title", "group", "definitions", "points")
DEFINITION_KEYS = ("key", "term", "text", "renamed_from")
REQUIRED_DEFINITION = ("key", "term", "text")
STR = "tag:yaml.org,2002:str"


@dataclass
class _Ctx:
    path: str
    problems: list[Problem]
    charset: frozenset[int] | None = None  # what the sheet's font can draw; None: not checked

    def add(self, node: yaml.Node | None, field: str, message: str) -> None:
        line, col = (node.start_mark.line + 1, node.start_mark.column + 1) if node is not None else (0, 0)
        self.problems.append(Problem(self.path, line, col, field, message))


def validate(sources: list[Source], charset: frozenset[int] | None = None) -> tuple[list[Entry], list[Problem]]:
    """Check every entry and the links between them; return the good entries and all problems.

    With a charset, every string must be drawable by the sheet's bundled font.
    """
    problems: list[Problem] = []
    entries, id_nodes = [], {}
    for source in sources:
        ctx = _Ctx(source.path, problems, charset)
        before = len(problems)
        entry, eid, id_node = _entry(ctx, source.node)
        if eid is not None and eid in id_nodes:
            ctx.add(id_node, "id", f"duplicate entry id '{eid}' (also in {id_nodes[eid]})")
            continue
        if eid is not None:
            id_nodes[eid] = source.path
        if entry is not None and len(problems) == before:
            entries.append(entry)
    _check_related(entries, set(id_nodes), sources, problems)
    return entries, problems


def _entry(ctx: _Ctx, node: yaml.Node) -> tuple[Entry | None, str | None, yaml.Node | None]:
    if not isinstance(node, yaml.MappingNode):
        ctx.add(node, "", "the top level must be a mapping of fields (id: ..., title: ...)")
        return None, None, None
    fields = _mapping(ctx, node, "", ENTRY_KEYS, REQUIRED_ENTRY)
    eid = _slug(ctx, fields, "id", "")
    title = _string(ctx, fields, "title", "")
    group = _string(ctx, fields, "group", "")
    if group is not None and group not in GROUPS:
        ctx.add(fields["group"], "group", f"must be one of {', '.join(GROUPS)}, not '{group}'")
        group = None
    tags = _list(ctx, fields, "tags", "", _tag) or ()
    definitions = _definitions(ctx, fields)
    points = _points(ctx, fields)
    related = _list(ctx, fields, "related", "", _slug_item) or ()
    source = _url(ctx, fields)
    renamed = _slug(ctx, fields, "renamed_from", "")
    if None in (eid, title, group, definitions, points):
        return None, eid, fields.get("id")
    return Entry(eid, title, group, tuple(tags), definitions, points, tuple(related), source,
                 ctx.path, renamed), eid, fields.get("id")


def _mapping(ctx: _Ctx, node: yaml.MappingNode, prefix: str, allowed, required) -> dict[str, yaml.Node]:
    fields: dict[str, yaml.Node] = {}
    for knode, vnode in node.value:
        key = knode.value if isinstance(knode, yaml.ScalarNode) else None
        where = f"{prefix}{key}" if key else prefix.rstrip(".") or "(top level)"
        if key not in allowed:
            hint = difflib.get_close_matches(str(key), allowed, n=1)
            extra = f" (did you mean '{hint[0]}'?)" if hint else f"; allowed: {', '.join(allowed)}"
            ctx.add(knode, where, f"unknown key '{key}'{extra}")
        elif key in fields:
            ctx.add(knode, where, f"duplicate key '{key}'")
        else:
            fields[key] = vnode
    for key in required:
        if key not in fields:
            ctx.add(node, f"{prefix}{key}", "required field is missing")
    return fields


def _scalar_str(ctx: _Ctx, node: yaml.Node, field: str) -> str | None:
    if not isinstance(node, yaml.ScalarNode) or node.tag != STR:
        ctx.add(node, field, f"must be a string, not {_kind(node)}")
        return None
    if not node.value.strip():
        ctx.add(node, field, "must not be empty")
        return None
    value = node.value.strip()
    if ctx.charset is not None:
        bad = glyphs.missing(value, ctx.charset)
        if bad:
            shown = ", ".join(f"'{c}' (U+{ord(c):04X}, character {i + 1})" for i, c in bad[:3])
            more = f" and {len(bad) - 3} more" if len(bad) > 3 else ""
            ctx.add(node, field, f"{shown}{more} not in the bundled font, so the printed sheet cannot show "
                                 "it; use another character or add a font with it to templates/fonts/")
            return None
    return value


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
            ctx.add(dnode, f"definitions[{i}].key", f"duplicate definition key '{d.key}' (also definitions[{keys[d.key]}])")
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
    text = _string(ctx, fields, "text", prefix + ".")
    renamed = _slug(ctx, fields, "renamed_from", prefix + ".")
    if None in (key, term, text):
        return None
    where, tnode = f"{prefix}.text", fields["text"]
    try:
        tree = markup.parse(text)
    except markup.MarkupError as exc:
        ctx.add(tnode, where, str(exc))
        return None
    if not markup.ordinals(tree):
        clozed = markup.auto_cloze(text, term)
        if clozed is None:
            ctx.add(tnode, where, f"has no cloze and the term '{term}' does not occur in it, "
                                  "so nothing can be deleted automatically; mark one with {{c1::...}}")
            return None
        try:
            text, tree = clozed, markup.parse(clozed)
        except markup.MarkupError as exc:
            ctx.add(tnode, where, f"the term '{term}' cannot be clozed automatically here ({exc}); "
                                  "mark it with {{c1::...}}")
            return None
    return Definition(key, term, text, tree, renamed)


def _points(ctx: _Ctx, fields) -> tuple[tuple, ...] | None:
    texts = _list(ctx, fields, "points", "", _scalar_str)
    if texts is None:
        return None
    node = fields["points"]
    if not MIN_POINTS <= len(node.value) <= MAX_POINTS:
        ctx.add(node, "points", f"has {len(node.value)} items; write {MIN_POINTS} to {MAX_POINTS} key points")
        return None
    trees = []
    for i, (text, pnode) in enumerate(zip(texts, node.value)):
        try:
            trees.append(markup.parse(text, allow_cloze=False))
        except markup.MarkupError as exc:
            ctx.add(pnode, f"points[{i}]", str(exc))
    return tuple(trees) if len(trees) == len(node.value) else None


def _url(ctx: _Ctx, fields) -> str | None:
    value = _string(ctx, fields, "source", "")
    if value is None:
        return None
    parts = urlsplit(value)
    if parts.scheme != "https" or not parts.netloc or any(c in value for c in " \"'<>`"):
        ctx.add(fields["source"], "source", f"must be an https:// URL, not '{value}'")
        return None
    return value


def _check_related(entries: list[Entry], known: set[str], sources: list[Source], problems: list[Problem]) -> None:
    nodes = {s.path: s.node for s in sources}
    for entry in entries:
        rel_node = _child(nodes[entry.path], "related")
        for i, rid in enumerate(entry.related):
            item = rel_node.value[i] if rel_node is not None else None
            if rid == entry.id:
                _Ctx(entry.path, problems).add(item, f"related[{i}]", "an entry cannot be related to itself")
            elif rid not in known:
                close = difflib.get_close_matches(rid, sorted(known), n=1)
                hint = f" (did you mean '{close[0]}'?)" if close else ""
                _Ctx(entry.path, problems).add(item, f"related[{i}]", f"no entry has the id '{rid}'{hint}")


def _child(node: yaml.MappingNode, key: str) -> yaml.Node | None:
    return next((v for k, v in node.value if getattr(k, "value", None) == key), None)
