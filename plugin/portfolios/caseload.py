"""The assessor's caseload (issue 19): each learner of a course with the state of every unit's judgement, their
progress, the date of their newest evidence and whether they asked to be assessed again; filtered, sorted,
searched and paged as a query string says, so a URL reproduces the view and the portfolio pages know who comes
before and after. Set-based: a handful of queries per course whatever the number of learners."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from plugin.evidence import learner_actors
from plugin.models import Course, Enrolment, User
from plugin.models.caseload import ReassessmentRequest
from plugin.portfolios import summaries

__all__ = [
    "PER_PAGE", "SORTS", "STATUSES", "UNIT_STATES", "CaseloadError", "Query", "Row", "course_rows", "neighbours",
    "page_of", "parse_query", "select_rows", "unit_state",
]

# A unit's state for one learner: not judged, the latest judgement's outcome, or "changed" when the evidence
# that judgement saw has changed since (the rule of plugin.portfolios.exports.view.portfolio_context).
UNIT_STATES = ("none", "competent", "not_yet_competent", "more_evidence", "changed")
STATUSES = ("all", "awaiting", "requested", *UNIT_STATES)
SORTS = ("name", "-name", "progress", "-progress", "evidence", "-evidence")
PER_PAGE = 50
MAX_SEARCH = 200


class CaseloadError(ValueError):
    """A query-string value the caseload cannot use; ``field`` names it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


@dataclass(frozen=True)
class Query:
    status: str = "all"
    unit: str = ""
    q: str = ""
    sort: str = "name"
    page: int = 1

    def args(self, **changes: Any) -> dict[str, Any]:
        """The query string of this view (with ``changes``), defaults left out so URLs stay short."""
        chosen = replace(self, **changes)
        default = Query()
        return {name: value for name in ("status", "unit", "q", "sort", "page")
                if (value := getattr(chosen, name)) != getattr(default, name)}


def parse_query(args: Mapping[str, str]) -> Query:
    status, sort = args.get("status") or "all", args.get("sort") or "name"
    if status not in STATUSES:
        raise CaseloadError("status", ", ".join(STATUSES))
    if sort not in SORTS:
        raise CaseloadError("sort", ", ".join(SORTS))
    text = (args.get("q") or "").strip()
    if len(text) > MAX_SEARCH:
        raise CaseloadError("q", str(MAX_SEARCH))
    page = args.get("page") or "1"
    if not page.isdigit() or int(page) < 1:
        raise CaseloadError("page", "1")
    return Query(status, (args.get("unit") or "").strip(), text, sort, int(page))


@dataclass(frozen=True)
class Row:
    course: Course
    learner_id: int
    name: str
    compiled: bool
    evidenced: int = 0
    total: int = 0
    newest_evidence: str | None = None
    units: dict[str, str] = field(default_factory=dict)  # unit code -> one of UNIT_STATES
    requested_at: datetime | None = None

    @property
    def fraction(self) -> float:
        return self.evidenced / self.total if self.total else 0.0

    def matches(self, status: str, unit: str) -> bool:
        if status == "requested":  # a request is the learner's, not a unit's
            return self.requested_at is not None
        if unit and unit not in self.units:
            return False
        if status == "all":
            return True
        states = [self.units[unit]] if unit else list(self.units.values())
        if status == "awaiting":  # something to judge: a unit never judged, changed since, or asked again
            return any(s in ("none", "changed") for s in states) or (self.requested_at is not None and bool(states))
        return status in states


def unit_state(judged: summaries.Judged | None, latest: summaries.Latest, unit: str) -> str:
    if judged is None:
        return "none"
    outcome, content_hash, evidence_key = judged
    if evidence_key is None:  # the judged snapshot is gone: only its hash is left to compare
        return outcome if content_hash == latest.content_hash else "changed"
    return outcome if evidence_key == latest.units.get(unit) else "changed"


def course_rows(session: Session, course: Course) -> tuple[list[str], list[Row]]:
    """(the units met in the course's portfolios, in the mapping's order; one row per learner, by id). The
    learners are plugin.evidence.learner_actors, the one definition learners_of also reads, without building
    a user object per learner."""
    latest = summaries.latest_summaries(session, course)
    judged = summaries.latest_judgements(session, course)
    asked: dict[int, datetime] = {learner_id: when for learner_id, when in session.execute(
        select(ReassessmentRequest.learner_id, func.min(ReassessmentRequest.requested_at))
        .where(ReassessmentRequest.course_id == course.id, ReassessmentRequest.answered_at.is_(None))
        .group_by(ReassessmentRequest.learner_id))}
    ids = set(learner_actors(session, course))
    names = session.execute(select(User.id, User.name, User.given_name, User.family_name, User.subject)
                            .join(Enrolment, Enrolment.user_id == User.id)
                            .where(Enrolment.course_id == course.id).order_by(User.id))
    units: dict[str, None] = {}
    rows = []
    for learner_id, name, given, family, subject in names:
        if learner_id not in ids:
            continue
        shown = name or " ".join(p for p in (given, family) if p) or subject  # as User.display_name
        mine = latest.get(learner_id)
        if mine is None:
            rows.append(Row(course, learner_id, shown, False, requested_at=asked.get(learner_id)))
            continue
        units.update(dict.fromkeys(mine.units))
        states = {code: unit_state(judged.get((learner_id, code)), mine, code) for code in mine.units}
        rows.append(Row(course, learner_id, shown, True, mine.evidenced, mine.total, mine.newest_evidence, states,
                        asked.get(learner_id)))
    return list(units), rows


def _key(sort: str) -> Any:
    name = sort.lstrip("-")
    if name == "progress":
        return lambda r: r.fraction
    if name == "evidence":
        return lambda r: r.newest_evidence or ""
    return lambda r: r.name.casefold()


def select_rows(rows: Iterable[Row], query: Query, *, keep: tuple[int, int] | None = None) -> list[Row]:
    """The rows the query shows, in its order (all pages). ``keep`` (course id, learner id) stays in even when
    it no longer matches: the learner just judged keeps their place, so "next" still means the next one."""
    needle = query.q.casefold()
    chosen = [r for r in rows if (r.course.id, r.learner_id) == keep
              or (needle in r.name.casefold() and r.matches(query.status, query.unit))]
    # Equal keys stay in name order whichever way the key runs: sorting is stable, reversed or not.
    chosen.sort(key=lambda r: (r.name.casefold(), r.course.id, r.learner_id))
    return sorted(chosen, key=_key(query.sort), reverse=query.sort.startswith("-"))


def page_of(rows: Sequence[Row], page: int) -> tuple[list[Row], int, int]:
    """(the page's rows, the page shown, pages): a page past the last shows the last."""
    pages = max(1, -(-len(rows) // PER_PAGE))
    page = min(page, pages)
    return list(rows[(page - 1) * PER_PAGE:page * PER_PAGE]), page, pages


def neighbours(rows: Sequence[Row], course_id: int, learner_id: int) -> tuple[Row | None, Row | None, int]:
    """(previous, next, 1-based position) of the learner in the caseload's order; position 0 if absent."""
    at = next((i for i, r in enumerate(rows) if (r.course.id, r.learner_id) == (course_id, learner_id)), None)
    if at is None:
        return None, None, 0
    return rows[at - 1] if at else None, rows[at + 1] if at + 1 < len(rows) else None, at + 1
