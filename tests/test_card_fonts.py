"""The deck carries its fonts: cards show Hangul with them on a machine without any Korean font."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pypdf
import pytest
from conftest import copy_project, import_apkg, new_collection, outputs, run_build
from fontTools.ttLib import TTFont

DECK_BUDGET = 300 * 1024  # bytes: the default deck, its fonts included (README, "Importing into Anki")
OURS = {"StudyDeck-Sans", "StudyDeck-Sans-Bold", "StudyDeck-Mono", "StudyDeck-Mono-Bold"}


def _pdf_fonts(path: Path) -> set[str]:
    names = set()
    for page in pypdf.PdfReader(path).pages:
        for font in page["/Resources"]["/Font"].values():
            names.add(re.sub(r"^/[A-Z]{6}\+", "", str(font.get_object()["/BaseFont"])))
    return names


def _render(html: str, media: Path, out: Path) -> Path:
    """A card's HTML from Anki's engine, with the collection's media, through a real renderer."""
    import weasyprint

    page = f'<html><head><meta charset="utf-8"></head><body><div class="card">{html}</div></body></html>'
    weasyprint.HTML(string=page, base_url=media.as_uri() + "/").write_pdf(out)
    return out


@pytest.fixture(scope="module")
def imported(built, tmp_path_factory):
    col = new_collection(tmp_path_factory.mktemp("fonts") / "anki")
    import_apkg(col, built["apkg"])
    yield col
    col.close()


def test_the_deck_carries_subset_fonts_and_their_licences_within_its_budget(built, imported):
    media = sorted(p.name for p in Path(imported.media.dir()).iterdir())
    assert [m for m in media if m.endswith(".woff2")] == sorted(
        m for m in media if re.fullmatch(r"_studydeck-(sans|mono)-(400|700)-[0-9a-f]{12}\.woff2", m)
    )
    assert len([m for m in media if m.endswith(".woff2")]) == 4
    assert sorted(m for m in media if m.endswith(".txt")) == [
        m for m in media if re.fullmatch(r"_studydeck-OFL-(Pretendard|NanumGothicCoding)-[0-9a-f]{8}\.txt", m)
    ]
    assert built["apkg"].stat().st_size <= DECK_BUDGET
    css = imported.models.by_name("k8s-study-deck cloze")["css"]
    for name in media:
        if name.endswith(".woff2"):
            assert f'url("{name}")' in css


def test_every_card_renders_hangul_with_the_bundled_fonts_only(imported, tmp_path):
    media = Path(imported.media.dir())
    cards = [imported.get_card(c) for c in imported.find_cards("")]
    assert len(cards) > 80
    body = "".join(f"<section>{c.question()}</section><section>{c.answer()}</section>" for c in cards)
    pdf = _render(body, media, tmp_path / "cards.pdf")
    assert _pdf_fonts(pdf) <= OURS and {"StudyDeck-Sans", "StudyDeck-Sans-Bold", "StudyDeck-Mono"} <= _pdf_fonts(pdf)
    text = "".join(p.extract_text() for p in pypdf.PdfReader(pdf).pages)
    assert "쿠버네티스" in text and "kubectl" in text


def test_the_subsets_are_renamed_as_the_ofl_requires_and_carry_the_licence(imported):
    for path in Path(imported.media.dir()).glob("*.woff2"):
        font = TTFont(io.BytesIO(path.read_bytes()))
        names = {n.nameID: n.toUnicode() for n in font["name"].names if n.platformID == 3}
        assert names[1] in ("StudyDeck Sans", "StudyDeck Mono")
        assert not any(reserved in names[i] for i in (1, 3, 4, 6) for reserved in ("Pretendard", "Nanum")), names
        assert "SIL Open Font License" in names[13] and "subset of" in names[10]


def test_a_font_with_new_characters_arrives_under_a_new_name(tmp_path):
    project = copy_project(tmp_path / "p")
    assert run_build(project, "--only", "deck").returncode == 0
    col = new_collection(tmp_path / "anki")
    import_apkg(col, outputs(project)["apkg"])
    before = {p.name for p in Path(col.media.dir()).glob("_studydeck-sans-400-*")}
    pod = project / "entries" / "pod.yaml"
    pod.write_text(pod.read_text("utf-8").replace("배포 단위다.", "배포 단위다. 뚫뷁"), "utf-8")
    assert run_build(project, "--only", "deck").returncode == 0
    import_apkg(col, outputs(project)["apkg"])
    after = {p.name for p in Path(col.media.dir()).glob("_studydeck-sans-400-*")}
    assert len(after - before) == 1
    new = (after - before).pop()
    assert f'url("{new}")' in col.models.by_name("k8s-study-deck cloze")["css"]
    assert {ord("뚫"), ord("뷁")} <= set(TTFont(Path(col.media.dir()) / new).getBestCmap())
    col.close()
