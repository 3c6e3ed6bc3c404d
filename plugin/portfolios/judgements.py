"""Assessors' judgements per unit: validated, stored append-only (plugin.models.judgements), recorded as an
xAPI statement in our LRS with the assessor as actor, and sent to Moodle's gradebook through AGS.

The statement, for an LRS consumer (see the issue-6 notes): actor = the assessor (their Moodle account);
verb = Samattha's ``judged``; object = the unit of competency as an activity; result.success = competent,
result.completion = a final outcome (not "more evidence needed"), result.response = the outcome code, the
comments and per-criterion rules of evidence in result.extensions; context.extensions name the learner
(their actor) and the snapshot judged (course, number, content hash). The learner is not put in
``context.instructor`` or ``team``: they are the subject of the judgement, not a participant in it."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

import xapi
from plugin.clock import utcnow
from plugin.launch import calls
from plugin.launch.service import GradePush, push_unit_grades
from plugin.models import Course, User
from plugin.models.caseload import ReassessmentRequest
from plugin.models.judgements import Judgement
from plugin.models.portfolios import PortfolioSnapshot
from plugin.portfolios import repository
from plugin.portfolios.model import unit_evidence_key

__all__ = [
    "OUTCOMES", "RULES", "RULE_STATES", "JudgementError", "grade_for", "judgement_json", "judgements_for",
    "queue_grade", "record_judgement", "rule_state", "signed_off", "trail_json", "unit_activity",
]

OUTCOMES = ("competent", "not_yet_competent", "more_evidence")
RULES = ("valid", "sufficient", "authentic", "current")
# Each rule of evidence, per criterion. Judgements recorded before this were booleans from tick boxes, where an
# unticked box meant only that the assessor did not record the rule: read as "not_assessed", never "not_met".
RULE_STATES = ("met", "not_met", "not_assessed")
VERB = {"id": "https://samattha.dev/xapi/verbs/judged", "display": {"en-US": "judged", "th": "ตัดสิน"}}
UNIT_TYPE = "https://samattha.dev/xapi/activity-types/competency-unit"
EXT = "https://samattha.dev/xapi/extensions/"
MAX_COMMENTS = 10_000


class JudgementError(ValueError):
    """Bad input from the assessor's form: ``field`` names what to fix; ``key``, when given, is the message that
    says so in the page's language."""

    def __init__(self, field: str, message: str, key: str | None = None) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.key = key


def unit_activity(code: str) -> str:
    return f"https://samattha.dev/xapi/activities/units/{code}"


def _unit(document: Mapping[str, Any], code: str) -> Mapping[str, Any]:
    unit: Mapping[str, Any] | None = next((u for u in document["units"] if u["code"] == code), None)
    if unit is None:
        raise JudgementError("unit", f"{code!r} is not a unit of this portfolio")
    return unit


def rule_state(value: Any) -> str:
    """One rule's stored value as one of RULE_STATES, for judgements of either form."""
    if value is True or value == "met":
        return "met"
    return "not_met" if value == "not_met" else "not_assessed"


def _criteria(unit: Mapping[str, Any], rules: Mapping[str, Mapping[str, str]]) -> dict[str, dict[str, str]]:
    codes = [c["code"] for e in unit["elements"] for c in e["criteria"]]
    unknown = sorted(set(rules) - set(codes))
    if unknown:
        raise JudgementError("criteria", f"not criteria of unit {unit['code']}: {', '.join(unknown)}")
    odd = sorted({rule for given in rules.values() for rule in given} - set(RULES))
    if odd:
        raise JudgementError("criteria", f"unknown rules of evidence {', '.join(odd)}; "
                                         f"the rules are {', '.join(RULES)}")
    states = sorted({state for given in rules.values() for state in given.values()} - set(RULE_STATES))
    if states:
        raise JudgementError("criteria", f"{', '.join(states)} is not one of {', '.join(RULE_STATES)}")
    return {code: {rule: rules.get(code, {}).get(rule, "not_assessed") for rule in RULES} for code in codes}


def _statement(judgement: Judgement, course: Course, learner: User, assessor: User, title: str) -> dict[str, Any]:
    return {
        "id": judgement.statement_id,
        "actor": assessor.xapi_actor,
        "verb": VERB,
        "object": {"objectType": "Activity", "id": unit_activity(judgement.unit_code),
                   "definition": {"type": UNIT_TYPE, "name": {"th": title or judgement.unit_code}}},
        "result": {"success": judgement.outcome == "competent", "completion": judgement.outcome != "more_evidence",
                   "response": judgement.outcome,
                   "extensions": {EXT + "comments": judgement.comments, EXT + "criteria": judgement.criteria}},
        "context": {"platform": "Samattha", "extensions": {
            EXT + "learner": learner.xapi_actor,
            EXT + "snapshot": {"course": f"{course.issuer}|{course.context_id}", "number": judgement.snapshot_number,
                               "content_hash": judgement.content_hash}}},
        "timestamp": judgement.recorded_at.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
    }


def record_judgement(
    session: Session, course: Course, snapshot: PortfolioSnapshot, *, assessor: User, unit_code: str, outcome: str,
    comments: str, criteria: Mapping[str, Mapping[str, str]], base_url: str, now: datetime,
) -> Judgement:
    """Store a judgement of ``unit_code`` made on ``snapshot`` and its xAPI statement; the caller commits."""
    if outcome not in OUTCOMES:
        raise JudgementError("outcome", f"must be one of {', '.join(OUTCOMES)}")
    if len(comments) > MAX_COMMENTS:
        raise JudgementError("comments", f"at most {MAX_COMMENTS} characters")
    # The learner is told what to add: "more evidence needed" without saying what is no answer they can act on.
    if outcome == "more_evidence" and not comments.strip():
        raise JudgementError("comments", "name what is missing when more evidence is needed", key="pf.bad.missing")
    unit = _unit(snapshot.document, unit_code)
    learner = session.get(User, snapshot.learner_id)
    if learner is None or snapshot.course_id != course.id:
        raise JudgementError("learner", "the snapshot is not this course's")
    judgement = Judgement(
        course_id=course.id, learner_id=learner.id, assessor_id=assessor.id, unit_code=unit_code,
        snapshot_number=snapshot.number, content_hash=snapshot.content_hash, outcome=outcome,
        comments=comments.strip(), criteria=_criteria(unit, criteria), statement_id=str(uuid.uuid4()),
        recorded_at=now)
    authority = {"objectType": "Agent", "name": "Samattha", "account": {"homePage": base_url, "name": "samattha"}}
    # Stored at a moment read once this transaction holds the LRS's writer turn: a poller following
    # Consistent-Through (another LRS reading ours) then misses no judgement.
    xapi.record_statements(session, [_statement(judgement, course, learner, assessor, unit["title"])],
                           authority=authority, clock=lambda: max(utcnow(), now))
    session.add(judgement)
    session.flush()
    # Any judgement of the learner answers their open requests to be assessed again.
    session.execute(update(ReassessmentRequest)
                    .where(ReassessmentRequest.course_id == course.id, ReassessmentRequest.learner_id == learner.id,
                           ReassessmentRequest.answered_at.is_(None))
                    .values(answered_at=now, answered_by_judgement_id=judgement.id))
    return judgement


def grade_for(judgement: Judgement, document: Mapping[str, Any]) -> float:
    """The unit's grade after a judgement: 1.0 when competent, else the evidenced fraction (the usual grade)."""
    if judgement.outcome == "competent":
        return 1.0
    return float(_unit(document, judgement.unit_code)["summary"]["fraction_evidenced"])


def push_grade(session: Session, course: Course, judgement: Judgement, document: Mapping[str, Any], *,
               now: datetime, client: Any = None) -> GradePush:
    return push_unit_grades(session, course, {judgement.learner_id: {judgement.unit_code: grade_for(judgement,
                                                                                                    document)}},
                            now, client=client)


def queue_grade(session: Session, course: Course, judgement: Judgement, document: Mapping[str, Any], *,
                now: datetime) -> int:
    """Record the call that sends the judgement's grade to the gradebook (plugin.launch.calls makes it, outside
    the assessor's request); its id."""
    return calls.queue_grade(session, course, learner_id=judgement.learner_id, unit_code=judgement.unit_code,
                             grade=grade_for(judgement, document), judgement_id=judgement.id,
                             by=judgement.assessor_id, now=now).id


def judgements_for(session: Session, course: Course, learner_id: int | None = None) -> list[Judgement]:
    """Oldest first: the audit trail as it was written."""
    query = select(Judgement).where(Judgement.course_id == course.id)
    if learner_id is not None:
        query = query.where(Judgement.learner_id == learner_id)
    return list(session.scalars(query.order_by(Judgement.recorded_at, Judgement.id)))


def judgement_json(judgement: Judgement) -> dict[str, Any]:
    recorded = judgement.recorded_at
    recorded = recorded if recorded.tzinfo else recorded.replace(tzinfo=UTC)
    return {
        "id": judgement.id, "unit": judgement.unit_code, "outcome": judgement.outcome,
        "comments": judgement.comments,
        "criteria": {code: {rule: rule_state(rules.get(rule)) for rule in RULES}
                     for code, rules in judgement.criteria.items()},
        "assessor": {"id": str(judgement.assessor_id), "name": judgement.assessor.display_name},
        "recorded_at": recorded.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "snapshot": {"number": judgement.snapshot_number, "content_hash": judgement.content_hash},
        "statement": judgement.statement_id,
    }


def trail_json(session: Session, course: Course, judgements: Iterable[Judgement]) -> list[Mapping[str, Any]]:
    """:func:`judgement_json` of each, with ``evidence_key``: plugin.portfolios.model.unit_evidence_key of the
    unit in the snapshot it was made on, so a page can say whether what it judged has changed since."""
    documents: dict[tuple[int, int], Mapping[str, Any] | None] = {}
    out: list[Mapping[str, Any]] = []
    for judgement in judgements:
        key = (judgement.learner_id, judgement.snapshot_number)
        if key not in documents:
            found = repository.snapshot_by_number(session, course, *key)
            documents[key] = found.document if found is not None else None
        document = documents[key]
        out.append({**judgement_json(judgement),
                    "evidence_key": unit_evidence_key(document, judgement.unit_code) if document else None})
    return out


@dataclass(frozen=True)
class _Latest:
    outcome: str
    criteria: frozenset[str]


def signed_off(session: Session, course: Course) -> dict[str, set[str]]:
    """str(learner User.id) → criterion codes of the units whose latest judgement is "competent"."""
    latest: dict[tuple[int, str], _Latest] = {}
    for judgement in judgements_for(session, course):
        latest[(judgement.learner_id, judgement.unit_code)] = _Latest(judgement.outcome,
                                                                      frozenset(judgement.criteria))
    result: dict[str, set[str]] = {}
    for (learner_id, _), state in latest.items():
        if state.outcome == "competent":
            result.setdefault(str(learner_id), set()).update(state.criteria)
    return result
