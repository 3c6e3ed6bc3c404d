"""Tests for xapi.validate_statement and its helpers.

The invalid/valid tables follow the ADL LRS conformance suite (adlnet/lrs-conformance-test-suite,
test/v1_0_3/configs/*.js and test/v2_0/configs/*.js): each row is one of its 400/200 cases,
rebuilt from a local base statement, and asserts the exact path reported.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import xapi
from xapi import (
    StatementError,
    is_uuid,
    parse_timestamp,
    validate_activity_id,
    validate_agent,
    validate_iri,
    validate_language_map,
    validate_statement,
    validate_statements,
    validate_version_header,
)

FIXTURES = Path(__file__).parent / "fixtures"
DELETE = object()
SHA256 = "495395e777cd98da653df9615d09c0fd6bb2f8d4788394cd53c56a3bfdcd848a"


# --------------------------------------------------------------------------- fixtures


def _moodle_statements() -> Iterator[tuple[str, dict[str, Any]]]:
    for file in sorted((FIXTURES / "moodle-logstore-xapi" / "merged").glob("*.json")):
        data = json.loads(file.read_text(encoding="utf-8"))
        for index, stmt in enumerate(data if isinstance(data, list) else [data]):
            yield f"{file.stem}[{index}]", stmt
    for name in ("xapi-quiz-assign.json", "xapi-sample.json"):
        data = json.loads((FIXTURES / "moodle-4.5" / name).read_text(encoding="utf-8"))
        records = data["statements"] if isinstance(data, dict) else data
        for index, record in enumerate(records):
            yield f"{name}[{index}]", record["statement"]


MOODLE = list(_moodle_statements())


def test_fixture_count() -> None:
    # 190 logstore_xapi test statements + 12 + 3 captured from a live Moodle 4.5.
    assert len(MOODLE) == 205


@pytest.mark.parametrize(("name", "stmt"), MOODLE, ids=[name for name, _ in MOODLE])
def test_moodle_statement_is_valid(name: str, stmt: dict[str, Any]) -> None:
    before = copy.deepcopy(stmt)
    validate_statement(stmt, version="1.0.3")
    validate_statement(stmt, version="2.0.0")
    assert stmt == before  # the validator never mutates its input


def test_moodle_batch_is_valid() -> None:
    validate_statements([stmt for _, stmt in MOODLE], version="1.0.3")


# --------------------------------------------------------------------------- building cases


def base() -> dict[str, Any]:
    """A statement touching most properties; every case below mutates one spot."""
    return {
        "id": "fd41c918-b88b-4b20-a0a5-a4c32391aaa0",
        "actor": {"objectType": "Agent", "name": "xAPI mbox", "mbox": "mailto:xapi@adlnet.gov"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/attended", "display": {"en-US": "attended"}},
        "object": {
            "objectType": "Activity",
            "id": "http://www.example.com/meetings/occurances/34534",
            "definition": {
                "name": {"en": "Choice"},
                "description": {"en-GB": "Which?"},
                "type": "http://adlnet.gov/expapi/activities/cmi.interaction",
                "moreInfo": "http://virtualmeeting.example.com/345256",
                "interactionType": "choice",
                "correctResponsesPattern": ["golf[,]tetris"],
                "choices": [{"id": "golf", "description": {"en-US": "Golf"}}, {"id": "tetris"}],
                "extensions": {"http://example.com/ext": {"any": ["json"]}},
            },
        },
        "result": {
            "score": {"scaled": 0.95, "raw": 95, "min": 0, "max": 100},
            "success": True,
            "completion": True,
            "response": "golf",
            "duration": "PT1H0M0S",
            "extensions": {"http://example.com/result": 1},
        },
        "context": {
            "registration": "ec531277-b57b-4c15-8d91-d292c5b2b8f7",
            "instructor": {"name": "Teacher", "account": {"homePage": "http://example.com", "name": "4"}},
            "team": {"objectType": "Group", "name": "Team", "mbox": "mailto:team@example.com"},
            "contextActivities": {"parent": [{"id": "http://example.com/course/2"}]},
            "revision": "rev_10_3_2",
            "platform": "Moodle",
            "language": "tlh",
            "statement": {"objectType": "StatementRef", "id": "6690e6c9-3ef0-4ed3-8b37-7f3964730bee"},
            "extensions": {"http://example.com/context": None},
        },
        "timestamp": "2013-05-18T05:32:34.804Z",
        "stored": "2013-05-18T05:32:34.804+00:00",
        "authority": {"objectType": "Agent", "account": {"homePage": "http://lrs.example.com", "name": "k"}},
        "version": "1.0.3",
        "attachments": [
            {
                "usageType": "http://example.com/attachment-usage/test",
                "display": {"en-US": "A test attachment"},
                "description": {"en-US": "A test attachment (description)"},
                "contentType": "text/plain; charset=ascii",
                "length": 27,
                "sha2": SHA256,
                "fileUrl": "http://over.there.com/file.txt",
            }
        ],
    }


def substatement() -> dict[str, Any]:
    return {
        "objectType": "SubStatement",
        "actor": {"objectType": "Agent", "mbox_sha1sum": "cd9b00a5611f94eaa7b1661edab976068e364975"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/reported"},
        "object": {"objectType": "Activity", "id": "http://www.example.com/meetings/occurances/34534"},
    }


_STEP = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def _steps(path: str) -> list[str | int]:
    return [int(index) if index else key for key, index in _STEP.findall(path)]


def mutate(stmt: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """Copy ``stmt`` with each dotted path set to a value (or removed, for DELETE).

    A key containing dots (extension IRIs) is written with a leading "=" on the last step:
    {"context.extensions=example.com/x": 1}.
    """
    result = copy.deepcopy(stmt)
    for path, value in changes.items():
        prefix, _, literal = path.partition("=")
        steps: list[str | int] = _steps(prefix) + ([literal] if literal else [])
        target: Any = result
        for step in steps[:-1]:
            target = target[step]
        if value is DELETE:
            del target[steps[-1]]
        else:
            target[steps[-1]] = copy.deepcopy(value)
    return result


AGENT_OBJECT = {"objectType": "Agent", "mbox": "mailto:someone@example.com"}
GROUP3 = [{"mbox": f"mailto:m{i}@example.com"} for i in range(3)]
OAUTH_GROUP = {
    "objectType": "Group",
    "member": [
        {"account": {"homePage": "http://example.com/xAPI/OAuth/Token", "name": "oauth_consumer_x75db"}},
        {"mbox": "mailto:bob_authority@example.com"},
    ],
}

# (changes applied to base(), expected error path); one row per rule.
INVALID: list[tuple[dict[str, Any], str]] = [
    # Statement shape (xAPI 1.0.3 §2.2, §2.4)
    ({"actor": DELETE}, "actor"),
    ({"verb": DELETE}, "verb"),
    ({"object": DELETE}, "object"),
    ({"Actor": {"mbox": "mailto:a@b.c"}}, "Actor"),  # keys are case-sensitive / unknown
    ({"extra": 1}, "extra"),
    # id (§2.4.1, uuids.js)
    ({"id": "AA97B177-9383-4934-8543-0F91A7A028368"}, "id"),
    ({"id": "MA97B177-9383-4934-8543-0F91A7A02836"}, "id"),
    ({"id": 12345}, "id"),
    ({"id": {"key": "should fail"}}, "id"),
    # actor / Agents (§2.4.2, agents.js, ifis.js, accountobjects.js)
    ({"actor.mbox": "xapi@adlnet.gov"}, "actor.mbox"),
    ({"actor.mbox": "mailto:xapi.adlnet.gov"}, "actor.mbox"),
    ({"actor.mbox_sha1sum": "cd9b00a5611f94eaa7b1661edab976068e364975"}, "actor"),
    ({"actor.mbox": DELETE}, "actor"),
    ({"actor": {"mbox_sha1sum": 12345}}, "actor.mbox_sha1sum"),
    ({"actor": {"mbox_sha1sum": "cd9b00a5611f94eaa7b1661edab976068e36497"}}, "actor.mbox_sha1sum"),
    ({"actor": {"openid": "open.id.com/testUser"}}, "actor.openid"),
    ({"actor": {"account": {"name": "a"}}}, "actor.account.homePage"),
    ({"actor": {"account": {"homePage": "http://www.example.com"}}}, "actor.account.name"),
    ({"actor": {"account": {"homePage": "ab=c://should.fail.com", "name": "a"}}}, "actor.account.homePage"),
    ({"actor": {"account": {"homePage": "homePage.com/testUser", "name": "1"}}}, "actor.account.homePage"),
    ({"actor": {"account": {"homePage": "http://x.org", "name": "1", "extra": 1}}}, "actor.account.extra"),
    ({"actor.objectType": "agent"}, "actor.objectType"),
    ({"actor.objectType": 12345}, "actor.objectType"),
    ({"actor.name": 12345}, "actor.name"),
    # Groups (§2.4.2.2, groups.js)
    ({"actor": {"objectType": "Group", "name": "anonymous"}}, "actor.member"),
    ({"actor": {"objectType": "Group", "member": []}}, "actor.member"),
    (
        {"actor": {"objectType": "Group", "member": [{"objectType": "Group", "mbox": "mailto:g@x.org"}]}},
        "actor.member[0].objectType",
    ),
    ({"actor": {"objectType": "Group", "member": [{"mbox": "g@x.org"}]}}, "actor.member[0].mbox"),
    ({"actor": {"objectType": "Group", "mbox": "mailto:g@x.org", "openid": "http://x.org/g"}}, "actor"),
    # verb (§2.4.3, verbs.js, Data2.2 bad verb id scheme)
    ({"verb.id": DELETE}, "verb.id"),
    ({"verb.id": "adlnet.gov/expapi/verbs/attended"}, "verb.id"),
    ({"verb.display": "attended"}, "verb.display"),
    ({"verb.display": {"a12345678": "should error"}}, "verb.display.a12345678"),
    ({"verb.display.en-US": 12345}, "verb.display.en-US"),
    # object: Activity (§2.4.4.1, activities.js)
    ({"object.id": DELETE}, "object.id"),
    ({"object.id": "ab=c://should.fail.com"}, "object.id"),
    ({"object.id": "http://example.com/has space"}, "object.id"),
    ({"object.objectType": "activity"}, "object.objectType"),
    ({"object.definition": "should error"}, "object.definition"),
    ({"object.definition.name": 1234}, "object.definition.name"),
    ({"object.definition.description": "should error"}, "object.definition.description"),
    ({"object.definition.type": "adlnet.gov/expapi/activities/meeting"}, "object.definition.type"),
    ({"object.definition.moreInfo": "virtualmeeting.example.com/345256"}, "object.definition.moreInfo"),
    (
        {"object.definition.extensions": {"not.valid.com/extension": 1}},
        "object.definition.extensions.not.valid.com/extension",
    ),
    ({"object.definition.interactionType": "should error"}, "object.definition.interactionType"),
    ({"object.definition.interactionType": 12345}, "object.definition.interactionType"),
    ({"object.definition.interactionType": DELETE}, "object.definition.interactionType"),  # XAPI-00064
    ({"object.definition.choices[1].id": "golf"}, "object.definition.choices[1].id"),
    ({"object.definition.choices[0].id": DELETE}, "object.definition.choices[0].id"),
    ({"object.definition.scale": [{"id": "likert_0"}]}, "object.definition.scale"),
    ({"object.definition.correctResponsesPattern": [1]}, "object.definition.correctResponsesPattern[0]"),
    ({"object.definition.colour": "red"}, "object.definition.colour"),
    # object: Agent / Group / StatementRef / SubStatement (§2.4.4.2-3, objects.js, substatements.js)
    (
        {"object": {"mbox": "mailto:a@example.com"}, "context.revision": DELETE, "context.platform": DELETE},
        "object.mbox",
    ),  # XAPI-00065: an Agent object must say objectType
    ({"object": {"objectType": "StatementRef", "id": "should fail"}}, "object.id"),
    ({"object": {"objectType": "StatementRef"}}, "object.id"),
    ({"object": {**substatement(), "object": substatement()}}, "object.object.objectType"),
    ({"object": {**substatement(), "id": "fd41c918-b88b-4b20-a0a5-a4c32391aaa0"}}, "object.id"),
    ({"object": {**substatement(), "stored": "2013-05-18T05:32:34.804Z"}}, "object.stored"),
    ({"object": {**substatement(), "version": "1.0.0"}}, "object.version"),
    ({"object": {**substatement(), "authority": AGENT_OBJECT}}, "object.authority"),
    ({"object": {**substatement(), "verb": DELETE}}, "object.verb"),
    ({"object": {**substatement(), "timestamp": "2008-09-15T15:53:00.601-00:00"}}, "object.timestamp"),
    ({"object": {"objectType": "substatement"}}, "object.objectType"),
    # voiding (§2.3.2, voiding.js)
    ({"verb.id": "http://adlnet.gov/expapi/verbs/voided"}, "object.objectType"),
    # result (§2.4.5, results.js, scores.js, durations.js)
    ({"result.score.scaled": 1.01}, "result.score.scaled"),
    ({"result.score.scaled": -1.01}, "result.score.scaled"),
    ({"result.score.scaled": "0.5"}, "result.score.scaled"),
    ({"result.score.scaled": True}, "result.score.scaled"),
    ({"result.score.scaled": float("nan")}, "result.score.scaled"),
    ({"result.score.raw": 101}, "result.score.raw"),
    ({"result.score.raw": -1}, "result.score.raw"),
    ({"result.score.min": 100}, "result.score.max"),
    ({"result.score": 95}, "result.score"),
    ({"result.success": "true"}, "result.success"),
    ({"result.completion": {"key": "invalid"}}, "result.completion"),
    ({"result.response": 12345}, "result.response"),
    ({"result.duration": "PA1H0M0S"}, "result.duration"),
    ({"result.duration": "P4W1D"}, "result.duration"),
    ({"result.duration": "PT0.5H1M"}, "result.duration"),
    ({"result.duration": 12345}, "result.duration"),
    ({"result.extensions": "should fail"}, "result.extensions"),
    (
        {"result.extensions=example.com/extension/wrong": 1234},
        "result.extensions.example.com/extension/wrong",
    ),
    # context (§2.4.6, contexts.js, contextactivities.js)
    ({"context.registration": "tlh"}, "context.registration"),
    ({"context.instructor": "should fail"}, "context.instructor"),
    ({"context.team": AGENT_OBJECT}, "context.team.objectType"),
    ({"context.contextActivities": "should fail"}, "context.contextActivities"),
    (
        {"context.contextActivities.consequences": [{"id": "http://x.org/a"}]},
        "context.contextActivities.consequences",
    ),
    ({"context.contextActivities.parent[0].id": "not an iri"}, "context.contextActivities.parent[0].id"),
    (
        {"context.contextActivities.other": [{"id": "http://x.org/a"}, {"key": "should fail"}]},
        "context.contextActivities.other[1].key",
    ),
    ({"context.revision": 12345}, "context.revision"),
    ({"object": AGENT_OBJECT, "context.platform": DELETE}, "context.revision"),
    (
        {
            "object": {"objectType": "StatementRef", "id": "8f87ccde-bb56-4c2e-ab83-44982ef22df0"},
            "context.revision": DELETE,
        },
        "context.platform",
    ),
    ({"context.language": "a12345678"}, "context.language"),
    ({"context.language": 12345}, "context.language"),
    ({"context.statement.objectType": "statementref"}, "context.statement.objectType"),
    ({"context.statement.id": "should fail"}, "context.statement.id"),
    (
        {"context.extensions=example.com/extension/wrong": 1234},
        "context.extensions.example.com/extension/wrong",
    ),
    ({"context.contextAgents": []}, "context.contextAgents"),  # 2.0-only property
    # timestamp / stored (§2.4.7-8, §4.5, timestamps.js)
    ({"timestamp": "should fail"}, "timestamp"),
    ({"timestamp": "01/011/2015"}, "timestamp"),
    ({"timestamp": "2008-09-15T15:53:00.601-00"}, "timestamp"),
    ({"timestamp": "2008-09-15T15:53:00.601-0000"}, "timestamp"),
    ({"timestamp": "2008-09-15T15:53:00.601-00:00"}, "timestamp"),
    ({"timestamp": "2008-02-30T15:53:00Z"}, "timestamp"),
    ({"stored": "yesterday"}, "stored"),
    # authority (§2.4.9, authorities.js, XAPI-00100)
    ({"authority": {**OAUTH_GROUP, "mbox": "mailto:g@example.com"}}, "authority"),
    ({"authority": {**OAUTH_GROUP, "member": GROUP3}}, "authority.member"),
    ({"authority": {**OAUTH_GROUP, "member": GROUP3[:1]}}, "authority.member"),
    ({"authority": {"objectType": "Agent"}}, "authority"),
    # version (§2.4.10, version.js)
    ({"version": "should fail"}, "version"),
    ({"version": "0.9.9"}, "version"),
    ({"version": "1.1.0"}, "version"),
    ({"version": "2.0.0"}, "version"),
    # attachments (§2.4.11, attachments.js, Data2.2)
    ({"attachments": base()["attachments"][0]}, "attachments"),
    ({"attachments": [12345]}, "attachments[0]"),
    ({"attachments[0].usageType": "should fail"}, "attachments[0].usageType"),
    ({"attachments[0].display": DELETE}, "attachments[0].display"),
    ({"attachments[0].display": "should fail"}, "attachments[0].display"),
    ({"attachments[0].description": {"a12345678": "x"}}, "attachments[0].description.a12345678"),
    ({"attachments[0].contentType": 12345}, "attachments[0].contentType"),
    ({"attachments[0].length": "should fail"}, "attachments[0].length"),
    ({"attachments[0].length": -1}, "attachments[0].length"),
    ({"attachments[0].sha2": 12345}, "attachments[0].sha2"),
    ({"attachments[0].sha2": "not-a-digest"}, "attachments[0].sha2"),
    ({"attachments[0].fileUrl": "should fail"}, "attachments[0].fileUrl"),
]


def _case_id(changes: dict[str, Any], path: str) -> str:
    return f"{path}<-{','.join(changes)}"


@pytest.mark.parametrize(("changes", "path"), INVALID, ids=[_case_id(c, p) for c, p in INVALID])
def test_invalid_statement_reports_path(changes: dict[str, Any], path: str) -> None:
    stmt = mutate(base(), changes)
    with pytest.raises(StatementError) as info:
        validate_statement(stmt, version="1.0.3")
    assert info.value.path == path
    assert str(info.value) == f"{path}: {info.value.message}"


def test_invalid_table_is_large_enough() -> None:
    assert len(INVALID) >= 60


def test_base_statement_is_valid() -> None:
    validate_statement(base(), version="1.0.3")
    validate_statement(base(), version="2.0.0")


# --------------------------------------------------------------------------- valid edge cases

VALID: list[dict[str, Any]] = [
    {"object.objectType": DELETE},  # Activity is the default objectType
    {"actor.objectType": DELETE},
    {"actor": {"mbox": "mailto:xapi@adlnet.gov", "name": "Both name and mbox"}},
    {"actor": {"mbox_sha1sum": "CD9B00A5611F94EAA7B1661EDAB976068E364975"}},
    {"actor": {"openid": "http://openid.example.org/12345"}},
    {"actor": {"objectType": "Group", "member": [{"mbox": "mailto:a@example.com"}]}},
    {"actor": {"objectType": "Group", "account": {"homePage": "http://x.org", "name": "g"}}},
    {"actor": {"objectType": "Group", "mbox": "mailto:g@x.org", "member": []}},
    {"result.score": {"scaled": -1}},
    {"result.score": {"scaled": 1}},
    {"result.score": {"scaled": 0.0, "raw": 0, "min": 0, "max": 0.5}},
    {"result.score": {"raw": -5}},
    {"result.duration": "PT4H35M59.14S"},
    {"result.duration": "P3Y1M29DT4H35M59.14S"},
    {"result.duration": "P4W"},
    {"result.duration": "PT16559.14S"},
    {"result.duration": "P1DT0,5S"},
    {"timestamp": "2008-09-15T15:53:00.601+00:00"},
    {"timestamp": "2008-09-15T15:53:00Z"},
    {"timestamp": "2008-09-15T15:53:00.123456789+05:30"},
    {"timestamp": "2031-11-21T10:26:45.438Z"},  # future timestamps are fine (timestamp_property.js)
    {"version": "1.0"},
    {"version": "1.0.9"},
    {
        "context.contextActivities": {
            "parent": {"id": "http://x.org/a"},
            "grouping": [],
            "other": [{"objectType": "Activity", "id": "http://x.org/b"}],
        }
    },
    {"context.language": "zh-Hant-TW"},
    {"context.language": "i-klingon"},
    {"context.language": "x-private-use"},
    {"context.language": "sr-Latn-RS-u-nu-latn"},
    {"context.extensions": {}},
    {"context.extensions": {"http://example.com/a": "", "http://example.com/b": None}},
    {"object.definition": {}},
    {"object.definition": {"interactionType": "fill-in", "correctResponsesPattern": ["Bob's your uncle"]}},
    {"object.definition": {"interactionType": "matching", "source": [{"id": "a"}], "target": [{"id": "a"}]}},
    {"authority": OAUTH_GROUP},
    {
        "verb": {"id": "http://adlnet.gov/expapi/verbs/voided"},
        "object": {"objectType": "StatementRef", "id": "8f87ccde-bb56-4c2e-ab83-44982ef22df0"},
        "context.revision": DELETE,
        "context.platform": DELETE,
    },
    {
        "object": {
            **substatement(),
            "context": {"revision": "r1", "platform": "p"},
            "result": {"success": False},
        },
        "context.revision": DELETE,
        "context.platform": DELETE,
    },
    {
        "object": {**substatement(), "object": AGENT_OBJECT},
        "context.revision": DELETE,
        "context.platform": DELETE,
    },
    {
        "object": {"objectType": "Group", "name": "Group Identified", "mbox": "mailto:xapi@adlnet.gov"},
        "context.revision": DELETE,
        "context.platform": DELETE,
    },
    {"id": "FD41C918-B88B-4B20-A0A5-A4C32391AAA0"},
    {"verb.display": {"ja-JP": "出席した", "th": "เข้าร่วม"}},
    {"object.id": "http://example.com/パス?q=%E3%81%82#frag"},
    {"object.id": "urn:uuid:6690e6c9-3ef0-4ed3-8b37-7f3964730bee"},
    {"result": {}, "context": {}, "attachments": []},
]


@pytest.mark.parametrize("changes", VALID, ids=[",".join(c) for c in VALID])
def test_valid_edge_case_is_accepted(changes: dict[str, Any]) -> None:
    validate_statement(mutate(base(), changes), version="1.0.3")


# --------------------------------------------------------------------------- 1.0.3 vs 2.0.0

CONTEXT_AGENTS = [
    {
        "objectType": "contextAgent",
        "agent": {"objectType": "Agent", "mbox": "mailto:player-1@example.com"},
        "relevantTypes": ["https://example.com/activity-types/player"],
    }
]
CONTEXT_GROUPS = [
    {
        "objectType": "contextGroup",
        "group": {
            "objectType": "Group",
            "mbox": "mailto:team-1@example.com",
            "member": [{"mbox": "mailto:p@x.org"}],
        },
    }
]


def test_context_agents_and_groups_only_in_2_0() -> None:
    stmt = mutate(base(), {"context.contextAgents": CONTEXT_AGENTS, "context.contextGroups": CONTEXT_GROUPS})
    validate_statement(stmt, version="2.0.0")
    with pytest.raises(StatementError, match=r"^context\.contextAgents: "):
        validate_statement(stmt, version="1.0.3")


INVALID_V2: list[tuple[dict[str, Any], str]] = [
    ({"context.contextAgents[0].objectType": "Should fail"}, "context.contextAgents[0].objectType"),
    ({"context.contextAgents[0].agent": {"key": "Should fail"}}, "context.contextAgents[0].agent.key"),
    (
        {"context.contextAgents[0].agent": CONTEXT_GROUPS[0]["group"]},
        "context.contextAgents[0].agent.objectType",
    ),
    ({"context.contextAgents[0].relevantTypes": []}, "context.contextAgents[0].relevantTypes"),
    ({"context.contextAgents[0].relevantTypes": ["abc"]}, "context.contextAgents[0].relevantTypes[0]"),
    ({"context.contextAgents[0].agent": DELETE}, "context.contextAgents[0].agent"),
    ({"context.contextGroups[0].objectType": "contextAgent"}, "context.contextGroups[0].objectType"),
    ({"context.contextGroups[0].group": AGENT_OBJECT}, "context.contextGroups[0].group.objectType"),
    ({"context.contextGroups[0].relevantTypes": "http://x.org/t"}, "context.contextGroups[0].relevantTypes"),
    ({"context.contextGroups": {}}, "context.contextGroups"),
    ({"timestamp": "2008-09-15T15:53:00"}, "timestamp"),  # RFC 3339 needs an offset
    ({"timestamp": "2008-09-15T15:53Z"}, "timestamp"),  # ... and seconds
    ({"timestamp": "20080915T155300Z"}, "timestamp"),  # ... and the extended format
    ({"stored": "2008-09-15T15:53:00+0000"}, "stored"),
    ({"version": "3.0.0"}, "version"),
]


@pytest.mark.parametrize(("changes", "path"), INVALID_V2, ids=[_case_id(c, p) for c, p in INVALID_V2])
def test_invalid_2_0_statement(changes: dict[str, Any], path: str) -> None:
    stmt = mutate(base(), {"context.contextAgents": CONTEXT_AGENTS, "context.contextGroups": CONTEXT_GROUPS})
    with pytest.raises(StatementError) as info:
        validate_statement(mutate(stmt, changes), version="2.0.0")
    assert info.value.path == path


@pytest.mark.parametrize(
    "timestamp", ["2008-09-15T15:53:00", "2008-09-15T15:53Z", "20080915T155300Z", "2008-09-15T15:53:00,5+01"]
)
def test_1_0_3_accepts_iso8601_timestamps_that_2_0_rejects(timestamp: str) -> None:
    stmt = mutate(base(), {"timestamp": timestamp})
    validate_statement(stmt, version="1.0.3")
    with pytest.raises(StatementError, match="^timestamp: "):
        validate_statement(stmt, version="2.0.0")


@pytest.mark.parametrize("version", ["2.0.0", "2.0", "1.0.0", "1.0"])
def test_2_0_accepts_1_0_and_2_0_statement_versions(version: str) -> None:
    # v2_0/configs/version.js expects 1.0 and 1.0.9 accepted; 4.2.4.3 expects 2.0.0 kept.
    validate_statement(mutate(base(), {"version": version}), version="2.0.0")


def test_any_1_0_x_selects_the_1_0_3_rules() -> None:
    validate_statement(base(), version="1.0.1")
    with pytest.raises(ValueError, match="unsupported"):
        validate_statement(base(), version="0.95")


# --------------------------------------------------------------------------- batches and root


def test_root_must_be_an_object() -> None:
    with pytest.raises(StatementError) as info:
        validate_statement(["not", "an", "object"])
    assert info.value.path == ""
    assert str(info.value) == "must be an object"


def test_batch_paths_are_prefixed() -> None:
    good = base()
    bad = mutate(base(), {"id": "6690e6c9-3ef0-4ed3-8b37-7f3964730bee", "actor.mbox": "nobody"})
    with pytest.raises(StatementError) as info:
        validate_statements([good, good | {"id": "8f87ccde-bb56-4c2e-ab83-44982ef22df0"}, bad])
    assert info.value.path == "[2].actor.mbox"
    assert str(info.value) == "[2].actor.mbox: must start with mailto:"


def test_batch_root_errors_and_single_object() -> None:
    validate_statements(base())
    with pytest.raises(StatementError) as info:
        validate_statements([base(), 5])
    assert info.value.path == "[1]"
    with pytest.raises(StatementError) as info:
        validate_statements([])
    assert info.value.path == ""


def test_batch_rejects_repeated_ids() -> None:
    stmt = base()
    with pytest.raises(StatementError) as info:
        validate_statements([stmt, mutate(stmt, {"id": stmt["id"].upper()})])
    assert info.value.path == "[1].id"


# --------------------------------------------------------------------------- helpers


def test_parse_timestamp_returns_aware_utc() -> None:
    parsed = parse_timestamp("2008-09-15T15:53:00.601+05:30")
    assert parsed == datetime(2008, 9, 15, 10, 23, 0, 601000, tzinfo=UTC)
    assert parsed.utcoffset() == timedelta(0)
    assert parse_timestamp("2008-09-15t15:53:00z") == datetime(2008, 9, 15, 15, 53, tzinfo=UTC)
    assert parse_timestamp("2008-09-15T15:53", version="1.0.3") == datetime(2008, 9, 15, 15, 53, tzinfo=UTC)
    for bad in (
        "2008-09-15T15:53:00-00:00",
        "2008-09-15 15:53:00Z",
        "2008-13-01T00:00:00Z",
        "0001-01-01T00:00:00+01:00",
    ):
        with pytest.raises(ValueError):
            parse_timestamp(bad)


def test_is_uuid() -> None:
    assert is_uuid("6690e6c9-3ef0-4ed3-8b37-7f3964730bee")
    assert is_uuid("58028332-2277-5b51-a632-7836992917ea")  # v5, as Moodle sends
    assert not is_uuid("6690e6c93ef04ed38b377f3964730bee")  # not standard string form
    assert not is_uuid("6690e6c9-3ef0-4ed3-cb37-7f3964730bee")  # not the RFC 4122 variant
    assert not is_uuid(None)


@pytest.mark.parametrize("value", ["1.0", "1.0.0", "1.0.1", "1.0.2", "1.0.3", "1.0.4", "1.0.17", "2.0.0", " 1.0.3 "])
def test_version_header_accepted(value: str) -> None:
    assert validate_version_header(value) == value.strip()


@pytest.mark.parametrize(
    "value", ["0.95", "0.9", "1.1", "1.1.0", "1.0.", "1.0.x", "1.0.٣", "2.0.1", "2.0", "", None, 1.0])
def test_version_header_rejected(value: object) -> None:
    with pytest.raises(StatementError) as info:
        validate_version_header(value)
    assert info.value.path == "X-Experience-API-Version"


def test_agent_helper_for_agent_parameter() -> None:
    validate_agent({"mbox": "mailto:a@example.com"}, "agent", "1.0.3")
    with pytest.raises(StatementError) as info:
        validate_agent({"objectType": "Group", "mbox": "mailto:g@example.com"}, "agent", "2.0.0")
    assert info.value.path == "agent.objectType"


def test_small_helpers() -> None:
    assert validate_activity_id("http://x.org/a") == "http://x.org/a"
    assert validate_iri("mailto:a@example.com", "p") == "mailto:a@example.com"
    for bad in ("", "x", "http://", "http:///path", "1http://x.org", "http://x.org/%zz", "http://x.org/a b"):
        with pytest.raises(StatementError):
            validate_iri(bad, "p")
    assert validate_language_map({"en-US": "x", "und": ""}, "m") == {"en-US": "x", "und": ""}
    with pytest.raises(StatementError) as info:
        validate_language_map({"en_US": "x"}, "m")
    assert info.value.path == "m.en_US"


def test_public_names() -> None:
    for name in xapi.__all__:
        assert hasattr(xapi, name)


# --------------------------------------------------------------------------- properties

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=20,
)
# Plausible keys make arbitrary objects get past the first checks more often.
KEYS = st.sampled_from(
    [
        "actor",
        "verb",
        "object",
        "id",
        "objectType",
        "mbox",
        "member",
        "definition",
        "context",
        "result",
        "score",
        "timestamp",
        "display",
        "en-US",
        "contextActivities",
        "parent",
        "account",
        "name",
    ]
)
STATEMENTISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(KEYS, children, max_size=5),
    max_leaves=25,
)


def _only_statement_errors(check: Callable[[], None]) -> None:
    try:
        check()
    except StatementError:
        pass


@settings(max_examples=150, deadline=None)
@given(value=JSON | STATEMENTISH, version=st.sampled_from(["1.0.3", "2.0.0"]))
def test_arbitrary_json_only_raises_statement_error(value: object, version: str) -> None:
    _only_statement_errors(lambda: validate_statement(value, version=version))
    _only_statement_errors(lambda: validate_statements(value, version=version))


def _paths(value: Any, prefix: tuple[str | int, ...] = ()) -> Iterator[tuple[str | int, ...]]:
    yield prefix
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _paths(child, (*prefix, index))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), version=st.sampled_from(["1.0.3", "2.0.0"]))
def test_mutated_fixtures_only_raise_statement_error(data: st.DataObject, version: str) -> None:
    stmt = copy.deepcopy(data.draw(st.sampled_from([s for _, s in MOODLE] + [base()])))
    for _ in range(data.draw(st.integers(1, 3))):
        paths = [p for p in _paths(stmt) if p]
        if not paths:
            break
        path = data.draw(st.sampled_from(paths))
        target: Any = stmt
        for step in path[:-1]:
            target = target[step]
        if data.draw(st.booleans()):
            del target[path[-1]]
        else:
            target[path[-1]] = data.draw(JSON)
    _only_statement_errors(lambda: validate_statement(stmt, version=version))


@pytest.mark.parametrize("version", ["1.0.3", "2.0.0"])
def test_a_leap_second_is_the_last_microsecond_of_its_day(version: str) -> None:
    last = datetime(2016, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC)
    assert parse_timestamp("2016-12-31T23:59:60Z", version=version) == last
    assert parse_timestamp("2016-12-31T23:59:60.9Z", version=version) == last
    assert parse_timestamp("2016-12-31T18:59:60-05:00", version=version) == last
    for elsewhere in ("2016-12-31T23:58:60Z", "2016-12-31T12:59:60Z", "2016-12-31T23:59:61Z"):
        with pytest.raises(ValueError):
            parse_timestamp(elsewhere, version=version)
