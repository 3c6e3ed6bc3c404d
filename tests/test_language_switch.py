"""The Thai/English switch on every page: it starts from the launch's locale, turns the page the person is on
into the other language, and is remembered for them, so their next launch from Moodle opens in it too."""

from __future__ import annotations

import html
import re

import requests
from flask.testing import FlaskClient
from sqlalchemy import select

from plugin.models import User
from tests.test_lti_flow import LTI, Env, customise, env_fixture  # noqa: F401 - the fixture is used by name


def _switch(page: str) -> str:
    found = re.search(r'<a class="lang-switch" href="([^"]+)"', page)
    assert found, page[:800]
    return html.unescape(found.group(1))


def _lang(page: str) -> str:
    found = re.search(r'<html lang="(\w+)">', page)
    assert found
    return found.group(1)


def test_the_switch_changes_the_page_and_the_next_launch_keeps_it(env: Env) -> None:
    customise(env.platform, lambda p: p[LTI + "launch_presentation"].update(locale="th"))
    browser = requests.Session()
    landed = env.launch("3", browser)
    assert _lang(landed.text) == "th" and ">ความก้าวหน้าของฉัน</a>" in landed.text
    switched = browser.get(env.url + _switch(landed.text), timeout=10)
    # Back on the very page it was pressed on, now in English.
    assert switched.url == landed.url
    assert _lang(switched.text) == "en" and ">My progress</a>" in switched.text
    assert "/language?to=th" in _switch(switched.text)
    with env.db() as db:
        assert db.scalars(select(User.language).filter_by(subject="3")).one() == "en"
    # Moodle still says Thai; the person said English, in another browser too.
    again = env.launch("3", requests.Session())
    assert _lang(again.text) == "en"
    # Someone who never chose still follows the launch.
    assert _lang(env.launch("4").text) == "th"


def test_without_a_launch_the_choice_lasts_the_session(client: FlaskClient) -> None:
    client.get("/language?to=th&next=/standards")
    assert _lang(client.get("/").get_data(as_text=True)) == "th"
    client.get("/language?to=en")
    page = client.get("/").get_data(as_text=True)
    assert _lang(page) == "en" and "samattha demo" in page


def test_a_language_it_does_not_have_is_a_400_naming_the_field(client: FlaskClient) -> None:
    response = client.get("/language?to=fr", headers={"Accept-Language": "th"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "to: choose th" in page and "คำขอไม่ถูกต้อง" in page
    # … with a way back.
    assert '<nav class="ways-back"' in page and 'href="/"' in page


def test_the_switch_only_returns_to_pages_of_this_site(client: FlaskClient) -> None:
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)", ""):
        response = client.get("/language", query_string={"to": "en", "next": target})
        assert response.status_code == 303
        assert response.headers["Location"] == "/", target
    kept = client.get("/language", query_string={"to": "en", "next": "/standards/DG100?x=1"})
    assert kept.headers["Location"] == "/standards/DG100?x=1"
