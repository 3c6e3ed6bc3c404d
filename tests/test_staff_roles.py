"""Staff are staff (issue 16, item 4), over real HTTP against the Moodle-like platform: Moodle launches editing
and non-editing teachers alike as Instructor and lists the non-editing one as a Learner on its NRPS roster. With a
Web Services token Moodle's own course roles decide; without one every Instructor coordinates until a coordinator
limits them to assessing or viewing, which counts from their next page. Staff are never listed as learners."""

from __future__ import annotations

import logging
import re

import pytest
import requests
from sqlalchemy import select

import lti
from plugin.clock import utcnow
from plugin.evidence import learner_actors
from plugin.launch.staff import effective_roles, standing
from plugin.models import Course, Enrolment, StaffLimit, User
from plugin.moodle_ws import save_token
from tests.lti_platform import User as PlatformUser
from tests.test_lti_flow import Env, csrf, env_fixture, role_of

assert env_fixture  # the `env` fixture, shared with test_lti_flow

TA = lti.ROLE_TEACHING_ASSISTANT


def _enrol_staff(env: Env) -> None:
    """Nok ("6"), the lab site's non-editing teacher, and Pim ("7"), another who never opens Samattha."""
    env.platform.users["7"] = PlatformUser("7", "teacher3", "Pim", "Helper", "noneditingteacher")
    env.platform.enrolled.extend(["6", "7"])


def _with_token(env: Env) -> None:
    with env.db() as db:
        save_token(db, issuer=env.platform.url, token=env.platform.webservice_token, url=None, now=utcnow())
        db.commit()


def _rows(page: str, table: str) -> dict[str, str]:
    """subject → standing of the roster table ``staff`` or ``learners``."""
    body = page.split(f'class="roster roster-{table}"')[1].split("</table>")[0]
    return dict(re.findall(r'<tr data-subject="(\w+)" data-standing="(\w+)">', body))


def _sync(env: Env, browser: requests.Session, course_pk: int) -> str:
    page = browser.get(f"{env.url}/course/{course_pk}/coordinator", timeout=10)
    synced = browser.post(f"{env.url}/course/{course_pk}/coordinator/roster", data={"csrf": csrf(page.text)},
                          timeout=30)
    assert synced.status_code == 200 and "Roster synced" in synced.text, synced.text[:500]
    return synced.text


def _enrolment(env: Env, subject: str) -> Enrolment:
    with env.db() as db:
        row = db.scalars(select(Enrolment).join(User, Enrolment.user_id == User.id)
                         .where(User.subject == subject)).one()
        db.expunge_all()
        return row


def test_effective_roles_and_standing() -> None:
    instructor, learner = lti.ROLE_INSTRUCTOR, lti.ROLE_LEARNER
    # Without Moodle's roles: the launch's Instructor outweighs the roster's Learner, and staff never learn.
    assert effective_roles([instructor], [learner], None) == [instructor]
    assert effective_roles(None, [learner], None) == [learner]
    assert effective_roles([learner, TA], None, None) == [TA]
    # With them: they replace the context roles; the site administrator's roles stay.
    admin = lti.ROLE_SYSTEM_ADMIN
    assert effective_roles([instructor, admin], [learner], ["teacher"]) == [TA, admin]
    assert effective_roles([instructor], None, ["editingteacher", "teacher"]) == [instructor]
    assert effective_roles([learner], None, ["student"]) == [learner]
    assert effective_roles([instructor], None, ["someonescustomrole"]) == [instructor]  # unknown: LTI decides
    assert standing([instructor], limit=None, assessor=False) == "coordinator"
    assert standing([instructor], limit="view", assessor=False) == "staff"
    assert standing([TA], limit=None, assessor=True) == "assessor"
    assert standing([learner], limit=None, assessor=True) == "assessor"
    assert standing([learner], limit=None, assessor=False) == "learner"


def test_with_a_token_the_non_editing_teacher_is_staff_not_coordinator_nor_learner(env: Env, standard: object) -> None:
    _enrol_staff(env)
    _with_token(env)
    teacher, nok = requests.Session(), requests.Session()
    assert role_of(env.launch("4", teacher)) == "coordinator"  # the editing teacher
    landed = env.launch("6", nok)
    assert landed.status_code == 200 and role_of(landed) == "viewer", landed.url
    course_pk = env.course().id
    _sync(env, teacher, course_pk)
    assert nok.get(f"{env.url}/course/{course_pk}/mapping", timeout=10).status_code == 403
    assert nok.get(f"{env.url}/course/{course_pk}/coordinator", timeout=10).status_code == 403
    assert nok.get(f"{env.url}/course/{course_pk}/learner", timeout=10).status_code == 403
    assert nok.get(f"{env.url}/course/{course_pk}/my-portfolio", timeout=10).status_code == 403
    page = teacher.get(f"{env.url}/course/{course_pk}/coordinator", timeout=10).text
    assert _rows(page, "staff") == {"4": "coordinator", "6": "staff", "7": "staff"}
    assert _rows(page, "learners") == {"3": "learner"}
    assert page.count("Non-editing teacher") == 2 and "own course roles say (read through Web Services" in page
    nok_row = _enrolment(env, "6")
    assert nok_row.moodle_roles == ["teacher"] and nok_row.roles == [TA]
    assert nok_row.launch_roles == [lti.ROLE_INSTRUCTOR] and nok_row.nrps_roles == [lti.ROLE_LEARNER]
    with env.db() as db:
        course = db.get(Course, course_pk)
        assert course is not None
        learners = {db.get(User, uid).subject for uid in learner_actors(db, course)}  # type: ignore[union-attr]
    assert learners == {"3"}  # the portfolios agree with the page
    # A coordinator may still appoint them assessor, the usual way.
    appointed = teacher.post(f"{env.url}/course/{course_pk}/coordinator/assessors",
                             data={"csrf": csrf(page), "user_id": str(nok_row.user_id)}, timeout=10)
    assert appointed.status_code == 200
    assert role_of(nok.get(f"{env.url}/course/{course_pk}/", timeout=10)) == "assessor"


def test_without_a_token_instructors_coordinate_until_limited(env: Env, standard: object) -> None:
    _enrol_staff(env)
    teacher, nok = requests.Session(), requests.Session()
    env.launch("4", teacher)
    assert role_of(env.launch("6", nok)) == "coordinator"  # LTI cannot tell them apart
    course_pk = env.course().id
    page = _sync(env, teacher, course_pk)
    # NRPS lists Nok as a Learner; her launch said Instructor: staff, not a learner. Pim only the roster knows.
    assert _rows(page, "staff") == {"4": "coordinator", "6": "coordinator"}
    assert _rows(page, "learners") == {"3": "learner", "7": "learner"}
    assert "Limit an Instructor below" in page
    nok_pk = _enrolment(env, "6").user_id
    action = f"{env.url}/course/{course_pk}/coordinator/staff/{nok_pk}"
    assert teacher.post(action, data={"limit": "view"}, timeout=10).status_code == 403  # no CSRF token
    assert nok.get(f"{env.url}/course/{course_pk}/mapping", timeout=10).status_code == 200

    def limit(choice: str) -> str:
        done = teacher.post(action, data={"csrf": csrf(page), "limit": choice}, timeout=10)
        assert done.status_code == 200 and done.url.endswith("/coordinator"), done.text[:300]
        return done.text

    after = limit("view")
    assert _rows(after, "staff")["6"] == "staff" and "Nok Noneditor: Views only." in after
    assert "set by Tina Teacher" in after
    # At once: her next page, no new launch.
    assert nok.get(f"{env.url}/course/{course_pk}/mapping", timeout=10).status_code == 403
    assert role_of(nok.get(f"{env.url}/course/{course_pk}/", timeout=10)) == "viewer"
    limit("assess")
    assert role_of(nok.get(f"{env.url}/course/{course_pk}/", timeout=10)) == "assessor"
    assert nok.get(f"{env.url}/course/{course_pk}/portfolios", timeout=10).status_code == 200
    assert nok.get(f"{env.url}/course/{course_pk}/coordinator", timeout=10).status_code == 403
    limit("coordinate")
    assert role_of(nok.get(f"{env.url}/course/{course_pk}/", timeout=10)) == "coordinator"
    # Not oneself, not a learner, not a made-up choice.
    me = _enrolment(env, "4").user_id
    for user_pk, choice in ((me, "view"), (_enrolment(env, "3").user_id, "view"), (nok_pk, "boss")):
        refused = teacher.post(f"{env.url}/course/{course_pk}/coordinator/staff/{user_pk}",
                               data={"csrf": csrf(page), "limit": choice}, timeout=10)
        assert refused.status_code == 400
    with env.db() as db:
        history = [(row.limit, row.set_by_id == me, row.lifted_at is not None)
                   for row in db.scalars(select(StaffLimit).order_by(StaffLimit.id))]
    assert history == [("view", True, True), ("assess", True, True)]


def test_a_web_services_failure_does_not_break_the_launch(env: Env, caplog: pytest.LogCaptureFixture) -> None:
    _enrol_staff(env)
    _with_token(env)
    env.platform.webservice_functions.discard("core_enrol_get_enrolled_users")  # the service does not allow it
    with caplog.at_level(logging.WARNING, logger="plugin.launch.service"):
        landed = env.launch("6")
    assert landed.status_code == 200 and role_of(landed) == "coordinator"  # LTI roles decide, as before
    assert "LTI roles decide" in caplog.text and "accessexception" in caplog.text
    assert env.platform.webservice_token not in caplog.text
    assert _enrolment(env, "6").moodle_roles is None
