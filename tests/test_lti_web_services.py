"""Dynamic registration, the CLI, deep linking, AGS grades and the NRPS roster, end to end against the
Moodle-like test platform over loopback HTTP; and one launch inside a real iframe in headless Chromium."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from click.testing import CliRunner
from flask import Flask, Response, request
from sqlalchemy import select

from plugin.cli import main
from plugin.clock import utcnow
from plugin.launch.service import push_unit_grades, sync_roster
from plugin.localtime import format_time
from plugin.models import Course, Enrolment, Platform, ResourceLink, User
from tests.browser import chromium
from tests.lti_platform import LTI, MoodlePlatform
from tests.lti_platform import create_app as create_platform_app
from tests.servers import serve_app
from tests.test_lti_flow import Env, csrf, customise, env_fixture, field, moodle, register, role_of, samattha

assert env_fixture  # the `env` fixture, shared with test_lti_flow

UNIT = "DG-OPSR-023"


# --- dynamic registration ----------------------------------------------------------------------------

def test_dynamic_registration_stores_a_working_registration(app: Flask) -> None:
    with moodle() as platform, samattha(app) as url:
        browser = requests.Session()
        shown = browser.get(platform.start_registration(url + "/lti/register"), timeout=10)
        assert shown.status_code == 200 and "Register Samattha" in shown.text
        done = browser.post(url + "/lti/register", timeout=20, data={
            "openid_configuration": field(shown.text, "openid_configuration"),
            "registration_token": field(shown.text, "registration_token")})
        assert done.status_code == 200 and "org.imsglobal.lti.close" in done.text
        tool = platform.tool()
        scopes = set(tool.config["scope"].split())
        assert {s.rsplit("/", 1)[-1] for s in scopes} >= {"lineitem", "score", "contextmembership.readonly"}
        assert {"name", "email"} <= set(tool.config["https://purl.imsglobal.org/spec/lti-tool-configuration"]["claims"])
        with app.extensions["samattha.sessionmaker"]() as db:
            stored = db.scalars(select(Platform)).one()
            assert (stored.issuer, stored.client_id, stored.source) == (platform.url, tool.client_id, "dynamic")
            assert [d.deployment_id for d in stored.deployments] == [tool.deployment_id]
        # The registration works: a student launches through it.
        landed = Env(platform, url, app, tool).launch("3")
        assert role_of(landed) == "learner"
        # The token was single-use: registering again with it is refused, with a page that says why.
        again = browser.post(url + "/lti/register", timeout=20, data={
            "openid_configuration": field(shown.text, "openid_configuration"),
            "registration_token": field(shown.text, "registration_token")})
        assert again.status_code == 400 and "registration_refused" in again.text


def test_the_registration_url_opened_in_a_browser_says_what_it_is_for(app: Flask) -> None:
    shown = app.test_client().get("/lti/register")
    page = html.unescape(shown.get_data(as_text=True))
    assert shown.status_code == 200 and "refused" not in page
    assert "<title>Samattha's address for Moodle's dynamic registration · ที่อยู่สำหรับลงทะเบียน" in page
    assert "paste http://tool.test/lti/register as the tool URL and choose “Add LTI Advantage”" in page
    assert "วาง http://tool.test/lti/register ในช่อง Tool URL" in page


def test_a_registration_with_half_of_moodles_parameters_is_refused(app: Flask) -> None:
    refused = app.test_client().get("/lti/register?openid_configuration=https%3A%2F%2Fmoodle.test%2Fconfig")
    assert refused.status_code == 400 and "missing_parameters" in refused.get_data(as_text=True)


# --- CLI -------------------------------------------------------------------------------------------

@pytest.fixture
def cli_env(app: Flask, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Flask:
    monkeypatch.setenv("SAMATTHA_DATABASE_URL", database_url)
    monkeypatch.setenv("SAMATTHA_INSTANCE_PATH", str(tmp_path / "cli-instance"))
    return app


def _run(*args: str) -> str:
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_platforms_add_and_list(cli_env: Flask) -> None:
    assert "no platform is registered" in _run("platforms", "list")
    base = "https://moodle.example.ac.th"
    for client_id in ("course-a", "course-b"):  # one issuer, many client_ids
        _run("platforms", "add", "--issuer", base, "--client-id", client_id, "--deployment-id", "1",
             "--deployment-id", "7", "--auth-url", base + "/mod/lti/auth.php", "--token-url",
             base + "/mod/lti/token.php", "--jwks-url", base + "/mod/lti/certs.php")
    listed = _run("platforms", "list").splitlines()
    assert listed == [f"{base}\tcourse-a\tdeployments=1,7\tmanual\tactive",
                      f"{base}\tcourse-b\tdeployments=1,7\tmanual\tactive"]
    bad = CliRunner().invoke(main, ["platforms", "add", "--issuer", base, "--client-id", "x", "--deployment-id", "1",
                                    "--auth-url", "ftp://x", "--token-url", base, "--jwks-url", base])
    assert bad.exit_code != 0 and "--auth-url" in bad.output


def test_keys_rotate_and_retire(cli_env: Flask) -> None:
    client = cli_env.test_client()

    def published() -> list[str]:
        return [key["kid"] for key in client.get("/.well-known/jwks.json").get_json()["keys"]]

    first = published()  # generated lazily on first need
    assert len(first) == 1 and "BEGIN" not in client.get("/.well-known/jwks.json").get_data(as_text=True)
    new_kid = _run("keys", "rotate").split()[-1]
    assert published() == [new_kid, first[0]]  # the old key stays published
    assert f"{first[0]}" in _run("keys", "list") and "current" in _run("keys", "list")
    assert CliRunner().invoke(main, ["keys", "retire", "--kid", new_kid]).exit_code != 0  # current key: no
    assert first[0] in _run("keys", "retire")
    assert published() == [new_kid]
    assert "retired" in _run("keys", "list")


# --- deep linking --------------------------------------------------------------------------------

@pytest.mark.parametrize("code, custom", [
    (UNIT, {"unit_code": UNIT}), ("DS602", {"unit_code": UNIT, "element_code": "DS602"}),
])
def test_deep_linking_round_trip(env: Env, standard: object, code: str, custom: dict[str, str]) -> None:
    teacher = requests.Session()
    picker = env.launch("4", teacher, message_type="LtiDeepLinkingRequest")
    assert picker.url.endswith("/lti/deep-link") and f'value="{code}"' in picker.text
    answer = teacher.post(env.url + "/lti/deep-link", data={"csrf": csrf(picker.text), "code": code}, timeout=10)
    action = re.search(r'<form id="lti-dl-return" method="post" action="([^"]+)"', answer.text)
    assert action and "contentitem_return.php" in action.group(1)
    returned = teacher.post(action.group(1).replace("&amp;", "&"), data={"JWT": field(answer.text, "JWT")},
                            timeout=10)
    assert returned.status_code == 200, returned.text  # the platform verified our signature by our JWKS
    back = env.platform.deep_link_returns[-1]
    assert back["client_id"] == env.tool.client_id and back["items"][0]["custom"] == custom
    assert back["items"][0]["type"] == "ltiResourceLink" and back["items"][0]["url"] == env.url + "/lti/launch"
    # The custom parameters come back in every launch of the placed activity, and Moodle names the activity
    # by the item's title: the learner sees the unit.
    title = back["items"][0]["title"]
    assert title.startswith(f"{code} ")

    def placed(payload: dict[str, Any]) -> None:
        payload[LTI + "custom"].update(custom)
        payload[LTI + "resource_link"]["title"] = title

    customise(env.platform, placed)
    learner = env.launch("3")
    assert role_of(learner) == "learner" and "DS601.01" in learner.text and UNIT in learner.text
    with env.db() as db:
        assert db.scalars(select(ResourceLink)).one().unit_code == UNIT
    # The coordinator's page names the placement by its codes, each once, then the activity's name.
    coordinator = env.launch("4").text
    line = re.search(r'<span class="placement">(.*?)</span>', coordinator, re.S)
    assert line, coordinator
    shown = html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", line.group(1)))).strip()
    codes = " / ".join(dict.fromkeys([UNIT, code]))
    assert shown == f"{codes} {title.removeprefix(code + ' ')}" and shown.count(code) == 1


def test_deep_linking_needs_a_coordinator(env: Env, standard: object) -> None:
    learner = requests.Session()
    refused = env.launch("3", learner, message_type="LtiDeepLinkingRequest")
    assert refused.status_code == 403
    assert learner.post(env.url + "/lti/deep-link", data={"code": UNIT}, timeout=10).status_code == 403


def test_unknown_code_is_refused(env: Env, standard: object) -> None:
    teacher = requests.Session()
    picker = env.launch("4", teacher, message_type="LtiDeepLinkingRequest")
    refused = teacher.post(env.url + "/lti/deep-link", data={"csrf": csrf(picker.text), "code": "NOPE"}, timeout=10)
    assert refused.status_code == 400 and "unknown_code" in refused.text


# --- AGS and NRPS ---------------------------------------------------------------------------------

def test_push_unit_grades_posts_scores_moodle_records(env: Env, standard: object) -> None:
    env.launch("4")
    env.launch("3")
    now = utcnow()
    with env.db() as db:
        course = db.scalars(select(Course)).one()
        student = db.scalars(select(User).filter_by(subject="3")).one()
        report = push_unit_grades(db, course, {student.id: {UNIT: 0.5, "DG101": 1.0}}, now)
        db.commit()
        assert (report.line_items_created, report.scores_posted, report.failures) == (2, 2, [])
        items = {item["resourceId"]: (item_id, item) for item_id, item in env.platform.line_items.items()
                 if "resourceId" in item}
        assert set(items) == {UNIT, "DG101"} and items[UNIT][1]["label"].startswith(UNIT)
        score, first_stamp = env.platform.grades[(items[UNIT][0], "3")]
        assert score == 50.0 and env.platform.grades[(items["DG101"][0], "3")][0] == 100.0
        # Same clock again: Moodle would refuse an equal timestamp, so ours must move forward.
        again = push_unit_grades(db, course, {student.id: {UNIT: 0.75}}, now)
        db.commit()
        assert (again.line_items_created, again.scores_posted, again.failures) == (0, 1, [])
        score, second_stamp = env.platform.grades[(items[UNIT][0], "3")]
        assert score == 75.0 and second_stamp > first_stamp
        later = push_unit_grades(db, course, {student.id: {UNIT: 1.0}}, now + timedelta(minutes=5))
        assert later.scores_posted == 1 and env.platform.grades[(items[UNIT][0], "3")][1] > second_stamp


def test_line_item_already_on_the_platform_is_reused(env: Env, standard: object) -> None:
    env.launch("3")
    env.platform.line_items[9] = {"label": "old", "scoreMaximum": 100, "resourceId": UNIT, "tag": "samattha-unit"}
    with env.db() as db:
        course = db.scalars(select(Course)).one()
        student = db.scalars(select(User).filter_by(subject="3")).one()
        report = push_unit_grades(db, course, {student.id: {UNIT: 0.25}}, utcnow())
    assert report.line_items_created == 0 and env.platform.grades[(9, "3")][0] == 25.0


def test_sync_roster_brings_members_who_never_launched(env: Env) -> None:
    teacher = requests.Session()
    env.launch("4", teacher)
    with env.db() as db:
        course = db.scalars(select(Course)).one()
        assert sync_roster(db, course, utcnow()) == 2
        db.commit()
        rows = {e.user.subject: (e.source, e.status) for e in db.scalars(select(Enrolment))}
        student = db.scalars(select(User).filter_by(subject="3")).one()
        assert student.name == "Sam Student" and student.xapi_actor["account"]["name"] == "3"
    assert rows == {"3": ("nrps", "Active"), "4": ("launch", "Active")}
    page = teacher.get(f"{env.url}/course/{course.id}/coordinator", timeout=10)
    # Moodle's role and the roster's words in the page's language, not as stored.
    row = (r'data-subject="{}" data-standing="{}"><td>{}</td>\s*<td class="standing">{}</td>'
           r'<td class="moodle-roles">{}</td>\s*<td>{}</td><td>{}</td>')
    assert re.search(row.format(3, "learner", "Sam Student", "Learner", r"Learner \(LTI\)", "Moodle roster only",
                                "Active"), page.text.split('class="roster roster-learners"')[1])
    assert re.search(row.format(4, "coordinator", "Tina Teacher", "Coordinator", r"Instructor \(LTI\)",
                                "Opened Samattha from Moodle", "Active"),
                     page.text.split('class="roster roster-staff"')[1])
    synced_at = re.search(r'<span class="muted roster-synced">Last synced (.*?)</span>', page.text)
    # In the organisation's time zone (Asia/Bangkok by default), as a person reads it.
    assert synced_at and synced_at.group(1) == format_time(utcnow(), language="en")
    env.platform.enrolled.remove("3")  # unenrolled in Moodle
    with env.db() as db:
        sync_roster(db, db.scalars(select(Course)).one(), utcnow())
        db.commit()
        assert {e.user.subject: e.status for e in db.scalars(select(Enrolment))} == {"3": "Deleted", "4": "Active"}


# --- a real browser, a real iframe -------------------------------------------------------------------

@pytest.mark.browser
def test_learner_page_renders_inside_moodles_iframe(app: Flask) -> None:
    platform = MoodlePlatform()
    moodle_app = create_platform_app(platform)

    @moodle_app.get("/course/view.php")
    def course_view() -> str:
        return '<h1>LTI Lab Course</h1><iframe id="contentframe" src="/mod/lti/launch.php?id=2" width="900" ' \
               'height="600"></iframe>'

    @moodle_app.get("/mod/lti/launch.php")
    def launch_php() -> Response:
        # Moodle's launch.php: an auto-submitted ltiInitiateLoginForm posting to the tool's login URL.
        fields = platform.initiate_login(request.args.get("user", "3"))
        inputs = "".join(f'<input type="hidden" name="{k}" value="{v.replace(chr(34), "&quot;")}">'
                         for k, v in fields.items())
        return Response(f'<form name="ltiInitiateLoginForm" action="{platform.tool().initiate_login_uri}" '
                        f'method="post">{inputs}</form><script>document.ltiInitiateLoginForm.submit();</script>')

    with serve_app(moodle_app) as moodle_url, samattha(app) as url, chromium() as browser:
        platform.url = moodle_url
        tool = platform.add_tool(target_link_uri=f"{url}/lti/launch", jwks_uri=f"{url}/.well-known/jwks.json")
        tool.initiate_login_uri = f"{url}/lti/login"
        register(app, platform, tool)
        page = browser.new_page()
        page.goto(moodle_url + "/course/view.php")
        frame = page.frame_locator("#contentframe")
        heading = frame.locator("h1.lti-page")
        heading.wait_for(timeout=15000)
        assert heading.get_attribute("data-role") == "learner" and heading.inner_text() == "Learner"
        assert "LTI Lab Course" in frame.locator("p.lti-course").inner_text()
        inner = next(f for f in page.frames if f.url.startswith(url))
        assert urlsplit(inner.url).path.endswith("/learner") and not parse_qs(urlsplit(inner.url).query)
