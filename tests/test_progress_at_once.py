"""A learner who has just done something sees it on their page at once, not at the next scheduled run, and
their page and the coordinator's coverage agree about the same statement."""

from __future__ import annotations

import requests
from sqlalchemy import func, select

from plugin.clock import utcnow
from plugin.mapping.files import load_mapping
from plugin.mapping.store import save_mapping, standard_index
from plugin.models import Course
from plugin.models.portfolios import CompileRun
from tests.lrs_support import headers, issue
from tests.test_judgements import LAB, ROOT, lab_statements
from tests.test_lti_flow import Env, env_fixture

assert env_fixture


def test_the_learner_page_compiles_the_learner_when_their_statements_are_newer(env: Env, standard: object) -> None:
    teacher, sam = requests.Session(), requests.Session()
    env.launch("4", teacher)
    env.launch("3", sam)
    with env.db() as db:
        course = db.scalars(select(Course).filter_by(context_id="2")).one()
        index = standard_index(db)
        text = (ROOT / "mappings" / "example-dg-opsr-023.toml").read_text("utf-8").replace(LAB, env.platform.url)
        save_mapping(db, course, load_mapping(text, standard=index), index, author=None, now=utcnow(), source="file")
        db.commit()
        course_pk = course.id
    page = sam.get(f"{env.url}/course/{course_pk}/learner", timeout=10).text
    assert 'data-status="evidenced"' not in page  # compiled on the spot: nothing done yet

    # Sam does the quiz and the assignment; Moodle's log store posts it; he opens his page straight away.
    key, secret = issue(env.app, "all")
    posted = requests.post(f"{env.url}/xapi/statements", json=lab_statements(env.platform.url),
                           headers=headers(key, secret), timeout=10)
    assert posted.status_code == 200
    page = sam.get(f"{env.url}/course/{course_pk}/learner", timeout=10).text
    coverage = teacher.get(f"{env.url}/api/courses/{course_pk}/coverage", timeout=10).json()
    [row] = [r for r in coverage["learners"] if r["name"] == "Sam Student"]
    evidenced = sorted(code for code, status in row["criteria"].items() if status == "evidenced")
    assert evidenced and all(f'data-criterion="{code}" data-status="evidenced"' in page for code in evidenced)
    portfolio = sam.get(f"{env.url}/course/{course_pk}/my-portfolio", timeout=10)
    assert portfolio.status_code == 200 and "DS601.01" in portfolio.text
    with env.db() as db:
        runs = db.scalar(select(func.count()).select_from(CompileRun).where(CompileRun.trigger == "page"))
    assert runs == 2  # once for the first visit, once after the new statements; my-portfolio found it current
