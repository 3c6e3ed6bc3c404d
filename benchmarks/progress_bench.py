"""Statement → learner page: how long after the LRS acknowledges a learner's statement their own page shows it,
while a steady stream of other learners' statements arrives and the compile schedule runs.

    .venv/bin/python benchmarks/progress_bench.py [--learners 200] [--rate 100] [--seconds 120] [--samples 60]
        [--database-url sqlite:///… | postgresql+psycopg://…]   (default: a temporary SQLite file)

The app runs in this process (Flask's test client, one per thread), with the schedule compiling every minute
as `samattha serve` would. One thread posts ``--rate`` Moodle-shaped statements a second, in batches of ten,
from random learners. The measuring thread, ``--samples`` times: posts one passing quiz attempt for a learner
on a criterion they have not evidenced, then opens that learner's page until the criterion reads evidenced.
Prints p50, p95 and the worst, in seconds, and how many pages compiled their learner on the spot."""

from __future__ import annotations

import argparse
import base64
import random
import statistics
import tempfile
import threading
import time
import uuid
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from coverage_bench import WWWROOT, build_mapping, statement  # this folder's


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--learners", type=int, default=200)
    parser.add_argument("--rate", type=int, default=100, help="background statements per second")
    parser.add_argument("--seconds", type=float, default=120.0, help="how long the samples are spread over")
    parser.add_argument("--samples", type=int, default=60)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        run(args, args.database_url or f"sqlite:///{folder}/bench.db", Path(folder))


def run(args: argparse.Namespace, url: str, folder: Path) -> None:
    from sqlalchemy import func, select

    import xapi
    from plugin.app import create_app
    from plugin.clock import utcnow
    from plugin.config import load_config
    from plugin.launch.access import USER_KEY
    from plugin.mapping.store import save_mapping, standard_index
    from plugin.migrate import upgrade
    from plugin.models import Course, Enrolment, User
    from plugin.models.portfolios import CompileRun
    from plugin.portfolios.scheduler import start_scheduler
    from plugin.standards import catalog
    from plugin.standards.sources import shipped_documents

    app = create_app(load_config(env={}, instance_path=folder / "instance", database_url=url, testing=True))
    upgrade(app.extensions["samattha.engine"])
    sessions = app.extensions["samattha.sessionmaker"]
    now, context = utcnow(), uuid.uuid4().hex[:8]
    with sessions() as db:
        for document in shipped_documents():
            catalog.import_document(db, document, now=now)
        course = Course(issuer=WWWROOT, context_id=context, title="bench", updated_at=now)
        db.add(course)
        db.flush()
        users = []
        for i in range(args.learners):
            user = User(issuer=WWWROOT, subject=f"{context}-{i}", name=f"ผู้เรียน {i}", created_at=now,
                        xapi_actor={"account": {"homePage": WWWROOT, "name": f"{context}-{i}"}})
            db.add(user)
            db.flush()
            db.add(Enrolment(course_id=course.id, user_id=user.id, source="nrps", updated_at=now,
                             roles=["http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"]))
            users.append(user.id)
        index = standard_index(db)
        mapping, mods = build_mapping(index)
        mapping = replace(mapping, course_id=context)
        save_mapping(db, course, mapping, index, author=None, now=now, source="file")
        key, secret = xapi.create_credential(db, name="bench", scopes=["all"], now=now)
        db.commit()
        course_pk = course.id
    auth = {"Authorization": "Basic " + base64.b64encode(f"{key}:{secret}".encode()).decode(),
            "X-Experience-API-Version": "1.0.3"}

    def moodle(learner: int, rng: random.Random) -> dict[str, Any]:
        s = statement(rng, learner, mods, rng.randrange(10_000), datetime(2026, 1, 1, tzinfo=UTC))
        s["id"] = str(uuid.uuid4())
        s.pop("stored")
        if ":" not in s["verb"]["id"]:  # coverage_bench stores without validation; the LRS wants an IRI
            s["verb"]["id"] = "http://adlnet.gov/expapi/verbs/" + s["verb"]["id"]
        s["actor"]["account"]["name"] = f"{context}-{learner}"
        for parent in s["context"]["contextActivities"]["parent"]:
            parent["id"] = parent["id"].replace("/course/view.php?id=2", f"/course/view.php?id={context}")
        return s

    stop = threading.Event()

    def stream() -> None:
        client, rng = app.test_client(), random.Random(5)
        while not stop.is_set():
            began = time.perf_counter()
            batch = [moodle(rng.randrange(args.learners), rng) for _ in range(10)]
            answer = client.post("/xapi/statements", json=batch, headers=auth)
            if answer.status_code != 200:
                raise RuntimeError(f"the stream's POST answered {answer.status_code}: {answer.get_data(as_text=True)}")
            time.sleep(max(0.0, 10 / args.rate - (time.perf_counter() - began)))

    scheduler = start_scheduler(sessions, every_minutes=1, base_url="http://bench.test", report=lambda _: None)
    background = threading.Thread(target=stream, daemon=True)
    background.start()
    rng, waits = random.Random(7), []
    quizzes = [n for n, mod in enumerate(mods) if mod == "quiz"]
    interval = args.seconds / args.samples  # samples spread over the run, so scheduled compiles fall among them
    started = time.monotonic()
    try:
        for sample in range(args.samples):
            time.sleep(max(0.0, started + sample * interval - time.monotonic()))
            learner = rng.randrange(args.learners)
            activity = quizzes[sample % len(quizzes)]
            criterion = mapping.entries[activity].targets[0]
            module = f"{WWWROOT}/mod/quiz/view.php?id={100 + activity}"
            actor = {"account": {"homePage": WWWROOT, "name": f"{context}-{learner}"}}
            passed = {"id": str(uuid.uuid4()), "actor": actor,
                      "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"},
                      "object": {"id": f"{module}#attempt-{sample}", "objectType": "Activity"},
                      "result": {"score": {"raw": 10, "min": 0, "max": 10, "scaled": 1.0}, "completion": True},
                      "context": {"contextActivities": {"parent": [
                          {"id": module}, {"id": f"{WWWROOT}/course/view.php?id={context}"}]}}}
            page = app.test_client()
            with page.session_transaction() as flask_session:
                flask_session[USER_KEY] = users[learner]
            assert app.test_client().post("/xapi/statements", json=[passed], headers=auth).status_code == 200
            acknowledged = time.perf_counter()
            wanted = f'data-criterion="{criterion}" data-status="evidenced"'
            while wanted not in page.get(f"/course/{course_pk}/learner").get_data(as_text=True):
                time.sleep(0.05)
            waits.append(time.perf_counter() - acknowledged)
    finally:
        stop.set()
        background.join()
        scheduler.shutdown(wait=True)
    with sessions() as db:
        on_page = db.scalar(select(func.count()).select_from(CompileRun).where(CompileRun.trigger == "page"))
        statements = db.scalar(select(func.count()).select_from(xapi.models.Statement))
    waits.sort()
    p95 = waits[min(len(waits) - 1, int(0.95 * len(waits)))]
    print(f"database {app.extensions['samattha.engine'].dialect.name}; {args.learners} learners; "
          f"background {args.rate} statements/s; {statements} statements stored")
    print(f"statement → learner page, {len(waits)} samples: p50 {statistics.median(waits):.3f} s, "
          f"p95 {p95:.3f} s, worst {waits[-1]:.3f} s; {on_page} page compiles")
    app.extensions["samattha.engine"].dispose()


if __name__ == "__main__":
    main()
