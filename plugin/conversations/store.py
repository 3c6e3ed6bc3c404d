"""The conversations' repository: comments are added and read, never changed; what is new for a learner is the
comments others wrote and the judgements recorded since they last marked it seen."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from plugin.models import Course, User
from plugin.models.conversations import NewsSeen, UnitComment
from plugin.models.judgements import Judgement

__all__ = ["MAX_COMMENT", "CommentRefused", "News", "add_comment", "comment_counts", "mark_seen", "news_for",
           "thread"]

MAX_COMMENT = 5000
MAX_NEWS = 20


class CommentRefused(ValueError):
    """A comment that cannot be kept: ``field`` names what to fix, ``key`` the message that says so."""

    def __init__(self, field: str, key: str, **params: Any) -> None:
        super().__init__(f"{field}: {key}")
        self.field = field
        self.key = key
        self.params: dict[str, Any] = params


def add_comment(session: Session, course: Course, learner_id: int, unit_code: str, *, author: User, role: str,
                body: str, now: datetime) -> UnitComment:
    """The text is kept exactly as written (Thai is not normalised); the caller commits."""
    if not body.strip():
        raise CommentRefused("body", "cv.bad.empty")
    if len(body) > MAX_COMMENT:
        raise CommentRefused("body", "cv.bad.long", limit=MAX_COMMENT)
    comment = UnitComment(course_id=course.id, learner_id=learner_id, unit_code=unit_code, author_id=author.id,
                          role=role, body=body, created_at=now)
    session.add(comment)
    session.flush()
    return comment


def thread(session: Session, course_id: int, learner_id: int, unit_code: str) -> list[UnitComment]:
    """Oldest first, as it was said."""
    return list(session.scalars(select(UnitComment).where(
        UnitComment.course_id == course_id, UnitComment.learner_id == learner_id, UnitComment.unit_code == unit_code)
        .order_by(UnitComment.created_at, UnitComment.id)))


def comment_counts(session: Session, course_id: int, learner_id: int) -> dict[str, int]:
    """Unit code → how many comments its conversation has."""
    return {code: count for code, count in session.execute(
        select(UnitComment.unit_code, func.count()).where(UnitComment.course_id == course_id,
                                                          UnitComment.learner_id == learner_id)
        .group_by(UnitComment.unit_code))}


@dataclass(frozen=True)
class News:
    """One thing new for the learner: a comment someone else wrote, or a judgement of one of their units."""

    kind: str  # comment | judgement
    unit_code: str
    at: datetime
    who: str
    text: str  # the comment, or the judgement's outcome code


def _seen(session: Session, course_id: int, learner_id: int) -> datetime | None:
    row = session.get(NewsSeen, (course_id, learner_id))
    return row.seen_at if row is not None else None


def news_for(session: Session, course: Course, learner_id: int) -> list[News]:
    """Newest first, at most MAX_NEWS: what others said and judged since the learner last marked news seen (all
    of it before they ever did)."""
    seen = _seen(session, course.id, learner_id)
    comments = select(UnitComment).where(UnitComment.course_id == course.id, UnitComment.learner_id == learner_id,
                                         UnitComment.author_id != learner_id)
    judgements = select(Judgement).where(Judgement.course_id == course.id, Judgement.learner_id == learner_id)
    if seen is not None:
        comments = comments.where(UnitComment.created_at > seen)
        judgements = judgements.where(Judgement.recorded_at > seen)
    found = [News("comment", c.unit_code, c.created_at, c.author.display_name, c.body)
             for c in session.scalars(comments.order_by(UnitComment.created_at.desc()).limit(MAX_NEWS))]
    found += [News("judgement", j.unit_code, j.recorded_at, j.assessor.display_name, j.outcome)
              for j in session.scalars(judgements.order_by(Judgement.recorded_at.desc()).limit(MAX_NEWS))]
    return sorted(found, key=lambda n: _utc(n.at), reverse=True)[:MAX_NEWS]


def _utc(moment: datetime) -> datetime:
    # SQLite hands back stored UTC moments without their zone.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def mark_seen(session: Session, course_id: int, learner_id: int, now: datetime) -> None:
    row = session.get(NewsSeen, (course_id, learner_id))
    if row is None:
        session.add(NewsSeen(course_id=course_id, learner_id=learner_id, seen_at=now))
    else:
        row.seen_at = now
