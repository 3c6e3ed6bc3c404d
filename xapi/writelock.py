"""Writers to one SQLite file take turns on a file lock before they ask SQLite for its write lock.

SQLite's busy handler polls: a writer that finds the database locked sleeps 1, 2, 5, 10… ms before it looks
again, whatever the holder is doing, while a batch of statements holds the lock for a few milliseconds and a
single statement for well under one. With several worker processes (``samattha serve --workers``) most of the
waiting was that sleep. flock(2) on a file beside the database queues the writers in the kernel instead, which
wakes the next one as soon as the holder lets go. PostgreSQL needs none of this.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection

__all__ = ["sqlite_writer"]


@contextmanager
def sqlite_writer(connection: Connection) -> Iterator[None]:
    """Hold ``<database>-writer`` exclusively for the block, if ``connection`` is to a SQLite file."""
    database = connection.engine.url.database
    if connection.dialect.name != "sqlite" or not database or database == ":memory:":
        yield
        return
    # Opened for each write: a lock belongs to its open file, so threads of one process queue as processes do.
    descriptor = os.open(database + "-writer", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)  # and with it the lock
