"""Assessor judgements (issue 6): an append-only audit trail bound to portfolio snapshots.

A row is never updated or deleted: a new judgement of the same unit is a new row, and the latest one counts.
Each names the snapshot it was made on by (learner, number) and the snapshot's content hash, so the record
says exactly what the assessor saw even if snapshots were ever rebuilt; ``statement_id`` is the xAPI
statement the judgement was recorded as in our LRS."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from plugin.models.base import Base
from plugin.models.lti import Course, User

__all__ = ["Judgement"]


class Judgement(Base):
    __tablename__ = "portfolio_judgements"
    __table_args__ = (Index("ix_portfolio_judgements_course_learner", "course_id", "learner_id", "unit_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    learner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    assessor_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    unit_code: Mapped[str] = mapped_column(String(40))
    snapshot_number: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(24))  # competent | not_yet_competent | more_evidence
    comments: Mapped[str] = mapped_column(Text, default="")
    # criterion code -> {"valid": bool, "sufficient": bool, "authentic": bool, "current": bool}
    criteria: Mapped[dict[str, Any]] = mapped_column(default=dict)
    statement_id: Mapped[str] = mapped_column(String(36))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    course: Mapped[Course] = relationship(foreign_keys=[course_id])
    learner: Mapped[User] = relationship(foreign_keys=[learner_id])
    assessor: Mapped[User] = relationship(foreign_keys=[assessor_id])
