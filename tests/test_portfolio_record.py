"""The export as an assessment record someone signs: read back from the PDF as a person reads it (cover,
summary, methods, declarations, header and footer, evidence references, local times), and the JSON record's
judgement history."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
import pytest
from flask import Flask

from plugin.config import load_config
from plugin.portfolios.exports import render_html, render_record_json
from plugin.portfolios.exports.pdf import render_pdf
from plugin.portfolios.model import unit_evidence_key
from tests.test_portfolio_exports import DOCUMENT, SNAPSHOT, judgement

ORGANISATION = "สำนักงานพัฒนารัฐบาลดิจิทัล (องค์การมหาชน)"
STANDARD = "สมรรถนะสนับสนุนการทำงานด้านดิจิทัลสำหรับข้าราชการ และบุคลากรภาครัฐ"
UNIT, OTHER = (u["code"] for u in DOCUMENT["units"])  # DG100, then DG-OPSR-023
SAYS = {  # what a reader of each language finds
    "th": {"title": "แบบบันทึกผลการประเมินสมรรถนะ", "competent": "ผ่านเกณฑ์สมรรถนะ", "none": "ยังไม่ได้ตัดสิน",
           "learner": "ข้าพเจ้าขอรับรองว่าหลักฐานในแฟ้มสะสมงานนี้เป็นผลงานของข้าพเจ้าเอง",
           "assessor": "ข้าพเจ้าขอรับรองว่าได้ประเมินหลักฐานนี้ตามเกณฑ์การปฏิบัติงานของมาตรฐาน",
           "signature": "ลายมือชื่อ", "date": "วันที่", "page": "หน้า {n} จาก {m}", "unit": "หน่วยสมรรถนะ {code}",
           "as_of": "1 ม.ค. 2570 09:00 น.", "judged": "เมื่อ 2 ม.ค. 2570", "activity": "กิจกรรมหมายเลข 6",
           "attempt": "การทำแบบทดสอบหมายเลข 1"},
    "en": {"title": "Competency assessment record", "competent": "Competent", "none": "Not judged yet.",
           "learner": "I declare that the evidence in this portfolio is my own work.",
           "assessor": "I declare that I assessed this evidence against the standard's performance criteria",
           "signature": "Signature", "date": "Date", "page": "Page {n} of {m}", "unit": "Unit {code}",
           "as_of": "1 Jan 2027, 09:00", "judged": "on 2 Jan 2027", "activity": "activity 6",
           "attempt": "attempt 1"},
}


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.fixture
def organisation_in_tokyo(tmp_path: Path) -> Iterator[None]:
    """The settings an operator makes: the organisation's name, and a zone other than the default, so a time
    on the record can only have come from the setting."""
    app = Flask(__name__)
    app.config["SAMATTHA"] = load_config(
        env={"SAMATTHA_ORGANISATION": ORGANISATION, "SAMATTHA_TIMEZONE": "Asia/Tokyo"}, instance_path=tmp_path)
    with app.app_context():
        yield


def pages(pdf: bytes) -> list[str]:
    document = pdfium.PdfDocument(pdf)
    try:
        return [document[i].get_textpage().get_text_range() for i in range(len(document))]
    finally:
        document.close()


def drawn_lines(pdf: bytes, index: int) -> int:
    """Paths drawn on a page: on the declarations page, nothing but the lines to write on."""
    document = pdfium.PdfDocument(pdf)
    try:
        return sum(1 for o in document[index].get_objects() if o.type == pdfium_c.FPDF_PAGEOBJ_PATH)
    finally:
        document.close()


@pytest.mark.usefixtures("organisation_in_tokyo")
@pytest.mark.parametrize("language", ["th", "en"])
def test_the_pdf_is_a_record_to_sign(language: str) -> None:
    says = SAYS[language]
    pdf = render_pdf(DOCUMENT, language=language, snapshot=SNAPSHOT, judgements=[judgement("competent")])
    text = pages(pdf)
    cover, last = text[0], text[-1]
    # The cover: who, what against which standard, which snapshot, when, in the organisation's zone.
    for field in (ORGANISATION, says["title"], DOCUMENT["learner"]["name"], DOCUMENT["course"]["wwwroot"], UNIT,
                  OTHER, says["as_of"], "Asia/Tokyo (UTC+09:00)"):
        assert field in cover, field
    assert squeeze(STANDARD) in squeeze(cover) and SNAPSHOT["content_hash"] in squeeze(cover)
    # The summary per unit: criteria evidenced, the judgement with its date, the assessor; or not judged.
    first, second = DOCUMENT["units"]
    summary = squeeze(cover[cover.index(UNIT + " "):])
    assert squeeze(f"{first['summary']['evidenced']} / {first['summary']['total']} {says['competent']} "
                   f"{says['judged']} Ann Assessor") in summary
    assert squeeze(f"{second['summary']['evidenced']} / {second['summary']['total']} {says['none']}") in summary
    # Declarations by the learner and the assessor who judged, each with a signature and a date to write.
    assert says["learner"] in last and squeeze(says["assessor"]) in squeeze(last)
    assert last.count(says["signature"]) == 2 and last.count(says["date"]) == 2
    assert DOCUMENT["learner"]["name"] in last and "Ann Assessor" in last
    assert drawn_lines(pdf, len(text) - 1) >= 6  # a name, a signature and a date line for each
    # Every page says whose record it is and where it stands; the unit being read heads its pages.
    for number, page in enumerate(text, start=1):
        assert DOCUMENT["learner"]["name"] in page and says["page"].format(n=number, m=len(text)) in page
    assert any(says["unit"].format(code=OTHER) in page and "DS601" in page for page in text)
    # A records system lists the file by what it is, whose, and from whom.
    document = pdfium.PdfDocument(pdf)
    try:
        metadata = document.get_metadata_dict()
    finally:
        document.close()
    assert (metadata["Title"], metadata["Author"]) == (f"{says['title']} · Sam Student", ORGANISATION)


@pytest.mark.parametrize("language", ["th", "en"])
def test_each_element_states_its_assessment_method_or_its_units(language: str) -> None:
    text = squeeze("".join(pages(render_pdf(DOCUMENT, language=language))))
    label = "วิธีการประเมิน:" if language == "th" else "Assessmentmethods:"
    elements = [e for u in DOCUMENT["units"] for e in u["elements"]]
    stated = text.split(label)[1:]  # what follows each "methods:", in the order of the pages
    assert len(stated) == len(elements)
    for element, following in zip(elements, stated, strict=True):
        assert element["assessment_methods"], element["code"]
        assert following.startswith(squeeze(", ".join(element["assessment_methods"]))), element["code"]
    # DG-OPSR-023 prints no method per element: each carries the unit's own, from its section 18.
    opsr = next(u for u in DOCUMENT["units"] if u["code"] == "DG-OPSR-023")
    assert {tuple(e["assessment_methods"]) for e in opsr["elements"]} == {("สอบข้อเขียน",)}


def test_evidence_is_named_for_a_reader_not_by_its_address() -> None:
    says = SAYS["en"]
    text = "".join(pages(render_pdf(DOCUMENT, language="en")))
    # Named, on which Moodle, its activity number (and the attempt): found again without a link.
    assert squeeze(f"(Moodle 127.0.0.1:8081, {says['activity']}, {says['attempt']})") in squeeze(text)
    assert "mod/quiz" not in text and "mod/assign" not in text  # no raw addresses at the end of the lines
    page = render_html(DOCUMENT, language="th")
    assert f"(Moodle 127.0.0.1:8081, {SAYS['th']['activity']}, {SAYS['th']['attempt']})" in page
    # Where the learner's own work has a page, the record still links to it; never calls an activity's page so.
    assert 'href="http://127.0.0.1:8081/mod/quiz/review.php?attempt=' in page
    viewed = next(e["id"] for e in DOCUMENT["evidence"] if e["activity"].endswith("/mod/quiz/view.php?id=6"))
    line = re.search(rf'<li data-statement="{viewed}">(.*?)</li>', page, re.S)
    assert line and "(Moodle 127.0.0.1:8081, กิจกรรมหมายเลข 6)" in line.group(1) and "href" not in line.group(1)


def test_without_settings_the_record_is_in_bangkok_time_and_names_no_organisation() -> None:
    cover = pages(render_pdf(DOCUMENT, language="th", snapshot=SNAPSHOT))[0]
    assert "1 ม.ค. 2570 07:00 น." in cover and "Asia/Bangkok" in cover and "องค์การมหาชน" not in cover


def test_an_assessor_who_has_judged_nothing_leaves_a_line_for_whoever_signs() -> None:
    page = render_html(DOCUMENT, language="en")
    assessor = re.search(r'<div class="declaration" data-who="assessor">(.*?)</div>', page, re.S)
    assert assessor and '<span class="label">Name</span><span class="line"></span>' in assessor.group(1)


def test_the_json_record_carries_every_judgement_in_order_and_says_which_are_stale() -> None:
    current = unit_evidence_key(DOCUMENT, UNIT)
    trail = [  # given out of order: the record puts them as they were made
        judgement("competent", id=3, recorded_at="2027-01-03T00:00:00.000Z", evidence_key=current),
        judgement("more_evidence", id=1, recorded_at="2027-01-01T00:00:00.000Z", evidence_key="0" * 64),
        judgement("not_yet_competent", id=2, recorded_at="2027-01-02T00:00:00.000Z", unit=OTHER,
                  evidence_key=unit_evidence_key(DOCUMENT, OTHER), statement="s-2"),
    ]
    record = json.loads(render_record_json(DOCUMENT, SNAPSHOT, trail))
    assert record["format"] == "samattha-portfolio-record/1" and record["portfolio"] == DOCUMENT
    history: list[dict[str, Any]] = record["judgements"]
    assert [(j["id"], j["unit"], j["outcome"], j["stale"]) for j in history] == [
        (1, UNIT, "more_evidence", True), (2, OTHER, "not_yet_competent", False), (3, UNIT, "competent", False)]
    first = history[0]
    assert first["assessor"] == {"id": "9", "name": "Ann Assessor"} and first["comments"] == "ดีมาก ทำได้ครบ"
    assert first["snapshot"] == SNAPSHOT and first["recorded_at"] == "2027-01-01T00:00:00.000Z"  # UTC, as stored
    assert set(first["criteria"]) == {DOCUMENT["units"][0]["elements"][0]["criteria"][0]["code"]}


def test_a_name_cannot_break_out_of_the_running_header() -> None:
    document = json.loads(json.dumps(DOCUMENT))
    document["learner"]["name"] = 'Sam "</style><script>alert(1)</script>'
    page = render_html(document, language="en")
    assert "<script>" not in page
    header = re.search(r"@top-left \{ content: (.*?); \}", page)
    assert header and header.group(1) == r'"Sam \22 \3c /style\3e \3c script\3e alert(1)\3c /script\3e "'


def test_a_rule_found_not_met_is_said_in_the_records_language_without_an_app() -> None:
    code = DOCUMENT["units"][0]["elements"][0]["criteria"][0]["code"]
    rules = {code: {"valid": "met", "sufficient": "not_met", "authentic": "not_assessed", "current": "not_assessed"}}
    page = render_html(DOCUMENT, language="th", judgements=[judgement("more_evidence", criteria=rules)])
    assert "ผู้ประเมินเห็นว่ายังไม่ผ่าน" in page and "ws.rules" not in page


def test_the_rules_of_evidence_read_as_words_not_as_escaped_markup() -> None:
    code = DOCUMENT["units"][0]["elements"][0]["criteria"][0]["code"]
    rules = {code: {"valid": "met", "sufficient": "not_met", "authentic": "not_assessed", "current": "met"}}
    page = render_html(DOCUMENT, language="en", judgements=[judgement("more_evidence", criteria=rules)])
    assert "&lt;span" not in page
    assert re.search(r'<span class="confirmed">✓ [^<]*: [^<]*valid', page, re.IGNORECASE)
    assert re.search(r'<span class="not-met">[^<]*sufficient', page, re.IGNORECASE)


def test_a_standard_loaded_from_several_files_is_named_by_its_title_once() -> None:
    from plugin.portfolios.exports.record import standard_titles

    document = {"standard": [{"file": "dg-executive-developing.txt, dg-opsr-023.txt", "sha256": "x"}]}
    assert standard_titles(document) == ["สมรรถนะสนับสนุนการทำงานด้านดิจิทัลสำหรับข้าราชการ และบุคลากรภาครัฐ"]
