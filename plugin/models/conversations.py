"""The conversation on a unit between a learner and the course's assessors and coordinators (issue 21), and
when the learner last looked at what is new for them.

Comments are append-only: a row is never updated or deleted, so the conversation stays what was said."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from plugin.models.base import Base
from plugin.models.lti import User

__all__ = ["NewsSeen", "UnitComment"]


class UnitComment(Base):
    __tablename__ = "unit_comments"
    __table_args__ = (Index("ix_unit_comments_course_learner_unit", "course_id", "learner_id", "unit_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    learner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    unit_code: Mapped[str] = mapped_column(String(40))
    # Kept like a judgement's assessor: a comment in the record always says who wrote it.
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    role: Mapped[str] = mapped_column(String(16))  # learner | assessor | coordinator, when they wrote it
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    author: Mapped[User] = relationship(foreign_keys=[author_id])


class NewsSeen(Base):
    """The last time the learner marked what is new in the course as seen."""

    __tablename__ = "learner_news_seen"

    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), primary_key=True)
    learner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
