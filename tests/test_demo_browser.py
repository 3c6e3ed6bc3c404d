"""The tour of ``samattha demo`` walked in headless Chromium: the learner launches a sample package from the
demo Moodle and answers its questions, the coordinator sees coverage move, the assessor sees the evidence in the
learner's portfolio after compiling from the tour."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page

from tests.browser import chromium
from tests.test_demo import demo_db_fixture, run_demo  # noqa: F401 - the fixture is used by name

LEARNER, COORDINATOR, ASSESSOR = "5", "6", "7"  # ณัฐพล (has not taken a package yet), อรุณี, ประเสริฐ
DS601 = "https://samattha.dev/content/dg-opsr-023/ds601"


def _launch(page: Page, tour: str, user: str, *, cmid: int | None = None) -> None:
    page.goto(tour)
    link = page.locator(f"tr[data-user='{user}'] a.demo-launch") if cmid is None else \
        page.locator(f"tr[data-user='{user}'] a.demo-package[data-cmid='{cmid}']")
    link.click()
    page.wait_for_load_state("networkidle")


def _coverage(page: Page, base: str, course: str) -> dict[str, Any]:
    response = page.request.get(f"{base}/api/courses/{course}/coverage")
    assert response.ok, response.text()
    data: dict[str, Any] = response.json()
    return data


def _learner_row(data: dict[str, Any], name: str) -> dict[str, Any]:
    return next(row for row in data["learners"] if row["name"] == name)


def _fonts_drawn(page: Page, selector: str) -> set[tuple[str, bool]]:
    """(family, is a web font) of every font Chromium drew ``selector``'s text with: what the reader sees,
    not the CSS it asked for. On a machine without a Thai font a system font here means tofu."""
    page.evaluate("document.fonts.ready.then(() => true)")
    cdp = page.context.new_cdp_session(page)
    try:
        cdp.send("DOM.enable")
        cdp.send("CSS.enable")
        root = cdp.send("DOM.getDocument")["root"]["nodeId"]
        node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
        assert node, f"no {selector} on {page.url}"
        fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
    finally:
        cdp.detach()
    return {(font["familyName"], font["isCustomFont"]) for font in fonts}


@pytest.mark.browser
def test_the_tour_learner_coordinator_assessor(tmp_path: Path, demo_db: str | None) -> None:
    with run_demo(tmp_path, demo_db) as demo, chromium() as browser:
        page = browser.new_page()
        _launch(page, demo.url, COORDINATOR)
        assert page.locator("h1.lti-page").get_attribute("data-role") == "coordinator"
        course = page.url.split("/course/")[1].split("/")[0]
        # Form controls show Thai ("ดึงรายชื่อจาก Moodle", the assessor list, "แต่งตั้งผู้ประเมิน") in Sarabun too.
        for control in ("form button", "form.appoint select", "form.appoint button"):
            assert _fonts_drawn(page, control) == {("Sarabun", True)}, control
        page.goto(f"{demo.base}/course/{course}/mapping")  # the mapping editor holds the placed package
        assert DS601 in page.content()
        # The course's activities were found as a real site's are (Moodle Web Services), so every activity the
        # mapping names is one the course has, none "in the mapping but not in the course".
        assert page.locator("section.activity[data-activity='cmid:11'] details[open]").count() == 1
        assert page.locator(".not-listed").count() == 0, page.locator("h2.activity-name").all_inner_texts()
        before = _learner_row(_coverage(page, demo.base, course), "ณัฐพล วงศ์สวัสดิ์")["criteria"]

        learner = browser.new_context().new_page()  # a second browser session: the learner's
        _launch(learner, demo.url, LEARNER, cmid=12)
        learner.wait_for_selector("body[data-ready='true']")
        quiz = learner.evaluate("window.SAMATTHA_QUIZ")
        assert quiz["activityId"] == DS601 and learner.locator("body").get_attribute("data-mode") == "tracking"
        for question in quiz["questions"]:
            learner.locator(f"label[for='{question['id']}-{question['correct']}']").click()
        learner.locator(f"#{quiz['questions'][0]['id']} button.check").click()
        learner.locator("#submit").click()
        learner.wait_for_selector(".result.passed")

        deadline, after = time.monotonic() + 20, before
        while after == before and time.monotonic() < deadline:  # the package posts its statements
            time.sleep(0.3)
            after = _learner_row(_coverage(page, demo.base, course), "ณัฐพล วงศ์สวัสดิ์")["criteria"]
        assert after != before
        moved = [code for code in after if after[code] != before.get(code)]
        assert moved and all(code.startswith("DS601") for code in moved), moved
        page.goto(f"{demo.base}/course/{course}/coverage")
        assert page.locator("body").inner_text()

        page.goto(demo.url)
        page.locator("button.demo-compile").click()
        page.wait_for_selector(".demo-last-compile")
        assert "finished" in page.locator(".demo-last-compile").inner_text()

        _launch(page, demo.url, ASSESSOR)
        assert page.locator("h1.lti-page").get_attribute("data-role") == "assessor"
        # Moodle enrols ประเสริฐ as a Learner; appointed assessor, he is offered no learner page.
        tabs = page.locator("nav.site-nav a").all_inner_texts()
        assert tabs and "ความก้าวหน้าของฉัน" not in tabs and "แฟ้มสะสมผลงานของฉัน" not in tabs
        page.goto(f"{demo.base}/course/{course}/portfolios")
        row = page.locator("li.case", has_text="ณัฐพล วงศ์สวัสดิ์")
        row.locator("a").first.click()
        page.wait_for_load_state("networkidle")
        assert "DS601" in page.locator("main").inner_text()
        # The check just taken, under DS601.01: the passed attempt counts and is listed first; its start and
        # the single questions answered follow under their own, quieter heading.
        cell = page.locator("tr[data-code='DS601.01'] td").nth(2)
        counted, related = cell.locator("ul.evidence.counted > li"), cell.locator("ul.evidence.related > li")
        assert counted.count() >= 1 and related.count() >= len(quiz["questions"]) + 1
        assert all(" · ผ่าน · " in text for text in counted.all_inner_texts())
        assert any(" · ตอบ · " in text for text in related.all_inner_texts())
        assert cell.locator("p.evidence-heading").all_inner_texts() == [
            f"นับเป็นหลักฐาน: เป็นไปตามเงื่อนไขของการจับคู่ ({counted.count()})",
            f"กิจกรรมที่เกี่ยวข้อง ไม่นับตามเงื่อนไขของการจับคู่ ({related.count()})"]
        size = "el => parseFloat(getComputedStyle(el).fontSize)"
        assert related.first.evaluate(size) < counted.first.evaluate(size)
        assert _fonts_drawn(page, "form.judge button") == {("Sarabun", True)}  # "บันทึกผลการตัดสิน"
