# ruff: noqa: F811 - the `env` fixture is imported from tests.test_lti_flow and used as a parameter
"""What the cmi5 LMS refuses of an AU (the rules CATAPULT's 005-1 checks), each with 403 and the rule named, while
the well-formed statement or request next to it is accepted: a launch driven over HTTP as the AU would drive it,
with the hand-made package of tests.test_content_launch (one AU, moveOn Passed, masteryScore 0.8)."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import select

from plugin.models.content import ContentLaunch
from tests.test_content_launch import (
    CMI5_CATEGORY,
    EXT,
    MOVEON,
    SESSION,
    VERB,
    XAPI,
    cmi5_zip,
    content_url,
    params,
    place,
)
from tests.test_lti_flow import Env, env_fixture  # noqa: F401 - the fixture

Json = dict[str, Any]
PREFERENCES = {"profileId": "cmi5LearnerPreferences"}


class Au:
    """One launch of the AU: its credential fetched, nothing read or sent yet."""

    def __init__(self, env: Env, tmp_path: Path) -> None:
        custom = place(env, cmi5_zip(tmp_path / "cmi5.zip"))
        self.launch = params(content_url(env, "3", int(custom["cmid"])))
        token = requests.post(self.launch["fetch"], timeout=10).json()["auth-token"]
        self.auth = {"Authorization": f"Basic {token}", **XAPI}
        self.session_id = ""

    def request(self, method: str, resource: str, query: Json, **kwargs: Any) -> requests.Response:
        return requests.request(method, self.launch["endpoint"] + resource, params=query, timeout=10,
                                headers={**self.auth, **kwargs.pop("headers", {})}, **kwargs)

    def launch_data(self, method: str = "GET", **kwargs: Any) -> requests.Response:
        return self.request(method, "activities/state", {
            "stateId": "LMS.LaunchData", "activityId": self.launch["activityId"], "agent": self.launch["actor"],
            "registration": self.launch["registration"]}, **kwargs)

    def preferences(self, method: str = "GET", **kwargs: Any) -> requests.Response:
        return self.request(method, "agents/profile", {**PREFERENCES, "agent": self.launch["actor"]}, **kwargs)

    def start(self) -> None:
        """Read what cmi5 §10 and §11 ask before initialized, and send it."""
        data = self.launch_data()
        self.session_id = data.json()["contextTemplate"]["extensions"][SESSION]
        assert self.preferences().status_code == 404  # none written: the AU goes on without
        assert self.send(self.statement("initialized")).ok

    def statement(self, verb: str) -> Json:
        """A well-formed statement of ``verb`` in this session, as cmi5 wants it."""
        categories = {"initialized": [CMI5_CATEGORY], "terminated": [CMI5_CATEGORY], "experienced": []}.get(
            verb, [CMI5_CATEGORY, MOVEON])
        results: dict[str, Json] = {
            "completed": {"completion": True, "duration": "PT1M"},
            "passed": {"success": True, "duration": "PT2M", "score": {"scaled": 0.9, "raw": 9, "min": 0, "max": 10}},
            "failed": {"success": False, "duration": "PT2M", "score": {"scaled": 0.5}},
            "terminated": {"duration": "PT3M"}}
        extensions: Json = {SESSION: self.session_id}
        if verb in ("passed", "failed"):
            extensions[EXT + "masteryscore"] = 0.8
        statement: Json = {
            "id": str(uuid.uuid4()), "timestamp": "2026-01-05T09:00:00.000Z", "actor": json.loads(self.launch["actor"]),
            "verb": {"id": VERB + verb}, "object": {"id": self.launch["activityId"]},
            "context": {"registration": self.launch["registration"], "extensions": extensions,
                        "contextActivities": {"category": [{"id": c} for c in categories]}}}
        if verb in results:
            statement["result"] = results[verb]
        return statement

    def send(self, statement: Json, method: str = "PUT") -> requests.Response:
        query = {"statementId": statement["id"]} if method == "PUT" and "id" in statement else {}
        return self.request(method, "statements", query, json=statement)


@pytest.fixture
def au(env: Env, tmp_path: Path) -> Au:
    return Au(env, tmp_path)


def refused(response: requests.Response, rule: str) -> None:
    assert response.status_code == 403, response.text
    assert rule in response.json()["message"], response.text


def test_initialized_waits_until_the_au_has_read_the_launch_data_and_the_learner_preferences(env: Env, au: Au) -> None:
    with env.db() as db:  # what the AU would find in LMS.LaunchData, had it read it
        au.session_id = db.scalars(select(ContentLaunch.session_id)).one()
    refused(au.send(au.statement("initialized")), "reads LMS.LaunchData (State API) and cmi5LearnerPreferences")
    assert au.launch_data().status_code == 200
    refused(au.send(au.statement("initialized")), "§10, §11: the AU reads cmi5LearnerPreferences")
    assert au.preferences().status_code == 404
    assert au.send(au.statement("initialized")).ok


def test_a_statement_without_its_own_id_or_a_utc_timestamp_is_refused(au: Au) -> None:
    au.start()
    statement = au.statement("experienced")
    del statement["id"]
    refused(au.send(statement, "POST"), "§9.1: the AU gives every statement its id")
    for stamp, rule in ((None, "carries a timestamp"), ("2026-01-05T03:00:00-06:00", "in UTC")):
        statement = au.statement("experienced")
        statement.pop("timestamp") if stamp is None else statement.update(timestamp=stamp)
        refused(au.send(statement), f"§9.7: {'every statement ' if stamp is None else 'the timestamp is '}{rule}")
    assert au.send(au.statement("experienced"), "POST").ok


def test_the_actor_is_an_agent_and_the_au_may_not_void(au: Au) -> None:
    au.start()
    allowed = au.statement("experienced")
    assert au.send(allowed).ok
    group = au.statement("passed")
    group["actor"]["objectType"] = "Group"
    refused(au.send(group), "§9.2: the actor is the launch's Agent")
    voiding = {**au.statement("experienced"), "verb": {"id": VERB + "voided"},
               "object": {"objectType": "StatementRef", "id": allowed["id"]}}
    refused(au.send(voiding), "§6.3: an AU may not void statements")


def test_only_judgements_carry_the_moveon_category(au: Au) -> None:
    au.start()
    for verb in ("experienced", "terminated"):
        statement = au.statement(verb)
        statement["context"]["contextActivities"]["category"].append({"id": MOVEON})
        refused(au.send(statement), "§9.6.2.2: only completed, passed and failed carry the category")


def test_completed_carries_completion_and_a_duration_and_no_success_or_score(au: Au) -> None:
    au.start()
    for change, rule in (({"completion": False}, "§9.5.3: completed carries result.completion true"),
                         ({"success": True}, "§9.5.2: completed carries no result.success"),
                         ({"score": {"scaled": 0.5}}, "§9.5.1: completed carries no score")):
        statement = au.statement("completed")
        statement["result"].update(change)
        refused(au.send(statement), rule)
    for verb in ("completed", "passed", "failed", "terminated"):
        statement = au.statement(verb)
        del statement["result"]["duration"]
        refused(au.send(statement), f"§9.5.4.1: {verb} carries result.duration")
    assert au.send(au.statement("completed")).ok


def test_passed_and_failed_say_success_and_nothing_of_completion(au: Au) -> None:
    au.start()
    for verb, change, rule in (("passed", {"success": False}, "§9.5.2: passed carries result.success true"),
                               ("failed", {"success": True}, "§9.5.2: failed carries result.success false"),
                               ("passed", {"completion": True}, "§9.5.3: passed carries no result.completion")):
        statement = au.statement(verb)
        statement["result"].update(change)
        refused(au.send(statement), rule)
    no_success = au.statement("failed")
    del no_success["result"]["success"]
    refused(au.send(no_success), "failed carries result.success false")


def test_a_score_judged_against_the_mastery_score_names_it_and_a_raw_score_its_range(au: Au) -> None:
    au.start()
    for key in ("min", "max"):
        statement = au.statement("passed")
        del statement["result"]["score"][key]
        refused(au.send(statement), "§9.5.1: a raw score comes with min and max")
    for value in (None, 0.9):
        statement = au.statement("passed")
        extensions = statement["context"]["extensions"]
        extensions.pop(EXT + "masteryscore") if value is None else extensions.update({EXT + "masteryscore": value})
        refused(au.send(statement), "§9.6.3.2: a passed judged by its score carries the masteryScore 0.8")
    assert au.send(au.statement("passed")).ok


def test_the_malformed_cmi5_statements_are_refused_with_403_as_cmi5_asks(au: Au) -> None:
    au.start()
    wrong_object = au.statement("completed")
    wrong_object["object"]["id"] = "https://example.test/not/the/au"
    refused(au.send(wrong_object), "§9.4")
    no_session = au.statement("experienced")
    del no_session["context"]["extensions"][SESSION]
    refused(au.send(no_session), "§9.6.3.1")
    no_context = au.statement("passed")
    del no_context["context"]
    assert au.send(no_context).status_code == 403  # no registration: the launch credential's own rule


def test_the_launch_data_is_the_lms_s_and_the_learner_preferences_are_well_formed(au: Au) -> None:
    refused(au.launch_data("PUT", json={"launchMode": "Normal"}), "§10: LMS.LaunchData is written by the LMS")
    refused(au.launch_data("DELETE"), "§10: LMS.LaunchData is written by the LMS")
    everything = au.request("DELETE", "activities/state", {
        "activityId": au.launch["activityId"], "agent": au.launch["actor"], "registration": au.launch["registration"]})
    refused(everything, "would delete LMS.LaunchData")
    assert au.launch_data().status_code == 200
    good = {"languagePreference": "th-TH,en-US", "audioPreference": "off"}
    for body, headers, rule in (
            (json.dumps(good), {"Content-Type": "text/plain"}, "JSON document (application/json)"),
            ("[]", {}, "are a JSON object"),
            (json.dumps({"audioPreference": "on"}), {}, "languagePreference is a comma-separated list"),
            (json.dumps({**good, "languagePreference": "not comma separated"}), {}, "RFC 5646 language codes"),
            (json.dumps({**good, "languagePreference": ""}), {}, "languagePreference"),
            (json.dumps({"languagePreference": "th"}), {}, 'audioPreference is "on" or "off"')):
        refused(au.preferences("PUT", data=body, headers={"Content-Type": "application/json", **headers}), rule)
    nobody = au.request("PUT", "agents/profile", PREFERENCES, json=good)
    assert nobody.status_code == 400 and "agent" in nobody.text  # xAPI's own rule comes first
    assert au.preferences("PUT", json=good, headers={"If-None-Match": "*"}).status_code == 204
    assert au.preferences().json() == good


def test_after_terminated_the_credential_answers_nothing(au: Au) -> None:
    au.start()
    assert au.send(au.statement("terminated")).ok
    refused(au.send(au.statement("experienced")), "§9.3.8: no statements may follow terminated")
    refused(au.launch_data(), "credential answers no other request")


def test_after_failed_a_session_neither_fails_nor_passes_again(au: Au) -> None:
    au.start()
    assert au.send(au.statement("failed")).ok
    refused(au.send(au.statement("failed")), "§9.3.5: no failed after failed in the same session")
    refused(au.send(au.statement("passed")), "§9.3.5: no passed after failed in the same session")
