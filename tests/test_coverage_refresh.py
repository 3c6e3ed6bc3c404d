"""A large course's first coverage view after a mapping change answers at once from the last figures, says they
are being refreshed, and one background recount (one per course, however many coordinators ask) brings the exact
figures: the same a synchronous count of every statement gives."""

from __future__ import annotations

import logging
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import delete, select, update

from plugin.clock import utcnow
from plugin.launch.access import USER_KEY
from plugin.mapping.files import load_mapping
from plugin.mapping.store import save_mapping, standard_index
from plugin.models import Course, User
from plugin.models.mapping import CoverageProgress
from tests.test_coverage_cache import ROOT, T0, lab_statements, make_course, store

QUIZ_TARGETS = 'targets = ["DS601.01", "DS601.02", "DS601.03", "DG-OPSR-023.KE1"]'
ASSIGN_RULE = 'rule = { kind = "score", threshold = 0.6 }'
REFRESH_LOG = "refreshing coverage of course"


def set_up(app: Flask, background_at: int = 3) -> tuple[FlaskClient, int, dict[str, str]]:
    """A course of two learners with the lab's quiz and assignment statements (24 statement links), its coverage
    recounted in the background above ``background_at`` links; the coordinator's client, the course, and the
    learners' keys by Moodle user."""
    app.config["SAMATTHA"] = app.config["SAMATTHA"].with_overrides(coverage_background_at=background_at)
    with app.extensions["samattha.sessionmaker"]() as db:
        course, _, teacher = make_course(db)
        store(db, [*lab_statements("3", "Sam"), *lab_statements("4")], datetime.now(UTC) - timedelta(hours=1))
        users = {subject: str(pk) for pk, subject in db.execute(select(User.id, User.subject))}
        course_pk, teacher_pk = course.id, teacher.id
    client = app.test_client()
    with client.session_transaction() as flask_session:
        flask_session[USER_KEY] = teacher_pk
    return client, course_pk, users


def coverage(client: FlaskClient, course_pk: int) -> dict[str, Any]:
    response = client.get(f"/api/courses/{course_pk}/coverage")
    assert response.status_code == 200
    document: dict[str, Any] = response.get_json()
    return document


def statuses(document: dict[str, Any]) -> dict[str, dict[str, str]]:
    return {row["id"]: row["criteria"] for row in document["learners"]}


def exact(app: Flask, client: FlaskClient, course_pk: int) -> dict[str, Any]:
    """Ask until the figures are no longer being refreshed and the refresh let go of its claim (bounded)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        document = coverage(client, course_pk)
        with app.extensions["samattha.sessionmaker"]() as db:
            claim = db.scalar(select(CoverageProgress.refreshing_since).where(CoverageProgress.course_id == course_pk))
        if not document["refreshing"] and claim is None:
            return document
        time.sleep(0.1)
    raise AssertionError("the coverage refresh did not finish in 60 s")


def change_mapping(app: Flask, course_pk: int) -> None:
    """Version 2: the assignment's pass mark 0.6 → 0.9 (Sam's 85 % no longer meets it), and the quiz also counts
    for DS602.01 (the same activity and rule: its figures still hold)."""
    text = (ROOT / "mappings" / "example-dg-opsr-023.toml").read_text("utf-8")
    assert QUIZ_TARGETS in text and ASSIGN_RULE in text
    text = text.replace(QUIZ_TARGETS, QUIZ_TARGETS.replace('"DS601.01"', '"DS601.01", "DS602.01"'))
    text = text.replace(ASSIGN_RULE, ASSIGN_RULE.replace("0.6", "0.9")).replace("version = 1", "version = 2")
    with app.extensions["samattha.sessionmaker"]() as db:
        course = db.get(Course, course_pk)
        assert course is not None
        index = standard_index(db)
        save_mapping(db, course, load_mapping(text, standard=index), index, author=None, now=T0, source="file")
        db.commit()


def synchronous(app: Flask, client: FlaskClient, course_pk: int) -> dict[str, Any]:
    """The reference: the row forgotten and every statement counted inside the request."""
    app.config["SAMATTHA"] = app.config["SAMATTHA"].with_overrides(coverage_background_at=10**9)
    with app.extensions["samattha.sessionmaker"]() as db:
        db.execute(delete(CoverageProgress).where(CoverageProgress.course_id == course_pk))
        db.commit()
    document = coverage(client, course_pk)
    assert document["refreshing"] is False and document["figures_as_of"] is None
    return document


def test_first_view_after_a_mapping_change_shows_the_last_figures_then_the_exact_ones(
    app: Flask, standard: object, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="plugin.evidence")
    client, course_pk, users = set_up(app)
    sam, four = users["3"], users["4"]

    # Never counted: no learner figures yet, and the page says they are being counted.
    first = coverage(client, course_pk)
    assert first["refreshing"] is True and first["figures_as_of"] is None
    assert all(status == "none" for row in statuses(first).values() for status in row.values())
    assert first["units"] and "cmid:6" in first["matrix"]["DS601.01"]  # the mapping's own part is current
    before = exact(app, client, course_pk)
    assert statuses(before)[sam]["DS601.01"] == statuses(before)[sam]["DG101.01"] == "evidenced"
    with app.extensions["samattha.sessionmaker"]() as db:
        watermark = db.scalar(select(CoverageProgress.watermark_us).where(CoverageProgress.course_id == course_pk))
    assert watermark is not None

    change_mapping(app, course_pk)
    stale = coverage(client, course_pk)
    assert stale["refreshing"] is True and stale["mapping_version"] == 2
    as_of = datetime.fromtimestamp(watermark / 1e6, UTC).isoformat().replace("+00:00", "Z")
    assert stale["figures_as_of"] == as_of
    for learner in (sam, four):
        shown = statuses(stale)[learner]
        assert shown["DS601.01"] == "evidenced"  # the quiz did not change
        assert shown["DS602.01"] == "evidenced"  # nor did it, only what it counts for
        assert shown["DG101.01"] == "none"  # the assignment's new pass mark is not counted yet

    fresh = exact(app, client, course_pk)
    assert fresh["figures_as_of"] is None
    assert statuses(fresh)[sam]["DG101.01"] == "some"  # 85 % is under 90 %: worked on, not met
    assert fresh == synchronous(app, client, course_pk)
    assert sum(REFRESH_LOG in record.getMessage() for record in caplog.records) == 2


@pytest.mark.parametrize("language", ["th", "en"])
def test_the_page_says_the_figures_are_being_refreshed(app: Flask, standard: object, language: str) -> None:
    client, course_pk, _ = set_up(app)
    exact(app, client, course_pk)
    change_mapping(app, course_pk)
    page = client.get(f"/course/{course_pk}/coverage", headers={"Accept-Language": language})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'id="cov-refreshing"' in html
    # The time is the organisation's (the page's footer names the zone).
    words = {"th": ("กำลังปรับปรุงตัวเลขของผู้เรียน", "ยังไม่ถูกนับ", " น. กิจกรรม"),
             "en": ("Learner figures are being refreshed.", "not counted yet", "as of ")}[language]
    assert all(word in html for word in words), html[html.find("cov-refreshing"):][:800]
    exact(app, client, course_pk)
    assert 'id="cov-refreshing"' not in client.get(f"/course/{course_pk}/coverage").get_data(as_text=True)


def test_coordinators_asking_at_once_start_one_refresh(
    app: Flask, standard: object, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="plugin.evidence")
    client, course_pk, _ = set_up(app)
    exact(app, client, course_pk)
    change_mapping(app, course_pk)
    caplog.clear()
    with client.session_transaction() as flask_session:
        teacher = flask_session[USER_KEY]
    gate, answers = threading.Barrier(4), []

    def ask() -> None:
        other = app.test_client()
        with other.session_transaction() as flask_session:
            flask_session[USER_KEY] = teacher
        gate.wait()
        answers.append(other.get(f"/api/courses/{course_pk}/coverage").status_code)

    threads = [threading.Thread(target=ask) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == [200] * 4
    exact(app, client, course_pk)
    assert sum(REFRESH_LOG in record.getMessage() for record in caplog.records) == 1


def test_a_refresh_claimed_long_ago_is_taken_over(
    app: Flask, standard: object, caplog: pytest.LogCaptureFixture
) -> None:
    """A worker that died mid-count leaves its claim: for 15 minutes the page keeps the last figures (another
    worker may still be counting); after that the next view counts afresh."""
    caplog.set_level(logging.INFO, logger="plugin.evidence")
    client, course_pk, _ = set_up(app)
    exact(app, client, course_pk)
    change_mapping(app, course_pk)

    def claim(age: timedelta) -> None:
        with app.extensions["samattha.sessionmaker"]() as db:
            db.execute(update(CoverageProgress).where(CoverageProgress.course_id == course_pk)
                       .values(refreshing_since=utcnow() - age))
            db.commit()

    caplog.clear()
    claim(timedelta(minutes=14))
    assert coverage(client, course_pk)["refreshing"] is True
    assert coverage(client, course_pk)["refreshing"] is True
    assert not any(REFRESH_LOG in record.getMessage() for record in caplog.records)

    claim(timedelta(minutes=16))
    fresh = exact(app, client, course_pk)
    assert sum(REFRESH_LOG in record.getMessage() for record in caplog.records) == 1
    assert fresh == synchronous(app, client, course_pk)


def test_a_small_course_is_counted_inside_the_request(app: Flask, standard: object) -> None:
    """Below SAMATTHA_COVERAGE_BACKGROUND_AT nothing changes: the first answer after a mapping change is exact."""
    client, course_pk, users = set_up(app, background_at=1000)
    assert coverage(client, course_pk)["refreshing"] is False
    change_mapping(app, course_pk)
    document = coverage(client, course_pk)
    assert document["refreshing"] is False and document["figures_as_of"] is None
    assert statuses(document)[users["3"]]["DG101.01"] == "some"


@pytest.mark.browser
@pytest.mark.parametrize("language", ["th", "en"])
def test_the_note_reads_fits_and_passes_axe_in_chromium(app: Flask, language: str) -> None:
    """At a desktop's and a phone's width, with 60 learners: the note sits above the figures, in the page's
    language, and the page neither scrolls sideways nor shows axe-core a serious violation. Screenshots go to
    SAMATTHA_SHOTS_DIR when it is set."""
    from dataclasses import replace

    from playwright.sync_api import expect

    from plugin.mapping.model import Rule
    from plugin.mapping.store import current_mapping
    from plugin.standards import catalog
    from plugin.standards.sources import shipped_documents
    from tests.browser import chromium, page_problems
    from tests.lti_platform import MoodlePlatform
    from tests.test_coverage_browser import _coordinator, _course_with_crowd
    from tests.test_lti_flow import browser_site

    maker = app.extensions["samattha.sessionmaker"]

    def settle(page: Any) -> None:
        """Reload until the recount is done and its claim let go (bounded)."""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with maker() as db:
                claim = db.scalar(select(CoverageProgress.refreshing_since))
            if not page.locator("#cov-refreshing").count() and claim is None:
                return
            time.sleep(0.2)
            page.reload()
        raise AssertionError("the coverage refresh did not finish in 60 s")

    with maker() as db:
        for doc in shipped_documents():
            catalog.import_document(db, doc, now=utcnow())
        db.commit()
    app.config["SAMATTHA"] = app.config["SAMATTHA"].with_overrides(coverage_background_at=3)
    with browser_site(app, MoodlePlatform()) as env, chromium() as browser:
        page = _coordinator(browser, env, language)
        course_pk = _course_with_crowd(app, env)
        found: list[str] = []
        for width, verb in ((1366, "experienced"), (390, "attended")):
            page.goto(f"{env.url}/course/{course_pk}/coverage")
            settle(page)
            with maker() as db:  # the page's activity (cmid 3) now counts another verb: a new mapping
                course = db.get(Course, course_pk)
                assert course is not None
                index = standard_index(db)
                mapping = current_mapping(db, course, index)
                assert mapping is not None
                entries = tuple(replace(e, rule=Rule("verbs", verbs=(f"http://adlnet.gov/expapi/verbs/{verb}",)))
                                if e.cmid == 3 else e for e in mapping.entries)
                save_mapping(db, course, replace(mapping, entries=entries), index, author=None, now=utcnow(),
                             source="file")
                db.commit()
            page.set_viewport_size({"width": width, "height": 900})
            page.goto(f"{env.url}/course/{course_pk}/coverage")
            note = page.locator("#cov-refreshing")
            expect(note).to_be_visible()
            expect(note).to_contain_text("กำลังปรับปรุงตัวเลขของผู้เรียน" if language == "th"
                                         else "Learner figures are being refreshed.")
            shown = page_problems(page, f"coverage-refreshing-{language}-{width}")
            found += [f"{width}: {problem}" for problem in shown]
        settle(page)  # the refresh is done before the database is emptied
        assert not found, found
