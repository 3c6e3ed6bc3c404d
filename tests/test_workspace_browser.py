"""The assessor's workspace in headless Chromium (issue 19), launched from the Moodle-like platform's own launch
page, in Thai and in English: the assessor lands on the caseload, finds the learners awaiting judgement with
its filter, opens one, judges a unit leaving some rules "not assessed", moves to the next learner and exports;
the learner then sees the outcome on their course page, with no cross and no word for what was not assessed.
Screenshots at 1366 and 390 px go to SAMATTHA_SHOTS_DIR when it is set; at 390 px no page scrolls sideways."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page
from sqlalchemy import select

from plugin.clock import utcnow
from plugin.mapping.files import load_mapping
from plugin.mapping.store import save_mapping, standard_index
from plugin.models import AssessorAppointment, Course, User
from plugin.portfolios.run import compile_all
from tests.browser import chromium
from tests.lrs_support import headers, issue
from tests.lti_platform import MoodlePlatform
from tests.lti_platform import User as PlatformUser
from tests.test_judgements import LAB, ROOT, lab_statements
from tests.test_lti_flow import Env, browser_site

TEXTS = {
    "en": {"awaiting": "Awaiting judgement", "recorded": "Judgement recorded.", "outcome": "More evidence needed",
           "confirmed": "the assessor confirmed", "not_assessed": "not assessed", "title": "Your assessment"},
    "th": {"awaiting": "รอการตัดสิน", "recorded": "บันทึกผลการตัดสินแล้ว", "outcome": "ต้องการหลักฐานเพิ่มเติม",
           "confirmed": "ผู้ประเมินยืนยันว่า", "not_assessed": "ยังไม่ได้ประเมิน", "title": "ผลการประเมินของคุณ"},
}
COMMENT = "ส่งหลักฐานการปฏิบัติงานเพิ่มเติม"


@contextmanager
def _site(app: Flask, locale: str) -> Iterator[Env]:
    platform = MoodlePlatform(locale=locale)
    platform.users["5"] = PlatformUser("5", "assessor1", "Ann", "Assessor", "student")
    platform.users["7"] = PlatformUser("7", "student2", "Lek", "Learner", "student")
    platform.enrolled += ["5", "7"]
    with browser_site(app, platform) as env:
        yield env


def _launch(browser: Browser, env: Env, user: str, width: int) -> Page:
    page = browser.new_page(viewport={"width": width, "height": 900})
    page.goto(f"{env.platform.url}/mod/lti/launch.php?id=2&user={user}")
    page.locator("h1").first.wait_for(timeout=15000)
    return page


def _shot(page: Page, name: str, *, full_page: bool = True) -> None:
    folder = os.environ.get("SAMATTHA_SHOTS_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / name), full_page=full_page)


def _no_sideways_scroll(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]  # type: ignore[index]


def _prepare(app: Flask, env: Env, browser: Browser) -> None:
    """Everyone launched once; Ann appointed; Sam's and Lek's Moodle statements in our LRS, compiled."""
    for user in ("4", "3", "7", "5"):
        _launch(browser, env, user, 1366).close()
    statements = lab_statements(env.platform.url)
    for statement in lab_statements(env.platform.url)[:6]:  # Lek did less than Sam
        statement.pop("id", None)
        statement["actor"] = {"account": {"homePage": env.platform.url, "name": "7"}, "objectType": "Agent"}
        statements.append(statement)
    answer = app.test_client().post("/xapi/statements", json=statements, headers=headers(*issue(app, "all")))
    assert answer.status_code == 200, answer.get_data(as_text=True)
    with env.db() as db:
        course = db.scalars(select(Course).filter_by(context_id="2")).one()
        ann = db.scalars(select(User).filter_by(subject="5")).one()
        db.add(AssessorAppointment(course_id=course.id, user_id=ann.id, appointed_at=utcnow()))
        index = standard_index(db)
        text = (ROOT / "mappings" / "example-dg-opsr-023.toml").read_text("utf-8").replace(LAB, env.platform.url)
        save_mapping(db, course, load_mapping(text, standard=index), index, author=None, now=utcnow(), source="file")
        db.commit()
        compile_all(db, now=utcnow())


@pytest.mark.browser
@pytest.mark.parametrize("locale", ["en", "th"])
def test_an_assessor_judges_from_the_caseload_and_the_learner_sees_the_outcome(app: Flask, standard: object,
                                                                              locale: str) -> None:
    words = TEXTS[locale]
    with _site(app, locale) as env, chromium() as browser:
        _prepare(app, env, browser)
        for width in (1366, 390):
            page = _launch(browser, env, "5", width)
            assert page.locator("h1.lti-page").get_attribute("data-role") == "assessor"
            _no_sideways_scroll(page)
            _shot(page, f"caseload-{locale}-{width}.png")
            page.close()
        page = _launch(browser, env, "5", 1366)
        page.select_option("select[name=status]", "awaiting")
        page.select_option("select[name=unit]", "DG100")
        page.locator("form.caseload-filter button[type=submit]").click()
        page.wait_for_url("**status=awaiting**")
        assert page.locator("a.learner").all_inner_texts() == ["Lek Learner", "Sam Student"]
        assert page.locator("select[name=status] option:checked").inner_text() == words["awaiting"]
        page.locator("a.learner", has_text="Lek Learner").click()
        page.locator("form.judge").first.wait_for()
        panel = page.locator("form.judge[data-unit=DG100]")
        assert panel.is_visible()
        panel.locator("input[name=outcome][value=more_evidence]").check()
        panel.locator("button[data-set=met]").click()
        first = panel.locator(".rule-row").first
        criterion = first.get_attribute("data-criterion")
        for rule in ("authentic", "current"):  # left not assessed
            first.locator(f"select[name='rule:{criterion}:{rule}']").select_option("not_assessed")
        panel.locator("textarea[name=comments]").fill(COMMENT)
        _shot(page, f"portfolio-judging-{locale}-1366.png")
        page.locator("#element-DG102").scroll_into_view_if_needed()
        assert panel.locator("button[type=submit]").is_visible()  # the panel stays in reach while reading
        _shot(page, f"portfolio-judging-{locale}-1366-reading.png", full_page=False)
        panel.locator("button[type=submit]").click()
        page.locator("p.flash[data-flash='pf.recorded']").wait_for()
        assert words["recorded"] in page.locator("p.flash[data-flash='pf.recorded']").inner_text()
        assert page.locator("section.unit[data-unit=DG100] .judgement").get_attribute("data-outcome") == "more_evidence"
        page.locator("a[rel=next]").click()
        page.locator("dd.learner-name").wait_for()
        assert page.locator("dd.learner-name").inner_text() == "Sam Student"
        with page.expect_download() as download:
            page.locator("a", has_text="PDF").first.click()
        assert Path(download.value.path()).read_bytes().startswith(b"%PDF")
        page.set_viewport_size({"width": 390, "height": 900})
        _no_sideways_scroll(page)
        _shot(page, f"portfolio-{locale}-390.png")
        page.close()

        for width in (1366, 390):
            lek = _launch(browser, env, "7", width)
            outcome = lek.locator("section.outcome")
            assert words["title"] in outcome.inner_text()
            unit = outcome.locator(".outcome-unit[data-unit=DG100]")
            assert unit.get_attribute("data-outcome") == "more_evidence"
            assert words["outcome"] in unit.inner_text() and COMMENT in unit.inner_text()
            _no_sideways_scroll(lek)
            _shot(lek, f"learner-home-{locale}-{width}.png")
            lek.goto(lek.url.replace("/learner", "/my-portfolio"))
            row = lek.locator(f"tr[data-code='{criterion}']").first
            assert words["confirmed"] in row.inner_text()
            body = lek.locator("main").inner_text()
            assert "✗" not in body and words["not_assessed"] not in body
            _no_sideways_scroll(lek)
            _shot(lek, f"learner-portfolio-{locale}-{width}.png")
            lek.close()
