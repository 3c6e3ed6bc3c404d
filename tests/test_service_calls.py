"""Calls to Moodle's services never wait on a request to Samattha itself (issue 18 item 7).

Moodle's token endpoint checks the tool's client assertion (private_key_jwt) with the tool's JWKS, fetched from
Samattha while it answers; so does the test platform (plugin/demo/moodle.py ``tool_key``: a tool registered with
a ``jwks_uri`` has its key set fetched at every token request). Under ``samattha serve --workers 1`` a roster
sync made inside the coordinator's request held the one thread that request needed, and failed when the token
request timed out. Now the call runs beside the request, which lets go after a brief wait."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from urllib.parse import urljoin

import pytest
import requests
from flask import Flask
from sqlalchemy import select

from plugin.app import create_app
from plugin.clock import utcnow
from plugin.config import load_config
from plugin.launch import calls
from plugin.models import Course, Enrolment
from plugin.models.service_calls import ServiceCall
from tests.conftest import FreshDatabases
from tests.lti_platform import MoodlePlatform
from tests.servers import serve
from tests.test_judgements import Site, grade, site
from tests.test_lti_flow import Env, _nrps_with_type_id, csrf, customise, env_fixture, moodle, register

assert env_fixture and site  # the `env` and `site` fixtures, shared with test_lti_flow and test_judgements

ROSTER = "/coordinator/roster"


@pytest.fixture(autouse=True)
def _runners_stop(app: Flask) -> Iterator[None]:
    """This file's calls are left pending on purpose: the app's runner must not outlive its database."""
    yield
    calls.runner_for(app.extensions).stop()


@contextmanager
def served_env(databases: FreshDatabases, tmp_path: Path, *args: str) -> Iterator[Env]:
    """`samattha serve ARGS` with the test platform trusting it, its tool's keys fetched from serve's JWKS."""
    url = databases.new()
    with moodle(MoodlePlatform()) as platform, serve(tmp_path / "instance", url, args=args) as server:
        app = create_app(load_config(env={}, instance_path=tmp_path / "instance", database_url=url,
                                     base_url=server.url))
        tool = platform.add_tool(target_link_uri=f"{server.url}/lti/launch",
                                 jwks_uri=f"{server.url}/.well-known/jwks.json")
        register(app, platform, tool)
        customise(platform, lambda p: _nrps_with_type_id(p, tool))
        try:
            yield Env(platform, server.url, app, tool)
        finally:
            app.extensions["samattha.engine"].dispose()


def roster_size(app: Flask) -> int:
    with app.extensions["samattha.sessionmaker"]() as db:
        return len(db.scalars(select(Enrolment)).all())


def test_a_roster_sync_under_one_worker_does_not_wait_on_itself(databases: FreshDatabases, tmp_path: Path) -> None:
    with served_env(databases, tmp_path, "--workers", "1", "--threads", "1") as env:
        teacher = requests.Session()
        page = env.launch("4", teacher)
        assert page.status_code == 200, page.text
        course = f"{env.url}/course/{env.course().id}"
        assert env.platform.token_requests == 0  # nothing has asked Moodle for a token yet: it must fetch our keys
        started = time.monotonic()
        synced = teacher.post(course + ROSTER, data={"csrf": csrf(page.text)}, timeout=30)
        answered = time.monotonic() - started
        assert synced.status_code == 200, synced.text
        # The request let go well inside the token request's 5 s timeout, so its thread could serve the JWKS.
        assert answered < calls.BRIEF_WAIT + 1.5, answered
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and "Last synced" not in (shown := teacher.get(
                course + "/coordinator", timeout=10).text):
            time.sleep(0.2)
        assert "Last synced" in shown, shown
        assert env.platform.token_requests == 1  # the token was granted after Moodle fetched and checked our key
        assert roster_size(env.app) == 2  # Sam and Tina, as NRPS lists them
        assert 'class="roster-call' not in shown  # nothing pending or failed to report


def _stop_tokens(env: Env) -> None:
    """The platform refuses every token request until the test lets it answer again."""
    env.platform.tools[env.tool.client_id].jwks = {"keys": []}


def _allow_tokens(env: Env) -> None:
    env.platform.tools[env.tool.client_id].jwks = None


def test_a_failed_sync_is_shown_and_retried(env: Env) -> None:
    teacher = requests.Session()
    page = env.launch("4", teacher)
    course_pk = env.course().id
    _stop_tokens(env)
    synced = teacher.post(f"{env.url}/course/{course_pk}{ROSTER}", data={"csrf": csrf(page.text)}, timeout=30)
    retry = re.search(r'<p class="roster-call muted" data-status="retry">(.*?)</p>', synced.text, re.S)
    assert retry is not None, synced.text
    assert "trying again at" in retry.group(1) and "Last synced" not in synced.text
    thai = requests.Session()
    env.platform.locale = "th"
    env.launch("4", thai)
    env.platform.locale = "en"
    assert "จะลองอีกครั้งเมื่อ" in thai.get(f"{env.url}/course/{course_pk}/coordinator", timeout=10).text
    _allow_tokens(env)
    # Not before its time: the runner leaves it alone until the pause is over.
    sessions = env.app.extensions["samattha.sessionmaker"]
    tokens = env.app.extensions["samattha.lti_tokens"]
    assert calls.run_due(sessions, tokens) == 0
    assert calls.run_due(sessions, tokens, lambda: utcnow() + calls.BACKOFF[0] + timedelta(seconds=1)) == 1
    shown = teacher.get(f"{env.url}/course/{course_pk}/coordinator", timeout=10).text
    assert "Last synced" in shown and 'class="roster-call' not in shown


def test_a_call_that_keeps_failing_gives_up_and_says_so(env: Env) -> None:
    teacher = requests.Session()
    page = env.launch("4", teacher)
    course_pk = env.course().id
    _stop_tokens(env)
    teacher.post(f"{env.url}/course/{course_pk}{ROSTER}", data={"csrf": csrf(page.text)}, timeout=30)
    sessions = env.app.extensions["samattha.sessionmaker"]
    tokens = env.app.extensions["samattha.lti_tokens"]
    later = utcnow()
    for pause in calls.BACKOFF:
        later += pause + timedelta(seconds=1)
        assert calls.run_due(sessions, tokens, lambda at=later: at) == 1
    with sessions() as db:
        call = db.scalars(select(ServiceCall)).one()
        assert (call.status, call.attempts) == ("failed", len(calls.BACKOFF) + 1)
    shown = teacher.get(f"{env.url}/course/{course_pk}/coordinator", timeout=10).text
    assert 'data-status="failed"' in shown and "Failed after 5 attempts" in shown


def test_two_runners_never_make_the_same_call(env: Env) -> None:
    env.launch("4")
    sessions = env.app.extensions["samattha.sessionmaker"]
    with sessions() as db:
        course = db.scalars(select(Course)).one()
        calls.queue_roster_sync(db, course, by=None, now=utcnow())
        db.commit()
    tokens = env.app.extensions["samattha.lti_tokens"]
    with sessions() as first, sessions() as second:
        taken = [calls._claim(first, utcnow()), calls._claim(second, utcnow())]  # noqa: SLF001
    assert taken.count(None) == 1
    assert calls.run_due(sessions, tokens) == 0  # held by the first until its lease runs out
    assert calls.run_due(sessions, tokens, lambda: utcnow() + calls.LEASE + timedelta(seconds=1)) == 1


def test_a_judgements_grade_waits_for_moodle_and_is_retried_with_its_status_shown(site: Site) -> None:
    number, _, document = site.snapshot()
    unit = document["units"][0]["code"]
    _stop_tokens(site.env)
    done = site.judge({"snapshot": str(number), "unit": unit, "outcome": "competent"})
    assert done.status_code == 303, done.text
    shown = site.ann.get(urljoin(site.env.url, done.headers["Location"]), timeout=10).text
    # The judgement is kept; the grade waits, and the page says why and when it is tried again.
    assert 'data-flash="pf.recorded"' in shown and 'data-flash="pf.grade_failed"' in shown
    [judgement] = site.judgements()
    row = shown.split(f'data-judgement="{judgement.id}"')[1].split("</tr>")[0]
    assert 'data-status="retry"' in row and "trying again at" in row, row
    # A second judgement of the unit before the first grade went supersedes it: only the newer grade is sent.
    site.judge({"snapshot": str(number), "unit": unit, "outcome": "not_yet_competent"})
    _allow_tokens(site.env)
    sessions = site.app.extensions["samattha.sessionmaker"]
    tokens = site.app.extensions["samattha.lti_tokens"]
    assert calls.run_due(sessions, tokens, lambda: utcnow() + calls.BACKOFF[0] + timedelta(seconds=1)) == 1
    assert grade(site, unit) != 100.0  # the not-yet-competent judgement's grade, not the competent one's
    first, second = site.judgements()
    shown = site.ann.get(f"{site.base}/portfolios/{site.sam_id}", timeout=10).text
    assert 'data-status="superseded"' in shown.split(f'data-judgement="{first.id}"')[1].split("</tr>")[0]
    assert "Sent to Moodle" in shown.split(f'data-judgement="{second.id}"')[1].split("</tr>")[0]
    # The learner's own page shows no gradebook plumbing.
    assert "grade-call" not in site.sam.get(f"{site.base}/my-portfolio", timeout=10).text
