"""`samattha lrs credentials create|list|revoke`: the secret is shown once and only its hash is stored."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
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


def test_the_list_shows_expiry_and_an_expired_key_as_expired(env: str) -> None:
    runner = CliRunner()
    # Three seconds ahead: however slow the machine, the key is created before its expiry, then waited out.
    soon = (datetime.now(UTC) + timedelta(seconds=3)).replace(microsecond=0)
    later = (datetime.now(UTC) + timedelta(days=30)).replace(second=0, microsecond=0)
    keys = {}
    for name, expires in (("short", soon), ("long", later), ("forever", None)):
        args = ["--expires", expires.strftime("%Y-%m-%d %H:%M:%S")] if expires else []
        created = runner.invoke(main, ["lrs", "credentials", "create", "--name", name, *args])
        assert created.exit_code == 0, created.output
        keys[name] = created.stdout.split("key: ", 1)[1].split()[0]
    time.sleep(max((soon - datetime.now(UTC)).total_seconds(), 0) + 0.2)
    listed = {line.split("\t")[0]: line.split("\t") for line in
              runner.invoke(main, ["lrs", "credentials", "list"]).stdout.splitlines()}
    assert listed[keys["short"]][3] == "expired"
    assert listed[keys["long"]][3:] == ["active", f"expires {later:%Y-%m-%d %H:%M} UTC"]
    assert listed[keys["forever"]][3:] == ["active", "expires never"]


@pytest.mark.parametrize(("option", "value", "message"), [
    ("--expires", "2020-01-01", "Invalid value for --expires: 2020-01-01 00:00 UTC is already past"),
    ("--name", "  ", "Invalid value for --name: must name who uses the credential"),
])
def test_a_credential_that_could_never_work_is_refused(env: str, option: str, value: str, message: str) -> None:
    args = {"--name": "moodle", option: value}
    result = CliRunner().invoke(main, ["lrs", "credentials", "create", *[x for pair in args.items() for x in pair]])
    assert result.exit_code == 2
    assert message in result.output
    assert "key:" not in result.output
    assert CliRunner().invoke(main, ["lrs", "credentials", "list"]).stdout == ""


def test_unknown_scope_is_refused(env: str) -> None:
    result = CliRunner().invoke(main, ["lrs", "credentials", "create", "--name", "x", "--scope", "everything"])
    assert result.exit_code != 0
