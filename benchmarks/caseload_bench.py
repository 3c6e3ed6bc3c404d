"""The assessor's caseload at course scale: how long the page takes with thousands of learners.

    .venv/bin/python benchmarks/caseload_bench.py [--learners 2000] [--units 3] [--requests 30]
        [--database-url sqlite:///… | postgresql+psycopg://…]   (default: a temporary SQLite file)

Seeds one course the way compile runs and assessors leave it: every learner enrolled, with one to three
portfolio snapshots written by plugin.portfolios.repository.insert_snapshots (which writes each snapshot's
summary beside it) over ``--units`` units of the shipped standard, about 40 statements of evidence each;
judgements of some units of most learners (some on an older snapshot whose evidence has changed since), and
open requests to be assessed again from a few. Then asks for the caseload over HTTP (Flask's test client, as
the appointed assessor) in several views and prints p50 and p95 wall time of each (and this process's CPU time:
the machine may be shared; for SQLite it includes the database's work, PostgreSQL's server CPU is not counted),
and the first request after the summaries were removed (a database upgraded from before summaries: they are
written then)."""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from coverage_bench import WWWROOT, load_standard  # this folder's

OUTCOMES = ("competent", "not_yet_competent", "more_evidence")
STATUSES = ("none", "some", "evidenced")


def document(rng: random.Random, standard: Any, units: list[str], subject: str, name: str,
             seed_shift: int) -> dict[str, Any]:
    """A portfolio's shape (plugin/portfolios/SCHEMA.md) with random statuses; ``seed_shift`` moves evidence."""
    evidence = [{"id": f"{subject}-{n + seed_shift}", "activity": f"{WWWROOT}/mod/quiz/view.php?id={100 + n % 60}",
                 "activity_name": f"quiz {n % 60}", "verb": {"id": "http://adlnet.gov/expapi/verbs/completed",
                                                              "display": "completed"},
                 "result": {"score": rng.random(), "success": True, "completion": True},
                 "timestamp": (datetime(2026, 6, 1, tzinfo=UTC) + timedelta(minutes=rng.randrange(260_000)))
                 .strftime("%Y-%m-%dT%H:%M:%S.000Z"), "stored": None, "source": "moodle", "age_days": 3,
                 "current": True, "activities": []} for n in range(40)]

    def record(code: str, text: str) -> dict[str, Any]:
        status = rng.choice(STATUSES)
        links = [{"statement": rng.choice(evidence)["id"], "counts": status == "evidenced"}] if status != "none" else []
        return {"code": code, "text": text, "status": status, "current": True, "evidence": links}

    def summary(records: list[dict[str, Any]]) -> dict[str, Any]:
        counts = {s: sum(r["status"] == s for r in records) for s in STATUSES}
        return {**counts, "total": len(records), "fraction_evidenced": counts["evidenced"] / len(records)}

    out = []
    for code in units:
        unit = standard.units[code]
        elements, every = [], []
        for element_code in unit.elements:
            element = standard.elements[element_code]
            criteria = [record(c, standard.criteria[c].text) | {"number": standard.criteria[c].number}
                        for c in element.criteria]
            every += criteria
            elements.append({"code": element_code, "title": element.title, "assessment_methods": [],
                             "summary": summary(criteria), "criteria": criteria})
        out.append({"code": code, "title": unit.title, "summary": summary(every), "elements": elements,
                    "knowledge_evidence": [record(i, standard.evidence_items[i].text) for i in unit.knowledge_evidence],
                    "performance_evidence": [record(i, standard.evidence_items[i].text)
                                             for i in unit.performance_evidence]})
    return {"format": "samattha-portfolio/1", "as_of": "2026-12-01T00:00:00.000Z", "currency_days": 730,
            "learner": {"id": subject, "name": name, "actor": {"account": {"homePage": WWWROOT, "name": subject}}},
            "course": {"id": "2", "title": "bench", "label": "B", "wwwroot": WWWROOT, "mapping_version": 1},
            "standard": [], "units": out, "evidence": evidence}


def seed(app: Any, args: argparse.Namespace) -> tuple[int, int]:
    """(course id, assessor id)."""
    from plugin.clock import utcnow
    from plugin.models import AssessorAppointment, Course, Enrolment, User
    from plugin.models.caseload import ReassessmentRequest
    from plugin.models.judgements import Judgement
    from plugin.portfolios import repository

    rng = random.Random(19)
    standard = load_standard()
    units = list(standard.units)[:args.units]
    now, context = utcnow(), uuid.uuid4().hex[:8]
    began = time.perf_counter()
    with app.extensions["samattha.sessionmaker"]() as db:
        course = Course(issuer=WWWROOT, context_id=context, title="bench", updated_at=now)
        db.add(course)
        db.flush()
        assessor = User(issuer=WWWROOT, subject=f"{context}-assessor", name="ผู้ประเมิน", created_at=now,
                        xapi_actor={"account": {"homePage": WWWROOT, "name": f"{context}-assessor"}})
        db.add(assessor)
        db.flush()
        db.add(AssessorAppointment(course_id=course.id, user_id=assessor.id, appointed_at=now))
        learner_role = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
        for i in range(args.learners):
            subject = f"{context}-{i}"
            name = f"ผู้เรียน {rng.choice('กขคงจฉชซ')}{i:05d}"
            user = User(issuer=WWWROOT, subject=subject, name=name, created_at=now,
                        xapi_actor={"account": {"homePage": WWWROOT, "name": subject}})
            db.add(user)
            db.flush()
            db.add(Enrolment(course_id=course.id, user_id=user.id, source="nrps", updated_at=now, roles=[learner_role]))
            rows = []
            for number in range(1, rng.randint(1, 3) + 1):
                text = json.dumps(document(rng, standard, units, subject, name, number), sort_keys=True,
                                  ensure_ascii=False)
                rows.append({"course_id": course.id, "learner_id": user.id, "number": number,
                             "content_hash": hashlib.sha256(text.encode()).hexdigest(), "mapping_version": 1,
                             "as_of": now, "created_at": now, "run_id": None, "document": text})
            repository.insert_snapshots(db, rows)
            for code in units:
                if rng.random() < 0.6:
                    judged = rng.choice(rows)
                    db.add(Judgement(course_id=course.id, learner_id=user.id, assessor_id=assessor.id, unit_code=code,
                                     snapshot_number=judged["number"], content_hash=judged["content_hash"],
                                     outcome=rng.choice(OUTCOMES), comments="", criteria={},
                                     statement_id=str(uuid.uuid4()), recorded_at=now))
            if rng.random() < 0.05:
                db.add(ReassessmentRequest(course_id=course.id, learner_id=user.id, note="", requested_at=now))
            if i % 200 == 199:
                db.commit()
        db.commit()
        ids = course.id, assessor.id
    print(f"seeded {args.learners} learners x {args.units} units in {time.perf_counter() - began:.1f} s")
    return ids


def measure(app: Any, course: int, assessor: int, requests: int) -> None:
    from sqlalchemy import delete

    from plugin.launch.access import USER_KEY
    from plugin.models.caseload import SnapshotSummary, UnitSummary

    client = app.test_client()
    with client.session_transaction() as flask_session:
        flask_session[USER_KEY] = assessor

    def get(path: str) -> tuple[float, float]:
        began, cpu = time.perf_counter(), time.process_time()
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        return time.perf_counter() - began, time.process_time() - cpu

    def p95(values: list[float]) -> float:
        return sorted(values)[min(len(values) - 1, round(0.95 * (len(values) - 1)))]

    views = {"default (name order, page 1)": "", "awaiting judgement": "?status=awaiting",
             "changed since judged, one unit": "?status=changed&unit=" + "DG100",
             "by progress, page 20": "?sort=-progress&page=20", "name search": "?q=00042",
             "all my courses": None}
    engine = app.extensions["samattha.engine"]
    print(f"caseload over HTTP ({engine.dialect.name}), {requests} requests per view after one warm-up:")
    for label, query in views.items():
        path = "/caseload" if query is None else f"/course/{course}/portfolios{query}"
        get(path)
        runs = [get(path) for _ in range(requests)]
        wall, cpu = [w for w, _ in runs], [c for _, c in runs]
        print(f"  {label}: wall p50 {statistics.median(wall):.3f} s, p95 {p95(wall):.3f} s;"
              f" this process's CPU p50 {statistics.median(cpu):.3f} s")
    with app.extensions["samattha.sessionmaker"]() as db:
        db.execute(delete(SnapshotSummary).where(SnapshotSummary.course_id == course))
        db.execute(delete(UnitSummary).where(UnitSummary.course_id == course))
        db.commit()
    wall, cpu = get(f"/course/{course}/portfolios")
    print(f"  first request with no summaries (they are written then): {wall:.3f} s wall, {cpu:.3f} s CPU")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--learners", type=int, default=2000)
    parser.add_argument("--units", type=int, default=3, help="units of the standard each portfolio covers (≤ 17)")
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    from plugin.app import create_app
    from plugin.config import load_config
    from plugin.migrate import upgrade
    from plugin.standards import catalog
    from plugin.standards.sources import shipped_documents

    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite:///{folder}/bench.db"
        app = create_app(load_config(env={}, instance_path=Path(folder) / "instance", database_url=url, testing=True))
        upgrade(app.extensions["samattha.engine"])
        with app.extensions["samattha.sessionmaker"]() as db:
            if not catalog.list_units(db):
                for source in shipped_documents():
                    catalog.import_document(db, source, now=datetime.now(UTC))
                db.commit()
        course, assessor = seed(app, args)
        measure(app, course, assessor, args.requests)


if __name__ == "__main__":
    main()
