"""The engine Samattha builds from SAMATTHA_DATABASE_URL, on the database the suite runs against."""

from __future__ import annotations

import time

import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from plugin.db import make_engine
from tests.conftest import TEST_DATABASE_URL, FreshDatabases


def test_the_engine_keeps_the_urls_own_connection_options(databases: FreshDatabases) -> None:
    # The suite's PostgreSQL URLs choose their schema with ?options=-csearch_path=…; an operator's may too.
    url = databases.new()
    engine = make_engine(url)
    with engine.connect() as connection:
        connection.execute(text("CREATE TABLE engine_probe (x integer)"))
        connection.commit()
        if TEST_DATABASE_URL:
            schema = str(make_url(url).query["options"]).removeprefix("-csearch_path=")
            assert connection.execute(text("SHOW search_path")).scalar_one() == schema
            assert connection.execute(text("SELECT current_schema()")).scalar_one() == schema
            # Custom plans: a generic one chosen on an empty table would outlive the table's growth.
            assert connection.execute(text("SHOW plan_cache_mode")).scalar_one() == "force_custom_plan"
        else:
            assert connection.execute(text("PRAGMA journal_mode")).scalar_one() == "wal"
            assert connection.execute(text("PRAGMA wal_autocheckpoint")).scalar_one() == 10000
            assert connection.execute(text("PRAGMA cache_size")).scalar_one() == -65536
    engine.dispose()


@pytest.mark.skipif(not TEST_DATABASE_URL, reason="a database server that ends pooled sessions: PostgreSQL")
def test_a_pooled_connection_the_server_ended_is_replaced_before_use(databases: FreshDatabases) -> None:
    """After PostgreSQL restarts, or an administrator ends sessions, the next request still gets a working
    connection instead of an error."""
    engine = make_engine(databases.new())
    with engine.connect() as connection:
        ended = connection.execute(text("SELECT pg_backend_pid()")).scalar_one()
    with psycopg.connect(TEST_DATABASE_URL.replace("+psycopg", ""), autocommit=True) as admin:
        assert admin.execute("SELECT pg_terminate_backend(%s)", (ended,)).fetchone() == (True,)
        deadline = time.monotonic() + 10
        while admin.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", (ended,)).fetchone():
            assert time.monotonic() < deadline
            time.sleep(0.05)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT pg_backend_pid()")).scalar_one() != ended
        assert connection.execute(text("SELECT 1")).scalar_one() == 1
    engine.dispose()
