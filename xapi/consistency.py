"""An honest ``X-Experience-API-Consistent-Through`` (xAPI 1.0.3 Part Three §2.1.3): a moment before which every
statement the LRS will ever hold is already visible, so a client that polls with ``since`` set to it misses
nothing.

A statement's ``stored`` is read when its write starts and becomes visible when the write commits, so a reader's
clock alone is not enough: a write in flight has a ``stored`` older than now and is not yet visible. Writers
therefore read the clock only once they hold a shared turn (:func:`writer_turn`), and a reader takes the
exclusive turn for a moment (:func:`consistent_through`): every writer that read its clock before then has
committed, and every later one reads a later clock. On PostgreSQL the turn is an advisory lock (shared per
write transaction, exclusive for the reader's instant); on SQLite, whose writers already queue one at a time on
a file lock (xapi.writelock), it is that same lock.

Queries are capped at the moment they report, so a page never holds a statement newer than its header says,
and a poller sees each statement exactly once. The statements' clock must be the same for every writer: one
host, or hosts whose clocks agree (NTP) within the time a write takes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import Connection, text
from sqlalchemy.orm import Session

from xapi.prepare import to_micros
from xapi.writelock import sqlite_writer

__all__ = ["TURN_KEY", "consistent_through", "writer_turn"]

TURN_KEY = 0x5841_5049_5354_4D54  # "XAPISTMT", an advisory lock key only the LRS uses


def writer_turn(connection: Connection) -> None:
    """Inside a statement write transaction, before ``stored`` is read: a shared turn, released at commit."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock_shared(:key)"), {"key": TURN_KEY})


def consistent_through(session: Session, clock: Callable[[], datetime]) -> int:
    """The moment (µs since the epoch) through which every statement is visible to ``session``'s next query.
    Ends the session's transaction first (a read-only request has nothing to keep): SQLite keeps a read
    transaction's snapshot, which must start after this moment is taken."""
    session.commit()
    # The session's own connection, not a second one from the pool: checking one out and handing it back
    # (a reset ROLLBACK) cost PostgreSQL two more round trips on every GET.
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": TURN_KEY})
        moment = to_micros(clock())
        session.commit()  # releases the turn; the query that follows begins after it, seeing every writer
    else:
        # pysqlite begins a transaction at the first statement, so the reader's snapshot starts after this.
        with sqlite_writer(connection):
            moment = to_micros(clock())
    return moment - 1  # a writer reading the same microsecond later stores it after this moment
