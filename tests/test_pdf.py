"""studydeck.pdf internals that the built PDFs alone cannot show."""

from __future__ import annotations

import types

import pytest
from conftest import ROOT

from studydeck.pdf import weasyprint_patch


@pytest.mark.parametrize("font", ["Pretendard-Regular.ttf", "Pretendard-Bold.ttf"])
def test_faster_font_subsetting_gives_weasyprint_s_own_bytes(font, monkeypatch):
    """Ours keeps the font's own timestamp, whatever the clock; WeasyPrint's stamps the subset with
    SOURCE_DATE_EPOCH: set to the font's own time, the two must give the same bytes."""
    from fontTools.misc.timeTools import epoch_diff
    from fontTools.ttLib import TTFont
    from weasyprint.pdf import fonts

    own = TTFont(ROOT / "templates" / "fonts" / font)["head"].modified
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(own + epoch_diff))
    weasyprint_patch.speed_up_font_subsetting()

    data = (ROOT / "templates" / "fonts" / font).read_bytes()
    cmap = TTFont(ROOT / "templates" / "fonts" / font, lazy=True).getBestCmap()
    text = "쿠버네티스 Pod는 kube-proxy와 함께 · • 1/3 쪽 (object) 개념"
    gids = {
        TTFont(ROOT / "templates" / "fonts" / font, lazy=True).getGlyphID(cmap[ord(c)]): c
        for c in set(text)
        if ord(c) in cmap
    }
    out = []
    for method in (fonts.Font._weasyprint_fonttools_subset, fonts.Font._fonttools_subset):
        stub = types.SimpleNamespace(file_content=data, index=0, missing=False, family="Pretendard")
        method(stub, gids, False)
        out.append(stub.file_content)
    assert out[0] == out[1] and len(out[0]) < len(data) / 5
