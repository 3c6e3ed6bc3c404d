"""The compilation schedule and the lock that makes it run in exactly one place.

Every process that may compile (``samattha serve`` unless SAMATTHA_COMPILE_IN_SERVE=0, ``samattha worker``,
``samattha portfolios compile``) takes the compile lock first and skips the run when another holds it:
on PostgreSQL a session advisory lock held on a dedicated connection (freed by the server if the process
dies), on SQLite a row in ``scheduler_locks`` with an expiry that the holder renews after every batch (a
holder that died frees it when the expiry passes, or at once when it was a process on this host that is
gone: a killed ``samattha portfolios compile`` must not block the next one for ten minutes)."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import Connection, Engine, delete, insert, select, text, update
from sqlalchemy.orm import Session, sessionmaker

from plugin.clock import utcnow
from plugin.evidence import course_reach
from plugin.mapping.discovery import refresh_courses
from plugin.mapping.store import current_mapping, standard_index
from plugin.models import Course, MappingRevision, User
from plugin.models.portfolios import CompileRun, SchedulerLock
from plugin.portfolios.run import CourseFigures, Progress, compile_all, learner_is_behind

__all__ = [
    "LOCK_NAME", "LockBusy", "compile_learner_if_behind", "compile_lock", "describe", "run_once", "start_scheduler",
]

LOCK_NAME = "portfolio-compile"
ADVISORY_KEY = 0x53414D41_54544841 & 0x7FFF_FFFF_FFFF_FFFF  # "SAMATTHA": a bigint only Samattha uses
LOCK_TTL = timedelta(minutes=10)  # SQLite: a batch takes seconds; a silent holder this long is gone


class LockBusy(Exception):
    """Another process is compiling."""


def _holder() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _gone(holder: str) -> bool:
    """Whether the holder was a process on this host that no longer exists (its row holds nothing)."""
    host, _, rest = holder.partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return True
    except PermissionError:  # exists, under another user
        return False
    return False


class _RowLock:
    """SQLite's lock row. Each step is its own short write transaction, so the LRS is never held up."""

    def __init__(self, engine: Engine, holder: str) -> None:
        self.engine, self.holder = engine, holder

    def acquire(self) -> bool:
        now = utcnow()
        with self.engine.connect() as connection:
            connection.execute(text("BEGIN IMMEDIATE"))
            row = connection.execute(select(SchedulerLock.holder, SchedulerLock.expires_at)
                                     .where(SchedulerLock.name == LOCK_NAME)).first()
            if (row is not None and row.holder != self.holder and _aware(row.expires_at) > now
                    and not _gone(row.holder)):
                connection.rollback()
                return False
            connection.execute(delete(SchedulerLock).where(SchedulerLock.name == LOCK_NAME))
            connection.execute(insert(SchedulerLock).values(
                name=LOCK_NAME, holder=self.holder, expires_at=now + LOCK_TTL))
            connection.commit()
        return True

    def renew(self) -> None:
        """The heartbeat: push the expiry on while the run works (after every batch)."""
        with self.engine.begin() as connection:
            connection.execute(update(SchedulerLock)
                               .where(SchedulerLock.name == LOCK_NAME, SchedulerLock.holder == self.holder)
                               .values(expires_at=utcnow() + LOCK_TTL))

    def release(self) -> None:
        with self.engine.begin() as connection:
            connection.execute(delete(SchedulerLock).where(SchedulerLock.name == LOCK_NAME,
                                                           SchedulerLock.holder == self.holder))


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


@contextmanager
def compile_lock(engine: Engine) -> Iterator[Callable[[], None]]:
    """Hold the compile lock for the block; raises LockBusy at once when another process holds it.
    Yields the heartbeat to call while working (a no-op on PostgreSQL, whose lock lives with the connection)."""
    if engine.dialect.name == "postgresql":
        connection: Connection = engine.connect()
        try:
            if not connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": ADVISORY_KEY}).scalar():
                raise LockBusy("another process is compiling portfolios")
            connection.commit()  # the session-level lock outlives the transaction; do not sit idle in one
            try:
                yield lambda: None
            finally:
                connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": ADVISORY_KEY})
                connection.commit()
        finally:
            connection.close()
        return
    lock = _RowLock(engine, _holder())
    if not lock.acquire():
        raise LockBusy("another process is compiling portfolios")
    try:
        yield lock.renew
    finally:
        lock.release()


def run_once(
    sessions: sessionmaker[Session], *, trigger: str, courses: list[Course] | None = None, learner: Any = None,
    full: bool = False, scope: str = "", progress: Progress | None = None,
) -> tuple[CompileRun, list[CourseFigures]]:
    """One compile run under the lock (LockBusy when another process is compiling)."""
    engine = sessions.kw["bind"]
    with compile_lock(engine) as heartbeat, sessions() as session:
        def step(course: Course, done: int, total: int) -> None:
            heartbeat()
            if progress is not None:
                progress(course, done, total)

        if courses is not None:  # loaded by the caller's session: bring them into this one
            courses = [session.merge(course, load=False) for course in courses]
        if learner is not None:
            learner = session.merge(learner, load=False)
        return compile_all(session, now=utcnow(), courses=courses, learner=learner, full=full, trigger=trigger,
                           scope=scope, progress=step)


def compile_learner_if_behind(sessions: sessionmaker[Session], course_id: int, learner_id: int) -> bool:
    """Compile one learner now when the LRS holds statements of theirs newer than their portfolio (or the mapping
    changed), so the page they open shows what they just did rather than the last scheduled run. Skipped when
    another process is compiling (it will include them). Returns whether a compilation ran."""
    with sessions() as session:
        course, learner = session.get(Course, course_id), session.get(User, learner_id)
        if course is None or learner is None or not learner_is_behind(session, course, learner):
            return False
    try:
        run_once(sessions, trigger="page", courses=[course], learner=learner, scope=f"learner {learner.subject}")
    except LockBusy:
        return False
    return True


def start_scheduler(sessions: sessionmaker[Session], *, every_minutes: int, base_url: str,
                    report: Callable[[str], None] = print) -> BackgroundScheduler:
    """Compile every ``every_minutes`` in a background thread, the first run at once. A run that is still
    going when the next is due is not started twice (max_instances=1, coalesced)."""
    def job() -> None:
        scheduled_run(sessions, report, base_url=base_url)

    scheduler = BackgroundScheduler(timezone="UTC")
    scheduler.add_job(job, "interval", minutes=every_minutes, id="compile-portfolios", max_instances=1,
                      coalesce=True, next_run_time=utcnow())
    scheduler.start()
    return scheduler


def scheduled_run(sessions: sessionmaker[Session], report: Callable[[str], None] = print, *,
                  base_url: str) -> None:
    """What the schedule does: compile, then bring every mapped course's coverage row up to date, so that a
    coordinator's page never pays for reading a whole course (only a new mapping or a voiding makes it), and
    learn the courses' activities anew (Moodle's own list changes without telling us)."""
    try:
        run, _ = run_once(sessions, trigger="schedule")
    except LockBusy:
        report("Portfolio compilation: another process is compiling; skipped.")
        return
    report(describe(run))
    new = refresh_courses(sessions, base_url=base_url, now=utcnow)
    if new:
        report(f"Course activities: {new} new.")
    with sessions() as session:
        standard = standard_index(session)
        for course in session.scalars(select(Course).where(Course.id.in_(select(MappingRevision.course_id)))):
            mapping = current_mapping(session, course, standard)
            if mapping is not None:
                course_reach(session, course, mapping)


def describe(run: CompileRun) -> str:
    """A run's figures in one line, for the console."""
    seconds = (_aware(run.finished_at or run.started_at) - _aware(run.started_at)).total_seconds()
    return (f"Compile run {run.id} {run.status}: {run.courses} courses, {run.learners_compiled} learners "
            f"compiled, {run.snapshots_created} new snapshots, {run.statements_read} statements read, "
            f"as of {_aware(run.as_of).isoformat()}, {seconds:.1f} s."
            + (f" Failed: {run.message}." if run.message and run.status == "finished" else ""))
