"""pyproject.toml -> Config: the deck name, GUID prefix and version, set in one place."""
from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path

from .errors import UsageError
from .model import Config, LintConfig

VERSION_ENV = "STUDYDECK_VERSION"  # CI sets it from the release tag
SDE = "SOURCE_DATE_EPOCH"  # reproducible-builds.org: the release's time, set by CI from the tagged commit
MAX_EPOCH = 253_402_300_799  # 9999-12-31T23:59:59Z: later dates have no 4-digit year in the PDF


def source_date_epoch() -> int | None:
    """SOURCE_DATE_EPOCH as a time, None when unset or empty; a malformed one stops the build
    (reproducible-builds.org: a build must not silently ignore it)."""
    value = os.environ.get(SDE, "")
    if not value.strip():
        return None
    if not re.fullmatch(r"[0-9]+", value.strip()):
        raise UsageError(f"{SDE}={value!r} is not a whole number of seconds since 1970-01-01 UTC")
    if int(value) > MAX_EPOCH:
        raise UsageError(f"{SDE}={value.strip()} is after the year 9999")
    return int(value)


def load_config(root: Path) -> Config:
    """Read [project].version and [tool.studydeck] from the project's pyproject.toml."""
    path = root / "pyproject.toml"
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise UsageError(f"{path.name}: cannot read the configuration: {exc}") from None
    tool = data.get("tool", {}).get("studydeck", {})
    deck, prefix = tool.get("deck"), tool.get("guid-prefix")
    for key, value in (("deck", deck), ("guid-prefix", prefix)):
        if not isinstance(value, str) or not value.strip():
            raise UsageError(f"pyproject.toml: [tool.studydeck] {key} must be a non-empty string")
    if "::" in deck or deck != deck.strip():
        raise UsageError("pyproject.toml: [tool.studydeck] deck must not contain '::' or surrounding spaces")
    version = os.environ.get(VERSION_ENV, "").strip().removeprefix("v") or data.get("project", {}).get("version", "")
    if not re.fullmatch(r"[0-9A-Za-z.+-]+", version or ""):
        raise UsageError(f"version '{version}' is not a version number")
    return Config(deck=deck, guid_prefix=prefix, version=version, lint=_lint(tool.get("lint", {})))


_LINT_KEYS = {"max-answer-chars": ("max_answer_chars", int, 1, 1000),
              "max-answer-share": ("max_answer_share", float, 0.05, 1.0),
              "max-deletions": ("max_deletions", int, 1, 500)}


def _lint(table) -> LintConfig:
    """Thresholds only: a rule is silenced per definition (lint_ignore), never here by accident."""
    if not isinstance(table, dict):
        raise UsageError("pyproject.toml: [tool.studydeck.lint] must be a table")
    values = {}
    for key, value in table.items():
        if key not in _LINT_KEYS:
            raise UsageError(f"pyproject.toml: [tool.studydeck.lint] has no setting '{key}'; settings: "
                             f"{', '.join(_LINT_KEYS)}")
        name, kind, low, high = _LINT_KEYS[key]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or (kind is int and not isinstance(value, int)) \
                or not low <= value <= high:
            raise UsageError(f"pyproject.toml: [tool.studydeck.lint] {key} must be a "
                             f"{'whole number' if kind is int else 'number'} from {low} to {high}, not {value!r}")
        values[name] = kind(value)
    return LintConfig(**values)
