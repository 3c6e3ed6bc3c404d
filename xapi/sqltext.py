"""The LRS's hot statements, compiled once per dialect and run on the driver's own cursor.

Measured on a single-statement POST, SQLAlchemy's per-execution work (cache key, parameter processing, result
set-up, then again its execution context around driver SQL) cost more than SQLite's own: here each statement
is compiled from its Core form once and handed to the DBAPI cursor of the caller's connection, inside the
transaction SQLAlchemy began, with plain values.  The caller therefore passes what the driver takes: JSON as
text, never a dict; errors are the driver's.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from operator import itemgetter
from typing import Any, cast

import psycopg
from sqlalchemy import Connection, Table
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.expression import Executable

__all__ = ["copy_rows", "read_first", "run", "run_many", "script"]


Params = Callable[[dict[str, Any]], Any]


@lru_cache(maxsize=512)  # the LRS's statements, a few hundred shapes at most
def _compiled(statement: Executable, dialect: Dialect) -> tuple[str, Params]:
    """The SQL text and how to turn a row's values into the driver's parameters (a tuple for positional
    paramstyles such as SQLite's, the dict itself for named ones such as psycopg's)."""
    compiled = statement.compile(dialect=dialect)  # type: ignore[attr-defined]
    if not compiled.positional:
        return str(compiled), _named
    keys = tuple(compiled.positiontup)
    # itemgetter builds the tuple in C; with one key it gives the bare value, so that case is wrapped.
    getter = itemgetter(*keys)
    return str(compiled), getter if len(keys) > 1 else (lambda values: (getter(values),))


def _named(values: dict[str, Any]) -> dict[str, Any]:
    return values


def run(connection: Connection, statement: Executable, values: dict[str, Any]) -> list[tuple[Any, ...]]:
    """Execute once and return every row as the driver gave it (none for DML)."""
    sql, params = _compiled(statement, connection.dialect)
    cursor = _cursor(connection)
    try:
        cursor.execute(sql, params(values))
        # Asked of the statement, which knows: a cursor's description can be empty before its rows are fetched
        # (psycopg's pipeline mode once cost the definitions lookup its rows this way, 749930d).
        return [tuple(row) for row in cursor.fetchall()] if statement.is_select else []
    finally:
        cursor.close()


def read_first(connection: Connection, statement: Executable, values: dict[str, Any]) -> list[tuple[Any, ...]]:
    """:func:`run` for a read that needs no transaction of its own, such as a request's first (its credential's
    standing). On PostgreSQL, with no transaction open yet, it runs in autocommit: psycopg would otherwise send
    a BEGIN first and wait for it, a round trip of its own (0.13 ms here, 5 % of a single statement's POST)."""
    driver: Any = connection.connection.driver_connection
    if connection.dialect.name != "postgresql" or driver.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
        return run(connection, statement, values)
    driver.autocommit = True
    try:
        return run(connection, statement, values)
    finally:
        driver.autocommit = False


def run_many(connection: Connection, statement: Executable, rows: list[dict[str, Any]]) -> None:
    """Execute for every row, as one driver executemany."""
    if not rows:
        return
    sql, params = _compiled(statement, connection.dialect)
    cursor = _cursor(connection)
    try:
        if len(rows) == 1:  # psycopg runs executemany as a pipeline: more round trips than one execute
            cursor.execute(sql, params(rows[0]))
        else:
            cursor.executemany(sql, [params(row) for row in rows])
    finally:
        cursor.close()


def copy_rows(connection: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert ``rows`` (every column of ``table``) with PostgreSQL's COPY FROM STDIN: one stream of rows for
    the server to parse, where executemany sends a Bind and an Execute per row and the server runs each
    through its executor."""
    if not rows:
        return
    sql, getter = _copy(table, connection.dialect)
    cursor = _cursor(connection)
    try:
        with cursor.copy(sql) as copy:
            for row in rows:
                copy.write_row(getter(row))
    finally:
        cursor.close()


@lru_cache(maxsize=16)
def _copy(table: Table, dialect: Dialect) -> tuple[str, Params]:
    """COPY's SQL for ``table`` and the row getter, built once (tables of several columns)."""
    columns = [column.name for column in table.columns]
    quote = dialect.identifier_preparer.quote
    return f"COPY {quote(table.name)} ({', '.join(map(quote, columns))}) FROM STDIN", itemgetter(*columns)


def script(connection: Connection, parts: list[tuple[Executable, dict[str, Any]]]) -> list[tuple[Any, ...]]:
    """PostgreSQL: run several statements, bound by name, as one query; returns the last one's rows.

    psycopg binds the parameters on the client and sends the statements together (the simple query protocol):
    one round trip and one driver call, where psycopg's pipeline spent as much of the worker's CPU again in
    its own bookkeeping (measured on a single-statement write: 311 µs against 156 µs). A failing statement
    raises the driver's error and leaves the caller's transaction to be rolled back, like any other."""
    texts: list[str] = []
    values: dict[str, Any] = {}
    for statement, params in parts:
        texts.append(_compiled(statement, connection.dialect)[0])
        values.update(params)
    cursor = psycopg.ClientCursor(cast(psycopg.Connection[Any], connection.connection.dbapi_connection))
    try:
        cursor.execute(";\n".join(texts), values)
        while cursor.nextset():
            pass
        return [tuple(row) for row in cursor.fetchall()] if parts[-1][0].is_select else []
    finally:
        cursor.close()


def _cursor(connection: Connection) -> Any:
    return connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
