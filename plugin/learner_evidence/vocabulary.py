"""How a piece of evidence a learner adds is said in xAPI, and read back: pure, shared by the page that records it
and the portfolio compiler that files it.

One statement per piece: the learner as actor, ``submitted evidence`` as verb, and as object the first
criterion or evidence item the piece is for, as an activity of its own (the standard's code under Samattha's
activity namespace); the others it is for are ``context.contextActivities.other``. The learner's account of
their work is ``result.response``, a link ``result.extensions``, and each file an attachment identified by its
SHA-256 (xAPI 1.0.3 §2.4.11), so another LRS reading ours receives the piece whole."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

__all__ = ["ATTACHMENT_USAGE", "LINK_EXTENSION", "PIECE_EXTENSION", "REQUIREMENT_PREFIX", "VERB", "evidence_codes",
           "evidence_statement", "requirement_iri"]

VERB = "https://samattha.dev/xapi/verbs/submitted-evidence"
REQUIREMENT_PREFIX = "https://samattha.dev/xapi/activities/standard/"
REQUIREMENT_TYPE = "https://samattha.dev/xapi/activitytypes/evidence-requirement"
ATTACHMENT_USAGE = "https://samattha.dev/xapi/attachments/learner-evidence"
LINK_EXTENSION = "https://samattha.dev/xapi/extensions/evidence-link"
PIECE_EXTENSION = "https://samattha.dev/xapi/extensions/evidence-piece"


def requirement_iri(code: str) -> str:
    return REQUIREMENT_PREFIX + code


def _code(activity: object) -> str | None:
    activity_id = activity.get("id") if isinstance(activity, Mapping) else None
    if isinstance(activity_id, str) and activity_id.startswith(REQUIREMENT_PREFIX):
        return activity_id.removeprefix(REQUIREMENT_PREFIX) or None
    return None


def evidence_codes(statement: Mapping[str, Any], course: str) -> tuple[str, ...]:
    """The criteria and evidence items a learner's piece for ``course`` (its IRI, as Moodle's log store names the
    course: plugin.mapping.model.course_iri) is for; () for any other
    statement, a piece for another course among them."""
    verb = statement.get("verb")
    if not isinstance(verb, Mapping) or verb.get("id") != VERB:
        return ()
    context = statement.get("context")
    lists = context.get("contextActivities") if isinstance(context, Mapping) else None
    parents = lists.get("parent") if isinstance(lists, Mapping) else None
    if not isinstance(parents, list) or not any(isinstance(p, Mapping) and p.get("id") == course for p in parents):
        return ()
    others = lists.get("other") if isinstance(lists, Mapping) else None
    found = [_code(statement.get("object")), *(_code(a) for a in (others if isinstance(others, list) else ()))]
    return tuple(dict.fromkeys(code for code in found if code))


def evidence_statement(
    *, actor: Mapping[str, Any], codes: Sequence[str], titles: Mapping[str, str], account: str, link: str | None,
    files: Sequence[tuple[str, str, int, str]], course: str, course_title: str | None, piece: str,
    now: datetime,
) -> dict[str, Any]:
    """``files``: (name, content type, length, SHA-256 hex) of each attachment, in order."""
    def activity(code: str) -> dict[str, Any]:
        return {"objectType": "Activity", "id": requirement_iri(code),
                "definition": {"type": REQUIREMENT_TYPE, "name": {"th": titles.get(code) or code}}}

    result: dict[str, Any] = {"response": account}
    if link:
        result["extensions"] = {LINK_EXTENSION: link}
    parent: dict[str, Any] = {"objectType": "Activity", "id": course}
    if course_title:
        parent["definition"] = {"name": {"th": course_title}}
    statement: dict[str, Any] = {
        "actor": dict(actor),
        "verb": {"id": VERB, "display": {"en-US": "submitted evidence", "th-TH": "ส่งหลักฐาน"}},
        "object": activity(codes[0]),
        "result": result,
        "context": {"platform": "Samattha", "extensions": {PIECE_EXTENSION: piece},
                    "contextActivities": {"parent": [parent], **({"other": [activity(c) for c in codes[1:]]}
                                                                  if len(codes) > 1 else {})}},
        "timestamp": now.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
    }
    if files:
        statement["attachments"] = [
            {"usageType": ATTACHMENT_USAGE, "display": {"th": name, "en-US": name}, "contentType": content_type,
             "length": length, "sha2": sha2} for name, content_type, length, sha2 in files]
    return statement
