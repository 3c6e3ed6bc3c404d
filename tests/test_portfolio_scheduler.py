"""The compile lock: two processes never compile at once (PostgreSQL advisory lock, SQLite lock row)."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from plugin.clock import utcnow
from plugin.models.portfolios import CompileRun, SchedulerLock
from plugin.portfolios.scheduler import LockBusy, compile_lock, run_once


def test_a_second_holder_is_refused_until_the_first_lets_go(app: Flask) -> None:
    engine = app.extensions["samattha.engine"]
    with compile_lock(engine):
        with pytest.raises(LockBusy):
            with compile_lock(engine):
                pass
        with pytest.raises(LockBusy):
            run_once(app.extensions["samattha.sessionmaker"], trigger="schedule")
    run, _ = run_once(app.extensions["samattha.sessionmaker"], trigger="schedule")
    assert run.status == "finished"


def test_a_worker_skips_while_another_process_compiles(app: Flask, database_url: str, tmp_path: Path,
                                                       session: Session) -> None:
    env = {**os.environ, "SAMATTHA_DATABASE_URL": database_url, "SAMATTHA_INSTANCE_PATH": str(tmp_path / "i")}
    command = [sys.executable, "-m", "plugin", "worker", "--once"]
    with compile_lock(app.extensions["samattha.engine"]):
        busy = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert busy.returncode == 0, busy.stderr
    assert "Another process is compiling" in busy.stdout
    assert session.scalar(select(func.count()).select_from(CompileRun)) == 0
    free = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert free.returncode == 0, free.stderr
    number = session.scalars(select(CompileRun.id)).one()  # one run: the worker's
    assert f"Compile run {number} finished: 0 courses" in free.stdout
    again = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert f"Last run: Compile run {number} finished" in again.stdout  # the worker shows the last run


def test_sqlite_lock_of_a_dead_holder_expires(app: Flask, session: Session) -> None:
    engine = app.extensions["samattha.engine"]
    if engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL frees an advisory lock when its connection dies")
    with compile_lock(engine):
        # The holder dies without releasing: its row stays until its expiry passes.
        session.execute(update(SchedulerLock).values(holder="dead-host:1:x"))
        session.commit()
    with pytest.raises(LockBusy):
        with compile_lock(engine):
            pass
    session.execute(update(SchedulerLock).values(expires_at=utcnow() - timedelta(seconds=1)))
    session.commit()
    with compile_lock(engine):
        assert session.scalar(select(SchedulerLock.holder)) != "dead-host:1:x"
