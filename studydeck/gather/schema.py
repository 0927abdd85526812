"""entries/schema.json: the JSON Schema editors check entry files against, from the configuration.

Its `group` values are the configured groups and its `lint_ignore` values the card-quality rules,
so it always agrees with what the build accepts. The shape (which keys, which required) is
validate.py's: `required` is taken from it, and tests/test_schema.py holds the keys to it; what
is written here is what only a schema says (descriptions, patterns for the editor). The entries
are not checked with this schema: validate.py says each problem in Korean-deck terms at its
line and column, which a JSON Schema validator cannot. The build keeps the file current (written with
entries.lock, all or nothing); `--locked` fails when it is out of date, as for the lock.
"""

from __future__ import annotations

import json

from studydeck.gather.validate import REQUIRED_DEFINITION, REQUIRED_ENTRY, REQUIRED_FIGURE
from studydeck.model import Config

SCHEMA_NAME = "entries/schema.json"


def entry_schema(config: Config, lint_rules: list[str]) -> dict:
    from studydeck.gather.validate import MAX_POINTS, MAX_SOURCES, MIN_POINTS

    slug = {"$ref": "#/$defs/slug"}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"https://example.invalid/{config.guid_prefix}/entry.schema.json",
        "title": "Study entry",
        "description": "One concept of the study deck. Each definition becomes one Anki cloze note; "
        "its identity is id + definitions[].key, never the text.",
        "type": "object",
        "additionalProperties": False,
        "required": list(REQUIRED_ENTRY),
        "$defs": _defs(),
        "properties": {
            "id": slug
            | {
                "description": "Stable slug; the note identity. Never derive it from the title. "
                "Renaming needs renamed_from."
            },  # fmt: skip
            "title": {
                "$ref": "#/$defs/text",
                "description": "Shown on the card back and as the entry heading on the sheet.",
            },
            "group": {
                "enum": list(config.group_names),
                "description": "The sheet section and the Anki subdeck ([[tool.studydeck.groups]] in pyproject.toml).",
            },
            "tags": {
                "type": "array",
                "items": {"type": "string", "pattern": '^[^\\s"]+$'},
                "description": "Extra Anki tags; use :: for hierarchy, no spaces.",
            },
            "definitions": {
                "type": "array",
                "minItems": 1,
                "items": _definition(slug, lint_rules),
            },
            "points": {
                "type": "array",
                "minItems": MIN_POINTS,
                "maxItems": MAX_POINTS,
                "items": {"$ref": "#/$defs/text"},
                "description": f"{MIN_POINTS} to {MAX_POINTS} key points; **bold** and `code` allowed, no clozes.",
            },
            "related": {"type": "array", "items": slug, "description": "Ids of related entries."},
            "source": {
                "description": f"Where the facts were checked: one https URL, or a list of 1 to {MAX_SOURCES}.",
                "oneOf": [
                    {"$ref": "#/$defs/url"},
                    {"type": "array", "minItems": 1, "maxItems": MAX_SOURCES, "items": {"$ref": "#/$defs/url"}},
                ],
            },
            "figure": {"$ref": "#/$defs/figure"},
            "renamed_from": slug | {"description": "The id this entry had before, so its notes keep their GUIDs."},
        },
    }


def _defs() -> dict:
    from studydeck.gather.validate import FIGURE_SUFFIXES

    return {
        "slug": {"type": "string", "pattern": "^[a-z0-9]+(-[a-z0-9]+)*$"},
        "text": {"type": "string", "minLength": 1, "pattern": "\\S"},
        "url": {"type": "string", "maxLength": 500, "pattern": "^https://[^\\s\"'<>`\\\\{}\\[\\]]+$"},
        "figure": {
            "type": "object",
            "additionalProperties": False,
            "required": list(REQUIRED_FIGURE),
            "description": "An image shown with the card's answer, beside the entry on the sheet and in "
            "the preview. SVG text is drawn with the bundled fonts.",
            "properties": {
                "file": {
                    "type": "string",
                    "pattern": "^[^/\\\\][^\\\\]*\\.(" + "|".join(_any_case(s[1:]) for s in FIGURE_SUFFIXES) + ")$",
                    "description": "Path relative to the entry's folder, inside the project "
                    f"({', '.join(FIGURE_SUFFIXES)}; at most 1 MiB).",
                },
                "alt": {"$ref": "#/$defs/text", "description": "What the image shows, in words."},
                "caption": {"$ref": "#/$defs/text", "description": "Shown under the image."},
                "front": {
                    "type": "boolean",
                    "description": "Also on the card's front and in the worksheet: only for a figure "
                    "that gives no answer away. Default false.",
                },
            },
        },
    }


def _definition(slug: dict, lint_rules: list[str]) -> dict:
    """One item of `definitions`: one cloze note."""
    return {
        "type": "object",
        "additionalProperties": False,
        "required": list(REQUIRED_DEFINITION),
        "properties": {
            "key": slug | {"description": "Stable within the entry; with id it is the note identity."},
            "term": {
                "$ref": "#/$defs/text",
                "description": "The term defined. If text has no cloze, the first occurrence of term is clozed.",
            },
            "text": {
                "$ref": "#/$defs/text",
                "description": "Definition with Anki clozes {{c1::answer}} or {{c1::answer::hint}}; "
                "inline **bold** and `code`.",
            },
            "figure": {"$ref": "#/$defs/figure"},
            "renamed_from": slug
            | {"description": "The key this definition had before, so its notes keep their review history."},
            "lint_ignore": {
                "type": "array",
                "uniqueItems": True,
                "description": "Card-quality rules to silence for this definition only; see the README, Card quality.",
                "items": {"enum": sorted(lint_rules)},
            },
        },
    }


def _any_case(word: str) -> str:
    """'svg' -> '[sS][vV][gG]': JSON Schema patterns are ECMA-262 regexes, without a flag for case."""
    return "".join(f"[{c.lower()}{c.upper()}]" for c in word)


def schema_bytes(config: Config, lint_rules: list[str]) -> bytes:
    return (json.dumps(entry_schema(config, lint_rules), ensure_ascii=False, indent=2) + "\n").encode("utf-8")
