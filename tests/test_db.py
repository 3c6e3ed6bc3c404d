"""The engine Samattha builds from SAMATTHA_DATABASE_URL, on the database the suite runs against."""

from __future__ import annotations

import os
import resource
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


@pytest.mark.skipif(not TEST_DATABASE_URL, reason="the pooled-connection check is PostgreSQL's")
def test_a_pooled_connection_is_checked_whatever_its_descriptor_number(databases: FreshDatabases) -> None:
    """A worker serving many clients holds descriptors beyond 1,024, where select() cannot look."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < 1_200:
        pytest.skip(f"the descriptor limit ({hard}) is below 1,200")
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, 1_200), hard))
    held = [os.open(os.devnull, os.O_RDONLY) for _ in range(1_100)]
    engine = make_engine(databases.new())
    try:
        for _ in range(2):  # the second checkout takes the pooled connection
            with engine.connect() as connection:
                assert connection.connection.dbapi_connection.fileno() > 1_024  # type: ignore[union-attr]
                assert connection.execute(text("SELECT 1")).scalar_one() == 1
    finally:
        engine.dispose()
        for descriptor in held:
            os.close(descriptor)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
