"""The tool's signing keys, stored in the database (never in the repository).

Rotation (Security Framework §6.3): ``rotate`` adds a key that signs from then on while the old one stays
published, so platforms that cached our JWKS still verify tokens signed just before; ``retire`` stops
publishing old keys once nothing they signed can still be in flight."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

import lti
from plugin.models import SigningKey

__all__ = ["current_key", "list_keys", "published_keys", "retire_keys", "rotate_key"]


def _to_tool_key(row: SigningKey) -> lti.ToolKey:
    return lti.ToolKey(kid=row.kid, private_pem=row.private_pem)


def _unretired(session: Session) -> list[SigningKey]:
    query = select(SigningKey).where(SigningKey.retired_at.is_(None)).order_by(SigningKey.id.desc())
    return list(session.scalars(query))


def rotate_key(session: Session, *, now: datetime) -> SigningKey:
    key = lti.generate_key()
    row = SigningKey(kid=key.kid, private_pem=key.private_pem, created_at=now)
    session.add(row)
    session.flush()
    return row


def current_key(session: Session, *, now: datetime) -> lti.ToolKey:
    """The newest unretired key; the first one is generated on first need (JWKS request or signing)."""
    keys = _unretired(session)
    if keys:
        return _to_tool_key(keys[0])
    # The first key is committed on its own at once: the platform verifies what we sign by fetching our
    # JWKS in another request (another transaction), possibly before the caller commits.
    with Session(session.get_bind()) as own:
        key = _to_tool_key(rotate_key(own, now=now))
        own.commit()
    return key


def published_keys(session: Session, *, now: datetime) -> list[lti.ToolKey]:
    """Every unretired key, newest first (what ``/.well-known/jwks.json`` serves)."""
    keys = _unretired(session)
    return [_to_tool_key(row) for row in keys] if keys else [current_key(session, now=now)]


def retire_keys(session: Session, *, now: datetime, kid: str | None = None) -> list[str]:
    """Retire ``kid``, or every key but the current one. The current key cannot be retired: the tool
    would have nothing to sign with; rotate first."""
    keys = _unretired(session)
    if not keys:
        return []
    current = keys[0]
    if kid is not None:
        targets = [row for row in keys if row.kid == kid]
        if not targets:
            raise LookupError(f"no unretired key has kid {kid!r}")
        if targets[0] is current:
            raise ValueError("the current signing key cannot be retired; run `samattha keys rotate` first")
    else:
        targets = keys[1:]
    for row in targets:
        row.retired_at = now
    session.flush()
    return [row.kid for row in targets]


def list_keys(session: Session) -> list[SigningKey]:
    return list(session.scalars(select(SigningKey).order_by(SigningKey.id)))
