"""``samattha portfolios export`` through the real CLI (click's runner over plugin.cli.main) on a database
compiled by the real compile run: the ZIP's files, its index, the judgement trail, and clear refusals."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from plugin.archives import read_members
from plugin.cli import main
from plugin.clock import utcnow
from plugin.models import Course, User
from plugin.portfolios import repository
from plugin.portfolios.judgements import record_judgement
from plugin.portfolios.run import compile_all, compile_course, run_as_of, watermark
from tests.test_portfolio_cli import cli_env  # noqa: F401  (fixture)
from tests.test_portfolio_run import LAB, course, lab_statements, post  # noqa: F401  (fixtures)

MEGABYTE = 1 << 20
pytestmark = pytest.mark.usefixtures("cli_env")


def unzip(path: Path) -> dict[str, bytes]:
    """Through our own archive checks: the export must pass what Samattha demands of uploaded ZIPs."""
    return read_members(path, lambda _: True, max_member_bytes=20 * MEGABYTE)


def sam(session: Session) -> User:
    return session.scalars(select(User).where(User.subject == "3")).one()


def judge(session: Session, course: Course) -> None:  # noqa: F811
    snapshot = repository.latest_snapshot(session, course, sam(session).id)
    assert snapshot is not None
    assessor = session.scalars(select(User).where(User.subject == "7")).one()
    unit = snapshot.document["units"][0]["code"]
    record_judgement(session, course, snapshot, assessor=assessor, unit_code=unit, outcome="more_evidence",
                     comments="ขอหลักฐานเพิ่ม", criteria={}, base_url="http://tool.test", now=utcnow())
    session.commit()


def test_json_export_of_a_course_holds_every_portfolio_its_hash_and_judgements(
        app: Flask, session: Session, course: Course, post: Any, tmp_path: Path) -> None:  # noqa: F811
    post(lab_statements())
    compile_all(session, now=utcnow())
    judge(session, course)
    out = tmp_path / "course-2.zip"
    result = CliRunner().invoke(main, ["portfolios", "export", "--course", "2", "--format", "json", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "JSON portfolios" in result.output  # the progress bar's label (no terminal: no bar drawn)
    assert f"5 portfolios of LTI Lab Course (json) written to {out}" in result.output
    files = unzip(out)
    index = json.loads(files.pop("index.json"))
    assert (index["schema"], index["format"]) == ("samattha-portfolio-index/1", "json")
    snapshots = {str(s.learner_id): s for s in repository.snapshots_for_course(session, course)}
    assert sorted(files) == sorted(entry["file"] for entry in index["portfolios"]) and len(files) == 5
    for entry in index["portfolios"]:
        snapshot = snapshots[entry["learner"]]
        document = json.loads(files[entry["file"]])
        assert document == snapshot.document
        canonical = json.dumps(document, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        assert hashlib.sha256(canonical.encode("utf-8")).hexdigest() == entry["content_hash"] == snapshot.content_hash
        assert entry["snapshot"] == snapshot.number and entry["as_of"] == document["as_of"]
    trail = {e["learner"]: e["judgements"] for e in index["portfolios"]}
    [judgement] = trail[str(sam(session).id)]
    assert (judgement["outcome"], judgement["comments"]) == ("more_evidence", "ขอหลักฐานเพิ่ม")
    assert judgement["snapshot"]["content_hash"] == snapshots[str(sam(session).id)].content_hash
    assert judgement["stale"] is False  # judged on the snapshot exported
    assert sum(len(t) for t in trail.values()) == 1


def test_pdf_and_html_exports_render_each_learner(app: Flask, session: Session, course: Course, post: Any,  # noqa: F811
                                                  tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SAMATTHA_ORGANISATION", "กรมตัวอย่าง")
    monkeypatch.setenv("SAMATTHA_TIMEZONE", "Asia/Tokyo")
    post(lab_statements())
    as_of = run_as_of(watermark(session), utcnow())
    compile_course(session, course, as_of=as_of, learner=sam(session))  # one PDF keeps the test quick
    runner = CliRunner()
    pdf = runner.invoke(main, ["portfolios", "export", "--course", "2", "--format", "pdf",
                               "--out", str(tmp_path / "p.zip")])
    assert pdf.exit_code == 0, pdf.output
    files = unzip(tmp_path / "p.zip")
    [name] = [n for n in files if n != "index.json"]
    assert name == f"{sam(session).id}-Learner-3.pdf" and files[name].startswith(b"%PDF")
    page = runner.invoke(main, ["portfolios", "export", "--course", "2", "--format", "html", "--language", "en",
                                "--out", str(tmp_path / "h.zip"), "--issuer", LAB])
    assert page.exit_code == 0, page.output
    [html] = [body.decode("utf-8") for n, body in unzip(tmp_path / "h.zip").items() if n.endswith(".html")]
    assert '<html lang="en">' in html and "Knowledge-evidence portfolio" in html
    # The record's cover: the organisation and the zone the operator set, read by the command's app.
    assert '<p class="organisation">กรมตัวอย่าง</p>' in html and "times in Asia/Tokyo (UTC+09:00)" in html
    criterion = repository.latest_snapshot(session, course, sam(session).id)
    assert criterion is not None
    assert criterion.document["units"][0]["elements"][0]["criteria"][0]["text"] in html


def test_refusals_name_the_option_and_write_nothing(app: Flask, session: Session, course: Course,  # noqa: F811
                                                    tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "x.zip"

    def run(*args: str) -> Any:
        return runner.invoke(main, ["portfolios", "export", *args])

    unknown = run("--course", "99", "--out", str(out))
    assert unknown.exit_code == 2 and "--course" in unknown.output and "'99'" in unknown.output
    fmt = run("--course", "2", "--format", "docx", "--out", str(out))
    assert fmt.exit_code == 2 and "--format" in fmt.output
    nowhere = run("--course", "2", "--out", str(tmp_path / "no" / "such" / "x.zip"))
    assert nowhere.exit_code == 2 and "--out" in nowhere.output
    empty = run("--course", "2", "--out", str(out))
    assert empty.exit_code == 1 and "no portfolio has been compiled yet" in empty.output
    session.add(Course(issuer="https://moodle.example.org", context_id="2", title="Elsewhere", updated_at=utcnow()))
    session.commit()
    twice = run("--course", "2", "--out", str(out))
    assert twice.exit_code == 2 and "--issuer" in twice.output
    assert list(tmp_path.glob("*.zip")) == [] and list(tmp_path.glob(".x.zip*")) == []


def test_an_export_replaces_an_older_one_whole(app: Flask, session: Session, course: Course, post: Any,  # noqa: F811
                                              tmp_path: Path) -> None:
    post(lab_statements())
    compile_all(session, now=utcnow())
    folder = tmp_path / "exports"
    folder.mkdir()
    out = folder / "course.zip"
    out.write_bytes(b"an older export")
    result = CliRunner().invoke(main, ["portfolios", "export", "--course", "2", "--format", "json", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "index.json" in unzip(out) and [p.name for p in folder.iterdir()] == ["course.zip"]
