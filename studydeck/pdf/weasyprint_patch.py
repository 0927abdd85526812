"""A faster font subsetting for WeasyPrint 70.0 (same bytes), installed once per process."""

from __future__ import annotations

import io
import logging


def speed_up_font_subsetting() -> None:
    """Without HarfBuzz-Subset, WeasyPrint 70 subsets fonts with fontTools and drops the GSUB and
    GPOS tables, but fontTools decompiles them first (0.23 s of 0.32 s per font and document for
    Pretendard). Removing them before subsetting gives the same bytes (tests/test_sheet.py)."""
    import weasyprint
    from weasyprint.pdf import fonts

    if weasyprint.__version__ != "70.0" or getattr(fonts.Font, "_studydeck_fast", False):
        return  # written against WeasyPrint 70.0's Font._fonttools_subset; other versions keep theirs
    from fontTools import subset
    from fontTools.ttLib import TTFont, TTLibError

    def _fonttools_subset(self, to_unicode, hinting):
        options = subset.Options(
            retain_gids=True,
            passthrough_tables=True,
            ignore_missing_glyphs=True,
            hinting=hinting,
            desubroutinize=True,
            notdef_outline=bool(self.missing),
        )
        options.drop_tables += ["GSUB", "GPOS", "SVG"]
        subsetter = subset.Subsetter(options)
        subsetter.populate(gids=to_unicode)
        try:
            # recalcTimestamp=False: head.modified stays the font's own, so the bytes never
            # depend on the clock or on SOURCE_DATE_EPOCH.
            ttfont = TTFont(io.BytesIO(self.file_content), fontNumber=self.index, recalcTimestamp=False)
            for tag in ("GSUB", "GPOS", "SVG "):
                if tag in ttfont:
                    del ttfont[tag]
            subsetter.subset(ttfont)
        except TTLibError:
            logging.getLogger("weasyprint").warning('Unable to subset "%s" with fontTools', self.family)
        else:
            optimized = io.BytesIO()
            ttfont.save(optimized)
            self.file_content = optimized.getvalue()

    fonts.Font._weasyprint_fonttools_subset = fonts.Font._fonttools_subset  # kept for the test
    fonts.Font._fonttools_subset = _fonttools_subset
    fonts.Font._studydeck_fast = True
