"""What one layout teaches the next (refit): a section's last page with its columns evened, a
heading never alone at a page's foot. Read from WeasyPrint's boxes; pdf.render lays out again
until refit is settled."""

from __future__ import annotations

from dataclasses import replace

from studydeck.pdf.documents import Document, Fit

MOVE_MAX = 0.15  # of a page's height: the most of an item moved off a page to join the balanced ones


def refit(doc, document: Document) -> Fit:
    """The documents.Fit for the next layout, from where this one (made with document.fit) put things.

    Flows are settled one at a time, in document order, because settling one moves all that
    follows it: this keeps every decision document.fit has, settles the first flow it has
    not, and returns. For that flow:
    - cuts: the items that start on the page where the flow ends are set apart so that a
      section never ends in one full column beside empty ones. Items that may continue in the
      next column (entries, questions) go into a flow of their own whose columns WeasyPrint
      balances ([index of the first]; column-fill: balance took 10 to 30 times longer on a
      whole section, but one page's worth is cheap). Items that never break (document.whole:
      the answer key's) are set in explicit columns of even height, from their heights here
      ([index of the first, index starting each further column]);
    - break: when its heading stood alone at the foot of a page (WeasyPrint does not keep a
      heading with a multi-column flow), the section starts a page.
    pdf.render lays out again until refit returns the fit the layout was made with.
    """
    fit, columns = document.fit, document.columns
    where, last, heights = _measure(doc)
    cuts, breaks, settled = dict(fit.cuts), set(fit.breaks), set(fit.settled)
    for name, anchors in document.flows.items():
        if name in settled:
            continue
        settled.add(name)
        heading = document.headings.get(name)
        if heading in where and anchors and anchors[0] in where and where[anchors[0]] > where[heading]:
            breaks.add(name)  # the heading at a page's foot, its first item on the next page
        end = last.get(f"flow-{name}")
        if columns > 1 and end is not None and all(a in where for a in anchors):
            start = next((i for i, a in enumerate(anchors) if where[a] == end), len(anchors))
            if name in document.whole and len(anchors) - start >= 2:
                tail = [heights[a, end] for a in anchors[start:]]
                cuts[name] = [start + cut for cut in [0, *even_split(tail, columns)]]
            elif name not in document.whole:
                spanning = anchors[start - 1] if start > 0 else None
                before = sum(heights.get((spanning, n), 0.0) for n in range(where[spanning], end)) if spanning else 0
                if (
                    spanning
                    and last[spanning] == end
                    and heights[spanning, end] >= before
                    and before <= MOVE_MAX * doc.pages[end].height
                ):
                    start -= 1  # an item mostly on the last page: balanced with the others there
                    # (only a short start of it: the space it leaves on the page before stays empty)
                if start < len(anchors):
                    cuts[name] = [start]  # items that may continue in the next column: WeasyPrint balances them
        if cuts != fit.cuts or breaks != fit.breaks:
            break  # what follows this flow moves: settle it in the next layout
    return replace(fit, cuts=cuts, breaks=frozenset(breaks), settled=frozenset(settled))


def _measure(doc) -> tuple[dict[str, int], dict[str, int], dict[tuple[str, int], float]]:
    """element id -> the first page it is on, the last, and (id, page) -> its height on that
    page (the sum of its pieces there: an item continued in the next column counts whole)."""
    where, last, heights = {}, {}, {}

    def walk(box, number, parent_element):
        element = getattr(box, "element", None)
        anchor = element.get("id") if element is not None else None
        if anchor and element is not parent_element:  # the element's own box, not one inside it
            where.setdefault(anchor, number)
            last[anchor] = number
            heights[anchor, number] = heights.get((anchor, number), 0.0) + box.margin_height()
        for child in getattr(box, "children", ()):
            walk(child, number, element)

    for number, page in enumerate(doc.pages):
        walk(page._page_box, number, None)
    return where, last, heights


def even_split(heights: list[float], columns: int) -> list[int]:
    """Where columns 2..N start, keeping order, so that the tallest column is the shortest possible."""
    n = len(heights)
    prefix = [0.0]
    for h in heights:
        prefix.append(prefix[-1] + h)
    # best[k][i]: (tallest column, cuts) for the first i items in k columns
    best = {(1, i): (prefix[i], []) for i in range(n + 1)}
    for k in range(2, min(columns, n) + 1):
        for i in range(k, n + 1):
            best[(k, i)] = min(
                ((max(best[(k - 1, j)][0], prefix[i] - prefix[j]), best[(k - 1, j)][1] + [j]) for j in range(k - 1, i)),
                key=lambda c: c[0],
            )
    return best[(min(columns, n), n)][1]
