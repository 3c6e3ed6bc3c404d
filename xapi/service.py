"""Writing statements: the one path both the Statement Resource and the app's own code (recording assessors'
judgements) take, so ids, ``stored``, ``authority`` and the voiding rules are the same whoever writes.

Also the launch-credential binding (a content package may write only for its own agent and registration)
and the statement-guard and request-guard hooks through which a feature (cmi5 rules) may refuse a whole request.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import uuid_utils
from sqlalchemy import select
from sqlalchemy.orm import Session

from xapi.auth import Principal
from xapi.consistency import hold_writer_turn
from xapi.errors import StatementError
from xapi.models import Statement
from xapi.prepare import VOIDED_VERB, Prepared, ifi_of, prepare_statement, to_micros
from xapi.store import ConflictError, store_statements
from xapi.validation import validate_statements
from xapi.validation_agents import validate_authority

__all__ = [
    "GuardedRequest",
    "RequestGuard",
    "StatementGuard",
    "check_binding",
    "check_voiding_binding",
    "new_statement_id",
    "prepare_batch",
    "record_statements",
]

# guard(session, credential {key, name, agent, registration, scopes}, statements as they will be stored).
StatementGuard = Callable[[Session, dict[str, Any], list[dict[str, Any]]], None]


@dataclass(frozen=True)
class GuardedRequest:
    """A request a launch credential makes, as a request guard sees it before the LRS handles it: the resource
    ("statements", "activities/state", …), the method (that of the 1.0.3 alternate syntax when used), the
    parameters, and the body as sent."""

    resource: str
    method: str
    params: dict[str, str]
    content_type: str
    body: bytes


# request_guard(session, credential, request): may refuse any request of a launch credential (raise
# StatementError), or note what it read; called once the credential is known, before the request is handled.
RequestGuard = Callable[[Session, dict[str, Any], GuardedRequest], None]


def new_statement_id() -> str:
    """The id of a statement sent without one: a version 7 UUID (RFC 9562; variant 10, as xAPI asks of every
    UUID). Its first 48 bits are the time, so the LRS's id indexes grow at their end: with random (version 4)
    ids every statement of a batch dirtied its own page of each, and a batch of 1,000 into 200,000 stored
    statements wrote 8,400 pages to SQLite's log instead of 6,200."""
    return str(uuid_utils.uuid7())


def prepare_batch(
    batch: list[dict[str, Any]], *, stored_us: int, authority: dict[str, Any], version: str,
    credential_key: str | None,
) -> list[Prepared]:
    return [
        prepare_statement(s, new_id=new_statement_id, stored_us=stored_us, authority=authority,
                          version=version, credential_key=credential_key)
        for s in batch
    ]


def check_binding(principal: Principal, batch: list[dict[str, Any]]) -> None:
    """A launch credential writes only statements whose actor is its agent, in its registration (403)."""
    if not principal.bound:
        return
    for index, stmt in enumerate(batch):
        prefix = f"[{index}]." if len(batch) > 1 else ""
        if ifi_of(stmt.get("actor")) != principal.agent_ifi:
            raise StatementError(f"{prefix}actor", "this credential may only write statements for its own agent",
                                 status=403)
        registration = (stmt.get("context") or {}).get("registration")
        if not isinstance(registration, str) or registration.lower() != principal.registration:
            raise StatementError(f"{prefix}context.registration",
                                 "this credential may only write statements in its own registration", status=403)


def check_voiding_binding(session: Session, principal: Principal, batch: list[dict[str, Any]]) -> None:
    """A launch credential voids only statements of its own agent in its own registration (403).

    :func:`check_binding` looks at the voiding statement itself, whose actor and registration the credential
    chooses freely; the target is what voiding removes from every learner's record (xAPI 1.0.3 §2.3.2), so one
    learner's content could otherwise erase another's evidence. A target in the same batch has passed
    check_binding; any other must be stored already, as this agent's in this registration: an unknown id is
    refused too, or content could void another learner's statement before it arrives.
    """
    if not principal.bound:
        return
    wanted: dict[str, str] = {}
    for index, stmt in enumerate(batch):
        obj = stmt.get("object") or {}
        if stmt.get("verb", {}).get("id") == VOIDED_VERB and obj.get("objectType") == "StatementRef":
            wanted.setdefault(str(obj.get("id")).lower(), f"[{index}].object.id" if len(batch) > 1 else "object.id")
    in_batch = {str(s["id"]).lower() for s in batch if "id" in s}
    targets = sorted(wanted.keys() - in_batch)
    if not targets:
        return
    rows = session.execute(select(Statement.statement_id, Statement.actor_ifi, Statement.registration)
                           .where(Statement.statement_id.in_(targets)))
    own = {sid for sid, actor, registration in rows
           if actor == principal.agent_ifi and registration == principal.registration}
    for target in targets:
        if target not in own:
            raise StatementError(wanted[target], "this credential may only void statements of its own agent in "
                                                 "its own registration", status=403)


def record_statements(
    session: Session, statements: list[dict[str, Any]], *, authority: dict[str, Any], now: datetime | None = None,
    clock: Callable[[], datetime] | None = None, version: str = "1.0.3",
) -> list[str]:
    """Validate and store server-generated statements exactly as a POST would; the caller commits.

    ``stored`` is ``clock()`` read once this transaction holds the writer turn (xapi.consistency), which a
    writer outside an LRS request must give; or ``now`` as given, for a caller already holding the turn (a
    statement guard, inside the LRS's own write) or writing history on purpose (the demo's past weeks).
    Returns the statement ids in order (assigned when absent).  Raises StatementError on an invalid
    statement, an id already stored with different content, or a voiding statement that cannot void.
    """
    if not statements:
        return []
    validate_statements(statements, version=version)
    validate_authority(authority, "authority", version)
    if clock is not None:
        hold_writer_turn(session)
        now = clock()
    if now is None:
        raise TypeError("record_statements needs clock (or now)")
    client_ids = {str(s["id"]).lower() for s in statements if "id" in s}
    prepared = prepare_batch(statements, stored_us=to_micros(now), authority=authority, version=version,
                             credential_key=None)
    try:
        return store_statements(session, prepared, client_ids)
    except ConflictError as exc:
        raise StatementError("id", str(exc)) from None
