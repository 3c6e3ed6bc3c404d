"""Time compilation runs from a real database: a full compile, then an incremental one after 100 statements.

    .venv/bin/python benchmarks/portfolio_bench.py [--learners 10000] [--per-learner 100]
        [--database-url sqlite:///… | postgresql+psycopg://…]   (default: a temporary SQLite file)
        [--loader store|record] [--full-runs 1] [--incremental-runs 5] [--reuse]

The course is the example lab course (mappings/example-dg-opsr-023.toml) with ``--learners`` enrolled
learners; each has ``--per-learner`` Moodle-shaped statements about the mapped activities (quiz attempts with
scores, assignment grades, page views, forum posts), spread over the past year (see ``load`` for how they are
stored). Prints wall and CPU time of the full compile (best of ``--full-runs``; the compile tables and the
course's coverage row are emptied before each run, see ``_forget``), learners/s, statements/s and both times
per statement, and of incremental compiles each after 100 new statements (best of ``--incremental-runs``).
Targets (issues 6 and 22): full ≤ 60 s for 10,000 × 100 with every snapshot written, incremental after 100
new statements ≤ 1 s. ``--reuse`` compiles a database an earlier run filled (loading 10^6 takes minutes).
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import delete, text
from sqlalchemy.orm import sessionmaker

from plugin.clock import utcnow
from plugin.db import make_engine
from plugin.evidence import LEARNER_ROLE
from plugin.mapping import store
from plugin.mapping.files import load_mapping
from plugin.migrate import upgrade
from plugin.models import Course, Enrolment, User
from plugin.models.caseload import SnapshotSummary, UnitSummary
from plugin.models.mapping import CoverageProgress
from plugin.models.portfolios import CompileRun, CompileState, PortfolioSnapshot
from plugin.portfolios.parallel import workers
from plugin.portfolios.run import compile_all
from plugin.standards import catalog
from plugin.standards.sources import shipped_documents
from xapi.prepare import to_micros
from xapi.service import prepare_batch, record_statements
from xapi.store import store_statements

ROOT = Path(__file__).resolve().parent.parent
LAB = "http://127.0.0.1:8081"
AUTHORITY = {"objectType": "Agent", "account": {"homePage": "https://samattha.dev", "name": "bench"}}
VERBS = {"completed": "http://adlnet.gov/expapi/verbs/completed", "scored": "http://adlnet.gov/expapi/verbs/scored",
         "viewed": "http://id.tincanapi.com/verb/viewed", "replied": "http://id.tincanapi.com/verb/replied"}
ACTIVITIES = [("completed", f"{LAB}/mod/quiz/attempt.php?attempt={{n}}&cmid=6", f"{LAB}/mod/quiz/view.php?id=6"),
              ("scored", f"{LAB}/mod/assign/view.php?id=5#submission", f"{LAB}/mod/assign/view.php?id=5"),
              ("viewed", f"{LAB}/mod/page/view.php?id=3", None),
              ("replied", f"{LAB}/mod/forum/discuss.php?d={{n}}", f"{LAB}/mod/forum/view.php?id=8")]


def statement(subject: str, n: int, moment: datetime, rng: random.Random) -> dict[str, Any]:
    verb, iri, parent = ACTIVITIES[n % len(ACTIVITIES)]
    context: dict[str, Any] = {"platform": "Moodle", "contextActivities": {
        "grouping": [{"id": f"{LAB}/course/view.php?id=2", "objectType": "Activity"}]}}
    if parent:
        context["contextActivities"]["parent"] = [{"id": parent, "objectType": "Activity"}]
    made: dict[str, Any] = {
        "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "actor": {"objectType": "Agent", "account": {"homePage": LAB, "name": subject}},
        "verb": {"id": VERBS[verb], "display": {"en": verb}},
        "object": {"id": iri.format(n=n), "objectType": "Activity", "definition": {"name": {"en": f"{verb} {n}"}}},
        "context": context, "timestamp": moment.isoformat(),
    }
    if verb in ("completed", "scored"):
        raw = rng.randint(0, 10)
        made["result"] = {"score": {"raw": raw, "min": 0, "max": 10, "scaled": raw / 10}, "completion": True}
    return made


def load(sessions: sessionmaker[Any], learners: int, per_learner: int) -> None:
    """The standard, the course, its learners and mapping, then the statements through xapi.store's own
    ``store_statements`` (the function every POST /xapi/statements ends in) in batches of 5,000 after
    ``prepare_batch``; the generated statements are valid by construction, so the validation pass of
    ``record_statements`` is skipped to make loading 10^6 bearable (``--loader record`` uses it)."""
    rng = random.Random(6)
    now = utcnow()
    with sessions() as session:
        for doc in shipped_documents():
            catalog.import_document(session, doc, now=now)
        course = Course(issuer=LAB, context_id="2", title="LTI Lab Course", updated_at=now)
        session.add(course)
        session.flush()
        users = [User(issuer=LAB, subject=str(1000 + i), name=f"Learner {i}", created_at=now,
                      xapi_actor={"objectType": "Agent", "account": {"homePage": LAB, "name": str(1000 + i)}})
                 for i in range(learners)]
        session.add_all(users)
        session.flush()
        session.add_all(Enrolment(course_id=course.id, user_id=u.id, roles=[LEARNER_ROLE], source="nrps",
                                  updated_at=now) for u in users)
        index = store.standard_index(session)
        text = (ROOT / "mappings" / "example-dg-opsr-023.toml").read_text("utf-8")
        store.save_mapping(session, course, load_mapping(text, standard=index), index, author=None, now=now,
                           source="file")
        session.commit()
        start = now - timedelta(days=365)
        total, batch_size, done = learners * per_learner, 5000, 0
        began = time.perf_counter()
        while done < total:
            batch = []
            for k in range(done, min(total, done + batch_size)):
                learner, n = divmod(k, per_learner)
                batch.append(statement(str(1000 + learner), n, start + timedelta(seconds=k * 31_536_000 // total), rng))
            # stored spread over the year too, in order, as a year of Moodle traffic would have been
            stored = start + timedelta(seconds=done * 31_536_000 // total)
            _store(session, batch, stored)
            session.commit()
            done += len(batch)
        print(f"loaded {total:,} statements for {learners:,} learners in {time.perf_counter() - began:.1f} s "
              f"({LOADER})", flush=True)


LOADER = "store"


def _store(session: Any, batch: list[dict[str, Any]], stored: datetime) -> None:
    if LOADER == "record":
        record_statements(session, batch, authority=AUTHORITY, now=stored)
        return
    prepared = prepare_batch(batch, stored_us=to_micros(stored), authority=AUTHORITY, version="1.0.3",
                             credential_key=None)
    store_statements(session, prepared, {s["id"] for s in batch})


def _cpu() -> float:
    """CPU seconds of this process and of its finished children (SAMATTHA_COMPILE_WORKERS' processes)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def _timed(action: Callable[[], Any]) -> tuple[Any, float, float]:
    wall, cpu = time.perf_counter(), _cpu()
    result = action()
    return result, time.perf_counter() - wall, _cpu() - cpu


def _forget(sessions: sessionmaker[Any]) -> None:
    """Empty the compile tables and the course's coverage row (not the LRS), so the next full compile starts
    from nothing, as the first after loading did: every learner compiled, every snapshot written, and the
    course's statements read once to find its learners (plugin.evidence.enrol_lrs_learners)."""
    with sessions() as session:
        for table in (UnitSummary, SnapshotSummary, PortfolioSnapshot, CompileState, CompileRun, CoverageProgress):
            session.execute(delete(table))
        session.commit()


def main() -> None:
    global LOADER
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--learners", type=int, default=10_000)
    parser.add_argument("--per-learner", type=int, default=100)
    parser.add_argument("--database-url", help="an empty database (it is migrated and filled)")
    parser.add_argument("--reuse", action="store_true",
                        help="the database was filled by an earlier run: skip loading, forget its compiles")
    parser.add_argument("--loader", choices=("store", "record"), default="store")
    parser.add_argument("--full-runs", type=int, default=1, help="full compiles, the best is reported")
    parser.add_argument("--incremental-runs", type=int, default=5, help="incremental compiles, best reported")
    args = parser.parse_args()
    LOADER = args.loader
    url = args.database_url or f"sqlite:///{tempfile.mkdtemp(prefix='portfolio-bench-')}/bench.db"
    print(f"database: {url}", flush=True)
    engine = make_engine(url)
    if not args.reuse:  # a reused database is as the earlier run left it (so older code can compile it too)
        upgrade(engine)
    sessions = sessionmaker(engine, expire_on_commit=False)
    if args.reuse:
        _forget(sessions)
    else:
        load(sessions, args.learners, args.per_learner)
    if engine.dialect.name == "postgresql":
        # Fresh statistics, as autovacuum keeps them in a running LRS: right after a bulk load of 10^6 rows the
        # planner still thinks the tables small and scans all statements once per batch (4x slower).
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("ANALYZE"))
    print(f"{engine.dialect.name}, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} "
          f"compile workers {workers()} (wall time counts waiting for the CPU on a shared machine; CPU time is "
          "this process and its worker processes, the database server's excluded)", flush=True)
    best: tuple[float, float] | None = None
    for attempt in range(args.full_runs):
        if attempt:
            _forget(sessions)
        with sessions() as session:
            (run, _), wall, cpu = _timed(lambda: compile_all(session, now=utcnow()))
        per = max(run.statements_read, 1)
        print(f"full compile {attempt + 1}: {run.learners_compiled:,} learners, {run.statements_read:,} statements, "
              f"{run.snapshots_created:,} snapshots: {wall:.1f} s wall, {cpu:.1f} s CPU; per statement "
              f"{wall / per * 1e6:.1f} µs wall, {cpu / per * 1e6:.1f} µs CPU", flush=True)
        best = (wall, cpu) if best is None or wall < best[0] else best
        learners, statements = run.learners_compiled, run.statements_read
    assert best is not None
    print(f"FULL (best of {args.full_runs}): {best[0]:.1f} s wall ({best[1]:.1f} s CPU); "
          f"{learners / best[0]:,.0f} learners/s, {statements / best[0]:,.0f} statements/s; per statement "
          f"{best[0] / max(statements, 1) * 1e6:.1f} µs wall, {best[1] / max(statements, 1) * 1e6:.1f} µs CPU")
    rng = random.Random()  # fresh statement ids on every run (also with --reuse)
    fastest: tuple[float, float, int, int] | None = None
    for attempt in range(args.incremental_runs):
        with sessions() as session:
            fresh = [statement(str(1000 + rng.randrange(args.learners)), 10_000 + attempt * 100 + i,
                               datetime.now(UTC), rng) for i in range(100)]
            _store(session, fresh, utcnow())
            session.commit()
            (run, _), wall, cpu = _timed(lambda: compile_all(session, now=utcnow()))
        print(f"incremental {attempt + 1} after 100 statements: {run.learners_compiled} learners, "
              f"{run.statements_read:,} statements read: {wall:.2f} s wall, {cpu:.2f} s CPU", flush=True)
        if fastest is None or wall < fastest[0]:
            fastest = (wall, cpu, run.learners_compiled, run.statements_read)
    if fastest is not None:
        print(f"INCREMENTAL (best of {args.incremental_runs}): {fastest[0]:.2f} s wall ({fastest[1]:.2f} s CPU), "
              f"{fastest[2]} learners, {fastest[3]:,} statements read")
    engine.dispose()


if __name__ == "__main__":
    main()
