"""Calls to the platform's services (NRPS roster, AGS grades) that run outside the request asking for them.

Moodle's token endpoint fetches Samattha's JWKS to check the client assertion (private_key_jwt): a request
thread waiting on Moodle could be the very thread that JWKS request needs. So a page records the call here,
a background runner makes it, and the page shows its status. A row is the call's whole history: queued →
running → done, or retry (with the next attempt's time and the last error) → … → failed; a newer grade for
the same learner and unit supersedes one not yet sent."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from plugin.models.base import Base
from plugin.models.lti import Course

__all__ = ["ServiceCall"]


class ServiceCall(Base):
    __tablename__ = "service_calls"
    __table_args__ = (Index("ix_service_calls_due", "status", "next_attempt_at"),
                      Index("ix_service_calls_course_key", "course_id", "key", "id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))  # roster | grade
    # What a newer call replaces: "roster", or "grade:<learner User.id>:<unit code>".
    key: Mapped[str] = mapped_column(String(80))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(12))  # queued | running | retry | done | failed | superseded
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # A runner holds a running call until then; past it (the process died) another runner may take it again.
    claimed_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    result: Mapped[str | None] = mapped_column(Text)  # roster: the member count
    error: Mapped[str | None] = mapped_column(Text)  # the last attempt's error, "<code>: <message>"
    requested_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    course: Mapped[Course] = relationship(foreign_keys=[course_id])
