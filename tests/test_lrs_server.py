"""Against a real `samattha serve` with two workers: concurrent writers, durability under SIGKILL."""

from __future__ import annotations

import os
import signal
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path

import pytest
import requests
from sqlalchemy import func, select

import xapi
from plugin.clock import utcnow
from plugin.db import make_engine
from plugin.migrate import upgrade
from tests.conftest import FreshDatabases
from tests.lrs_support import headers, statement
from tests.servers import Server, descendants, serve
from xapi.models import Statement


def _credential(database_url: str) -> dict[str, str]:
    engine = make_engine(database_url)
    upgrade(engine)
    from sqlalchemy.orm import Session

    with Session(engine) as session:
        key, secret = xapi.create_credential(session, name="load", scopes=["all"], now=utcnow())
        session.commit()
    engine.dispose()
    return headers(key, secret)


def _count(database_url: str) -> tuple[int, int]:
    engine = make_engine(database_url)
    with engine.connect() as connection:
        total = connection.execute(select(func.count()).select_from(Statement)).scalar_one()
        distinct = connection.execute(select(func.count(func.distinct(Statement.statement_id)))).scalar_one()
    engine.dispose()
    return total, distinct


@pytest.fixture
def lrs_server(databases: FreshDatabases, tmp_path: Path) -> Iterator[tuple[Server, str, dict[str, str]]]:
    url = databases.new()
    hdrs = _credential(url)
    # Two worker processes: on SQLite they take turns on the database's write lock across processes.
    with serve(tmp_path / "instance", url, args=("--workers", "2")) as server:
        yield server, url, hdrs


def _writers(server: Server, hdrs: dict[str, str], writers: int, per_writer: int, batch: int) -> list[str]:
    errors: list[str] = []

    def write(worker: int) -> None:
        with requests.Session() as http:
            for start in range(0, per_writer, batch):
                body = [statement(worker * per_writer + n, id=str(uuid.uuid4())) for n in range(start, start + batch)]
                response = http.post(server.url + "/xapi/statements", json=body, headers=hdrs, timeout=60)
                if response.status_code != 200:
                    errors.append(f"{response.status_code} {response.text[:200]}")

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def test_eight_concurrent_single_statement_writers(lrs_server: tuple[Server, str, dict[str, str]]) -> None:
    server, url, hdrs = lrs_server
    assert _writers(server, hdrs, writers=8, per_writer=100, batch=1) == []
    assert _count(url) == (800, 800)


def test_eight_writers_times_five_thousand(lrs_server: tuple[Server, str, dict[str, str]]) -> None:
    server, url, hdrs = lrs_server
    assert _writers(server, hdrs, writers=8, per_writer=5000, batch=100) == []
    assert _count(url) == (40_000, 40_000)


def test_every_acknowledged_statement_survives_sigkill(lrs_server: tuple[Server, str, dict[str, str]]) -> None:
    server, url, hdrs = lrs_server
    acknowledged: list[str] = []
    stop = threading.Event()

    def write() -> None:
        with requests.Session() as http:
            while not stop.is_set():
                body = [statement(n, id=str(uuid.uuid4())) for n in range(20)]
                try:
                    response = http.post(server.url + "/xapi/statements", json=body, headers=hdrs, timeout=10)
                except requests.RequestException:
                    return
                if response.status_code == 200:
                    acknowledged.extend(response.json())

    threads = [threading.Thread(target=write) for _ in range(4)]
    for thread in threads:
        thread.start()
    time.sleep(2.0)
    # The workers write; kill them and their supervisor at once, as a power cut to the process tree would.
    for pid in [*descendants(server.process.pid), server.process.pid]:
        os.kill(pid, signal.SIGKILL)
    stop.set()
    for thread in threads:
        thread.join()
    assert len(acknowledged) > 100
    engine = make_engine(url)
    with engine.connect() as connection:
        stored = set(connection.execute(select(Statement.statement_id)).scalars())
    engine.dispose()
    assert set(acknowledged) <= stored


def _at_once(*calls: Callable[[], None]) -> None:
    """Run the calls in threads released together, and wait for all of them."""
    start = threading.Barrier(len(calls))

    def run(call: Callable[[], None]) -> None:
        start.wait()
        call()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def test_one_statement_id_written_at_once_by_several_clients(lrs_server: tuple[Server, str, dict[str, str]]) -> None:
    """Clients that retry, or several sending the same statement, write one id at the same moment: it is
    stored once and each gets the answer it would get alone (xAPI 1.0.3 Part Three §2.1.1), never a 5xx."""
    server, url, hdrs = lrs_server
    answers: list[tuple[str, int]] = []

    def write(statement_id: str, kind: str) -> None:
        body = statement(0, id=statement_id)
        if kind == "put":
            response = requests.put(server.url + "/xapi/statements", params={"statementId": statement_id},
                                    json=body, headers=hdrs, timeout=60)
        elif kind == "post":
            response = requests.post(server.url + "/xapi/statements", json=[body], headers=hdrs, timeout=60)
        else:  # the same id with different content
            body = {**body, "verb": {"id": "http://example.org/verbs/other"}}
            response = requests.post(server.url + "/xapi/statements", json=[body], headers=hdrs, timeout=60)
        answers.append((kind, response.status_code))

    ids = [str(uuid.uuid4()) for _ in range(20)]
    for statement_id in ids:
        _at_once(*(partial(write, statement_id, kind) for kind in ("put", "post", "post", "put")))
    assert sorted(set(answers)) == [("post", 200), ("put", 204)]
    assert _count(url) == (20, 20)

    conflicting = str(uuid.uuid4())
    answers.clear()
    _at_once(*(partial(write, conflicting, kind) for kind in ("put", "post", "other")))
    # Whichever content is stored first stays; the writers of the other get 409 Conflict.
    assert sorted(answers) in ([("other", 409), ("post", 200), ("put", 204)],
                               [("other", 200), ("post", 409), ("put", 409)])
    assert _count(url) == (21, 21)


def test_batches_holding_the_same_keys_in_opposite_orders_are_all_stored(
    lrs_server: tuple[Server, str, dict[str, str]],
) -> None:
    """Two clients send the same statements, or new definitions of the same activities, in opposite orders.
    On PostgreSQL such writes deadlocked and one of the two was answered 500."""
    server, url, hdrs = lrs_server
    answers: list[int] = []

    def post(body: list[dict[str, object]]) -> None:
        answers.append(requests.post(server.url + "/xapi/statements", json=body, headers=hdrs, timeout=60).status_code)

    def defining(activity: str, language: str) -> dict[str, object]:
        return statement(0, object={"id": activity, "definition": {"name": {language: activity}}})

    rounds, size = 4, 300
    for n in range(rounds):
        same = [statement(k, id=str(uuid.uuid4())) for k in range(size)]
        activities = [f"http://example.org/race/{n}/{k}" for k in range(size)]
        for first, second in ((same, same[::-1]),
                              ([defining(a, "en") for a in activities], [defining(a, "th") for a in activities[::-1]])):
            _at_once(partial(post, first), partial(post, second))
    assert answers == [200] * (4 * rounds)
    # Per round: the shared statements once, and both clients' defining ones.
    assert _count(url) == (3 * size * rounds, 3 * size * rounds)


def test_a_poller_following_consistent_through_sees_every_statement_exactly_once(
        lrs_server: tuple[Server, str, dict[str, str]]) -> None:
    """Four writers (two of single statements, two of batches) while a client polls with ``since`` set to the
    last Consistent-Through, following ``more``: every acknowledged statement reaches it, and none twice."""
    server, _, hdrs = lrs_server
    acknowledged: list[str] = []
    seen: list[str] = []
    errors: list[str] = []
    done = threading.Event()

    def write(worker: int, batch: int, rounds: int) -> None:
        with requests.Session() as http:
            for _ in range(rounds):
                body = [statement(worker, id=str(uuid.uuid4())) for _ in range(batch)]
                response = http.post(server.url + "/xapi/statements", json=body, headers=hdrs, timeout=60)
                if response.status_code != 200:
                    errors.append(f"{response.status_code} {response.text[:200]}")
                    return
                acknowledged.extend(response.json())

    def poll_once(http: requests.Session, since: str | None) -> str:
        params = {"ascending": "true", **({"since": since} if since else {})}
        response = http.get(server.url + "/xapi/statements", params=params, headers=hdrs, timeout=60)
        through = response.headers["X-Experience-API-Consistent-Through"]
        while True:
            assert response.status_code == 200, response.text[:200]
            page = response.json()
            seen.extend(s["id"] for s in page["statements"])
            if not page["more"]:
                return through
            response = http.get(server.url + page["more"], headers=hdrs, timeout=60)

    def poll() -> None:
        since = None
        with requests.Session() as http:
            while not done.is_set():
                since = poll_once(http, since)
            poll_once(http, since)  # after the last write was acknowledged

    writers = [threading.Thread(target=write, args=(n, batch, rounds))
               for n, (batch, rounds) in enumerate([(1, 300), (1, 300), (50, 40), (50, 40)])]
    poller = threading.Thread(target=poll)
    poller.start()
    for thread in writers:
        thread.start()
    for thread in writers:
        thread.join()
    done.set()
    poller.join()
    assert errors == []
    assert len(acknowledged) == 4600
    assert len(seen) == len(set(seen)), "a statement was seen twice"
    assert set(acknowledged) - set(seen) == set(), "acknowledged statements the poller never saw"
