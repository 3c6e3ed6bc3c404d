"""`samattha standards …` and `samattha db upgrade` as an operator runs them."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from plugin.cli import main
from plugin.models import Criterion, Unit, UnitRevision

SOURCES = Path(__file__).resolve().parent.parent / "content" / "standards" / "sources"


@pytest.fixture
def run(app: Flask, tmp_path: Path):  # type: ignore[no-untyped-def]
    config = app.config["SAMATTHA"]
    env = {
        "SAMATTHA_DATABASE_URL": config.database_url,
        "SAMATTHA_INSTANCE_PATH": str(tmp_path / "cli-instance"),
        "SAMATTHA_BASE_URL": "http://tool.test",
    }

    def invoke(*args: str) -> Result:
        return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)

    return invoke


def _counts(session: Session) -> tuple[int, int, int]:
    return (
        session.scalar(select(func.count()).select_from(Unit)) or 0,
        session.scalar(select(func.count()).select_from(Criterion)) or 0,
        session.scalar(select(func.count()).select_from(UnitRevision)) or 0,
    )


def test_import_loads_17_units_and_reimport_changes_nothing(run, session: Session) -> None:  # type: ignore[no-untyped-def]
    first = run("standards", "import")
    assert first.exit_code == 0, first.output
    assert "dg-executive-developing.txt: 16 created" in first.output
    assert "dg-opsr-023.txt: 1 created" in first.output
    before = _counts(session)
    assert before[0] == 17
    again = run("standards", "import")
    assert "0 created, 0 updated, 16 unchanged" in again.output
    session.expire_all()
    assert _counts(session) == before


def test_revised_unit_is_updated_and_its_history_kept(run, session: Session, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    run("standards", "import")
    revised = tmp_path / "dg-opsr-023-rev2.txt"
    text = (SOURCES / "dg-opsr-023.txt").read_text(encoding="utf-8")
    assert text.count("รวบรวมความคิดเห็นของผู้ใช้") == 1
    revised.write_text(text.replace("รวบรวมความคิดเห็นของผู้ใช้", "รวบรวมและจัดกลุ่มความคิดเห็นของผู้ใช้"),
                       encoding="utf-8")
    result = run("standards", "import", str(revised))
    assert result.exit_code == 0, result.output
    assert "1 updated" in result.output and "DG-OPSR-023" in result.output
    criterion = session.scalar(select(Criterion).where(Criterion.code == "DS601.02"))
    assert criterion is not None and criterion.text == "รวบรวมและจัดกลุ่มความคิดเห็นของผู้ใช้"
    assert criterion.system_code == "216769"
    history = session.scalars(
        select(UnitRevision).where(UnitRevision.unit_code == "DG-OPSR-023").order_by(UnitRevision.sequence)
    ).all()
    assert [h.sequence for h in history] == [1, 2]
    assert history[1].changes == [{
        "change": "changed", "path": "elements[DS601].criteria[DS601.02].text",
        "old": "รวบรวมความคิดเห็นของผู้ใช้", "new": "รวบรวมและจัดกลุ่มความคิดเห็นของผู้ใช้",
    }]


def test_a_file_that_is_not_a_unit_text_is_refused_with_its_line_and_nothing_changes(  # type: ignore[no-untyped-def]
    run, session: Session, tmp_path: Path
) -> None:
    run("standards", "import")
    before = _counts(session)
    good = tmp_path / "good.txt"
    good.write_text((SOURCES / "dg-opsr-023.txt").read_text(encoding="utf-8").replace(
        "ถ่ายทอดองค์ความรู้", "ถ่ายทอดความรู้"), encoding="utf-8")
    bad = tmp_path / "notes.txt"
    bad.write_text("# Meeting notes\n\nNothing about competencies here.\n", encoding="utf-8")
    result = run("standards", "import", str(good), str(bad))
    assert result.exit_code == 1
    assert "notes.txt" in result.output and "line " in result.output
    assert "nothing was imported" in result.output
    session.expire_all()
    assert _counts(session) == before


def test_list_and_show(run) -> None:  # type: ignore[no-untyped-def]
    run("standards", "import")
    listing = run("standards", "list").output.splitlines()
    assert len(listing) == 18
    assert listing[-1].split()[:3] == ["DG-OPSR-023", "3", "8"]
    by_system_code = json.loads(run("standards", "show", "216768").output)
    assert by_system_code["code"] == "DS601.01"
    assert by_system_code["text"] == "กำหนดกลุ่มผู้ใช้และตัวแบบการประเมิน"
    element = json.loads(run("standards", "show", "DG102").output)
    assert [c["code"] for c in element["criteria"]] == ["DG102.01", "DG102.02"]
    assert [c["number"] for c in element["criteria"]] == ["2.1", "2.2"]
    missing = run("standards", "show", "ZZ1")
    assert missing.exit_code == 1
    assert "code: nothing in the standard has the code 'ZZ1'" in missing.output


def test_export_json_lists_17_units(run) -> None:  # type: ignore[no-untyped-def]
    run("standards", "import")
    exported = json.loads(run("standards", "export", "--format", "json").stdout)
    units = [unit["code"] for doc in exported["standards"] for unit in doc["units"]]
    assert len(units) == 17 == len(set(units))


def test_export_moodle_csv_has_14_columns_on_every_row(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    run("standards", "import")
    out = tmp_path / "framework.csv"
    run("standards", "export", "--format", "moodle-csv", "--out", str(out))
    raw = out.read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8"), newline="")))
    assert {len(row) for row in rows} == {14}
    idnumbers = [row[1] for row in rows[1:]]
    assert "DS601.01" in idnumbers and "DG102.01" in idnumbers and "DG-OPSR-023" in idnumbers


def test_export_case_package(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    run("standards", "import")
    package = json.loads(run("standards", "export", "--format", "case").stdout)
    codes = {item.get("humanCodingScheme") for item in package["CFItems"]}
    assert {"DG100", "DG101", "DG101.01", "DS603.03"} <= codes


def test_export_without_a_standard_says_what_to_do(run) -> None:  # type: ignore[no-untyped-def]
    result = run("standards", "export")
    assert result.exit_code == 1
    assert "samattha standards import" in result.output


def test_db_upgrade(run) -> None:  # type: ignore[no-untyped-def]
    result = run("db", "upgrade")
    assert result.exit_code == 0
    assert "head" in result.output
