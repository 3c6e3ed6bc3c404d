"""LRS credentials: Basic auth keys and secrets, secrets stored as salted scrypt hashes, xAPI scopes.

Scopes are the xAPI 1.0.3 Part Three §4.2 OAuth scope names; the same names govern Basic credentials.
Verifying scrypt on every request would dominate a single-statement POST, so a verified (key, secret
digest) pair is remembered in-process; the credential row itself is still read on each request, so a
revocation takes effect at once.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from xapi.models import Credential
from xapi.prepare import to_micros

__all__ = [
    "SCOPES",
    "AuthError",
    "Principal",
    "authenticate",
    "create_credential",
    "list_credentials",
    "revoke_credential",
]

SCOPES = (
    "statements/write",
    "statements/read",
    "statements/read/mine",
    "state",
    "define",
    "profile",
    "all/read",
    "all",
)
DEFAULT_HOME_PAGE = "https://samattha.invalid/lrs/credentials"
# RFC 7914 parameters: 16 MiB and some tens of milliseconds per verification.
_SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 32}
_verified: dict[str, bytes] = {}
_verified_lock = threading.Lock()


class AuthError(Exception):
    """Missing or wrong credentials (401) or a scope that does not allow the request (403)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class Principal:
    key: str
    name: str
    scopes: frozenset[str]
    authority: dict[str, Any]

    def allows(self, *wanted: str) -> bool:
        return "all" in self.scopes or any(scope in self.scopes for scope in wanted)


def _hash(secret: str, salt: bytes) -> bytes:
    return hashlib.scrypt(secret.encode(), salt=salt, **_SCRYPT)


def create_credential(
    session: Session,
    *,
    name: str,
    scopes: Iterable[str],
    now: datetime,
    expires_at: datetime | None = None,
    actor: dict[str, Any] | None = None,
    registration: str | None = None,
) -> tuple[str, str]:
    """Issue a key and secret; only the secret's hash is kept, so show the secret once."""
    wanted = list(dict.fromkeys(scopes)) or ["statements/write", "statements/read/mine"]
    unknown = [scope for scope in wanted if scope not in SCOPES]
    if unknown:
        raise ValueError(f"unknown scope(s): {', '.join(unknown)} (known: {', '.join(SCOPES)})")
    key, secret, salt = secrets.token_hex(16), secrets.token_urlsafe(32), secrets.token_bytes(16)
    # §2.4.9: the authority of statements stored with this credential.
    authority = actor or {"objectType": "Agent", "name": name, "account": {"homePage": DEFAULT_HOME_PAGE, "name": key}}
    session.add(
        Credential(
            key=key, name=name, salt=salt, secret_hash=_hash(secret, salt), scopes=wanted, authority=authority,
            registration=registration, created_us=to_micros(now),
            expires_us=to_micros(expires_at) if expires_at else None, revoked_us=None,
        )
    )
    session.flush()
    return key, secret


def revoke_credential(session: Session, key: str, *, now: datetime) -> bool:
    credential = session.get(Credential, key)
    if credential is None or credential.revoked_us is not None:
        return False
    credential.revoked_us = to_micros(now)
    with _verified_lock:
        _verified.pop(key, None)
    return True


def list_credentials(session: Session) -> list[dict[str, Any]]:
    rows = session.scalars(select(Credential).order_by(Credential.created_us))
    return [
        {
            "key": row.key, "name": row.name, "scopes": list(row.scopes), "created_us": row.created_us,
            "expires_us": row.expires_us, "revoked": row.revoked_us is not None,
        }
        for row in rows
    ]


def _secret_matches(credential: Credential, secret: str) -> bool:
    digest = hashlib.sha256(credential.salt + secret.encode()).digest()
    with _verified_lock:
        known = _verified.get(credential.key)
    if known is not None and hmac.compare_digest(known, digest):
        return True
    if not hmac.compare_digest(_hash(secret, credential.salt), credential.secret_hash):
        return False
    with _verified_lock:
        _verified[credential.key] = digest
    return True


def authenticate(session: Session, key: str | None, secret: str | None, *, now: datetime) -> Principal:
    """The Principal behind Basic credentials, or AuthError(401)."""
    if not key or secret is None:
        raise AuthError(401, "credentials required (HTTP Basic)")
    credential = session.get(Credential, key) if len(key) <= 64 else None
    if credential is None or not _secret_matches(credential, secret):
        raise AuthError(401, "unknown key or wrong secret")
    moment = to_micros(now)
    if credential.revoked_us is not None or (credential.expires_us is not None and credential.expires_us <= moment):
        raise AuthError(401, "credential revoked or expired")
    return Principal(
        key=credential.key, name=credential.name, scopes=frozenset(credential.scopes), authority=credential.authority
    )
