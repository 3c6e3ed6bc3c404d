"""Mapping tables: a course's mapping as numbered, append-only revisions, and the activities a coordinator
can map (from every source Moodle offers: LTI links, the LRS, course backups, Web Services, packages).

A revision stores the mapping file text itself (mappings/README.md), so what the editor saved, what
`samattha mappings export` writes and what history shows are the same reviewable document. Undo appends
the previous text as a new revision; nothing is ever rewritten."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from plugin.models.base import Base
from plugin.models.lti import Course, User

__all__ = ["CourseActivity", "CoverageProgress", "MappingRevision", "MoodleWebService"]


class MappingRevision(Base):
    __tablename__ = "mapping_revisions"
    __table_args__ = (UniqueConstraint("course_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)  # 1, 2, 3 … per course; it is the mapping's version
    text: Mapped[str] = mapped_column(Text)  # the mapping file, format 1
    source: Mapped[str] = mapped_column(String(16))  # "editor", "file", "undo", "restore"
    # The revision whose text this one brought back (undo/restore), so undoing again walks further back.
    restores: Mapped[int | None] = mapped_column(Integer)
    summary: Mapped[str] = mapped_column(Text, default="")  # what changed, in words, for the history list
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    course: Mapped[Course] = relationship()
    author: Mapped[User | None] = relationship()


class CourseActivity(Base):
    """An activity of a course, keyed by the IRI its statements use. ``cmid`` for Moodle course modules."""

    __tablename__ = "course_activities"
    __table_args__ = (UniqueConstraint("course_id", "iri"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    iri: Mapped[str] = mapped_column(String(2048))
    cmid: Mapped[int | None] = mapped_column(Integer)
    module: Mapped[str | None] = mapped_column(String(64))  # Moodle module name (quiz, assign …) or "package"
    name: Mapped[str] = mapped_column(Text, default="")
    section: Mapped[int | None] = mapped_column(Integer)  # section number, for the editor's order
    position: Mapped[int | None] = mapped_column(Integer)  # order inside the section
    source: Mapped[str] = mapped_column(String(16))  # "lti", "lrs", "backup", "webservice", "package"
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class MoodleWebService(Base):
    """A Moodle Web Services token for one platform (issuer), set by ``samattha platforms webservice``.
    ``url`` is the site's wwwroot, where ``/webservice/rest/server.php`` lives (for Moodle: the issuer)."""

    __tablename__ = "moodle_web_services"

    id: Mapped[int] = mapped_column(primary_key=True)
    issuer: Mapped[str] = mapped_column(String(255), unique=True)
    url: Mapped[str] = mapped_column(Text)
    token: Mapped[str] = mapped_column(String(255))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))



class CoverageProgress(Base):
    """Derived and rebuildable (plugin.evidence.course_reach): which mapping entries each actor seen in the
    course's statements has met or touched under one mapping (``mapping_key``, a digest of its entries),
    counting every statement stored up to ``watermark_us``. Deleting a row only costs one full read.

    ``refreshing_since``: when a process took on the full read in the background for the coverage page
    (plugin.evidence.reach_or_last_figures), so the other worker processes do not start their own; a claim older than
    15 minutes is taken to be lost (the process died) and taken over. A row that only holds such a claim has an
    empty ``mapping_key``."""

    __tablename__ = "coverage_progress"

    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), primary_key=True)
    mapping_key: Mapped[str] = mapped_column(String(64))
    watermark_us: Mapped[int] = mapped_column(BigInteger)
    # Bumped on every write: a writer only replaces the row it read (two coordinators at once).
    generation: Mapped[int] = mapped_column(Integer)
    data: Mapped[dict[str, Any]] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    refreshing_since: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
