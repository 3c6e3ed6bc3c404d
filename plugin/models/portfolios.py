"""Portfolio tables (issue 6): numbered snapshots, per-learner compile state, compile runs, the scheduler lock.

A snapshot is written once and never updated: judgements and exports name it by (course, learner, number),
so what an assessor judged stays readable exactly as it was. The compile state is the only mutable row per
(course, learner): what the last compilation of that learner covered, so the next run knows who is due."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from plugin.models.base import Base
from plugin.models.lti import Course, User

__all__ = ["CompileRun", "CompileState", "PortfolioSnapshot", "SchedulerLock"]


class CompileRun(Base):
    """One compilation run (scheduled, ``samattha worker --once`` or ``samattha portfolios compile``).

    ``watermark_us``: the newest ``stored`` (epoch µs) in the LRS when the run started; the run's ``as_of`` is
    that moment, so the same LRS content gives the same portfolios and hashes whenever (and however often) it
    is compiled. A run left "running" by a process that died is marked "failed" by the next run."""

    __tablename__ = "portfolio_compile_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(16))  # "running", "finished", "failed"
    trigger: Mapped[str] = mapped_column(String(16))  # "schedule", "command", "page" (a learner's own page)
    scope: Mapped[str] = mapped_column(Text, default="")  # "" for every course, else what --course/--learner named
    full: Mapped[bool] = mapped_column(Boolean, default=False)
    as_of: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    watermark_us: Mapped[int | None] = mapped_column(BigInteger)
    courses: Mapped[int] = mapped_column(Integer, default=0)
    learners_compiled: Mapped[int] = mapped_column(Integer, default=0)
    snapshots_created: Mapped[int] = mapped_column(Integer, default=0)
    statements_read: Mapped[int] = mapped_column(Integer, default=0)
    message: Mapped[str] = mapped_column(Text, default="")  # the error of a failed run


class PortfolioSnapshot(Base):
    """An immutable, numbered compiled portfolio. ``document`` is ``portfolio_to_json`` (SCHEMA.md);
    ``content_hash`` is ``plugin.portfolios.content_hash`` of the same portfolio."""

    __tablename__ = "portfolio_snapshots"
    __table_args__ = (UniqueConstraint("course_id", "learner_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    learner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)  # 1, 2, 3 … per (course, learner)
    content_hash: Mapped[str] = mapped_column(String(64))
    mapping_version: Mapped[int] = mapped_column(Integer)
    as_of: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    run_id: Mapped[int | None] = mapped_column(ForeignKey("portfolio_compile_runs.id", ondelete="SET NULL"))
    document: Mapped[dict[str, Any]] = mapped_column()

    course: Mapped[Course] = relationship()
    learner: Mapped[User] = relationship()


class CompileState(Base):
    """What the last compilation of one learner in one course covered.

    ``compiled_us``: statements stored up to this moment (epoch µs) were read; a statement stored later
    (or a voiding statement stored later whose target was the learner's) makes the learner due.
    ``error``: why the learner's last compilation failed (their earlier snapshot stands, and they stay due
    until a run compiles them); ``None`` after a success."""

    __tablename__ = "portfolio_compile_states"

    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), primary_key=True)
    learner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    mapping_version: Mapped[int] = mapped_column(Integer)
    compiled_us: Mapped[int] = mapped_column(BigInteger)
    as_of: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    error: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class SchedulerLock(Base):
    """The compile lock on SQLite (PostgreSQL uses an advisory lock instead): held while ``expires_at`` is in
    the future; the holder renews it (heartbeat) while it works, so a crashed holder frees it by expiry."""

    __tablename__ = "scheduler_locks"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(128))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
