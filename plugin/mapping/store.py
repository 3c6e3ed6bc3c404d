"""Persistence of course mappings: numbered, append-only revisions holding the mapping file text.

The mapping's ``version`` is its revision number, so a portfolio compiled from version 7 names the exact text
the history shows as revision 7. Undo and restore append a revision; nothing is rewritten or deleted."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from plugin.mapping.changes import back_to, describe_change
from plugin.mapping.files import MappingFileError, dump_mapping, load_mapping
from plugin.mapping.model import CourseMapping, StandardIndex
from plugin.models import Course, MappingRevision, Unit, User
from plugin.standards import catalog

__all__ = [
    "MappingMismatch",
    "current_mapping",
    "current_revision",
    "restore",
    "revision_count",
    "revision_summaries",
    "revisions",
    "save_mapping",
    "standard_index",
    "undo",
]


class MappingMismatch(ValueError):
    """The mapping names another course than the one it is saved for."""


_standard_cache: tuple[tuple[Any, ...], StandardIndex] | None = None


def standard_index(session: Session) -> StandardIndex:
    """The standard as loaded in this database, indexed for mapping, coverage and compilation.

    Rebuilt only when a unit changed: the revision is the units' content hashes (every text the index holds is
    inside a unit), read with one small query instead of loading the whole standard on every page. The
    compiler's plan cache is keyed on this object, so it too survives from request to request and run to run."""
    global _standard_cache
    revision = tuple(session.execute(select(Unit.standard_id, Unit.code, Unit.content_hash, Unit.source_file)
                                     .order_by(Unit.id)))
    if _standard_cache is None or _standard_cache[0] != revision:
        _standard_cache = (revision, StandardIndex.from_documents(catalog.standard_documents(session)))
    return _standard_cache[1]


def current_revision(session: Session, course: Course) -> MappingRevision | None:
    query = (select(MappingRevision).where(MappingRevision.course_id == course.id)
             .order_by(MappingRevision.number.desc()).limit(1))
    return session.scalars(query).first()


def current_mapping(session: Session, course: Course, standard: StandardIndex) -> CourseMapping | None:
    """The course's mapping as of its newest revision (``None`` before the first save)."""
    revision = current_revision(session, course)
    if revision is None:
        return None
    return load_mapping(revision.text, standard=standard, file_name=f"revision {revision.number}")


def revisions(session: Session, course: Course) -> list[MappingRevision]:
    """The history, newest first."""
    query = (select(MappingRevision).where(MappingRevision.course_id == course.id)
             .order_by(MappingRevision.number.desc()))
    return list(session.scalars(query))


def save_mapping(
    session: Session, course: Course, mapping: CourseMapping, standard: StandardIndex, *, author: User | None,
    now: datetime, source: str, restores: int | None = None,
) -> MappingRevision:
    """Append ``mapping`` as the course's next revision; saving what is already current adds nothing.

    The caller has validated the mapping against the standard (load_mapping does); this checks that it is
    this course's. The caller commits."""
    if mapping.course_id != course.context_id:
        raise MappingMismatch(f"course.id: the mapping is for course {mapping.course_id!r}, "
                              f"this is course {course.context_id!r}")
    last = current_revision(session, course)
    number = 1 if last is None else last.number + 1
    if last is not None and last.text == dump_mapping(replace(mapping, version=last.number)):
        return last
    revision = MappingRevision(
        course_id=course.id, number=number, text=dump_mapping(replace(mapping, version=number)), source=source,
        restores=restores,
        # In English: the command line prints it; the history page words it again in the reader's language.
        summary=back_to(source, restores) if restores is not None else describe_change(
            None if last is None else _read_back(last, standard), mapping),
        author_id=None if author is None else author.id, created_at=now,
    )
    session.add(revision)
    session.flush()
    return revision


def undo(session: Session, course: Course, standard: StandardIndex, *, author: User | None,
         now: datetime) -> MappingRevision | None:
    """Bring back the state before the current one; repeated undo walks further back. ``None``: nothing to undo.

    The walk's position is the current revision, or, when that is itself an undo, the revision it brought
    back; so undoing a restore (or an edit made after undoing) returns to the state just before it."""
    last = current_revision(session, course)
    if last is None:
        return None
    position = last.restores if last.source == "undo" and last.restores is not None else last.number
    if position <= 1:
        return None
    return restore(session, course, standard, position - 1, author=author, now=now, source="undo")


def restore(session: Session, course: Course, standard: StandardIndex, number: int, *, author: User | None,
            now: datetime, source: str = "restore") -> MappingRevision | None:
    """Append a copy of revision ``number`` (``None`` if the course has no such revision). Restoring the
    current text adds nothing and returns the current revision. Raises MappingFileError if the standard
    has since lost a code the old revision names."""
    query = select(MappingRevision).where(MappingRevision.course_id == course.id, MappingRevision.number == number)
    old = session.scalars(query).first()
    if old is None:
        return None
    mapping = load_mapping(old.text, standard=standard, file_name=f"revision {old.number}")
    return save_mapping(session, course, mapping, standard, author=author, now=now, source=source,
                        restores=old.number)


def revision_count(session: Session, course: Course) -> int:
    return session.scalar(select(func.count()).where(MappingRevision.course_id == course.id)) or 0


def revision_summaries(revisions: list[MappingRevision], standard: StandardIndex, language: str) -> dict[int, str]:
    """Revision number → its summary in ``language``, worded from its text and the text of the revision before
    it (when listed) as when it was saved; each text is read once. A revision that no longer reads against the
    standard, or follows one that does not, keeps its stored words."""
    read: dict[int, CourseMapping | None] = {}

    def mapping_of(revision: MappingRevision) -> CourseMapping | None:
        if revision.number not in read:
            read[revision.number] = _read_back(revision, standard)
        return read[revision.number]

    by_number = {revision.number: revision for revision in revisions}
    summaries = {}
    for revision in revisions:
        earlier = by_number.get(revision.number - 1)
        if revision.restores is not None:
            summaries[revision.number] = back_to(revision.source, revision.restores, language)
            continue
        mapping, before = mapping_of(revision), None if earlier is None else mapping_of(earlier)
        if mapping is None or (earlier is not None and before is None):
            # Worded against a revision no longer read back, it would say "created".
            summaries[revision.number] = revision.summary
        else:
            summaries[revision.number] = describe_change(before, mapping, language)
    return summaries


def _read_back(revision: MappingRevision, standard: StandardIndex) -> CourseMapping | None:
    """A revision read back for a change summary. It was valid when saved; if the standard has since lost a code
    it names, this is None: a new save's summary then says "created" rather than failing the save."""
    try:
        return load_mapping(revision.text, standard=standard, file_name=f"revision {revision.number}")
    except MappingFileError:
        return None
