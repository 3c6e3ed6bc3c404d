"""Placed packages launched from a real LTI launch in headless Chromium: the sample Tin Can packages and a
hand-made cmi5 course report into Samattha's LRS with the launch's own credential, and what they send
counts toward the mapped criteria. The credential reads only its learner's statements and stops at expiry."""

from __future__ import annotations

import base64
import json
import time
import zipfile
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
from playwright.sync_api import Page
from sqlalchemy import select, update

import xapi
from plugin.clock import utcnow
from plugin.content.samples import zip_sample
from plugin.coverage import learner_progress
from plugin.evidence import course_statements
from plugin.mapping.files import load_mapping
from plugin.mapping.store import standard_index
from plugin.models import Course, CourseActivity
from plugin.models.content import ContentLaunch
from tests.browser import chromium
from tests.lti_platform import Link
from tests.test_content_upload import coordinator, upload
from tests.test_lti_flow import Env, csrf, env_fixture, field  # noqa: F401 - the fixture
from tests.test_sample_packages import answer
from xapi.models import Credential
from xapi.prepare import ifi_of, to_micros

Json = dict[str, Any]
VERB = "http://adlnet.gov/expapi/verbs/"
CMI5_CATEGORY = "https://w3id.org/xapi/cmi5/context/categories/cmi5"
MOVEON = "https://w3id.org/xapi/cmi5/context/categories/moveon"
SESSION = "https://w3id.org/xapi/cmi5/context/extensions/sessionid"
COURSE_IRI = "https://example.test/cmi5/course"
AU_IRI = "https://example.test/cmi5/au/quiz"
XAPI = {"X-Experience-API-Version": "1.0.3"}

CMI5_XML = f"""<?xml version="1.0" encoding="utf-8"?>
<courseStructure xmlns="https://w3id.org/xapi/profiles/cmi5/v1/CourseStructure.xsd">
  <course id="{COURSE_IRI}"><title><langstring lang="en-US">Hand-made cmi5 course</langstring></title>
    <description><langstring lang="en-US">One AU</langstring></description></course>
  <au id="{AU_IRI}" moveOn="Passed" masteryScore="0.8" launchMethod="AnyWindow">
    <title><langstring lang="en-US">Knowledge check AU</langstring></title>
    <description><langstring lang="en-US">Sends initialized, passed, terminated</langstring></description>
    <launchParameters>{{"mode":"test"}}</launchParameters>
    <url>au/index.html?lang=en</url>
  </au>
</courseStructure>
"""

# The AU as an authoring tool would write it: fetch the token, read LMS.LaunchData, send its statements.
AU_HTML = """<!doctype html><html><head><meta charset="utf-8"><title>AU</title></head><body><script>
const CMI5 = "@CMI5@", MOVEON = "@MOVEON@";
const p = new URLSearchParams(location.search);
const endpoint = p.get("endpoint"), fetchUrl = p.get("fetch"), registration = p.get("registration");
const actor = JSON.parse(p.get("actor")), activityId = p.get("activityId");
async function run() {
  const token = await (await fetch(fetchUrl, {method: "POST"})).json();
  const headers = {"Authorization": "Basic " + token["auth-token"], "X-Experience-API-Version": "1.0.3",
                   "Content-Type": "application/json"};
  const q = new URLSearchParams({stateId: "LMS.LaunchData", activityId: activityId,
                                 agent: JSON.stringify(actor), registration: registration});
  const launchData = await (await fetch(endpoint + "activities/state?" + q, {headers})).json();
  const template = launchData.contextTemplate;
  async function send(verb, categories, result) {
    const context = {registration: registration, extensions: template.extensions,
      contextActivities: Object.assign({}, template.contextActivities,
                                       {category: categories.map(id => ({id: id}))})};
    const statement = {actor: actor, verb: {id: "http://adlnet.gov/expapi/verbs/" + verb, display: {"en-US": verb}},
      object: {objectType: "Activity", id: activityId}, context: context, timestamp: new Date().toISOString()};
    if (result) { statement.result = result; }
    const response = await fetch(endpoint + "statements", {method: "POST", headers: headers,
                                                          body: JSON.stringify(statement)});
    return response.status;
  }
  const statuses = [await send("initialized", [CMI5]),
                    await send("passed", [CMI5, MOVEON], {success: true, score: {scaled: 0.9}}),
                    await send("terminated", [CMI5])];
  const again = await (await fetch(fetchUrl, {method: "POST"})).json();
  document.body.dataset.result = JSON.stringify({statuses: statuses, launchData: launchData, again: again,
                                                 query: location.search});
}
run().catch(e => { document.body.dataset.result = JSON.stringify({error: String(e)}); });
</script></body></html>
""".replace("@CMI5@", CMI5_CATEGORY).replace("@MOVEON@", MOVEON)


def cmi5_zip(path: Path) -> bytes:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("cmi5.xml", CMI5_XML)
        archive.writestr("au/index.html", AU_HTML)
    return path.read_bytes()


def place(env: Env, data: bytes, choose: str = "") -> dict[str, str]:
    """Upload the package as the coordinator, place it by deep linking (``choose`` picks an AU: ":1"), and
    add the resulting activity to the platform's course; returns the link's custom parameters."""
    teacher, page = coordinator(env)
    assert upload(env, teacher, page, data).status_code == 200
    picker = env.launch("4", teacher, message_type="LtiDeepLinkingRequest")
    with env.db() as db:
        package_id = db.scalars(select(ContentLaunch.package_id)).first() or _last_package(env)
    code = f"package:{package_id}{choose}"
    assert f'value="{code}"' in picker.text, picker.text
    answer_page = teacher.post(env.url + "/lti/deep-link", data={"csrf": csrf(picker.text), "code": code},
                               timeout=10)
    action = answer_page.text.split('<form id="lti-dl-return" method="post" action="', 1)[1].split('"', 1)[0]
    returned = teacher.post(action.replace("&amp;", "&"), data={"JWT": field(answer_page.text, "JWT")}, timeout=10)
    assert returned.status_code == 200, returned.text
    item = env.platform.deep_link_returns[-1]["items"][0]
    assert item["type"] == "ltiResourceLink" and item["url"] == env.url + "/lti/launch"
    cmid = max(env.platform.links) + 1
    env.platform.links[cmid] = Link(cmid, str(cmid), item["title"], custom=dict(item["custom"]))
    return {**item["custom"], "cmid": str(cmid)}


def _last_package(env: Env) -> int:
    from plugin.models.content import ContentPackage

    with env.db() as db:
        return int(db.scalars(select(ContentPackage.id).order_by(ContentPackage.id.desc())).first() or 0)


def login_url(env: Env, user: str, cmid: int) -> str:
    return f"{env.url}/lti/login?{urlencode(env.platform.initiate_login(user, tool=env.tool, cmid=cmid))}"


def content_url(env: Env, user: str, cmid: int) -> str:
    """A launch without a browser: the URL Samattha sends the learner to (the content, with its parameters)."""
    browser = requests.Session()
    auth = browser.get(login_url(env, user, cmid), timeout=10)
    landed = browser.post(env.url + "/lti/launch", data={"id_token": field(auth.text, "id_token"),
                                                         "state": field(auth.text, "state")},
                          allow_redirects=False, timeout=10)
    assert landed.status_code == 303, landed.text
    return str(landed.headers["Location"])


def params(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def wait_for(env: Env, registration: str, verb: str, timeout: float = 15.0) -> list[Json]:
    deadline = time.monotonic() + timeout
    while True:
        with env.db() as db:
            found = list(xapi.iter_statements(db, filters=xapi.StatementFilters(registration=registration)))
        if any(s["verb"]["id"] == VERB + verb for s in found) or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


def progress(env: Env, iri: str, rule: str, targets: list[str]) -> Any:
    mapping_text = (f'format = 1\n[course]\nid = "2"\nwwwroot = "{env.platform.url}"\n'
                    f'[[activity]]\niri = "{iri}"\nevidence = "knowledge"\nrule = {{ kind = "{rule}" }}\n'
                    f"targets = {json.dumps(targets)}\n")
    with env.db() as db:
        index = standard_index(db)
        mapping = load_mapping(mapping_text, standard=index)
        course = db.scalars(select(Course)).one()
        evidence = course_statements(db, course, mapping)
        return evidence, learner_progress(mapping, index, evidence.by_learner)


def run_quiz(page: Page, url: str) -> None:
    page.goto(url)
    page.wait_for_selector("body[data-ready='true']")
    assert page.locator("body").get_attribute("data-mode") == "tracking"
    answer(page, page.evaluate("window.SAMATTHA_QUIZ"), right=True)
    page.wait_for_selector("#result[data-outcome='passed']")
    page.goto("about:blank")  # leaving sends terminated


@pytest.mark.browser
@pytest.mark.parametrize("element", ["ds601", "ds602", "ds603"])
def test_a_sample_package_launches_from_moodle_and_its_statements_count(
        env: Env, standard: object, tmp_path: Path, element: str) -> None:
    custom = place(env, zip_sample(f"dg-opsr-023-{element}", tmp_path / "p.zip").read_bytes())
    iri = f"https://samattha.dev/content/dg-opsr-023/{element}"
    with chromium() as browser:
        page = browser.new_page()
        page.goto(login_url(env, "3", int(custom["cmid"])))
        page.wait_for_selector("body[data-ready='true']")
        launched = params(page.url)
        assert urlsplit(page.url).path.endswith("/files/index.html")
        run_quiz(page, page.url)
    assert launched["endpoint"] == env.url + "/xapi/" and launched["activity_id"] == iri
    assert json.loads(launched["actor"]) == {"objectType": "Agent", "account": {"homePage": env.platform.url,
                                                                                 "name": "3"}}
    statements = wait_for(env, launched["registration"], "terminated")
    verbs = [s["verb"]["id"].removeprefix(VERB) for s in statements]
    assert "passed" in verbs and "answered" in verbs and "terminated" in verbs
    key = base64.b64decode(launched["auth"].removeprefix("Basic ")).decode().split(":", 1)[0]
    with env.db() as db:
        assert db.scalars(select(ContentLaunch.credential_key)).one() == key
    code = element.upper()
    evidence, result = progress(env, iri, "passed", [code])
    (learner,) = [k for k, u in evidence.learners.items() if u.subject == "3"]
    assert len(evidence.by_learner[learner]) == len(statements)
    assert {result.status(learner, c) for c in result.criteria if c.startswith(code)} == {"evidenced"}


def test_the_launch_credential_reads_only_its_learner_and_expires(env: Env, tmp_path: Path) -> None:
    custom = place(env, zip_sample("dg-opsr-023-ds601", tmp_path / "p.zip").read_bytes())
    cmid = int(custom["cmid"])
    mine, theirs = params(content_url(env, "3", cmid)), params(content_url(env, "4", cmid))
    auth = {"Authorization": mine["auth"], **XAPI}
    other = {"Authorization": theirs["auth"], **XAPI}

    def statement(launch: dict[str, str]) -> Json:
        return {"actor": json.loads(launch["actor"]), "verb": {"id": VERB + "experienced"},
                "object": {"id": launch["activity_id"]}, "context": {"registration": launch["registration"]}}

    assert requests.post(env.url + "/xapi/statements", json=statement(mine), headers=auth, timeout=10).ok
    assert requests.post(env.url + "/xapi/statements", json=statement(theirs), headers=other, timeout=10).ok
    # Writing as someone else, or outside the registration, is refused.
    forged = requests.post(env.url + "/xapi/statements", json=statement(theirs), headers=auth, timeout=10)
    assert forged.status_code == 403
    read = requests.get(env.url + "/xapi/statements", headers=auth, timeout=10)
    assert read.status_code == 200
    actors = {s["actor"]["account"]["name"] for s in read.json()["statements"]}
    assert actors == {"3"}
    asked = requests.get(env.url + "/xapi/statements", headers=auth, timeout=10,
                         params={"agent": json.dumps(json.loads(theirs["actor"]))})
    assert asked.status_code == 403 or asked.json()["statements"] == []
    # Four hours later (the credential's expiry moved to the past): refused.
    with env.db() as db:
        key = base64.b64decode(mine["auth"].removeprefix("Basic ")).decode().split(":", 1)[0]
        db.execute(update(Credential).where(Credential.key == key)
                   .values(expires_us=to_micros(utcnow() - timedelta(seconds=1))))
        db.commit()
    assert requests.get(env.url + "/xapi/statements", headers=auth, timeout=10).status_code == 401
    assert requests.get(env.url + "/xapi/statements", headers=other, timeout=10).status_code == 200


@pytest.mark.browser
def test_a_handmade_cmi5_course_launches_and_follows_the_rules(env: Env, standard: object, tmp_path: Path) -> None:
    custom = place(env, cmi5_zip(tmp_path / "cmi5.zip"), choose=":1")
    assert custom["samattha_activity"] == AU_IRI
    with chromium() as browser:
        page = browser.new_page()
        page.goto(login_url(env, "3", int(custom["cmid"])))
        page.wait_for_selector("body[data-result]", state="attached")
        result = json.loads(page.locator("body").get_attribute("data-result") or "{}")
    assert result.get("statuses") == [200, 200, 200], result
    assert result["again"]["error-code"] == "1" and "auth-token" not in result["again"]
    launched = params(result["query"])
    assert launched["lang"] == "en" and launched["activityId"] == AU_IRI
    assert json.loads(launched["actor"])["account"]["name"] == "3"
    data = result["launchData"]
    assert data["launchMode"] == "Normal" and data["moveOn"] == "Passed" and data["masteryScore"] == 0.8
    assert data["launchMethod"] == "AnyWindow" and data["launchParameters"] == '{"mode":"test"}'
    assert data["returnURL"].startswith(env.url + "/course/") and SESSION in data["contextTemplate"]["extensions"]
    statements = wait_for(env, launched["registration"], "terminated")
    assert [s["verb"]["id"].removeprefix(VERB) for s in sorted(statements, key=lambda s: s["stored"])] == [
        "launched", "initialized", "passed", "terminated"]
    lms = next(s for s in statements if s["verb"]["id"] == VERB + "launched")
    assert lms["authority"]["account"]["name"] == "samattha-lms"
    assert lms["context"]["extensions"][SESSION] == data["contextTemplate"]["extensions"][SESSION]
    evidence, progress_ = progress(env, AU_IRI, "passed", ["DS601"])
    (learner,) = [k for k, u in evidence.learners.items() if u.subject == "3"]
    assert {progress_.status(learner, c) for c in progress_.criteria if c.startswith("DS601")} == {"evidenced"}


def test_cmi5_rules_are_enforced_on_what_the_au_sends(env: Env, tmp_path: Path) -> None:
    custom = place(env, cmi5_zip(tmp_path / "cmi5.zip"))
    launch = params(content_url(env, "3", int(custom["cmid"])))
    token = requests.post(launch["fetch"], timeout=10).json()["auth-token"]
    headers = {"Authorization": f"Basic {token}", **XAPI}
    actor = json.loads(launch["actor"])
    with env.db() as db:
        session_id = db.scalars(select(ContentLaunch.session_id)).one()

    def send(verb: str, *, categories: tuple[str, ...] = (CMI5_CATEGORY,), result: Json | None = None,
             session: str | None = None, verb_base: str = VERB) -> requests.Response:
        statement: Json = {"actor": actor, "verb": {"id": verb_base + verb}, "object": {"id": AU_IRI},
                           "context": {"registration": launch["registration"],
                                       "contextActivities": {"category": [{"id": c} for c in categories]},
                                       "extensions": {SESSION: session or session_id}}}
        if result is not None:
            statement["result"] = result
        return requests.post(env.url + "/xapi/statements", json=statement, headers=headers, timeout=10)

    def refused(response: requests.Response, status: int, rule: str) -> None:
        assert response.status_code == status, response.text
        assert rule in response.text, response.text

    refused(send("passed", categories=(CMI5_CATEGORY, MOVEON), result={"score": {"scaled": 0.9}}), 403,
            "first statement after launched must be initialized")
    refused(send("initialized", categories=()), 400, "category")
    refused(send("initialized", session="00000000-0000-4000-8000-000000000000"), 400, "session id")
    assert send("initialized").status_code == 200
    refused(send("initialized"), 403, "initialized is sent once per session")
    refused(send("satisfied", verb_base="https://w3id.org/xapi/adl/verbs/"), 403, "LMS only")
    refused(send("passed", categories=(CMI5_CATEGORY, MOVEON)), 400, "needs result.score.scaled")
    refused(send("passed", categories=(CMI5_CATEGORY, MOVEON), result={"score": {"scaled": 0.5}}), 403,
            "at least the masteryScore")
    refused(send("failed", categories=(CMI5_CATEGORY, MOVEON), result={"score": {"scaled": 0.9}}), 403,
            "below the masteryScore")
    refused(send("completed"), 400, "moveon")
    assert send("completed", categories=(CMI5_CATEGORY, MOVEON), result={"completion": True}).status_code == 200
    refused(send("completed", categories=(CMI5_CATEGORY, MOVEON), result={"completion": True}), 403,
            "at most once per registration")
    assert send("passed", categories=(CMI5_CATEGORY, MOVEON),
                result={"success": True, "score": {"scaled": 0.8}}).status_code == 200
    assert send("terminated").status_code == 200
    refused(send("experienced"), 403, "no statements may follow terminated")
    # The fetch URL worked once; a second call gets cmi5's error, an unknown one a security error.
    assert requests.post(launch["fetch"], timeout=10).json()["error-code"] == "1"
    assert requests.post(env.url + "/content/fetch/nope", timeout=10).json()["error-code"] == "2"
    with env.db() as db:
        assert ifi_of(actor) is not None
        # The course and its AU are activities the mapping editor offers.
        assert {a.iri: a.source for a in db.scalars(select(CourseActivity))} == {
            COURSE_IRI: "package", AU_IRI: "package"}
        row = db.scalars(select(ContentLaunch)).one()
        assert (row.initialized, row.completed, row.passed, row.terminated) == (True, True, True, True)


def test_a_link_naming_a_package_of_another_course_is_refused(env: Env, tmp_path: Path) -> None:
    custom = place(env, cmi5_zip(tmp_path / "cmi5.zip"))
    cmid = max(env.platform.links) + 1
    env.platform.links[cmid] = Link(cmid, str(cmid), "Gone", custom={"samattha_package": str(int(
        custom["samattha_package"]) + 1)})
    browser = requests.Session()
    auth = browser.get(login_url(env, "3", cmid), timeout=10)
    refused = browser.post(env.url + "/lti/launch", data={"id_token": field(auth.text, "id_token"),
                                                          "state": field(auth.text, "state")}, timeout=10)
    assert refused.status_code == 404 and "Content not available" in refused.text
    with env.db() as db:
        assert db.scalars(select(ContentLaunch)).all() == []
