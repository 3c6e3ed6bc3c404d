"""The cmi5 rules (cmi5 §9) for what an AU sends through its launch credential, and the statements and
context the LMS itself provides. Installed as the LRS's statement guard: a request breaking a rule is
refused whole with 403, as cmi5 §9 asks (CATAPULT counts any other status as a failure), and the message names
the rule; plugin.content.cmi5_rules holds the rules on one statement's shape, plugin.content.cmi5_requests those
on the other requests of a launch credential. A statement that meets moveOn criteria brings the LMS's ``satisfied``
statements (plugin.content.cmi5_satisfied), stored in the same transaction."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

import xapi
from plugin.content.cmi5_rules import CATEGORY, EXT, MOVEON, VERB, categories, check_any, check_defined, refuse
from plugin.content.cmi5_satisfied import newly_satisfied
from plugin.launch.repository import aware
from plugin.models.content import ContentLaunch, ContentPackage

__all__ = ["CATEGORY", "MOVEON", "SESSION_ID", "WAIVE_REASONS", "abandoned_statement", "context_template", "guard",
           "launched_statement", "record_in_order", "registration_launches", "satisfied_statements",
           "waived_statement"]

CMI5_VERB = "https://w3id.org/xapi/adl/verbs/"
SESSION_ID = EXT + "sessionid"
# §9.3: the verbs only the LMS may send (launched, satisfied; abandoned and waived are LMS verdicts too).
LMS_ONLY = {VERB + "launched", CMI5_VERB + "satisfied", CMI5_VERB + "abandoned", CMI5_VERB + "waived"}
DEFINED = {VERB + v for v in ("initialized", "completed", "passed", "failed", "terminated")}
ACTIVITY_TYPE = "https://w3id.org/xapi/cmi5/activitytype/"


def context_template(launch: ContentLaunch, item: dict[str, Any]) -> dict[str, Any]:
    """§10.2.1: what every statement of this session must carry: the session id, and (§9.6.2.3) the AU's id
    from cmi5.xml, unaltered, as grouping, so reports can find the AU by the publisher's id."""
    return {"contextActivities": {"grouping": [{"objectType": "Activity", "id": str(item["iri"])}]},
            "extensions": {SESSION_ID: launch.session_id}}


def _lms_statement(verb: str, actor: dict[str, Any], target: dict[str, Any], *, registration: str,
                   extensions: dict[str, Any], grouping: str, now: datetime) -> dict[str, Any]:
    """A cmi5 defined statement the LMS makes (§9.6): the cmi5 category, the session id among ``extensions``,
    the publisher's id of ``target`` as grouping (§9.6.2.3)."""
    return {
        "actor": actor, "timestamp": now.isoformat(),
        "verb": {"id": verb, "display": {"en-US": verb.rsplit("/", 1)[1]}},
        "object": {"objectType": "Activity", **target},
        "context": {"registration": registration, "extensions": extensions,
                    "contextActivities": {"grouping": [{"objectType": "Activity", "id": grouping}],
                                          "category": [{"id": CATEGORY}]}},
    }


def launched_statement(launch: ContentLaunch, item: dict[str, Any], actor: dict[str, Any],
                       now: datetime, *, url: str) -> dict[str, Any]:
    """§9.3.1: the LMS's ``launched``, with the launch mode, the AU's fully qualified URL (§9.6.3.4), moveOn and
    masteryScore as context extensions."""
    extensions = {**context_template(launch, item)["extensions"], EXT + "launchmode": launch.launch_mode,
                  EXT + "moveon": launch.move_on or "NotApplicable", EXT + "launchurl": url}
    if launch.mastery_score is not None:  # §9.6.3.2
        extensions[EXT + "masteryscore"] = float(launch.mastery_score)
    if item.get("launch_parameters"):
        extensions[EXT + "launchparameters"] = item["launch_parameters"]
    return _lms_statement(VERB + "launched", actor, {"id": launch.activity_iri}, registration=launch.registration,
                          extensions=extensions, grouping=str(item["iri"]), now=now)


def _duration(delta: timedelta) -> str:
    """ISO 8601, to the hundredth of a second (xAPI 1.0.3 §4.6)."""
    hundredths = max(round(delta.total_seconds() * 100), 0)
    hours, hundredths = divmod(hundredths, 360_000)
    minutes, hundredths = divmod(hundredths, 6_000)
    return f"PT{hours}H{minutes}M{hundredths // 100}.{hundredths % 100:02d}S"


def abandoned_statement(launch: ContentLaunch, item: dict[str, Any], actor: dict[str, Any],
                        now: datetime) -> dict[str, Any]:
    """§9.3.6: the LMS's ``abandoned`` for a session that never terminated; §9.5.4.2: its duration runs from
    ``launched`` to the AU's last statement (none: zero)."""
    last = aware(launch.last_statement_at or launch.created_at)
    statement = _lms_statement(CMI5_VERB + "abandoned", actor, {"id": launch.activity_iri},
                               registration=launch.registration,
                               extensions=context_template(launch, item)["extensions"], grouping=str(item["iri"]),
                               now=now)
    statement["result"] = {"duration": _duration(last - aware(launch.created_at))}
    return statement


WAIVE_REASONS = ("Tested Out", "Equivalent AU", "Equivalent Outside Activity", "Administrative")  # §9.5.5.1


def waived_statement(launch: ContentLaunch, item: dict[str, Any], actor: dict[str, Any], reason: str, note: str,
                     now: datetime) -> dict[str, Any]:
    """§9.3.7: the LMS's ``waived``: the AU's moveOn criteria are met by other means, for ``reason`` (one of
    §9.5.5.1's); the assessor's or coordinator's own words go in ``result.response``."""
    statement = _lms_statement(CMI5_VERB + "waived", actor, {"id": launch.activity_iri},
                               registration=launch.registration,
                               extensions=context_template(launch, item)["extensions"], grouping=str(item["iri"]),
                               now=now)
    statement["context"]["contextActivities"]["category"].append({"id": MOVEON})
    statement["result"] = {"success": True, "completion": True,
                           "extensions": {"https://w3id.org/xapi/cmi5/result/extensions/reason": reason}}
    if note:
        statement["result"]["response"] = note
    return statement


def satisfied_statements(session: Session, package: ContentPackage, launches: list[ContentLaunch],
                         trigger: ContentLaunch, now: datetime) -> list[dict[str, Any]]:
    """§9.3.9: ``satisfied`` for each block (then the course) that the registration's ``launches`` now satisfy,
    in the session of ``trigger``, the launch whose start or statement met the criteria. §9.4: the object is
    the LMS's id of the block or course; §9.6.2.3: the publisher's id is its grouping."""
    return [
        _lms_statement(CMI5_VERB + "satisfied", dict(trigger.user.xapi_actor),
                       {"id": node["activity_id"], "definition": {"type": ACTIVITY_TYPE + kind}},
                       registration=trigger.registration, extensions={SESSION_ID: trigger.session_id},
                       grouping=node["iri"], now=now)
        for kind, node in newly_satisfied(session, package, launches, trigger.registration, now)]


def record_in_order(session: Session, statements: list[dict[str, Any]], *, authority: dict[str, Any],
                    after: datetime) -> datetime:
    """Store ``statements`` one microsecond apart after ``after``, so every reader ordering by ``stored``,
    ascending or descending, meets them in this order (block before course, a cause before its satisfied);
    the same moment would leave their order to their ids. Returns the last moment used. The caller holds the
    LRS's writer turn (xapi.consistency)."""
    for step, statement in enumerate(statements, start=1):
        xapi.record_statements(session, [statement], authority=authority, now=after + timedelta(microseconds=step))
    return after + timedelta(microseconds=len(statements))


def registration_launches(session: Session, registration: str) -> list[ContentLaunch]:
    """Every session of a registration, locked until commit and read afresh (not from the Session's memory): the
    rules and moveOn read them all, and two AUs of one learner reporting at once must neither both miss nor both
    send a satisfied (PostgreSQL; on SQLite the LRS's writer lock already serializes)."""
    query = (select(ContentLaunch).where(ContentLaunch.registration == registration).order_by(ContentLaunch.id)
             .with_for_update().execution_options(populate_existing=True))
    return list(session.scalars(query))


def _earlier(launches: list[ContentLaunch], launch: ContentLaunch) -> list[ContentLaunch]:
    """The other sessions of the same AU in the registration (§9.3: completed and passed once per AU)."""
    return [other for other in launches if other is not launch and other.activity_iri == launch.activity_iri]


def _check(launches: list[ContentLaunch], launch: ContentLaunch, statement: dict[str, Any], where: str) -> None:
    verb = str((statement.get("verb") or {}).get("id"))
    context = statement.get("context") or {}
    if verb in LMS_ONLY:
        raise refuse(f"{where}verb", f"cmi5 §9.3: {verb} is sent by the LMS only, never by the AU")
    if launch.abandoned_at is not None:
        raise refuse(f"{where}verb", "cmi5 §9.3.6: the session was abandoned (the AU was launched again "
                     "before it terminated); no statements may follow")
    if launch.terminated:
        raise refuse(f"{where}verb", "cmi5 §9.3.8: no statements may follow terminated in a session")
    if not launch.initialized and verb != VERB + "initialized":
        raise refuse(f"{where}verb", "cmi5 §9.3.2: the first statement after launched must be initialized")
    if (context.get("extensions") or {}).get(SESSION_ID) != launch.session_id:
        raise refuse(f"{where}context.extensions", "cmi5 §9.6.3.1: the session id of the launch "
                     "(LMS.LaunchData contextTemplate) is required")
    check_any(statement, verb, where)
    if verb not in DEFINED:
        return  # a cmi5 "allowed" statement: inside the session, nothing more to check
    if (statement.get("object") or {}).get("id") != launch.activity_iri:
        raise refuse(f"{where}object.id", "cmi5 §9.4: a cmi5 defined statement's object is the AU (activityId)")
    if CATEGORY not in categories(statement):
        raise refuse(f"{where}context.contextActivities.category",
                     f"cmi5 §9.6.2.1: a cmi5 defined statement carries the category {CATEGORY}")
    name = verb.removeprefix(VERB)
    check_defined(statement, name, launch.mastery_score, where)
    if name == "initialized":
        _initialize(launch, where)
    elif name == "terminated":
        launch.terminated = True
    else:
        _judgement(launches, launch, statement, name, where)


def _initialize(launch: ContentLaunch, where: str) -> None:
    if launch.initialized:
        raise refuse(f"{where}verb", "cmi5 §9.3.2: initialized is sent once per session")
    unread = [name for name, read in (("LMS.LaunchData (State API)", launch.launch_data_read),
                                      ("cmi5LearnerPreferences (Agent Profile API)", launch.preferences_read))
              if not read]
    if unread:
        raise refuse(f"{where}verb", f"cmi5 §10, §11: the AU reads {' and '.join(unread)} before it sends "
                     "initialized")
    launch.initialized = True


def _judgement(launches: list[ContentLaunch], launch: ContentLaunch, statement: dict[str, Any], name: str,
               where: str) -> None:
    """completed / passed / failed (§9.3.3-§9.3.5), their result already checked (plugin.content.cmi5_rules)."""
    if launch.launch_mode != "Normal":
        raise refuse(f"{where}verb", f"cmi5 §10.2.2: {name} is only allowed in Normal launch mode")
    if MOVEON not in categories(statement):
        raise refuse(f"{where}context.contextActivities.category",
                     f"cmi5 §9.6.2.2: {name} carries the category {MOVEON}")
    if name == "completed":
        if launch.completed or any(other.completed for other in _earlier(launches, launch)):
            raise refuse(f"{where}verb", "cmi5 §9.3.3: completed is sent at most once per registration")
        launch.completed = True
        return
    if launch.passed or any(other.passed for other in _earlier(launches, launch)):
        raise refuse(f"{where}verb", f"cmi5 §9.3.4: no {name} after passed in the same registration")
    if launch.failed:  # a later session may pass what this one failed
        raise refuse(f"{where}verb", f"cmi5 §9.3.5: no {name} after failed in the same session")
    if name == "passed":
        launch.passed = True
    else:
        launch.failed = True


def guard(session: Session, credential: dict[str, Any], statements: list[dict[str, Any]], *,
          authority: dict[str, Any]) -> None:
    """The LRS calls this before storing a batch; only launch credentials of cmi5 packages are checked.
    ``authority`` is the LMS's own, for the satisfied statements a batch brings."""
    key, registration = credential.get("key"), credential.get("registration")
    # Launch credentials are bound to a registration; the others (Moodle's log store…) need no lookup.
    if not key or registration is None:
        return
    launches = registration_launches(session, str(registration))
    launch = next((row for row in launches if row.credential_key == key), None)
    if launch is None or launch.package.kind != "cmi5" or not statements:
        return
    progress = (launch.completed, launch.passed)
    for index, statement in enumerate(statements):
        _check(launches, launch, statement, f"[{index}]." if len(statements) > 1 else "")
    # The batch's stored moment: the session's last so far, and that of what the LMS sends because of it.
    now = datetime.fromisoformat(str(statements[0]["stored"]))
    launch.last_statement_at = now
    if (launch.completed, launch.passed) != progress:
        # Right after the batch that satisfied: this request holds the LRS's writer turn, so no other write
        # takes those microseconds first.
        record_in_order(session, satisfied_statements(session, launch.package, launches, launch, now),
                        authority=authority, after=now)
    session.flush()
