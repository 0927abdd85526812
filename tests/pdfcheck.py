"""Reading the built PDFs the way a reader sees them: fonts, page boxes, lines of characters."""

from __future__ import annotations

import re
from itertools import pairwise

import pdfplumber
import pypdf
import yaml
from conftest import DECK

from studydeck.gather import markup

MM = 72 / 25.4
MARGINS = {"top": 15 * MM, "right": 12 * MM, "bottom": 14 * MM, "left": 12 * MM}  # templates/sheet.css
HANGUL = re.compile(r"[\uac00-\ud7af]")
ENTRIES = [yaml.safe_load(p.read_text("utf-8")) for p in sorted((DECK / "entries").glob("*.yaml"))]


def reading_order() -> list[dict]:
    """The entries as the sheets show them: the groups of pyproject.toml, in each its `order`
    (tests/test_order.py checks how the rest is sorted)."""
    import tomllib

    groups = tomllib.loads((DECK / "pyproject.toml").read_text("utf-8"))["tool"]["studydeck"]["groups"]
    out = []
    for group in groups:
        members = {e["id"]: e for e in ENTRIES if e["group"] == group["name"]}
        assert sorted(members) == sorted(group.get("order", [])), "every shipped entry has its place in `order`"
        out += [members[i] for i in group["order"]]
    return out


def definition_tree(d: dict) -> tuple:
    """A definition's markup as the build sees it: a definition without a cloze gets its term clozed."""
    tree = markup.parse(d["text"])
    return tree if markup.ordinals(tree) else markup.auto_cloze(tree, d["term"])


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def embedded_fonts(path) -> dict[str, bool]:
    """Base font name (subset prefix removed) -> embedded, over every page."""
    fonts = {}
    for page in pypdf.PdfReader(path).pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descendant = font["/DescendantFonts"][0].get_object()
            descriptor = descendant["/FontDescriptor"].get_object()
            name = re.sub(r"^/[A-Z]{6}\+", "/", str(font["/BaseFont"]))
            fonts[name] = fonts.get(name, True) and ("/FontFile2" in descriptor or "/FontFile3" in descriptor)
    return fonts


def _baseline(c) -> float:
    return -c["matrix"][5]  # the text matrix's y: the baseline, in PDF units (upwards)


def segments(page) -> list[dict]:
    """Runs of characters on one baseline with no gap wider than 2 mm: a line of one column.

    Each: {"top", "x0", "x1", "text", "size"}; text keeps the spaces the reader infers.
    """
    # By baseline, not top: code (a smaller monospace font) sits on the line of the text around it.
    chars = sorted((c for c in page.chars if c["text"].strip()), key=lambda c: (round(_baseline(c)), c["x0"]))
    rows: list[list[dict]] = []
    for c in chars:
        if rows and abs(_baseline(rows[-1][-1]) - _baseline(c)) < 2.5 and -1 < c["x0"] - rows[-1][-1]["x1"] < 2 * MM:
            rows[-1].append(c)
        else:
            rows.append([c])
    out = []
    for row in rows:
        text = row[0]["text"]
        for a, b in pairwise(row):
            text += (" " if b["x0"] - a["x1"] > 0.15 * a["size"] else "") + b["text"]
        out.append(
            {
                "top": min(c["top"] for c in row),
                "x0": row[0]["x0"],
                "x1": row[-1]["x1"],
                "text": text,
                "size": max(c["size"] for c in row),
                "chars": row,
            }
        )
    return out


GAP = 6 * MM  # column-gap in templates/sheet.css


def column_width(page, columns: int) -> float:
    return (float(page.width) - MARGINS["left"] - MARGINS["right"] - (columns - 1) * GAP) / columns


def column_of(page, x0: float, columns: int) -> int:
    """The column (0-based) a box starting at x0 is in; full-width lines count as column 0."""
    return min(int((x0 - MARGINS["left"] + 1) // (column_width(page, columns) + GAP)), columns - 1)


def in_reading_order(page, columns: int = 2) -> list[dict]:
    """segments() band by band (a section heading across the page starts a band), in each band
    column by column, top to bottom (full-width lines count as column 1)."""
    found = sorted(segments(page), key=lambda s: s["top"])
    row, last = 0, None
    for s in found:  # one row: tops within 4 pt (a small number beside bigger text sits higher)
        if last is not None and s["top"] - last > 4:
            row += 1
        s["row"], last = row, s["top"]
    heads = [s["top"] for s in found if s["size"] >= HEADING_SIZE and s["x0"] < MARGINS["left"] + 10 * MM]
    band = lambda s: sum(1 for h in heads if h <= s["top"] + 0.5)  # noqa: E731
    return sorted(found, key=lambda s: (band(s), column_of(page, s["x0"], columns), s["row"], s["x0"]))


def reading_text(page, columns: int = 2) -> str:
    return "\n".join(s["text"] for s in in_reading_order(page, columns))


def small_numbers(page, columns: int = 2, below: float = 6.5) -> list[int]:
    """Numbers set in type smaller than `below` pt (the worksheet's blank numbers), in reading order."""
    chars = [c for c in page.chars if c["size"] < below and c["text"].isdigit()]
    chars.sort(key=lambda c: (round(c["top"]), c["x0"]))
    runs: list[list[dict]] = []
    for c in chars:
        if runs and abs(runs[-1][-1]["top"] - c["top"]) < 1 and -1 <= c["x0"] - runs[-1][-1]["x1"] < 1.5:
            runs[-1].append(c)
        else:
            runs.append([c])
    heads = [s["top"] for s in segments(page) if s["size"] >= HEADING_SIZE and s["x0"] < MARGINS["left"] + 10 * MM]
    band = lambda top: sum(1 for h in heads if h <= top + 0.5)  # noqa: E731  (as in_reading_order)
    runs.sort(key=lambda r: (band(r[0]["top"]), column_of(page, r[0]["x0"], columns), r[0]["top"], r[0]["x0"]))
    return [int("".join(c["text"] for c in r)) for r in runs]


def pages(path) -> list:
    """pdfplumber pages (their file stays open until the test ends)."""
    return pdfplumber.open(path).pages


def source_words(cloze_as=None) -> set[str]:
    """Every whitespace-separated word the entries can put on a page.

    cloze_as: None keeps cloze answers in place (the cheat sheet); "" also removes them (a
    worksheet item blanks its own card's), and the answers are added as words of the key.
    """
    texts = []
    titles = {e["id"]: e["title"] for e in ENTRIES}
    for entry in ENTRIES:
        texts += [entry["title"], *[d["term"] for d in entry["definitions"]]]
        texts += [markup.plain(markup.parse(p)) for p in entry["points"]]
        texts.append(", ".join(titles[r] for r in entry.get("related", [])))
        texts += [
            f.get("caption", "")
            for f in [entry.get("figure") or {}, *(d.get("figure") or {} for d in entry["definitions"])]
        ]
        for d in entry["definitions"]:
            tree = definition_tree(d)
            texts.append(markup.plain(tree))  # the sheet; a worksheet item shows the other cards' deletions
            if cloze_as is not None:
                texts.append(markup.plain(_without_clozes(tree)))
                texts += [a for _, a, _ in markup.answers(tree)]
    return {w for t in texts for w in t.split()}


def _without_clozes(tree):
    out = []
    for node in tree:
        if isinstance(node, markup.Cloze):
            out.append(markup.Text(" "))
        elif isinstance(node, markup.Bold):
            out.append(markup.Bold(tuple(_without_clozes(node.children))))
        else:
            out.append(node)
    return tuple(out)


# Unicode line breaking (UAX #14, LB13) never breaks before these, even after a space: "(예: /24)"
# is one unit for the layout, so it is one for this check too.
_NO_BREAK_BEFORE = set("/)]}!?,.:;")


def _first_word_width(segment) -> float:
    """Width of the first unit a line could break after: up to the first gap that allows a break."""
    chars = segment["chars"]
    end = next(
        (
            i
            for i, (a, b) in enumerate(pairwise(chars))
            if b["x0"] - a["x1"] > 0.15 * a["size"] and b["text"] not in _NO_BREAK_BEFORE
        ),
        len(chars) - 1,
    )
    return chars[end]["x1"] - chars[0]["x0"]


MEASURE = 125 * MM  # one column's lines end here (PrintOptions.MEASURE_MM)


def premature_breaks(path, columns: int, minimum: int = 50) -> list[tuple[str, str]]:
    """(line, next line) pairs of one paragraph where the next line's first word would have fit."""
    found, checked = [], 0
    for page in pages(path):
        column = min(column_width(page, columns), MEASURE)
        lines = [s for s in in_reading_order(page, columns) if s["text"] != "•" and s["top"] > MARGINS["top"]]
        for a, b in pairwise(lines):
            same_paragraph = (
                abs(a["size"] - b["size"]) < 0.1
                and 0 < b["top"] - a["top"] < 1.7 * a["size"]
                and -1 < b["x0"] - a["x0"] < 4 * MM
                and 8 < a["size"] < 9
                and not b["text"].startswith("•")
            )
            if not same_paragraph or all("Bold" in c["fontname"] for c in a["chars"]):  # a term (dt) line
                continue
            right = MARGINS["left"] + column_of(page, a["x0"], columns) * (column + GAP) + column
            checked += 1
            if a["x1"] + 0.25 * a["size"] + _first_word_width(b) <= right - 1:
                found.append((a["text"], b["text"]))
    assert checked >= minimum, checked
    return found


HEADING_SIZE = 11.4  # h2, the section headings across the page (11.5 pt in templates/sheet.css)


def column_fill(path, columns: int) -> list[dict]:
    """The empty share at the foot of every column of every page but the document's last (issue
    23): {page, column, empty, next_is_figure, before_key}. empty is the height below the
    column's lowest ink (text, a figure, a rule) as a share of the page's text area;
    next_is_figure: the next page opens with a figure (one never splits: when it is taller than
    the space left, that space stays empty); before_key: the worksheet's last page of questions
    (its answer key starts a page by design: that page's columns are balanced, not full)."""
    found = pages(path)
    out = []
    for number, page in enumerate(found[:-1], 1):
        top, bottom = MARGINS["top"], float(page.height) - MARGINS["bottom"]
        width = column_width(page, columns)
        ink = [(c["x0"], c["x1"], c["bottom"]) for c in page.chars if c["text"].strip() and top < c["top"] < bottom]
        ink += [(i["x0"], i["x1"], i["bottom"]) for i in page.images]
        ink += [(e["x0"], e["x1"], e["bottom"]) for e in page.edges if top < e["top"] < bottom]
        following = found[number]
        first = min(
            [(c["top"], "text") for c in following.chars if c["text"].strip() and c["top"] > top]
            + [(i["top"], "figure") for i in following.images]
            + [(g["top"], "figure") for g in following.curves + following.rects if g["bottom"] - g["top"] > 5 * MM],
            default=(0, ""),
        )
        key = any(s["text"] == "정답" and s["size"] > 11 for s in segments(following))
        for col in range(columns):
            left = MARGINS["left"] + col * (width + GAP)
            low = max((b for x0, x1, b in ink if x1 > left + 1 and x0 < left + width - 1), default=top)
            out.append(
                {
                    "page": number,
                    "column": col + 1,
                    "empty": round((bottom - low) / (bottom - top), 3),
                    "next_is_figure": first[1] == "figure",
                    "before_key": key,
                }
            )
    return out


def lone_foot_lines(path, columns: int) -> list[tuple[int, int, str]]:
    """(page, column, line) where a column opens with an entry's foot line (관련:, id:, 출처:), cut
    off from its entry: issue 23 wants an entry's last point and foot kept together."""
    out = []
    for number, page in enumerate(pages(path), 1):
        width = column_width(page, columns)
        found = [s for s in segments(page) if MARGINS["top"] < s["top"] < float(page.height) - MARGINS["bottom"]]
        for col in range(columns):
            left = MARGINS["left"] + col * (width + GAP)
            mine = sorted((s for s in found if left - 1 <= s["x0"] < left + width), key=lambda s: s["top"])
            if mine and mine[0]["text"].startswith(("관련:", "id:", "출처:")):
                out.append((number, col + 1, mine[0]["text"]))
    return out


def running_header_mismatches(path) -> list[tuple[int, list[str], list[str]]]:
    """(page, header, expected) wherever the running header's right side does not name exactly the
    sections on the page (issue 23): the one the page starts in, unless a section heading opens
    the page, then each section that starts on it, in order. The sections and where they start
    come from the PDF's outline (level 1), not from the header's own source."""
    reader = pypdf.PdfReader(str(path))
    starts: dict[int, list[tuple[float, str]]] = {}
    for item in reader.outline:
        if not isinstance(item, list):
            starts.setdefault(reader.get_destination_page_number(item), []).append((float(item.top), item.title))
    out, current = [], None
    for number, page in enumerate(pages(path)):
        middle = float(page.width) / 2
        header = [s["text"] for s in segments(page) if s["top"] < MARGINS["top"] and s["x0"] > middle]
        here = starts.get(number, [])
        at_top = bool(here) and here[0][0] > float(page.height) - MARGINS["top"] - 12
        expected = ([current] if current and not at_top else []) + [title for _, title in here]
        if number and header != expected:  # the first page carries the title block, no header
            out.append((number + 1, header, expected))
        if here:
            current = here[-1][1]
    return out
