"""Issue 5's "Done when", end to end: a clean database, the standard loaded, the test platform registered, a
teacher launched into real headless Chromium who uploads the course backup and maps three activities with
clicks and typing; two launched learners' Moodle-shaped statements posted to the LRS; then the coverage
page (in the browser) and the JSON API show exactly the gaps and per-learner states the mapping implies."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Set
from pathlib import Path
from typing import Any

import pytest
import requests
from flask import Flask
from playwright.sync_api import Page, expect
from sqlalchemy import select

import xapi
from plugin.clock import utcnow
from plugin.mapping import store
from plugin.mapping.model import Rule, expand_targets
from plugin.models import Course
from plugin.standards import catalog
from plugin.standards.sources import shipped_documents
from tests.browser import chromium
from tests.lti_platform import MoodlePlatform, User
from tests.test_lti_flow import LTI, browser_site, customise

FIXTURES = Path(__file__).parent / "fixtures"
BACKUP = FIXTURES / "moodle-4.5" / "course-backup.mbz"
STATEMENTS = FIXTURES / "moodle-logstore-xapi" / "merged"
FIXTURE_SITE = "http://www.example.org"
VIEWED = "http://id.tincanapi.com/verb/viewed"
# The progress table's cell classes (short, for 200 × 167 cells), or the status names themselves.
SHOWN = {"n": "none", "s": "some", "e": "evidenced", "o": "signed_off",
         **{status: status for status in ("none", "some", "evidenced", "signed_off")}}

# What the teacher maps (by cmid, from the backup): activity → (evidence, targets it stands for).
QUIZ, ASSIGN, PAGE = 6, 5, 3
TARGETS = {QUIZ: ("DS601.01", "DS601.02"), ASSIGN: ("DG101",), PAGE: ("DG102.01",)}


def moodle_statement(file: str, site: str, cmid: int, sub: str, name: str,
                     result: dict[str, Any] | None = None) -> dict[str, Any]:
    """The fixture's first statement as the lab site would send it: its wwwroot, our cmid, our learner."""
    text = (STATEMENTS / file).read_text(encoding="utf-8").replace(FIXTURE_SITE, site)
    text = text.replace("view.php?id=1", f"view.php?id={cmid}").replace("cmid=1", f"cmid={cmid}")
    statement: dict[str, Any] = json.loads(text)[0]
    statement["actor"] = {"account": {"homePage": site, "name": sub}, "name": name}
    if result is not None:
        statement["result"] = result
    return statement


def quiz_attempt(site: str, sub: str, name: str, raw: int) -> dict[str, Any]:
    # Moodle sends scaled = 2·raw/max − 1; the score rule reads raw/min/max.
    result = {"completion": True, "success": True, "duration": "PT5M",
              "score": {"raw": raw, "min": 0, "max": 100, "scaled": 2 * raw / 100 - 1}}
    return moodle_statement("mod_quiz__attempt_submitted__truefalse.json", site, QUIZ, sub, name, result)


def map_activity(page: Page, cmid: int, evidence: str, rule: str, choose: Callable[[Page], None]) -> None:
    slot = page.locator(f'section.activity[data-activity="cmid:{cmid}"] details.slot').first
    slot.locator(":scope > summary").click()
    slot.locator("select.evidence").select_option(evidence)
    slot.locator("select.rule").select_option(rule)
    choose(page)


def pick(cmid: int, query: str, *codes: str) -> Callable[[Page], None]:
    """Open the criteria picker from the activity's slot, filter by typing, tick the codes, close it."""
    def choose(page: Page) -> None:
        slot = page.locator(f'section.activity[data-activity="cmid:{cmid}"] details.slot').first
        slot.locator("button.choose").click()
        expect(page.locator("#picker")).to_be_visible()
        page.locator("#picker-filter").press_sequentially(query)
        for code in codes:
            page.locator(f'#picker input[type=checkbox][value="{code}"]').click()
        page.locator("#picker-done").click()
        expect(page.locator("#picker")).to_be_hidden()
    return choose


def expected_states(evidenced: Set[str], some: Set[str], criteria: list[str]) -> dict[str, str]:
    return {c: "evidenced" if c in evidenced else "some" if c in some else "none" for c in criteria}


@pytest.mark.browser
def test_map_in_the_browser_then_coverage_shows_gaps_and_learners(app: Flask) -> None:
    sessionmaker = app.extensions["samattha.sessionmaker"]
    with sessionmaker() as db:  # the app fixture's database is freshly migrated and empty
        for doc in shipped_documents():
            catalog.import_document(db, doc, now=utcnow())
        db.commit()
        standard = store.standard_index(db)
    platform = MoodlePlatform()
    platform.users["5"] = User("5", "student2", "Lee", "Learner", "student")
    platform.enrolled.append("5")
    with browser_site(app, platform) as env, chromium() as browser:
        site, url = platform.url, env.url
        for learner in ("3", "5"):
            assert env.launch(learner, requests.Session()).status_code == 200

        page = browser.new_page()
        page.goto(f"{site}/mod/lti/launch.php?id=2&user=4")
        expect(page.locator('h1.lti-page[data-role="coordinator"]')).to_be_visible(timeout=15000)
        course = env.course().id
        page.goto(f"{url}/course/{course}/mapping")
        page.set_input_files("input[name=backup]", str(BACKUP))
        page.locator("#upload-backup").click()
        expect(page.locator("p.flash").first).to_contain_text("Backup LTILAB: 6 activities (6 new).")

        map_activity(page, QUIZ, "knowledge", "score", pick(QUIZ, "DS601", *TARGETS[QUIZ]))
        quiz = page.locator(f'section.activity[data-activity="cmid:{QUIZ}"] details.slot').first
        quiz.locator("input.threshold").press_sequentially("80")
        expect(quiz.locator("input.targets")).to_have_value("DS601.01 DS601.02")
        expect(quiz.locator('ul.chosen li[data-code="DS601.01"]')).to_contain_text(standard.criteria["DS601.01"].text)

        map_activity(page, ASSIGN, "performance", "passed", pick(ASSIGN, "dg101", "DG101"))

        def type_codes(page: Page) -> None:
            slot = page.locator(f'section.activity[data-activity="cmid:{PAGE}"] details.slot').first
            slot.locator(f'input[type=checkbox][value="{VIEWED}"]').check()
            slot.locator("input.targets").press_sequentially("DG102.01")
            expect(slot.locator('ul.chosen li[data-code="DG102.01"]')).to_contain_text(
                standard.criteria["DG102.01"].text)
        map_activity(page, PAGE, "knowledge", "verbs", type_codes)
        page.locator("#save-mapping").click()
        expect(page.locator("p.flash").first).to_contain_text("Saved as revision 1.")

        with sessionmaker() as db:
            key, secret = xapi.create_credential(db, name="moodle", scopes=["statements/write"], now=utcnow())
            db.commit()
        statements = [
            quiz_attempt(site, "3", "Sam Student", 90),  # ≥ 80 %: evidence
            moodle_statement("mod_page__course_module_viewed__existing_module.json", site, PAGE, "3", "Sam Student"),
            quiz_attempt(site, "5", "Lee Learner", 50),  # below the threshold: work started only
            moodle_statement("mod_assign__assignment_graded__existing_assignment_graded_nocomment.json", site,
                             ASSIGN, "5", "Lee Learner",
                             {"success": True, "score": {"raw": 85, "min": 0, "max": 100, "scaled": 0.7}}),
        ]
        posted = requests.post(f"{url}/xapi/statements", json=statements, auth=(key, secret), timeout=10,
                               headers={"X-Experience-API-Version": "1.0.3"})
        assert posted.status_code == 200, posted.text

        # What the mapping implies, from the standard: the mapped units' criteria no activity reaches are gaps.
        mapped = expand_targets([code for codes in TARGETS.values() for code in codes], standard)
        units = [u for u in standard.units if set(standard.units[u].criteria) & mapped]
        gaps = {u: [c for c in standard.units[u].criteria if c not in mapped] for u in units}
        criteria = [c for u in units for c in standard.units[u].criteria]
        quiz_codes = expand_targets(TARGETS[QUIZ], standard)
        sam = expected_states(quiz_codes | expand_targets(TARGETS[PAGE], standard), set(), criteria)
        lee = expected_states(expand_targets(TARGETS[ASSIGN], standard), set(quiz_codes), criteria)

        api = page.request.get(f"{url}/api/courses/{course}/coverage")
        assert api.status == 200
        report = api.json()
        assert {u["code"]: u["gaps"] for u in report["units"]} == gaps
        learners = {learner["name"]: learner["criteria"] for learner in report["learners"]}
        assert learners == {"Sam Student": sam, "Lee Learner": lee}

        page.goto(f"{url}/course/{course}/coverage")
        for unit, codes in gaps.items():
            expect(page.locator(f'tr[data-unit="{unit}"] td[data-gaps]')).to_have_text(str(len(codes)))
        shown_gaps = page.locator("table.matrix tr.gap").evaluate_all("rows => rows.map(r => r.dataset.criterion)")
        assert shown_gaps == [c for codes in gaps.values() for c in codes]
        columns = page.locator("table.progress thead th.crit").evaluate_all("ths => ths.map(t => t.dataset.criterion)")
        ids = {learner["name"]: learner["id"] for learner in report["learners"]}
        for name, states in (("Sam Student", sam), ("Lee Learner", lee)):
            row = page.locator(f'table.progress tr[data-learner="{ids[name]}"]')
            expect(row.locator("th")).to_contain_text(name)
            cells = row.locator("td").evaluate_all("cells => cells.map(c => c.className)")
            assert {code: SHOWN[cell] for code, cell in zip(columns, cells, strict=True)} == states


# --- issue 16: each activity offers the outcomes its module reports ------------------------------------

OUTCOME_TEXT = {
    "th": {"quiz_group": "สิ่งที่ Moodle รายงานสำหรับแบบทดสอบ", "quiz": ["ทำแบบทดสอบเสร็จและส่งคำตอบแล้ว", "ได้คะแนน ≥ เกณฑ์"],
           "assign_group": "สิ่งที่ Moodle รายงานสำหรับงานมอบหมาย",
           "assign": ["ส่งงานแล้ว", "ผู้สอนให้คะแนนแล้ว คะแนน ≥ เกณฑ์"],
           "submitted_hint": "นับเมื่อ Moodle รายงานว่าผู้เรียนส่งงานหรือส่งคำตอบแล้ว",
           "graded_hint": "นับเมื่อคะแนนที่ผู้สอนให้ไม่น้อยกว่าเกณฑ์", "saved": "บันทึกเป็นฉบับที่ 1 แล้ว"},
    "en": {"quiz_group": "What Moodle reports for a quiz", "quiz": ["attempt finished", "score ≥ threshold"],
           "assign_group": "What Moodle reports for an assignment",
           "assign": ["assignment submitted", "graded, score ≥ threshold"],
           "submitted_hint": "Counts when Moodle reports the learner's submission.",
           "graded_hint": "Counts when the teacher's grade is at least the threshold", "saved": "Saved as revision 1."},
}


def first_options(slot: Any) -> tuple[str, list[str]]:
    group = slot.locator("select.rule optgroup").first
    return group.get_attribute("label") or "", group.locator("option").all_text_contents()


@pytest.mark.browser
@pytest.mark.parametrize("language", ["th", "en"])
def test_the_editor_offers_each_modules_outcomes_and_saves_them(app: Flask, language: str, tmp_path: Path) -> None:
    shots = Path(os.environ.get("SAMATTHA_SHOTS") or tmp_path)
    sessionmaker = app.extensions["samattha.sessionmaker"]
    with sessionmaker() as db:
        for doc in shipped_documents():
            catalog.import_document(db, doc, now=utcnow())
        db.commit()
    text = OUTCOME_TEXT[language]
    platform = MoodlePlatform()
    customise(platform, lambda p: p[LTI + "launch_presentation"].update(locale=language))
    with browser_site(app, platform) as env, chromium() as browser:
        site, url = platform.url, env.url
        page = browser.new_page(viewport={"width": 1366, "height": 900})
        page.goto(f"{site}/mod/lti/launch.php?id=2&user=4")
        expect(page.locator('h1.lti-page[data-role="coordinator"]')).to_be_visible(timeout=15000)
        page.goto(f"{url}/course/{env.course().id}/mapping")
        page.set_input_files("input[name=backup]", str(BACKUP))
        page.locator("#upload-backup").click()
        expect(page.locator("p.flash").first).to_be_visible()

        quiz = page.locator(f'section.activity[data-activity="cmid:{QUIZ}"] details.slot').first
        assign = page.locator(f'section.activity[data-activity="cmid:{ASSIGN}"] details.slot').first
        # A new activity starts from its module's natural outcome, in the page's language.
        expect(quiz.locator("select.rule")).to_have_value("finished")
        expect(assign.locator("select.rule")).to_have_value("submitted")
        assert first_options(quiz) == (text["quiz_group"], text["quiz"])
        assert first_options(assign) == (text["assign_group"], text["assign"])

        assign.locator(":scope > summary").click()
        expect(assign.locator(".rule-hint")).to_have_text(text["submitted_hint"])
        expect(assign.locator("input.threshold")).to_be_hidden()
        assign.locator("select.rule").select_option("graded")
        expect(assign.locator("input.threshold")).to_be_visible()
        expect(assign.locator(".rule-hint")).to_contain_text(text["graded_hint"])
        assign.locator("input.threshold").fill("60")
        assign.locator("input.targets").press_sequentially("DG101")
        quiz.locator(":scope > summary").click()
        expect(quiz.locator("input.threshold")).to_be_hidden()
        pick(QUIZ, "DS601", "DS601.01")(page)
        page.screenshot(path=str(shots / f"editor-{language}-1366.png"), full_page=True)
        page.set_viewport_size({"width": 390, "height": 844})
        assign.scroll_into_view_if_needed()
        page.screenshot(path=str(shots / f"editor-{language}-390.png"), full_page=True)

        page.locator("#save-mapping").click()
        expect(page.locator("p.flash").first).to_contain_text(text["saved"])
        saved_assign = page.locator(f'section.activity[data-activity="cmid:{ASSIGN}"] details.slot').first
        expect(saved_assign.locator("select.rule")).to_have_value("graded")
        expect(saved_assign.locator("input.threshold")).to_have_value("60")
        with sessionmaker() as db:
            course = db.scalars(select(Course).filter_by(context_id="2")).one()
            mapping = store.current_mapping(db, course, store.standard_index(db))
        assert mapping is not None
        assert {e.cmid: (e.rule, e.targets) for e in mapping.entries} == {
            ASSIGN: (Rule("graded", 0.6), ("DG101",)), QUIZ: (Rule("finished"), ("DS601.01",))}
