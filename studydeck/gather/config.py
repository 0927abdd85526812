"""pyproject.toml [tool.studydeck] -> Config: everything a deck is made of besides its entries.

Every setting is checked here, with its name in the message: a typo in the configuration is
an error, never a setting silently ignored.
"""

from __future__ import annotations

import contextvars
import json
import re
import tomllib
import unicodedata
from urllib.parse import urlsplit

from studydeck.errors import UsageError
from studydeck.gather.reads import Reads
from studydeck.model import Config, Group, LintConfig

VERSION_ENV = "STUDYDECK_VERSION"  # CI sets it from the release tag
SOURCE_URL_ENV = "STUDYDECK_SOURCE_URL"  # the release job sets these two when pyproject.toml does not
CHANGES_URL_ENV = "STUDYDECK_CHANGES_URL"
SDE = "SOURCE_DATE_EPOCH"  # reproducible-builds.org: the release's time, set by CI from the tagged commit
MAX_EPOCH = 253_402_300_799  # 9999-12-31T23:59:59Z: later dates have no 4-digit year in the PDF
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_KEYS = (
    "deck",
    "guid-prefix",
    "description",
    "language",
    "source-url",
    "changes-url",
    "groups",
    "lint",
    "accept-changes",
)
LANGUAGES = ("ko", "en")  # the release notes' (outputs/changes.py TEXT)
ACCEPTABLE = ("deck", "guid-prefix", "subdeck")  # released settings learners' collections depend on
_GROUP_KEYS = ("name", "label", "subdeck", "order")
TOOL, GROUPS, LINT = "tool.studydeck", "tool.studydeck.groups", "tool.studydeck.lint"  # tables, for place()


def source_date_epoch(reads: Reads) -> int | None:
    """SOURCE_DATE_EPOCH as a time, None when unset or empty; a malformed one stops the build
    (reproducible-builds.org: a build must not silently ignore it)."""
    value = reads.env(SDE) or ""
    if not value.strip():
        return None
    if not re.fullmatch(r"[0-9]+", value.strip()):
        raise UsageError(f"{SDE}={value!r} is not a whole number of seconds since 1970-01-01 UTC")
    if int(value) > MAX_EPOCH:
        raise UsageError(f"{SDE}={value.strip()} is after the year 9999")
    return int(value)


_SOURCE: contextvars.ContextVar[str] = contextvars.ContextVar("pyproject", default="")


def _fail(message: str, at: tuple | None = None, text: str | None = None):
    """A configuration problem, at its place in pyproject.toml when `at` (see place()) finds it."""
    raise UsageError(f"{place(text or _SOURCE.get(), *at) if at else 'pyproject.toml'}: {message}")


_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(?:#.*)?$")


def place(text: str, table: str, index: int | None = None, key: str | None = None, item: str | None = None) -> str:
    """'pyproject.toml:LINE:COL' of a setting (tomllib keeps no positions): the `key = ` line in
    [table] (the index-th [[table]] when index is given), or item's quoted string after it;
    the table's header when the key is not written there; 'pyproject.toml' when neither is found."""
    lines = text.splitlines()
    start, count = None, -1
    for n, line in enumerate(lines):
        m = _HEADER.match(line)
        if not m:
            continue
        name = re.sub(r"[\s\"']", "", m.group(2))
        if start is not None:
            end = n
            break
        if name == table and (m.group(1) == "[[") == (index is not None):
            count += 1
            if index is None or count == index:
                start = n
    else:
        end = len(lines)
    if start is None:
        return "pyproject.toml"
    where = (start, 1)
    if key is not None:
        pattern = re.compile(rf"^\s*[\"']?{re.escape(key)}[\"']?\s*=")
        for n in range(start + 1, end):
            if pattern.match(lines[n]):
                where = (n, len(lines[n]) - len(lines[n].lstrip()) + 1)
                if item is not None:
                    for k in range(n, end):
                        cut = lines[k].index("=") + 1 if k == n else 0
                        found = re.search(rf"[\"']{re.escape(item)}[\"']", lines[k][cut:])
                        if found:
                            where = (k, cut + found.start() + 1)
                            break
                break
    return f"pyproject.toml:{where[0] + 1}:{where[1]}"


def load_config(reads: Reads) -> Config:
    """Read [project].version and [tool.studydeck] from the project's pyproject.toml."""
    path = reads.root / "pyproject.toml"
    try:
        text = reads.text(path)
        data = tomllib.loads(text)
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise UsageError(f"{path.name}: cannot read the configuration: {exc}") from None
    token = _SOURCE.set(text)
    try:
        return _config(reads, data, text)
    finally:
        _SOURCE.reset(token)


def _config(reads: Reads, data: dict, text: str) -> Config:
    tool = data.get("tool", {}).get("studydeck")
    if not isinstance(tool, dict):
        _fail("[tool.studydeck] is missing: it names the deck and its groups (see the README, Configuration)")
    for key in tool:
        if key not in _KEYS:
            _fail(f"[tool.studydeck] has no setting '{key}'; settings: {', '.join(_KEYS)}", (TOOL, None, key))
    deck = _text(tool, "deck", "[tool.studydeck] deck")
    if "::" in deck or deck != deck.strip():
        _fail("[tool.studydeck] deck must not contain '::' or surrounding spaces", (TOOL, None, "deck"))
    _as_anki_keeps(deck, "[tool.studydeck] deck", (TOOL, None, "deck"))
    prefix = _text(tool, "guid-prefix", "[tool.studydeck] guid-prefix")
    version = (reads.env(VERSION_ENV) or "").strip().removeprefix("v") or data.get("project", {}).get("version", "")
    if not isinstance(version, str) or not re.fullmatch(r"[0-9A-Za-z.+-]+", version or ""):
        raise UsageError(f"version '{version}' is not a version number")
    description = _text(tool, "description", "[tool.studydeck] description", default="")
    source_url = _url(tool.get("source-url") or reads.env(SOURCE_URL_ENV) or None, "source-url", True)
    changes_url = _url(tool.get("changes-url") or reads.env(CHANGES_URL_ENV) or None, "changes-url", False)
    language = tool.get("language", "ko")
    if language not in LANGUAGES:
        _fail(f"[tool.studydeck] language must be one of {', '.join(LANGUAGES)}", (TOOL, None, "language"))
    accept = _accept(tool.get("accept-changes", {}))
    return Config(
        deck=deck,
        guid_prefix=prefix,
        version=version,
        lint=_lint(tool.get("lint", {})),
        groups=_groups(tool.get("groups")),
        description=description,
        source_url=source_url,
        changes_url=changes_url.replace("{version}", version) if changes_url else None,
        language=language,
        accept_changes=accept,
        source=text,
    )


def _accept(table) -> tuple[tuple[str, str], ...]:
    """accept-changes: each released value the author means to leave, e.g.
    { deck = "Old name", subdeck = ["old-sub"] }. A value, not a switch: once the next release
    ships the change, the line accepts nothing more (the released value is the new one)."""
    at = (TOOL, None, "accept-changes")
    form = 'a table of the released values being left, e.g. accept-changes = { deck = "Old name" }'
    if not isinstance(table, dict):
        _fail(f"[tool.studydeck] accept-changes must be {form}", at)
    out = []
    for key, value in table.items():
        if key not in ACCEPTABLE:
            _fail(f"[tool.studydeck] accept-changes: unknown key '{key}'; it takes {', '.join(ACCEPTABLE)}", at)
        values = value if key == "subdeck" and isinstance(value, list) else [value]
        if not values or not all(isinstance(v, str) and v for v in values):
            kind = "a subdeck name or a list of them" if key == "subdeck" else "the released value (a string)"
            _fail(f"[tool.studydeck] accept-changes {key} must be {kind}", at)
        out += [(key, v) for v in values]
    return tuple(out)


def check_released(config: Config, then: dict | None, tag: str) -> None:
    """The settings learners' collections depend on, against the latest release's (then: its
    [tool.studydeck]): leaving a released value is refused with what it would do, unless
    accept-changes names that value."""
    if not isinstance(then, dict):
        return
    why = {
        "guid-prefix": "the note type would get a new id, and Anki would import every released note as a "
        "conflict, not an update: learners' notes would stop getting edits, beside a second note type",
        "deck": "Anki matches decks by name: learners' next import would make new decks and leave every card "
        "they have where it is",
        "subdeck": "Anki matches decks by name and leaves an updated note's cards in their deck: learners would "
        "keep that subdeck, and new cards would go elsewhere",
    }

    def fail(key: str, old: str, message: str, at: tuple) -> None:
        if (key, old) in config.accept_changes:
            return
        shown = json.dumps(old, ensure_ascii=False)
        _fail(
            f"{message}: {why[key]}; put it back, or add accept-changes = {{ {key} = {shown} }} to "
            "[tool.studydeck] if that is meant",
            at,
            config.source,
        )

    old = then.get("guid-prefix")
    if isinstance(old, str) and old != config.guid_prefix:
        fail(
            "guid-prefix",
            old,
            f"guid-prefix changed since the release {tag} ('{old}' -> '{config.guid_prefix}')",
            (TOOL, None, "guid-prefix"),
        )
    old = then.get("deck")
    if isinstance(old, str) and old != config.deck:
        fail("deck", old, f"deck renamed since the release {tag} ('{old}' -> '{config.deck}')", (TOOL, None, "deck"))
    groups = (
        [g for g in then.get("groups") or [] if isinstance(g, dict)] if isinstance(then.get("groups"), list) else []
    )
    now = {g.subdeck for g in config.groups}
    by_name = {g.name: i for i, g in enumerate(config.groups)}
    for group in groups:
        name, old = group.get("name"), group.get("subdeck") or group.get("name")
        if not isinstance(old, str):
            continue
        if name in by_name and config.groups[by_name[name]].subdeck != old:  # the same group, another
            i = by_name[name]  # subdeck (renamed, or swapped with another group's: its cards stay put)
            message = (
                f"group '{name}': subdeck renamed since the release {tag} ('{old}' -> '{config.groups[i].subdeck}')"
            )
            fail("subdeck", old, message, (GROUPS, i, "subdeck"))
        elif name not in by_name and old not in now:  # the group renamed or gone, and its subdeck with it
            fail(
                "subdeck", old, f"the subdeck '{old}' of the release {tag} is gone (no group has it)", (GROUPS, 0, None)
            )


_MAX_TEXT = {"description": 500}  # characters; names and labels: 80 (a line of the sheet's header)


def _text(table: dict, key: str, where: str, default: str | None = None, at: tuple | None = None) -> str:
    value = table.get(key, default)
    at = at or (TOOL, None, key)
    if not isinstance(value, str) or (default is None and not value.strip()):
        _fail(f"{where} must be a non-empty string", at)
    from studydeck.gather.validate import _bad_character  # entry text's own rule: no control, bidi or surrogate

    if bad := _bad_character(value):
        _fail(f"{where}: {bad[1]}", at)
    limit = _MAX_TEXT.get(key, 80)
    if len(value) > limit:
        _fail(f"{where} is {len(value):,} characters; at most {limit}", at)
    return value


def check_drawable(config: Config, charset: frozenset[int]) -> None:
    """The deck's name and the groups' labels are printed on the sheets: each must be in the
    bundled font (so --check finds it, not the PDF's layout)."""
    from studydeck import fonts

    texts = [("[tool.studydeck] deck", config.deck, (TOOL, None, "deck"))]
    texts += [
        (f"[[tool.studydeck.groups]] #{i + 1} label", g.label, (GROUPS, i, "label"))
        for i, g in enumerate(config.groups)
    ]
    for where, value, at in texts:
        if missing := fonts.missing(value, charset):
            shown = ", ".join(f"'{c}' (U+{ord(c):04X})" for _, c in missing[:3])
            _fail(
                f"{where}: {shown} not in the bundled font, so the sheets cannot show it; "
                "use another character or add a font with it to templates/fonts/",
                at,
                config.source,
            )


def _url(value, key: str, folder: bool) -> str | None:
    """source-url: where the project's files are online, to which an entry's path is added (the
    card's back links its file); changes-url: the release's change list ({version} is replaced)."""
    if value is None:
        return None
    if isinstance(value, str) and ("{" in value.replace("{version}", "") or "}" in value.replace("{version}", "")):
        allowed = "" if folder else " other than {version}"
        _fail(
            f"[tool.studydeck] {key} must not hold braces{allowed} (the card template would read them as "
            f"Anki's own syntax); not {value!r}",
            (TOOL, None, key),
        )
    if folder and isinstance(value, str) and "{version}" in value:
        _fail(
            f"[tool.studydeck] {key} cannot hold {{version}}: it is the files' address, not a release's",
            (TOOL, None, key),
        )
    parts = urlsplit(value) if isinstance(value, str) else None
    if (
        parts is None
        or parts.scheme != "https"
        or not parts.netloc
        or (folder and not value.endswith("/"))
        or any(c in value for c in " \"'<>`\\")
        or any(ord(c) < 33 for c in value)
    ):
        example = (
            "https://github.com/OWNER/REPO/blob/main/"
            if folder
            else "https://github.com/OWNER/REPO/releases/tag/v{version}"
        )
        _fail(
            f"[tool.studydeck] {key} (or ${SOURCE_URL_ENV if folder else CHANGES_URL_ENV}) must be an https:// URL"
            f"{' ending in /' if folder else ''}, e.g. {example}; not {value!r}",
            (TOOL, None, key),
        )
    return value


def anki_deck_name(name: str) -> str:
    """A deck name component as Anki stores it (rslib decks/name.rs, normalized_deck_name_component):
    NFC, without ASCII control characters, without surrounding whitespace and ':'."""
    out = "".join(c for c in unicodedata.normalize("NFC", name) if not (ord(c) < 32 or ord(c) == 127))
    return out.strip().strip(":").strip() or "blank"


def _as_anki_keeps(name: str, where: str, at: tuple) -> None:
    if anki_deck_name(name) != name:
        _fail(
            f"{where} {name!r} is not a deck name Anki keeps: it would store {anki_deck_name(name)!r} "
            "(NFC, no control characters such as a TAB, nothing around it), so the deck would not be the one "
            "configured; write it that way",
            at,
        )


def _deck_key(name: str) -> str:
    return unicodedata.normalize("NFC", name).casefold()  # decks.name is COLLATE unicase in Anki


def _groups(value) -> tuple[Group, ...]:
    """[[tool.studydeck.groups]]: the sections of the sheets and the subdecks, in their order."""
    if not isinstance(value, list) or not value or not all(isinstance(g, dict) for g in value):
        _fail("[[tool.studydeck.groups]] must list one or more groups, each with a name and a label")
    groups, seen, subdecks = [], set(), set()
    for i, table in enumerate(value):
        where = f"[[tool.studydeck.groups]] #{i + 1}"
        for key in table:
            if key not in _GROUP_KEYS:
                _fail(f"{where} has no setting '{key}'; settings: {', '.join(_GROUP_KEYS)}", (GROUPS, i, key))
        name = _text(table, "name", f"{where} name", at=(GROUPS, i, "name"))
        if name != name.strip() or "::" in name or not re.fullmatch(r"[^\s\"]+", name):
            _fail(
                f"{where} name '{name}' must be one word (it is the `group:` of entries and an Anki tag)",
                (GROUPS, i, "name"),
            )
        if _deck_key(name) in seen:
            twice = name in {g.name for g in groups}
            _fail(
                f"{where} name '{name}' is used twice"
                + ("" if twice else " (but for case or Unicode normalization, which Anki's tags do not tell apart)"),
                (GROUPS, i, "name"),
            )
        seen.add(_deck_key(name))
        label = _text(table, "label", f"{where} label", default=name, at=(GROUPS, i, "label")) or name
        subdeck = _text(table, "subdeck", f"{where} subdeck", default=name, at=(GROUPS, i, "subdeck")) or name
        if not label.strip():
            _fail(f"{where} label is blank: it is the section's heading", (GROUPS, i, "label"))
        if "::" in subdeck or subdeck != subdeck.strip():
            _fail(f"{where} subdeck must not contain '::' or surrounding spaces", (GROUPS, i, "subdeck"))
        _as_anki_keeps(subdeck, f"{where} subdeck", (GROUPS, i, "subdeck"))
        if _deck_key(subdeck) in subdecks:
            _fail(
                f"{where} subdeck '{subdeck}' is also another group's (Anki does not tell decks apart by case or "
                "Unicode normalization, so it would merge or rename them): each group has its own subdeck",
                (GROUPS, i, "subdeck"),
            )
        subdecks.add(_deck_key(subdeck))
        order = table.get("order", [])
        if (
            not isinstance(order, list)
            or not all(isinstance(o, str) and _SLUG.match(o) for o in order)
            or len(set(order)) != len(order)
        ):
            _fail(f"{where} order must be a list of distinct entry ids", (GROUPS, i, "order"))
        groups.append(Group(name, label, subdeck, tuple(order)))
    return tuple(groups)


_LINT_KEYS = {
    "max-answer-chars": ("max_answer_chars", int, 1, 1000),
    "max-answer-share": ("max_answer_share", float, 0.05, 1.0),
    "max-deletions": ("max_deletions", int, 1, 500),
}


def _lint(table) -> LintConfig:
    """Thresholds only: a rule is silenced per definition (lint_ignore), never here by accident."""
    if not isinstance(table, dict):
        _fail("[tool.studydeck.lint] must be a table")
    values = {}
    for key, value in table.items():
        if key not in _LINT_KEYS:
            _fail(f"[tool.studydeck.lint] has no setting '{key}'; settings: {', '.join(_LINT_KEYS)}", (LINT, None, key))
        name, kind, low, high = _LINT_KEYS[key]
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, float))
            or (kind is int and not isinstance(value, int))
            or not low <= value <= high
        ):
            _fail(
                f"[tool.studydeck.lint] {key} must be a {'whole number' if kind is int else 'number'} from "
                f"{low} to {high}, not {value!r}",
                (LINT, None, key),
            )
        values[name] = kind(value)
    return LintConfig(**values)
