"""Statement queries (xAPI 1.0.3 Part Three §2.1.3): filters, a stable ``more`` cursor, StatementRef targets.

Every filter is an index range: the driving table is the agent or activity link table when those filters
are given (their (iri, stored_us) keys yield rows already in order), otherwise ``lrs_statements``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any

from sqlalchemy import Select, and_, bindparam, select, tuple_
from sqlalchemy.orm import Session, aliased

from xapi.models import Statement, StatementActivity, StatementAgent

__all__ = [
    "Cursor",
    "StatementFilters",
    "find_statements",
    "get_statement",
    "iter_statements",
    "query_statements",
]

Cursor = tuple[int, str]


@dataclass(frozen=True)
class StatementFilters:
    agent: str | None = None  # an IFI string (xapi.prepare.ifi_of)
    verb: str | None = None
    activity: str | None = None
    registration: str | None = None
    related_agents: bool = False
    related_activities: bool = False
    since_us: int | None = None
    until_us: int | None = None
    limit: int = 0
    ascending: bool = False
    credential_key: str | None = None  # statements/read/mine

    @property
    def has_match_filters(self) -> bool:
        return any(v is not None for v in (self.agent, self.verb, self.activity, self.registration))


@dataclass(frozen=True)
class _Shape:
    """Which filters a query has, not their values: the SQL is built once per shape (building it costs more
    than running it on a GET) and the values travel as bound parameters."""

    agent: bool
    verb: bool
    activity: bool
    registration: bool
    related_agents: bool
    related_activities: bool
    since: bool
    until: bool
    credential: bool
    cursor: bool
    ascending: bool

    @classmethod
    def of(cls, filters: StatementFilters, cursor: Cursor | None) -> _Shape:
        return cls(filters.agent is not None, filters.verb is not None, filters.activity is not None,
                   filters.registration is not None, filters.related_agents, filters.related_activities,
                   filters.since_us is not None, filters.until_us is not None, filters.credential_key is not None,
                   cursor is not None, filters.ascending)


def _values(filters: StatementFilters, cursor: Cursor | None) -> dict[str, Any]:
    values: dict[str, Any] = {"agent": filters.agent, "verb": filters.verb, "activity": filters.activity,
                              "registration": filters.registration.lower() if filters.registration else None,
                              "since": filters.since_us, "until": filters.until_us,
                              "credential": filters.credential_key}
    if cursor is not None:
        values["cursor_stored"], values["cursor_id"] = cursor
    return values


def _match_conditions(stmt: type[Statement] | Any, shape: _Shape) -> list[Any]:
    """The non-time filters applied to ``stmt`` (an alias of Statement)."""
    conditions: list[Any] = []
    if shape.verb:
        conditions.append(stmt.verb_iri == bindparam("verb"))
    if shape.registration:
        conditions.append(stmt.registration == bindparam("registration"))
    if shape.activity:
        activity = aliased(StatementActivity)
        # The link table's whole key (activity_iri, stored_us, statement_id): one lookup per candidate statement.
        where = [activity.activity_iri == bindparam("activity"), activity.stored_us == stmt.stored_us,
                 activity.statement_id == stmt.statement_id]
        if not shape.related_activities:
            where.append(activity.direct.is_(True))  # the statement's object (prepare._statement_activities)
        conditions.append(select(activity.statement_id).where(*where).exists())
    if shape.agent:
        agent = aliased(StatementAgent)
        where = [agent.ifi == bindparam("agent"), agent.stored_us == stmt.stored_us,
                 agent.statement_id == stmt.statement_id]
        if not shape.related_agents:
            where.append(agent.direct.is_(True))
        conditions.append(select(agent.statement_id).where(*where).exists())
    return conditions


def _page(query: Select[Any], shape: _Shape,
          order: tuple[Any, Any] = (Statement.stored_us, Statement.statement_id)) -> Select[Any]:
    """Time range, cursor and order on ``order`` (the driving table's (stored_us, statement_id))."""
    stored, statement_id = order
    key = tuple_(stored, statement_id)
    if shape.since:
        query = query.where(stored > bindparam("since"))
    if shape.until:
        query = query.where(stored <= bindparam("until"))
    if shape.credential:
        query = query.where(Statement.credential_key == bindparam("credential"))
    if shape.cursor:
        after = tuple_(bindparam("cursor_stored"), bindparam("cursor_id"))
        query = query.where(key > after if shape.ascending else key < after)
    if shape.ascending:
        return query.order_by(stored, statement_id)
    return query.order_by(stored.desc(), statement_id.desc())


_COLUMNS: tuple[Any, ...] = (Statement.stored_us, Statement.statement_id, Statement.raw)


def _matching(stmt: type[Statement] | Any, shape: _Shape, columns: tuple[Any, ...]
              ) -> tuple[Select[Any], tuple[Any, Any]]:
    """``columns`` of the statements (``stmt``, an alias of Statement) matching the non-time filters, and the
    (stored_us, statement_id) pair to page them by. With an agent or activity filter the query is driven by
    its link table: (ifi, [verb_iri,] stored_us, statement_id) or (activity_iri, stored_us, statement_id) is
    an index range already in stored order, so a page costs its own rows whatever the store's size."""
    link: Any
    if shape.agent:
        link = aliased(StatementAgent)
        where = [link.ifi == bindparam("agent")]
        if shape.verb:
            where.append(link.verb_iri == bindparam("verb"))
        rest = replace(shape, agent=False, verb=False)
        related = shape.related_agents
    elif shape.activity:
        link = aliased(StatementActivity)
        where = [link.activity_iri == bindparam("activity")]
        rest = replace(shape, activity=False)
        related = shape.related_activities
    else:
        return select(*columns).where(*_match_conditions(stmt, shape)), (stmt.stored_us, stmt.statement_id)
    if not related:
        where.append(link.direct.is_(True))
    query = (select(*columns).select_from(link).join(stmt, stmt.statement_id == link.statement_id)
             .where(*where, *_match_conditions(stmt, rest)))
    return query, (link.stored_us, link.statement_id)


@lru_cache(maxsize=256)
def _direct_query(shape: _Shape) -> Select[Any]:
    matching, order = _matching(Statement, shape, _COLUMNS)
    return _page(matching.where(Statement.voided.is_(False)), shape, order)


@lru_cache(maxsize=256)
def _refs_query(shape: _Shape) -> Select[Any]:
    """§2.1.3 "Filter Conditions for StatementRefs": statements targeting a match also match."""
    target = aliased(Statement)
    matching_targets, _ = _matching(target, shape, (target.statement_id,))
    refs = select(*_COLUMNS).where(Statement.voided.is_(False), Statement.target_id.in_(matching_targets))
    return _page(refs, shape)


def _rows(session: Session, filters: StatementFilters, cursor: Cursor | None) -> list[tuple[int, str, str]]:
    shape, values = _Shape.of(filters, cursor), _values(filters, cursor)

    def run(query: Select[Any]) -> list[tuple[int, str, str]]:
        limited = query.limit(filters.limit + 1) if filters.limit else query
        return [(r[0], r[1], r[2]) for r in session.execute(limited, values).all()]

    rows = run(_direct_query(shape))
    if not filters.has_match_filters or not _has_statement_refs(session):
        return rows
    unique = {r[1]: r for r in rows + run(_refs_query(shape))}.values()
    merged = sorted(unique, key=lambda r: (r[0], r[1]), reverse=not filters.ascending)
    return merged[: filters.limit + 1] if filters.limit else merged


def _has_statement_refs(session: Session) -> bool:
    # "> ''" rather than IS NOT NULL: an index range SQLite uses without ANALYZE.
    found = session.execute(select(Statement.statement_id).where(Statement.target_id > "").limit(1))
    return found.first() is not None


def find_statements(
    session: Session, filters: StatementFilters, cursor: Cursor | None = None
) -> tuple[list[str], Cursor | None]:
    """One page: raw statement JSON texts and the cursor of the next page (None when this is the last)."""
    rows = _rows(session, filters, cursor)
    next_cursor: Cursor | None = None
    if filters.limit and len(rows) > filters.limit:
        rows = rows[: filters.limit]
        next_cursor = (rows[-1][0], rows[-1][1])
    return [row[2] for row in rows], next_cursor


def get_statement(
    session: Session, statement_id: str, *, voided: bool, credential_key: str | None = None
) -> str | None:
    """GET by statementId (voided=False) or voidedStatementId (voided=True), §2.1.3; with ``credential_key``
    only a statement that credential stored (statements/read/mine)."""
    query = select(Statement.raw).where(
        and_(Statement.statement_id == statement_id.lower(), Statement.voided.is_(voided))
    )
    if credential_key is not None:
        query = query.where(Statement.credential_key == credential_key)
    return session.execute(query).scalar_one_or_none()


def query_statements(session: Session, filters: StatementFilters | None = None) -> list[dict[str, Any]]:
    """Stored, not voided statements matching ``filters`` (all pages), as dicts: for the app's own use."""
    return list(iter_statements(session, filters=filters))


def iter_statements(
    session: Session, *, since_stored: int | None = None, filters: StatementFilters | None = None, page: int = 500
) -> Iterator[dict[str, Any]]:
    """Stream not-voided statements in stored order (ascending), ``since_stored`` in epoch microseconds."""
    base = filters or StatementFilters()
    since = since_stored if since_stored is not None else base.since_us
    base = replace(base, ascending=True, limit=page, since_us=since)
    cursor: Cursor | None = None
    while True:
        raws, cursor = find_statements(session, base, cursor)
        for raw in raws:
            yield json.loads(raw)
        if cursor is None:
            return
