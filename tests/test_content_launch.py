"""Placed packages launched from a real LTI launch in headless Chromium: the sample Tin Can packages and a
hand-made cmi5 course report into Samattha's LRS with the launch's own credential, and what they send
counts toward the mapped criteria. The credential reads only its learner's statements and stops at expiry.
cmi5 courses get what the LMS owes them, read back from the LRS as a reporting client would: its own ids for
AUs, blocks and course, the publisher's ids as grouping, satisfied and abandoned."""

from __future__ import annotations

import base64
import json
import re
import time
import uuid
import zipfile
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
from sqlalchemy import select, update

import xapi
from plugin.clock import utcnow
from plugin.content.samples import zip_sample
from plugin.coverage import learner_progress
from plugin.evidence import course_statements
from plugin.mapping.files import load_mapping
from plugin.mapping.store import standard_index
from plugin.models import Course, CourseActivity
from plugin.models.content import ContentLaunch, ContentPackage
from tests.browser import chromium
from tests.lrs_support import issue
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
EXT = "https://w3id.org/xapi/cmi5/context/extensions/"
SESSION = EXT + "sessionid"
ADL = "https://w3id.org/xapi/adl/verbs/"
SATISFIED = ADL + "satisfied"
BLOCK_TYPE = "https://w3id.org/xapi/cmi5/activitytype/block"
COURSE_TYPE = "https://w3id.org/xapi/cmi5/activitytype/course"
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

# The AU as an authoring tool would write it: fetch the token, read LMS.LaunchData and the learner preferences,
# send its statements.
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
  const prefs = new URLSearchParams({profileId: "cmi5LearnerPreferences", agent: JSON.stringify(actor)});
  await fetch(endpoint + "agents/profile?" + prefs, {headers});  // cmi5 §11: read before initialized
  const template = launchData.contextTemplate;
  const uuid = () => ([1e7]+-1e3+-4e3+-8e3+-1e11).replace(/[018]/g,
    c => (c ^ crypto.getRandomValues(new Uint8Array(1))[0] & 15 >> c / 4).toString(16));
  async function send(verb, categories, result, extensions) {
    const context = {registration: registration, extensions: Object.assign({}, template.extensions, extensions),
      contextActivities: Object.assign({}, template.contextActivities,
                                       {category: categories.map(id => ({id: id}))})};
    const statement = {id: uuid(), actor: actor,
      verb: {id: "http://adlnet.gov/expapi/verbs/" + verb, display: {"en-US": verb}},
      object: {objectType: "Activity", id: activityId}, context: context, timestamp: new Date().toISOString()};
    if (result) { statement.result = result; }
    const response = await fetch(endpoint + "statements", {method: "POST", headers: headers,
                                                          body: JSON.stringify(statement)});
    return response.status;
  }
  const statuses = [await send("initialized", [CMI5]),
                    await send("passed", [CMI5, MOVEON], {success: true, score: {scaled: 0.9}, duration: "PT1S"},
                               {"@EXT@masteryscore": launchData.masteryScore}),
                    await send("terminated", [CMI5], {duration: "PT2S"})];
  const again = await (await fetch(fetchUrl, {method: "POST"})).json();
  document.body.dataset.result = JSON.stringify({statuses: statuses, launchData: launchData, again: again,
                                                 query: location.search});
}
run().catch(e => { document.body.dataset.result = JSON.stringify({error: String(e)}); });
</script></body></html>
""".replace("@CMI5@", CMI5_CATEGORY).replace("@MOVEON@", MOVEON).replace("@EXT@", EXT)


def cmi5_zip(path: Path, xml: str = CMI5_XML) -> bytes:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("cmi5.xml", xml)
        archive.writestr("au/index.html", AU_HTML)
    return path.read_bytes()


def place(env: Env, data: bytes, choose: str = "") -> dict[str, str]:
    """Upload the package as the coordinator, place it by deep linking (``choose`` picks an AU: ":1"), and
    add the resulting activity to the platform's course; returns the link's custom parameters."""
    teacher, page = coordinator(env)
    assert upload(env, teacher, page, data).status_code == 200
    return link(env, teacher, f"package:{_last_package(env)}{choose}")


def link(env: Env, teacher: requests.Session, code: str) -> dict[str, str]:
    """Place what the deep linking picker offers as ``code`` in the platform's course."""
    picker = env.launch("4", teacher, message_type="LtiDeepLinkingRequest")
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


def ids(activities: list[Json]) -> list[str]:
    return [activity["id"] for activity in activities]


def wait_for(env: Env, registration: str, verb: str, timeout: float = 15.0, *, count: int = 1) -> list[Json]:
    """The registration's statements once ``count`` of them have ``verb`` (or the timeout passed)."""
    deadline = time.monotonic() + timeout
    while True:
        with env.db() as db:
            found = list(xapi.iter_statements(db, filters=xapi.StatementFilters(registration=registration)))
        if sum(s["verb"]["id"] == VERB + verb for s in found) >= count or time.monotonic() > deadline:
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
        path = urlsplit(page.url).path  # the launch carries a signed grant for the package's files
        assert "/files/grant-" in path and path.endswith("/index.html")
        page.goto(page.url)
        page.wait_for_selector("body[data-ready='true']")
        answer(page, page.evaluate("window.SAMATTHA_QUIZ"), right=True)
        page.wait_for_selector("#result[data-outcome='passed']")
        # A way back to the learner's progress in the course, once the check is done.
        back = page.locator("#result a.back")
        assert back.get_attribute("href") == launched["returnURL"] and "/course/" in launched["returnURL"]
        # The page shows the result as it sends it: leaving at once could cut the passed statement off.
        wait_for(env, launched["registration"], "passed")
        page.goto("about:blank")  # leaving sends terminated
        # The terminated goes as a keepalive request as the page leaves; closing the browser before it is
        # dispatched would drop it, which no learner's browser does.
        # Two sessions: the first load, left when the page was opened again (terminated), then the quiz's.
        statements = wait_for(env, launched["registration"], "terminated", count=2)
    assert launched["endpoint"] == env.url + "/xapi/" and launched["activity_id"] == iri
    assert json.loads(launched["actor"]) == {"objectType": "Agent", "account": {"homePage": env.platform.url,
                                                                                 "name": "3"}}
    verbs = [s["verb"]["id"].removeprefix(VERB) for s in statements]
    assert "passed" in verbs and "answered" in verbs and verbs.count("terminated") == 2
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
    activity_id = launched["activityId"]
    # cmi5 §8.1.5: the AU runs under the LMS's own id for it, never the publisher's.
    assert launched["lang"] == "en" and activity_id.startswith("urn:uuid:") and activity_id != AU_IRI
    assert json.loads(launched["actor"])["account"]["name"] == "3"
    data = result["launchData"]
    assert data["launchMode"] == "Normal" and data["moveOn"] == "Passed" and data["masteryScore"] == 0.8
    assert data["launchMethod"] == "AnyWindow" and data["launchParameters"] == '{"mode":"test"}'
    assert data["returnURL"].startswith(env.url + "/course/") and SESSION in data["contextTemplate"]["extensions"]
    assert ids(data["contextTemplate"]["contextActivities"]["grouping"]) == [AU_IRI]
    statements = wait_for(env, launched["registration"], "terminated")
    by_verb = {s["verb"]["id"].removeprefix(VERB).removeprefix(ADL): s for s in statements}
    assert [s["verb"]["id"].removeprefix(VERB) for s in sorted(statements, key=lambda s: s["stored"])
            if s is not by_verb["satisfied"]] == ["launched", "initialized", "passed", "terminated"]
    lms = by_verb["launched"]
    assert lms["authority"]["account"]["name"] == "samattha-lms"
    assert lms["context"]["extensions"][SESSION] == data["contextTemplate"]["extensions"][SESSION]
    assert lms["context"]["extensions"][EXT + "masteryscore"] == 0.8
    assert lms["object"]["id"] == activity_id and ids(lms["context"]["contextActivities"]["grouping"]) == [AU_IRI]
    # The course's one AU is passed: the LMS declares the course satisfied, stored right after the pass
    # (strictly after: readers ordering by stored either way meet the cause first).
    course = by_verb["satisfied"]
    assert len([s for s in statements if s["verb"]["id"] == SATISFIED]) == 1
    assert course["stored"] > by_verb["passed"]["stored"] and course["authority"] == lms["authority"]
    assert lms["context"]["extensions"][EXT + "launchurl"].startswith(env.url + "/content/")
    assert course["object"]["definition"]["type"] == COURSE_TYPE and course["object"]["id"] != COURSE_IRI
    assert ids(course["context"]["contextActivities"]["grouping"]) == [COURSE_IRI]
    assert course["context"]["extensions"][SESSION] == data["contextTemplate"]["extensions"][SESSION]
    # Mappings name what the statements carry: the LMS's id.
    evidence, progress_ = progress(env, activity_id, "passed", ["DS601"])
    (learner,) = [k for k, u in evidence.learners.items() if u.subject == "3"]
    assert {progress_.status(learner, c) for c in progress_.criteria if c.startswith("DS601")} == {"evidenced"}


def test_cmi5_rules_are_enforced_on_what_the_au_sends(env: Env, tmp_path: Path) -> None:
    custom = place(env, cmi5_zip(tmp_path / "cmi5.zip"))
    launch = params(content_url(env, "3", int(custom["cmid"])))
    token = requests.post(launch["fetch"], timeout=10).json()["auth-token"]
    headers = {"Authorization": f"Basic {token}", **XAPI}
    read_as_an_au(launch, headers)
    actor = json.loads(launch["actor"])
    with env.db() as db:
        session_id = db.scalars(select(ContentLaunch.session_id)).one()

    def send(verb: str, *, categories: tuple[str, ...] = (CMI5_CATEGORY,), result: Json | None = None,
             session: str | None = None, verb_base: str = VERB) -> requests.Response:
        statement: Json = {"id": str(uuid.uuid4()), "timestamp": utcnow().isoformat(), "actor": actor,
                           "verb": {"id": verb_base + verb}, "object": {"id": launch["activityId"]},
                           "context": {"registration": launch["registration"],
                                       "contextActivities": {"category": [{"id": c} for c in categories]},
                                       "extensions": {SESSION: session or session_id, EXT + "masteryscore": 0.8}}}
        if result is not None:
            statement["result"] = result
        return requests.post(env.url + "/xapi/statements", json=statement, headers=headers, timeout=10)

    def refused(response: requests.Response, status: int, rule: str) -> None:
        assert response.status_code == status, response.text
        assert rule in response.text, response.text

    refused(send("passed", categories=(CMI5_CATEGORY, MOVEON), result={"score": {"scaled": 0.9}}), 403,
            "first statement after launched must be initialized")
    refused(send("initialized", categories=()), 403, "category")
    refused(send("initialized", session="00000000-0000-4000-8000-000000000000"), 403, "session id")
    assert send("initialized").status_code == 200
    refused(send("initialized"), 403, "initialized is sent once per session")
    refused(send("satisfied", verb_base="https://w3id.org/xapi/adl/verbs/"), 403, "LMS only")
    judged = (CMI5_CATEGORY, MOVEON)
    refused(send("passed", categories=judged, result={"success": True, "score": {"scaled": 0.5}, "duration": "PT1S"}),
            403, "at least the masteryScore")
    refused(send("failed", categories=judged, result={"success": False, "score": {"scaled": 0.9}, "duration": "PT1S"}),
            403, "below the masteryScore")
    completion = {"completion": True, "duration": "PT1S"}
    refused(send("completed", result=completion), 403, "moveon")
    assert send("completed", categories=judged, result=completion).status_code == 200
    refused(send("completed", categories=judged, result=completion), 403, "at most once per registration")
    # §9.3.4 holds a score to the masteryScore only when one is sent: a pass without a score stands.
    assert send("passed", categories=judged, result={"success": True, "duration": "PT1S"}).status_code == 200
    refused(send("failed", categories=judged, result={"success": False, "duration": "PT1S"}), 403,
            "no failed after passed")
    assert send("terminated", result={"duration": "PT2S"}).status_code == 200
    refused(send("experienced"), 403, "no statements may follow terminated")
    # The fetch URL worked once; a second call gets cmi5's error, an unknown one a security error.
    assert requests.post(launch["fetch"], timeout=10).json()["error-code"] == "1"
    assert requests.post(env.url + "/content/fetch/nope", timeout=10).json()["error-code"] == "2"
    with env.db() as db:
        assert ifi_of(actor) is not None
        # The course and its AU are activities the mapping editor offers, under the LMS's ids (cmi5 §9.4).
        manifest = db.scalars(select(ContentPackage.manifest)).one()
        course_id, au_id = manifest["course"]["activity_id"], manifest["items"][0]["activity_id"]
        assert au_id == launch["activityId"] and not {course_id, au_id} & {COURSE_IRI, AU_IRI}
        assert {a.iri: (a.name, a.source) for a in db.scalars(select(CourseActivity).filter_by(module="package"))} == {
            course_id: ("Hand-made cmi5 course", "package"), au_id: ("Knowledge check AU", "package")}
        row = db.scalars(select(ContentLaunch)).one()
        assert (row.initialized, row.completed, row.passed, row.terminated) == (True, True, True, True)


def test_a_link_naming_a_package_of_another_course_is_refused(env: Env, tmp_path: Path) -> None:
    custom = place(env, cmi5_zip(tmp_path / "cmi5.zip"))
    with env.db() as db:  # the package now belongs to another course of the same site (a copied course's link)
        other = Course(issuer=env.platform.url, context_id="other", updated_at=utcnow())
        db.add(other)
        db.flush()
        db.execute(update(ContentPackage).values(course_id=other.id))
        db.commit()
    browser = requests.Session()
    auth = browser.get(login_url(env, "3", int(custom["cmid"])), timeout=10)
    refused = browser.post(env.url + "/lti/launch", data={"id_token": field(auth.text, "id_token"),
                                                          "state": field(auth.text, "state")}, timeout=10)
    assert refused.status_code == 404 and "not in this course" in refused.text and "removed" not in refused.text
    with env.db() as db:
        assert db.scalars(select(ContentLaunch)).all() == []


# --- cmi5 as the LMS: its own ids, the publisher's as grouping, satisfied -------------------------------------

BLOCKS_XML = """<?xml version="1.0" encoding="utf-8"?>
<courseStructure xmlns="https://w3id.org/xapi/profiles/cmi5/v1/CourseStructure.xsd">
  <course id="https://example.test/cmi5/blocks"><title><langstring lang="en">Blocks course</langstring></title>
  </course>
  <block id="https://example.test/cmi5/blocks/b1"><title><langstring lang="en">Block one</langstring></title>
    <au id="https://example.test/cmi5/blocks/b1/quiz" moveOn="Passed" masteryScore="0.8">
      <title><langstring lang="en">Quiz</langstring></title><url>au/index.html</url></au>
    <au id="https://example.test/cmi5/blocks/b1/reading" moveOn="Completed">
      <title><langstring lang="en">Reading</langstring></title><url>au/index.html</url></au>
  </block>
  <au id="https://example.test/cmi5/blocks/welcome" moveOn="NotApplicable">
    <title><langstring lang="en">Welcome</langstring></title><url>au/index.html</url></au>
</courseStructure>
"""

NOT_APPLICABLE_XML = """<?xml version="1.0" encoding="utf-8"?>
<courseStructure xmlns="https://w3id.org/xapi/profiles/cmi5/v1/CourseStructure.xsd">
  <course id="https://example.test/cmi5/free"><title><langstring lang="en">Free course</langstring></title>
  </course>
  <block id="https://example.test/cmi5/free/b"><title><langstring lang="en">Browse</langstring></title>
    <au id="https://example.test/cmi5/free/one"><title><langstring lang="en">One</langstring></title>
      <url>au/index.html</url></au>
    <au id="https://example.test/cmi5/free/two" moveOn="NotApplicable">
      <title><langstring lang="en">Two</langstring></title><url>au/index.html</url></au>
  </block>
</courseStructure>
"""


NESTED_XML = """<?xml version="1.0" encoding="utf-8"?>
<courseStructure xmlns="https://w3id.org/xapi/profiles/cmi5/v1/CourseStructure.xsd">
  <course id="https://example.test/cmi5/nested"><title><langstring lang="en">Nested</langstring></title></course>
  <block id="https://example.test/cmi5/nested/outer"><title><langstring lang="en">Outer</langstring></title>
    <block id="https://example.test/cmi5/nested/inner"><title><langstring lang="en">Inner</langstring></title>
      <au id="https://example.test/cmi5/nested/exam" moveOn="CompletedAndPassed">
        <title><langstring lang="en">Exam</langstring></title><url>au/index.html</url></au>
    </block>
    <au id="https://example.test/cmi5/nested/notes" moveOn="CompletedOrPassed">
      <title><langstring lang="en">Notes</langstring></title><url>au/index.html</url></au>
  </block>
</courseStructure>
"""


def read_as_an_au(launch: dict[str, str], headers: dict[str, str]) -> None:
    """What an AU reads before it sends initialized (cmi5 §10, §11): LMS.LaunchData and the learner preferences
    (none written yet: 404)."""
    state = requests.get(launch["endpoint"] + "activities/state", headers=headers, timeout=10, params={
        "stateId": "LMS.LaunchData", "activityId": launch["activityId"], "agent": launch["actor"],
        "registration": launch["registration"]})
    prefs = requests.get(launch["endpoint"] + "agents/profile", headers=headers, timeout=10, params={
        "profileId": "cmi5LearnerPreferences", "agent": launch["actor"]})
    assert state.status_code == 200 and prefs.status_code == 404, (state.text, prefs.text)


class AuSession:
    """One launch of an AU, driven as the AU would: it fetches its credential, reads LMS.LaunchData, and sends
    statements built from the contextTemplate to the endpoint it was given."""

    def __init__(self, env: Env, user: str, cmid: str) -> None:
        self.launch = params(content_url(env, user, int(cmid)))
        token = requests.post(self.launch["fetch"], timeout=10).json()["auth-token"]
        self.headers = {"Authorization": f"Basic {token}", **XAPI}
        query = {"stateId": "LMS.LaunchData", "activityId": self.activity_id, "agent": self.launch["actor"],
                 "registration": self.registration}
        state = requests.get(self.launch["endpoint"] + "activities/state", params=query, headers=self.headers,
                             timeout=10)
        assert state.status_code == 200, state.text
        self.launch_data: Json = state.json()
        read_as_an_au(self.launch, self.headers)

    @property
    def activity_id(self) -> str:
        return self.launch["activityId"]

    @property
    def registration(self) -> str:
        return self.launch["registration"]

    @property
    def session_id(self) -> str:
        return str(self.launch_data["contextTemplate"]["extensions"][SESSION])

    def send(self, verb: str, result: Json | None = None) -> None:
        template = self.launch_data["contextTemplate"]
        judged = result is not None and ("success" in result or "completion" in result)
        categories = [{"id": CMI5_CATEGORY}] + ([{"id": MOVEON}] if judged else [])  # cmi5 §9.6.2.2
        extensions = dict(template["extensions"])
        if result and "score" in result and "masteryScore" in self.launch_data:  # cmi5 §9.6.3.2
            extensions[EXT + "masteryscore"] = self.launch_data["masteryScore"]
        if verb == "terminated":
            result = result or {"duration": "PT6M"}  # cmi5 §9.5.4.1
        statement: Json = {"id": str(uuid.uuid4()), "timestamp": utcnow().isoformat(),
                           "actor": json.loads(self.launch["actor"]), "verb": {"id": VERB + verb},
                           "object": {"id": self.activity_id},
                           "context": {"registration": self.registration, "extensions": extensions,
                                       "contextActivities": {**template["contextActivities"], "category": categories}}}
        if result:
            statement["result"] = result
        sent = requests.post(self.launch["endpoint"] + "statements", json=statement, headers=self.headers, timeout=10)
        assert sent.status_code == 200, sent.text

    def complete(self) -> None:
        self.send("initialized")
        self.send("completed", {"completion": True, "duration": "PT5M"})
        self.send("terminated", {"duration": "PT6M"})

    def pass_(self) -> None:
        self.send("initialized")
        self.send("passed", {"success": True, "score": {"scaled": 0.9}, "duration": "PT5M"})
        self.send("terminated", {"duration": "PT6M"})


def lrs_reader(env: Env) -> dict[str, str]:
    """Headers of a reporting client with its own credential (what a reporting tool or another LMS uses)."""
    key, secret = issue(env.app, "statements/read")
    return {"Authorization": "Basic " + base64.b64encode(f"{key}:{secret}".encode()).decode(), **XAPI}


def statements_of(env: Env, reader: dict[str, str], registration: str, verb: str) -> list[Json]:
    found = requests.get(env.url + "/xapi/statements", params={"registration": registration, "verb": verb},
                         headers=reader, timeout=10)
    assert found.status_code == 200, found.text
    body = found.json()
    assert not body.get("more")
    return list(body["statements"])


def seconds(duration: str) -> float:
    found = re.fullmatch(r"PT(\d+)H(\d+)M(\d+(?:\.\d+)?)S", duration)
    assert found, duration
    return int(found[1]) * 3600 + int(found[2]) * 60 + float(found[3])


def place_aus(env: Env, data: bytes, count: int) -> list[str]:
    """Upload a cmi5 course and place each of its first ``count`` AUs; returns the links' cmids."""
    teacher, page = coordinator(env)
    assert upload(env, teacher, page, data).status_code == 200
    package = _last_package(env)
    return [link(env, teacher, f"package:{package}:{number}")["cmid"] for number in range(1, count + 1)]


def test_a_cmi5_au_runs_under_the_lms_id_in_every_launch_and_registration(env: Env, tmp_path: Path) -> None:
    (cmid,) = place_aus(env, cmi5_zip(tmp_path / "cmi5.zip"), 1)
    first, again, teacher = AuSession(env, "3", cmid), AuSession(env, "3", cmid), AuSession(env, "4", cmid)
    assert first.registration == again.registration != teacher.registration
    # cmi5 §8.1.5: one id of the LMS's own for the AU, in every launch and registration, not the publisher's.
    assert {first.activity_id, again.activity_id, teacher.activity_id} == {first.activity_id}
    assert first.activity_id.startswith("urn:uuid:") and first.activity_id != AU_IRI
    # §9.6.2.3: the publisher's id travels as grouping, in the contextTemplate and in the LMS's own statements.
    for au in (first, again, teacher):
        assert ids(au.launch_data["contextTemplate"]["contextActivities"]["grouping"]) == [AU_IRI]
    reader = lrs_reader(env)
    launched = statements_of(env, reader, first.registration, VERB + "launched")
    assert len(launched) == 2
    for statement in launched:
        assert statement["object"]["id"] == first.activity_id
        assert ids(statement["context"]["contextActivities"]["grouping"]) == [AU_IRI]
    again.pass_()  # the AU reports under the id it was given, and the rules accept it


def test_a_block_and_then_the_course_are_satisfied_once_when_their_aus_are_met(env: Env, tmp_path: Path) -> None:
    quiz, reading, welcome = place_aus(env, cmi5_zip(tmp_path / "blocks.zip", BLOCKS_XML), 3)
    reader = lrs_reader(env)
    # The registration starts with the NotApplicable AU outside the block: nothing is satisfied yet.
    opening = AuSession(env, "3", welcome)
    opening.send("initialized")
    opening.send("terminated")
    registration = opening.registration
    assert statements_of(env, reader, registration, SATISFIED) == []
    # One of the block's two AUs met (the quiz is Passed; its completion is allowed and counts for nothing more).
    first = AuSession(env, "3", quiz)
    first.send("initialized")
    first.send("completed", {"completion": True, "duration": "PT3M"})
    first.send("passed", {"success": True, "score": {"scaled": 0.9}, "duration": "PT4M"})
    first.send("terminated")
    assert statements_of(env, reader, registration, SATISFIED) == []
    # The reading's completion meets the block, and with it the whole course.
    last = AuSession(env, "3", reading)
    last.complete()
    satisfied = statements_of(env, reader, registration, SATISFIED)
    assert sorted(s["object"]["definition"]["type"] for s in satisfied) == [BLOCK_TYPE, COURSE_TYPE]
    block = next(s for s in satisfied if s["object"]["definition"]["type"] == BLOCK_TYPE)
    course = next(s for s in satisfied if s["object"]["definition"]["type"] == COURSE_TYPE)
    assert ids(block["context"]["contextActivities"]["grouping"]) == ["https://example.test/cmi5/blocks/b1"]
    assert ids(course["context"]["contextActivities"]["grouping"]) == ["https://example.test/cmi5/blocks"]
    lms_ids = {block["object"]["id"], course["object"]["id"]}
    assert len(lms_ids) == 2 and all(i.startswith("urn:uuid:") for i in lms_ids)
    for statement in satisfied:
        assert statement["context"]["registration"] == registration
        assert statement["context"]["extensions"][SESSION] == last.session_id
        assert ids(statement["context"]["contextActivities"]["category"]) == [CMI5_CATEGORY]
        assert statement["actor"] == json.loads(last.launch["actor"])
        assert statement["authority"]["account"]["name"] == "samattha-lms"
    # Coordinators can map the block and the course: the catalog offers them under the ids satisfied names.
    with env.db() as db:
        catalog = {a.iri: a.name for a in db.scalars(select(CourseActivity))}
    assert catalog[block["object"]["id"]] == "Block one" and catalog[course["object"]["id"]] == "Blocks course"
    # Later launches and statements of the registration repeat nothing.
    again = AuSession(env, "3", quiz)
    again.send("initialized")
    again.send("terminated")
    AuSession(env, "3", welcome)
    assert len(statements_of(env, reader, registration, SATISFIED)) == 2


def test_a_course_of_not_applicable_aus_is_satisfied_at_its_first_launch(env: Env, tmp_path: Path) -> None:
    one, _ = place_aus(env, cmi5_zip(tmp_path / "free.zip", NOT_APPLICABLE_XML), 2)
    reader = lrs_reader(env)
    first = AuSession(env, "3", one)
    satisfied = statements_of(env, reader, first.registration, SATISFIED)
    # §9.6.1: moveOn is evaluated when the registration begins; nothing is left to meet.
    assert sorted(s["object"]["definition"]["type"] for s in satisfied) == [BLOCK_TYPE, COURSE_TYPE]
    assert {s["context"]["extensions"][SESSION] for s in satisfied} == {first.session_id}
    first.complete()
    AuSession(env, "3", one)
    assert len(statements_of(env, reader, first.registration, SATISFIED)) == 2


def test_nested_blocks_are_satisfied_inside_out_from_what_every_session_recorded(env: Env, tmp_path: Path) -> None:
    exam, notes = place_aus(env, cmi5_zip(tmp_path / "nested.zip", NESTED_XML), 2)
    reader = lrs_reader(env)

    def satisfied_groupings(registration: str) -> list[list[str]]:
        found = statements_of(env, reader, registration, SATISFIED)
        return sorted(ids(s["context"]["contextActivities"]["grouping"]) for s in found)

    completing = AuSession(env, "3", exam)
    completing.complete()
    assert satisfied_groupings(completing.registration) == []  # CompletedAndPassed: half met
    passing = AuSession(env, "3", exam)
    passing.pass_()  # another session: the completion of the first one still counts
    assert satisfied_groupings(completing.registration) == [["https://example.test/cmi5/nested/inner"]]
    AuSession(env, "3", notes).complete()
    assert satisfied_groupings(completing.registration) == [
        ["https://example.test/cmi5/nested"], ["https://example.test/cmi5/nested/inner"],
        ["https://example.test/cmi5/nested/outer"]]


def test_launching_again_abandons_the_sessions_that_never_terminated(env: Env, tmp_path: Path) -> None:
    (cmid,) = place_aus(env, cmi5_zip(tmp_path / "cmi5.zip"), 1)
    reader = lrs_reader(env)
    left = AuSession(env, "3", cmid)  # the learner closes the window without the AU sending terminated
    left.send("initialized")
    time.sleep(0.05)
    left.send("experienced")
    unused = AuSession(env, "3", cmid)  # launched, never used
    abandoned = statements_of(env, reader, left.registration, ADL + "abandoned")
    assert [s["context"]["extensions"][SESSION] for s in abandoned] == [left.session_id]
    (statement,) = abandoned
    assert statement["object"]["id"] == left.activity_id and statement["authority"]["account"]["name"] == "samattha-lms"
    assert ids(statement["context"]["contextActivities"]["grouping"]) == [AU_IRI]
    assert ids(statement["context"]["contextActivities"]["category"]) == [CMI5_CATEGORY]
    # §9.5.4.2: from launched to the AU's last statement.
    own = [s for s in statements_of(env, reader, left.registration, VERB + "experienced")
           + statements_of(env, reader, left.registration, VERB + "launched")
           if s["context"]["extensions"][SESSION] == left.session_id]
    launched = next(s for s in own if s["verb"]["id"] == VERB + "launched")
    last = next(s for s in own if s["verb"]["id"] == VERB + "experienced")
    span = xapi.parse_timestamp(last["stored"]) - xapi.parse_timestamp(launched["timestamp"])
    assert abs(seconds(statement["result"]["duration"]) - span.total_seconds()) <= 0.01
    # §9.3.6: nothing more is recorded for an abandoned session.
    refused = requests.post(env.url + "/xapi/statements", headers=left.headers, timeout=10, json={
        "actor": json.loads(left.launch["actor"]), "verb": {"id": VERB + "terminated"},
        "object": {"id": left.activity_id}, "context": {"registration": left.registration,
                                                        "extensions": {SESSION: left.session_id}}})
    assert refused.status_code == 403 and "abandoned" in refused.text
    # The next launch abandons the unused session (no statement: no time), and never one twice or a finished one.
    finished = AuSession(env, "3", cmid)
    finished.pass_()
    AuSession(env, "3", cmid)
    abandoned = statements_of(env, reader, left.registration, ADL + "abandoned")
    by_session = {s["context"]["extensions"][SESSION]: s["result"]["duration"] for s in abandoned}
    assert by_session == {left.session_id: statement["result"]["duration"], unused.session_id: "PT0H0M0.00S"}


def test_the_fetch_url_of_an_abandoned_launch_hands_out_no_token(env: Env, tmp_path: Path) -> None:
    (cmid,) = place_aus(env, cmi5_zip(tmp_path / "cmi5.zip"), 1)
    superseded = params(content_url(env, "3", int(cmid)))  # opened, but the AU never fetched its token
    AuSession(env, "3", cmid)
    refused = requests.post(superseded["fetch"], timeout=10).json()
    assert refused["error-code"] == "3" and "replaced by a later launch" in refused["error-text"]


def test_launches_clicked_at_once_share_one_registration_and_leave_one_session_open(env: Env, tmp_path: Path) -> None:
    """Two AUs opened together: each launch must see the other's session, to abandon it (cmi5 §9.3.6), and two
    first launches must not make two registrations."""
    cmids = place_aus(env, cmi5_zip(tmp_path / "blocks.zip", BLOCKS_XML), 2)
    with ThreadPoolExecutor(2) as pool:
        for _ in range(4):
            list(pool.map(lambda cmid: content_url(env, "3", int(cmid)), cmids))
    with env.db() as db:
        launches = db.scalars(select(ContentLaunch).order_by(ContentLaunch.id)).all()
        assert len(launches) == 8 and len({launch.registration for launch in launches}) == 1
        assert [launch.id for launch in launches if launch.abandoned_at is None] == [launches[-1].id]

