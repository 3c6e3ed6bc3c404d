"""Issue 21's "Done when", in headless Chromium, in Thai and in English, launched from the Moodle-like platform:
a learner adds a PDF, an image and a link with their account to a performance-evidence item and a criterion;
the assessor previews them in the portfolio, judges the unit "more evidence needed" naming what is missing and
writes in the unit's conversation; the learner sees the judgement and the comment on their home page, answers,
adds one more piece and says "I have added evidence"; the assessor's caseload shows the request. The new and
changed pages are checked at 1366 and 390 px (no sideways scrolling, axe-core), screenshots in
SAMATTHA_SHOTS_DIR when it is set."""

from __future__ import annotations

import base64
from urllib.parse import urljoin

import pytest
from flask import Flask
from playwright.sync_api import FilePayload, Page
from sqlalchemy import select

from plugin.models import User
from tests.browser import chromium, page_problems
from tests.test_workspace_browser import _launch, _prepare, _site

UNIT, ITEM, CRITERION = "DG-OPSR-023", "DG-OPSR-023.PE1", "DS601.02"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJ"
                       "RU5ErkJggg==")  # 1 x 1 px
ACCOUNT = "ฉันจัดทำทะเบียนข้อมูลส่วนบุคคลของกองในปี 2568"
MISSING = "ทะเบียนฉบับที่หัวหน้ากองลงนามแล้ว (PE1)"
COMMENT = "เอกสารอื่นครบถ้วนดี ขอเพิ่มเพียงฉบับที่ลงนามค่ะ"
REPLY = "แนบฉบับที่ลงนามแล้วค่ะ"
TEXTS = {
    "en": {"missing": "What is missing", "outcome": "More evidence needed", "added": "I have added evidence"},
    "th": {"missing": "สิ่งที่ยังขาด", "outcome": "ต้องการหลักฐานเพิ่มเติม", "added": "ฉันเพิ่มหลักฐานแล้ว"},
}


def _check(page: Page, name: str) -> None:
    """The page at 1366 and at 390 px: nothing scrolls sideways, axe finds nothing serious."""
    for width in (1366, 390):
        page.set_viewport_size({"width": width, "height": 900})
        assert page_problems(page, f"{name}-{width}") == [], name
    page.set_viewport_size({"width": 1366, "height": 900})


def _add_evidence(page: Page, base: str, account: str, files: list[tuple[str, str, bytes]], link: str) -> None:
    page.goto(f"{base}/evidence?for={ITEM}&for={CRITERION}")
    page.locator("#account").fill(account)
    page.locator("#link").fill(link)
    page.set_input_files("#files", [FilePayload(name=n, mimeType=m, buffer=b) for n, m, b in files])
    page.locator("#add-evidence button[type=submit]").click()
    page.locator("p.notice[role=status]").wait_for()


@pytest.mark.browser
@pytest.mark.parametrize("locale", ["th", "en"])
def test_a_learner_adds_evidence_is_judged_talks_and_asks_again(app: Flask, standard: object, locale: str) -> None:
    words = TEXTS[locale]
    with _site(app, locale) as env, chromium() as browser:
        _prepare(app, env, browser)
        with env.db() as db:
            sam = db.scalars(select(User).filter_by(subject="3")).one().id
        learner = _launch(browser, env, "3", 1366)
        base = learner.url.rsplit("/learner", 1)[0]
        _add_evidence(learner, base, ACCOUNT, [("ประวัติการทำงาน.pdf", "application/pdf", PDF),
                                              ("screen.png", "image/png", PNG)], "https://example.org/register")
        learner.goto(f"{base}/learner")  # the portfolio is compiled with the new piece when the learner looks

        assessor = _launch(browser, env, "5", 1366)
        assessor.goto(f"{base}/portfolios/{sam}")
        unit = assessor.locator(f"section.unit[data-unit='{UNIT}']")
        piece = unit.locator(f"tr[data-code='{ITEM}'] .learner-piece").first
        assert ACCOUNT in piece.inner_text() and "https://example.org/register" in piece.inner_text()
        preview = piece.locator("img.piece-preview")
        preview.scroll_into_view_if_needed()
        assert assessor.wait_for_function("img => img.complete && img.naturalWidth === 1", arg=preview.element_handle())
        href = piece.locator("a", has_text="ประวัติการทำงาน.pdf").get_attribute("href") or ""
        pdf = assessor.request.get(urljoin(assessor.url, href))
        assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf" and pdf.body() == PDF
        panel = unit.locator("aside.judge-panel")
        panel.locator("input[name=outcome][value=more_evidence]").check()
        panel.locator("textarea[name=comments]").fill(MISSING)
        panel.locator("form.judge button[type=submit]").click()
        assessor.locator("p.flash[data-flash='pf.recorded']").wait_for()
        talk = assessor.locator(f"#conversation-{UNIT}")
        talk.locator("textarea[name=body]").fill(COMMENT)
        talk.locator("button[type=submit]").click()
        assessor.wait_for_url(f"**#conversation-{UNIT}")
        assert talk.locator("li.comment[data-role=assessor] .body").inner_text() == COMMENT
        _check(assessor, f"workspace-conversation-{locale}")

        learner.goto(f"{base}/learner")
        news = learner.locator("section.news")
        assert COMMENT in news.inner_text() and words["outcome"] in news.inner_text()
        verdict = learner.locator(f".outcome-unit[data-unit='{UNIT}']")
        assert verdict.get_attribute("data-outcome") == "more_evidence"
        assert f"{words['missing']}: {MISSING}" in verdict.inner_text()
        _check(learner, f"learner-home-news-{locale}")
        news.locator("li[data-news=comment] a").click()
        learner.locator("h1.conversation-page").wait_for()
        assert learner.locator("li.comment .body").inner_text() == COMMENT
        learner.locator("textarea[name=body]").fill(REPLY)
        learner.locator("form.comment-form button[type=submit]").click()
        learner.locator("li.comment[data-role=learner]").wait_for()
        _check(learner, f"conversation-learner-{locale}")
        conversation = learner.url

        # One more piece, and the page it lands on offers to be assessed again.
        _add_evidence(learner, base, "ฉบับที่ลงนามแล้ว", [("ลงนามแล้ว.pdf", "application/pdf", PDF)],
                      "https://example.org/signed")
        _check(learner, f"evidence-added-{locale}")
        ask = learner.locator("form.ask-again button[type=submit]")
        assert words["added"] in ask.inner_text()
        ask.click()
        learner.locator("p.asked").wait_for()
        learner.goto(conversation)
        assert learner.locator("p.asked").is_visible()  # the unit's page says so too, and offers nothing twice

        assessor.goto(f"{base}/portfolios?status=requested")
        case = assessor.locator("li.case", has_text="Sam Student")
        assert case.locator(".asked-again").is_visible()
        assessor.goto(f"{base}/portfolios/{sam}/units/{UNIT}/conversation")
        assert assessor.locator("li.comment .body").all_inner_texts() == [COMMENT, REPLY]
        _check(assessor, f"conversation-assessor-{locale}")
