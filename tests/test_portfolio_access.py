"""A learner reaches no other learner's portfolio through any route of the portfolios blueprint; staff and the
learner themself do. Over real HTTP after real LTI launches from the test platform."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
import requests
from flask import Flask
from sqlalchemy import select

from plugin.clock import utcnow
from plugin.mapping.files import load_mapping
from plugin.mapping.store import save_mapping, standard_index
from plugin.models import Course, User
from plugin.portfolios.caseload_web import bp as caseload_bp
from plugin.portfolios.run import compile_all
from plugin.portfolios.web import bp
from tests.lrs_support import headers, issue
from tests.lti_platform import User as PlatformUser
from tests.test_judgements import LAB, ROOT, lab_statements
from tests.test_lti_flow import Env, env_fixture

assert env_fixture  # the `env` fixture, shared with test_lti_flow


class Site:
    """Sam's and another learner's portfolios, compiled by the real compile run from statements in our LRS."""

    def __init__(self, env: Env, app: Flask) -> None:
        self.env = env
        env.platform.users["6"] = PlatformUser("6", "student2", "Other", "Learner", "student")
        env.platform.enrolled.append("6")
        self.sam, self.other, self.teacher = requests.Session(), requests.Session(), requests.Session()
        env.launch("3", self.sam)
        env.launch("6", self.other)
        env.launch("4", self.teacher)
        answer = app.test_client().post("/xapi/statements", json=lab_statements(env.platform.url),
                                        headers=headers(*issue(app, "all")))
        assert answer.status_code == 200, answer.get_data(as_text=True)
        with env.db() as db:
            self.course = db.scalars(select(Course)).one()
            index = standard_index(db)
            text = (ROOT / "mappings" / "example-dg-opsr-023.toml").read_text("utf-8").replace(LAB, env.platform.url)
            save_mapping(db, self.course, load_mapping(text, standard=index), index, author=None, now=utcnow(),
                         source="file")
            db.commit()
            compile_all(db, now=utcnow())
            self.sam_id = db.scalars(select(User.id).filter_by(subject="3")).one()
            self.other_id = db.scalars(select(User.id).filter_by(subject="6")).one()


@pytest.fixture
def site(env: Env, app: Flask, standard: object) -> Iterator[Site]:
    yield Site(env, app)


def urls(site: Site, target: int) -> list[tuple[str, str]]:
    """Every rule of the blueprint, filled in to name ``target``'s portfolio (and every format)."""
    found = []
    for rule in site.env.app.url_map.iter_rules():
        if not rule.endpoint.startswith((bp.name + ".", caseload_bp.name + ".")):
            continue
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            for fmt in ("pdf", "html", "json") if "fmt" in rule.arguments else ("",):
                path = rule.rule.replace("<int:course_pk>", str(site.course.id)).replace("<int:user_id>", str(target))
                path = path.replace("<fmt>", fmt)
                assert "<" not in path, f"{rule.rule}: fill in its arguments in this test"
                found.append((method, path + f"?course={site.course.id}"))
    return found


def test_every_route_is_checked(site: Site) -> None:
    endpoints = {r.endpoint for r in site.env.app.url_map.iter_rules() if r.endpoint.startswith("portfolios.")}
    assert {"portfolios.portfolio_page", "portfolios.api_learner", "portfolios.api_course", "portfolios.judge",
            "portfolios.export_one", "portfolios.export_course", "portfolios.my_portfolio"} <= endpoints
    assert {"caseload.course_caseload", "caseload.all_courses", "caseload.ask_again"} <= {
        r.endpoint for r in site.env.app.url_map.iter_rules()}
    assert len(urls(site, site.sam_id)) >= 10


def test_another_learner_reads_nothing_of_sams_portfolio(site: Site) -> None:
    seen = site.sam.get(f"{site.env.url}/course/{site.course.id}/my-portfolio", timeout=10)
    assert seen.status_code == 200 and f'data-learner="{site.sam_id}"' in seen.text
    for method, path in urls(site, site.sam_id):
        answer = site.other.request(method, site.env.url + path, timeout=30, data={"csrf": "x"})
        body = answer.content
        if path.startswith(f"/course/{site.course.id}/my-portfolio"):
            # Their own page: allowed, and it is theirs, not Sam's.
            assert answer.status_code == 200 and f'data-learner="{site.other_id}"'.encode() in body
            continue
        assert answer.status_code in (400, 403, 404), (method, path, answer.status_code)
        for leak in (b"Sam Student", b"samattha-portfolio/1", b"data-statement", b"%PDF", b"PK\x03\x04"):
            assert leak not in body, (method, path, leak)


def test_no_session_reads_nothing(site: Site) -> None:
    for method, path in urls(site, site.sam_id):
        answer = requests.request(method, site.env.url + path, timeout=30)
        assert answer.status_code in (400, 401, 403, 404), (method, path)


def test_the_learner_and_the_coordinator_read_sams_portfolio(site: Site) -> None:
    base = f"{site.env.url}/course/{site.course.id}"
    own = site.sam.get(f"{base}/portfolios/{site.sam_id}", timeout=10)
    assert own.status_code == 200 and "Still missing" in own.text and 'class="judge"' not in own.text
    pdf = site.sam.get(f"{base}/portfolios/{site.sam_id}/export.pdf", timeout=60)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert site.sam.get(f"{site.env.url}/api/learners/{site.sam_id}/portfolio?course={site.course.id}",
                        timeout=10).status_code == 403  # the API is for staff
    listed = site.teacher.get(f"{base}/portfolios", timeout=10)
    assert listed.status_code == 200 and "Sam Student" in listed.text and "Other Learner" in listed.text
    api = site.teacher.get(f"{site.env.url}/api/learners/{site.sam_id}/portfolio?course={site.course.id}",
                           timeout=10)
    assert api.status_code == 200 and api.json()["learner"]["id"] == str(site.sam_id)
    assert re.fullmatch(r'"[0-9a-f]{64}"', api.headers["ETag"])
    everyone = site.teacher.get(f"{site.env.url}/api/courses/{site.course.id}/portfolios", timeout=10).json()
    assert [p["portfolio"]["learner"]["id"] for p in everyone["portfolios"]] == [str(site.sam_id),
                                                                                  str(site.other_id)]


def test_the_api_answers_its_errors_as_json_naming_what_is_wrong(site: Site) -> None:
    """A program reading /api/ gets JSON it can parse for every refusal, never the HTML page people see."""
    api, pk, sam = f"{site.env.url}/api", site.course.id, site.sam_id
    answers = {
        "no such course": (site.teacher.get(f"{api}/courses/999999/portfolios", timeout=10),
                           404, "course: no course has the id 999999"),
        "a learner": (site.sam.get(f"{api}/courses/{pk}/portfolios", timeout=10),
                      403, f"course {pk}: needs the role assessor or coordinator in it"),
        "no launch": (requests.get(f"{api}/courses/{pk}/portfolios", timeout=10),
                      401, "session: none; open Samattha from Moodle first"),
        # Without a session, a course that exists and one that does not answer alike.
        "no launch, no course": (requests.get(f"{api}/courses/999999/portfolios", timeout=10),
                                 401, "session: none; open Samattha from Moodle first"),
        "no course given": (site.teacher.get(f"{api}/learners/{sam}/portfolio", timeout=10),
                            400, "course: required, the course's id in Samattha (?course=<id>)"),
        "not a learner": (site.teacher.get(f"{api}/learners/999999/portfolio?course={pk}", timeout=10),
                          404, f"learner: user 999999 is not a learner of course {pk}"),
        "coverage of another course": (site.teacher.get(f"{api}/courses/999999/coverage", timeout=10),
                                       404, "course: no course has the id 999999"),
    }
    for case, (answer, status, message) in answers.items():
        assert answer.status_code == status, case
        assert answer.headers["Content-Type"] == "application/json", case
        assert answer.json()["message"] == message, case
