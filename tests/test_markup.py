"""Entry text: clozes, inline markup and escaping."""
from __future__ import annotations

import pytest

from studydeck import markup


def test_nested_ordinals_are_all_found():
    tree = markup.parse("{{c1::퍼시스턴트 {{c2::볼륨}}}}을 {{c3::쓴다}}")
    assert markup.ordinals(tree) == {1, 2, 3}
    assert markup.answers(tree) == [(1, "퍼시스턴트 볼륨", None), (2, "볼륨", None), (3, "쓴다", None)]


def test_auto_cloze_leaves_the_particle_outside():
    assert markup.auto_cloze("Pod는 가장 작은 단위다.", "Pod") == "{{c1::Pod}}는 가장 작은 단위다."
    assert markup.auto_cloze("가장 작은 단위다.", "Pod") is None


def test_html_is_escaped_for_anki_and_the_sheet():
    tree = markup.parse('<script>alert(1)</script> {{c1::<b onclick="x">Pod</b>}}')
    anki = markup.to_anki(tree)
    assert anki == ("&lt;script&gt;alert(1)&lt;/script&gt; "
                    "{{c1::&lt;b onclick=&quot;x&quot;&gt;Pod&lt;/b&gt;}}")
    assert "<script" not in markup.to_sheet(tree) and "<b onclick" not in markup.to_sheet(tree)


def test_inline_markup_and_code_with_braces():
    tree = markup.parse("**굵게** `{{ .Values.x }}` {{c1::값::힌트}}")
    assert markup.to_anki(tree) == ("<b>굵게</b> <code>&#123;&#123; .Values.x &#125;&#125;</code> "
                                    "{{c1::값::힌트}}")


def test_sheet_joins_hangul_words_and_leaves_latin_breakable():
    html = markup.to_sheet(markup.parse("{{c1::Pod}}는 kube-proxy 와 함께 https://kubernetes.io/ko/docs/"))
    assert html == ('<strong class="cloze">P\u2060o\u2060d</strong>\u2060는 kube-proxy 와 함\u2060께 '
                    'https://kubernetes.io/ko/docs/')
    # a browser gets plain words: it understands word-break: keep-all
    assert markup.to_sheet(markup.parse("{{c1::Pod}}는 함께"), joiner=False) == \
        '<strong class="cloze">Pod</strong>는 함께'


def test_a_worksheet_blank_stays_with_its_word():
    html = markup.to_sheet(markup.parse("{{c1::접근 모드}}(읽기/쓰기 방식)"), blank=lambda c: "<i>1</i>")
    assert html == '<span class="w"><i>1</i>\u2060(\u2060읽\u2060기\u2060/\u2060쓰\u2060기</span> 방\u2060식\u2060)'


def test_very_long_hangul_runs_stay_breakable():
    long = "가" * 30
    assert markup.to_sheet(markup.parse(long)) == long


@pytest.mark.parametrize("text, message", [
    ("{{c1::a", "unbalanced cloze: '{{c1::' is never closed"),
    ("a}}", "unbalanced cloze: '}}' without an opening '{{cN::'"),
    ("{{c0::a}}", "cloze numbers start at 1: '{{c0::'"),
    ("{{c1::}}", "cloze with an empty answer: '{{c1::}}'"),
    ("{{c1::::hint}}", "cloze with an empty answer: '{{c1::::'"),
    ("{{c1::a::b::c}}", "'::' twice in '{{c1::': Anki reads everything after the first '::' as the hint"),
    ("{{c1::**a::b**}}", "'::' inside a cloze answer: Anki would read the rest as a hint"),
    ("{{ .Values.x }}", "'{{' that is not a cloze: Anki would read it as template or cloze syntax; "
                        "put it in `code` or write '{ {'"),
    ("{{c1::{{c2::{{c3::{{c4::a}}}}}}}}", "'{{c4::' is nested 4 deep; at most 3 levels are allowed"),
    ("**a", "unbalanced bold: '**' is never closed"),
])
def test_malformed_text_is_refused_with_a_clear_message(text, message):
    with pytest.raises(markup.MarkupError) as err:
        markup.parse(text)
    assert str(err.value) == message
