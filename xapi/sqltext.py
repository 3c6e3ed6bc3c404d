"""The LRS's hot statements, compiled once per dialect and run on the driver's own cursor.

Measured on a single-statement POST, SQLAlchemy's per-execution work (cache key, parameter processing, result
set-up, then again its execution context around driver SQL) cost more than SQLite's own: here each statement
is compiled from its Core form once and handed to the DBAPI cursor of the caller's connection, inside the
transaction SQLAlchemy began, with plain values.  The caller therefore passes what the driver takes: JSON as
text, never a dict; errors are the driver's.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.expression import Executable

__all__ = ["pipelined", "run", "run_many"]


@lru_cache(maxsize=64)
def _compiled(statement: Executable, dialect: Dialect) -> tuple[str, tuple[str, ...] | None]:
    compiled = statement.compile(dialect=dialect)  # type: ignore[attr-defined]
    return str(compiled), (tuple(compiled.positiontup) if compiled.positional else None)


def _params(keys: tuple[str, ...] | None, values: dict[str, Any]) -> Any:
    return values if keys is None else tuple(values[key] for key in keys)


def run(connection: Connection, statement: Executable, values: dict[str, Any]) -> list[tuple[Any, ...]]:
    """Execute once and return every row as the driver gave it (none for DML)."""
    sql, keys = _compiled(statement, connection.dialect)
    cursor = _cursor(connection)
    try:
        cursor.execute(sql, _params(keys, values))
        return [tuple(row) for row in cursor.fetchall()] if cursor.description else []
    finally:
        cursor.close()


def run_many(connection: Connection, statement: Executable, rows: list[dict[str, Any]]) -> None:
    """Execute for every row, as one driver executemany."""
    if not rows:
        return
    sql, keys = _compiled(statement, connection.dialect)
    cursor = _cursor(connection)
    try:
        if len(rows) == 1:  # psycopg runs executemany as a pipeline: more round trips than one execute
            cursor.execute(sql, _params(keys, rows[0]))
        else:
            cursor.executemany(sql, [_params(keys, row) for row in rows])
    finally:
        cursor.close()


@contextmanager
def pipelined(connection: Connection) -> Iterator[None]:
    """On PostgreSQL, what runs in the block goes to the server without waiting for each answer (psycopg's
    pipeline mode) until a result is read or the block ends; errors arrive then, still inside the caller's
    transaction. Elsewhere the block runs as it is."""
    if connection.dialect.name != "postgresql":
        yield
        return
    with connection.connection.dbapi_connection.pipeline():  # type: ignore[union-attr]
        yield


def _cursor(connection: Connection) -> Any:
    return connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
