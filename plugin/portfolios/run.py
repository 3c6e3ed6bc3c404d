"""Compilation runs: which learners are due, their statements, the pure compiler, snapshots stored.

``as_of`` of a run is its watermark: the newest ``stored`` in the LRS when the run started (the run's start
time only while the LRS is empty). Ages, currency and the hash depend on as_of, so tying it to the LRS
content rather than the clock makes compilation a function of the data: a run killed half-way and started
again, or the same compile on a copy of the database, gives the same hashes; running again with nothing new
stores nothing, even with ``full=True``. A learner is due when statements of theirs (or a voiding statement
aimed at one of theirs) were stored after their last compilation's watermark, or when the course's mapping
version changed. Learners are compiled and committed in batches: a run that dies keeps every earlier
snapshot, and the next run finds the rest still due.

The watermark is the newest ``stored`` at or below the LRS's Consistent-Through (xapi.consistency): every
statement stored at or below it is visible to the run, and any statement still being written will be stored
above it, so it makes its learner due next time. Nothing is guessed and nothing compiled twice."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

import xapi.models as lrs
from plugin.clock import utcnow
from plugin.evidence import learner_actors
from plugin.mapping import store
from plugin.mapping.model import CourseMapping, StandardIndex
from plugin.models import Course, MappingRevision, User
from plugin.models.portfolios import CompileRun, CompileState
from plugin.portfolios import parallel, repository
from plugin.portfolios.compiler import CourseName
from plugin.portfolios.repository import State
from plugin.portfolios.seen import enrol_seen_learners, ifis
from xapi.consistency import consistent_through

__all__ = [
    "BATCH", "CourseFigures", "batch_size", "compile_all", "compile_course", "learner_is_behind", "run_as_of",
    "watermark",
]

BATCH = 500  # learners per query and per commit (SAMATTHA_COMPILE_BATCH)
Progress = Callable[[Course, int, int], None]  # (course, learners done, learners due)


@dataclass
class CourseFigures:
    course: Course
    due: int = 0
    learners_compiled: int = 0  # due: new statements, a new mapping version, or a full run
    snapshots_created: int = 0
    statements_read: int = 0
    failed: dict[int, str] = field(default_factory=dict)  # learner id → why their compile failed
    error: str = ""  # why the whole course could not be compiled
    skipped: str = ""  # why nothing was compiled (no mapping)


def batch_size(env: Mapping[str, str] = os.environ) -> int:
    """Learners per query and per commit: SAMATTHA_COMPILE_BATCH, default :data:`BATCH`. Smaller batches
    commit more often (less work lost to a crash), larger ones make fewer round trips."""
    value = env.get("SAMATTHA_COMPILE_BATCH", "").strip()
    if not value:
        return BATCH
    if not value.isdigit() or int(value) < 1:
        raise ValueError(f"SAMATTHA_COMPILE_BATCH must be a whole number of learners ≥ 1, not {value!r}")
    return int(value)


def watermark(session: Session, clock: Callable[[], datetime] = utcnow) -> int | None:
    """The newest ``stored`` (epoch µs) at or below the LRS's Consistent-Through: the top of the stored index
    below it. Ends the session's transaction (see xapi.consistency)."""
    through = consistent_through(session, clock)
    return session.scalar(select(func.max(lrs.Statement.stored_us)).where(lrs.Statement.stored_us <= through))


def run_as_of(watermark_us: int | None, started: datetime) -> datetime:
    if watermark_us is None:
        return started
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=watermark_us)


def _micros(moment: datetime) -> int:
    delta = moment.astimezone(UTC) - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def _learners(session: Session, course: Course, only: User | None) -> dict[int, list[str]]:
    """Learner id → IFIs, for the course's learners (plugin.evidence.learner_actors), or only ``only``."""
    if only is not None:
        return {only.id: ifis(only.xapi_actor)}
    return {uid: ifis(actor) for uid, actor in learner_actors(session, course).items()}


def _activity_since(session: Session, since_us: int, until_us: int) -> dict[str, int]:
    """IFI → newest ``stored`` of a statement by it in (since, until]; a voiding statement counts for the
    actor of the statement it voids. An index range on the stored index."""
    newest: dict[str, int] = {}
    targets: dict[str, int] = {}
    query = (select(lrs.Statement.actor_ifi, lrs.Statement.stored_us, lrs.Statement.is_voiding,
                    lrs.Statement.target_id)
             .where(lrs.Statement.stored_us > since_us, lrs.Statement.stored_us <= until_us))
    for ifi, stored_us, voiding, target in session.execute(query):
        if ifi is not None:
            newest[ifi] = max(newest.get(ifi, 0), stored_us)
        if voiding and target:
            targets[target] = max(targets.get(target, 0), stored_us)
    ids = list(targets)
    for start in range(0, len(ids), BATCH):
        voided = select(lrs.Statement.statement_id, lrs.Statement.actor_ifi).where(
            lrs.Statement.statement_id.in_(ids[start:start + BATCH]))
        for statement_id, ifi in session.execute(voided):
            if ifi is not None:
                newest[ifi] = max(newest.get(ifi, 0), targets[statement_id])
    return newest


def learner_is_behind(session: Session, course: Course, learner: User) -> bool:
    """Whether the learner's portfolio misses something: never compiled, compiled under another mapping version,
    or statements naming them stored after it (an index lookup on the LRS's agent links)."""
    mapping_version = session.scalar(select(func.max(MappingRevision.number))
                                     .where(MappingRevision.course_id == course.id))
    if mapping_version is None:
        return False
    state = session.execute(select(CompileState.mapping_version, CompileState.compiled_us).where(
        CompileState.course_id == course.id, CompileState.learner_id == learner.id)).first()
    if state is None or state.mapping_version != mapping_version:
        return True
    newest = session.scalar(select(func.max(lrs.StatementAgent.stored_us))
                            .where(lrs.StatementAgent.ifi.in_(ifis(learner.xapi_actor))))
    return newest is not None and newest > state.compiled_us


def _due(session: Session, learners: dict[int, list[str]], states: dict[int, State], mapping: CourseMapping, *,
         watermark_us: int, full: bool) -> list[int]:
    """The learners to compile: new ones, those compiled under another mapping version, and those with
    statements stored after their last compilation's watermark."""
    if full:
        return list(learners)
    known = [state for learner in learners if (state := states.get(learner)) is not None
             and state.mapping_version == mapping.version]
    newest = _activity_since(session, min(s.compiled_us for s in known), watermark_us) if known else {}
    due: list[int] = []
    for learner, keys in learners.items():
        state = states.get(learner)
        latest = max((newest.get(ifi, 0) for ifi in keys), default=0)
        if state is None or state.mapping_version != mapping.version or latest > state.compiled_us:
            due.append(learner)
    return due


def compile_course(
    session: Session, course: Course, *, as_of: datetime, learner: User | None = None, full: bool = False,
    standard: StandardIndex | None = None, run: CompileRun | None = None, now: datetime | None = None,
    progress: Progress | None = None, batch: int = BATCH, workers: int = 1,
) -> CourseFigures:
    """Compile the course's due learners (all of them with ``full``; only ``learner`` when given) at
    ``as_of`` and store the changed portfolios as new snapshots, committing after every batch; ``workers``
    processes share the compiling when there are many learners (plugin.portfolios.parallel)."""
    figures = CourseFigures(course)
    standard = standard or store.standard_index(session)
    mapping = store.current_mapping(session, course, standard)
    if mapping is None:
        figures.skipped = "no mapping"
        return figures
    now = now or as_of
    watermark_us = _micros(as_of)
    states = repository.compile_states(session, course)
    if learner is None:
        # Moodle users seen only in the LRS are learners too. The last run under this mapping saw every statement
        # up to its watermark (its learners were checked through it): only what came since can add one.
        since = max((s.compiled_us for s in states.values() if s.mapping_version == mapping.version), default=None)
        enrol_seen_learners(session, course, mapping, now=now, since_us=since)
    learners = _learners(session, course, learner)
    work = _due(session, learners, states, mapping, watermark_us=watermark_us, full=full)
    figures.due = len(work)
    names = CourseName(course.title, course.label)
    batches = [work[start:start + batch] for start in range(0, len(work), batch)]
    with parallel.pool(mapping, standard, names, session.connection, size=workers, jobs=len(work)) as compiler:
        # One batch ahead: while the workers compile a batch, this process writes the one before and reads the
        # one after, so neither the database nor the workers wait on the other. Each batch still commits alone.
        read = _read_batch(session, course, batches[0], learners, as_of) if batches else None
        done = 0
        while read is not None:
            pending = compiler.start(read.jobs)
            ahead = _read_batch(session, course, batches[done + 1], learners, as_of) \
                if done + 1 < len(batches) else None
            results = pending.wait()
            created, failed = _write_batch(session, course, results, read, states, compiler.mapping.version,
                                           as_of, run, now)
            compiled, statements = len(read.jobs) - len(failed), sum(result.statements for result in results)
            figures.failed.update(failed)
            figures.learners_compiled += compiled
            figures.snapshots_created += created
            figures.statements_read += statements
            if run is not None:
                run.learners_compiled += compiled
                run.snapshots_created += created
                run.statements_read += statements
            session.commit()
            done += 1
            if progress is not None:
                progress(course, min(done * batch, len(work)), len(work))
            read = ahead
    if learner is None:
        # Everyone else was checked through the watermark.
        repository.mark_checked(session, course, mapping.version, through_us=watermark_us)
        session.commit()
    return figures


@dataclass
class _Read:
    """A batch as read: the compile jobs and each learner's newest snapshot."""

    jobs: list[parallel.Job]
    previous: dict[int, tuple[int, str]]


def _read_batch(session: Session, course: Course, ids: list[int], learners: dict[int, list[str]],
                as_of: datetime) -> _Read:
    users = {user.id: user for user in session.scalars(select(User).where(User.id.in_(ids)))}
    jobs = [parallel.Job(learner, users[learner].display_name, users[learner].xapi_actor, as_of, learners[learner])
            for learner in ids]
    return _Read(jobs, repository.latest_hashes(session, course, ids))


def _write_batch(
    session: Session, course: Course, results: list[parallel.Compiled | parallel.Failed], read: _Read,
    states: dict[int, State], mapping_version: int, as_of: datetime, run: CompileRun | None, now: datetime,
) -> tuple[int, dict[int, str]]:
    """Store a compiled batch: (snapshots created, learner id → error of those that failed)."""
    failed = {result.learner_id: result.error for result in results if isinstance(result, parallel.Failed)}
    rows = [row for compiled in results if isinstance(compiled, parallel.Compiled)
            if (row := repository.snapshot_row(course, compiled, previous=read.previous.get(compiled.learner_id),
                                               now=now, run=run)) is not None]
    repository.insert_snapshots(session, rows)
    compiled = [job.learner_id for job in read.jobs if job.learner_id not in failed]
    repository.save_states(session, states, course, compiled, mapping_version=mapping_version,
                           compiled_us=_micros(as_of), as_of=as_of, now=now)
    repository.save_failures(session, states, course, failed, mapping_version=mapping_version, as_of=as_of, now=now)
    return len(rows), failed


def _course_or_failure(session: Session, course: Course, **kwargs: Any) -> CourseFigures:
    """:func:`compile_course`, or its failure as figures: one course that cannot be compiled (its mapping names
    what the standard no longer has, its data trips the compiler) never stops the others. What it committed
    before failing stays; the rest is tried again by the next run."""
    course_id = course.id
    try:
        return compile_course(session, course, **kwargs)
    except Exception as exc:  # noqa: BLE001 - reported with the run, retried next run
        session.rollback()
        course = session.get(Course, course_id) or course
        return CourseFigures(course, error=f"{type(exc).__name__}: {exc}"[:2000])


def failure_summary(results: Iterable[CourseFigures]) -> str:
    """What failed in a run, in one line for its record and the console; "" when nothing did."""
    parts = [f"{f.course.title or f.course.context_id}: {f.error}" for f in results if f.error]
    learners = sum(len(f.failed) for f in results)
    if learners:
        parts.append(f"{learners} learner{'s' if learners > 1 else ''} could not be compiled")
    return "; ".join(parts)


def _mapped_courses(session: Session) -> list[Course]:
    query = select(Course).where(Course.id.in_(select(MappingRevision.course_id))).order_by(Course.id)
    return list(session.scalars(query))


def compile_all(
    session: Session, *, now: datetime, courses: Iterable[Course] | None = None, learner: User | None = None,
    full: bool = False, trigger: str = "command", scope: str = "", progress: Progress | None = None,
    batch: int | None = None, workers: int | None = None,
) -> tuple[CompileRun, list[CourseFigures]]:
    """One run over every course with a mapping (or ``courses``), recorded as a CompileRun; ``batch``
    learners per commit (default :func:`batch_size`), ``workers`` processes (default
    SAMATTHA_COMPILE_WORKERS, see plugin.portfolios.parallel).

    A run still marked "running" belongs to a process that died (the caller holds the compile lock); it is
    marked failed and its learners are simply found due again."""
    for stale in session.scalars(select(CompileRun).where(CompileRun.status == "running")):
        stale.status, stale.message = "failed", stale.message or "interrupted"
    watermark_us = watermark(session)
    as_of = run_as_of(watermark_us, now)
    run = CompileRun(started_at=now, status="running", trigger=trigger, scope=scope, full=full, as_of=as_of,
                     watermark_us=watermark_us, courses=0, learners_compiled=0, snapshots_created=0,
                     statements_read=0, message="")
    session.add(run)
    session.commit()
    standard = store.standard_index(session)
    results: list[CourseFigures] = []
    try:
        for course in (list(courses) if courses is not None else _mapped_courses(session)):
            results.append(_course_or_failure(session, course, as_of=as_of, learner=learner, full=full,
                                              standard=standard, run=run, now=now, progress=progress,
                                              batch=batch or batch_size(), workers=workers or parallel.workers()))
            run.courses += 1
            session.commit()
    except BaseException as exc:
        session.rollback()
        run.status, run.message, run.finished_at = "failed", f"{type(exc).__name__}: {exc}"[:2000], utcnow()
        session.commit()
        raise
    run.message = failure_summary(results)
    run.status, run.finished_at = "finished", utcnow()
    session.commit()
    return run, results
