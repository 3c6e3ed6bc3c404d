"""The cmi5 rules (cmi5 §9) for what an AU sends through its launch credential, and the statements and
context the LMS itself provides. Installed as the LRS's statement guard: a request breaking a rule is
refused whole, with 403 (a rule about order or who may send) or 400 (a malformed cmi5 statement), and
the message names the rule."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

import xapi
from plugin.models.content import ContentLaunch, ContentPackage

__all__ = ["CATEGORY", "MOVEON", "SESSION_ID", "context_template", "guard", "launched_statement"]

VERB = "http://adlnet.gov/expapi/verbs/"
CMI5_VERB = "https://w3id.org/xapi/adl/verbs/"
CATEGORY = "https://w3id.org/xapi/cmi5/context/categories/cmi5"
MOVEON = "https://w3id.org/xapi/cmi5/context/categories/moveon"
EXT = "https://w3id.org/xapi/cmi5/context/extensions/"
SESSION_ID = EXT + "sessionid"
# §9.3: the verbs only the LMS may send (launched, satisfied; abandoned and waived are LMS verdicts too).
LMS_ONLY = {VERB + "launched", CMI5_VERB + "satisfied", CMI5_VERB + "abandoned", CMI5_VERB + "waived"}
DEFINED = {VERB + v for v in ("initialized", "completed", "passed", "failed", "terminated")}


def context_template(launch: ContentLaunch, package: ContentPackage) -> dict[str, Any]:
    """§10.2.1: what every statement of this session must carry (the session id, the course as grouping)."""
    return {"contextActivities": {"grouping": [{"objectType": "Activity", "id": package.activity_iri}]},
            "extensions": {SESSION_ID: launch.session_id}}


def launched_statement(launch: ContentLaunch, package: ContentPackage, item: dict[str, Any], actor: dict[str, Any],
                       now: datetime) -> dict[str, Any]:
    """§9.3.1: the LMS's ``launched``, with the launch mode, URL and moveOn as context extensions."""
    template = context_template(launch, package)
    extensions = {**template["extensions"], EXT + "launchmode": launch.launch_mode,
                  EXT + "moveon": launch.move_on or "NotApplicable", EXT + "launchurl": str(item["url"])}
    if item.get("launch_parameters"):
        extensions[EXT + "launchparameters"] = item["launch_parameters"]
    return {
        "actor": actor, "timestamp": now.isoformat(),
        "verb": {"id": VERB + "launched", "display": {"en-US": "launched"}},
        "object": {"objectType": "Activity", "id": launch.activity_iri},
        "context": {"registration": launch.registration, "extensions": extensions,
                    "contextActivities": {**template["contextActivities"], "category": [{"id": CATEGORY}]}},
    }


def _refuse(status: int, where: str, rule: str) -> xapi.StatementError:
    return xapi.StatementError(where, rule, status=status)


def _categories(statement: dict[str, Any]) -> set[str]:
    context = statement.get("context") or {}
    listed = (context.get("contextActivities") or {}).get("category") or []
    return {str(c.get("id")) for c in listed if isinstance(c, dict)}


def _scaled(statement: dict[str, Any]) -> Decimal | None:
    value = ((statement.get("result") or {}).get("score") or {}).get("scaled")
    try:
        return Decimal(str(value)) if isinstance(value, int | float) and not isinstance(value, bool) else None
    except InvalidOperation:
        return None


def _earlier(session: Session, launch: ContentLaunch, flag: Any) -> bool:
    """Whether another session of the same registration already recorded ``flag`` (completed, passed)."""
    query = select(ContentLaunch.id).where(ContentLaunch.registration == launch.registration,
                                           ContentLaunch.package_id == launch.package_id, flag.is_(True),
                                           ContentLaunch.id != launch.id)
    return session.scalars(query).first() is not None


def _check(session: Session, launch: ContentLaunch, statement: dict[str, Any], where: str) -> None:
    verb = (statement.get("verb") or {}).get("id")
    context = statement.get("context") or {}
    if verb in LMS_ONLY:
        raise _refuse(403, f"{where}verb", f"cmi5 §9.3: {verb} is sent by the LMS only, never by the AU")
    if launch.terminated:
        raise _refuse(403, f"{where}verb", "cmi5 §9.3.8: no statements may follow terminated in a session")
    if not launch.initialized and verb != VERB + "initialized":
        raise _refuse(403, f"{where}verb", "cmi5 §9.3.2: the first statement after launched must be initialized")
    if (context.get("extensions") or {}).get(SESSION_ID) != launch.session_id:
        raise _refuse(400, f"{where}context.extensions", "cmi5 §9.6.3.1: the session id of the launch "
                      "(LMS.LaunchData contextTemplate) is required")
    if verb not in DEFINED:
        return  # a cmi5 "allowed" statement: inside the session, nothing more to check
    if (statement.get("object") or {}).get("id") != launch.activity_iri:
        raise _refuse(400, f"{where}object.id", "cmi5 §9.4: a cmi5 defined statement's object is the AU (activityId)")
    categories = _categories(statement)
    if CATEGORY not in categories:
        raise _refuse(400, f"{where}context.contextActivities.category",
                      f"cmi5 §9.6.2.1: a cmi5 defined statement carries the category {CATEGORY}")
    if verb == VERB + "initialized":
        if launch.initialized:
            raise _refuse(403, f"{where}verb", "cmi5 §9.3.2: initialized is sent once per session")
        launch.initialized = True
    elif verb == VERB + "terminated":
        launch.terminated = True
    else:
        _judgement(session, launch, statement, verb, categories, where)


def _judgement(session: Session, launch: ContentLaunch, statement: dict[str, Any], verb: str, categories: set[str],
               where: str) -> None:
    """completed / passed / failed (§9.3.3-§9.3.5)."""
    name = verb.removeprefix(VERB)
    if launch.launch_mode != "Normal":
        raise _refuse(403, f"{where}verb", f"cmi5 §10.2.2: {name} is only allowed in Normal launch mode")
    if MOVEON not in categories:
        raise _refuse(400, f"{where}context.contextActivities.category",
                      f"cmi5 §9.6.2.2: {name} carries the category {MOVEON}")
    if name == "completed":
        if launch.completed or _earlier(session, launch, ContentLaunch.completed):
            raise _refuse(403, f"{where}verb", "cmi5 §9.3.3: completed is sent at most once per registration")
        launch.completed = True
        return
    if launch.passed or _earlier(session, launch, ContentLaunch.passed):
        raise _refuse(403, f"{where}verb", f"cmi5 §9.3.4: no {name} after passed in the same registration")
    scaled = _scaled(statement)
    if launch.mastery_score is not None:
        mastery = Decimal(launch.mastery_score)
        if scaled is None:
            raise _refuse(400, f"{where}result.score.scaled",
                          f"cmi5 §9.3.4: {name} needs result.score.scaled when the AU has a masteryScore")
        if name == "passed" and scaled < mastery:
            raise _refuse(403, f"{where}result.score.scaled",
                          f"cmi5 §9.3.4: passed needs a scaled score of at least the masteryScore {mastery}")
        if name == "failed" and scaled >= mastery:
            raise _refuse(403, f"{where}result.score.scaled",
                          f"cmi5 §9.3.5: failed needs a scaled score below the masteryScore {mastery}")
    if name == "passed":
        launch.passed = True
    else:
        launch.failed = True


def guard(session: Session, credential: dict[str, Any], statements: list[dict[str, Any]]) -> None:
    """The LRS calls this before storing a batch; only launch credentials of cmi5 packages are checked."""
    key = credential.get("key")
    # Launch credentials are bound to a registration; the others (Moodle's log store…) need no lookup.
    if not key or credential.get("registration") is None:
        return
    launch = session.scalars(select(ContentLaunch).where(ContentLaunch.credential_key == key)).one_or_none()
    if launch is None or launch.package.kind != "cmi5":
        return
    for index, statement in enumerate(statements):
        _check(session, launch, statement, f"[{index}]." if len(statements) > 1 else "")
    session.flush()
