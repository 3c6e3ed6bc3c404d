"""The coordinator's tools in headless Chromium, Thai and English, at a desktop's and a phone's width: the
coverage page with 60 learners (two pages of them, most never launched) and an activity with a 400-character
title, and the mapping editor. Each page fits its window (the wide grids scroll inside their own boxes), shows
axe-core no serious or critical violation, and an error lands at the top of its form with the focus.

Screenshots go to SAMATTHA_SHOTS_DIR when it is set (e.g. /tmp/shots-h5)."""

from __future__ import annotations

from dataclasses import replace

import pytest
import requests
from flask import Flask
from playwright.sync_api import Browser, Page, expect

import xapi
from plugin.clock import utcnow
from plugin.mapping import store
from plugin.mapping.files import load_mapping
from plugin.standards import catalog
from plugin.standards.sources import shipped_documents
from tests.browser import chromium, page_problems
from tests.lti_platform import LTI, MoodlePlatform
from tests.test_coverage_web import EXAMPLE, VIEWED, moodle_statement
from tests.test_lti_flow import Env, browser_site, customise

pytestmark = pytest.mark.browser

WIDTHS = (1366, 390)
LONG_TITLE = "แบบทดสอบความรู้เรื่องการประเมินความคิดเห็นของผู้ใช้บริการ " * 7  # > 400 characters


def _course_with_crowd(app: Flask, env: Env) -> int:
    """The example mapping (one activity titled at length) and 60 Moodle learners' views of its page."""
    sessionmaker = app.extensions["samattha.sessionmaker"]
    course = env.course()
    with sessionmaker() as db:
        index = store.standard_index(db)
        mapping = load_mapping(EXAMPLE.read_text(encoding="utf-8").replace("http://127.0.0.1:8081", env.platform.url),
                               standard=index)
        mapping = replace(mapping, entries=(replace(mapping.entries[0], title=LONG_TITLE[:420]),
                                            *mapping.entries[1:]))
        store.save_mapping(db, db.merge(course), mapping, index, author=None, now=utcnow(), source="file")
        key, secret = xapi.create_credential(db, name="moodle", scopes=["statements/write"], now=utcnow())
        db.commit()
    www = env.platform.url
    page, course_iri = f"{www}/mod/page/view.php?id=3", f"{www}/course/view.php?id=2"
    statements = [moodle_statement(www, str(100 + n), VIEWED, page, [f"{www}/course/section.php?id=1", course_iri])
                  for n in range(60)]
    posted = requests.post(f"{env.url}/xapi/statements", json=statements, auth=(key, secret), timeout=10,
                           headers={"X-Experience-API-Version": "1.0.3"})
    assert posted.status_code == 200, posted.text
    return course.id


def _coordinator(browser: Browser, env: Env, language: str) -> Page:
    customise(env.platform, lambda p: p[LTI + "launch_presentation"].update(locale=language))
    page = browser.new_context().new_page()
    page.goto(f"{env.platform.url}/mod/lti/launch.php?id=2&user=4")
    expect(page.locator('h1.lti-page[data-role="coordinator"]')).to_be_visible(timeout=15000)
    return page


def problems(page: Page, name: str) -> list[str]:
    return [f"{name}: {problem}" for problem in page_problems(page, name)]


@pytest.mark.parametrize("language", ["th", "en"])
def test_coverage_and_the_editor_fit_read_and_pass_axe(app: Flask, language: str) -> None:
    with app.extensions["samattha.sessionmaker"]() as db:
        for doc in shipped_documents():
            catalog.import_document(db, doc, now=utcnow())
        db.commit()
    with browser_site(app, MoodlePlatform()) as env, chromium() as browser:
        page = _coordinator(browser, env, language)
        course = _course_with_crowd(app, env)
        found: list[str] = []
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            page.goto(f"{env.url}/course/{course}/coverage")
            assert page.locator("html").get_attribute("lang") == language
            found += problems(page, f"coverage-{language}-{width}")
            # 60 learners: 50 on the first page, 10 on the second; the long title keeps its column's width.
            expect(page.locator("table.progress tbody tr")).to_have_count(50)
            title = page.locator("table.matrix th.act").first
            assert title.get_attribute("title") == LONG_TITLE[:420]
            assert title.bounding_box()["width"] < 200  # type: ignore[index]
            # A criterion's text shows when its number takes the focus from the keyboard.
            number = page.locator("table.progress th.crit button.tip").first
            number.focus()
            expect(page.locator("table.progress th.crit .tiptext").first).to_be_visible()
            page.locator("a[rel=next]").click()
            expect(page.locator("table.progress tbody tr")).to_have_count(10)
            found += problems(page, f"coverage-page2-{language}-{width}")

            page.goto(f"{env.url}/course/{course}/mapping")
            found += problems(page, f"mapping-{language}-{width}")
            # The criteria picker says which activity its ticks go to.
            page.locator("section.activity").nth(2).locator("button.choose").first.click()
            expect(page.locator("#picker-for")).to_contain_text(
                ("กำลังเลือกเกณฑ์ให้: " if language == "th" else "Choosing criteria for: ") + LONG_TITLE[:420].strip())
            found += problems(page, f"mapping-picker-{language}-{width}")
            page.keyboard.press("Escape")
            # A wrong course backup: the error at the top, with the focus, in the page's language.
            page.set_input_files("#backup-file", {"name": "course.mbz", "mimeType": "application/octet-stream",
                                                  "buffer": b"not a backup"})
            page.locator("#upload-backup").click()
            expect(page.locator("#backup-errors")).to_be_focused()
            assert page.evaluate("document.getElementById('backup-errors').getBoundingClientRect().top") < 900
            expect(page.locator("#backup-errors")).to_contain_text(
                "ไฟล์นี้ไม่ใช่ไฟล์สำรองรายวิชา" if language == "th" else "this file is not a Moodle course backup")
            found += problems(page, f"mapping-backup-error-{language}-{width}")

            page.goto(f"{env.url}/course/{course}/coverage?unit=NOPE")
            expect(page.locator("#cov-error")).to_be_focused()
            found += problems(page, f"coverage-bad-filter-{language}-{width}")
        assert not found, found
