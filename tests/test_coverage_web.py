"""Coverage page, CSV, SVG and JSON API after real launches against the Moodle-like platform, with
Moodle-shaped statements posted to the LRS; only the course's coordinators get in."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests
from flask import Flask
from sqlalchemy import select

from plugin.mapping.files import load_mapping
from plugin.mapping.store import save_mapping, standard_index
from plugin.models import Course
from tests.lrs_support import headers, issue
from tests.lti_platform import LTI
from tests.test_coverage import STANDARD
from tests.test_lti_flow import Env, customise, env_fixture

assert env_fixture  # the `env` fixture, shared with test_lti_flow

EXAMPLE = Path(__file__).resolve().parent.parent / "mappings" / "example-dg-opsr-023.toml"
T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
VIEWED = "http://id.tincanapi.com/verb/viewed"


def moodle_statement(www: str, user: str, verb: str, obj: str, parents: list[str], **extra: Any) -> dict[str, Any]:
    return {"actor": {"account": {"homePage": www, "name": user}, "name": f"User {user}"}, "verb": {"id": verb},
            "object": {"id": obj, "objectType": "Activity"},
            "context": {"platform": "Moodle", "contextActivities": {"parent": [{"id": p} for p in parents]}},
            **extra}


def setup_course(env: Env, app: Flask) -> tuple[requests.Session, requests.Session, int]:
    teacher, student = requests.Session(), requests.Session()
    assert env.launch("4", teacher).status_code == 200
    assert env.launch("3", student).status_code == 200
    www = env.platform.url
    with env.db() as db:
        course = db.scalars(select(Course).filter_by(context_id="2")).one()
        index = standard_index(db)
        text = EXAMPLE.read_text(encoding="utf-8").replace("http://127.0.0.1:8081", www)
        save_mapping(db, course, load_mapping(text, standard=index), index, author=None, now=T0, source="file")
        db.commit()
        course_pk = course.id
    course_iri, section = f"{www}/course/view.php?id=2", f"{www}/course/section.php?id=1"
    page, quiz = f"{www}/mod/page/view.php?id=3", f"{www}/mod/quiz/view.php?id=6"
    attempt = f"{www}/mod/quiz/attempt.php?attempt=1&cmid=6"
    score = {"score": {"raw": 5, "min": 0, "max": 10, "scaled": 0.0}, "completion": True}
    statements = [
        moodle_statement(www, "3", VIEWED, page, [section, course_iri]),
        moodle_statement(www, "3", "http://adlnet.gov/expapi/verbs/completed", attempt, [quiz, section, course_iri],
                         result=score),
        moodle_statement(www, "9", VIEWED, page, [section, course_iri]),  # a Moodle user who never launched
        moodle_statement(www, "4", VIEWED, page, [section, course_iri]),  # the teacher: neither learner nor stranger
        {"actor": {"mbox": "mailto:visitor@example.org"}, "verb": {"id": VIEWED},
         "object": {"id": page}, "context": {"contextActivities": {"parent": [{"id": course_iri}]}}},
        moodle_statement(www, "3", VIEWED, f"{www}/mod/page/view.php?id=3",
                         [f"{www}/course/view.php?id=99"]),  # another course: not this one's
    ]
    client = app.test_client()
    assert client.post("/xapi/statements", json=statements, headers=headers(*issue(app, "all"))).status_code == 200
    return teacher, student, course_pk


def test_coordinator_sees_gaps_progress_and_unmatched(env: Env, app: Flask, standard: object) -> None:
    teacher, _, pk = setup_course(env, app)
    data = teacher.get(f"{env.url}/api/courses/{pk}/coverage", timeout=10).json()
    assert data["course"] == {"id": pk, "context_id": "2", "title": "LTI Lab Course"}
    assert data["mapping_version"] == 1
    units = {u["code"]: u for u in data["units"]}
    assert set(units) == {"DG-OPSR-023", "DG100"}
    assert units["DG-OPSR-023"]["gaps"] == [] and units["DG100"]["gaps"] == ["DG102.02"]
    assert data["matrix"]["DG102.02"] == [] and data["matrix"]["DS601.01"][0] == "cmid:6"
    learners = {row["id"]: row for row in data["learners"]}
    student = next(row for row in data["learners"] if row["name"] == "Sam Student")
    assert student["launched"] and student["criteria"]["DG102.01"] == "evidenced"
    assert student["criteria"]["DS601.01"] == "some"  # 5/10 is below the quiz's 0.8
    assert student["criteria"]["DG102.02"] == "none"
    # Moodle user 9 never launched: the LRS shows them acting in the course, so they are a learner like any other.
    never = next(row for row in learners.values() if row["name"] == "User 9")
    assert not never["launched"] and never["criteria"]["DG102.01"] == "evidenced"
    assert not any(row["name"] == "Tina Teacher" for row in data["learners"])
    [stranger] = data["unmatched"]
    assert stranger["actor"]["mbox"] == "mailto:visitor@example.org" and stranger["verb"] == VIEWED
    assert stranger["stored"] and stranger["id"]

    page = teacher.get(f"{env.url}/course/{pk}/coverage", timeout=10)
    assert page.status_code == 200 and "Mapping version 1 ·" in page.text  # in the page's language, like the rest
    assert 'data-criterion="DG102.02"' in page.text and 'class="gap"' in page.text
    assert f'data-learner="{never["id"]}"' in page.text and "mailto:visitor@example.org" in page.text
    matrix = teacher.get(f"{env.url}/course/{pk}/coverage/matrix.csv", timeout=10)
    rows = list(csv.reader(io.StringIO(matrix.content.decode("utf-8-sig"))))
    assert matrix.headers["Content-Type"].startswith("text/csv")
    assert next(r for r in rows if r[2] == "DG102.02")[-1] == "0"
    progress = teacher.get(f"{env.url}/course/{pk}/coverage/progress.csv", timeout=10)
    prows = list(csv.DictReader(io.StringIO(progress.content.decode("utf-8-sig"))))
    assert next(r for r in prows if r["learner"] == never["id"])["DG102.01"] == "evidenced"
    svg = teacher.get(f"{env.url}/course/{pk}/coverage/progress.svg", timeout=10)
    assert svg.headers["Content-Type"].startswith("image/svg+xml") and "Sam Student" in svg.text


def test_learners_other_courses_and_strangers_are_refused_everywhere(env: Env, app: Flask, standard: object) -> None:
    teacher, student, pk = setup_course(env, app)
    with env.db() as db:
        other = Course(issuer=env.platform.url, context_id="5", title="Other", updated_at=T0)
        db.add(other)
        db.commit()
        other_pk = other.id
    paths = ["/course/{pk}/coverage", "/course/{pk}/coverage/matrix.csv", "/course/{pk}/coverage/progress.csv",
             "/course/{pk}/coverage/progress.svg", "/api/courses/{pk}/coverage"]
    for path in paths:
        assert student.get(env.url + path.format(pk=pk), timeout=10).status_code == 403, path
        assert teacher.get(env.url + path.format(pk=other_pk), timeout=10).status_code == 403, path
        assert requests.get(env.url + path.format(pk=pk), timeout=10).status_code == 401, path
        assert teacher.get(env.url + path.format(pk=pk), timeout=10).status_code == 200, path
    denied = student.get(f"{env.url}/api/courses/{pk}/coverage", timeout=10)
    assert denied.json() == {"error": "Forbidden", "message": f"course {pk}: needs the role coordinator in it"}
    missing = teacher.get(f"{env.url}/api/courses/999999/coverage", timeout=10)
    assert missing.status_code == 404 and missing.json() == {"error": "Not Found",
                                                             "message": "course: no course has the id 999999"}


def test_the_page_reads_in_thai_filters_and_says_which_filter_it_cannot_apply(env: Env, app: Flask,
                                                                               standard: object) -> None:
    customise(env.platform, lambda p: p[LTI + "launch_presentation"].update(locale="th"))
    teacher, _, pk = setup_course(env, app)
    page = teacher.get(f"{env.url}/course/{pk}/coverage", timeout=10).text
    # Headers grouped unit › element › criterion, each criterion's text on a focusable number.
    assert '<th scope="colgroup" colspan="4" class="group" title="DG100 ' in page
    assert 'aria-describedby="crit-DG102.02">02</button>' in page
    assert f'id="crit-DG102.02">DG102.02: {STANDARD.criteria["DG102.02"].text}</span>' in page
    # The never-launched learner is marked once with a dagger, explained once, not on every row.
    assert page.count("พบในบันทึกการเรียนรู้ แต่ยังไม่เคยเปิด Samattha") == 2  # the note, and the dagger's title
    assert "ผู้เรียนคนที่ 1–2 จาก 2 คน" in page and "ผู้เรียนที่มีหลักฐาน" in page
    assert "จำนวนเกณฑ์ที่มีหลักฐานในแต่ละสัปดาห์" in page and 'data-week="' in page  # the weekly chart
    assert "สัดส่วนผู้เรียนที่มีหลักฐาน แยกตามเกณฑ์" in page and 'class="heat"' in page

    found = teacher.get(f"{env.url}/course/{pk}/coverage", params={"q": "sam", "status": "in_progress"}, timeout=10)
    assert found.status_code == 200 and "Sam Student" in found.text and "User 9" not in found.text
    assert "ผู้เรียนคนที่ 1–1 จาก 1 คน" in found.text
    nobody = teacher.get(f"{env.url}/course/{pk}/coverage", params={"status": "complete"}, timeout=10)
    assert "ไม่มีผู้เรียนที่ตรงกับเงื่อนไข" in nobody.text

    bad = teacher.get(f"{env.url}/course/{pk}/coverage", params={"unit": "DG999"}, timeout=10)
    assert bad.status_code == 400 and "unit: รายงานของรายวิชานี้ไม่มีหน่วย DG999" in bad.text
    assert 'id="cov-error" role="alert" tabindex="-1" autofocus' in bad.text
    assert teacher.get(f"{env.url}/course/{pk}/coverage", params={"page": "-1"}, timeout=10).status_code == 400


def test_the_csv_keeps_every_row_in_the_pages_language_and_zone(env: Env, app: Flask, standard: object) -> None:
    customise(env.platform, lambda p: p[LTI + "launch_presentation"].update(locale="th"))
    teacher, _, pk = setup_course(env, app)
    progress = teacher.get(f"{env.url}/course/{pk}/coverage/progress.csv", timeout=10)
    rows = list(csv.reader(io.StringIO(progress.content.decode("utf-8-sig"))))
    assert rows[0][:2] == ["รหัสผู้เรียน", "ชื่อ"]
    assert rows[0][-1].startswith("มีหลักฐานเพิ่มล่าสุด (เวลา") and "Asia/Bangkok (UTC+07:00)" in rows[0][-1]
    assert len(rows) == 1 + 2  # both learners, whatever the page shows
    sam = next(r for r in rows if r[1] == "Sam Student")
    assert sam[rows[0].index("DG102.01")] == "มีหลักฐานแล้ว" and sam[rows[0].index("DG102.02")] == "ยังไม่มีหลักฐาน"
    assert sam[-1].endswith(" น.") and str(datetime.now(UTC).year + 543) in sam[-1]  # Thai time, Buddhist year
    svg = teacher.get(f"{env.url}/course/{pk}/coverage/progress.svg", timeout=10).text
    assert "ความก้าวหน้าของผู้เรียนตามเกณฑ์การปฏิบัติงาน" in svg and "ผู้เรียน ↓" in svg and "มีหลักฐานแล้ว" in svg
