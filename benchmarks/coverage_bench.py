"""Time coverage and portfolio compiling at course scale.

    .venv/bin/python benchmarks/coverage_bench.py [--learners 200] [--statements 100000] [--portfolios 10000]

Synthetic but Moodle-shaped data: every criterion of the shipped standard (17 units, 167 criteria) is
mapped to one of 60 activities (quizzes by score, assignments by score, pages by the viewed verb, lessons by
completion); statements look like moodle-logstore_xapi's (attempt/submission objects with the module as
parent[0], per-question answers one level deeper, plain views).
"""

from __future__ import annotations

import argparse
import json
import random
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from plugin.coverage import learner_progress, progress_csv, progress_svg
from plugin.mapping.model import CourseMapping, MappingEntry, Rule, StandardIndex
from plugin.portfolios import compile_portfolio, content_hash

ROOT = Path(__file__).resolve().parent.parent
WWWROOT = "https://moodle.example.ac.th"
VIEWED = "http://id.tincanapi.com/verb/viewed"
KINDS = [("quiz", Rule("score", threshold=0.8)), ("assign", Rule("score", threshold=0.5)),
         ("page", Rule("verbs", verbs=(VIEWED,))), ("lesson", Rule("completed"))]  # fmt: skip


def load_standard() -> StandardIndex:
    files = sorted((ROOT / "content" / "standards").glob("*.json"))
    return StandardIndex.from_documents([json.loads(f.read_text(encoding="utf-8")) for f in files])


def build_mapping(standard: StandardIndex, activities: int = 60) -> tuple[CourseMapping, list[str]]:
    criteria = list(standard.criteria)
    per = -(-len(criteria) // activities)
    entries, mods = [], []
    for n in range(activities):
        mod, rule = KINDS[n % len(KINDS)]
        targets = tuple(criteria[n * per : (n + 1) * per]) or (criteria[-1],)
        evidence = "performance" if mod == "assign" else "knowledge"
        entries.append(MappingEntry(cmid=100 + n, targets=targets, evidence=evidence, rule=rule, title=f"{mod} {n}"))
        mods.append(mod)
    return CourseMapping(course_id="2", wwwroot=WWWROOT, entries=tuple(entries)), mods


def statement(rng: random.Random, learner: int, mods: list[str], n: int, start: datetime) -> dict[str, Any]:
    activity = rng.randrange(len(mods))
    module = f"{WWWROOT}/mod/{mods[activity]}/view.php?id={100 + activity}"
    parents = [{"id": module}, {"id": f"{WWWROOT}/course/section.php?id=3"}, {"id": f"{WWWROOT}/course/view.php?id=2"}]
    shape = rng.random()
    if shape < 0.5:
        obj, verb, result, parents = module, VIEWED, None, parents[1:]
    elif shape < 0.8:
        raw = rng.randint(0, 10)
        obj, verb = f"{module}#submission", "http://adlnet.gov/expapi/verbs/completed"
        result = {"score": {"raw": raw, "min": 0, "max": 10, "scaled": raw / 5 - 1}, "completion": True}
    else:
        obj, verb, result = f"{WWWROOT}/question/question.php?cmid={100 + activity}&id=1", "answered", {"success": True}
        parents = [{"id": f"{WWWROOT}/mod/quiz/attempt.php?attempt=1&cmid={100 + activity}"}, *parents]
    out: dict[str, Any] = {
        "id": f"{learner:04d}-{n:07d}",
        "actor": {"account": {"homePage": WWWROOT, "name": str(learner)}},
        "verb": {"id": verb},
        "object": {"id": obj, "objectType": "Activity"},
        "context": {"platform": "Moodle", "contextActivities": {"parent": parents}},
        "timestamp": (start + timedelta(minutes=n)).isoformat(),
        "stored": (start + timedelta(minutes=n, seconds=1)).isoformat(),
    }
    if result is not None:
        out["result"] = result
    return out


def bench_progress(standard: StandardIndex, learners: int, total: int) -> None:
    mapping, mods = build_mapping(standard)
    rng = random.Random(1)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    by_learner: dict[str, list[dict[str, Any]]] = {str(i): [] for i in range(learners)}
    for n in range(total):
        learner = n % learners
        by_learner[str(learner)].append(statement(rng, learner, mods, n, start))
    runs = []
    for _ in range(3):  # best of three: a shared machine's other work is not ours
        began, cpu = time.perf_counter(), time.process_time()
        progress = learner_progress(mapping, standard, by_learner)
        runs.append((time.perf_counter() - began, time.process_time() - cpu))
    wall, cpu_time = min(runs)
    print(
        f"learner_progress: {learners} learners x {len(progress.criteria)} criteria x {total} statements: "
        f"{wall:.3f} s wall, {cpu_time:.3f} s CPU (best of 3)"
    )
    began = time.perf_counter()
    svg = progress_svg(progress, standard, names={k: f"ผู้เรียน {k}" for k in by_learner})
    csv_text = progress_csv(progress)
    took = time.perf_counter() - began
    print(f"progress_svg + progress_csv: {took:.3f} s ({len(svg) // 1024} KiB SVG, {len(csv_text) // 1024} KiB CSV)")


def bench_portfolios(standard: StandardIndex, learners: int, per_learner: int) -> None:
    mapping, mods = build_mapping(standard)
    rng = random.Random(2)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    as_of = datetime(2026, 12, 31, tzinfo=UTC)
    batches = [[statement(rng, i, mods, n, start) for n in range(per_learner)] for i in range(learners)]
    began, cpu = time.perf_counter(), time.process_time()
    for i, batch in enumerate(batches):
        portfolio = compile_portfolio(batch, mapping, standard, learner={"id": str(i), "name": "x"}, as_of=as_of)
        content_hash(portfolio)
    wall, cpu_time = time.perf_counter() - began, time.process_time() - cpu
    print(
        f"compile_portfolio + content_hash: {learners} learners x {per_learner} statements: {wall:.2f} s wall, "
        f"{cpu_time:.2f} s CPU ({cpu_time / learners * 1000:.2f} ms CPU per learner)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=200)
    parser.add_argument("--statements", type=int, default=100_000)
    parser.add_argument("--portfolios", type=int, default=10_000)
    parser.add_argument("--per-learner", type=int, default=100)
    args = parser.parse_args()
    standard = load_standard()
    bench_progress(standard, args.learners, args.statements)
    bench_portfolios(standard, args.portfolios, args.per_learner)


if __name__ == "__main__":
    main()
