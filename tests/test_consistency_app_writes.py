"""Consistent-Through stays honest for the statements the app writes itself, outside an LRS request (an
assessor's judgement, the cmi5 LMS's launch statements): a reader's moment never passes one of them that is
not yet visible, on SQLite and PostgreSQL, so a poller following it misses nothing."""

from __future__ import annotations

import threading
import time

from flask import Flask
from sqlalchemy import select

import xapi
from plugin.clock import utcnow
from tests.lrs_support import statement
from xapi.consistency import consistent_through
from xapi.models import Statement

AUTHORITY = {"objectType": "Agent", "name": "Samattha", "account": {"homePage": "http://tool.test", "name": "lms"}}


def test_a_reader_never_reports_past_a_statement_the_app_has_not_committed(app: Flask) -> None:
    sessions = app.extensions["samattha.sessionmaker"]
    recorded, release = threading.Event(), threading.Event()
    written: list[str] = []
    seen: dict[str, object] = {}

    def page() -> None:  # records a statement, then goes on with its other work before it commits
        with sessions() as db:
            written.extend(xapi.record_statements(db, [statement(1)], authority=AUTHORITY, clock=utcnow))
            recorded.set()
            release.wait(5)
            db.commit()

    def reader() -> None:
        with sessions() as db:
            through = consistent_through(db, utcnow)
            seen["through"] = through
            seen["visible"] = dict(db.execute(select(Statement.statement_id, Statement.stored_us)
                                              .where(Statement.stored_us <= through)).all())

    writing = threading.Thread(target=page)
    writing.start()
    assert recorded.wait(5)
    reading = threading.Thread(target=reader)
    reading.start()
    time.sleep(0.3)  # the reader has asked for its moment while the page's transaction is still open
    release.set()
    writing.join(10)
    reading.join(10)
    with sessions() as db:
        stored = db.scalars(select(Statement.stored_us).where(Statement.statement_id == written[0])).one()
    through, visible = seen["through"], seen["visible"]
    assert isinstance(through, int) and isinstance(visible, dict)
    # Whatever the reader reported, every statement stored at or before it was in its reading.
    assert stored > through or written[0] in visible
    assert written[0] in visible  # here: the reader waited for the page to commit, then read past it
