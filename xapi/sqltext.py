"""The LRS's hot statements, compiled once per dialect and run as driver SQL.

Measured on a single-statement POST, SQLAlchemy's per-execution work (cache key, parameter processing, result
set-up) cost more than SQLite's own: here each statement is compiled from its Core form once and handed to the
driver with plain values.  The caller therefore passes what the driver takes: JSON as text, never a dict.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.expression import Executable

__all__ = ["run", "run_many"]


@lru_cache(maxsize=64)
def _compiled(statement: Executable, dialect: Dialect) -> tuple[str, tuple[str, ...] | None]:
    compiled = statement.compile(dialect=dialect)  # type: ignore[attr-defined]
    return str(compiled), (tuple(compiled.positiontup) if compiled.positional else None)


def _params(keys: tuple[str, ...] | None, values: dict[str, Any]) -> Any:
    return values if keys is None else tuple(values[key] for key in keys)


def run(connection: Connection, statement: Executable, values: dict[str, Any]) -> list[tuple[Any, ...]]:
    """Execute once and return every row as the driver gave it (none for DML)."""
    sql, keys = _compiled(statement, connection.dialect)
    result = connection.exec_driver_sql(sql, _params(keys, values))
    return [tuple(row) for row in result] if result.returns_rows else []


def run_many(connection: Connection, statement: Executable, rows: list[dict[str, Any]]) -> None:
    """Execute for every row, as one driver executemany."""
    if not rows:
        return
    sql, keys = _compiled(statement, connection.dialect)
    if len(rows) == 1:  # psycopg runs executemany as a pipeline: more round trips than one execute
        connection.exec_driver_sql(sql, _params(keys, rows[0]))
    else:
        connection.exec_driver_sql(sql, [_params(keys, row) for row in rows])
