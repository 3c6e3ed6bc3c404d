"""Storage functions: each takes the caller's Session and neither opens nor commits one.

The hot path is a handful of bulk statements per batch, never a round trip per statement: executemany on SQLite;
on PostgreSQL COPY, or for a small write one query.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from functools import cache, lru_cache
from operator import itemgetter
from typing import Any, TypeVar, cast

from sqlalchemy import Connection, Insert, Select, Table, bindparam, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import Executable

from xapi import jsontext, sqltext
from xapi.consistency import writer_turn
from xapi.errors import StatementError
from xapi.models import ActivityDefinition, Attachment, Statement, StatementActivity, StatementAgent
from xapi.prepare import Prepared, activity_definitions, comparable
from xapi.writelock import sqlite_writer

__all__ = ["ConflictError", "store_attachments", "store_statements", "write_statements"]

T = TypeVar("T")
# Properties the LRS assigns (or may add): they do not count when comparing a re-sent statement.
_LRS_ASSIGNED = ("stored", "authority", "version")


class ConflictError(Exception):
    """A statement id already stored with different content (xAPI 1.0.3 Part Three §2.1.1: 409)."""


class _IdTaken(Exception):
    """A concurrent write stored one of the batch's ids after this one looked for it (on PostgreSQL; SQLite's
    writers queue): the transaction is lost, and writing again compares with what is now stored."""


def write_statements(session: Session, client_ids: set[str], write: Callable[[], T]) -> T:
    """Run ``write``, which stores statements (:func:`store_statements`), as one committed transaction.

    A concurrent request may store one of the client's ``client_ids`` first; the transaction is then rolled back
    and ``write`` runs again, finding the stored statement and comparing with it (§2.1.1). Each lost write means
    one more of these ids is stored, so this ends."""
    for _ in range(len(client_ids)):
        try:
            with _writing(session):
                return write()
        except _IdTaken:
            continue
    with _writing(session):
        return write()


@contextmanager
def _writing(session: Session) -> Iterator[None]:
    """One statement write, from its first read to its commit; rolled back if the block raises.

    On SQLite, writers first queue on :func:`sqlite_writer`; BEGIN IMMEDIATE then takes the write lock up front
    so a writer never fails with "database is locked" when a read transaction tries to upgrade.
    """
    connection = session.connection()
    with sqlite_writer(connection):
        try:
            if connection.dialect.name == "sqlite":
                connection.exec_driver_sql("BEGIN IMMEDIATE")
            writer_turn(connection)  # before ``stored`` is read: see xapi.consistency
            yield
            session.commit()  # acknowledged only once durable
        except BaseException:
            session.rollback()
            raise


# A statement's rows and their inserts, in the order they are written; each table's rows go in key order, so
# that concurrent writes sharing keys wait for each other instead of deadlocking (PostgreSQL aborted one of two
# batches holding the same ids in different orders, a 500).
_TABLES = [cast(Table, model.__table__) for model in (Statement, StatementAgent, StatementActivity)]
_INSERTS = [insert(table) for table in _TABLES]
_KEY_ORDER = [itemgetter(*(column.name for column in table.primary_key.columns)) for table in _TABLES]
# From this many statements a PostgreSQL batch is written with COPY, a smaller one as a single query (binding a
# statement's JSON into the query text costs more than streaming it). Measured in-process, one query against
# COPY: batches of 2 1,022-1,095/s against 915-1,001/s, of 3 1,425-1,545 against 1,238-1,396, of 5
# 1,989-2,115 against 1,835-2,131, of 10 2,747-2,962 against 3,379-3,558. A write with more rows than
# _SCRIPT_ROWS in a table (one statement may name thousands of context activities) goes by COPY too: one query
# binding that many values is slow, and its compiled form would stay cached.
_COPY_FROM = 5
_SCRIPT_ROWS = 50


def _dialect_insert(dialect_name: str, model: type[Any]) -> Any:
    """INSERT with the dialect's ON CONFLICT clauses (SQLite and PostgreSQL spell them alike)."""
    return (postgresql if dialect_name == "postgresql" else sqlite).insert(model.__table__)


def _is_same(received: dict[str, Any], stored: dict[str, Any]) -> bool:
    """Statement equivalence for re-sent ids (§2.1.1): what the client sent, LRS additions aside."""
    ignore = set(_LRS_ASSIGNED) | ({"timestamp"} if "timestamp" not in received else set())
    if "version" in received and received["version"] != stored.get("version"):
        return False
    left = {k: v for k, v in comparable(received).items() if k not in ignore}
    right = {k: v for k, v in comparable(stored).items() if k not in ignore}
    return left == right


def _drop_known(session: Session, batch: list[Prepared], client_ids: set[str]) -> list[Prepared]:
    """Remove statements already stored with the same content; raise ConflictError on a different one."""
    if not client_ids:
        return batch
    found = dict(
        session.execute(select(Statement.statement_id, Statement.raw).where(Statement.statement_id.in_(client_ids)))

        .all()
    )
    if not found:
        return batch
    kept = []
    for item in batch:
        raw = found.get(item.statement_id)
        if raw is None:
            kept.append(item)
        elif not _is_same(item.received, json.loads(raw)):
            raise ConflictError(f"statement {item.statement_id} is already stored with different content")
    return kept


def _check_voiding(session: Session, batch: list[Prepared]) -> list[str]:
    """Targets of voiding statements; a voiding statement cannot target another voiding statement
    (xAPI 1.0.3 §2.3.2, suite XAPI-00016)."""
    targets = [p.row["target_id"] for p in batch if p.row["is_voiding"]]
    if not targets:
        return []
    in_batch = {p.statement_id for p in batch if p.row["is_voiding"]}
    voiding = set(
        session.scalars(
            select(Statement.statement_id).where(Statement.statement_id.in_(targets), Statement.is_voiding)
        )
    )
    for target in targets:
        if target in voiding or target in in_batch:
            raise StatementError("object.id", f"statement {target} is a voiding statement and cannot be voided")
    return targets


def _merge_definition(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """§2.5 (suite XAPI-00303): the canonical definition keeps every language seen; other fields take the
    latest value."""
    merged = {**old, **new}
    for key in ("name", "description"):
        if isinstance(old.get(key), dict) and isinstance(new.get(key), dict):
            merged[key] = {**old[key], **new[key]}
    return merged


# A few fixed numbers of IRIs per query, so each statement compiles once (sqltext); a chunk is padded to the
# next size by repeating its last IRI. A single-statement POST names one or two IRIs: binding 50 cost more
# than the lookup itself.
_SIZES = (2, 10, 50)
_DEFINITIONS = {
    size: select(ActivityDefinition.activity_iri, ActivityDefinition.definition).where(
        ActivityDefinition.activity_iri.in_([bindparam(f"iri{i}") for i in range(size)]))
    for size in _SIZES
}


def _decoded(rows: Iterable[tuple[Any, ...]]) -> dict[str, dict[str, Any]]:
    # Driver values: JSONB arrives decoded (psycopg), SQLite's JSON as text.
    return {iri: definition if isinstance(definition, dict) else json.loads(definition) for iri, definition in rows}


def _lookup(chunk: list[str]) -> tuple[Select[Any], dict[str, str]]:
    """The definitions query for up to _SIZES[-1] IRIs, and its values."""
    size = next(size for size in _SIZES if size >= len(chunk))
    return _DEFINITIONS[size], {f"iri{i}": chunk[min(i, len(chunk) - 1)] for i in range(size)}


def _known_definitions(connection: Connection, iris: list[str]) -> dict[str, dict[str, Any]]:
    known: dict[str, dict[str, Any]] = {}
    for start in range(0, len(iris), _SIZES[-1]):
        known.update(_decoded(sqltext.run(connection, *_lookup(iris[start:start + _SIZES[-1]]))))
    return known


@lru_cache(maxsize=4)
def _definition_upsert(dialect_name: str) -> Any:
    statement = _dialect_insert(dialect_name, ActivityDefinition)
    # §2.5: the LRS keeps the most recent definition as canonical.
    return statement.on_conflict_do_update(
        index_elements=["activity_iri"], set_={"definition": statement.excluded.definition}
    )


def _latest_definitions(batch: Iterable[Prepared]) -> dict[str, dict[str, Any]]:
    latest: dict[str, dict[str, Any]] = {}
    for item in batch:
        for iri, definition in activity_definitions(item.received):
            latest[iri] = _merge_definition(latest.get(iri, {}), definition)
    return latest


def _upsert_definitions(
    connection: Connection, latest: dict[str, dict[str, Any]], known: dict[str, dict[str, Any]]
) -> None:
    rows = []
    for iri, definition in sorted(latest.items()):  # key order, as the statements' rows
        merged = _merge_definition(known[iri], definition) if iri in known else definition
        # Most statements repeat a known definition: then there is nothing to write.
        if known.get(iri) != merged:
            text = jsontext.dumps(merged)
            if "\\u0000" not in text:  # JSONB cannot hold NUL
                rows.append({"activity_iri": iri, "definition": text})
    if rows:
        sqltext.run_many(connection, _definition_upsert(connection.dialect.name), rows)


@cache  # at most _SCRIPT_ROWS shapes per table
def _rows_insert(table: Table, count: int) -> Insert:
    """INSERT of ``count`` rows as one VALUES list, bound by name (see :func:`_row_values`)."""
    return insert(table).values(
        [{column.name: bindparam(f"{table.name}_{i}_{column.name}") for column in table.columns} for i in range(count)])


def _row_values(table: Table, rows: list[dict[str, Any]]) -> dict[str, Any]:
    return {f"{table.name}_{i}_{name}": value for i, row in enumerate(rows) for name, value in row.items()}


def _write_postgresql(
    connection: Connection, rows: tuple[list[dict[str, Any]], ...], latest: dict[str, dict[str, Any]]
) -> dict[str, dict[str, Any]]:
    """Insert the rows; returns the stored definitions of ``latest``'s activities."""
    small = (len(rows[0]) < _COPY_FROM and len(latest) <= _SIZES[-1]
             and all(len(table_rows) <= _SCRIPT_ROWS for table_rows in rows))
    if not small:
        for table, table_rows in zip(_TABLES, rows, strict=True):
            sqltext.copy_rows(connection, table, table_rows)
        return _known_definitions(connection, list(latest))
    # A small write is one query: its inserts and the definitions lookup in one round trip and one driver call.
    parts: list[tuple[Executable, dict[str, Any]]] = [
        (_rows_insert(table, len(table_rows)), _row_values(table, table_rows))
        for table, table_rows in zip(_TABLES, rows, strict=True) if table_rows]
    if latest:
        parts.append(_lookup(list(latest)))
    found = sqltext.script(connection, parts) if parts else []
    return _decoded(found) if latest else {}


def store_statements(session: Session, batch: list[Prepared], client_ids: set[str]) -> list[str]:
    """Insert a validated, prepared batch; returns every statement id in batch order (including ones
    that were already stored identically, which are not duplicated)."""
    ids = [item.statement_id for item in batch]
    new = _drop_known(session, batch, client_ids)
    targets = _check_voiding(session, new)
    connection = session.connection()
    unordered = ([item.row for item in new], [row for item in new for row in item.agents],
                 [row for item in new for row in item.activities])
    rows = tuple(sorted(table_rows, key=key) for table_rows, key in zip(unordered, _KEY_ORDER, strict=True))
    latest = _latest_definitions(new)
    try:
        if connection.dialect.name == "postgresql":
            known = _write_postgresql(connection, rows, latest)
        else:
            for statement, table_rows in zip(_INSERTS, rows, strict=True):
                sqltext.run_many(connection, statement, table_rows)
            known = _known_definitions(connection, list(latest))
        _upsert_definitions(connection, latest, known)
    except connection.dialect.loaded_dbapi.IntegrityError as error:
        raise _IdTaken(str(error)) from error
    if targets:
        session.execute(
            update(Statement)
            .where(Statement.statement_id.in_(targets), Statement.is_voiding.is_(False))
            .values(voided=True)
        )
    return ids


def store_attachments(session: Session, parts: Iterable[tuple[str, str, bytes]]) -> None:
    """(sha2, content type, bytes); content-addressed, so a repeat is a no-op."""
    rows = [{"sha2": sha2, "content_type": ctype[:255], "content": body} for sha2, ctype, body in parts]
    if rows:
        session.execute(_dialect_insert(session.get_bind().dialect.name, Attachment).on_conflict_do_nothing(), rows)
