"""Benchmark Samattha's LRS against a running `samattha serve`.

    python benchmarks/lrs_bench.py --url http://127.0.0.1:8000/xapi --key K --secret S \
        [--seed 1000000 --database-url sqlite:///instance/samattha.db]

Prints single-statement POST/s (1 and 8 clients) and statements/s in batches of 100 and 1,000, twice: first
replaying the 190 statements Moodle's log store sends (tests/fixtures/moodle-logstore-xapi, 1.6 KB each on
average, with a fresh actor per learner and no id, as Moodle sends them), then a small synthetic statement
(0.2 KB). Each write figure is also given as a fraction of the floor: raw SQLite executemany of the same JSON
into a two-column table, measured in the same run. Then GET p50/p95 for 100 statements by agent+verb and by
activity.

--seed N first loads N statements straight into the server's database (--database-url) through the store's
own write (xapi.store) in 10,000-statement transactions, not through HTTP; the query figures are then taken
at that size (the count stored is printed).
"""

from __future__ import annotations

import argparse
import base64
import copy
import http.client
import json
import multiprocessing
import os
import platform
import sqlite3
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests  # the GET figures: one client, like a dashboard
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.orm import Session

from xapi.models import Statement
from xapi.prepare import prepare_statement, to_micros
from xapi.store import store_statements

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "moodle-logstore-xapi" / "merged"


def _corpus() -> list[dict[str, Any]]:
    statements: list[dict[str, Any]] = []
    for path in sorted(FIXTURES.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        statements.extend(data if isinstance(data, list) else [data])
    return statements


CORPUS = _corpus()


def moodle(n: int) -> dict[str, Any]:
    """The corpus replayed: statement n % 190, by learner n % 1000 (Moodle's account, another user id)."""
    statement = copy.deepcopy(CORPUS[n % len(CORPUS)])
    statement["actor"]["account"]["name"] = str(10_000 + n % 1000)
    return statement


KINDS = {"moodle": moodle}


def make(n: int) -> dict[str, Any]:
    return {
        "actor": {"objectType": "Agent", "mbox": f"mailto:learner{n % 1000}@example.org"},
        "verb": {"id": f"http://adlnet.gov/expapi/verbs/v{n % 10}"},
        "object": {"id": f"http://example.org/activity/{n % 5000}", "definition": {"name": {"en": "A"}}},
        "timestamp": "2025-01-01T00:00:00Z",
    }


KINDS["synthetic"] = make


def _post_share(url: str, authorization: str, kind: str, batch: int, first: int, count: int, go: Any) -> None:
    # http.client on one kept-alive connection, bodies built before the clock starts: the client should cost
    # the machine (which also runs the server) as little as possible.
    parts = urlsplit(url)
    build = KINDS[kind]
    bodies = [json.dumps([build(n) for n in range(start, start + batch)] if batch > 1 else build(start)).encode()
              for start in range(first, first + count, batch)]
    headers = {"Authorization": authorization, "X-Experience-API-Version": "1.0.3",
               "Content-Type": "application/json"}
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=120)
    go.wait()
    for body in bodies:
        connection.request("POST", parts.path + "/statements", body=body, headers=headers)
        response = connection.getresponse()
        response.read()
        if response.status != 200:
            raise SystemExit(f"POST /statements: HTTP {response.status}")
    connection.close()


def post_rate(url: str, auth: tuple[str, str], kind: str, batch: int, total: int, clients: int) -> float:
    """Statements/s with ``clients`` client processes, each on its own connection."""
    authorization = "Basic " + base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
    share = total // clients
    go = multiprocessing.Barrier(clients + 1)  # the clock starts once every client has built its bodies
    processes = [multiprocessing.Process(target=_post_share,
                                         args=(url, authorization, kind, batch, k * share, share, go))
                 for k in range(clients)]
    for process in processes:
        process.start()
    go.wait()
    began = time.perf_counter()
    for process in processes:
        process.join()
        if process.exitcode:
            raise SystemExit("a client failed")
    return total / (time.perf_counter() - began)


def seed(database_url: str, count: int) -> None:
    engine = create_engine(database_url)
    authority = {"objectType": "Agent", "name": "seed", "account": {"homePage": "https://seed.invalid", "name": "s"}}
    base = to_micros(datetime.now(UTC)) - count
    for start in range(0, count, 10_000):
        prepared = [
            prepare_statement(make(n), new_id=lambda: str(uuid.uuid4()), stored_us=base + n,
                              authority=authority, version="1.0.3")
            for n in range(start, min(count, start + 10_000))
        ]
        # The store's own write (COPY on PostgreSQL, executemany on SQLite), without HTTP and validation.
        with Session(engine) as session, session.begin():
            store_statements(session, prepared, set())
    if engine.dialect.name == "postgresql":
        # Right after a bulk load the planner's statistics are stale until autovacuum gets to the tables:
        # measured here, 400 ms per query instead of 6-8 ms.
        with engine.begin() as connection:
            connection.execute(text("ANALYZE"))
    engine.dispose()


def latency(url: str, auth: tuple[str, str], params: dict[str, str], rounds: int = 50) -> tuple[float, float]:
    times = []
    with requests.Session() as http:
        http.auth = auth
        http.headers["X-Experience-API-Version"] = "1.0.3"
        for _ in range(rounds):
            began = time.perf_counter()
            http.get(url + "/statements", params={**params, "limit": "100"}, timeout=60).raise_for_status()
            times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times), statistics.quantiles(times, n=20)[18]


def floor(kind: str, count: int = 100_000) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        connection = sqlite3.connect(f"{tmp}/floor.db")
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")
        connection.execute("CREATE TABLE s (id TEXT PRIMARY KEY, raw TEXT)")
        rows = [(str(uuid.uuid4()), json.dumps(KINDS[kind](n))) for n in range(count)]
        began = time.perf_counter()
        with connection:
            connection.executemany("INSERT INTO s VALUES (?, ?)", rows)
        connection.close()
        return count / (time.perf_counter() - began)


def machine() -> str:
    """What the figures were taken on: they differ by machine (the same code measured 485/s and 1,195/s for
    PostgreSQL single POSTs on two 2-vCPU machines of this project)."""
    model = "unknown CPU"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            fields = {name.strip(): value.strip() for name, value in
                      (line.split(":", 1) for line in cpuinfo if ":" in line)}
        model = f"{fields['model name']} (family {fields['cpu family']}, model {fields['model']})"
    except (OSError, KeyError):
        pass
    return (f"{model}, {len(os.sched_getaffinity(0))} CPUs, Python {platform.python_version()}, "
            f"SQLite {sqlite3.sqlite_version}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--secret", required=True)
    parser.add_argument("--seed", type=int, default=0, help="statements to preload by SQL before the query figures")
    parser.add_argument("--database-url", help="the server's database (needed for --seed)")
    args = parser.parse_args()
    auth = (args.key, args.secret)
    print(f"machine: {machine()}")
    for kind in KINDS:
        rows_per_second = floor(kind)
        print(f"{kind} statements; floor (SQLite executemany of the same JSON): {rows_per_second:8.0f} rows/s")
        for label, batch, total, clients in (("single POST, 1 client", 1, 2000, 1),
                                             ("single POST, 8 clients", 1, 4000, 8),
                                             ("batches of 100", 100, 20_000, 2), ("batches of 1,000", 1000, 20_000, 2)):
            rate = post_rate(args.url, auth, kind, batch, total, clients)
            print(f"  {label + ':':24s}{rate:8.0f} statements/s  ({rate / rows_per_second:.3f} of the floor)")
    if args.seed and args.database_url:
        began = time.perf_counter()
        seed(args.database_url, args.seed)
        print(f"seeded {args.seed} statements in {time.perf_counter() - began:.0f} s (SQL, not HTTP)")
    if args.database_url:
        engine = create_engine(args.database_url)
        with engine.connect() as connection:
            stored = connection.execute(select(func.count()).select_from(Statement)).scalar_one()
        engine.dispose()
        print(f"statements stored:       {stored:8d}")
    agent = json.dumps({"mbox": "mailto:learner7@example.org"})
    p50, p95 = latency(args.url, auth, {"agent": agent, "verb": "http://adlnet.gov/expapi/verbs/v7"})
    print(f"GET agent+verb, 100:     p50 {p50:6.1f} ms  p95 {p95:6.1f} ms")
    p50, p95 = latency(args.url, auth, {"activity": "http://example.org/activity/7"})
    print(f"GET activity, 100:       p50 {p50:6.1f} ms  p95 {p95:6.1f} ms")


if __name__ == "__main__":
    main()
