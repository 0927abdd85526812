"""Entry text: clozes, inline markup, and its rendering for Anki and the sheet, escaped."""

from __future__ import annotations

import pytest

from studydeck.anki.notes import to_anki
from studydeck.gather import markup
from studydeck.pdf.typeset import Blank, to_sheet


def test_nested_ordinals_are_all_found():
    tree = markup.parse("{{c1::퍼시스턴트 {{c2::볼륨}}}}을 {{c3::쓴다}}")
    assert markup.ordinals(tree) == {1, 2, 3}
    assert markup.answers(tree) == [(1, "퍼시스턴트 볼륨", None), (2, "볼륨", None), (3, "쓴다", None)]


def test_question_hides_one_card_s_clozes_and_shows_the_others():
    tree = markup.parse("{{c1::퍼시스턴트 {{c2::볼륨}}}}을 {{c3::쓴다::동사}}")
    assert markup.question(tree, 1) == "[...]을 쓴다"
    assert markup.question(tree, 2) == "퍼시스턴트 [...]을 쓴다"
    assert markup.question(tree, 3) == "퍼시스턴트 볼륨을 [동사]"


def test_auto_cloze_leaves_the_particle_outside():
    tree = markup.auto_cloze(markup.parse("Pod는 가장 작은 단위다."), "Pod")
    assert to_anki(tree) == "{{c1::Pod}}는 가장 작은 단위다."
    assert markup.auto_cloze(markup.parse("가장 작은 단위다."), "Pod") is None


def test_auto_cloze_deletes_a_term_with_colons_as_written():
    tree = markup.auto_cloze(markup.parse("std::vector는 가변 길이 배열이다."), "std::vector")
    assert markup.answers(tree) == [(1, "std::vector", None)]
    assert to_anki(tree) == "{{c1::std&#58;&#58;vector}}는 가변 길이 배열이다."


def test_auto_cloze_finds_a_term_that_is_only_in_code_or_bold():
    tree = markup.auto_cloze(markup.parse("되돌리려면 `kubectl rollout undo`를 쓴다."), "kubectl rollout undo")
    assert to_anki(tree) == "되돌리려면 {{c1::<code>kubectl rollout undo</code>}}를 쓴다."
    tree = markup.auto_cloze(markup.parse("**Pod**는 작다."), "Pod")
    assert to_anki(tree) == "<b>{{c1::Pod}}</b>는 작다."


def test_html_is_escaped_for_anki_and_the_sheet():
    tree = markup.parse('<script>alert(1)</script> {{c1::<b onclick="x">Pod</b>}}')
    anki = to_anki(tree)
    assert anki == ("&lt;script&gt;alert(1)&lt;/script&gt; {{c1::&lt;b onclick=&quot;x&quot;&gt;Pod&lt;/b&gt;}}")
    assert "<script" not in to_sheet(tree) and "<b onclick" not in to_sheet(tree)


def test_inline_markup_and_code_with_braces():
    tree = markup.parse("**굵게** `{{ .Values.x }}` {{c1::값::힌트}}")
    assert to_anki(tree) == ("<b>굵게</b> <code>&#123;&#123; .Values.x &#125;&#125;</code> {{c1::값::힌트}}")


@pytest.mark.parametrize(
    "text, field",
    [
        ("[sound:x.mp3] 소리", "&#91;sound&#58;x.mp3&#93; 소리"),
        ("[anki:tts lang=ko_KR]안녕[/anki:tts]", "&#91;anki&#58;tts lang=ko_KR&#93;안녕&#91;/anki&#58;tts&#93;"),
        ("[$]x^2[/$] [latex]y[/latex]", "&#91;$&#93;x^2&#91;/$&#93; &#91;latex&#93;y&#91;/latex&#93;"),
        ("[[type:Text]]", "&#91;&#91;type&#58;Text&#93;&#93;"),
    ],
)
def test_anki_syntax_in_an_answer_stays_text(text, field):
    assert to_anki(markup.parse("{{c1::" + text + "}}")) == "{{c1::" + field + "}}"


def test_sheet_joins_hangul_words_and_leaves_latin_breakable():
    html = to_sheet(markup.parse("{{c1::Pod}}는 kube-proxy 와 함께 https://kubernetes.io/ko/docs/"))
    assert html == (
        '<strong class="cloze">P\u2060o\u2060d</strong>\u2060는 kube-proxy 와 함\u2060께 https://kubernetes.io/ko/docs/'
    )
    # a browser gets plain words: it understands word-break: keep-all
    assert to_sheet(markup.parse("{{c1::Pod}}는 함께"), joiner=False) == '<strong class="cloze">Pod</strong>는 함께'


def test_a_worksheet_blank_stays_with_its_word():
    html = to_sheet(markup.parse("{{c1::접근 모드}}(읽기/쓰기 방식)"), blank=lambda c: Blank("<i>1</i>", 5.0))
    assert html == '<span class="w"><i>1</i>\u2060(\u2060읽\u2060기\u2060/\u2060쓰\u2060기</span> 방\u2060식\u2060)'


def test_a_word_of_many_blanks_stays_breakable():
    html = to_sheet(markup.parse("{{c1::가}}{{c2::나}}{{c3::다}}{{c4::라}}는"), blank=lambda c: Blank("<i>_</i>", 6.0))
    assert html == "<i>_</i><i>_</i><i>_</i><i>_</i>는"


def test_very_long_hangul_runs_stay_breakable():
    long = "가" * 30
    assert to_sheet(markup.parse(long)) == long


@pytest.mark.parametrize(
    "text, message, pos",
    [
        ("{{c1::a", "unbalanced cloze: '{{c1::' is never closed", 0),
        ("ab}}", "unbalanced cloze: '}}' without an opening '{{cN::'", 2),
        ("x {{c0::a}}", "cloze numbers start at 1: '{{c0::'", 2),
        ("{{c501::a}}", "'{{c501::': Anki makes at most 500 cards from a note, so cloze numbers go from 1 to 500", 0),
        ("{{c1::}}", "cloze with an empty answer: '{{c1::}}'", 0),
        ("{{c1::::hint}}", "cloze with an empty answer: '{{c1::::'", 0),
        ("{{c1::a::b::c}}", "'::' twice in '{{c1::': Anki reads everything after the first '::' as the hint", 10),
        ("{{c1::**a::b**}}", "'::' inside a cloze answer: Anki would read the rest as a hint", 9),
        (
            "{{ .Values.x }}",
            "'{{' that is not a cloze: Anki would read it as template or cloze syntax; put it in `code` or write '{ {'",
            0,
        ),
        ("x {{c1:a}}", "'{{c1:' is not a cloze: did you mean '{{c1::'?", 2),
        ("{{ C2 : a}}", "'{{ C2 :' is not a cloze: did you mean '{{c2::'?", 0),
        ("{{c1::{{c2::{{c3::{{c4::a}}}}}}}}", "'{{c4::' is nested 4 deep; at most 3 levels are allowed", 18),
        ("x **a", "unbalanced bold: '**' is never closed", 2),
    ],
)
def test_malformed_text_is_refused_with_a_clear_message_and_where(text, message, pos):
    with pytest.raises(markup.MarkupError) as err:
        markup.parse(text)
    assert (str(err.value), err.value.pos) == (message, pos)


def test_the_largest_cloze_number_anki_keeps_apart_is_accepted():
    assert markup.ordinals(markup.parse("{{c500::a}}")) == {500}
