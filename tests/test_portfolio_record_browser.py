"""The printable HTML record in Chromium: printed, every page carries the learner and "page n of m" in the
record's language; on a phone it fits the screen."""

from __future__ import annotations

from pathlib import Path

import pypdfium2 as pdfium
import pytest

from plugin.portfolios.exports import render_html
from tests.browser import chromium
from tests.test_portfolio_exports import DOCUMENT, SNAPSHOT, judgement


# Chromium's PDF text layer repeats parts of Thai clusters ("หน้าน้"): the Thai page line is read by its numbers.
@pytest.mark.parametrize("language, page_of", [("th", "{n} จาก {m}"), ("en", "Page {n} of {m}")])
def test_the_printed_html_record_has_a_header_and_footer_on_every_page(
        language: str, page_of: str, tmp_path: Path) -> None:
    html = tmp_path / "record.html"
    html.write_text(render_html(DOCUMENT, language=language, snapshot=SNAPSHOT,
                                judgements=[judgement("competent")]), encoding="utf-8")
    with chromium() as browser:
        page = browser.new_page()
        page.goto(html.as_uri())
        printed = page.pdf(prefer_css_page_size=True)
        phone = browser.new_page(viewport={"width": 390, "height": 844})
        phone.goto(html.as_uri())
        widest = phone.evaluate("document.documentElement.scrollWidth")
    document = pdfium.PdfDocument(printed)
    try:
        text = [document[i].get_textpage().get_text_range() for i in range(len(document))]
    finally:
        document.close()
    assert len(text) > 2
    for number, shown in enumerate(text, start=1):
        assert DOCUMENT["learner"]["name"] in shown and page_of.format(n=number, m=len(text)) in shown, number
    assert widest <= 390  # nothing to scroll sideways on a phone
