"""Portfolio exports from a compiled document: the PDF's Thai (rendered and extracted), the standalone HTML,
the JSON and the course ZIP."""

from __future__ import annotations

import hashlib
import io
import json
import re
import zipfile
from datetime import UTC, datetime
from typing import Any

import pypdfium2 as pdfium
import pytest

from plugin.portfolios import content_hash, portfolio_to_json
from plugin.portfolios.exports import missing, render_html, render_json, write_course_zip
from plugin.portfolios.exports.pdf import render_pdf
from tests.test_portfolio_compiler import compile_, lab_statements, package_statement

PORTFOLIO = compile_(lab_statements())
DOCUMENT = portfolio_to_json(PORTFOLIO)
SNAPSHOT = {"number": 3, "content_hash": content_hash(PORTFOLIO)}


def criteria(document: dict[str, Any]) -> list[dict[str, Any]]:
    return [c for u in document["units"] for e in u["elements"] for c in e["criteria"]]


def judgement(outcome: str, **extra: Any) -> dict[str, Any]:
    first = criteria(DOCUMENT)[0]["code"]
    return {"id": 1, "unit": DOCUMENT["units"][0]["code"], "outcome": outcome, "comments": "ดีมาก ทำได้ครบ",
            "assessor": {"id": "9", "name": "Ann Assessor"}, "recorded_at": "2027-01-02T03:04:05.000Z",
            "snapshot": SNAPSHOT, "criteria": {first: {"valid": True, "sufficient": True, "authentic": True,
                                                        "current": False}}, **extra}


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_pdf_renders_thai_that_extracts_as_the_source_text() -> None:
    pdf = render_pdf(DOCUMENT, language="th", snapshot=SNAPSHOT, judgements=[judgement("competent")])
    document = pdfium.PdfDocument(pdf)
    try:
        bitmap = document[0].render(scale=1).to_pil().convert("L")
        histogram = bitmap.histogram()
        inked = sum(histogram[:128])  # dark pixels: text, not an empty page
        assert inked > 2000, inked
        text = "".join(document[i].get_textpage().get_text_range() for i in range(len(document)))
    finally:
        document.close()
    source = criteria(DOCUMENT)
    # The standard's texts include SARA AM, the cluster HarfBuzz splits in two; it must come back whole.
    assert any("ำ" in c["text"] for c in source)
    extracted = squeeze(text)
    for criterion in source:
        assert squeeze(criterion["text"]) in extracted, criterion["code"]
    assert "ผ่านเกณฑ์สมรรถนะ" in text and "Ann Assessor" in text  # the judgement, in the chosen language
    assert squeeze("ดีมาก ทำได้ครบ") in extracted


def test_pdf_keeps_tone_marks_over_sara_am() -> None:
    document = json.loads(json.dumps(DOCUMENT))
    first = criteria(document)[0]
    first["text"] = "ตรวจสอบคุณภาพน้ำและค่ำคืนซ้ำ ทำให้ถูกต้อง"
    pdf = pdfium.PdfDocument(render_pdf(document, language="en"))
    try:
        text = "".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))
    finally:
        pdf.close()
    assert squeeze(first["text"]) in squeeze(text)
    assert "Evidenced" in text and "Performance criterion" in text


def test_html_export_is_standalone_and_shows_every_criterion_with_its_evidence() -> None:
    page = render_html(DOCUMENT, language="en", snapshot=SNAPSHOT, judgements=[judgement("more_evidence")])
    assert "data:font/woff;base64," in page and 'url("fonts/' not in page  # prints offline with Sarabun
    assert "@media print" in page and "<script" not in page
    for criterion in criteria(DOCUMENT):
        row = re.search(rf'<tr data-code="{re.escape(criterion["code"])}">(.*?)</tr>', page, re.S)
        assert row, criterion["code"]
        assert criterion["text"] in row.group(1)
        assert f'data-status="{criterion["status"]}"' in row.group(1)
        for link in criterion["evidence"]:
            assert f'data-statement="{link["statement"]}"' in row.group(1)
    scored = next(e for e in DOCUMENT["evidence"] if e["result"]["score"] is not None)
    item = re.search(rf'<li data-statement="{re.escape(scored["id"])}">(.*?)</li>', page, re.S)
    assert item is not None
    assert f"score {round(scored['result']['score'] * 100, 1)}%" in item.group(1)
    assert "Moodle log store" in item.group(1) and f"{scored['age_days']} days" in item.group(1)
    for unit in DOCUMENT["units"]:
        for element in unit["elements"]:
            assert ", ".join(element["assessment_methods"]) in page
        for ke in unit["knowledge_evidence"]:
            assert f'<tr data-code="{ke["code"]}">' in page
    assert 'data-outcome="more_evidence"' in page and "More evidence needed" in page
    # The rules of evidence per criterion: what the assessor confirmed, the rest not assessed.
    assert "✓ the assessor confirmed: valid, sufficient, authentic" in page and "not assessed: current" in page


def test_html_export_in_thai() -> None:
    page = render_html(DOCUMENT, language="th")
    assert '<html lang="th">' in page and "แฟ้มสะสมหลักฐานความรู้" in page and "ยังไม่ได้ตัดสิน" in page


def test_a_snapshot_compiled_before_courses_were_named_still_renders() -> None:
    document = json.loads(json.dumps(DOCUMENT))
    for key in ("title", "label"):
        del document["course"][key]
    course = re.search(r'<dd class="course">(.*?)</dd>', render_html(document, language="en"), re.S)
    assert course and course.group(1).strip() == f"{DOCUMENT['course']['wwwroot']} · id 2"


def test_json_export_is_the_document_and_its_hash_checks() -> None:
    body = render_json(DOCUMENT)
    parsed = json.loads(body)
    assert parsed == DOCUMENT and parsed["format"] == "samattha-portfolio/1"
    assert "\\u0e" not in body.decode("utf-8")  # Thai as text, not escapes
    canonical = json.dumps(parsed, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    assert hashlib.sha256(canonical.encode("utf-8")).hexdigest() == SNAPSHOT["content_hash"]


def test_missing_lists_what_is_not_yet_evidenced() -> None:
    gaps = {g["code"] for g in missing(DOCUMENT)}
    expected = {c["code"] for c in criteria(DOCUMENT) if c["status"] != "evidenced"} | {
        i["code"] for u in DOCUMENT["units"] for i in u["knowledge_evidence"] + u["performance_evidence"]
        if i["status"] != "evidenced"}
    assert gaps == expected and gaps  # the lab learner has gaps


@pytest.mark.parametrize("fmt", ["json", "html"])
def test_course_zip_holds_one_file_per_learner_and_an_index(fmt: str) -> None:
    other = json.loads(json.dumps(DOCUMENT))
    other["learner"] = {"id": "7", "name": "สมชาย ใจดี", "actor": {}}
    ticks: list[int] = []
    target = io.BytesIO()
    write_course_zip(target, [(DOCUMENT, SNAPSHOT, []), (other, {"number": 1, "content_hash": "x" * 64}, [])], fmt,
                     language="th", progress=lambda: ticks.append(1))
    with zipfile.ZipFile(target) as archive:
        names = archive.namelist()
        assert names == [f"3-Sam-Student.{fmt}", f"7-สมชาย-ใจดี.{fmt}", "index.json"]
        index = json.loads(archive.read("index.json"))
        assert [(p["learner"], p["snapshot"]) for p in index["portfolios"]] == [("3", 3), ("7", 1)]
        second = archive.read(names[1]).decode("utf-8")
    assert len(ticks) == 2
    assert "สมชาย ใจดี" in second


# --- what an assessor reads in an evidence cell -------------------------------------------------------

PACKAGE = "https://samattha.dev/content/dg-opsr-023/ds602"


def package_attempt(passed: bool) -> list[dict[str, Any]]:
    """One attempt at our DS602 knowledge check as the package sends it: started, question 5 answered right,
    the check passed (or failed). Its mapping entry counts only "passed" on the package itself."""
    finished = package_statement(passed)
    context = finished["context"]
    started = {**finished, "id": f"start-{passed}", "verb": {"id": "http://adlnet.gov/expapi/verbs/initialized",
                                                             "display": {"th-TH": "เริ่มต้น"}}, "result": {},
               "timestamp": "2026-11-22T00:50:00Z", "stored": "2026-11-22T00:50:01Z"}
    question = {"id": f"{PACKAGE}/q5", "definition": {"name": {"th-TH": "ข้อ 5: ข้อมูลเชิงปริมาณและเชิงคุณภาพ"},
                                                      "type": "http://adlnet.gov/expapi/activities/cmi.interaction"}}
    answered = {**finished, "id": f"q5-{passed}", "verb": {"id": "http://adlnet.gov/expapi/verbs/answered",
                                                           "display": {"th-TH": "ตอบ"}}, "object": question,
                "result": {"success": True, "score": {"raw": 1, "min": 0, "max": 1, "scaled": 1}},
                "context": {**context, "contextActivities": {"parent": [{"id": PACKAGE}]}},
                "timestamp": "2026-11-22T00:55:00Z", "stored": "2026-11-22T00:55:01Z"}
    return [started, answered, finished]


def cell(page: str, code: str) -> tuple[str, str]:
    """(status cell, evidence cell) of a criterion's row."""
    row = re.search(rf'<tr data-code="{re.escape(code)}">.*?</td>\s*<td>(.*?)</td>\s*<td>(.*?)</td></tr>', page, re.S)
    assert row, code
    return row.group(1), row.group(2)


def listed(evidence: str, kind: str) -> list[str]:
    found = re.search(rf'<ul class="evidence {kind}">(.*?)</ul>', evidence, re.S)
    return re.findall(r'<li data-statement="([^"]+)"', found.group(1)) if found else []


@pytest.mark.parametrize("language, counted, related, reported", [
    ("th", "นับเป็นหลักฐาน: เป็นไปตามเงื่อนไขของการจับคู่ (1)", "กิจกรรมที่เกี่ยวข้อง ไม่นับตามเงื่อนไขของการจับคู่ (2)",
     "ผลที่กิจกรรมรายงาน: คะแนน 100.0%, ผ่าน"),
    ("en", "Counts as evidence: meets the mapping&#39;s rule (1)", "Related activity, not counted toward the rule (2)",
     "result reported by the activity: score 100.0%, passed"),
])
def test_the_evidence_that_counts_is_listed_apart_from_related_activity(
        language: str, counted: str, related: str, reported: str) -> None:
    """A passed question under "does not meet the rule" read as a contradiction: what meets the mapping's rule
    comes first under its own heading, the rest after it under another, and a statement's own success is
    worded as what its activity reported."""
    document = portfolio_to_json(compile_(package_attempt(True)))
    record = next(c for c in criteria(document) if c["code"] == "DS602.01")
    assert {link["statement"]: link["counts"] for link in record["evidence"]} == {
        "start-True": False, "q5-True": False, "pkg-True": True}  # the document keeps every filed statement
    _, evidence = cell(render_html(document, language=language), "DS602.01")
    assert listed(evidence, "counted") == ["pkg-True"] and listed(evidence, "related") == ["start-True", "q5-True"]
    assert evidence.index(counted) < evidence.index('<ul class="evidence counted">') < evidence.index(related)
    answered = re.search(r'<li data-statement="q5-True">(.*?)</li>', evidence, re.S)
    assert answered and reported in answered.group(1)
    assert "ผ่านเกณฑ์" not in evidence and "meets the rule" not in evidence.replace(counted, "")


def test_a_criterion_worked_on_without_meeting_the_rule_says_so() -> None:
    document = portfolio_to_json(compile_(package_attempt(False)))
    status, evidence = cell(render_html(document, language="th"), "DS602.01")
    assert 'data-status="some"' in status
    assert "ยังไม่มีรายการใดเป็นไปตามเงื่อนไขของการจับคู่" in evidence and listed(evidence, "counted") == []
    assert listed(evidence, "related") == ["start-False", "q5-False", "pkg-False"]


def test_currency_is_said_of_counted_evidence_only() -> None:
    """"Not current" under a criterion without evidence read as if old evidence were there: currency is shown
    only where evidence counts, and then says which way it goes."""
    fresh = render_html(DOCUMENT, language="en")
    stale = render_html(portfolio_to_json(compile_(lab_statements(), as_of=datetime(2028, 1, 1, tzinfo=UTC))),
                        language="th")
    assert "the counted evidence is current" in cell(fresh, "DS601.01")[0]
    assert "หลักฐานที่นับเก่ากว่า 365 วัน" in cell(stale, "DS601.01")[0]
    some = render_html(portfolio_to_json(compile_(package_attempt(False))), language="th")
    for page, code, status in ((fresh, "DG102.01", "none"), (stale, "DG102.01", "none"), (some, "DS602.01", "some")):
        shown, _ = cell(page, code)
        assert f'data-status="{status}"' in shown and "current" not in shown and "ปัจจุบัน" not in shown


def test_a_criterion_numbered_by_its_code_names_it_once() -> None:
    page = render_html(DOCUMENT, language="th")
    for code, shown in (("DS601.01", "DS601.01"), ("DG101.01", "DG101.01 (1.1)")):
        row = re.search(rf'<tr data-code="{code}"><td>(.*?)<p class="criterion-text">', page, re.S)
        assert row and re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", row.group(1))).strip() == shown


def test_the_export_is_a_record_to_sign_with_a_summary_first() -> None:
    pdf = pdfium.PdfDocument(render_pdf(DOCUMENT, language="th", snapshot=SNAPSHOT,
                                        judgements=[judgement("competent")]))
    first = pdf[0].get_textpage().get_text_range()
    last = pdf[len(pdf) - 1].get_textpage().get_text_range()
    unit = DOCUMENT["units"][0]
    # The cover: what a signer reads first, each unit with its count and the latest judgement.
    assert "แบบบันทึกผลการประเมินสมรรถนะ" in first and unit["code"] in first and "ผ่านเกณฑ์สมรรถนะ" in first
    assert f"{unit['summary']['evidenced']} / {unit['summary']['total']}" in first
    # The last page: the learner's and the assessor's declarations, with lines to sign and date.
    assert "ลายมือชื่อ" in last and "วันที่" in last and "ผู้ประเมิน" in last
    assert f"ชื่อ {DOCUMENT['learner']['name']}" in last
