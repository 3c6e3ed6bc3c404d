"""What a caseload reads of portfolio snapshots instead of their documents (issue 19): per snapshot its progress
and newest evidence, per unit its evidence key (plugin.portfolios.model.unit_evidence_key). Written beside each
snapshot by plugin.portfolios.repository.insert_snapshots, and for snapshots stored before summaries existed the
first time a caseload reads them. Nothing here commits; the caller owns the transaction."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple

from sqlalchemy import and_, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from plugin.models import Course
from plugin.models.caseload import SnapshotSummary, UnitSummary
from plugin.models.judgements import Judgement
from plugin.models.portfolios import PortfolioSnapshot
from plugin.portfolios.model import unit_evidence_key

__all__ = ["DocumentSummary", "Judged", "Latest", "latest_judgements", "latest_summaries", "summarise",
           "summarise_missing", "summary_rows"]


class DocumentSummary(NamedTuple):
    """What a caseload reads of one snapshot's document: progress, the newest evidence, and each unit's (code,
    evidenced, total, evidence key) in the document's order (the staleness rule of exports.view.portfolio_context)."""

    evidenced: int
    total: int
    newest_evidence: str | None
    units: tuple[tuple[str, int, int, str], ...]


def summarise(document: Mapping[str, Any]) -> DocumentSummary:
    """:class:`DocumentSummary` of a portfolio document (plugin.portfolios.model.portfolio_to_json). A compile
    worker takes it of the document it has just built, so the run never decodes the text it stores."""
    units = document["units"]
    return DocumentSummary(
        sum(u["summary"]["evidenced"] for u in units), sum(u["summary"]["total"] for u in units),
        max((str(e["timestamp"]) for e in document["evidence"]), default=None),
        tuple((u["code"], u["summary"]["evidenced"], u["summary"]["total"], unit_evidence_key(document, u["code"]))
              for u in units))


def summary_rows(snapshots: Iterable[tuple[int, int, int, DocumentSummary]]) -> tuple[list[dict[str, Any]],
                                                                                    list[dict[str, Any]]]:
    """The summary rows of each (course, learner, number, summary)."""
    summaries: list[dict[str, Any]] = []
    units: list[dict[str, Any]] = []
    for course_id, learner_id, number, summary in snapshots:
        at = {"course_id": course_id, "learner_id": learner_id, "number": number}
        summaries.append(at | {"evidenced": summary.evidenced, "total": summary.total,
                               "newest_evidence": summary.newest_evidence})
        units += [at | {"unit_code": code, "position": n, "evidenced": evidenced, "total": total,
                        "evidence_key": key} for n, (code, evidenced, total, key) in enumerate(summary.units)]
    return summaries, units


class Latest(NamedTuple):
    """A learner's newest snapshot, as a caseload reads it."""

    number: int
    content_hash: str
    evidenced: int
    total: int
    newest_evidence: str | None
    units: dict[str, str]  # unit code -> evidence key, in the document's order


# The latest judgement of one unit of one learner: (outcome, content hash of the judged snapshot, evidence key of
# the unit it judged, None when that snapshot has no summary because it is gone). Plain tuples: a course of
# thousands of learners has tens of thousands.
Judged = tuple[str, str, str | None]


def _newest_numbers(course_id: int) -> Any:
    return (select(PortfolioSnapshot.learner_id, func.max(PortfolioSnapshot.number).label("number"))
            .where(PortfolioSnapshot.course_id == course_id).group_by(PortfolioSnapshot.learner_id).subquery())


def summarise_missing(session: Session, course_id: int) -> None:
    """Summaries of the newest and the judged snapshots stored before summaries were written with them (the
    migration that adds summaries writes them; this catches any it could not). Two pages may do it at once: the
    second's rows are dropped, not an error. Reads only columns that migration 0017 knows."""
    unsummarised = (select(PortfolioSnapshot.learner_id, PortfolioSnapshot.number)
                    .outerjoin(SnapshotSummary, and_(SnapshotSummary.course_id == PortfolioSnapshot.course_id,
                                                     SnapshotSummary.learner_id == PortfolioSnapshot.learner_id,
                                                     SnapshotSummary.number == PortfolioSnapshot.number))
                    .where(PortfolioSnapshot.course_id == course_id, SnapshotSummary.number.is_(None)))
    missing = {(learner, number) for learner, number in session.execute(unsummarised)}
    if not missing:
        return
    newest = {(learner, number) for learner, number in session.execute(select(_newest_numbers(course_id)))}
    judged = {(learner, number) for learner, number in session.execute(
        select(Judgement.learner_id, Judgement.snapshot_number).where(Judgement.course_id == course_id))}
    wanted = sorted(missing & (newest | judged))
    dialect = session.get_bind().dialect.name
    insert_new = postgresql.insert if dialect == "postgresql" else sqlite.insert
    for start in range(0, len(wanted), 200):
        chunk = wanted[start:start + 200]
        query = select(PortfolioSnapshot.learner_id, PortfolioSnapshot.number, PortfolioSnapshot.document).where(
            PortfolioSnapshot.course_id == course_id,
            or_(*(and_(PortfolioSnapshot.learner_id == learner, PortfolioSnapshot.number == number)
                  for learner, number in chunk)))
        summaries, units = summary_rows((course_id, learner, number, summarise(document))
                                      for learner, number, document in session.execute(query))
        session.execute(insert_new(SnapshotSummary).on_conflict_do_nothing(), summaries)
        if units:
            session.execute(insert_new(UnitSummary).on_conflict_do_nothing(), units)


def latest_summaries(session: Session, course: Course) -> dict[int, Latest]:
    """learner id → their newest snapshot's summary, for every learner compiled in the course."""
    summarise_missing(session, course.id)
    newest = _newest_numbers(course.id)
    at_newest = and_(newest.c.learner_id == PortfolioSnapshot.learner_id, newest.c.number == PortfolioSnapshot.number)
    query = (select(PortfolioSnapshot.learner_id, PortfolioSnapshot.number, PortfolioSnapshot.content_hash,
                    SnapshotSummary.evidenced, SnapshotSummary.total, SnapshotSummary.newest_evidence)
             .join(newest, at_newest)
             .join(SnapshotSummary, and_(SnapshotSummary.course_id == PortfolioSnapshot.course_id,
                                         SnapshotSummary.learner_id == PortfolioSnapshot.learner_id,
                                         SnapshotSummary.number == PortfolioSnapshot.number))
             .where(PortfolioSnapshot.course_id == course.id))
    found = {learner: Latest(number, digest, evidenced, total, newest_evidence, {})
             for learner, number, digest, evidenced, total, newest_evidence in session.execute(query)}
    units = (select(UnitSummary.learner_id, UnitSummary.unit_code, UnitSummary.evidence_key)
             .join(newest, and_(newest.c.learner_id == UnitSummary.learner_id, newest.c.number == UnitSummary.number))
             .where(UnitSummary.course_id == course.id).order_by(UnitSummary.learner_id, UnitSummary.position))
    for learner, unit, key in session.execute(units):
        if learner in found:
            found[learner].units[unit] = key
    return found


def latest_judgements(session: Session, course: Course) -> dict[tuple[int, str], Judged]:
    """(learner id, unit code) → its latest judgement, for the course. Latest by id: judgements are only
    appended, so the newest row is the newest judgement (call after :func:`latest_summaries`, which writes the
    summaries of judged snapshots that lack one)."""
    newest = (select(func.max(Judgement.id)).where(Judgement.course_id == course.id)
              .group_by(Judgement.learner_id, Judgement.unit_code))
    query = (select(Judgement.learner_id, Judgement.unit_code, Judgement.outcome, Judgement.content_hash,
                    UnitSummary.evidence_key)
             .outerjoin(UnitSummary, and_(UnitSummary.course_id == Judgement.course_id,
                                          UnitSummary.learner_id == Judgement.learner_id,
                                          UnitSummary.number == Judgement.snapshot_number,
                                          UnitSummary.unit_code == Judgement.unit_code))
             .where(Judgement.id.in_(newest)))
    return {(learner, unit): (outcome, digest, key) for learner, unit, outcome, digest, key in session.execute(query)}
