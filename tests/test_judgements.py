"""An appointed assessor judges a unit of a learner's portfolio over real HTTP after real LTI launches: the
judgement is an append-only row bound to the snapshot, an xAPI statement in our LRS with the assessor as
actor, and a grade on the Moodle-like platform (AGS). Bad input is refused naming the field, losing nothing.

The snapshot is made the way production makes it: statements posted to our LRS, the mapping saved, and the
portfolio-engine's compile run (plugin.portfolios.run.compile_all)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import pytest
import requests
from flask import Flask
from sqlalchemy import func, select

import xapi.models as lrs
from plugin.clock import utcnow
from plugin.coverage import learner_progress
from plugin.mapping.files import load_mapping
from plugin.mapping.store import save_mapping, standard_index
from plugin.models import Course, User
from plugin.models.judgements import Judgement
from plugin.portfolios import repository
from plugin.portfolios.judgements import VERB, judgement_json, signed_off, unit_activity
from plugin.portfolios.run import compile_all
from tests.lrs_support import headers, issue
from tests.lti_platform import User as PlatformUser
from tests.test_lti_flow import Env, csrf, env_fixture

assert env_fixture  # the `env` fixture, shared with test_lti_flow

ROOT = Path(__file__).resolve().parent.parent
LAB = "http://127.0.0.1:8081"
EXT = "https://samattha.dev/xapi/extensions/"


class Site:
    """Course 2 of the test platform: Tina (coordinator) appointed Ann (a Moodle student) assessor; Sam's
    Moodle statements are in our LRS and his portfolio is compiled."""

    def __init__(self, env: Env, app: Flask) -> None:
        self.env, self.app = env, app
        env.platform.users["5"] = PlatformUser("5", "assessor1", "Ann", "Assessor", "student")
        env.platform.enrolled.append("5")
        self.teacher, self.ann, self.sam = requests.Session(), requests.Session(), requests.Session()
        page = env.launch("4", self.teacher)
        env.launch("5", self.ann)
        env.launch("3", self.sam)
        with env.db() as db:
            ann = db.scalars(select(User).filter_by(subject="5")).one()
            self.ann_id, self.sam_id = ann.id, db.scalars(select(User.id).filter_by(subject="3")).one()
            course = db.scalars(select(Course).filter_by(context_id="2")).one()
            self.course_pk = course.id
            index = standard_index(db)
            text = (ROOT / "mappings" / "example-dg-opsr-023.toml").read_text("utf-8").replace(LAB, env.platform.url)
            save_mapping(db, course, load_mapping(text, standard=index), index, author=None, now=utcnow(),
                         source="file")
            db.commit()
        appointed = self.teacher.post(f"{self.base}/coordinator/assessors",
                                      data={"csrf": csrf(page.text), "user_id": str(self.ann_id)}, timeout=10)
        assert appointed.status_code == 200, appointed.text
        assert env.launch("5", self.ann).status_code == 200
        self.key, self.secret = issue(app, "all")
        self.post_statements(lab_statements(env.platform.url))
        self.compile()

    @property
    def base(self) -> str:
        return f"{self.env.url}/course/{self.course_pk}"

    def post_statements(self, statements: list[dict[str, Any]]) -> None:
        answer = self.app.test_client().post("/xapi/statements", json=statements,
                                             headers=headers(self.key, self.secret))
        assert answer.status_code == 200, answer.get_data(as_text=True)

    def compile(self) -> None:
        with self.env.db() as db:
            run, _ = compile_all(db, now=utcnow())
            assert run.status == "finished"

    def snapshot(self) -> tuple[int, str, dict[str, Any]]:
        with self.env.db() as db:
            course = db.get(Course, self.course_pk)
            assert course is not None
            found = repository.latest_snapshot(db, course, self.sam_id)
            assert found is not None
            return found.number, found.content_hash, found.document

    def judge(self, data: dict[str, str], who: requests.Session | None = None) -> requests.Response:
        who = who or self.ann
        page = who.get(f"{self.base}/portfolios/{self.sam_id}", timeout=10)
        form = {"csrf": csrf(page.text), **data}
        return who.post(f"{self.base}/portfolios/{self.sam_id}/judgements", data=form, timeout=30,
                        allow_redirects=False)

    def lrs_count(self) -> int:
        with self.env.db() as db:
            return int(db.scalar(select(func.count()).select_from(lrs.Statement)) or 0)

    def judgements(self) -> list[Judgement]:
        with self.env.db() as db:
            rows = list(db.scalars(select(Judgement).order_by(Judgement.id)))
            db.expunge_all()
            return rows


def lab_statements(www: str) -> list[dict[str, Any]]:
    """Sam's quiz and assignment statements as Moodle's log store sent them, from the test platform's site."""
    text = (ROOT / "tests" / "fixtures" / "moodle-4.5" / "xapi-quiz-assign.json").read_text("utf-8")
    return [item["statement"] for item in json.loads(text.replace(LAB, www))["statements"]]


@pytest.fixture
def site(env: Env, app: Flask, standard: object) -> Iterator[Site]:
    yield Site(env, app)


def criteria_of(document: dict[str, Any], unit: str) -> list[str]:
    found = next(u for u in document["units"] if u["code"] == unit)
    return [c["code"] for e in found["elements"] for c in e["criteria"]]


def grade(site: Site, unit: str) -> float | None:
    items = [i for i, item in site.env.platform.line_items.items() if item.get("resourceId") == unit]
    assert len(items) == 1, site.env.platform.line_items
    return site.env.platform.grades[(items[0], "3")][0]


def test_judgements_are_recorded_bound_to_the_snapshot_stated_and_graded(site: Site) -> None:
    number, digest, document = site.snapshot()
    unit = document["units"][0]["code"]
    codes = criteria_of(document, unit)
    ticks = {f"rule:{codes[0]}:{rule}": "met" for rule in ("valid", "sufficient", "authentic", "current")}
    done = site.judge({"snapshot": str(number), "unit": unit, "outcome": "competent",
                       "comments": "  ครบถ้วน ตรงตามเกณฑ์ ", **ticks, f"rule:{codes[1]}:valid": "met",
                       f"rule:{codes[1]}:current": "not_met", f"rule:{codes[1]}:sufficient": "not_assessed"})
    assert done.status_code == 303, done.text
    shown = site.ann.get(urljoin(site.env.url, done.headers["Location"]), timeout=10).text
    assert 'data-flash="pf.recorded"' in shown and "Judgement recorded." in shown and "pf.grade_failed" not in shown

    [first] = site.judgements()
    assert (first.snapshot_number, first.content_hash, first.unit_code) == (number, digest, unit)
    assert (first.learner_id, first.assessor_id, first.outcome) == (site.sam_id, site.ann_id, "competent")
    assert first.comments == "ครบถ้วน ตรงตามเกณฑ์"
    assert set(first.criteria) == set(codes)  # every criterion of the unit, assessed or not
    assert first.criteria[codes[0]] == dict.fromkeys(("valid", "sufficient", "authentic", "current"), "met")
    assert first.criteria[codes[1]] == {"valid": "met", "sufficient": "not_assessed", "authentic": "not_assessed",
                                        "current": "not_met"}
    assert grade(site, unit) == 100.0

    # The statement, read back from our LRS like any client would, by the assessor as agent.
    ann = {"account": {"homePage": site.env.platform.url, "name": "5"}}
    query = {"agent": json.dumps(ann), "verb": VERB["id"]}
    found = requests.get(f"{site.env.url}/xapi/statements", params=query, timeout=10,
                         headers=headers(site.key, site.secret)).json()["statements"]
    [statement] = found
    assert statement["id"] == first.statement_id and statement["actor"]["account"]["name"] == "5"
    assert statement["object"]["id"] == unit_activity(unit)
    assert statement["result"]["success"] is True and statement["result"]["response"] == "competent"
    assert statement["result"]["extensions"][EXT + "criteria"] == first.criteria
    snapshot = statement["context"]["extensions"][EXT + "snapshot"]
    assert snapshot == {"course": f"{site.env.platform.url}|2", "number": number, "content_hash": digest}
    assert statement["context"]["extensions"][EXT + "learner"]["account"]["name"] == "3"

    with site.env.db() as db:
        course = db.get(Course, site.course_pk)
        assert course is not None
        assert signed_off(db, course) == {str(site.sam_id): set(codes)}

    # A second judgement is a second row; the first is untouched and both are in the history.
    again = site.judge({"snapshot": str(number), "unit": unit, "outcome": "not_yet_competent",
                        "comments": "ต้องประเมินซ้ำ"})
    assert again.status_code == 303, again.text
    first_again, second = site.judgements()
    assert (first_again.outcome, first_again.comments, first_again.criteria) == ("competent", first.comments,
                                                                                 first.criteria)
    assert second.outcome == "not_yet_competent" and second.statement_id != first.statement_id
    assert {state for code in codes for state in second.criteria[code].values()} == {"not_assessed"}
    history = site.ann.get(f"{site.base}/portfolios/{site.sam_id}", timeout=10).text
    assert f'data-judgement="{first.id}"' in history and f'data-judgement="{second.id}"' in history
    assert "ครบถ้วน ตรงตามเกณฑ์" in history and "ต้องประเมินซ้ำ" in history
    fraction = next(u for u in document["units"] if u["code"] == unit)["summary"]["fraction_evidenced"]
    assert grade(site, unit) == pytest.approx(fraction * 100)  # back to the evidenced fraction
    with site.env.db() as db:
        course = db.get(Course, site.course_pk)
        assert course is not None
        assert signed_off(db, course) == {}  # only the latest judgement of a unit counts


def test_a_judgement_stays_bound_to_the_snapshot_it_was_made_on(site: Site) -> None:
    """New evidence makes a new snapshot; a judgement made on the page the assessor still has open names the
    old snapshot and its hash, so the record says what the assessor saw."""
    old_number, old_digest, document = site.snapshot()
    unit = "DG100"  # the page's criterion DG102.01 is in it: its status changes from none to some
    page = site.ann.get(f"{site.base}/portfolios/{site.sam_id}", timeout=10).text
    site.post_statements([{
        "actor": {"account": {"homePage": site.env.platform.url, "name": "3"}},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"},
        "object": {"id": f"{site.env.platform.url}/mod/page/view.php?id=3"},
        "context": {"contextActivities": {"parent": [{"id": f"{site.env.platform.url}/course/view.php?id=2"}]}},
    }])
    site.compile()
    new_number, new_digest, _ = site.snapshot()
    assert new_number == old_number + 1 and new_digest != old_digest
    posted = site.ann.post(f"{site.base}/portfolios/{site.sam_id}/judgements", timeout=30, allow_redirects=False,
                           data={"csrf": csrf(page), "snapshot": str(old_number), "unit": unit,
                                 "outcome": "more_evidence", "comments": "the audit report"})
    assert posted.status_code == 303
    [judgement] = site.judgements()
    assert (judgement.snapshot_number, judgement.content_hash) == (old_number, old_digest)
    shown = site.ann.get(f"{site.base}/portfolios/{site.sam_id}", timeout=10).text
    assert "The portfolio has changed since this judgement." in shown


BAD = [  # (what the form gets instead, the field the 400 names)
    ({"outcome": ""}, "outcome"),
    ({"outcome": "excellent"}, "outcome"),
    ({"unit": "NOPE-001"}, "unit"),
    ({"unit": ""}, "unit"),
    ({"snapshot": ""}, "snapshot"),
    ({"snapshot": "first"}, "snapshot"),
    ({"snapshot": "999"}, "snapshot"),
    ({"comments": "ก" * 10_001}, "comments"),
    ({"rule:ZZ999.01:valid": "met"}, "criteria"),
    ({"rule:{criterion}:shiny": "met"}, "criteria"),
    ({"rule:{criterion}": "met"}, "criteria"),
    ({"rule:{criterion}:valid": "on"}, "criteria"),  # met, not_met or not_assessed: not a tick box's "on"
]


def test_bad_input_is_refused_naming_the_field_and_nothing_is_lost(site: Site) -> None:
    number, _, document = site.snapshot()
    unit = document["units"][0]["code"]
    good = {"snapshot": str(number), "unit": unit, "outcome": "competent", "comments": "ok"}
    assert site.judge(good).status_code == 303
    before, statements, grades = site.judgements(), site.lrs_count(), dict(site.env.platform.grades)
    criterion = criteria_of(document, unit)[0]
    for change, field in BAD:
        bad = {**good, **{key.format(criterion=criterion): value for key, value in change.items()}}
        refused = site.judge(bad)
        assert refused.status_code == 400 and refused.text.startswith(f"{field}: "), (change, refused.text[:200])
    assert [j.id for j in site.judgements()] == [j.id for j in before]
    assert site.lrs_count() == statements and site.env.platform.grades == grades
    assert site.judge(good).status_code == 303  # the session and the form still work afterwards


def test_only_an_appointed_assessor_records_judgements(site: Site) -> None:
    number, _, document = site.snapshot()
    form = {"snapshot": str(number), "unit": document["units"][0]["code"], "outcome": "competent"}
    page = site.teacher.get(f"{site.base}/portfolios/{site.sam_id}", timeout=10)
    assert page.status_code == 200 and 'class="judge"' not in page.text  # coordinators read, they do not judge
    token = csrf(site.teacher.get(f"{site.base}/coordinator", timeout=10).text)
    refused = site.teacher.post(f"{site.base}/portfolios/{site.sam_id}/judgements", timeout=10,
                                data={"csrf": token, **form})
    assert refused.status_code == 403
    no_token = site.ann.post(f"{site.base}/portfolios/{site.sam_id}/judgements", data=form, timeout=10)
    assert no_token.status_code == 403
    page = site.ann.get(f"{site.base}/portfolios/{site.sam_id}", timeout=10)
    nobody = site.ann.post(f"{site.base}/portfolios/999999/judgements", timeout=10,
                           data={"csrf": csrf(page.text), **form})
    assert nobody.status_code == 404
    assert site.judgements() == []


def test_signed_off_units_show_on_coverage(site: Site) -> None:
    """What the coverage page does with ``signed_off``: a competent unit's criteria count as signed off."""
    number, _, document = site.snapshot()
    unit = document["units"][0]["code"]
    assert site.judge({"snapshot": str(number), "unit": unit, "outcome": "competent"}).status_code == 303
    with site.env.db() as db:
        course = db.get(Course, site.course_pk)
        assert course is not None
        index = standard_index(db)
        text = (ROOT / "mappings" / "example-dg-opsr-023.toml").read_text("utf-8").replace(LAB, site.env.platform.url)
        progress = learner_progress(load_mapping(text, standard=index), index, {}, signed_off(db, course))
    row = dict(zip(progress.criteria, progress.statuses[str(site.sam_id)], strict=True))
    assert {code for code, status in row.items() if status == "signed_off"} == set(criteria_of(document, unit))
    # … and the coordinator's coverage API says the same.
    coordinator = requests.Session()
    assert site.env.launch("4", coordinator).status_code == 200
    api = coordinator.get(f"{site.env.url}/api/courses/{site.course_pk}/coverage", timeout=10).json()
    learner = next(entry for entry in api["learners"] if entry["id"] == str(site.sam_id))
    assert {code for code, status in learner["criteria"].items() if status == "signed_off"} == set(
        criteria_of(document, unit))


STALE = "The portfolio has changed since this judgement."


def test_a_judgement_goes_stale_only_when_what_it_judged_changed(site: Site) -> None:
    number, _, document = site.snapshot()
    unit = next(u["code"] for u in document["units"] if u["code"] == "DG100")
    assert site.judge({"snapshot": str(number), "unit": unit, "outcome": "competent"}).status_code == 303
    page = site.ann.get(f"{site.base}/portfolios/{site.sam_id}", timeout=10).text
    assert STALE not in page

    # Someone else's statement moves the LRS on, and a full run compiles Sam again at a later as_of: his
    # portfolio is a new snapshot (its ages moved), but nothing the judgement judged changed.
    other = lab_statements(site.env.platform.url)[0] | {"actor": {"account": {"homePage": "https://elsewhere.example",
                                                                     "name": "99"}}}
    other.pop("id", None)
    site.post_statements([other])
    with site.env.db() as db:
        run, _ = compile_all(db, now=utcnow(), full=True)
        assert run.status == "finished"
    later, _, moved = site.snapshot()
    assert later > number and moved["as_of"] > document["as_of"]
    assert STALE not in site.ann.get(f"{site.base}/portfolios/{site.sam_id}", timeout=10).text

    # A mapping revision that only renames an activity changes no outcome either.
    with site.env.db() as db:
        course = db.get(Course, site.course_pk)
        assert course is not None
        index = standard_index(db)
        text = (ROOT / "mappings" / "example-dg-opsr-023.toml").read_text("utf-8").replace(LAB, site.env.platform.url)
        renamed = text.replace("งานมอบหมาย: อธิบายหลักการคุ้มครองข้อมูล (Assignment)", "งานเขียน: หลักการคุ้มครองข้อมูล")
        save_mapping(db, course, load_mapping(renamed, standard=index), index, author=None, now=utcnow(),
                     source="file")
        db.commit()
    site.compile()
    assert site.snapshot()[0] > later
    assert STALE not in site.ann.get(f"{site.base}/portfolios/{site.sam_id}", timeout=10).text

    # New evidence in the judged unit does change it: the page says so.
    with site.env.db() as db:
        course = db.get(Course, site.course_pk)
        assert course is not None
        index = standard_index(db)
        page_view = text.replace('targets = ["DG102.01"]', 'targets = ["DG102.01", "DG102.02"]')
        save_mapping(db, course, load_mapping(page_view, standard=index), index, author=None, now=utcnow(),
                     source="file")
        db.commit()
    viewed = lab_statements(site.env.platform.url)[0]
    viewed.pop("id", None)
    viewed["verb"] = {"id": "http://id.tincanapi.com/verb/viewed"}
    viewed["object"] = {"id": f"{site.env.platform.url}/mod/page/view.php?id=3", "objectType": "Activity"}
    site.post_statements([viewed])
    site.compile()
    assert [c["status"] for c in site.snapshot()[2]["units"][0]["elements"][1]["criteria"]] == ["evidenced"] * 2
    assert STALE in site.ann.get(f"{site.base}/portfolios/{site.sam_id}", timeout=10).text


def row_of(page: str, code: str) -> str:
    row = page[page.index(f'<tr data-code="{code}"'):]
    return row[:row.index("</tr>")]


def test_each_rule_is_met_not_met_or_not_assessed_and_the_learner_is_not_told_what_was_not_assessed(
        site: Site) -> None:
    number, _, document = site.snapshot()
    unit = document["units"][0]["code"]
    codes = criteria_of(document, unit)
    site.judge({"snapshot": str(number), "unit": unit, "outcome": "more_evidence", "comments": "the audit report",
                f"rule:{codes[0]}:valid": "met", f"rule:{codes[0]}:sufficient": "not_met"})
    [judged] = site.judgements()
    assert judged.criteria[codes[0]] == {"valid": "met", "sufficient": "not_met", "authentic": "not_assessed",
                                         "current": "not_assessed"}
    learner = site.sam.get(f"{site.base}/my-portfolio", timeout=10).text
    row = row_of(learner, codes[0])
    assert "✓ the assessor confirmed: valid" in row and "the assessor found not met: sufficient" in row
    assert "not assessed" not in learner and "authentic" not in row and "✗" not in learner
    assert '<span class="confirmed">✓ the assessor confirmed: valid</span>' in row  # markup, not escaped text
    assessor = row_of(site.ann.get(f"{site.base}/portfolios/{site.sam_id}", timeout=10).text, codes[0])
    assert "not assessed: authentic, current" in assessor


def test_judgements_recorded_with_tick_boxes_read_unticked_as_not_assessed(site: Site) -> None:
    """Before rules were three-way, an unticked box was stored as false: it meant "not recorded", not "not met"."""
    number, digest, document = site.snapshot()
    unit = document["units"][0]["code"]
    codes = criteria_of(document, unit)
    with site.env.db() as db:
        old = {code: dict.fromkeys(("valid", "sufficient", "authentic", "current"), False) for code in codes}
        old[codes[0]]["valid"] = True
        db.add(Judgement(course_id=site.course_pk, learner_id=site.sam_id, assessor_id=site.ann_id, unit_code=unit,
                         snapshot_number=number, content_hash=digest, outcome="competent", comments="",
                         criteria=old, statement_id="00000000-0000-4000-8000-000000000000", recorded_at=utcnow()))
        db.commit()
        [stored] = db.scalars(select(Judgement)).all()
        assert judgement_json(stored)["criteria"][codes[0]] == {
            "valid": "met", "sufficient": "not_assessed", "authentic": "not_assessed", "current": "not_assessed"}
    learner = site.sam.get(f"{site.base}/my-portfolio", timeout=10).text
    assert "✓ the assessor confirmed: valid" in row_of(learner, codes[0]) and "not met" not in learner


def test_one_learners_json_export_carries_the_judgements_the_pdf_shows(site: Site) -> None:
    number, digest, document = site.snapshot()
    unit = document["units"][0]["code"]
    site.judge({"snapshot": str(number), "unit": unit, "outcome": "competent", "comments": "ครบถ้วน"})
    record = site.ann.get(f"{site.base}/portfolios/{site.sam_id}/export.json", timeout=10).json()
    assert record["snapshot"] == {"number": number, "content_hash": digest} and record["portfolio"] == document
    [judged] = record["judgements"]
    assert (judged["unit"], judged["outcome"], judged["comments"]) == (unit, "competent", "ครบถ้วน")
    assert judged["assessor"]["name"] == "Ann Assessor" and judged["snapshot"]["number"] == number
