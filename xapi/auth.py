"""LRS credentials: Basic auth keys and secrets, secrets stored as salted scrypt hashes, xAPI scopes.

Scopes are the xAPI 1.0.3 Part Three §4.2 OAuth scope names; the same names govern Basic credentials.
Verifying scrypt on every request would dominate a single-statement POST, so a verified key is remembered
in-process with its secret's digest and what it grants; its revocation and expiry are still read on each
request, so a revocation takes effect at once.
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

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from xapi import sqltext
from xapi.models import Credential
from xapi.prepare import ifi_of, to_micros
from xapi.validation_values import is_uuid

__all__ = [
    "SCOPES",
    "AuthError",
    "Principal",
    "authenticate",
    "create_credential",
    "create_launch_credential",
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
_verified: dict[str, _Verified] = {}
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
    # Set for launch credentials: the one agent (and its IFI) and registration they may act for.
    agent: dict[str, Any] | None = None
    agent_ifi: str | None = None
    registration: str | None = None

    @property
    def bound(self) -> bool:
        return self.agent_ifi is not None

    def as_dict(self) -> dict[str, Any]:
        """What a statement guard is told about the credential."""
        return {"key": self.key, "name": self.name, "agent": self.agent, "registration": self.registration,
                "scopes": sorted(self.scopes)}

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


# A launched content package writes and reads its own statements and keeps its state and profiles.
LAUNCH_SCOPES = ("statements/write", "statements/read/mine", "state", "profile")


def create_launch_credential(
    session: Session, *, name: str, agent: dict[str, Any], registration: str, expires_at: datetime, now: datetime
) -> tuple[str, str]:
    """A key and secret for one launch: only ``agent``'s statements and documents, only in ``registration``,
    until ``expires_at``."""
    agent_ifi = ifi_of(agent)
    if agent_ifi is None:
        raise ValueError("agent: must have an Inverse Functional Identifier (mbox, mbox_sha1sum, openid, account)")
    if not is_uuid(registration):
        raise ValueError("registration: must be a UUID")
    key, secret = create_credential(session, name=name, scopes=LAUNCH_SCOPES, now=now, expires_at=expires_at,
                                    registration=registration.lower())
    session.execute(update(Credential).where(Credential.key == key).values(agent=agent, agent_ifi=agent_ifi))
    return key, secret


def revoke_credential(session: Session, key: str, *, now: datetime) -> bool:
    credential = session.get(Credential, key)
    if credential is None or credential.revoked_us is not None:
        return False
    credential.revoked_us = to_micros(now)
    with _verified_lock:
        _verified.pop(key, None)
    return True


def list_credentials(session: Session, *, now: datetime) -> list[dict[str, Any]]:
    """Every credential with its ``state`` at ``now``: "active", "expired" or "revoked", as the LRS answers it."""
    now_us = to_micros(now)
    rows = session.scalars(select(Credential).order_by(Credential.created_us))
    return [
        {
            "key": row.key, "name": row.name, "scopes": list(row.scopes), "created_us": row.created_us,
            "expires_us": row.expires_us, "revoked": row.revoked_us is not None,
            "state": _standing(row.revoked_us, row.expires_us, now_us),
        }
        for row in rows
    ]


def _standing(revoked_us: int | None, expires_us: int | None, now_us: int) -> str:
    if revoked_us is not None:
        return "revoked"
    return "expired" if expires_us is not None and expires_us <= now_us else "active"


_COLUMNS = (Credential.key, Credential.name, Credential.salt, Credential.secret_hash, Credential.scopes,
            Credential.authority, Credential.agent, Credential.agent_ifi, Credential.registration,
            Credential.expires_us, Credential.revoked_us)


# Built once: constructing the expression would cost as much as running it.
_BY_KEY = select(*_COLUMNS).where(Credential.key == bindparam("key"))
_STANDING = select(Credential.revoked_us, Credential.expires_us).where(Credential.key == bindparam("key"))


@dataclass(frozen=True)
class _Verified:
    """A key whose secret passed scrypt: its salt, sha256(salt + secret), and what the credential grants
    (none of which changes after issue; revocation and expiry are read on every request)."""

    salt: bytes
    digest: bytes
    principal: Principal


def _digest(salt: bytes, secret: str) -> bytes:
    return hashlib.sha256(salt + secret.encode()).digest()


def _verify(session: Session, key: str, secret: str) -> _Verified | None:
    row = session.connection().execute(_BY_KEY, {"key": key}).first()
    if row is None or not hmac.compare_digest(_hash(secret, row.salt), row.secret_hash):
        return None
    principal = Principal(
        key=row.key, name=row.name, scopes=frozenset(row.scopes), authority=row.authority,
        agent=row.agent, agent_ifi=row.agent_ifi, registration=row.registration,
    )
    verified = _Verified(salt=row.salt, digest=_digest(row.salt, secret), principal=principal)
    with _verified_lock:
        _verified[key] = verified
    return verified


def authenticate(session: Session, key: str | None, secret: str | None, *, now: datetime) -> Principal:
    """The Principal behind Basic credentials, or AuthError(401)."""
    if not key or secret is None:
        raise AuthError(401, "credentials required (HTTP Basic)")
    # Keys are hex; anything else (a NUL, which PostgreSQL refuses in text) cannot match one.
    if not (len(key) <= 64 and key.isascii() and key.isalnum()):
        raise AuthError(401, "unknown key or wrong secret")
    with _verified_lock:
        verified = _verified.get(key)
    if verified is None or not hmac.compare_digest(verified.digest, _digest(verified.salt, secret)):
        verified = _verify(session, key, secret)
    standing = sqltext.read_first(session.connection(), _STANDING, {"key": key}) if verified is not None else []
    if verified is None or not standing:
        raise AuthError(401, "unknown key or wrong secret")
    if _standing(standing[0][0], standing[0][1], to_micros(now)) != "active":
        raise AuthError(401, "credential revoked or expired")
    return verified.principal
