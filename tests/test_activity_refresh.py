"""Activities found by Samattha itself: from its placed links, the LRS, content packages and Moodle Web
Services, when a coordinator opens the course, on the schedule, by the mapping page's Refresh button, and with
the token a site administrator enters on a page. One Moodle activity is listed once."""

from __future__ import annotations

import html

import requests
from sqlalchemy import select
from sqlalchemy.orm import Session

from plugin.demo.moodle import Module
from plugin.mapping.activities import course_activities, resource_link_iri
from plugin.mapping.discovery import refresh_activities
from plugin.mapping.editor_form import activity_rows
from plugin.models import Course, CourseActivity, ResourceLink
from plugin.moodle_ws import save_token, token_for
from plugin.portfolios.scheduler import scheduled_run
from tests.servers import serve_app
from tests.test_activity_sources import SECTIONS, T0, TOKEN, make_course, module, moodle_ws
from tests.test_lti_flow import Env, csrf, env_fixture

assert env_fixture  # the `env` fixture, shared with test_lti_flow

BASE = "https://samattha.example.go.th"
# Moodle's LTI resource link id is the mod_lti instance id, not the course module id.
WITH_LINKS = [*SECTIONS, {"id": 13, "name": "หัวข้อ 2", "section": 2, "visible": 1, "uservisible": True,
                          "modules": [module(3, "lti", "Samattha: DG-OPSR-023", instance=30),
                                      module(4, "lti", "แบบทดสอบความรู้ (แพ็กเกจ)", instance=40)]}]


def _links(session: Session, course: Course) -> None:
    session.add_all([
        ResourceLink(issuer=course.issuer, resource_link_id="30", course_id=course.id, title="Samattha: DG-OPSR-023",
                     custom={"unit_code": "DG-OPSR-023"}, unit_code="DG-OPSR-023", updated_at=T0),
        ResourceLink(issuer=course.issuer, resource_link_id="40", course_id=course.id, title="แพ็กเกจ",
                     custom={"samattha_package": "1"}, updated_at=T0)])
    session.commit()


def test_a_samattha_link_is_one_activity_with_its_moodle_module(session: Session) -> None:
    course = make_course(session, "http://moodle.test")
    _links(session, course)
    with serve_app(moodle_ws(WITH_LINKS)) as url:
        save_token(session, issuer=course.issuer, token=TOKEN, url=url, now=T0)
        report = refresh_activities(session, course, base_url=BASE, now=T0)
    session.commit()
    assert report.errors == {}
    assert {source: (found.seen, found.new) for source, found in report.found.items()} == {
        "lti": (1, 1), "lrs": (0, 0), "package": (0, 0), "webservice": (4, 4)}
    rows = course_activities(session, course)
    link = next(row for row in rows if row.iri == resource_link_iri(BASE, "30"))
    assert (link.cmid, link.module) == (3, "lti")
    # The editor lists the link and the module it sits in once; the package's holder not at all.
    listed = [(row.key, row.name) for row in activity_rows(rows, [])]
    assert listed == [("cmid:1", "Announcements"), ("cmid:6", "แบบทดสอบ DS601"), ("cmid:5", "งานมอบหมาย"),
                      ("cmid:3", "Samattha: DG-OPSR-023")]
    # A second refresh finds the same and adds nothing.
    with serve_app(moodle_ws(WITH_LINKS)) as url:
        save_token(session, issuer=course.issuer, token=TOKEN, url=url, now=T0)
        again = refresh_activities(session, course, base_url=BASE, now=T0)
    assert again.new == 0 and again.found["webservice"].seen == 4


def test_a_source_that_fails_is_reported_and_the_others_still_count(session: Session) -> None:
    course = make_course(session, "http://moodle.test")
    _links(session, course)
    with serve_app(moodle_ws(WITH_LINKS)) as url:
        save_token(session, issuer=course.issuer, token="not-the-token", url=url, now=T0)
        report = refresh_activities(session, course, base_url=BASE, now=T0)
    assert set(report.found) == {"lti", "lrs", "package"} and report.found["lti"].new == 1
    assert "invalidtoken" in report.errors["webservice"] and "not-the-token" not in report.errors["webservice"]


def _with_token(env: Env) -> None:
    _with_quiz(env)
    with env.db() as db:
        save_token(db, issuer=env.platform.url, token=env.platform.webservice_token, url=None, now=T0)
        db.commit()


def _with_quiz(env: Env) -> None:
    env.platform.modules[6] = Module(6, "quiz", "แบบทดสอบ DS601")


def _known(env: Env) -> set[str]:
    with env.db() as db:
        return set(db.scalars(select(CourseActivity.iri)))


def test_a_coordinator_opening_the_mapping_page_finds_the_courses_activities(env: Env) -> None:
    _with_token(env)
    teacher = requests.Session()
    assert env.launch("4", teacher).status_code == 200
    page = teacher.get(f"{env.url}/course/{env.course().id}/mapping", timeout=30)
    assert page.status_code == 200 and "แบบทดสอบ DS601" in page.text
    assert any("/mod/quiz/view.php" in iri for iri in _known(env))


def test_refresh_button_says_what_each_source_found(env: Env) -> None:
    _with_token(env)
    teacher = requests.Session()
    assert env.launch("4", teacher).status_code == 200
    url = f"{env.url}/course/{env.course().id}/mapping"
    page = teacher.get(url, timeout=10).text
    assert f'action="/course/{env.course().id}/mapping/refresh"' in page
    done = teacher.post(url + "/refresh", data={"csrf": csrf(page)}, timeout=30)
    assert done.status_code == 200 and done.url == url
    text = html.unescape(done.text)
    assert "Activities refreshed: Samattha links 1 (0 new)" in text and "Moodle Web Services 2 (0 new)" in text
    # Only coordinators, and only with the form's token.
    assert teacher.post(url + "/refresh", data={"csrf": "forged"}, timeout=10).status_code == 403
    learner = requests.Session()
    assert env.launch("3", learner).status_code == 200
    # (the role is checked before the form token)
    assert learner.post(url + "/refresh", data={"csrf": "any"}, timeout=10).status_code == 403


def test_without_a_token_the_refresh_says_how_to_get_one(env: Env) -> None:
    teacher = requests.Session()
    env.launch("4", teacher)
    url = f"{env.url}/course/{env.course().id}/mapping"
    done = teacher.post(url + "/refresh", data={"csrf": csrf(teacher.get(url, timeout=10).text)}, timeout=30)
    assert "Moodle Web Services are not set up for this site" in html.unescape(done.text)


def test_a_site_administrator_sets_the_token_on_a_page(env: Env) -> None:
    _with_quiz(env)
    admin = requests.Session()
    assert env.launch("2", admin).status_code == 200
    url = f"{env.url}/course/{env.course().id}/admin/webservice"
    landing = admin.get(f"{env.url}/course/{env.course().id}/admin", timeout=10).text
    assert f'href="/course/{env.course().id}/admin/webservice"' in landing and "No token is set" in landing
    page = admin.get(url, timeout=10)
    assert page.status_code == 200 and 'type="password" name="token"' in page.text
    refused = admin.post(url, data={"csrf": csrf(page.text), "token": "wrong-token"}, timeout=30)
    assert refused.status_code == 400 and "token: Moodle" in html.unescape(refused.text)
    assert "invalidtoken" in refused.text and "wrong-token" not in refused.text
    with env.db() as db:
        assert token_for(db, env.platform.url) is None
    empty = admin.post(url, data={"csrf": csrf(page.text), "token": " "}, timeout=30)
    assert empty.status_code == 400 and "token:" in empty.text
    token = env.platform.webservice_token
    saved = admin.post(url, data={"csrf": csrf(page.text), "token": token}, timeout=30)
    assert saved.status_code == 200 and token not in saved.text
    assert "The token works with this course and is saved." in saved.text and "Moodle Web Services" in saved.text
    with env.db() as db:
        stored = token_for(db, env.platform.url)
        assert stored is not None and stored.token == token
    assert any("/mod/quiz/view.php" in iri for iri in _known(env))
    assert "A Web Services token is set." in admin.get(f"{env.url}/course/{env.course().id}/admin", timeout=10).text
    # Coordinators and learners may not see or set it.
    teacher = requests.Session()
    env.launch("4", teacher)
    assert teacher.get(url, timeout=10).status_code == 403
    assert teacher.post(url, data={"csrf": csrf(teacher.get(f"{env.url}/course/{env.course().id}/mapping",
                                                            timeout=10).text), "token": "x"},
                        timeout=10).status_code == 403


def test_the_schedule_learns_the_activities_too(env: Env) -> None:
    _with_token(env)
    env.launch("3")  # a learner: no refresh at launch
    assert not any("/mod/quiz/view.php" in iri for iri in _known(env))
    scheduled_run(env.app.extensions["samattha.sessionmaker"], lambda _: None, base_url=env.url)
    assert any("/mod/quiz/view.php" in iri for iri in _known(env))
