"""A portfolio as PDF through WeasyPrint, which shapes Thai with HarfBuzz. Sarabun comes from plugin/static,
never from the system, so every machine gives the same pages.

The stylesheet's @font-face rules are replaced for the PDF: WeasyPrint names an embedded font after its
family and weight only, so Sarabun's Thai and Latin files (one family split by unicode-range) became one PDF
font and Thai was drawn with Latin glyphs. Here each file is a family of its own and the text falls back from
the Latin one to the Thai one character by character; thai_font makes the Thai text extract exactly."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from plugin.portfolios.exports.html import STATIC, render_html, stylesheet
from plugin.portfolios.exports.thai_font import pdf_font_data_uri

__all__ = ["render_pdf"]

_FACE = re.compile(r"@font-face\s*\{[^}]*\}\s*")
_FAMILY = '"Sarabun", sans-serif'


def _pdf_stylesheet() -> str:
    faces = "".join(
        f'@font-face {{ font-family: "Sarabun {script.title()}"; font-weight: {weight}; '
        f'src: url("{pdf_font_data_uri(STATIC / "fonts" / f"sarabun-{script}-{weight}-normal.woff")}") '
        'format("truetype"); }\n'
        for script in ("latin", "thai") for weight in (400, 700))
    css = _FACE.sub("", stylesheet(False)).replace(_FAMILY, '"Sarabun Latin", "Sarabun Thai", sans-serif')
    return faces + css


def render_pdf(
    document: Mapping[str, Any], *, language: str, judgements: Iterable[Mapping[str, Any]] = (),
    snapshot: Mapping[str, Any] | None = None, organisation: str | None = None,
    pieces: Mapping[str, Mapping[str, Any]] | None = None,
) -> bytes:
    import weasyprint  # imported on use: it loads Pango and fonts, which no other command needs

    page = render_html(document, language=language, judgements=judgements, snapshot=snapshot,
                       css=_pdf_stylesheet(), organisation=organisation, pieces=pieces)
    pdf: bytes = weasyprint.HTML(string=page).write_pdf()
    return pdf
