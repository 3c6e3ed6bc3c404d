"""Persistence of compiled portfolios: immutable numbered snapshots, per-learner compile state, run records.

Readers (pages, exports, judgements) use ``latest_snapshot``, ``snapshots_for_course``, ``snapshot_by_number``
and ``snapshot_history``; a snapshot's ``document`` is ``plugin.portfolios.portfolio_to_json`` of the compiled
portfolio (SCHEMA.md), next to its ``number``, ``content_hash``, ``mapping_version``, ``as_of`` and
``created_at``. Nothing here commits; the caller owns the transaction."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import Text, bindparam, cast, func, insert, select, update
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session

from plugin.models import Course, User
from plugin.models.caseload import SnapshotSummary, UnitSummary
from plugin.models.portfolios import CompileRun, CompileState, PortfolioSnapshot
from plugin.portfolios.parallel import Compiled
from plugin.portfolios.summaries import summarise, summary_rows

__all__ = [
    "State",
    "compile_states",
    "insert_snapshots",
    "last_run",
    "latest_hashes",
    "latest_snapshot",
    "compile_failures",
    "mark_checked",
    "save_failures",
    "save_states",
    "snapshot_by_number",
    "snapshot_history",
    "snapshot_row",
    "snapshots_for_course",
]


def latest_snapshot(session: Session, course: Course, learner_user_id: int) -> PortfolioSnapshot | None:
    """The learner's newest snapshot in the course (``None`` before the first compilation)."""
    query = (select(PortfolioSnapshot)
             .where(PortfolioSnapshot.course_id == course.id, PortfolioSnapshot.learner_id == learner_user_id)
             .order_by(PortfolioSnapshot.number.desc()).limit(1))
    return session.scalars(query).first()


def snapshot_by_number(session: Session, course: Course, learner_user_id: int, number: int) -> PortfolioSnapshot | None:
    """Snapshot ``number`` of the learner in the course: what a judgement made on it saw."""
    query = select(PortfolioSnapshot).where(
        PortfolioSnapshot.course_id == course.id, PortfolioSnapshot.learner_id == learner_user_id,
        PortfolioSnapshot.number == number)
    return session.scalars(query).first()


def snapshot_history(session: Session, course: Course, learner_user_id: int) -> list[PortfolioSnapshot]:
    """Every snapshot of the learner in the course, newest first."""
    query = (select(PortfolioSnapshot)
             .where(PortfolioSnapshot.course_id == course.id, PortfolioSnapshot.learner_id == learner_user_id)
             .order_by(PortfolioSnapshot.number.desc()))
    return list(session.scalars(query))


def snapshots_for_course(session: Session, course: Course) -> list[PortfolioSnapshot]:
    """The newest snapshot of every learner compiled in the course, by learner id."""
    newest = (select(PortfolioSnapshot.learner_id, func.max(PortfolioSnapshot.number).label("number"))
              .where(PortfolioSnapshot.course_id == course.id).group_by(PortfolioSnapshot.learner_id).subquery())
    query = (select(PortfolioSnapshot)
             .join(newest, (PortfolioSnapshot.learner_id == newest.c.learner_id)
                   & (PortfolioSnapshot.number == newest.c.number))
             .where(PortfolioSnapshot.course_id == course.id).order_by(PortfolioSnapshot.learner_id))
    return list(session.scalars(query))


def latest_hashes(session: Session, course: Course, learner_ids: Iterable[int]) -> dict[int, tuple[int, str]]:
    """learner id → (number, content hash) of the newest snapshot, for the given learners."""
    ids = list(learner_ids)
    found: dict[int, tuple[int, str]] = {}
    for start in range(0, len(ids), 500):  # bound the IN list: SQLite allows ~32k parameters, be modest
        chunk = ids[start:start + 500]
        query = (select(PortfolioSnapshot.learner_id, PortfolioSnapshot.number, PortfolioSnapshot.content_hash)
                 .where(PortfolioSnapshot.course_id == course.id, PortfolioSnapshot.learner_id.in_(chunk)))
        for learner_id, number, digest in session.execute(query):
            if learner_id not in found or number > found[learner_id][0]:
                found[learner_id] = (number, digest)
    return found


class State(NamedTuple):
    """What the last compilation of a learner covered (a CompileState row, read as plain data)."""

    mapping_version: int
    compiled_us: int


def snapshot_row(
    course: Course, compiled: Compiled, *, previous: tuple[int, str] | None, now: datetime,
    run: CompileRun | None = None,
) -> dict[str, Any] | None:
    """The learner's next snapshot as a row for :func:`insert_snapshots`, unless its content hash equals the
    newest one's (``previous``: that snapshot's (number, hash), or ``None`` for the first). The document is
    the canonical text the hash was taken of: each portfolio is serialised once."""
    if previous is not None and previous[1] == compiled.content_hash:
        return None
    return {"course_id": course.id, "learner_id": compiled.learner_id,
            "number": 1 if previous is None else previous[0] + 1, "content_hash": compiled.content_hash,
            "mapping_version": compiled.mapping_version, "as_of": compiled.as_of, "created_at": now,
            "run_id": None if run is None else run.id, "document": compiled.document, "summary": compiled.summary}


def insert_snapshots(session: Session, rows: list[dict[str, Any]]) -> None:
    """One executemany for a batch of :func:`snapshot_row` rows; ``document`` goes in as the text it is, with its
    summary beside it (``summary``, a DocumentSummary; taken of the document when a row has none)."""
    if not rows:
        return
    connection = session.connection()
    text = bindparam("document", type_=Text)
    document = cast(text, JSONB) if connection.dialect.name == "postgresql" else text
    stored = [{name: value for name, value in row.items() if name != "summary"} for row in rows]
    connection.execute(insert(PortfolioSnapshot).values(document=document), stored)
    summaries, units = summary_rows([(row["course_id"], row["learner_id"], row["number"],
                                      row.get("summary") or summarise(json.loads(row["document"]))) for row in rows])
    connection.execute(insert(SnapshotSummary), summaries)
    if units:
        connection.execute(insert(UnitSummary), units)


def compile_states(session: Session, course: Course) -> dict[int, State]:
    """learner id → compile state, for every learner compiled in the course."""
    query = select(CompileState.learner_id, CompileState.mapping_version, CompileState.compiled_us).where(
        CompileState.course_id == course.id)
    return {row[0]: State(*row[1:]) for row in session.connection().execute(query)}


def save_states(session: Session, states: dict[int, State], course: Course, compiled: Iterable[int], *,
                mapping_version: int, compiled_us: int, as_of: datetime, now: datetime) -> None:
    """Remember what the compilation of the ``compiled`` learners covered (new rows on a first compilation;
    ``states`` is updated to match)."""
    values = {"mapping_version": mapping_version, "compiled_us": compiled_us, "as_of": as_of, "error": None,
              "updated_at": now}
    new: list[dict[str, int]] = []
    known: list[dict[str, int]] = []
    for learner_id in compiled:
        (known if learner_id in states else new).append({"c": course.id, "l": learner_id})
        states[learner_id] = State(mapping_version, compiled_us)
    connection = session.connection()
    if new:
        connection.execute(insert(CompileState).values(course_id=bindparam("c"), learner_id=bindparam("l"), **values),
                           new)
    if known:
        connection.execute(update(CompileState).where(CompileState.course_id == bindparam("c"),
                                                      CompileState.learner_id == bindparam("l")).values(**values),
                           known)


def save_failures(session: Session, states: dict[int, State], course: Course, failed: Mapping[int, str], *,
                  mapping_version: int, as_of: datetime, now: datetime) -> None:
    """Record why each learner in ``failed`` (id → error) could not be compiled. A learner compiled before keeps
    their coverage mark, so the statements after it still make them due; a new one is marked as having read
    nothing, so everything they have makes them due. Either way the next run tries again."""
    for learner_id, error in failed.items():
        state = states.get(learner_id)
        if state is None:
            session.add(CompileState(course_id=course.id, learner_id=learner_id, mapping_version=mapping_version,
                                     compiled_us=0, as_of=as_of, error=error, updated_at=now))
            states[learner_id] = State(mapping_version, 0)
        else:
            session.execute(update(CompileState).where(CompileState.course_id == course.id,
                                                       CompileState.learner_id == learner_id)
                            .values(error=error, updated_at=now))
    session.flush()


def compile_failures(session: Session, course: Course) -> list[tuple[User, str]]:
    """The course's learners whose last compilation failed, with the error, by name."""
    query = (select(User, CompileState.error).join(CompileState, CompileState.learner_id == User.id)
             .where(CompileState.course_id == course.id, CompileState.error.is_not(None)))
    return sorted(((user, str(error)) for user, error in session.execute(query)),
                  key=lambda row: row[0].display_name)


def mark_checked(session: Session, course: Course, mapping_version: int, *, through_us: int) -> None:
    """After a run: learners not due were checked through ``through_us`` (not those whose compile failed)."""
    session.execute(update(CompileState)
                    .where(CompileState.course_id == course.id, CompileState.mapping_version == mapping_version,
                           CompileState.compiled_us < through_us, CompileState.error.is_(None))
                    .values(compiled_us=through_us))


def last_run(session: Session, *, finished: bool = False) -> CompileRun | None:
    """The newest compile run (only finished ones with ``finished=True``)."""
    query = select(CompileRun).order_by(CompileRun.id.desc()).limit(1)
    if finished:
        query = query.where(CompileRun.status == "finished")
    return session.scalars(query).first()
