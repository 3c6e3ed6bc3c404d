"""LTI 1.3 end to end over real HTTP on loopback: the Moodle-like test platform and Samattha (the ``app``
fixture's Flask app in a werkzeug thread, so the database cleanup still applies). A requests.Session
plays the browser: login → /mod/lti/auth.php → form_post to /lti/launch, cookies and all."""

from __future__ import annotations

import html
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
import requests
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

import lti
from plugin.clock import utcnow
from plugin.demo.moodle_web import add_launch_page
from plugin.launch.i18n import REASONS_TH
from plugin.launch.repository import save_registration
from plugin.models import Course, User
from tests.lti_platform import LTI, MoodlePlatform, Tool
from tests.lti_platform import User as PlatformUser
from tests.lti_platform import create_app as create_platform_app
from tests.servers import serve_app

Payload = dict[str, Any]


@dataclass
class Env:
    """The platform, Samattha's URL and app, and the tool as the platform knows it."""

    platform: MoodlePlatform
    url: str
    app: Flask
    tool: Tool

    def db(self) -> Session:
        session: Session = self.app.extensions["samattha.sessionmaker"]()
        return session

    def count_users(self) -> int:
        with self.db() as db:
            return int(db.scalar(select(func.count()).select_from(User)) or 0)

    def course(self) -> Course:
        with self.db() as db:
            return db.scalars(select(Course).filter_by(context_id="2")).one()

    def login(self, browser: requests.Session, user_id: str, *, message_type: str = "LtiResourceLinkRequest",
              via_get: bool = False) -> tuple[str, str]:
        """Moodle's login form → our redirect → Moodle's auth page; returns (id_token, state)."""
        form = self.platform.initiate_login(user_id, tool=self.tool, message_type=message_type)
        if via_get:
            started = browser.get(self.url + "/lti/login", params=form, allow_redirects=False, timeout=10)
        else:
            started = browser.post(self.url + "/lti/login", data=form, allow_redirects=False, timeout=10)
        assert started.status_code == 302, started.text
        auth = browser.get(started.headers["Location"], timeout=10)
        assert auth.status_code == 200, auth.text
        return field(auth.text, "id_token"), field(auth.text, "state")

    def launch(self, user_id: str, browser: requests.Session | None = None, **kwargs: Any) -> requests.Response:
        browser = browser if browser is not None else requests.Session()
        id_token, state = self.login(browser, user_id, **kwargs)
        return browser.post(self.url + "/lti/launch", data={"id_token": id_token, "state": state}, timeout=10)


def field(page: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', page)
    assert found, f"no {name} in {page[:500]}"
    return html.unescape(found.group(1))


def customise(platform: MoodlePlatform, change: Callable[[Payload], None]) -> None:
    """Make the platform's next launches carry something else (a locale, a bound unit, …)."""
    original = platform.launch_payload

    def changed(*args: Any, **kwargs: Any) -> Payload:
        payload = original(*args, **kwargs)
        change(payload)
        return payload

    platform.launch_payload = changed  # type: ignore[method-assign]


def register(app: Flask, platform: MoodlePlatform, tool: Tool) -> None:
    registration = lti.Registration(platform.url, tool.client_id, f"{platform.url}/mod/lti/auth.php",
                                    f"{platform.url}/mod/lti/token.php", f"{platform.url}/mod/lti/certs.php",
                                    (tool.deployment_id,))
    with app.extensions["samattha.sessionmaker"]() as db:
        save_registration(db, registration, source="manual", now=utcnow())
        db.commit()


@contextmanager
def moodle(platform: MoodlePlatform | None = None) -> Iterator[MoodlePlatform]:
    platform = platform or MoodlePlatform()
    with serve_app(create_platform_app(platform)) as url:
        platform.url = url
        yield platform


@contextmanager
def samattha(app: Flask) -> Iterator[str]:
    """Serve the test app on loopback; its base URL becomes the served one (login checks target_link_uri)."""
    with serve_app(app) as url:
        app.config["SAMATTHA"] = app.config["SAMATTHA"].with_overrides(base_url=url)
        yield url


@contextmanager
def browser_site(app: Flask, platform: MoodlePlatform) -> Iterator[Env]:
    """The platform served with Moodle's launch page (for a browser), Samattha served, the tool registered on
    both sides with its login URL, as dynamic registration leaves them."""
    moodle_app = create_platform_app(platform)
    add_launch_page(moodle_app, platform)
    with serve_app(moodle_app) as site, samattha(app) as url:
        platform.url = site
        tool = platform.add_tool(target_link_uri=f"{url}/lti/launch", jwks_uri=f"{url}/.well-known/jwks.json")
        tool.initiate_login_uri = f"{url}/lti/login"
        register(app, platform, tool)
        yield Env(platform, url, app, tool)


@pytest.fixture(name="env")
def env_fixture(app: Flask) -> Iterator[Env]:
    with moodle() as platform, samattha(app) as url:
        tool = platform.add_tool(target_link_uri=f"{url}/lti/launch", jwks_uri=f"{url}/.well-known/jwks.json")
        register(app, platform, tool)
        customise(platform, lambda p: _nrps_with_type_id(p, tool))
        yield Env(platform, url, app, tool)


def _nrps_with_type_id(payload: Payload, tool: Tool) -> None:
    """The test platform checks ``type_id`` on every service URL, but (like the captured Moodle) sends the
    roster URL without it; real Moodle reads the tool from the URL path. So the tests add it."""
    claim = payload["https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"]
    claim["context_memberships_url"] += f"?type_id={tool.type_id}"


def role_of(response: requests.Response) -> str | None:
    found = re.search(r'class="lti-page" data-role="(\w+)"', response.text)
    return found.group(1) if found else None


def csrf(page: str) -> str:
    return field(page, "csrf")


# --- each role lands on its page -------------------------------------------------------------------

@pytest.mark.parametrize("user_id, role, heading", [
    ("3", "learner", "Learner"), ("4", "coordinator", "Coordinator"), ("2", "admin", "Administrator"),
])
def test_each_role_lands_on_its_page(env: Env, user_id: str, role: str, heading: str) -> None:
    browser = requests.Session()
    landed = env.launch(user_id, browser)
    assert landed.status_code == 200, landed.text
    assert role_of(landed) == role and f">{heading}</h1>" in landed.text
    assert landed.url.endswith(f"/course/{env.course().id}/{role}")
    assert "X-Frame-Options" not in landed.headers  # it lives in Moodle's iframe …
    # … and only there: other sites may not frame it (clickjacking).
    origin = "/".join(env.platform.url.split("/")[:3])
    assert landed.headers["Content-Security-Policy"] == f"frame-ancestors 'self' {origin}"
    with env.db() as db:
        user = db.scalars(select(User)).one()
        # The actor Moodle's xAPI log store sends for this person (homePage = wwwroot = iss, name = sub).
        assert user.xapi_actor == {"objectType": "Agent", "account": {"homePage": env.platform.url, "name": user_id}}
        assert (user.issuer, user.subject) == (env.platform.url, user_id)


def test_login_by_get_works_too(env: Env) -> None:
    browser = requests.Session()
    id_token, state = env.login(browser, "3", via_get=True)
    landed = browser.post(env.url + "/lti/launch", data={"id_token": id_token, "state": state}, timeout=10)
    assert role_of(landed) == "learner"


def test_appointed_assessor_lands_on_the_assessor_page(env: Env) -> None:
    env.platform.users["5"] = PlatformUser("5", "assessor1", "Ann", "Assessor", "student")
    env.platform.enrolled.append("5")
    teacher = requests.Session()
    page = env.launch("4", teacher)
    synced = teacher.post(f"{env.url}/course/{env.course().id}/coordinator/roster", data={"csrf": csrf(page.text)},
                          timeout=10)
    assert "Ann Assessor" in synced.text and "Roster synced: 3 members." in synced.text
    with env.db() as db:
        ann = db.scalars(select(User).filter_by(subject="5")).one()
    appointed = teacher.post(f"{env.url}/course/{env.course().id}/coordinator/assessors",
                             data={"csrf": csrf(synced.text), "user_id": str(ann.id)}, timeout=10)
    assert re.search(r'<table class="assessors">.*Ann Assessor', appointed.text, re.S)
    assessor = requests.Session()
    landed = env.launch("5", assessor)
    assert role_of(landed) == "assessor"
    # Moodle's Learner role does not make an appointed assessor a learner: no learner page, no link to one.
    assert pages_of(landed.text) == ["Assessor"]
    for page in ("learner", "my-portfolio"):
        assert assessor.get(f"{env.url}/course/{env.course().id}/{page}", timeout=10).status_code == 403
    # Moodle sends Ann as a Learner, but once appointed she assesses the others: she is not her own learner.
    # Her page is her caseload, the portfolios page.
    assert landed.url.endswith(f"/course/{env.course().id}/portfolios")
    assert re.findall(r'<a class="learner" href="[^"]+">([^<]+)</a>', landed.text) == ["Sam Student"]
    # Revoking takes effect at once, without a new launch.
    browser = requests.Session()
    env.launch("5", browser)
    teacher.post(f"{env.url}/course/{env.course().id}/coordinator/assessors/{ann.id}/revoke",
                 data={"csrf": csrf(appointed.text)}, timeout=10)
    assert browser.get(f"{env.url}/course/{env.course().id}/assessor", timeout=10).status_code == 403
    # … and she is the learner Moodle says she is again.
    learner = browser.get(f"{env.url}/course/{env.course().id}/", timeout=10)
    assert role_of(learner) == "learner" and pages_of(learner.text) == ["Learner"]


def pages_of(page: str) -> list[str]:
    """The role pages the course header offers (links and the current one)."""
    nav = re.search(r'<nav class="lti-roles">(.*?)</nav>', page, re.S)
    assert nav, page[:500]
    return re.findall(r"<(?:a|strong)[^>]*>([^<]+)</(?:a|strong)>", nav.group(1))


def test_posts_without_the_form_token_are_refused(env: Env) -> None:
    teacher = requests.Session()
    env.launch("4", teacher)
    refused = teacher.post(f"{env.url}/course/{env.course().id}/coordinator/roster", data={}, timeout=10)
    assert refused.status_code == 403


# --- the language follows launch_presentation.locale ------------------------------------------------

@pytest.mark.parametrize("locale, expected, absent", [
    ("th", "ผู้เรียน", "Learner"), ("th_TH", "ผู้เรียน", "Learner"), ("th-TH", "ผู้เรียน", "Learner"),
    ("en", "Learner", "ผู้เรียน"),
])
def test_page_language_follows_the_launch_locale(env: Env, locale: str, expected: str, absent: str) -> None:
    customise(env.platform, lambda p: p[LTI + "launch_presentation"].update(locale=locale))
    landed = env.launch("3")
    heading = re.search(r'<h1 class="lti-page"[^>]*>([^<]*)</h1>', landed.text)
    assert heading and heading.group(1) == expected and absent not in heading.group(1)
    assert f'<html lang="{"th" if expected == "ผู้เรียน" else "en"}">' in landed.text


def test_the_roster_speaks_the_page_language(env: Env) -> None:
    env.launch("3")
    customise(env.platform, lambda p: p[LTI + "launch_presentation"].update(locale="th"))
    page = env.launch("4").text
    tables = re.findall(r'<table class="roster roster-(\w+)">(.*?)</table>', page, re.S)
    assert [name for name, _ in tables] == ["staff", "learners"]
    rows = {name: {subject: re.findall(r"<td(?: class=\"[\w-]+\")?>\s*([^<]*?)\s*</td>", row)
                   for subject, row in re.findall(r'<tr data-subject="(\w+)"[^>]*>(.*?)</tr>', body, re.S)}
            for name, body in tables}
    # Staff and learners apart; Samattha's role, then Moodle's (here as LTI sent it: no Web Services token).
    assert rows["learners"] == {"3": ["Sam Student", "ผู้เรียน", "ผู้เรียน (Learner ทาง LTI)",
                                      "เปิด Samattha จาก Moodle แล้ว", "ใช้งานอยู่"]}
    assert rows["staff"]["4"][:5] == ["Tina Teacher", "ผู้ประสานงานรายวิชา", "ผู้สอน (Instructor ทาง LTI)",
                                      "เปิด Samattha จาก Moodle แล้ว", "ใช้งานอยู่"]
    assert "ยังไม่เคยดึงรายชื่อ" in page


@pytest.mark.parametrize("title, label, shown", [
    ("ปรับปรุงงานบริการดิจิทัลเพื่อยกระดับอย่างต่อเนื่อง (DG-OPSR-023)", "DG-OPSR-023",
     "ปรับปรุงงานบริการดิจิทัลเพื่อยกระดับอย่างต่อเนื่อง (DG-OPSR-023)"),
    ("LTI Lab Course", "LTILAB", "LTI Lab Course (LTILAB)"),
])
def test_the_course_heading_names_the_course_once(env: Env, title: str, label: str, shown: str) -> None:
    customise(env.platform, lambda p: p[LTI + "context"].update(title=title, label=label))
    heading = re.search(r'<p class="muted lti-course">(.*?)</p>', env.launch("3").text, re.S)
    assert heading
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", heading.group(1)))
    assert text.startswith(f"Course: {shown} · Welcome")


# --- access control ------------------------------------------------------------------------------

def test_a_learner_cannot_open_coordinator_or_assessor_pages(env: Env) -> None:
    browser = requests.Session()
    env.launch("3", browser)
    course = env.course().id
    for page in ("coordinator", "assessor", "admin"):
        denied = browser.get(f"{env.url}/course/{course}/{page}", timeout=10)
        assert denied.status_code == 403 and "Not allowed" in denied.text
    assert browser.post(f"{env.url}/course/{course}/coordinator/roster", timeout=10).status_code == 403


def test_a_coordinator_of_one_course_cannot_open_another(env: Env) -> None:
    browser = requests.Session()
    env.launch("4", browser)
    with env.db() as db:
        other = Course(issuer=env.platform.url, context_id="99", title="Other", updated_at=utcnow(), ags_scopes=[])
        db.add(other)
        db.commit()
        other_id = other.id
    assert browser.get(f"{env.url}/course/{other_id}/coordinator", timeout=10).status_code == 403
    assert browser.get(f"{env.url}/course/{other_id}/", timeout=10).status_code == 403
    assert browser.get(f"{env.url}/course/{env.course().id}/coordinator", timeout=10).status_code == 200


def test_without_a_launch_there_is_no_access(env: Env) -> None:
    env.launch("3")
    anonymous = requests.get(f"{env.url}/course/{env.course().id}/learner", timeout=10)
    assert anonymous.status_code == 401
    # No launch, so no language from Moodle: the page says it in both, as the rest of Samattha does.
    assert "Please open Samattha from Moodle" in anonymous.text and "โปรดเปิด Samattha จาก Moodle" in anonymous.text
    assert "หน้านี้เข้าถึงได้ผ่านกิจกรรม Samattha ในรายวิชา Moodle ของคุณ" in anonymous.text


# --- refusals: a page that says why, 4xx, no user and no session -------------------------------------

def _no_session_cookie(response: requests.Response) -> bool:
    return "session=" not in response.headers.get("Set-Cookie", "")


TAMPERED: dict[str, Callable[[MoodlePlatform], str]] = {
    "bad_signature": lambda p: p.sign_with_foreign_key(p.launch_payload()),
    "bad_aud": lambda p: p.sign({**p.launch_payload(), "aud": "someone-else"}),
    "expired": lambda p: p.sign(p.launch_payload(now=time.time() - 3600)),
    "unknown_deployment": lambda p: p.sign({**p.launch_payload(), LTI + "deployment_id": "99"}),
    "alg_not_allowed": lambda p: p.sign_none(p.launch_payload()),
    "unknown_issuer": lambda p: p.sign({**p.launch_payload(), "iss": "https://evil.example"}),
    "unknown_kid": lambda p: p.sign(p.launch_payload(), kid="nope"),
    "malformed_token": lambda p: "not-a-jwt",
}


@pytest.mark.parametrize("code", sorted(TAMPERED))
def test_tampered_launches_are_refused(env: Env, code: str) -> None:
    browser = requests.Session()
    _, state = env.login(browser, "3")
    refused = browser.post(env.url + "/lti/launch", data={"id_token": TAMPERED[code](env.platform), "state": state},
                           timeout=10)
    assert refused.status_code == 400
    assert f'<code class="lti-error-code">{code}</code>' in refused.text and "The launch was refused" in refused.text
    # A token we refuse is no source of the reader's language: the reason is given in Thai as well.
    assert "ไม่สามารถเปิดใช้งานได้" in refused.text and html.escape(REASONS_TH[code]) in refused.text
    assert _no_session_cookie(refused) and env.count_users() == 0


def test_refusal_speaks_thai_when_the_launch_does(env: Env) -> None:
    payload = env.platform.launch_payload()
    payload[LTI + "launch_presentation"]["locale"] = "th"
    refused = requests.post(env.url + "/lti/launch", data={"id_token": env.platform.sign_with_foreign_key(payload),
                                                          "state": "x"}, timeout=10)
    assert refused.status_code == 400 and "ไม่สามารถเปิดใช้งานได้" in refused.text and "bad_signature" in refused.text


def test_nonce_replay_is_refused(env: Env) -> None:
    browser = requests.Session()
    id_token, state = env.login(browser, "3")
    first = browser.post(env.url + "/lti/launch", data={"id_token": id_token, "state": state}, timeout=10)
    assert role_of(first) == "learner"
    replay = browser.post(env.url + "/lti/launch", data={"id_token": id_token, "state": state},
                          allow_redirects=False, timeout=10)
    assert replay.status_code == 400 and "nonce_reused" in replay.text and _no_session_cookie(replay)


def test_missing_state_cookie_offers_a_new_window(env: Env) -> None:
    id_token, state = env.login(requests.Session(), "3")
    other_browser = requests.post(env.url + "/lti/launch", data={"id_token": id_token, "state": state}, timeout=10)
    assert other_browser.status_code == 401 and "open_in_new_window" in other_browser.text
    assert f'href="{env.platform.url}/mod/lti/launch.php?id=2" target="_blank"' in other_browser.text
    assert _no_session_cookie(other_browser) and env.count_users() == 0


def heading(page: str) -> str:
    found = re.search(r"<h1>(.*?)</h1>", page, re.S)
    assert found, page[:500]
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", found.group(1)))).strip()


@pytest.mark.parametrize("locale, first, second", [
    ("th", "เปิด Samattha ในหน้าต่างใหม่", "Open Samattha in a new window"),
    ("en", "Open Samattha in a new window", "เปิด Samattha ในหน้าต่างใหม่"),
])
def test_the_new_window_page_speaks_both_languages_the_launchs_first(
        env: Env, locale: str, first: str, second: str) -> None:
    customise(env.platform, lambda p: p[LTI + "launch_presentation"].update(locale=locale))
    id_token, state = env.login(requests.Session(), "3")
    page = requests.post(env.url + "/lti/launch", data={"id_token": id_token, "state": state}, timeout=10).text
    assert f'<html lang="{locale}">' in page and heading(page) == f"{first} · {second}"
    assert "Your browser blocked the cookie" in page and "เบราว์เซอร์ของคุณบล็อกคุกกี้" in page
    button = re.search(r'<a class="button"[^>]*>(.*?)</a>', page, re.S)
    assert button and "Open in a new window" in button.group(1) and "เปิดในหน้าต่างใหม่" in button.group(1)


@pytest.mark.parametrize("locale, first, second", [("th", "ไม่พบหน้าที่ต้องการ", "Not Found"),
                                                   ("en", "Not Found", "ไม่พบหน้าที่ต้องการ")])
def test_other_errors_speak_both_languages_the_pages_first(env: Env, locale: str, first: str, second: str) -> None:
    customise(env.platform, lambda p: p[LTI + "launch_presentation"].update(locale=locale))
    browser = requests.Session()
    env.launch("3", browser)
    missing = browser.get(env.url + "/no/such/page", timeout=10)
    assert missing.status_code == 404 and f'<html lang="{locale}">' in missing.text
    assert heading(missing.text) == f"404 · {first} · {second}"
    assert "The requested URL was not found on the server." in missing.text and "ไม่พบหน้าหรือข้อมูลที่ขอ" in missing.text
    # Without a launch, the browser's preference puts its language first; both are still there.
    anonymous = requests.get(env.url + "/no/such/page", headers={"Accept-Language": "th"}, timeout=10)
    assert heading(anonymous.text) == "404 · ไม่พบหน้าที่ต้องการ · Not Found"


def test_state_from_another_browser_is_refused(env: Env) -> None:
    _, state = env.login(requests.Session(), "3")
    attacker = requests.Session()
    id_token, _ = env.login(attacker, "3")
    swapped = attacker.post(env.url + "/lti/launch", data={"id_token": id_token, "state": state}, timeout=10)
    assert swapped.status_code == 403 and "state_mismatch" in swapped.text
    assert _no_session_cookie(swapped) and env.count_users() == 0


@pytest.mark.parametrize("change, code", [
    ({"iss": "https://evil.example"}, "unknown_issuer"), ({"client_id": "other"}, "unknown_issuer"),
    ({"lti_deployment_id": "7"}, "unknown_deployment"), ({"login_hint": ""}, "missing_login_hint"),
    ({"target_link_uri": "https://evil.example/"}, "bad_target_link_uri"),
])
def test_login_refusals(env: Env, change: dict[str, str], code: str) -> None:
    form = {**env.platform.initiate_login("3", tool=env.tool), **change}
    refused = requests.post(env.url + "/lti/login", data=form, allow_redirects=False, timeout=10)
    assert refused.status_code == 400 and f'<code class="lti-error-code">{code}</code>' in refused.text
    assert _no_session_cookie(refused) and "samattha_lti_binding" not in refused.headers.get("Set-Cookie", "")


def test_inactive_registration_is_not_trusted(env: Env) -> None:
    from plugin.models import Platform

    with env.db() as db:
        db.scalars(select(Platform)).one().active = False
        db.commit()
    form = env.platform.initiate_login("3", tool=env.tool)
    assert requests.post(env.url + "/lti/login", data=form, timeout=10).status_code == 400
