"""The reading order: configured per group, else by title; sheets, preview and new cards follow it."""

from __future__ import annotations

import re

import pypdf
from conftest import copy_project, import_apkg, outputs, run_build
from pdfcheck import reading_order

from studydeck.gather.order import title_key


def test_titles_sort_digits_then_latin_then_hangul_in_korean_dictionary_order():
    titles = ["네트워크", "Pod", "가상화 기술", "까치", "ingress", "2단계", "사이드카 패턴", "Ingress 컨트롤러", "나"]
    assert sorted(titles, key=title_key) == [
        "2단계",
        "ingress",
        "Ingress 컨트롤러",
        "Pod",
        "가상화 기술",
        "까치",
        "나",
        "네트워크",
        "사이드카 패턴",
    ]


def _order_of(text: str, titles: list[str]) -> list[str]:
    found = sorted((text.index(t), t) for t in titles)
    return [t for _, t in found]


def test_the_configured_order_rules_the_sheet_the_preview_and_the_new_cards(built, collection):
    expected = reading_order()
    titles = [e["title"] for e in expected]
    reader = pypdf.PdfReader(built["pdf"])
    outline = [c.title for item in reader.outline if isinstance(item, list) for c in item]
    assert outline == titles
    page = built["html"].read_text("utf-8")
    assert _order_of(page, [f'id="entry-{e["id"]}"' for e in expected]) == [f'id="entry-{e["id"]}"' for e in expected]
    import_apkg(collection, built["apkg"])
    rows = collection.db.all("select n.flds from cards c join notes n on c.nid = n.id order by c.due, c.ord")
    ids = list(dict.fromkeys(flds.split("\x1f")[6] for (flds,) in rows))
    assert ids == [e["id"] for e in expected]  # Anki shows new cards in reading order


def test_without_an_order_a_group_reads_by_title(tmp_path):
    project = copy_project(tmp_path / "p")
    config = project / "pyproject.toml"
    config.write_text(re.sub(r"\norder = \[[^\]]*\]\n", "\n", config.read_text("utf-8")), "utf-8")
    done = run_build(project, "--only", "sheet")
    assert done.returncode == 0, done.stderr
    outline = [
        c.title for item in pypdf.PdfReader(outputs(project)["pdf"]).outline if isinstance(item, list) for c in item
    ]
    assert outline[:5] == [
        "Ingress",
        "PersistentVolume과 PersistentVolumeClaim",
        "Pod",
        "RollingUpdate",
        "Service와 포트",
    ]
    assert outline[5:] == sorted(outline[5:], key=title_key) and outline[5] == "가상 IP와 Service 프록시"


def test_an_unknown_id_in_an_order_is_one_clear_line(tmp_path):
    project = copy_project(tmp_path / "p")
    config = project / "pyproject.toml"
    config.write_text(config.read_text("utf-8").replace('order = ["pod",', 'order = ["podd", "pod",'), "utf-8")
    done = run_build(project, "--check")
    line = next(n for n, text in enumerate(config.read_text("utf-8").splitlines(), 1) if '"podd"' in text)
    assert (done.returncode, done.stderr.strip()) == (
        2,
        (
            f"error: pyproject.toml:{line}:10: [[tool.studydeck.groups]] 'object': order lists 'podd', which is no entry "
            "of this group; its entries: ingress, pod, pv-pvc, rolling-update, service-port"
        ),
    )
    # an order written over several lines: the place is the id's own line and column
    config.write_text(config.read_text("utf-8").replace('order = ["podd", "pod",', 'order = [\n  "pod",\n   "podd",'))
    done = run_build(project, "--check")
    line = next(n for n, text in enumerate(config.read_text("utf-8").splitlines(), 1) if '"podd"' in text)
    assert done.stderr.startswith(
        f"error: pyproject.toml:{line}:4: [[tool.studydeck.groups]] 'object': order lists 'podd'"
    )
