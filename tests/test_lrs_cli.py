"""`samattha lrs credentials create|list|revoke`: the secret is shown once and only its hash is stored."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from plugin.cli import main
from plugin.db import make_engine
from plugin.migrate import upgrade
from tests.conftest import FreshDatabases
from xapi.models import Credential


@pytest.fixture
def env(databases: FreshDatabases, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = databases.new()
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    monkeypatch.setenv("SAMATTHA_DATABASE_URL", url)
    monkeypatch.setenv("SAMATTHA_INSTANCE_PATH", str(tmp_path / "instance"))
    return url


def test_create_list_revoke(env: str) -> None:
    runner = CliRunner()
    created = runner.invoke(main, ["lrs", "credentials", "create", "--name", "moodle",
                                   "--scope", "statements/write", "--scope", "statements/read/mine"])
    assert created.exit_code == 0, created.output
    lines = dict(line.split(": ", 1) for line in created.stdout.splitlines() if ": " in line)
    key, secret = lines["key"], lines["secret"]
    engine = make_engine(env)
    with engine.connect() as connection:
        row = connection.execute(select(Credential.secret_hash, Credential.scopes).where(Credential.key == key)).one()
    engine.dispose()
    assert secret.encode() not in row.secret_hash and row.scopes == ["statements/write", "statements/read/mine"]
    listed = runner.invoke(main, ["lrs", "credentials", "list"])
    assert key in listed.output and "moodle" in listed.output and secret not in listed.output
    assert runner.invoke(main, ["lrs", "credentials", "revoke", key]).exit_code == 0
    assert "revoked" in runner.invoke(main, ["lrs", "credentials", "list"]).output
    assert runner.invoke(main, ["lrs", "credentials", "revoke", key]).exit_code != 0
    assert base64  # the secret travels as HTTP Basic; see test_lrs_statements for its use


def test_unknown_scope_is_refused(env: str) -> None:
    result = CliRunner().invoke(main, ["lrs", "credentials", "create", "--name", "x", "--scope", "everything"])
    assert result.exit_code != 0
