"""What a learner sees of their assessment on their home page in the course (issue 19): per unit the latest
judgement, its comment, what is still needed and where in Moodle to work on it; their progress overall; and
whether they have asked to be assessed again."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from plugin.mapping.model import CourseMapping, expand_targets, linked_items, normalize_wwwroot
from plugin.mapping.store import current_mapping, standard_index
from plugin.models import Course, CourseActivity
from plugin.models.caseload import ReassessmentRequest
from plugin.portfolios import judgements as judging
from plugin.portfolios import repository
from plugin.portfolios.exports import portfolio_context

__all__ = ["Activity", "Outcome", "learner_outcome", "open_request"]


@dataclass(frozen=True)
class Activity:
    name: str
    url: str | None


@dataclass(frozen=True)
class Outcome:
    evidenced: int
    total: int
    units: list[dict[str, Any]]  # code, title, summary, judgement (judgement_json or None), changed, gaps
    request: ReassessmentRequest | None

    @property
    def percent(self) -> float:
        return round(100 * self.evidenced / self.total, 1) if self.total else 0.0


def open_request(session: Session, course: Course, learner_id: int) -> ReassessmentRequest | None:
    query = (select(ReassessmentRequest).where(ReassessmentRequest.course_id == course.id,
                                               ReassessmentRequest.learner_id == learner_id,
                                               ReassessmentRequest.answered_at.is_(None))
             .order_by(ReassessmentRequest.requested_at).limit(1))
    return session.scalars(query).first()


def _activities(session: Session, course: Course, mapping: CourseMapping | None) -> dict[str, list[Activity]]:
    """Criterion or evidence-item code → the mapped activities whose evidence would count for it."""
    if mapping is None:
        return {}
    standard = standard_index(session)
    known = {a.iri: a for a in session.scalars(select(CourseActivity).where(CourseActivity.course_id == course.id))}
    by_cmid = {a.cmid: a for a in known.values() if a.cmid is not None}
    found: dict[str, list[Activity]] = {}
    for entry in mapping.entries:
        row = known.get(entry.activity or "") or (by_cmid.get(entry.cmid) if entry.cmid is not None else None)
        url = row.iri if row is not None else entry.activity
        if url is None and entry.cmid is not None:  # a course module named only by its number
            url = f"{normalize_wwwroot(mapping.wwwroot)}/course/view.php?id={mapping.course_id}#module-{entry.cmid}"
        place = Activity(entry.title or (row.name if row else "") or entry.key,
                         url if url and url.startswith(("https://", "http://")) else None)
        try:
            codes = expand_targets(entry.targets, standard) | linked_items(entry, standard)
        except KeyError:  # a code the loaded standard no longer has: nothing to point at
            continue
        for code in codes:
            found.setdefault(code, []).append(place)
    return found


def _gaps(unit: Mapping[str, Any], places: Mapping[str, list[Activity]]) -> list[dict[str, Any]]:
    records = [c for e in unit["elements"] for c in e["criteria"]]
    records += list(unit["knowledge_evidence"]) + list(unit["performance_evidence"])
    return [{"code": r["code"], "text": r["text"], "status": r["status"], "activities": places.get(r["code"], [])}
            for r in records if r["status"] != "evidenced"]


def learner_outcome(session: Session, course: Course, learner_id: int) -> Outcome | None:
    """None before the learner's first compiled portfolio."""
    snapshot = repository.latest_snapshot(session, course, learner_id)
    if snapshot is None:
        return None
    trail = judging.trail_json(session, course, judging.judgements_for(session, course, learner_id))
    context = portfolio_context(snapshot.document, judgements=trail,
                                snapshot={"number": snapshot.number, "content_hash": snapshot.content_hash})
    places = _activities(session, course, current_mapping(session, course, standard_index(session)))
    units = [{"code": u["code"], "title": u["title"], "summary": u["summary"],
              "judgement": context["judgements"].get(u["code"]), "changed": context["stale"].get(u["code"], False),
              "gaps": _gaps(u, places)} for u in snapshot.document["units"]]
    return Outcome(sum(u["summary"]["evidenced"] for u in units), sum(u["summary"]["total"] for u in units), units,
                   open_request(session, course, learner_id))
