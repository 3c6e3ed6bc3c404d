"""The pieces learners added themselves (plugin.learner_evidence) as the exports show and pack them: each
piece's own account, link and files, the files' bytes read from Samattha's LRS by their SHA-256.

A file's place in a course ZIP is made of the learner's and the piece's ids, the file's hash and its name with
everything but letters, digits, dots and dashes replaced, so no name a learner chose reaches outside its folder
or collides with another file."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from plugin.models import Course
from plugin.models.learner_evidence import EvidencePiece
from xapi.models import Attachment

__all__ = ["NO_PIECES", "LearnerPieces", "file_path", "learner_pieces", "pieces_shown", "verified"]

_UNSAFE = re.compile(r"[^\w\u0e00-\u0e7f.-]+")  # \w misses Thai vowel and tone marks


@dataclass(frozen=True)
class LearnerPieces:
    """``pieces``: statement id → piece (``id``, ``learner``, ``account``, ``link``, ``created_at``, ``files``
    [{``name``, ``content_type``, ``size``, ``sha2``}]); ``read``: a file's bytes by SHA-256, None when absent."""

    pieces: Mapping[str, Mapping[str, Any]]
    read: Callable[[str], bytes | None]


NO_PIECES = LearnerPieces({}, lambda _sha2: None)


def learner_pieces(session: Session, course: Course, learner_id: int | None = None) -> LearnerPieces:
    """Every piece added in ``course`` (by one learner when ``learner_id`` is given), withdrawn ones too: a
    snapshot compiled before a piece was withdrawn still shows it, and the export shows the snapshot."""
    query = select(EvidencePiece).where(EvidencePiece.course_id == course.id)
    if learner_id is not None:
        query = query.where(EvidencePiece.user_id == learner_id)
    pieces = {p.statement_id: {"id": p.id, "learner": str(p.user_id), "account": p.account, "link": p.link,
                               "created_at": p.created_at, "files": [dict(f) for f in p.files]}
              for p in session.scalars(query)}

    def read(sha2: str) -> bytes | None:
        content = session.scalar(select(Attachment.content).where(Attachment.sha2 == sha2))
        return None if content is None else bytes(content)

    return LearnerPieces(pieces, read)


def file_path(piece: Mapping[str, Any], described: Mapping[str, Any]) -> str:
    """``evidence/<learner id>/<piece id>/<first 16 hex of SHA-256>-<sanitised name>``."""
    name = _UNSAFE.sub("-", unicodedata.normalize("NFC", str(described["name"]))).lstrip(".-")[-80:]
    stem = f"{str(described['sha2'])[:16]}-{name}" if name else str(described["sha2"])[:16]
    return f"evidence/{int(piece['learner'])}/{int(piece['id'])}/{stem}"


def _size_text(size: int) -> str:
    # Unit symbols read the same in Thai and English; binary units, as the upload limit is given.
    for unit, scale in (("MB", 2**20), ("KB", 2**10)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}"
    return f"{size} B"


def pieces_shown(document: Mapping[str, Any], pieces: Mapping[str, Mapping[str, Any]], *,
                 packed: bool) -> dict[str, dict[str, Any]]:
    """The pieces ``document`` files as evidence (statement id → piece), each file with ``path``, its place in a
    course ZIP when ``packed`` (else None), ``href``, the link the HTML gives it (the same relative path), and
    ``size_text``."""
    shown: dict[str, dict[str, Any]] = {}
    for evidence in document["evidence"]:
        piece = pieces.get(evidence["id"]) if evidence.get("source") == "learner" else None
        if piece is not None:
            files = [{**f, "path": (path := file_path(piece, f) if packed else None), "href": path,
                      "size_text": _size_text(int(f["size"]))} for f in piece["files"]]
            shown[evidence["id"]] = {**piece, "exported": True, "files": files}
    return shown


def verified(read: Callable[[str], bytes | None], sha2: str) -> bytes:
    """The file's bytes, checked against the hash its piece and statement name: an export never packs a file
    that is not what the record says."""
    data = read(sha2)
    if data is None or hashlib.sha256(data).hexdigest() != sha2:
        raise LookupError(f"the LRS holds no attachment with SHA-256 {sha2}")
    return data
