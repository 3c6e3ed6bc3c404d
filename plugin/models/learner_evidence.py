"""A piece of evidence a learner added (issue 21). The piece itself is an xAPI statement in Samattha's LRS, with
its files as attachments: that is the record. This row is the index the pages need: whose it is, in which course,
for which criteria and items, what its files are called, and whether it was withdrawn."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from plugin.models.base import Base, JsonData

__all__ = ["EvidencePiece"]


class EvidencePiece(Base):
    __tablename__ = "learner_evidence"
    __table_args__ = (Index("ix_learner_evidence_course_user", "course_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    statement_id: Mapped[str] = mapped_column(String(36), unique=True)
    codes: Mapped[list[str]] = mapped_column(JsonData)  # criteria and evidence items, as the standard codes them
    account: Mapped[str] = mapped_column(Text)
    link: Mapped[str | None] = mapped_column(Text)
    files: Mapped[list[dict[str, Any]]] = mapped_column(JsonData)  # [{"sha2", "name", "content_type", "size"}]
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
