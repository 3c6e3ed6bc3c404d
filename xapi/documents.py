"""State, Activity Profile and Agent Profile documents (xAPI 1.0.3 Part Three §2.2-§2.7, §3.1 concurrency).

ETags are the quoted SHA-1 of the content (§3.1).  POST merges JSON objects key by key (§2.2 "JSON
Procedure with Requirements"); anything else must be PUT.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from xapi.models import Document

__all__ = [
    "DocumentError",
    "DocumentKey",
    "delete_documents",
    "document_ids",
    "get_document",
    "save_document",
]

JSON_TYPE = "application/json"


class DocumentError(Exception):
    """A document request that cannot be honoured: 400, 409 or 412."""

    def __init__(self, status: int, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.status = status
        self.path = path
        self.message = message


@dataclass(frozen=True)
class DocumentKey:
    """Which documents a request addresses; '' for a part the resource does not use."""

    kind: str  # "state" | "activity_profile" | "agent_profile"
    activity_iri: str = ""
    agent_ifi: str = ""
    registration: str = ""
    document_id: str = ""


@dataclass(frozen=True)
class Preconditions:
    if_match: str | None = None
    if_none_match: str | None = None
    # Profiles (1.0.3 §3.1) and every document in 2.0 (§4.1.4): a PUT over an existing document
    # without If-Match / If-None-Match is a 409.
    require_on_put: bool = False
    strict_new: bool = False


def _where(key: DocumentKey, *, with_id: bool) -> list[Any]:
    conditions = [
        Document.kind == key.kind,
        Document.activity_iri == key.activity_iri,
        Document.agent_ifi == key.agent_ifi,
    ]
    if key.kind == "state":
        conditions.append(Document.registration == key.registration)
    if with_id:
        conditions.append(Document.document_id == key.document_id)
    return conditions


def etag_of(content: bytes) -> str:
    return '"' + hashlib.sha1(content, usedforsecurity=False).hexdigest() + '"'


def get_document(session: Session, key: DocumentKey) -> Document | None:
    return session.scalars(select(Document).where(*_where(key, with_id=True))).first()


def document_ids(session: Session, key: DocumentKey, since_us: int | None) -> tuple[list[str], int | None]:
    """The ids of the documents ``key`` addresses (updated after ``since_us``, if given), and the newest of their
    ``updated`` moments (None for none)."""
    query = (select(Document.document_id, Document.updated_us).where(*_where(key, with_id=False))
             .order_by(Document.document_id))
    if since_us is not None:
        query = query.where(Document.updated_us > since_us)
    rows = session.execute(query).all()
    return [row.document_id for row in rows], max((row.updated_us for row in rows), default=None)


def _matches(header: str, current: Document | None) -> bool:
    tags = [tag.strip() for tag in header.split(",")]
    if "*" in tags:
        return current is not None
    return current is not None and any(tag.removeprefix("W/") == current.etag for tag in tags)


def check_preconditions(current: Document | None, pre: Preconditions, *, method: str) -> None:
    """RFC 7232 If-Match / If-None-Match as xAPI 1.0.3 Part Three §3.1 applies them."""
    if pre.if_match is not None and not _matches(pre.if_match, current):
        raise DocumentError(412, "If-Match", "the document has changed (or does not exist)")
    if pre.if_none_match is not None and _matches(pre.if_none_match, current):
        raise DocumentError(412, "If-None-Match", "the document already exists")
    if method == "PUT" and pre.require_on_put and pre.if_match is None and pre.if_none_match is None:
        if current is not None:
            raise DocumentError(409, "If-Match", "the document exists: send If-Match with its ETag")
        if pre.strict_new:
            # 1.0.3 Part Three §2.6/§2.7 (suite XAPI-00273): profile PUTs carry If-Match or If-None-Match.
            raise DocumentError(400, "If-None-Match", "a PUT needs If-Match or If-None-Match: *")


def _merge(current: Document, content: bytes, content_type: str) -> bytes:
    """POST on an existing document: both must be JSON objects, merged shallowly (§2.2)."""
    try:
        old = json.loads(current.content) if current.content_type.startswith(JSON_TYPE) else None
        new = json.loads(content) if content_type.startswith(JSON_TYPE) else None
    except ValueError:
        old = new = None
    if not isinstance(old, dict) or not isinstance(new, dict):
        raise DocumentError(400, "body", "POST can only merge a JSON object into a JSON object document")
    # A document PUT is stored as sent, and may hold a lone surrogate escape, which UTF-8 cannot encode:
    # written back as the same escape ("\\ud800"), it keeps its meaning and the merge does not fail.
    merged = json.dumps({**old, **new}, ensure_ascii=False, separators=(",", ":"))
    return merged.encode("utf-8", "backslashreplace")


def save_document(
    session: Session, key: DocumentKey, content: bytes, content_type: str, *, merge: bool, pre: Preconditions,
    now_us: int,
) -> str:
    """PUT (replace) or POST (merge); returns the new ETag."""
    current = get_document(session, key)
    check_preconditions(current, pre, method="POST" if merge else "PUT")
    if merge and content_type.startswith(JSON_TYPE):
        try:
            if not isinstance(json.loads(content), dict):
                raise ValueError
        except ValueError:
            raise DocumentError(400, "body", "POST needs a JSON object") from None
    if merge and current is not None:
        content, content_type = _merge(current, content, content_type), JSON_TYPE
    etag = etag_of(content)
    if current is None:
        current = Document(
            kind=key.kind, activity_iri=key.activity_iri, agent_ifi=key.agent_ifi, registration=key.registration,
            document_id=key.document_id, content=b"", content_type="", etag="", updated_us=0,
        )
        session.add(current)
    current.content, current.content_type, current.etag, current.updated_us = content, content_type, etag, now_us
    session.flush()
    return etag


def delete_documents(session: Session, key: DocumentKey, *, single: bool, pre: Preconditions) -> None:
    if single:
        check_preconditions(get_document(session, key), pre, method="DELETE")
    session.execute(delete(Document).where(*_where(key, with_id=single)))
