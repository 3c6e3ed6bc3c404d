"""Adding, listing and withdrawing a learner's pieces of evidence. The statement (with its files as attachments)
goes into Samattha's LRS in the same transaction as the piece's index row, so both are there or neither."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

import xapi
from plugin.learner_evidence.files import EvidenceFile
from plugin.learner_evidence.vocabulary import evidence_statement
from plugin.mapping.activities import moodle_course_iri
from plugin.models import Course, User
from plugin.models.judgements import Judgement
from plugin.models.learner_evidence import EvidencePiece
from xapi.models import Attachment
from xapi.prepare import VOIDED_VERB
from xapi.store import store_attachments

__all__ = [
    "EvidenceRefused",
    "Limits",
    "add_piece",
    "added_after_judgement",
    "claimed_codes",
    "file_of",
    "pieces_of",
    "withdraw_piece",
]

_MAX_ACCOUNT = 5000
_MAX_LINK = 2000


class EvidenceRefused(ValueError):
    """``reason``: a message key (plugin.learner_evidence.messages); ``field``: the form field it is about."""

    def __init__(self, field: str, reason: str, /, **params: object) -> None:
        super().__init__(f"{field}: {reason}")
        self.field, self.reason = field, reason
        self.params = {name: str(value) for name, value in params.items()}


@dataclass(frozen=True)
class Limits:
    file_bytes: int
    files: int


def _authority(base_url: str) -> dict[str, object]:
    return {"objectType": "Agent", "name": "Samattha", "account": {"homePage": base_url, "name": "samattha"}}


def _check(codes: Sequence[str], allowed: Mapping[str, str], account: str, link: str | None,
           files: Sequence[EvidenceFile], limits: Limits) -> None:
    if not codes:
        raise EvidenceRefused("codes", "ev.refused.no_codes")
    unknown = [code for code in codes if code not in allowed]
    if unknown:
        raise EvidenceRefused("codes", "ev.refused.unknown_code", code=unknown[0])
    for field, text in (("account", account), ("link", link or "")):
        if "\x00" in text:  # PostgreSQL's text cannot hold one (plugin.web.form_text checks the other forms)
            raise EvidenceRefused(field, "form.nul", field=field)
    if not account.strip():
        raise EvidenceRefused("account", "ev.refused.no_account")
    if len(account) > _MAX_ACCOUNT:
        raise EvidenceRefused("account", "ev.refused.account_long", limit=_MAX_ACCOUNT)
    if link is not None and (len(link) > _MAX_LINK or not link.startswith(("https://", "http://"))):
        raise EvidenceRefused("link", "ev.refused.link")
    if len(files) > limits.files:
        raise EvidenceRefused("files", "ev.refused.too_many", limit=limits.files)


def add_piece(session: Session, course: Course, learner: User, *, codes: Sequence[str], titles: Mapping[str, str],
              account: str, link: str | None, files: Sequence[EvidenceFile], limits: Limits, base_url: str,
              now: datetime, clock: Callable[[], datetime]) -> EvidencePiece:
    """``titles``: every criterion and evidence item the learner may name (code → text). The caller commits."""
    link = (link or "").strip() or None
    _check(codes, titles, account, link, files, limits)
    described = [(f.name, f.content_type, len(f.data), hashlib.sha256(f.data).hexdigest()) for f in files]
    piece = EvidencePiece(course_id=course.id, user_id=learner.id, statement_id=str(uuid.uuid4()),
                          codes=list(dict.fromkeys(codes)), account=account.strip(), link=link,
                          files=[{"name": n, "content_type": t, "size": s, "sha2": h} for n, t, s, h in described],
                          created_at=now)
    session.add(piece)
    session.flush()
    statement = evidence_statement(
        actor=learner.xapi_actor, codes=piece.codes, titles=titles, account=piece.account, link=link,
        files=described, course=moodle_course_iri(course),
        course_title=course.title, piece=str(piece.id), now=now)
    xapi.record_statements(session, [{**statement, "id": piece.statement_id}], authority=_authority(base_url),
                           clock=clock)
    store_attachments(session, [(h, t, f.data) for f, (_, t, _, h) in zip(files, described, strict=True)])
    return piece


def pieces_of(session: Session, course: Course, learner_id: int, *, withdrawn: bool = False) -> list[EvidencePiece]:
    query = (select(EvidencePiece).where(EvidencePiece.course_id == course.id, EvidencePiece.user_id == learner_id)
             .order_by(EvidencePiece.created_at.desc(), EvidencePiece.id.desc()))
    if not withdrawn:
        query = query.where(EvidencePiece.withdrawn_at.is_(None))
    return list(session.scalars(query))


def claimed_codes(session: Session, course: Course) -> dict[int, set[str]]:
    """Learner id → the criteria and evidence items their pieces in the course name, withdrawn ones left out:
    what the portfolio compiler files a learner's own evidence under, for the coordinator's coverage."""
    claimed: dict[int, set[str]] = {}
    query = select(EvidencePiece.user_id, EvidencePiece.codes).where(EvidencePiece.course_id == course.id,
                                                                     EvidencePiece.withdrawn_at.is_(None))
    for user_id, codes in session.execute(query):
        claimed.setdefault(user_id, set()).update(codes)
    return claimed


def added_after_judgement(session: Session, course: Course, learner_id: int, pieces: Sequence[EvidencePiece],
                          unit_of: Callable[[str], str | None]) -> set[int]:
    """Ids of the pieces added after the latest judgement of a unit they belong to: what the assessor had not
    seen when judging it. A unit never judged marks nothing (everything in it is unseen alike)."""
    latest = {unit: (when if when.tzinfo else when.replace(tzinfo=UTC)) for unit, when in session.execute(
        select(Judgement.unit_code, func.max(Judgement.recorded_at))
        .where(Judgement.course_id == course.id, Judgement.learner_id == learner_id)
        .group_by(Judgement.unit_code))}
    after = set()
    for piece in pieces:
        added = piece.created_at if piece.created_at.tzinfo else piece.created_at.replace(tzinfo=UTC)
        units = {unit_of(code) for code in piece.codes}
        if any(unit in latest and added > latest[unit] for unit in units):
            after.add(piece.id)
    return after


def _judged_since(session: Session, piece: EvidencePiece, unit_codes: Sequence[str]) -> bool:
    found = session.scalar(select(Judgement.id).where(
        Judgement.course_id == piece.course_id, Judgement.learner_id == piece.user_id,
        Judgement.unit_code.in_(list(unit_codes)), Judgement.recorded_at >= piece.created_at).limit(1))
    return found is not None


def withdraw_piece(session: Session, piece: EvidencePiece, learner: User, *, units: Sequence[str], base_url: str,
                   now: datetime, clock: Callable[[], datetime]) -> None:
    """Withdraw a piece no assessor has judged yet (``units``: the units its codes belong to). Its statement is
    voided, as the learner's own act; a judged piece stays in the record."""
    if piece.withdrawn_at is not None:
        return
    if _judged_since(session, piece, units):
        raise EvidenceRefused("piece", "ev.refused.judged")
    piece.withdrawn_at = now
    xapi.record_statements(session, [{
        "actor": dict(learner.xapi_actor), "verb": {"id": VOIDED_VERB, "display": {"en-US": "voided"}},
        "object": {"objectType": "StatementRef", "id": piece.statement_id}}],
        authority=_authority(base_url), clock=clock)


def file_of(session: Session, piece: EvidencePiece, sha2: str) -> tuple[dict[str, object], bytes] | None:
    """(the file as the piece names it, its bytes), or None when the piece has no such file."""
    described = next((f for f in piece.files if f.get("sha2") == sha2), None)
    if described is None:
        return None
    content = session.scalar(select(Attachment.content).where(Attachment.sha2 == sha2))
    return (described, bytes(content)) if content is not None else None
