"""The assessor's caseload (issue 19) through the app: every learner with each unit's judgement state, filtered,
sorted, searched and paged by the query string; previous and next learner on the portfolio page in the
caseload's order; a learner's request to be assessed again, shown until a judgement answers it. Snapshots are
written the way compile runs write them (plugin.portfolios.repository.insert_snapshots)."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text

import lti
from plugin.clock import utcnow
from plugin.db import make_engine
from plugin.launch import access
from plugin.migrate import upgrade
from plugin.models import AssessorAppointment, Course, Enrolment, User
from plugin.models.portfolios import PortfolioSnapshot
from plugin.portfolios import repository
from tests.conftest import FreshDatabases

ISSUER = "https://moodle.example.go.th"
UNITS = ("DG100", "DG200")
LEARNERS = 60  # more than a page (50)


def document(name: str, subject: str, evidenced: int, newest: str) -> dict[str, Any]:
    """A compiled portfolio's shape (SCHEMA.md): two units of two criteria each; ``evidenced`` of the four."""
    units, left = [], evidenced
    for code in UNITS:
        criteria = []
        for n in (1, 2):
            status = "evidenced" if left > 0 else "none"
            left -= 1
            criteria.append({"code": f"{code}.0{n}", "number": str(n), "text": f"เกณฑ์ {code}.0{n}", "status": status,
                             "current": True, "evidence": [{"statement": f"s-{subject}", "counts": True}]
                             if status == "evidenced" else []})
        done = sum(c["status"] == "evidenced" for c in criteria)
        summary = {"none": 2 - done, "some": 0, "evidenced": done, "total": 2, "fraction_evidenced": done / 2}
        units.append({"code": code, "title": f"หน่วย {code}", "summary": summary, "knowledge_evidence": [],
                      "performance_evidence": [], "elements": [{"code": f"{code}.0", "title": "องค์ประกอบ",
                                                                "assessment_methods": [], "summary": summary,
                                                                "criteria": criteria}]})
    return {"format": "samattha-portfolio/1", "as_of": "2026-12-01T00:00:00.000Z", "currency_days": 730,
            "learner": {"id": subject, "name": name, "actor": {"account": {"homePage": ISSUER, "name": subject}}},
            "course": {"id": "2", "title": "Digital", "label": "DG", "wwwroot": ISSUER, "mapping_version": 1},
            "standard": [], "units": units,
            "evidence": [{"id": f"s-{subject}", "activity": f"{ISSUER}/mod/quiz/view.php?id=1", "activity_name": "Quiz",
                          "verb": {"id": "http://adlnet.gov/expapi/verbs/passed", "display": "passed"},
                          "result": {"score": 1.0, "success": True, "completion": True}, "timestamp": newest,
                          "stored": newest, "source": "moodle", "age_days": 1, "current": True,
                          "activities": []}] if evidenced else []}


@dataclass
class World:
    course: int
    other: int
    assessor: int
    learners: dict[str, int]  # name -> user id


def snapshot(db: Any, course: Course, learner: int, doc: dict[str, Any], number: int) -> None:
    text = json.dumps(doc, sort_keys=True, ensure_ascii=False)
    repository.insert_snapshots(db, [{
        "course_id": course.id, "learner_id": learner, "number": number,
        "content_hash": hashlib.sha256(text.encode()).hexdigest(), "mapping_version": 1,
        "as_of": datetime(2026, 12, 1, tzinfo=UTC), "created_at": utcnow(), "run_id": None, "document": text}])


@pytest.fixture
def world(app: Flask) -> Iterator[World]:
    now = utcnow()
    with app.extensions["samattha.sessionmaker"]() as db:
        course = Course(issuer=ISSUER, context_id="2", title="Digital", updated_at=now)
        other = Course(issuer=ISSUER, context_id="3", title="Other", updated_at=now)
        db.add_all([course, other])
        db.flush()

        def person(subject: str, name: str, where: Course, role: str) -> User:
            user = User(issuer=ISSUER, subject=subject, name=name, created_at=now,
                        xapi_actor={"account": {"homePage": ISSUER, "name": subject}})
            db.add(user)
            db.flush()
            db.add(Enrolment(course_id=where.id, user_id=user.id, roles=[role], launch_roles=[role], source="nrps",
                             updated_at=now))
            return user

        ann = person("a", "Ann Assessor", course, lti.ROLE_LEARNER)
        db.add(AssessorAppointment(course_id=course.id, user_id=ann.id, appointed_at=now))
        learners = {}
        for i in range(LEARNERS):
            name = f"ผู้เรียน {i:02d}"
            user = person(f"l{i}", name, course, lti.ROLE_LEARNER)
            learners[name] = user.id
            if i < LEARNERS - 1:  # the last has nothing compiled yet
                newest = (datetime(2026, 11, 1, tzinfo=UTC) + timedelta(days=i)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
                snapshot(db, course, user.id, document(name, f"l{i}", i % 5, newest), 1)
        person("x", "Someone Elsewhere", other, lti.ROLE_LEARNER)
        db.commit()
        yield World(course.id, other.id, ann.id, learners)


def sign_in(client: FlaskClient, user: int, course: int, locale: str = "en") -> None:
    with client.session_transaction() as flask_session:
        flask_session[access.USER_KEY] = user
        flask_session[access.COURSE_KEY] = course
        flask_session[access.ADMIN_KEY] = []
        flask_session[access.LOCALE_KEY] = locale
        flask_session[access.CSRF_KEY] = "t"


def listed(page: str) -> list[str]:
    return re.findall(r'<a class="learner" href="[^"]+">([^<]+)</a>', page)


def states(page: str, name: str) -> dict[str, str]:
    [case] = [c for c in page.split('<li class="case"')[1:] if f">{name}</a>" in c]
    return dict(re.findall(r'<li data-unit="([^"]+)" data-state="(\w+)">', case))


def judge(client: FlaskClient, world: World, name: str, unit: str, outcome: str, query: str = "") -> Any:
    return client.post(f"/course/{world.course}/portfolios/{world.learners[name]}/judgements{query}",
                       data={"csrf": "t", "snapshot": "1", "unit": unit, "outcome": outcome,
                             "comments": "ขาดหลักฐานการปฏิบัติงาน" if outcome == "more_evidence" else ""})


def test_the_caseload_lists_every_learner_with_each_units_state_paged(app: Flask, world: World) -> None:
    client = app.test_client()
    sign_in(client, world.assessor, world.course)
    first = client.get(f"/course/{world.course}/portfolios").get_data(as_text=True)
    assert listed(first) == [f"ผู้เรียน {i:02d}" for i in range(50)]
    assert "60 of 60 learners" in first and "Page 1 of 2" in first
    assert states(first, "ผู้เรียน 03") == {"DG100": "none", "DG200": "none"}
    assert "3 of 4" in first[first.index(">ผู้เรียน 03</a>"):][:900]
    assert "Someone Elsewhere" not in first  # another course's learner
    second = client.get(f"/course/{world.course}/portfolios?page=2").get_data(as_text=True)
    assert listed(second) == [f"ผู้เรียน {i:02d}" for i in range(50, 60)]
    assert "No portfolio has been compiled" in second  # learner 59
    assert f'href="/course/{world.course}/portfolios/{world.learners["ผู้เรียน 55"]}' in second


def test_states_filters_and_sorts(app: Flask, world: World) -> None:
    client = app.test_client()
    sign_in(client, world.assessor, world.course)
    assert judge(client, world, "ผู้เรียน 01", "DG100", "competent").status_code == 303
    assert judge(client, world, "ผู้เรียน 02", "DG100", "more_evidence").status_code == 303
    assert judge(client, world, "ผู้เรียน 02", "DG200", "not_yet_competent").status_code == 303
    page = client.get(f"/course/{world.course}/portfolios").get_data(as_text=True)
    assert states(page, "ผู้เรียน 01") == {"DG100": "competent", "DG200": "none"}
    assert states(page, "ผู้เรียน 02") == {"DG100": "more_evidence", "DG200": "not_yet_competent"}

    def names(query: str) -> list[str]:
        answer = client.get(f"/course/{world.course}/portfolios?{query}")
        assert answer.status_code == 200, answer.get_data(as_text=True)
        return listed(answer.get_data(as_text=True))

    assert names("status=competent") == ["ผู้เรียน 01"]
    assert names("status=competent&unit=DG200") == []
    assert names("status=not_yet_competent&unit=DG200") == ["ผู้เรียน 02"]
    awaiting = names("status=awaiting")
    assert "ผู้เรียน 02" not in awaiting and "ผู้เรียน 01" in awaiting and "ผู้เรียน 59" not in awaiting
    assert names("status=awaiting&unit=DG100")[:3] == ["ผู้เรียน 00", "ผู้เรียน 03", "ผู้เรียน 04"]
    assert names("q=ผู้เรียน 1") == [f"ผู้เรียน {i}" for i in range(10, 20)]
    assert names("sort=-name")[0] == "ผู้เรียน 59"
    assert names("sort=-evidence")[0] == "ผู้เรียน 58"  # newest evidence first; 59 has none
    most = names("sort=-progress")
    assert most[:2] == ["ผู้เรียน 04", "ผู้เรียน 09"]  # 4 of 4 (i % 5 == 4), equals by name
    assert names("sort=progress")[0] == "ผู้เรียน 00"


@pytest.mark.parametrize("query, field, language", [
    ("status=maybe", "status", "en"), ("sort=age", "sort", "en"), ("page=0", "page", "en"), ("page=x", "page", "th"),
    ("q=" + "ก" * 201, "q", "th"),
])
def test_bad_query_values_are_refused_naming_the_field(app: Flask, world: World, query: str, field: str,
                                                       language: str) -> None:
    client = app.test_client()
    sign_in(client, world.assessor, world.course, language)
    learner = world.learners["ผู้เรียน 01"]
    for path in (f"/course/{world.course}/portfolios?{query}", f"/course/{world.course}/portfolios/{learner}?{query}"):
        answer = client.get(path)
        text = answer.get_data(as_text=True)
        assert answer.status_code == 400, path
        assert f"({field})" in text if language == "th" else text.startswith(f"{field}: ")


def test_a_changed_portfolio_shows_as_judged_but_changed_since(app: Flask, world: World) -> None:
    client = app.test_client()
    sign_in(client, world.assessor, world.course)
    name = "ผู้เรียน 02"  # DG100 fully evidenced
    assert judge(client, world, name, "DG100", "competent").status_code == 303
    with app.extensions["samattha.sessionmaker"]() as db:
        course = db.get(Course, world.course)
        assert course is not None
        # New evidence in DG200 only: the DG100 judgement still stands.
        snapshot(db, course, world.learners[name], document(name, "l2", 3, "2026-11-20T00:00:00.000Z"), 2)
        db.commit()
    page = client.get(f"/course/{world.course}/portfolios").get_data(as_text=True)
    assert states(page, name) == {"DG100": "competent", "DG200": "none"}
    with app.extensions["samattha.sessionmaker"]() as db:
        course = db.get(Course, world.course)
        assert course is not None
        changed = document(name, "l2", 3, "2026-11-21T00:00:00.000Z")
        changed["units"][0]["elements"][0]["criteria"][0]["evidence"][0]["statement"] = "s-new"
        snapshot(db, course, world.learners[name], changed, 3)
        db.commit()
    page = client.get(f"/course/{world.course}/portfolios?status=changed").get_data(as_text=True)
    assert listed(page) == [name] and states(page, name)["DG100"] == "changed"


def test_snapshots_stored_before_summaries_are_summarised_when_first_listed(app: Flask, world: World) -> None:
    with app.extensions["samattha.sessionmaker"]() as db:
        course = db.get(Course, world.course)
        assert course is not None
        old = document("ผู้เรียน 59", "l59", 4, "2026-12-02T00:00:00.000Z")
        db.add(PortfolioSnapshot(course_id=course.id, learner_id=world.learners["ผู้เรียน 59"], number=1,
                                 content_hash="0" * 64, mapping_version=1, as_of=utcnow(), created_at=utcnow(),
                                 document=old))
        db.commit()
    client = app.test_client()
    sign_in(client, world.assessor, world.course)
    page = client.get(f"/course/{world.course}/portfolios?q=59").get_data(as_text=True)
    assert listed(page) == ["ผู้เรียน 59"] and "4 of 4" in page and "2 Dec 2026" in page


def test_previous_and_next_follow_the_caseloads_order_and_survive_a_judgement(app: Flask, world: World) -> None:
    client = app.test_client()
    sign_in(client, world.assessor, world.course)
    query = "?status=awaiting&unit=DG100"
    for name in ("ผู้เรียน 01", "ผู้เรียน 02"):
        assert judge(client, world, name, "DG100", "competent").status_code == 303
    page = client.get(f"/course/{world.course}/portfolios/{world.learners['ผู้เรียน 03']}{query}")
    text = page.get_data(as_text=True)
    prev = re.search(r'<a rel="prev" href="([^"]+)"', text)
    after = re.search(r'<a rel="next" href="([^"]+)"', text)
    assert prev and after
    assert prev.group(1).startswith(f"/course/{world.course}/portfolios/{world.learners['ผู้เรียน 00']}?")
    assert after.group(1).startswith(f"/course/{world.course}/portfolios/{world.learners['ผู้เรียน 04']}?")
    assert "status=awaiting" in after.group(1) and "unit=DG100" in after.group(1)
    back = re.search(r'<a class="back" href="([^"]+)"', text)
    assert back and back.group(1).replace("&amp;", "&") == f"/course/{world.course}/portfolios{query}"
    # Judged, learner 03 no longer awaits: the page it returns to still knows who is next.
    done = judge(client, world, "ผู้เรียน 03", "DG100", "competent", query)
    assert done.status_code == 303 and done.headers["Location"].endswith(query)
    again = client.get(done.headers["Location"]).get_data(as_text=True)
    after = re.search(r'<a rel="next" href="([^"]+)"', again)
    assert after and f"/portfolios/{world.learners['ผู้เรียน 04']}?" in after.group(1)


def test_a_learner_asks_to_be_assessed_again_and_a_judgement_answers(app: Flask, world: World) -> None:
    sam, name = app.test_client(), "ผู้เรียน 07"
    sign_in(sam, world.learners[name], world.course)
    assert sam.post(f"/course/{world.course}/reassessment", data={"csrf": "t", "note": "x" * 2001}).status_code == 400
    asked = sam.post(f"/course/{world.course}/reassessment", data={"csrf": "t", "note": "เพิ่มแบบทดสอบแล้ว"})
    assert asked.status_code == 303 and asked.headers["Location"].endswith(f"/course/{world.course}/learner")
    assert sam.post(f"/course/{world.course}/reassessment", data={"csrf": "t"}).status_code == 303  # once only
    assert sam.post(f"/course/{world.course}/reassessment", data={"csrf": "no"}).status_code == 403
    ann = app.test_client()
    sign_in(ann, world.assessor, world.course)
    page = ann.get(f"/course/{world.course}/portfolios?status=requested").get_data(as_text=True)
    assert listed(page) == [name] and 'data-requested="true"' in page
    portfolio = ann.get(f"/course/{world.course}/portfolios/{world.learners[name]}").get_data(as_text=True)
    assert "asked to be assessed again" in portfolio and '<q class="note">เพิ่มแบบทดสอบแล้ว</q>' in portfolio
    assert judge(ann, world, name, "DG200", "more_evidence").status_code == 303
    assert listed(ann.get(f"/course/{world.course}/portfolios?status=requested").get_data(as_text=True)) == []
    nobody = app.test_client()
    sign_in(nobody, world.learners["ผู้เรียน 59"], world.course)  # nothing compiled: nothing to assess again
    assert nobody.post(f"/course/{world.course}/reassessment", data={"csrf": "t"}).status_code == 400


def test_who_sees_a_caseload(app: Flask, world: World) -> None:
    learner = app.test_client()
    sign_in(learner, world.learners["ผู้เรียน 01"], world.course)
    assert learner.get(f"/course/{world.course}/portfolios").status_code == 403
    assert learner.get("/caseload").status_code == 403
    ann = app.test_client()
    sign_in(ann, world.assessor, world.course)
    assert ann.get(f"/course/{world.other}/portfolios").status_code == 403  # not appointed there
    every = ann.get("/caseload?status=all&sort=name")
    assert every.status_code == 200 and len(listed(every.get_data(as_text=True))) == 50
    landing = ann.get(f"/course/{world.course}/assessor")
    assert landing.status_code == 303 and landing.headers["Location"].endswith(f"/course/{world.course}/portfolios")


def test_upgrading_summarises_the_snapshots_already_stored(databases: FreshDatabases) -> None:
    """Migration 0017 writes the summaries of the snapshots stored before it, so no caseload page has to read a
    large course's documents: the newest snapshot of each learner, and the judged ones."""
    engine = make_engine(databases.new())
    upgrade(engine, "0016")
    doc = document("ผู้เรียน", "l1", 3, "2026-11-20T00:00:00.000Z")
    with engine.begin() as connection:
        now = datetime(2026, 12, 1, tzinfo=UTC)
        connection.execute(text("INSERT INTO courses (id, issuer, context_id, title, ags_scopes, updated_at) "
                                "VALUES (1, :i, '2', 'Digital', '[]', :n)"), {"i": ISSUER, "n": now})
        connection.execute(text("INSERT INTO users (id, issuer, subject, name, xapi_actor, created_at) "
                                "VALUES (1, :i, 'l1', 'ผู้เรียน', :a, :n)"),
                           {"i": ISSUER, "a": json.dumps(doc["learner"]["actor"]), "n": now})
        for number in (1, 2, 3):
            connection.execute(text(
                "INSERT INTO portfolio_snapshots (course_id, learner_id, number, content_hash, mapping_version, as_of,"
                " created_at, document) VALUES (1, 1, :number, :h, 1, :n, :n, :d)"),
                {"number": number, "h": f"{number}" * 64, "n": now, "d": json.dumps(doc, ensure_ascii=False)})
        connection.execute(text(
            "INSERT INTO portfolio_judgements (course_id, learner_id, assessor_id, unit_code, snapshot_number,"
            " content_hash, outcome, comments, criteria, statement_id, recorded_at)"
            " VALUES (1, 1, 1, 'DG100', 1, :h, 'competent', '', '{}', 's', :n)"), {"h": "1" * 64, "n": now})
    upgrade(engine)
    with engine.connect() as connection:
        summarised = connection.execute(text(
            "SELECT number, evidenced, total, newest_evidence FROM portfolio_snapshot_summaries ORDER BY number"))
        assert [tuple(row) for row in summarised] == [(1, 3, 4, "2026-11-20T00:00:00.000Z"),
                                                      (3, 3, 4, "2026-11-20T00:00:00.000Z")]
        keys = connection.execute(text("SELECT number, unit_code, position FROM portfolio_unit_summaries "
                                       "ORDER BY number, position"))
        assert [tuple(row) for row in keys] == [(1, "DG100", 0), (1, "DG200", 1), (3, "DG100", 0), (3, "DG200", 1)]
    engine.dispose()
