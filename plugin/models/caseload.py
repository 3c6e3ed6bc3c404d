"""The assessor's caseload (issue 19): a small summary of each portfolio snapshot, so a list of thousands of
learners is read without opening their documents, and the learners' requests to be assessed again.

A summary is derived data: written beside its snapshot (plugin.portfolios.repository.insert_snapshots) or, for
a snapshot stored before summaries existed, the first time a caseload needs it. A request stays open until a
judgement of that learner in that course is recorded after it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from plugin.models.base import Base
from plugin.models.lti import User

__all__ = ["ReassessmentRequest", "SnapshotSummary", "UnitSummary"]


class SnapshotSummary(Base):
    __tablename__ = "portfolio_snapshot_summaries"

    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), primary_key=True)
    learner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    number: Mapped[int] = mapped_column(Integer, primary_key=True)
    evidenced: Mapped[int] = mapped_column(Integer)  # criteria evidenced, over every unit
    total: Mapped[int] = mapped_column(Integer)
    newest_evidence: Mapped[str | None] = mapped_column(String(40))  # the newest statement's timestamp (UTC text)


class UnitSummary(Base):
    """One unit of a summarised snapshot. Plain columns, so whether a judgement's evidence has changed since is
    a comparison of two keys in SQL, not a document read per learner."""

    __tablename__ = "portfolio_unit_summaries"

    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), primary_key=True)
    learner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    number: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_code: Mapped[str] = mapped_column(String(40), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)  # the unit's place in the document (the mapping's order)
    evidenced: Mapped[int] = mapped_column(Integer)
    total: Mapped[int] = mapped_column(Integer)
    evidence_key: Mapped[str] = mapped_column(String(64))  # plugin.portfolios.model.unit_evidence_key


class ReassessmentRequest(Base):
    __tablename__ = "reassessment_requests"
    __table_args__ = (Index("ix_reassessment_requests_course_learner", "course_id", "learner_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    learner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    note: Mapped[str] = mapped_column(Text, default="")
    snapshot_number: Mapped[int | None] = mapped_column(Integer)  # the portfolio as it was when they asked
    requested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    answered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    answered_by_judgement_id: Mapped[int | None] = mapped_column(
        ForeignKey("portfolio_judgements.id", ondelete="SET NULL"))

    learner: Mapped[User] = relationship(foreign_keys=[learner_id])
