"""With SAMATTHA_CLAMD_SOCKET set, every file a learner adds is scanned by clamd before it is stored (here a
clamd-protocol stand-in on a real unix socket, tests/clamd_stub.py): a clean file is stored, an infected one is
refused naming the file and the signature in the page's language, and while clamd cannot be reached every
upload is refused with a clear message and a log line, never stored unscanned, never a 500."""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select

from plugin.config import load_config
from plugin.models.learner_evidence import EvidencePiece
from tests.clamd_stub import EICAR, clamd
from tests.test_authorization_matrix import build_world
from tests.test_learner_evidence_web import PDF, _add, _client


@pytest.fixture
def socket_dir() -> Iterator[Path]:
    # A unix socket's path must be short (108 bytes): pytest's tmp_path can be longer.
    with tempfile.TemporaryDirectory(prefix="clamd-") as folder:
        yield Path(folder)


def _scanning(app: Flask, setting: str) -> None:
    app.config["SAMATTHA"] = app.config["SAMATTHA"].with_overrides(clamd_socket=setting)


def _pieces(app: Flask) -> int:
    with app.extensions["samattha.sessionmaker"]() as db:
        return int(db.scalar(select(func.count()).select_from(EvidencePiece)) or 0)


def test_a_clean_file_is_stored_and_an_infected_one_is_refused_naming_it_and_the_signature(
        app: Flask, standard: object, tmp_path: Path, socket_dir: Path) -> None:
    world = build_world(app, tmp_path)
    learner = _client(app, world, "learner_a", language="th")
    with clamd(socket_dir / "clamd.sock") as setting:
        _scanning(app, setting)
        before = _pieces(app)
        assert _add(learner, world, [(PDF, "report.pdf")]).status_code == 303  # type: ignore[attr-defined]
        assert _pieces(app) == before + 1
        refused = _add(learner, world, [(PDF, "report.pdf"), (EICAR, "บันทึก.txt")])
    assert refused.status_code == 400  # type: ignore[attr-defined]
    page = refused.get_data(as_text=True)  # type: ignore[attr-defined]
    assert "ไม่รับไฟล์ บันทึก.txt: โปรแกรมตรวจไวรัสพบ Eicar-Signature ในไฟล์นี้" in page
    assert _pieces(app) == before + 1  # neither file of the refused piece is stored


def test_while_clamd_cannot_be_reached_uploads_are_refused_and_logged(
        app: Flask, standard: object, tmp_path: Path, socket_dir: Path, caplog: pytest.LogCaptureFixture) -> None:
    world = build_world(app, tmp_path)
    _scanning(app, str(socket_dir / "nobody-listens.sock"))
    before = _pieces(app)
    with caplog.at_level(logging.ERROR, logger="plugin.learner_evidence.files"):
        answer = _add(_client(app, world, "learner_a"), world, [(PDF, "report.pdf")])
    assert answer.status_code == 503  # type: ignore[attr-defined]
    assert "report.pdf was not added: the virus scanner cannot be reached" in answer.get_data(as_text=True)  # type: ignore[attr-defined]
    assert _pieces(app) == before
    assert any("nobody-listens.sock" in r.getMessage() and "report.pdf" in r.getMessage() for r in caplog.records)


def test_the_setting_is_a_unix_socket_path_or_tcp_and_a_typo_stops_start_up(tmp_path: Path) -> None:
    def clamd_setting(value: str) -> str | None:
        return load_config(env={"SAMATTHA_CLAMD_SOCKET": value}, instance_path=tmp_path,
                           database_url="sqlite://", secret_key="k").clamd_socket

    assert clamd_setting("") is None
    assert clamd_setting(" /run/clamav/clamd.ctl ") == "/run/clamav/clamd.ctl"
    assert clamd_setting("tcp://clamav:3310") == "tcp://clamav:3310"
    for wrong in ("clamd.ctl", "tcp://clamav", "tcp://clamav:99999"):
        with pytest.raises(ValueError, match="SAMATTHA_CLAMD_SOCKET"):
            clamd_setting(wrong)
