# ruff: noqa: F811 - the `env` fixture is imported from tests.test_lti_flow and used as a parameter
"""What the cmi5 LMS itself sends, in cmi5's order for every reader of ``stored`` (CATAPULT 004), and the launch
data it writes (§10): a NotApplicable AU is satisfied at registration, before its first launched; launched
names the AU's fully qualified URL; the course structure's entitlementKey reaches LMS.LaunchData."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import requests
from sqlalchemy import select

import xapi
from plugin.models import User
from plugin.models.content import ContentLaunch, ContentPackage
from tests.test_content_launch import (
    ADL,
    AU_IRI,
    EXT,
    VERB,
    XAPI,
    cmi5_zip,
    content_url,
    login_url,
    params,
    place,
    read_as_an_au,
    wait_for,
)
from tests.test_content_upload import coordinator, upload
from tests.test_lti_flow import Env, env_fixture, field  # noqa: F401 - the fixture

NOT_APPLICABLE_XML = """<?xml version="1.0" encoding="utf-8"?>
<courseStructure xmlns="https://w3id.org/xapi/profiles/cmi5/v1/CourseStructure.xsd">
  <course id="https://example.test/cmi5/na-course"><title><langstring lang="en-US">Reading</langstring></title>
    <description><langstring lang="en-US">One AU to read</langstring></description></course>
  <au id="https://example.test/cmi5/na-au" moveOn="NotApplicable">
    <title><langstring lang="en-US">Read this</langstring></title>
    <description><langstring lang="en-US">Nothing to pass</langstring></description>
    <entitlementKey>licence-4711</entitlementKey>
    <url>au/index.html</url>
  </au>
</courseStructure>
"""


def _verbs_by_stored(statements: list[dict[str, Any]], *, descending: bool = False) -> list[str]:
    ordered = sorted(statements, key=lambda s: s["stored"], reverse=descending)
    return [s["verb"]["id"].removeprefix(VERB).removeprefix(ADL) for s in ordered]


def test_a_not_applicable_au_is_satisfied_at_registration_before_launched(env: Env, tmp_path: Path) -> None:
    custom = place(env, cmi5_zip(tmp_path / "na.zip", NOT_APPLICABLE_XML))
    location = content_url(env, "3", int(custom["cmid"]))
    launch = params(location)
    statements = wait_for(env, launch["registration"], "launched")
    # The course (its one AU needs nothing) satisfied, then launched: each at its own stored moment, so a
    # reader ordering by stored meets them in this order ascending and in the reverse descending, whatever
    # their ids.
    assert _verbs_by_stored(statements) == ["satisfied", "launched"]
    assert _verbs_by_stored(statements, descending=True) == ["launched", "satisfied"]
    assert len({s["stored"] for s in statements}) == 2
    launched = next(s for s in statements if s["verb"]["id"] == VERB + "launched")
    # §9.6.3.4: the fully qualified URL the AU was launched at, less the launch parameters (no fetch URL).
    url = launched["context"]["extensions"][EXT + "launchurl"]
    assert url == location.split("?", 1)[0] and url.startswith(env.url + "/content/") and "fetch" not in url


def test_the_entitlement_key_reaches_the_launch_data(env: Env, tmp_path: Path) -> None:
    custom = place(env, cmi5_zip(tmp_path / "na.zip", NOT_APPLICABLE_XML))
    launch = params(content_url(env, "3", int(custom["cmid"])))
    token = requests.post(launch["fetch"], timeout=10).json()["auth-token"]
    state = requests.get(f"{launch['endpoint']}activities/state", timeout=10, headers={
        "Authorization": f"Basic {token}", **XAPI}, params={
        "stateId": "LMS.LaunchData", "activityId": launch["activityId"], "agent": launch["actor"],
        "registration": launch["registration"]})
    assert state.status_code == 200, state.text
    assert json.loads(state.text)["entitlementKey"] == {"courseStructure": "licence-4711"}


def test_a_teacher_offers_an_au_to_browse_and_it_records_no_result(env: Env, tmp_path: Path) -> None:
    custom = place(env, cmi5_zip(tmp_path / "cmi5.zip"))
    cmid = int(custom["cmid"])
    env.platform.links[cmid].custom["launch_mode"] = "browse"  # Moodle: the activity's custom parameters
    launch = params(content_url(env, "3", cmid))
    token = requests.post(launch["fetch"], timeout=10).json()["auth-token"]
    auth = {"Authorization": f"Basic {token}", **XAPI}
    state = requests.get(f"{launch['endpoint']}activities/state", timeout=10, headers=auth, params={
        "stateId": "LMS.LaunchData", "activityId": launch["activityId"], "agent": launch["actor"],
        "registration": launch["registration"]}).json()
    assert state["launchMode"] == "Browse"
    read_as_an_au(launch, auth)
    statements = wait_for(env, launch["registration"], "launched")
    launched = next(s for s in statements if s["verb"]["id"] == VERB + "launched")
    assert launched["context"]["extensions"][EXT + "launchmode"] == "Browse"
    actor = json.loads(launch["actor"])

    def send(verb: str, categories: list[str], result: dict[str, Any] | None = None) -> requests.Response:
        statement: dict[str, Any] = {
            "id": str(uuid.uuid4()), "timestamp": "2026-01-05T09:00:00Z", "actor": actor, "verb": {"id": VERB + verb},
            "object": {"id": launch["activityId"]},
            "context": {"registration": launch["registration"], "extensions": state["contextTemplate"]["extensions"],
                        "contextActivities": {"category": [{"id": c} for c in categories]}}}
        if result:
            statement["result"] = result
        return requests.post(launch["endpoint"] + "statements", json=statement, headers=auth, timeout=10)

    cmi5 = "https://w3id.org/xapi/cmi5/context/categories/cmi5"
    assert send("initialized", [cmi5]).status_code == 200
    refused = send("passed", [cmi5, "https://w3id.org/xapi/cmi5/context/categories/moveon"],
                   {"success": True, "duration": "PT1S"})
    assert refused.status_code == 403 and "only allowed in Normal launch mode" in refused.text


def test_a_launch_mode_samattha_does_not_know_is_refused_naming_it(env: Env, tmp_path: Path) -> None:
    custom = place(env, cmi5_zip(tmp_path / "cmi5.zip"))
    cmid = int(custom["cmid"])
    env.platform.links[cmid].custom["launch_mode"] = "Sideways"
    browser = requests.Session()
    auth = browser.get(login_url(env, "3", cmid), timeout=10)
    landed = browser.post(env.url + "/lti/launch", data={"id_token": field(auth.text, "id_token"),
                                                         "state": field(auth.text, "state")}, timeout=10)
    assert landed.status_code == 400 and "launch_mode" in landed.text


def _structure(aus: int, url: str = "https://content.example.org/au/{n}/index.html") -> bytes:
    nodes = "".join(f'<au id="https://example.test/bare/au/{n}"><title><langstring lang="en-US">AU {n}</langstring>'
                    f'</title><description><langstring lang="en-US">AU {n}</langstring></description>'
                    f"<url>{url.format(n=n)}</url></au>" for n in range(aus))
    return (f'<?xml version="1.0" encoding="utf-8"?><courseStructure xmlns="https://w3id.org/xapi/profiles/cmi5/v1/'
            f'CourseStructure.xsd"><course id="https://example.test/bare"><title><langstring lang="en-US">Bare'
            f'</langstring></title><description><langstring lang="en-US">Web AUs</langstring></description>'
            f"</course>{nodes}</courseStructure>").encode()


def test_a_bare_course_structure_with_web_aus_is_imported_and_launched(env: Env) -> None:
    teacher, page = coordinator(env)
    # cmi5 §14.1: a course structure alone, its AUs on the web (CATAPULT 101: a thousand of them).
    assert upload(env, teacher, page, _structure(1000), name="101-one-thousand-aus.xml").status_code == 200
    custom = place(env, _structure(1))
    launched = content_url(env, "3", int(custom["cmid"]))
    assert launched.startswith("https://content.example.org/au/0/index.html?")
    assert params(launched)["activityId"].startswith("urn:uuid:")


def test_a_bare_course_structure_with_a_relative_au_is_refused_naming_the_rule(env: Env) -> None:
    teacher, page = coordinator(env)
    refused = upload(env, teacher, page, _structure(1, url="au/index.html"), name="202-1-relative-url-no-zip.xml")
    assert refused.status_code == 400
    assert "is relative" in refused.text and "cmi5 §14.1" in refused.text


def test_a_coordinator_waives_an_au_and_the_course_is_satisfied(env: Env, tmp_path: Path) -> None:
    place(env, cmi5_zip(tmp_path / "cmi5.zip"))
    env.launch("3")  # the learner has opened the course: one of its learners
    teacher, page = coordinator(env)
    with env.db() as db:
        learner = db.scalars(select(User).filter_by(subject="3")).one().id
        package = db.scalars(select(ContentPackage.id).order_by(ContentPackage.id.desc())).first()
    course = env.course().id
    answer = teacher.post(f"{env.url}/course/{course}/content/{package}/waive", timeout=10, data={
        "csrf": field(page, "csrf"), "learner": learner, "au": AU_IRI,
        "reason": "Tested Out", "note": "ผ่านการสอบเทียบแล้ว"})
    assert answer.status_code == 200 and 'id="au-waived"' in answer.text
    with env.db() as db:
        registration = db.scalars(select(ContentLaunch.registration).filter_by(user_id=learner)).one()
    with env.db() as db:  # the waive is recorded before the page answers: nothing to wait for
        statements = list(xapi.iter_statements(db, filters=xapi.StatementFilters(registration=registration)))
    assert _verbs_by_stored(statements) == ["waived", "satisfied"]
    waived = statements[0] if statements[0]["verb"]["id"].endswith("waived") else statements[1]
    assert waived["result"]["extensions"]["https://w3id.org/xapi/cmi5/result/extensions/reason"] == "Tested Out"
    assert waived["result"]["success"] is True and waived["result"]["response"] == "ผ่านการสอบเทียบแล้ว"
    again = teacher.post(f"{env.url}/course/{course}/content/{package}/waive", timeout=10, data={
        "csrf": field(page, "csrf"), "learner": learner, "au": AU_IRI, "reason": "Tested Out"})
    assert again.status_code == 400 and "already met or waived" in again.text
    odd = teacher.post(f"{env.url}/course/{course}/content/{package}/waive", timeout=10, data={
        "csrf": field(page, "csrf"), "learner": learner, "au": AU_IRI, "reason": "Because"})
    assert odd.status_code == 400 and "cmi5 §9.5.5.1" in odd.text
