"""``samattha portfolios compile``: by course and learner, with figures; clear errors for unknown names; a
compile killed with SIGKILL half-way and started again gives the hashes of an uninterrupted one."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from plugin.cli import main
from plugin.db import make_engine
from plugin.evidence import LEARNER_ROLE
from plugin.mapping import store
from plugin.mapping.files import load_mapping
from plugin.migrate import upgrade
from plugin.models import Course, Enrolment, User
from plugin.models.portfolios import CompileRun, PortfolioSnapshot
from plugin.portfolios import repository
from plugin.standards import catalog
from plugin.standards.sources import shipped_documents
from tests.test_portfolio_run import LAB, ROOT, course, lab_statements, package_statement, post  # noqa: F401
from xapi.service import record_statements

AUTHORITY = {"objectType": "Agent", "account": {"homePage": "https://samattha.dev", "name": "tests"}}


@pytest.fixture
def cli_env(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SAMATTHA_DATABASE_URL", database_url)
    monkeypatch.setenv("SAMATTHA_INSTANCE_PATH", str(tmp_path / "instance"))


def test_compile_one_learner_then_the_course(app: Flask, session: Session, course: Course, post: Any,  # noqa: F811
                                             cli_env: None) -> None:
    post(lab_statements())
    runner = CliRunner()
    one = runner.invoke(main, ["portfolios", "compile", "--course", "2", "--learner", "3"])
    assert one.exit_code == 0, one.output
    assert "LTI Lab Course: 1 due, 1 compiled, 1 new snapshots, 12 statements read" in one.output
    three = session.query(User).filter_by(subject="3").one()
    four = session.query(User).filter_by(subject="4").one()
    assert repository.latest_snapshot(session, course, three.id) is not None
    assert repository.latest_snapshot(session, course, four.id) is None

    everyone = runner.invoke(main, ["portfolios", "compile"])
    assert everyone.exit_code == 0, everyone.output
    assert "4 due, 4 compiled, 4 new snapshots" in everyone.output  # learner 3 has nothing new
    assert "finished" in everyone.output


def test_unknown_course_and_learner_are_named(app: Flask, course: Course, cli_env: None) -> None:  # noqa: F811
    runner = CliRunner()
    missing = runner.invoke(main, ["portfolios", "compile", "--course", "99"])
    assert missing.exit_code == 2 and "--course" in missing.output and "'99'" in missing.output
    nobody = runner.invoke(main, ["portfolios", "compile", "--course", "2", "--learner", "nobody"])
    assert nobody.exit_code == 2 and "--learner" in nobody.output
    alone = runner.invoke(main, ["portfolios", "compile", "--learner", "3"])
    assert alone.exit_code == 2 and "--learner needs --course" in alone.output


KILL_LEARNERS = 120


def _seed(url: str) -> None:
    """A migrated database holding the lab course, its mapping, KILL_LEARNERS learners and their statements,
    all with fixed ids and ``stored`` times, so two databases seeded alike compile to the same hashes."""
    engine = make_engine(url)
    upgrade(engine)
    moment = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
    with Session(engine) as session:
        for doc in shipped_documents():
            catalog.import_document(session, doc, now=moment)
        lab = Course(issuer=LAB, context_id="2", title="LTI Lab Course", updated_at=moment)
        session.add(lab)
        session.flush()
        for number in range(KILL_LEARNERS):
            subject = str(100 + number)
            user = User(issuer=LAB, subject=subject, name=f"ผู้เรียน {subject}", created_at=moment,
                        xapi_actor={"objectType": "Agent", "account": {"homePage": LAB, "name": subject}})
            session.add(user)
            session.flush()
            session.add(Enrolment(course_id=lab.id, user_id=user.id, roles=[LEARNER_ROLE], source="nrps",
                                  updated_at=moment))
        index = store.standard_index(session)
        mapping = load_mapping((ROOT / "mappings" / "example-dg-opsr-023.toml").read_text("utf-8"), standard=index)
        store.save_mapping(session, lab, mapping, index, author=None, now=moment, source="file")
        for number in range(KILL_LEARNERS):
            made = [package_statement(str(100 + number), number * 10 + k, (number + k) % 3 != 0) for k in range(6)]
            record_statements(session, made, authority=AUTHORITY, now=moment + timedelta(minutes=number))
        session.commit()
    engine.dispose()


def _hashes(url: str) -> dict[str, str]:
    engine = make_engine(url)
    with Session(engine) as session:
        rows = session.execute(select(User.subject, PortfolioSnapshot.content_hash)
                               .join(User, User.id == PortfolioSnapshot.learner_id))
        found = {subject: digest for subject, digest in rows}
    engine.dispose()
    return found


def _count(engine: Engine) -> int:
    with engine.connect() as connection:
        return connection.scalar(select(func.count()).select_from(PortfolioSnapshot)) or 0


def test_a_compile_killed_mid_run_and_restarted_gives_the_same_hashes(databases: Any, tmp_path: Path) -> None:
    killed_url, whole_url = databases.new(), databases.new()
    _seed(killed_url)
    _seed(whole_url)
    command = [sys.executable, "-m", "plugin", "portfolios", "compile"]

    def env(url: str) -> dict[str, str]:
        return {**os.environ, "SAMATTHA_DATABASE_URL": url, "SAMATTHA_INSTANCE_PATH": str(tmp_path / "i"),
                "SAMATTHA_COMPILE_BATCH": "1"}  # one learner per commit: many batches to die between

    whole = subprocess.run(command, env=env(whole_url), capture_output=True, text=True, timeout=300)
    assert whole.returncode == 0, whole.stderr
    assert f"{KILL_LEARNERS} due, {KILL_LEARNERS} compiled, {KILL_LEARNERS} new snapshots" in whole.stdout

    engine = make_engine(killed_url)
    process = subprocess.Popen(command, env=env(killed_url), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while _count(engine) == 0 and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.005)
        process.send_signal(signal.SIGKILL)  # no cleanup of any kind: a power cut, the OOM killer
    finally:
        process.wait(timeout=60)
    kept = _count(engine)
    assert process.returncode == -signal.SIGKILL
    assert 0 < kept < KILL_LEARNERS, "the kill should land after the first batch and before the last"
    with Session(engine) as session:
        assert session.scalars(select(CompileRun.status)).all() == ["running"]  # the dead process's run
    engine.dispose()

    again = subprocess.run(command, env=env(killed_url), capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr  # not refused: the dead holder's SQLite lock row is taken over
    rest = KILL_LEARNERS - kept
    assert f"{rest} due, {rest} compiled, {rest} new snapshots" in again.stdout
    assert _hashes(killed_url) == _hashes(whole_url)
    assert len(_hashes(whole_url)) == KILL_LEARNERS
