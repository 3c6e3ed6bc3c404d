"""Engine and the one-Session-per-request rule.

Data functions take a Session and never open or commit one; a request gets its Session lazily through
:func:`get_session` and the app closes it (rolling back anything uncommitted) when the request ends.
"""

from __future__ import annotations

import select
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
from flask import Flask, current_app, g
from sqlalchemy import Engine, create_engine, event, update
from sqlalchemy.exc import InvalidatePoolError
from sqlalchemy.orm import InstrumentedAttribute, Session, sessionmaker

from plugin.config import make_private
from xapi import jsontext

__all__ = ["discard_session", "each_statement_commits", "get_session", "hold_row", "init_db", "make_engine"]


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers go on while the LRS writes; foreign keys are off by default in SQLite.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # The LRS inserts into a dozen B-trees per statement at random keys; SQLite's default 2 MiB page cache
    # sends most of those to the OS. Measured on 60,000 statements in batches of 100: 320 µs → 220 µs each.
    cursor.execute("PRAGMA cache_size=-65536")
    # A checkpoint (copy the WAL into the database, then fsync) runs inside whichever commit crosses the
    # threshold; at SQLite's 1,000 pages that was every few LRS batches and half the commit time (60,000
    # statements in batches of 100: commit 115 µs → 65 µs per statement at 10,000 pages, i.e. a 40 MB WAL).
    cursor.execute("PRAGMA wal_autocheckpoint=10000")
    cursor.close()


SQLITE_COMPANIONS = ("", "-wal", "-shm", "-journal", "-writer")  # -writer: xapi.writelock's lock file


def make_engine(url: str) -> Engine:
    # JSON columns (statements, definitions) are written by orjson: the same text as json.dumps, faster.
    codec: dict[str, Any] = {"json_serializer": jsontext.dumps}
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False}, **codec)
        _sqlite_files_private(engine)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    engine = create_engine(url, pool_size=10, max_overflow=20, **codec)
    event.listen(engine, "connect", _postgresql_settings)
    event.listen(engine, "checkout", _closed_while_idle)
    return engine


def _sqlite_files_private(engine: Engine) -> None:
    """The database file holds the tool's private keys and the Web Services token: owner-only, wherever
    SAMATTHA_DATABASE_URL puts it, and so its journals (SQLite gives them the database's mode when it makes
    them). Files made from now on are owner-only through the umask (plugin.config.prepare_instance)."""
    database = engine.url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    for suffix in SQLITE_COMPANIONS:
        make_private(Path(database + suffix), recursive=False)


def _closed_while_idle(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    """Replace a pooled connection the server has closed (a restart, an administrator ending sessions, an idle
    timeout) before a request uses it, and every connection pooled before it.

    A server that ends a session sends its error and closes the socket, so the idle socket reads ready; a healthy
    idle one has nothing to read, as Samattha never LISTENs. This replaces ``pool_pre_ping`` and its round trip
    (a single-statement POST, eight clients: 858-964/s without it, 811-857/s with it), but not wholly: a
    connection dropped silently on the way (a firewall or NAT forgetting it) leaves nothing to read, and the
    request that next uses it fails once before the connection, then marked broken, is replaced.
    poll, not select: a worker serving many connections has descriptors above select's 1,024.
    """
    if dbapi_connection.closed:
        raise InvalidatePoolError("PostgreSQL closed this pooled connection")
    idle = select.poll()
    idle.register(dbapi_connection.fileno(), select.POLLIN)
    if idle.poll(0):
        raise InvalidatePoolError("PostgreSQL closed this pooled connection while it was idle")


def _postgresql_settings(dbapi_connection: Any, _record: Any) -> None:
    # psycopg prepares a query on the server after five runs, and PostgreSQL then settles on a generic plan; one
    # chosen while a table was nearly empty (a sequential scan) outlives the table's growth until the next
    # ANALYZE. Measured: the LRS's activity-definition lookup at 3.4 ms instead of 0.06 ms. Custom plans keep
    # the saved parse and plan each run for its values. (Set here, not in the URL's ``options``, which an
    # operator may use for search_path.)
    with dbapi_connection.cursor() as cursor:
        cursor.execute("SET plan_cache_mode = force_custom_plan")
    dbapi_connection.commit()


def init_db(app: Flask, engine: Engine) -> None:
    app.extensions["samattha.engine"] = engine
    app.extensions["samattha.sessionmaker"] = sessionmaker(engine, expire_on_commit=False)

    @app.teardown_appcontext
    def _close_session(_exc: BaseException | None) -> None:
        session: Session | None = g.pop("samattha_session", None)
        if session is not None:
            session.close()


def get_session() -> Session:
    session: Session | None = g.get("samattha_session")
    if session is None:
        session = current_app.extensions["samattha.sessionmaker"]()
        g.samattha_session = session
    return session


def discard_session() -> None:
    """Roll back and drop the request's Session after an error, so nothing half-done is committed."""
    session: Session | None = g.pop("samattha_session", None)
    if session is not None:
        session.rollback()
        session.close()


def hold_row(session: Session, column: InstrumentedAttribute[Any], row_id: int) -> None:
    """Hold one row (``id == row_id`` of ``column``'s table) until the transaction ends, on both databases, so
    that what it reads next is what was committed before it. Rewriting ``column`` to its own value takes
    PostgreSQL's row lock and SQLite's write lock; SELECT … FOR UPDATE would not do on SQLite, which ignores it
    and starts a transaction only at its first write."""
    model = column.class_
    session.execute(update(model).where(model.id == row_id).values({column.key: column})
                    .execution_options(synchronize_session=False))


@contextmanager
def each_statement_commits(session: Session) -> Iterator[None]:
    """On PostgreSQL with no transaction open yet, the statements inside commit each on its own (autocommit): psycopg
    sends no BEGIN ahead of the first, and the session's commit then has nothing to send. Two round trips fewer,
    for work whose statements are each whole on their own (a launch: its nonce, then its one statement of writes).
    Anywhere else, or inside a transaction already begun, this changes nothing."""
    connection = session.connection()
    driver: Any = connection.connection.driver_connection
    if connection.dialect.name != "postgresql" or driver.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
        yield
        return
    driver.autocommit = True
    try:
        yield
    finally:
        driver.autocommit = False
