"""The active LTI registrations (platforms and their deployment ids), kept per process.

Every login and launch reads them, and every HTML page's frame-ancestors header names the platforms they trust;
yet they change only when a platform is registered, re-registered, given a deployment or switched off. Read each
time, they were 8 of the 17 SQL statements of a login and its launch.

How a change takes effect. A version column would be exact across processes, but checking it is itself a round
trip on every request, which is most of what reading the table cost. Instead:
- a write through the ORM in this process (dynamic registration, ``samattha platforms add``, a test's session)
  empties every cache of the process when its transaction commits; a read that overlapped that commit is not kept;
- a registration, client ID or deployment a login or launch does not find is read again from the database before
  it is refused (``active(..., fresh=True)``), so one added by another process works at its first launch;
- anything else another process changes (a registration switched off, an edited URL, a new platform for the
  frame-ancestors header) is seen within ``TTL`` seconds. Samattha writes registrations only through the ORM;
  a hand-made UPDATE in SQL is likewise seen after ``TTL``.
"""

from __future__ import annotations

import threading
import time
import weakref
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, object_session

import lti
from plugin.models import Deployment, Platform

__all__ = ["TTL", "Active", "active", "cached"]

TTL = 5.0  # seconds another process's change may take to count here; one read per TTL is nothing beside launches
_WRITTEN = "samattha.lti_registrations_written"


@dataclass(frozen=True)
class Active:
    by_issuer: dict[str, list[lti.Registration]]
    platform_ids: dict[tuple[str, str], int]  # (issuer, client_id) → lti_platforms.id

    @property
    def issuers(self) -> list[str]:
        return list(self.by_issuer)

    def registrations(self, issuer: str) -> list[lti.Registration]:
        return self.by_issuer.get(issuer, [])


@dataclass(frozen=True)
class _Entry:
    active: Active
    generation: int
    read_at: float


_lock = threading.Lock()
_generation = 0  # bumped by every commit that wrote a registration in this process
_entries: weakref.WeakKeyDictionary[Engine, _Entry] = weakref.WeakKeyDictionary()


def to_registration(platform: Platform) -> lti.Registration:
    return lti.Registration(
        issuer=platform.issuer, client_id=platform.client_id, auth_login_url=platform.auth_login_url,
        auth_token_url=platform.auth_token_url, key_set_url=platform.key_set_url,
        deployment_ids=tuple(d.deployment_id for d in platform.deployments), auth_audience=platform.auth_audience,
    )


def cached(engine: Engine) -> Active | None:
    """The registrations as last read for ``engine``, or None when they must be read again."""
    entry = _entries.get(engine)
    if entry is None or entry.generation != _generation or time.monotonic() - entry.read_at >= TTL:
        return None
    return entry.active


def active(session: Session, *, fresh: bool = False) -> Active:
    """Every active registration, from the cache unless it is stale or ``fresh`` is asked for."""
    engine = session.get_bind().engine
    found = None if fresh else cached(engine)
    if found is not None:
        return found
    generation, read_at = _generation, time.monotonic()
    by_issuer: dict[str, list[lti.Registration]] = {}
    platform_ids: dict[tuple[str, str], int] = {}
    for row in session.scalars(select(Platform).where(Platform.active.is_(True)).order_by(Platform.id)):
        by_issuer.setdefault(row.issuer, []).append(to_registration(row))
        platform_ids[(row.issuer, row.client_id)] = row.id
    found = Active(by_issuer, platform_ids)
    with _lock:
        if generation == _generation:  # a registration committed while we read: let the next request read again
            _entries[engine] = _Entry(found, generation, read_at)
    return found


def _written(_mapper: Any, _connection: Any, target: Platform | Deployment) -> None:
    session = object_session(target)
    if session is not None:
        session.info[_WRITTEN] = True


def _committed(session: Session) -> None:
    global _generation
    if session.info.pop(_WRITTEN, False):
        with _lock:
            _generation += 1


for _model in (Platform, Deployment):
    for _change in ("after_insert", "after_update", "after_delete"):
        event.listen(_model, _change, _written)
# A write rolled back leaves its mark until the session's next commit: one needless read, never a stale one.
event.listen(Session, "after_commit", _committed)
