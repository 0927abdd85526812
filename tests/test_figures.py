"""Figures: from an entry's file to a real Anki collection, the PDFs and the preview; every refusal."""

from __future__ import annotations

import base64
import io
import re
import time
from pathlib import Path

import pdfplumber
import pytest
from conftest import DECK, commit, copy_project, git, import_apkg, new_collection, outputs, run_build, run_cli

from studydeck import figures
from studydeck.figures.files import _raster_size

SERVICE = "entries/service-port.yaml"
FIGURE_YAML = """figure:
  file: {file}
  alt: 그림 설명
"""


def _media_name(html: str) -> str:
    return re.search(r'<img src="([^"]+)"', html).group(1)


# --- the deck -----------------------------------------------------------------------------------


def test_a_figure_reaches_anki_on_the_back_only(built, tmp_path):
    col = new_collection(tmp_path / "anki")
    import_apkg(col, built["apkg"])
    cards = col.find_cards('"Id:service-port"')
    assert len(cards) == 8
    media = Path(col.media.dir())
    for cid in cards:
        card = col.get_card(cid)
        question, answer = card.question(), card.answer()
        assert "<img" not in question  # front: false, the default
        name = _media_name(answer)
        assert re.fullmatch(r"studydeck-[0-9a-f]{20}\.svg", name)
        data = (media / name).read_bytes()
        assert data == figures.clean_svg((DECK / "entries/figures/service.svg").read_bytes()).data
        assert 'alt="클러스터 안의 클라이언트는 ClusterIP와 port' in answer
        assert "<figcaption>한 Service의 세 가지 포트 — port, targetPort, nodePort</figcaption>" in answer
    # the three figures of the default project, each once, none under Anki's keep-always '_' prefix
    names = {_media_name(col.get_note(n)["Figure"]) for n in col.find_notes("Figure:_*")}
    assert len(names) == 3 and all((media / n).is_file() for n in names)
    col.close()


def test_a_front_figure_shows_with_the_question_and_in_the_worksheet(tmp_path):
    project = copy_project(tmp_path / "p")
    path = project / "entries" / "pod.yaml"
    (project / "entries" / "figures" / "dot.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 40 20"><circle cx="10" cy="10" r="8" fill="#0a0"/></svg>'
    )
    path.write_text(
        path.read_text("utf-8").replace(
            "  - key: shared-namespaces\n",
            "    figure:\n      file: figures/dot.svg\n      alt: 초록 점\n      front: true\n  - key: shared-namespaces\n",
        ),
        "utf-8",
    )
    for part in ("deck", "worksheet"):  # what the test reads: the cards and the worksheet
        done = run_cli(project, "--only", part)
        assert done.returncode == 0, done.stderr
    col = new_collection(tmp_path / "anki")
    import_apkg(col, outputs(project)["apkg"])
    pod = col.find_cards('"Id:pod" "Term:Pod"')
    for cid in pod:
        assert '<img src="studydeck-' in col.get_card(cid).question()
    for cid in col.find_cards('"Id:pod" -"Term:Pod"'):  # the entry's other definitions: no figure
        assert "<img" not in col.get_card(cid).answer()
    col.close()
    # the worksheet shows the front figure (a green dot), and none of the back-only ones
    with pdfplumber.open(outputs(project)["worksheet"]) as pdf:
        colours = {tuple(round(c, 2) for c in o["non_stroking_color"] or ()) for p in pdf.pages for o in p.curves}
        assert (0.0, 0.67, 0.0) in colours
        blue = [o for p in pdf.pages for o in p.rects if _rgb(o) == "#e3edfd"]  # the Service box
        assert blue == []


def _rgb(obj) -> str | None:
    colour = obj.get("non_stroking_color")
    if not colour or len(colour) != 3:
        return None
    return "#" + "".join(f"{round(c * 255):02x}" for c in colour)


def test_an_edited_figure_arrives_on_reimport_and_history_stays(tmp_path):
    project = copy_project(tmp_path / "p", with_git=True)
    assert run_build(project, "--only", "deck").returncode == 0
    git(project, "add", "-A")
    commit(project, "v1", when=int(time.time()) - 600)
    col = new_collection(tmp_path / "anki")
    import_apkg(col, outputs(project)["apkg"])
    nids = col.find_notes('"Id:service-port"')
    old = {_media_name(col.get_note(n)["Figure"]) for n in nids}
    for cid in col.find_cards(""):
        card = col.get_card(cid)
        card.start_timer()
        col.sched.answerCard(card, 3)
    reviews = col.db.scalar("select count() from revlog")

    time.sleep(1.5)
    svg = project / "entries" / "figures" / "service.svg"
    svg.write_text(svg.read_text("utf-8").replace("10.244.1.5:8080", "10.244.1.6:8080"), "utf-8")
    git(project, "add", "-A")
    commit(project, "v2", when=int(time.time()))
    done = run_build(project, "--only", "deck")
    assert done.returncode == 0, done.stderr
    assert "(0 added, 4 changed, 0 renamed, 0 removed)" in done.stdout
    log = import_apkg(col, outputs(project)["apkg"]).log
    assert len(log.updated) == 4 and not log.new
    new = {_media_name(col.get_note(n)["Figure"]) for n in nids}
    assert len(new) == 1 and new != old
    data = (Path(col.media.dir()) / new.pop()).read_bytes()
    assert data == figures.clean_svg(svg.read_bytes()).data
    assert col.db.scalar("select count() from revlog") == reviews
    assert all(col.get_card(c).type != 0 for c in col.find_cards(""))
    col.close()


# --- the sheets and the preview -------------------------------------------------------------


def test_the_sheet_draws_each_figure_below_its_entry(built):
    """The Service figure's blue box is on the page and in the column of 'Service와 포트', below it."""
    with pdfplumber.open(built["pdf"]) as pdf:
        for page in pdf.pages:
            heads = [w for w in page.extract_words() if w["text"] == "Service와"]
            boxes = [r for r in page.rects + page.curves if _rgb(r) == "#e3edfd"]
            if heads and boxes:
                head = heads[0]
                box = next(b for b in boxes if abs(b["x0"] - head["x0"]) < page.width / 2)
                assert box["top"] > head["top"] and box["x1"] - box["x0"] > 100
                break
        else:
            pytest.fail("no page has the Service entry with its figure")


def test_a_raster_figure_is_an_image_on_the_sheet(tmp_path):
    from PIL import Image

    project = copy_project(tmp_path / "p")
    buf = io.BytesIO()
    Image.new("RGB", (300, 150), (200, 30, 30)).save(buf, "PNG")
    (project / "entries" / "figures" / "red.png").write_bytes(buf.getvalue())
    _set_figure(project / SERVICE, "figures/red.png")
    done = run_cli(project, "--only", "sheet")  # the sheet and the preview
    assert done.returncode == 0, done.stderr
    with pdfplumber.open(outputs(project)["pdf"]) as pdf:
        images = [(i["srcsize"], p.page_number) for p in pdf.pages for i in p.images]
    assert [size for size, _ in images] == [(300, 150)]
    html = outputs(project)["html"].read_text("utf-8")
    src = re.search(r'<img src="data:image/png;base64,([^"]+)"', html).group(1)
    assert base64.b64decode(src) == buf.getvalue()


def test_the_preview_shows_each_figure_in_its_entry(built):
    html = built["html"].read_text("utf-8")
    article = re.search(r'<article class="entry" id="entry-pv-pvc">(.*?)</article>', html, re.S).group(1)
    src = re.search(r'<img src="data:image/svg\+xml;base64,([^"]+)" alt="([^"]+)"', article)
    assert base64.b64decode(src.group(1)) == figures.clean_svg((DECK / "entries/figures/pv-pvc.svg").read_bytes()).data
    assert src.group(2).startswith("Pod는 볼륨으로 PVC data를 이름으로 참조한다.")
    assert "<figcaption>Pod는 PVC만 알고, 실제 스토리지는 PV가 안다</figcaption>" in article


# --- SVG made safe ----------------------------------------------------------------------------


def test_svg_text_becomes_outlines_in_the_bundled_font():
    clean = figures.clean_svg(
        b'<svg xmlns="http://www.w3.org/2000/svg" width="200" height="40">'
        b'<text x="100" y="30" font-size="20" text-anchor="middle" fill="red">Pod \xec\x99\x80 <tspan font-weight="bold">IP</tspan></text></svg>'
    )
    out = clean.data.decode()
    assert "<text" not in out and "<tspan" not in out
    assert 'aria-label="Pod 와 IP"' in out and clean.words == "Pod 와 IP"
    uses = re.findall(r'<use xlink:href="#(sd-glyph-\d+)" transform="translate\(([\d.]+) ', out)
    assert len(uses) == 6  # P o d 와 I P: spaces draw nothing
    assert len(set(u for u, _ in uses)) == 6  # the bold P is another glyph than the regular one
    xs = [float(x) for _, x in uses]
    assert xs == sorted(xs) and abs((xs[0] + xs[-1]) / 2 - 100) < 25  # centred on x=100
    assert clean.size == (200.0, 40.0)


def test_svg_editor_data_is_dropped_and_the_output_repeats():
    svg = (
        b'<?xml version="1.0"?><!-- drawn in Inkscape -->\n'
        b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:inkscape="http://www.inkscape.org/namespaces/inkscape" '
        b'xmlns:sodipodi="http://sodipodi.sourceforge.net/DTD/sodipodi-0.dtd" viewBox="0 0 10 10" '
        b'inkscape:version="1.3"><sodipodi:namedview id="v"/><metadata><x/></metadata>'
        b'<rect width="5" height="5" inkscape:label="box" style="fill:url(#g)"/></svg>'
    )
    out = figures.clean_svg(svg).data
    assert out == figures.clean_svg(svg).data
    assert b"inkscape" not in out and b"sodipodi" not in out and b"metadata" not in out
    assert b'<rect width="5" height="5" style="fill:url(#g)"/>' in out


@pytest.mark.parametrize(
    "svg, message, line",
    [
        (b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1">\n<script>alert(1)</script></svg>',
         "<script> (a script) is not allowed in a figure", 2),
        (b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1" onload="alert(1)"/>',
         "the event handler onload= is not allowed in a figure", 1),
        (b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:x="http://www.w3.org/1999/xlink" viewBox="0 0 1 1">\n\n'
         b'<use x:href="https://example.com/a.svg#b"/></svg>',
         "href='https://example.com/a.svg#b' refers outside the figure", 3),
        (b'<!DOCTYPE svg [<!ENTITY a "aaaa">]><svg xmlns="http://www.w3.org/2000/svg"/>',
         "a DOCTYPE is not allowed in a figure", 1),
        (b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"><foreignObject/></svg>',
         "<foreignObject> (HTML inside the SVG) is not allowed", 1),
        (b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"><style>@import url(x.css);</style></svg>',
         "'@import' in style is not allowed", 1),
        (b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"><rect style="fill:url(http://e.com/p)"/></svg>',
         "style= refers to 'url(http://e.com/p)'", 1),
        (b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"><image href="#x"/></svg>',
         "<image> (an embedded image (give the image its own figure)) is not allowed", 1),
        (b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"><text rotate="30">a</text></svg>',
         "rotate on text is not supported in figures", 1),
        (b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"><text>\xf0\x9f\x98\x80</text></svg>',
         "(U+1F600) in the text is not in the bundled font", 1),
        (b'<svg xmlns="http://www.w3.org/2000/svg"><rect/></svg>', "the <svg> needs a viewBox", 1),
        (b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"><rect></svg>', "not well-formed XML", 1),
        # numbers a renderer would choke on
        (b'<svg xmlns="http://www.w3.org/2000/svg" width="1..2" height="10"/>',
         "width='1..2': give a number in px or pt", 1),
        (b'<svg xmlns="http://www.w3.org/2000/svg"\n viewBox="0 0 1e999 1e999"/>',
         "viewBox='0 0 1e999 1e999': numbers up to 100,000", 1),
        (b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1.2.3 10"/>', "viewBox='0 0 1.2.3 10': give four", 1),
        (b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 9 9">\n<text x="1..2">a</text></svg>',
         "x='1..2': give one number in px", 2),
        (b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 9 9">\n<text dominant-baseline="x">a</text></svg>',
         "dominant-baseline 'x' is not supported", 2),
        # CSS that loads something, however it is spelled
        (b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1">\n<style>rect{fill:\\75rl(http://e.com/a)}</style>'
         b'</svg>', "a backslash in style is not allowed", 2),
        (b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"><rect cursor="\\75rl(x),auto"/></svg>',
         "a backslash in cursor= is not allowed", 1),
        (b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"><rect style="mask-image:image-set(\'http://e.com\' '
         b'1x)"/></svg>', "'image-set(' in style= is not allowed", 1),
        (b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"><style>@namespace x "http://e.com";</style></svg>',
         "'@namespace' in style is not allowed", 1),
        (b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"><style>@media print { rect { fill: URL( '
         b'"http://e.com/p" ) } }</style></svg>', "style refers to 'URL( \"http://e.com/p\" )'", 1),
        (b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"><rect style="mask:-webkit-image-set(a 1x)"/></svg>',
         "'-webkit-image-set(' in style= is not allowed", 1),
        (b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"><style>@media print { @font-feature-values x '
         b'{} }</style></svg>', "'@font-feature-values' in style is not allowed", 1),
        # references: into themselves, or multiplying
        (b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1">\n<g id="a">\n<use href="#a"/></g></svg>',
         "a reference leads back to itself", 3),
        (b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"><pattern id="p"><rect fill="url(#p)"/></pattern>'
         b'</svg>', "a reference leads back to itself", 1),
        (b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"><g id="g0">' + b"<rect/>" * 10 + b"</g>"
         + b"".join(f'<g id="g{i}">'.encode() + f'<use href="#g{i - 1}"/>'.encode() * 10 + b"</g>" for i in range(1, 6))
         + b"</svg>", "draws more than 20,000 elements once its <use> are expanded", 1),
        (b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"><text>' + "\ud558".encode() * 5001 + b"</text></svg>",
         "more than 5,000 characters of text", 1),
    ],
)  # fmt: skip
def test_svg_refusals_say_what_and_where(svg, message, line):
    with pytest.raises(figures.FigureError) as caught:
        figures.clean_svg(svg)
    assert message in str(caught.value)
    assert caught.value.line == line


def test_a_figure_whose_outlines_would_pass_the_size_limit_is_refused():
    syllables = "".join(chr(0xAC00 + i * 5) for i in range(2000))  # 2,000 glyphs, each outlined once
    svg = f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 9 9"><text>{syllables}</text></svg>'.encode()
    assert len(svg) < figures.MAX_BYTES
    with pytest.raises(figures.FigureError, match=r"drawn with its text as outlines the SVG is [\d,]+ bytes"):
        figures.clean_svg(svg)


def test_camera_jpegs_are_taken_and_turned_as_a_viewer_turns_them():
    from PIL import Image

    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90 degrees to show
    buf = io.BytesIO()
    Image.new("RGB", (200, 100)).save(buf, "JPEG", exif=exif)
    assert _raster_size(buf.getvalue(), "jpeg") == (100.0, 200.0)
    mpo = io.BytesIO()  # a camera's JPEG with a second image (MPO)
    Image.new("RGB", (30, 20)).save(mpo, "MPO", save_all=True, append_images=[Image.new("RGB", (30, 20))])
    assert figures.sniff(mpo.getvalue()) == "jpeg"
    assert _raster_size(mpo.getvalue(), "jpeg") == (30.0, 20.0)
    with pytest.raises(figures.FigureError) as caught:
        _raster_size(buf.getvalue()[:30], "jpeg")
    assert "BytesIO" not in str(caught.value) and "0x" not in str(caught.value)


# --- refusals, as the author sees them --------------------------------------------------------


def _set_figure(entry: Path, file: str) -> int:
    """Give the entry a figure; the line `file:` is on."""
    text = entry.read_text("utf-8")
    text = re.sub(r"\nfigure:\n(  .*\n|    .*\n)*", "\n", text).rstrip("\n") + "\n"
    entry.write_text(text + FIGURE_YAML.format(file=file), "utf-8")
    return text.count("\n") + 2


@pytest.fixture(scope="module")
def refusals(tmp_path_factory):
    """One project whose entries each carry a figure that must be refused, built once."""
    project = copy_project(tmp_path_factory.mktemp("refusals") / "p")
    outside = project.parent / "secret.svg"
    outside.write_text('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"/>')
    figs = project / "entries" / "figures"
    (figs / "link.svg").symlink_to(outside)
    (figs / "big.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"0" * figures.MAX_BYTES)
    (figs / "notes.png").write_text("just text")
    buf = io.BytesIO()
    from PIL import Image

    Image.new("RGB", (4, 4)).save(buf, "PNG")
    (figs / "png.svg").write_bytes(buf.getvalue())
    (figs / "broken.png").write_bytes(buf.getvalue()[:40])
    Image.new("L", (figures.MAX_SIDE + 1, 2)).save(figs / "wide.png")
    (figs / "script.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1">\n  <g>\n    <script>x()</script></g></svg>'
    )
    pod = (project / "entries" / "pod.yaml").read_text("utf-8")  # a 13th entry, for one more case
    extra = pod.replace("\nid: pod\n", "\nid: x-notes\n").replace("\ntitle: ", "\ntitle: 사본 ", 1)
    (project / "entries" / "x-notes.yaml").write_text(extra, "utf-8")
    (figs / "loop.svg").symlink_to(figs / "loop.svg")
    (figs / "folder.svg").mkdir()
    cases = {
        "service-port": ("figures/loop.svg", "'figures/loop.svg' is a symbolic link that leads in a loop"),
        "redundancy": ("figures/folder.svg", "'figures/folder.svg' is not a file (a folder, or a device or pipe)"),
        "pod": ("figures/none.svg", "'figures/none.svg' not found: there is no file entries/figures/none.svg"),
        "ingress": ("../../secret.svg", "'../../secret.svg' leads outside the project"),
        "pv-pvc": ("figures/link.svg", "'figures/link.svg' leads outside the project"),
        "network": ("figures/big.png", f"is {figures.MAX_BYTES + 8:,} bytes; a figure may have at most"),
        "x-notes": ("figures/notes.png", "is not a PNG, JPEG, WebP or SVG image (read from its bytes)"),
        "virtualization": ("figures/png.svg", "'figures/png.svg' is named .svg but its bytes are PNG"),
        "network-security": ("figures/broken.png", "the PNG image cannot be decoded"),
        "sidecar-pattern": ("figures/wide.png", f"is {figures.MAX_SIDE + 1} x 2 pixels; at most {figures.MAX_SIDE}"),
        "network-attacks": ("figures/script.svg", "figures/script.svg:3:5: <script> (a script) is not allowed"),
        "rolling-update": ("/etc/passwd.png", "must be a path relative to the entry's folder"),
        "virtual-ip-service-proxy": ("figures/x.gif", "must be an image: .svg, .png, .jpg, .jpeg, .webp"),
    }
    lines = {name: _set_figure(project / "entries" / f"{name}.yaml", file) for name, (file, _) in cases.items()}
    done = run_build(project)
    return done, cases, lines, project


def test_every_figure_refusal_names_file_line_column(refusals):
    done, cases, lines, project = refusals
    assert done.returncode == 1
    assert not (project / "dist").exists()
    assert "Traceback" not in done.stderr
    for name, (_, message) in cases.items():
        expected = f"entries/{name}.yaml:{lines[name]}:9: figure.file: "
        found = [ln for ln in done.stderr.splitlines() if ln.startswith(expected)]
        assert found and message in found[0], (name, done.stderr)


def test_a_figure_without_alt_text_or_with_a_bad_front_is_refused(tmp_path):
    project = copy_project(tmp_path / "p")
    pod = project / "entries" / "pod.yaml"
    pod.write_text(pod.read_text("utf-8") + "figure:\n  file: figures/service.svg\n  front: yes please\n", "utf-8")
    done = run_build(project, "--check")
    assert done.returncode == 1
    lines = pod.read_text("utf-8").count("\n")
    assert f"entries/pod.yaml:{lines - 1}:3: figure.alt: required field is missing" in done.stderr
    assert f"entries/pod.yaml:{lines}:10: figure.front: must be true or false, not str" in done.stderr


def test_a_front_figure_that_shows_an_answer_is_a_card_quality_warning(tmp_path):
    project = copy_project(tmp_path / "p")
    entry = project / SERVICE
    line = _set_figure(entry, "figures/service.svg")
    entry.write_text(entry.read_text("utf-8") + "  front: true\n", "utf-8")
    done = run_build(project, "--check", "--strict")
    assert done.returncode == 1
    assert (
        f"entries/service-port.yaml:{line}:9: figure.file: warning: the figure is on the front of 'port' (front: true) "
        "and its drawn text shows the answer of c1 ('port'); show it on the back only [figure]"
    ) in done.stderr


def test_words_that_look_like_css_in_plain_attributes_are_kept():
    """CSS is read as CSS (tinycss2): a word before a parenthesis is no function, a comment no rule."""
    svg = (
        b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1" aria-label="Pod image (3) @ node">'
        b"<style>@media (prefers-color-scheme: dark) { rect { fill: #ddd } } /* no image() or @import-ant */"
        b'</style><rect style="fill: url( #g ) /* url(http://e.com) */"/></svg>'
    )
    out = figures.clean_svg(svg).data
    assert b'aria-label="Pod image (3) @ node"' in out and b"@media (prefers-color-scheme: dark)" in out


def test_a_figure_whose_file_name_macos_decomposed_is_found(tmp_path, monkeypatch, capsys):
    """macOS writes Hangul file names decomposed (NFD); the entry's text is NFC."""
    import unicodedata

    from studydeck import cli

    project = copy_project(tmp_path / "p")
    figures = project / "entries" / "figures"
    (figures / "service.svg").rename(figures / unicodedata.normalize("NFD", "서비스.svg"))
    entry = project / "entries" / "service-port.yaml"
    entry.write_text(entry.read_text("utf-8").replace("figures/service.svg", "figures/서비스.svg"), "utf-8")
    monkeypatch.chdir(project)
    capsys.readouterr()
    assert cli.main(["--check", "-q"]) == 0, capsys.readouterr().err
