"""Staff roles on the coordinator's page in headless Chromium, launched from the Moodle-like platform's own
launch page: the editing teacher coordinates, the non-editing teacher (also sent as Instructor, no Web Services
token) is listed as staff, never as a learner, and the coordinator limits them to viewing with the page's control;
their next launch lands on the staff page. In Thai and in English, at a desktop and a phone width."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page

from tests.browser import chromium
from tests.lti_platform import MoodlePlatform
from tests.test_lti_flow import browser_site

TEXTS = {"en": ("Staff", "Learners", "Views only", "Course staff"),
         "th": ("บุคลากรของรายวิชา", "ผู้เรียน", "ดูได้อย่างเดียว", "บุคลากรของรายวิชา")}


@contextmanager
def _site(app: Flask, locale: str) -> Iterator[tuple[MoodlePlatform, str]]:
    platform = MoodlePlatform(locale=locale)
    platform.enrolled.append("6")  # Nok, the non-editing teacher
    with browser_site(app, platform) as env:
        yield platform, env.url


def _launch(browser: Browser, platform: MoodlePlatform, user: str, width: int) -> Page:
    page = browser.new_page(viewport={"width": width, "height": 900})
    page.goto(f"{platform.url}/mod/lti/launch.php?id=2&user={user}")
    page.locator("h1.lti-page").wait_for(timeout=15000)
    return page


def _shot(page: Page, name: str) -> None:
    folder = os.environ.get("SAMATTHA_SHOTS_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / name), full_page=True)


@pytest.mark.browser
@pytest.mark.parametrize("locale", ["en", "th"])
def test_staff_are_listed_as_staff_and_a_coordinator_limits_them(app: Flask, locale: str) -> None:
    staff, learners, views_only, staff_page = TEXTS[locale]
    with _site(app, locale) as (platform, _), chromium() as browser:
        _launch(browser, platform, "3", 1366).close()  # Sam, a learner
        _launch(browser, platform, "6", 1366).close()  # Nok: Instructor, like the editing teacher
        for width in (1366, 390):
            page = _launch(browser, platform, "4", width)
            assert page.locator("h1.lti-page").get_attribute("data-role") == "coordinator"
            assert page.locator("h3").all_inner_texts()[:2] == [staff, learners]
            staff_rows = page.locator("table.roster-staff tbody tr")
            assert staff_rows.evaluate_all("rows => rows.map(r => r.dataset.subject)") == ["6", "4"]
            assert page.locator("table.roster-learners tbody tr").evaluate_all(
                "rows => rows.map(r => r.dataset.subject)") == ["3"]
            _shot(page, f"coordinator-{locale}-{width}.png")
            page.close()
        page = _launch(browser, platform, "4", 1366)
        nok = page.locator("tr[data-subject='6']")
        nok.locator("select[name=limit]").select_option("view")
        nok.locator("button").click()
        page.wait_for_load_state("networkidle")
        row = page.locator("tr[data-subject='6']")
        assert row.get_attribute("data-standing") == "staff"
        assert row.locator("select[name=limit] option:checked").inner_text() == views_only
        assert views_only in page.locator("p.flash").inner_text()
        _shot(page, f"coordinator-limited-{locale}-1366.png")
        page.set_viewport_size({"width": 390, "height": 900})
        _shot(page, f"coordinator-limited-{locale}-390.png")
        for width in (1366, 390):
            landed = _launch(browser, platform, "6", width)
            assert landed.locator("h1.lti-page").get_attribute("data-role") == "viewer"
            assert landed.locator("h1.lti-page").inner_text() == staff_page
            _shot(landed, f"viewer-{locale}-{width}.png")
            landed.close()
