"""Coverage matrix, learner states, CSV and SVG views."""

from __future__ import annotations

import copy
import csv
import io
import json
from pathlib import Path
from typing import Any

from lxml import etree

from plugin.coverage import (
    ENGLISH_WORDS,
    coverage_matrix,
    learner_progress,
    matrix_csv,
    progress_csv,
    progress_svg,
)
from plugin.mapping.files import load_mapping
from plugin.mapping.model import CourseMapping, MappingEntry, Rule, StandardIndex

ROOT = Path(__file__).resolve().parent.parent
LAB = "http://127.0.0.1:8081"
SVG = "{http://www.w3.org/2000/svg}"


def load_standard() -> StandardIndex:
    files = sorted((ROOT / "content" / "standards").glob("*.json"))
    return StandardIndex.from_documents([json.loads(f.read_text(encoding="utf-8")) for f in files])


STANDARD = load_standard()
EXAMPLE = load_mapping((ROOT / "mappings" / "example-dg-opsr-023.toml").read_text("utf-8"), standard=STANDARD)


def lab_statements() -> list[dict[str, Any]]:
    data = json.loads((ROOT / "tests" / "fixtures" / "moodle-4.5" / "xapi-quiz-assign.json").read_text("utf-8"))
    return [item["statement"] for item in data["statements"]]


def for_learner(statements: list[dict[str, Any]], user_id: str) -> list[dict[str, Any]]:
    """The same statements as another Moodle user (fresh ids, that user's account)."""
    out = copy.deepcopy(statements)
    for n, statement in enumerate(out):
        statement["id"] = f"{user_id}-{n}"
        statement["actor"] = {"name": f"user {user_id}", "account": {"homePage": LAB, "name": user_id}}
    return out


# --- matrix ------------------------------------------------------------------------------------------


def test_gaps_are_counted_per_unit_exactly() -> None:
    mapping = CourseMapping(
        course_id="2",
        wwwroot=LAB,
        entries=(
            MappingEntry(cmid=1, targets=("DG101",), evidence="knowledge", rule=Rule("any")),
            MappingEntry(cmid=2, targets=("DG600.KE1", "DG601.01"), evidence="knowledge", rule=Rule("any")),
            MappingEntry(cmid=3, targets=("DG101.02", "DG601.01"), evidence="performance", rule=Rule("any")),
        ),
    )
    matrix = coverage_matrix(mapping, STANDARD)
    assert matrix.units == ("DG100", "DG600")
    assert len(matrix.criteria) == 4 + 12
    assert matrix.gap_counts == {"DG100": 2, "DG600": 11}
    assert matrix.gaps["DG100"] == ("DG102.01", "DG102.02")
    assert matrix.cells["DG101.02"] == {0, 2} and matrix.cells["DG601.01"] == {1, 2}
    assert matrix.cells["DG600.KE1"] == {1} and not matrix.cells["DG600.KE2"]  # cmid 2 names its item
    assert not matrix.cells["DG100.PE1"]  # cmid 3 reaches DG100 but names no item: it claims none
    everything = coverage_matrix(mapping, STANDARD, units=STANDARD.units)
    assert sum(everything.gap_counts.values()) == 167 - 3 and len(everything.gaps) == 17


def test_matrix_csv() -> None:
    matrix = coverage_matrix(EXAMPLE, STANDARD)
    rows = list(csv.reader(io.StringIO(matrix_csv(matrix, STANDARD))))
    assert rows[0][:3] == ["unit", "kind", "code"] and rows[0][-1] == "activities"
    assert len(rows[0]) == 3 + len(EXAMPLE.entries) + 1
    assert len(rows) == 1 + len(matrix.criteria) + len(matrix.items)
    by_code = {row[2]: row for row in rows[1:]}
    assert by_code["DS601.01"][3:-1] == ["K", "", "", "", "P", "", "", "", ""] and by_code["DS601.01"][-1] == "2"
    assert by_code["DG102.02"][-1] == "0" and by_code["DG100.PE1"][1] == "performance_evidence"


# --- learner states ----------------------------------------------------------------------------------


def test_learner_states_from_real_moodle_statements() -> None:
    lab = lab_statements()
    views_only = [s for s in for_learner(lab, "4") if s["verb"]["id"].endswith("/viewed")]
    low = for_learner(lab, "5")
    low[11]["result"]["score"] = {"raw": 40, "min": 0, "max": 100, "scaled": -0.2}  # assignment graded 40/100
    progress = learner_progress(
        EXAMPLE,
        STANDARD,
        {"3": lab, "4": views_only, "5": low, "6": []},
        signed_off={"6": {"DG102.02", "NOT-A-CODE"}, "7": {"DS603.01"}},
    )
    assert progress.learners == ("3", "4", "5", "6", "7")
    assert progress.criteria == STANDARD.units["DG100"].criteria + STANDARD.units["DG-OPSR-023"].criteria
    assert [progress.status("3", c) for c in ("DS601.01", "DS601.03", "DG101.01", "DG101.02")] == ["evidenced"] * 4
    assert progress.status("3", "DG102.01") == "none" and progress.status("3", "DS602.01") == "none"
    assert progress.status("4", "DS601.01") == "some" and progress.status("4", "DG101.01") == "some"
    assert progress.status("5", "DG101.01") == "some" and progress.status("5", "DS601.01") == "evidenced"
    assert set(progress.statuses["6"]) == {"none", "signed_off"} and progress.status("6", "DG102.02") == "signed_off"
    assert progress.status("7", "DS603.01") == "signed_off"


def test_signed_off_outranks_evidence_and_evidence_is_not_withdrawn() -> None:
    lab = lab_statements()
    retry = copy.deepcopy(lab[3])  # a later, failed quiz attempt
    retry.update(id="retry", timestamp="2026-12-01T00:00:00Z")
    retry["result"].update(score={"raw": 2, "min": 0, "max": 10, "scaled": -0.6}, success=False)
    progress = learner_progress(EXAMPLE, STANDARD, {"3": [*lab, retry]}, {"3": {"DS601.01"}})
    assert progress.status("3", "DS601.01") == "signed_off"
    assert progress.status("3", "DS601.02") == "evidenced"


def test_voided_verb_and_other_courses_are_ignored() -> None:
    lab = lab_statements()
    voiding = copy.deepcopy(lab[3])
    voiding["verb"] = {"id": "http://adlnet.gov/expapi/verbs/voided"}
    elsewhere = json.loads(json.dumps(lab[3]).replace(LAB, "https://other.example"))
    progress = learner_progress(EXAMPLE, STANDARD, {"3": [voiding, elsewhere]})
    assert set(progress.statuses["3"]) == {"none"}


def test_progress_csv_neutralises_formulas() -> None:
    progress = learner_progress(EXAMPLE, STANDARD, {"3": lab_statements(), "9": []})
    text = progress_csv(progress, {"3": '=HYPERLINK("http://x")', "9": "สมชาย ใจดี"})
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["learner", "name", *progress.criteria, "evidence last grew"]
    assert rows[1][1] == '\'=HYPERLINK("http://x")' and rows[2][1] == "สมชาย ใจดี"
    assert rows[1][2 + progress.criteria.index("DS601.01")] == "evidenced"


# --- SVG ---------------------------------------------------------------------------------------------


def test_svg_heat_map_200_learners_by_167_criteria() -> None:
    lab = lab_statements()
    learners = {str(n): for_learner(lab, str(n)) if n % 3 == 0 else [] for n in range(200)}
    names = {key: f"นางสาว ทดสอบ {key}" for key in learners}
    names["1"] = 'ปิยะ <b>"& ตัวหนา\x01'
    signed = {"2": {"DS602.01"}}
    progress = learner_progress(EXAMPLE, STANDARD, learners, signed, units=STANDARD.units)
    text = progress_svg(progress, STANDARD, names=names, words={**ENGLISH_WORDS, "title": "ความก้าวหน้า <DG>"})
    root = etree.fromstring(text.encode("utf-8"))
    cells = root.findall(f".//{SVG}rect[@class]")
    cells = [c for c in cells if c.get("class", "").startswith("cell ")]
    assert len(cells) == 200 * 167
    assert {c.get("class") for c in cells} == {"cell none", "cell evidenced", "cell signed_off"}
    rows = {t.get("y"): t for t in root.iter(f"{SVG}text") if t.get("class") == "learner"}
    assert len(rows) == 200
    awkward = next(t for t in rows.values() if t.text and t.text.startswith("ปิยะ"))
    assert awkward.text == 'ปิยะ <b>"& ตัวหนา'  # escaped on the way out, intact on the way in; \x01 dropped
    assert root.find(f"{SVG}title").text == "ความก้าวหน้า <DG>"
    assert "signed off by an assessor" in "".join(root.itertext())  # a text legend, not colour alone
    first = next(c for c in cells if c.get("class") == "cell evidenced")
    assert first.find(f"{SVG}title").text.endswith(": evidenced")
    units = root.findall(f".//{SVG}rect[@class='unit']")
    assert len(units) == 17
