"""Pure preparation of validated Statements for storage: the LRS-assigned properties and the index rows.

No I/O and no clock: the id factory and the ``stored`` moment are passed in (house style, lrsql's
"input builders").  xAPI 1.0.3 §2.4.8 (stored), §2.4.9 (authority), §2.4.10 (version) and
Part Three §2.1.3 (what the ``agent``/``activity`` filters, and their ``related_*`` forms, match).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from xapi import jsontext
from xapi.validation_time import utc_text

__all__ = [
    "VOIDED_VERB",
    "Prepared",
    "comparable",
    "activity_definitions",
    "format_stored",
    "ifi_of",
    "index_key",
    "prepare_statement",
    "to_micros",
]

VOIDED_VERB = "http://adlnet.gov/expapi/verbs/voided"
JsonObject = dict[str, Any]
_CONTEXT_ACTIVITY_KINDS = ("parent", "grouping", "category", "other")


@dataclass
class Prepared:
    """A statement ready to insert: the row for ``lrs_statements`` and its link rows."""

    statement_id: str
    received: JsonObject
    full: JsonObject
    row: dict[str, Any]
    agents: list[dict[str, Any]] = field(default_factory=list)
    activities: list[dict[str, Any]] = field(default_factory=list)


def to_micros(moment: datetime) -> int:
    delta = moment.astimezone(UTC) - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


@lru_cache(maxsize=16)  # a batch shares one stored moment
def format_stored(micros: int) -> str:
    """RFC 3339 in UTC with microseconds, so ``since=<stored>`` is exact (xAPI 1.0.3 §2.4.8)."""
    seconds, fraction = divmod(micros, 1_000_000)
    moment = datetime.fromtimestamp(seconds, UTC)
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{fraction:06d}Z"


def index_key(value: str) -> str:
    """The value as stored in an indexed column: long or NUL-bearing values by their SHA-256, so any
    IRI fits a B-tree entry and text columns never see NUL.  The limit is in characters and in UTF-8
    bytes: three such keys together must stay under PostgreSQL's ~2.7 kB index row."""
    if len(value) <= 500 and "\x00" not in value and len(value.encode("utf-8", "surrogatepass")) <= 700:
        return value
    return "sha256:" + hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()


def ifi_of(agent: object) -> str | None:
    """The Inverse Functional Identifier of an Agent or identified Group as one (index) string, or None."""
    ifi = _ifi(agent)
    return None if ifi is None else index_key(ifi)


def _ifi(agent: object) -> str | None:
    if not isinstance(agent, dict):
        return None
    for name in ("mbox", "mbox_sha1sum", "openid"):
        value = agent.get(name)
        if isinstance(value, str):
            return f"{name}::{value.lower() if name == 'mbox_sha1sum' else value}"
    account = agent.get("account")
    if isinstance(account, dict):
        return f"account::{account.get('name')}@{account.get('homePage')}"
    return None


def _agent_ifis(agent: object, direct: bool) -> Iterator[tuple[str, bool]]:
    """An Agent or Group and, for Groups, its members (members only match ``related_agents``)."""
    if not isinstance(agent, dict):
        return
    ifi = ifi_of(agent)
    if ifi is not None:
        yield ifi, direct
    for member in agent.get("member") or ():
        member_ifi = ifi_of(member)
        if member_ifi is not None:
            yield member_ifi, False


def _context_agents(context: object) -> Iterator[tuple[str, bool]]:
    if not isinstance(context, dict):
        return
    yield from _agent_ifis(context.get("instructor"), False)
    yield from _agent_ifis(context.get("team"), False)
    # xAPI 2.0 §4.2.2.3 contextAgents / contextGroups count as related agents.
    for entry in context.get("contextAgents") or ():
        yield from _agent_ifis(entry.get("agent") if isinstance(entry, dict) else None, False)
    for entry in context.get("contextGroups") or ():
        yield from _agent_ifis(entry.get("group") if isinstance(entry, dict) else None, False)


def _statement_agents(stmt: JsonObject, direct: bool) -> Iterator[tuple[str, bool]]:
    yield from _agent_ifis(stmt.get("actor"), direct)
    obj = stmt.get("object") or {}
    kind = obj.get("objectType")
    if kind in ("Agent", "Group"):
        yield from _agent_ifis(obj, direct)
    elif kind == "SubStatement":
        yield from _statement_agents(obj, False)
    yield from _context_agents(stmt.get("context"))


def _context_activities(context: object) -> Iterator[JsonObject]:
    if not isinstance(context, dict):
        return
    activities = context.get("contextActivities") or {}
    for kind in _CONTEXT_ACTIVITY_KINDS:
        value = activities.get(kind)
        # 1.0.3 §2.4.6.2 lets a single Activity stand for a one-element array.
        yield from ([value] if isinstance(value, dict) else value or ())


def _statement_activities(stmt: JsonObject, direct: bool) -> Iterator[tuple[JsonObject, bool]]:
    obj = stmt.get("object") or {}
    kind = obj.get("objectType", "Activity")
    if kind == "Activity":
        yield obj, direct
    elif kind == "SubStatement":
        yield from _statement_activities(obj, False)
    for activity in _context_activities(stmt.get("context")):
        yield activity, False


def activity_definitions(stmt: JsonObject) -> Iterator[tuple[str, JsonObject]]:
    """(activity IRI, definition) for every Activity with a definition, for the Activities Resource."""
    for activity, _direct in _statement_activities(stmt, True):
        if isinstance(activity.get("definition"), dict):
            yield index_key(activity["id"]), activity["definition"]


def _merge_links(pairs: Iterator[tuple[str, bool]]) -> dict[str, bool]:
    merged: dict[str, bool] = {}
    for key, direct in pairs:
        merged[key] = merged.get(key, False) or direct
    return merged


_DURATION_TAIL = re.compile(r"(\d+[.,]\d{2})\d+S$")


def comparable(stmt: JsonObject) -> JsonObject:
    """A statement as compared for equality: xAPI 2.0 §4.2.7, durations only to 0.01 s."""
    result = stmt.get("result")
    if isinstance(result, dict) and isinstance(result.get("duration"), str):
        duration = _DURATION_TAIL.sub(r"\1S", result["duration"])
        if duration != result["duration"]:
            return {**stmt, "result": {**result, "duration": duration}}
    return stmt


def _with_activity_arrays(stmt: JsonObject) -> JsonObject:
    """1.0.3 §2.4.6.2: a single context Activity is returned as a one-element array (suite XAPI-00096)."""
    context = stmt.get("context")
    obj = stmt.get("object")
    if isinstance(obj, dict) and obj.get("objectType") == "SubStatement":
        fixed = _with_activity_arrays(obj)
        if fixed is not obj:
            stmt = {**stmt, "object": fixed}
    activities = context.get("contextActivities") if isinstance(context, dict) else None
    if not isinstance(activities, dict) or not any(isinstance(v, dict) for v in activities.values()):
        return stmt
    arrays = {kind: [value] if isinstance(value, dict) else value for kind, value in activities.items()}
    return {**stmt, "context": {**context, "contextActivities": arrays}}  # type: ignore[dict-item]


def _full_statement(exact: JsonObject, received: JsonObject, version: str) -> JsonObject:
    """The statement as the other formats start from it: ``exact`` itself unless xAPI 2.0 §4.2.7 (timestamps
    returned normalised to UTC) changes the timestamp."""
    if version.startswith("2.") and "timestamp" in received:
        normalised = utc_text(received["timestamp"], version=version)
        if normalised != received["timestamp"]:
            return {**exact, "timestamp": normalised}
    return exact


def prepare_statement(
    received: JsonObject,
    *,
    new_id: Callable[[], str],
    stored_us: int,
    authority: JsonObject,
    version: str,
    credential_key: str | None = None,
) -> Prepared:
    """Assign id (if absent), stored, authority and version, and compute the indexed columns and links."""
    received = _with_activity_arrays(received)
    statement_id = str(received.get("id") or new_id()).lower()
    additions: JsonObject = {"id": statement_id, "stored": format_stored(stored_us), "authority": authority}
    # §2.4.10: version defaults to 1.0.0 for 1.0.x requests; 2.0 statements carry 2.0.0.
    additions["version"] = received.get("version") or ("2.0.0" if version.startswith("2.") else "1.0.0")
    # format=exact (Part Three §2.1.3) returns what was received, plus what the LRS assigned.
    exact = {**received, **additions}
    # xAPI 1.0.3 §2.4.7: if not provided, the LRS SHOULD set timestamp to stored.
    exact.setdefault("timestamp", additions["stored"])
    raw = jsontext.dumps(exact)
    full = _full_statement(exact, received, version)
    obj = received["object"]
    kind = obj.get("objectType", "Activity")
    verb = received["verb"]["id"]
    registration = (received.get("context") or {}).get("registration")
    row = {
        "statement_id": statement_id,
        "stored_us": stored_us,
        "verb_iri": index_key(verb),
        "registration": registration.lower() if isinstance(registration, str) else None,
        "actor_ifi": ifi_of(received["actor"]),
        "target_id": obj["id"].lower() if kind == "StatementRef" else None,
        "is_voiding": verb == VOIDED_VERB,
        "voided": False,
        "credential_key": credential_key,
        "raw": raw,
        # JSON text, as the driver takes it; NULL when the statement holds a NUL (JSONB cannot).
        "full": None if "\\u0000" in raw else raw if full is exact else jsontext.dumps(full),
    }
    agents = _merge_links(_statement_agents(received, True))
    agents.update(_merge_links(iter([(ifi, False) for ifi, _ in _agent_ifis(authority, False) if ifi not in agents])))
    activities = _merge_links((index_key(a["id"]), direct) for a, direct in _statement_activities(received, True))
    return Prepared(
        statement_id=statement_id,
        received=received,
        full=full,
        row=row,
        agents=[
            {"statement_id": statement_id, "ifi": k, "direct": d, "stored_us": stored_us, "verb_iri": row["verb_iri"]}
            for k, d in agents.items()
        ],
        activities=[
            {"statement_id": statement_id, "activity_iri": k, "direct": d, "stored_us": stored_us}
            for k, d in activities.items()
        ],
    )
