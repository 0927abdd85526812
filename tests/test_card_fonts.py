"""The deck carries its fonts: cards show Hangul with them on a machine without any Korean font."""

from __future__ import annotations

import html
import io
import re
import shutil
from pathlib import Path

import pypdf
import pytest
from conftest import ROOT, copy_project, import_apkg, new_collection, outputs, run_build
from fontTools.ttLib import TTFont

from studydeck.fonts import FACES, is_hangul

DECK_BUDGET = 300 * 1024  # bytes: the default deck, its fonts included (README, "Importing into Anki")
OURS = {"StudyDeck-Sans", "StudyDeck-Sans-Bold", "StudyDeck-Mono", "StudyDeck-Mono-Bold"}
EVERY_FIELD = ROOT / "tests" / "data" / "every-field"  # a project with every field, each with its own syllable


def _pdf_fonts(path: Path) -> set[str]:
    names = set()
    for page in pypdf.PdfReader(path).pages:
        for font in page["/Resources"]["/Font"].values():
            names.add(re.sub(r"^/[A-Z]{6}\+", "", str(font.get_object()["/BaseFont"])))
    return names


def _cmap_entries(data: bytes, section: str) -> dict[int, bytes]:
    """A PDF CMap's single-code entries ('bfchar' or 'cidchar'): code -> the rest of its line."""
    text = data.decode("latin-1")
    assert "range" not in text.replace("codespacerange", ""), "a CMap with ranges: read them too"
    out = {}
    for block in re.findall(rf"begin{section}(.*?)end{section}", text, re.S):
        for code, value in re.findall(r"<([0-9a-fA-F]+)>\s*(\S+)", block):
            out[int(code, 16)] = value.encode("latin-1")
    return out


def _drawn(path: Path) -> list[tuple[str, str, bool]]:
    """(font, character, drawn as .notdef) for every character any font of the PDF draws: from each
    font's ToUnicode map (code -> character) and its encoding (code -> glyph; glyph 0 is the box)."""
    out, seen = [], set()
    for page in pypdf.PdfReader(path).pages:
        for ref in page["/Resources"]["/Font"].values():
            font = ref.get_object()
            if id(font) in seen:
                continue
            seen.add(id(font))
            name = re.sub(r"^/[A-Z]{6}\+", "", str(font["/BaseFont"]))
            encoding = font["/Encoding"].get_object()
            if isinstance(encoding, pypdf.generic.NameObject):  # /Identity-H: the code is the glyph
                glyphs = None
            else:
                glyphs = {code: int(gid) for code, gid in _cmap_entries(encoding.get_data(), "cidchar").items()}
            for code, value in _cmap_entries(font["/ToUnicode"].get_object().get_data(), "bfchar").items():
                char = bytes.fromhex(value.decode().strip("<>")).decode("utf-16-be")
                if not char.isspace():
                    out.append((name, char, (code if glyphs is None else glyphs[code]) == 0))
    return out


def _faces(media: Path) -> dict[str, frozenset[int]]:
    """The deck's subsets in the media folder, by the name WeasyPrint gives them: what they can draw."""
    out = {}
    for family, pdf_name in (("sans", "StudyDeck-Sans"), ("mono", "StudyDeck-Mono")):
        for weight, suffix in (("400", ""), ("700", "-Bold")):
            (path,) = media.glob(f"_studydeck-{family}-{weight}-*.woff2")
            out[pdf_name + suffix] = frozenset(TTFont(path).getBestCmap())
    return out


def glyphs_outside_the_fonts(pdf: Path, media: Path) -> list[str]:
    """Every character the PDF draws with a font the deck does not carry, or with one of the
    deck's fonts that has no glyph for it (drawn as a box): '<char> U+XXXX (font)'."""
    faces = _faces(media)
    bad = {(f, c) for f, c, box in _drawn(pdf) if box or f not in faces or any(ord(x) not in faces[f] for x in c)}
    return sorted(f"{c} U+{ord(c[0]):04X} ({f})" for f, c in bad)


def _no_images():
    """WeasyPrint's fetcher, except that images fail to load: each <img> shows its alt text."""
    from weasyprint.urls import URLFetcher

    class NoImages(URLFetcher):
        def fetch(self, url, headers=None):
            if url.lower().endswith((".svg", ".png", ".jpg", ".jpeg", ".webp")):
                raise OSError(f"{url}: not loaded, so its alt text is drawn")
            return super().fetch(url, headers)

    return NoImages()


def _render(body: str, media: Path, out: Path) -> Path:
    """HTML from Anki (cards' sides, deck descriptions) with the collection's media folder as its
    base, as Anki's web views have it, through a real renderer that falls back to the system's
    fonts for what a page's fonts lack. Images are left out: their alt text stands in."""
    import weasyprint

    page = f'<html><head><meta charset="utf-8"></head><body>{body}</body></html>'
    weasyprint.HTML(string=page, base_url=media.as_uri() + "/", url_fetcher=_no_images()).write_pdf(out)
    return out


def every_side(col) -> str:
    """Both sides of every card, as Anki renders them (each with the notetype's CSS)."""
    cards = [col.get_card(c) for c in col.find_cards("")]
    return "".join(f'<div class="card">{c.question()}</div><div class="card">{c.answer()}</div>' for c in cards)


def overviews(col) -> str:
    """Every deck's overview as Anki desktop draws it (qt/aqt/overview.py: the deck's name in an
    <h3>, its description in a div.description), in the UI's own font (here: sans-serif)."""
    out = ["<style>body { font-family: sans-serif; } .description { white-space: pre-wrap; }</style>"]
    for deck in col.decks.all_names_and_ids(skip_empty_default=True):
        desc = col.decks.get(deck.id)["desc"]
        out.append(
            f'<center><h3>{html.escape(deck.name)}</h3><div class="descfont descmid description">{desc}</div></center>'
        )
    return "".join(out)


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


def test_each_font_face_is_woff2_within_its_budget(imported):
    """Phones load a card's fonts whole: each face has a budget that holds for 1,000 entries of
    everyday Korean (studydeck/fonts.py; benchmarks/fonts.py measures it there)."""
    media = Path(imported.media.dir())
    for face in FACES:
        family = face.family.split()[-1].lower()
        (path,) = media.glob(f"_studydeck-{family}-{face.weight}-*.woff2")
        assert path.read_bytes()[:4] == b"wOF2", path.name
        assert 0 < path.stat().st_size <= face.budget, (path.name, path.stat().st_size, face.budget)


def test_every_card_renders_hangul_with_the_bundled_fonts_only(imported, tmp_path):
    media = Path(imported.media.dir())
    assert len(imported.find_cards("")) > 80
    pdf = _render(every_side(imported), media, tmp_path / "cards.pdf")
    assert _pdf_fonts(pdf) <= OURS and {"StudyDeck-Sans", "StudyDeck-Sans-Bold", "StudyDeck-Mono"} <= _pdf_fonts(pdf)
    text = "".join(p.extract_text() for p in pypdf.PdfReader(pdf).pages)
    assert "쿠버네티스" in text and "kubectl" in text
    outside = glyphs_outside_the_fonts(pdf, media)
    assert not outside, f"{len(outside)} characters outside the deck's fonts: {' '.join(outside)}"


def test_every_deck_overview_shows_its_name_and_description_in_the_bundled_fonts(imported, tmp_path):
    media = Path(imported.media.dir())
    pdf = _render(overviews(imported), media, tmp_path / "overview.pdf")  # no card CSS on that page
    assert {"쿠", "버", "네", "티", "스", "념"} <= {c for _, c, _ in _drawn(pdf)}
    outside = glyphs_outside_the_fonts(pdf, media)
    assert not outside, f"{len(outside)} characters outside the deck's fonts: {' '.join(outside)}"


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
    # What README says of the old files: they stay, unused, and Check Media does not list them
    # (Anki never counts a '_' file as unused: rslib/src/media/check.rs)
    assert before <= {p.name for p in Path(col.media.dir()).iterdir()}
    assert f'url("{before.pop()}")' not in col.models.by_name("k8s-study-deck cloze")["css"]
    assert not [name for name in col.media.check().unused if name.startswith("_studydeck")]
    col.close()


@pytest.fixture(scope="module")
def every_field(tmp_path_factory):
    """tests/data/every-field built and imported: each field there has a syllable of its own."""
    project = tmp_path_factory.mktemp("every-field") / "project"
    shutil.copytree(EVERY_FIELD, project)
    for name in ("build.py", "studydeck", "templates"):
        src = ROOT / name
        (shutil.copytree if src.is_dir() else shutil.copy2)(src, project / name)
    done = run_build(project, "--only", "deck", "--strict")
    assert done.returncode == 0, done.stderr
    col = new_collection(project.parent / "anki")
    import_apkg(col, project / "dist" / "꿹-스터디.apkg")
    yield col
    col.close()


CARD_MARKERS = "퓽햏쌰꺆냑뷁넌뙇휑쒜쫙뀱똠횹쵁겕"  # tests/data/every-field: one per field (see its comments)
OVERVIEW_MARKERS = "꿹땷뛣쓔쁍"  # the deck's name and description, the groups' labels, a subdeck's name


def test_every_character_of_every_field_on_every_card_is_in_the_bundled_fonts(every_field, tmp_path):
    media = Path(every_field.media.dir())
    pdf = _render(every_side(every_field), media, tmp_path / "cards.pdf")
    drawn = {c for _, c, _ in _drawn(pdf)}
    assert set(CARD_MARKERS) <= drawn, set(CARD_MARKERS) - drawn  # the sides show every field
    # Hangul in code is drawn by the text font: the code font's subsets carry none
    assert [f for f, c, _ in _drawn(pdf) if c == "냑"] == ["StudyDeck-Sans"]  # 냑 is only in `code`
    assert not any(is_hangul(chr(c)) for face, cmap in _faces(media).items() if "Mono" in face for c in cmap)
    outside = glyphs_outside_the_fonts(pdf, media)
    assert not outside, f"{len(outside)} characters outside the deck's fonts: {' '.join(outside)}"


def test_every_character_of_the_deck_overviews_is_in_the_bundled_fonts(every_field, tmp_path):
    media = Path(every_field.media.dir())
    pdf = _render(overviews(every_field), media, tmp_path / "overviews.pdf")
    drawn = {c for _, c, _ in _drawn(pdf)}
    assert set(OVERVIEW_MARKERS) <= drawn, set(OVERVIEW_MARKERS) - drawn
    outside = glyphs_outside_the_fonts(pdf, media)
    assert not outside, f"{len(outside)} characters outside the deck's fonts: {' '.join(outside)}"
