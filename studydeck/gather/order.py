"""The reading order: groups as configured, and in each group the entries its `order` lists
first, then the others by title (digits, Latin, then Hangul in 가나다 order, as Korean
collation has them). The sheets, the preview and the deck's new cards all follow it."""

from __future__ import annotations

import re
import unicodedata

from studydeck.errors import UsageError
from studydeck.gather.config import GROUPS, place
from studydeck.model import Config, Entry

_HANGUL = re.compile(r"[\u1100-\u11ff\u3130-\u318f\uac00-\ud7af]")


def title_key(title: str) -> tuple[int, str]:
    text = unicodedata.normalize("NFC", title).casefold()
    first = text[:1]
    rank = 0 if first.isdigit() else 1 if first.isascii() else 3 if _HANGUL.match(first) else 2
    return rank, text


def in_reading_order(entries: list[Entry], config: Config) -> list[Entry]:
    """The entries in reading order; an id in a group's `order` that no entry of it has is an error."""
    out = []
    for group in config.groups:
        members = {e.id: e for e in entries if e.group == group.name}
        unknown = [i for i in group.order if i not in members]
        if unknown:
            ids = sorted(members)
            shown = ", ".join(ids[:10]) + (f" and {len(ids) - 10} more" if len(ids) > 10 else "")
            at = place(config.source, GROUPS, config.groups.index(group), "order", unknown[0])
            raise UsageError(
                f"{at}: [[tool.studydeck.groups]] '{group.name}': order lists "
                f"'{unknown[0]}', which is no entry of this group; its entries: {shown or 'none'}"
            )
        listed = [members[i] for i in group.order]
        rest = sorted(
            (e for e in members.values() if e.id not in group.order), key=lambda e: (title_key(e.title), e.id)
        )
        out += listed + rest
    return out
