"""A deck on another subject, made by editing configuration and entries only, end to end."""

from __future__ import annotations

import json
import shutil

import jsonschema
import pdfplumber
import pytest
import yaml
from conftest import ROOT, copy_project, import_apkg, new_collection, run_build

PYPROJECT = """[project]
name = "aws-study"
version = "0.3.0"

[tool.studydeck]
deck = "AWS 스터디"
guid-prefix = "aws-study"
description = "AWS 핵심 서비스와 개념을 빈칸 카드로 익힌다."
source-url = "https://github.com/example/aws-study/blob/main/"
changes-url = "https://github.com/example/aws-study/releases/tag/v{version}"

[[tool.studydeck.groups]]
name = "service"
label = "서비스 (service)"
subdeck = "서비스"
order = ["s3", "iam"]

[[tool.studydeck.groups]]
name = "개념"
label = "개념"
"""
ENTRIES = {
    "s3": """# yaml-language-server: $schema=schema.json
id: s3
title: Amazon S3
group: service
tags: [storage]
definitions:
  - key: s3
    term: Amazon S3
    text: "{{c1::Amazon S3}}는 데이터를 {{c2::버킷}} 안의 객체로 저장하는 객체 스토리지 서비스다."
points:
  - 객체는 키로 찾는다. 키는 버킷 안에서 객체 하나를 가리킨다.
  - 범용 버킷의 이름은 한 파티션의 모든 AWS 계정에 걸쳐 고유해야 한다.
  - 스토리지 클래스를 골라 접근 빈도에 맞게 비용을 줄일 수 있다.
source: https://docs.aws.amazon.com/AmazonS3/latest/userguide/Welcome.html
""",
    "iam": """# yaml-language-server: $schema=schema.json
id: iam
title: AWS IAM
group: service
definitions:
  - key: iam
    term: IAM
    text: "{{c1::IAM}}은 AWS 리소스에 누가 접근할 수 있는지를 인증과 {{c2::권한 부여}}로 제어하는 서비스다."
points:
  - 권한은 정책(JSON 문서)으로 주고, 정책은 사용자·그룹·역할에 붙인다.
  - 명시적으로 허용하지 않은 요청은 거부된다.
  - 루트 사용자는 일상 작업에 쓰지 않는다.
source: https://docs.aws.amazon.com/IAM/latest/UserGuide/introduction.html
""",
    "region": """# yaml-language-server: $schema=schema.json
id: region
title: 리전과 가용 영역
group: 개념
definitions:
  - key: region
    term: 리전
    text: "{{c1::리전}}은 지리적으로 떨어진 AWS 인프라의 단위로, 서로 격리된 여러 {{c2::가용 영역}}으로 이루어진다."
points:
  - 가용 영역은 하나 이상의 데이터 센터로 이루어진다.
  - 여러 가용 영역에 나누어 두면 한 곳의 장애를 견딜 수 있다.
  - 리소스를 어느 리전에 둘지는 사용자가 고른다.
figure:
  file: figures/region.svg
  alt: 리전 하나 안에 가용 영역 세 개가 있다.
source: https://docs.aws.amazon.com/global-infrastructure/latest/regions/aws-regions.html
""",
}
REGION_SVG = """<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 300 120">
  <rect x="5" y="5" width="290" height="110" rx="8" fill="#fff7e0" stroke="#b58900"/>
  <text x="150" y="28" font-size="16" text-anchor="middle">리전</text>
  <g font-size="13" text-anchor="middle">
    <rect x="20" y="45" width="80" height="55" fill="#e8f5e9"/><text x="60" y="78">AZ a</text>
    <rect x="110" y="45" width="80" height="55" fill="#e8f5e9"/><text x="150" y="78">AZ b</text>
    <rect x="200" y="45" width="80" height="55" fill="#e8f5e9"/><text x="240" y="78">AZ c</text>
  </g>
</svg>
"""


@pytest.fixture(scope="module")
def aws(tmp_path_factory):
    project = tmp_path_factory.mktemp("aws") / "aws-study"
    project.mkdir()
    shutil.copy2(ROOT / "build.py", project / "build.py")
    for folder in ("studydeck", "templates"):
        shutil.copytree(ROOT / folder, project / folder, ignore=shutil.ignore_patterns("__pycache__"))
    (project / "pyproject.toml").write_text(PYPROJECT, "utf-8")
    (project / "entries" / "figures").mkdir(parents=True)
    for name, text in ENTRIES.items():
        (project / "entries" / f"{name}.yaml").write_text(text, "utf-8")
    (project / "entries" / "figures" / "region.svg").write_text(REGION_SVG, "utf-8")
    done = run_build(project, "--strict")
    dist = project / "dist"
    return (
        project,
        done,
        {"apkg": dist / "AWS-스터디.apkg", "pdf": dist / "AWS-스터디.pdf", "html": dist / "AWS-스터디.html"},
    )


def test_it_builds_and_writes_its_own_lock_and_schema(aws):
    project, done, out = aws
    assert done.returncode == 0, done.stderr
    assert "3 entries -> 3 notes, 6 cards" in done.stdout
    assert "updated entries.lock (commit it)" in done.stdout
    assert "updated entries/schema.json (commit it)" in done.stdout
    assert sorted(p.name for p in (project / "dist").iterdir()) == [
        "AWS-스터디-cards.html",
        "AWS-스터디-worksheet.pdf",
        "AWS-스터디.apkg",
        "AWS-스터디.html",
        "AWS-스터디.pdf",
        "CHANGES.md",
    ]
    schema = json.loads((project / "entries" / "schema.json").read_text("utf-8"))
    assert schema["properties"]["group"]["enum"] == ["service", "개념"]
    for name in ENTRIES:
        jsonschema.validate(yaml.safe_load((project / "entries" / f"{name}.yaml").read_text("utf-8")), schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(yaml.safe_load(ENTRIES["s3"].replace("group: service", "group: object")), schema)
    again = run_build(project, "--check", "--locked")
    assert again.returncode == 0, again.stderr


def test_its_deck_imports_beside_the_kubernetes_deck(aws, built, tmp_path):
    project, _, out = aws
    col = new_collection(tmp_path / "anki")
    import_apkg(col, built["apkg"])
    import_apkg(col, out["apkg"])
    names = {d.name for d in col.decks.all_names_and_ids()}
    assert {"AWS 스터디", "AWS 스터디::서비스", "AWS 스터디::개념", "쿠버네티스 스터디::object"} <= names
    assert sorted(m.name for m in col.models.all_names_and_ids() if "cloze" in m.name) == [
        "aws-study cloze",
        "k8s-study-deck cloze",
    ]
    s3 = col.get_note(col.find_notes('"Id:s3"')[0])
    assert {t for t in s3.tags if not t.startswith("studydeck::rev::")} == {"service", "storage"}
    card = col.get_card(s3.card_ids()[0])
    assert col.decks.name(card.did) == "AWS 스터디::서비스"
    assert '<a class="edit" href="https://github.com/example/aws-study/blob/main/entries/s3.yaml">' in card.answer()
    pod = col.get_card(col.find_cards('"Id:pod"')[0])
    assert "aws-study" not in pod.answer() and 'class="edit"' not in pod.answer()
    description = col.decks.by_name("AWS 스터디")["desc"]
    assert "AWS 핵심 서비스와 개념을 빈칸 카드로 익힌다.<br>버전 0.3.0" in description
    assert '<a href="https://github.com/example/aws-study/releases/tag/v0.3.0">변경 내역</a>' in description
    assert col.decks.by_name("AWS 스터디::개념")["desc"].startswith("<b>개념</b><br>")
    region = col.get_card(col.find_cards('"Id:region"')[0]).answer()
    assert '<img src="studydeck-' in region
    col.close()


def test_its_sheets_follow_its_groups_and_say_nothing_of_kubernetes(aws):
    project, _, out = aws
    with pdfplumber.open(out["pdf"]) as pdf:
        text = "\n".join(p.extract_text() for p in pdf.pages)
    assert text.index("서비스 (service)") < text.index("Amazon S3") < text.index("AWS IAM") < text.index("개념")
    assert text.index("개념") < text.index("리전과 가용 영역")
    changes = (project / "dist" / "CHANGES.md").read_text("utf-8")
    for made in (text, out["html"].read_text("utf-8"), changes):
        assert "쿠버네티스" not in made
    assert "k8s" not in text and "k8s" not in changes  # (the preview's base64 fonts may hold any 3 letters)


def test_a_translation_that_keeps_the_guid_prefix_overwrites_the_originals_notes(built, tmp_path):
    """README, Configuration: a deck in another language needs its own guid-prefix."""
    project = copy_project(tmp_path / "en")
    config = project / "pyproject.toml"
    config.write_text(config.read_text("utf-8").replace('deck = "쿠버네티스 스터디"', 'deck = "Kubernetes Study"'))
    pod = project / "entries" / "pod.yaml"
    english = "{{c1::Pod}} is the smallest deployable unit of computing in Kubernetes."
    text = pod.read_text("utf-8")
    start = text.index("    text: >-\n", text.index("key: pod\n"))
    end = text.index("  - key:", start)
    pod.write_text(text[:start] + f'    text: "{english}"\n' + text[end:], "utf-8")
    done = run_build(project, "--only", "deck")
    assert done.returncode == 0, done.stderr
    col = new_collection(tmp_path / "anki")
    import_apkg(col, built["apkg"])
    log = import_apkg(col, project / "dist" / "Kubernetes-Study.apkg").log
    assert (len(log.new), len(log.updated), col.note_count()) == (0, 41, 41)  # no note of its own
    assert [m.name for m in col.models.all_names_and_ids() if "cloze" in m.name] == ["k8s-study-deck cloze"]
    assert col.get_note(col.find_notes('"Id:pod" "Term:Pod"')[0])["Text"] == english  # the original's, replaced
    col.close()
