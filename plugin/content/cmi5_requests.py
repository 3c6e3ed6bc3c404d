"""The cmi5 rules on every request an AU makes with its launch credential (the LRS's request guard, plugin.lrs),
before the LRS handles it: what only the request as sent shows (a statement's own id and timestamp, §9.1 and
§9.7), the documents the LMS owns or defines (LMS.LaunchData §10, the learner preferences §11), and the end of
the session (§9.3.6, §9.3.8). The reads of LMS.LaunchData and of the learner preferences are noted on the launch
row, so the statement guard (plugin.content.cmi5) can refuse an initialized sent before them.

Each refusal is 403 with the rule named. Credentials that are no cmi5 launch's (Moodle's, a Tin Can package's)
pass untouched."""

from __future__ import annotations

import json
import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

import xapi
from plugin.content.cmi5_rules import refuse
from plugin.models.content import ContentLaunch, ContentPackage

__all__ = ["request_guard"]

LAUNCH_DATA = "LMS.LaunchData"
LEARNER_PREFERENCES = "cmi5LearnerPreferences"
_READS = ("GET", "HEAD")
# RFC 3339 offsets that are UTC; cmi5 §9.7 wants every timestamp in UTC.
_UTC = re.compile(r"(?:[Zz]|[+-]00(?::?00)?)$")


def request_guard(session: Session, credential: dict[str, Any], request: xapi.GuardedRequest) -> None:
    """Called by the LRS for every request of a launch credential (bound to one registration)."""
    query = (select(ContentLaunch).join(ContentPackage, ContentPackage.id == ContentLaunch.package_id)
             .where(ContentLaunch.credential_key == credential["key"], ContentPackage.kind == "cmi5"))
    launch = session.scalars(query).one_or_none()
    if launch is None:
        return
    if launch.abandoned_at is not None:
        raise refuse("Authorization", "cmi5 §9.3.6: the session was abandoned (the AU was launched again before "
                     "it terminated); its credential answers no more requests")
    if launch.terminated:
        raise refuse("Authorization", "cmi5 §9.3.8: no statements may follow terminated in a session, and its "
                     "credential answers no other request")
    if request.resource == "statements" and request.method in ("PUT", "POST"):
        _check_sent(request)
    elif request.resource == "activities/state":
        _state(session, launch, request)
    elif request.resource == "agents/profile" and request.params.get("profileId") == LEARNER_PREFERENCES:
        if request.method in _READS:
            _note(session, launch, "preferences_read")
        elif request.method in ("PUT", "POST") and "agent" in request.params:  # no agent: xAPI's 400
            _check_preferences(request)


def _note(session: Session, launch: ContentLaunch, read: str) -> None:
    """Record a read once per launch; committed now, as the LRS commits nothing after a read."""
    if not getattr(launch, read):
        setattr(launch, read, True)
        session.commit()


def _state(session: Session, launch: ContentLaunch, request: xapi.GuardedRequest) -> None:
    state_id = request.params.get("stateId")
    own = request.params.get("activityId") == launch.activity_iri
    if state_id == LAUNCH_DATA:
        if request.method not in _READS:
            raise refuse("stateId", "cmi5 §10: LMS.LaunchData is written by the LMS; an AU only reads it")
        if own:
            _note(session, launch, "launch_data_read")
    elif state_id is None and request.method == "DELETE" and own:
        raise refuse("stateId", "cmi5 §10: deleting every state document of the AU would delete LMS.LaunchData, "
                     "which an AU only reads")


def _check_sent(request: xapi.GuardedRequest) -> None:
    """§9.1 and §9.7 on the statements as sent (the LRS would add an id and a timestamp of its own). A multipart
    or unreadable body is left to the LRS, which refuses what is malformed; the statement guard still checks
    the rest."""
    if not request.content_type.lower().startswith("application/json"):
        return
    try:
        body = json.loads(request.body)
    except ValueError:
        return
    batch = body if isinstance(body, list) else [body]
    id_in_url = request.method == "PUT" and "statementId" in request.params
    for index, statement in enumerate(batch):
        if not isinstance(statement, dict):
            continue
        where = f"[{index}]." if len(batch) > 1 else ""
        if "id" not in statement and not id_in_url:
            raise refuse(f"{where}id", "cmi5 §9.1: the AU gives every statement its id")
        stamp = statement.get("timestamp")
        if stamp is None:
            raise refuse(f"{where}timestamp", "cmi5 §9.7: every statement carries a timestamp")
        if isinstance(stamp, str) and not _UTC.search(stamp):
            raise refuse(f"{where}timestamp", "cmi5 §9.7: the timestamp is in UTC (ending in Z or +00:00)")


def _check_preferences(request: xapi.GuardedRequest) -> None:
    """§11: what an AU writes as the learner preferences is a JSON object with both preferences, well formed."""
    if not request.content_type.lower().startswith("application/json"):
        raise refuse("Content-Type", "cmi5 §11: the learner preferences are a JSON document (application/json)")
    try:
        document = json.loads(request.body)
    except ValueError:
        document = None
    if not isinstance(document, dict):
        raise refuse("body", "cmi5 §11: the learner preferences are a JSON object")
    languages = document.get("languagePreference")
    if not isinstance(languages, str) or not all(xapi.is_language_tag(tag) for tag in languages.split(",")):
        raise refuse("body.languagePreference", "cmi5 §11: languagePreference is a comma-separated list of "
                     "RFC 5646 language codes")
    if document.get("audioPreference") not in ("on", "off"):
        raise refuse("body.audioPreference", 'cmi5 §11: audioPreference is "on" or "off"')
