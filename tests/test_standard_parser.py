"""The TPQI standard parser: counts and sample texts checked by reading the sources by hand."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from plugin.standards.model import Unit
from plugin.standards.parse_elements import parse_elements
from plugin.standards.parse_map import parse_functional_map
from plugin.standards.parse_text import TextContext, clean_lines
from plugin.standards.parser import ParseError, parse_source

STANDARDS = Path(__file__).resolve().parent.parent / "content" / "standards"
SOURCES = STANDARDS / "sources"
FULL = "dg-executive-developing"
SINGLE = "dg-opsr-023"
TITLE = "สมรรถนะสนับสนุนการทำงานด้านดิจิทัลสำหรับข้าราชการ และบุคลากรภาครัฐ"


def _text(stem: str) -> str:
    return (SOURCES / f"{stem}.txt").read_text(encoding="utf-8")


@cache
def _doc(stem: str) -> Any:
    return parse_source(_text(stem), file_name=f"{stem}.txt")


def _units() -> dict[str, Unit]:
    return {u["code"]: u for stem in (FULL, SINGLE) for u in _doc(stem)["units"]}


def _element(code: str) -> Any:
    return next(e for u in _units().values() for e in u["elements"] if e["code"] == code)


def _criterion(code: str) -> Any:
    return next(c for e in (_element(code.split(".")[0]),) for c in e["criteria"] if c["code"] == code)


# Criteria per element, counted by hand from section 11 of each unit ("1.1", "1.2", ... under each
# element code; for DG-OPSR-023 the DS6xx.nn rows).
CRITERIA = {
    "DG100": {"DG101": 2, "DG102": 2},
    "DG600": {"DG601": 3, "DG602": 5, "DG603": 4},
    "DL100": {"DL101": 5, "DL102": 3, "DL103": 3},
    "DL200": {"DL201": 4, "DL202": 6},
    "DL300": {"DL301": 4, "DL302": 3, "DL303": 3},
    "Dlit100": {"Dlit101": 6, "Dlit102": 7, "Dlit103": 5},
    "Dlit400": {"Dlit401": 2, "Dlit402": 2},
    "DS100": {"DS101": 2, "DS102": 3},
    "DS200": {"DS201": 3, "DS202": 3, "DS203": 3},
    "DS400": {"DS401": 5, "DS402": 4},
    "DT300": {"DT301": 3, "DT302": 4},
    "DT600": {"DT601": 2, "DT602": 6, "DT603": 5, "DT604": 4},
    "DTR100": {"DTR101": 3, "DTR102": 4, "DTR103": 3, "DTR104": 3, "DTR105": 4},
    "DTR200": {"DTR201": 3, "DTR202": 2, "DTR203": 3, "DTR204": 3},
    "SPM100": {"SPM101": 3, "SPM102": 3},
    "SPM300": {"SPM301": 3, "SPM302": 3, "SPM303": 3},
    "DG-OPSR-023": {"DS601": 3, "DS602": 2, "DS603": 3},
}

LIST_KEYS = (
    "regulations", "prerequisites", "skills", "knowledge", "performance_evidence", "knowledge_evidence",
    "assessment_guidance", "guidance", "explanations", "assessment_procedure",
)  # fmt: skip
# Items per list section. Counted from the printed bullets, then: a stray trailing "−" adds no item
# (DG100 knowledge has 6 marks, 4 items), a "• −" pair is one item (DT600 performance 7 -> 6), an inline
# "−" starts an item, and unbulleted text (no "•"/"−" at all) is one item (e.g. every (ค) guidance).
LIST_COUNTS = {
    "DG100": (5, 5, 4, 4, 1, 2, 1, 1, 0, 2),
    "DG600": (6, 5, 6, 10, 3, 2, 1, 1, 0, 2),
    "DL100": (0, 5, 7, 8, 1, 2, 1, 1, 1, 4),
    "DL200": (0, 5, 9, 10, 2, 3, 1, 1, 0, 4),
    "DL300": (0, 5, 5, 13, 2, 2, 1, 0, 2, 4),
    "Dlit100": (0, 5, 22, 3, 3, 2, 1, 0, 2, 4),
    "Dlit400": (1, 7, 6, 5, 4, 3, 1, 1, 1, 1),
    "DS100": (3, 5, 5, 8, 3, 2, 1, 0, 1, 2),
    "DS200": (5, 5, 7, 10, 1, 2, 1, 1, 1, 2),
    "DS400": (0, 5, 6, 5, 2, 2, 1, 0, 1, 2),
    "DT300": (0, 5, 5, 6, 2, 1, 1, 1, 0, 1),
    "DT600": (5, 5, 11, 8, 6, 3, 1, 1, 3, 3),
    "DTR100": (0, 5, 8, 12, 2, 3, 1, 1, 1, 2),
    "DTR200": (0, 5, 9, 11, 4, 3, 1, 1, 1, 2),
    "SPM100": (0, 5, 7, 9, 3, 2, 2, 1, 1, 4),
    "SPM300": (0, 5, 6, 6, 3, 2, 3, 1, 0, 4),
    "DG-OPSR-023": (5, 5, 7, 7, 2, 3, 1, 3, 1, 1),
}


def test_all_seventeen_units_in_source_order() -> None:
    assert [u["code"] for u in _doc(FULL)["units"]] == list(CRITERIA)[:16]
    assert [u["code"] for u in _doc(SINGLE)["units"]] == ["DG-OPSR-023"]


@pytest.mark.parametrize("unit_code", list(CRITERIA))
def test_elements_and_criteria_per_unit(unit_code: str) -> None:
    unit = _units()[unit_code]
    assert {e["code"]: len(e["criteria"]) for e in unit["elements"]} == CRITERIA[unit_code]
    for element in unit["elements"]:
        codes = [c["code"] for c in element["criteria"]]
        assert codes == [f"{element['code']}.{n:02d}" for n in range(1, len(codes) + 1)]


@pytest.mark.parametrize("unit_code", list(LIST_COUNTS))
def test_list_sections_per_unit(unit_code: str) -> None:
    unit: Any = _units()[unit_code]
    counts = tuple(len(unit[k] if k in unit else unit["range_statement"][k]) for k in LIST_KEYS)
    assert dict(zip(LIST_KEYS, counts, strict=True)) == dict(zip(LIST_KEYS, LIST_COUNTS[unit_code], strict=True))


def test_codes_unique_across_sources() -> None:
    codes = [u["code"] for u in _units().values()]
    codes += [e["code"] for u in _units().values() for e in u["elements"]]
    codes += [c["code"] for u in _units().values() for e in u["elements"] for c in e["criteria"]]
    assert len(codes) == len(set(codes))


def test_committed_json_matches_parser() -> None:
    for stem in (FULL, SINGLE):
        committed = (STANDARDS / f"{stem}.json").read_text(encoding="utf-8")
        assert committed == json.dumps(_doc(stem), ensure_ascii=False, indent=2) + "\n"


def test_document_header() -> None:
    doc = _doc(FULL)
    assert doc["format"] == "samattha-standard/1"
    assert doc["source"]["file"] == "dg-executive-developing.txt"
    assert len(doc["source"]["sha256"]) == 64
    assert doc["standard"]["title"] == TITLE
    assert doc["standard"]["related_qualifications"] == ["มาตรฐานสมรรถนะด้านการใช้ดิจิทัล (Digital Literacy)"]
    [qualification] = doc["qualifications"]
    assert qualification["number"] == "10.1"
    assert qualification["renewal"] is None
    assert qualification["units"] == list(CRITERIA)[:16]
    single = _doc(SINGLE)
    assert single["standard"] == {"title": TITLE, "introduction": None, "related_qualifications": []}
    assert single["qualifications"] == [] and single["key_roles"] == [] and single["key_purpose"] is None


def test_key_roles_and_functions() -> None:
    doc = _doc(FULL)
    roles = {r["code"]: r["key_functions"] for r in doc["key_roles"]}
    assert roles == {"01": ["Dlit"], "02": ["DG"], "03": ["DS", "DT"], "04": ["DL", "SPM"], "05": ["DTR"]}
    functions = {f["code"]: f["units"] for f in doc["key_functions"]}
    assert functions["Dlit"] == ["Dlit100", "Dlit400"]
    assert functions["DTR"] == ["DTR100", "DTR200"]
    assert functions["DS"] == ["DS100", "DS200", "DS400"]
    # Role 04 ends "นำองค์" / "กร": a full narrow line cut mid-word.
    assert doc["key_roles"][3]["title"] == "ใช้ดิจิทัลเพื่อการวางแผนบริหารจัดการและนำองค์กร"


def test_key_purpose_mid_word_breaks() -> None:
    # Printed "...การบูรณาการเ" / "สมือน..." and "...การทำงานแล" / "ะข้อมูล".
    purpose = _doc(FULL)["key_purpose"]
    assert purpose.startswith("เพื่อการเปลี่ยนผ่านสู่รัฐบาลดิจิทัลที่มีการบูรณาการเสมือนเป็นองค์กรเดียว")
    assert "(Connected and Open Government)" in purpose
    assert "บูรณาการกระบวนการทำงานและข้อมูล มีการให้บริการสาธารณะที่เป็นเลิศ" in purpose


def test_key_function_title_cross_checked_between_tables() -> None:
    # Table 1 cuts "การทำงา" / "นให้", table 2 cuts "นโย" / "บาย กฎหมาย": each shows the other's spaces.
    dg = next(f for f in _doc(FULL)["key_functions"] if f["code"] == "DG")
    assert dg["title"] == (
        "สื่อสาร ถ่ายทอด และประยุกต์ใช้ความรู้ความเข้าใจด้านนโยบาย กฎหมาย และมาตรฐานต่างๆ "
        "เพื่อการปฏิบัติงานหรือปรับปรุงแนวทางการทำงานให้ดีขึ้น"
    )


def test_functional_map_codes_broken_across_lines() -> None:
    # Table 2 prints "DTR10" / "1" and "Dlit100 เข้าถึงและตระหนักดิจิทัล Dlit10" / "1".
    text = _text(FULL)
    lines = clean_lines(text, TITLE)
    start = next(i for i, (_, s) in enumerate(lines) if s == "ตารางแผนผังแสดงหน้าที่")
    end = next(i for i, (_, s) in enumerate(lines) if s.startswith("1. รหัสหน่วยสมรรถนะ"))
    fmap = parse_functional_map(lines[start:end], list(CRITERIA)[:16], TextContext(corpus=text))
    assert {"DTR101", "DTR105", "DTR201", "Dlit101", "Dlit401", "SPM303"} <= set(fmap.element_titles)
    assert fmap.element_titles["Dlit101"] == ["ใช้งานคอมพิวเตอร์"]
    element_codes = {e["code"] for u in _doc(FULL)["units"] for e in u["elements"]}
    assert set(fmap.element_titles) == element_codes


def test_criterion_texts_with_mid_word_breaks_and_typos() -> None:
    # "...การทำงานดิ" / "จิทัลที่รับผิดชอบได้"
    assert _criterion("DG101.01")["text"] == (
        "ระบุกฎหมาย กรอบธรรมาภิบาลและแนวปฏิบัติที่เกี่ยวข้องกับการทำงานดิจิทัลที่รับผิดชอบได้"
    )
    # "ได" (final character dropped) is printed so and kept.
    assert _criterion("DG102.01")["text"].endswith("ของการทำงานดิจิทัลแบบบูรณาการได")
    assert _criterion("DL101.01")["text"] == "วิเคราะห์และระบุคุณสมบัติคนพันธุ์ใหม่ที่ต้องการเพื่อการพัฒนาองค์กรดิจิทัลได"
    assert _criterion("DG602.03")["text"].endswith("ในการแก้ไขกฎหมายเพื่อให้ได้ข้อยุต")
    assert _criterion("DG602.01")["number"] == "2.1"
    assert _criterion("DG602.01")["text"] == "ระบุและประเมินความจำเป็นและความคุ้มค่าในการแก้กฎหมาย"


def test_element_titles() -> None:
    # Section 11 prints "...กฎหมายที่เป็นอุ" / "ปสรรค...", right after a repeated table header.
    assert _element("DG602")["title"] == "ประเมินความเป็นไปได้ของการปรับปรุงแก้ไขกฎหมายที่เป็นอุปสรรคต่อการทำงานร่วมกัน"
    assert _element("DG101")["title"] == "อธิบายกฎหมาย กรอบธรรมาภิบาลและแนวปฏิบัติดิจิทัลที่เกี่ยวข้องได้"
    # The repetition is the standard's own text.
    assert _element("DT301")["title"] == "เตรียมการใช้งานสถาปัตยกรรมองค์กรเตรียมการใช้งานสถาปัตยกรรมองค์กร"
    assert _element("DT603")["title"] == "วิเคราะห์และตีความข้อมูล (Analyze Data and Draw Insights)"


def test_assessment_methods() -> None:
    assert _element("DG601")["assessment_methods"] == ["ข้อสอบข้อเขียน", "การสัมภาษณ์"]
    assert _element("Dlit101")["assessment_methods"] == ["ข้อสอบข้อเขียน"]
    assert _element("DTR104")["assessment_methods"] == ["การสัมภาษณ์", "การสาธิตการปฏิบัติงาน"]
    assert _element("SPM301")["assessment_methods"] == ["ข้อสอบข้อเขียน", "การสัมภาษณ์", "การสาธิตการปฏิบัติงาน"]
    assert all(e["assessment_methods"] == [] for e in _units()["DG-OPSR-023"]["elements"])


def test_single_unit_book_and_system_codes() -> None:
    unit = _units()["DG-OPSR-023"]
    assert unit["title"] == "ปรับปรุงงานบริการรดิจิทัลเพื่อยกระดับอย่างต่อเนื่อง"
    assert unit["revision"] == "1 / 2567"
    assert _units()["DG100"]["revision"] == "N/A"
    systems = {c["code"]: c["system_code"] for e in unit["elements"] for c in e["criteria"]}
    assert systems == {
        "DS601.01": "216768", "DS601.02": "216769", "DS601.03": "216770", "DS602.01": "216771",
        "DS602.02": "216772", "DS603.01": "216773", "DS603.02": "216774", "DS603.03": "216775",
    }  # fmt: skip
    first = _criterion("DS601.01")
    assert first == {
        "code": "DS601.01",
        "number": "DS601.01",
        "text": "กำหนดกลุ่มผู้ใช้และตัวแบบการประเมิน",
        "system_code": "216768",
    }
    assert _element("DS603")["title"] == "ถอดองค์ความรู้เพื่อปรับปรุงคุณภาพการให้ บริการ"
    assert _criterion("DG101.01")["system_code"] is None


def test_inline_dash_splits_items() -> None:
    # "...เมื่อนำไปประยุกต์ − ประกาศนียบัตรต่างๆ ..." is two items.
    assert _units()["DG100"]["knowledge_evidence"] == [
        "ข้อเสนอแนะความคิดเห็นของตนในการวิเคราะห์ความเสี่ยงและประโยชน์ในการนำกรอบธรรมาภิบาล "
        "หลักปฏิบัติที่ดีและกฎหมายไปใช้รวมทั้งระบุผลลัพธ์ที่เกิดขึ้นเมื่อนำไปประยุกต์",
        "ประกาศนียบัตรต่างๆ จากการฝึกอบรมพัฒนาหรือการเรียนรู้ที่เกี่ยวข้อง",
    ]
    # One printed line "...พ.ศ. 2549−    พระราชบัญญัติ...−    ..." holds five items.
    regulations = _units()["DG-OPSR-023"]["regulations"]
    assert regulations[0] == "พระราชกฤษฎีกากำหนดหลักเกณฑ์และวิธีการในการทำธุรกรรมทางอิเล็กทรอนิกส์ภาครัฐ พ.ศ. 2549"
    assert regulations[1] == "พระราชบัญญัติว่าด้วยธุรกรรมทางอิเล็กทรอนิกส์ (ฉบับที่ 2) พ.ศ. 2551"
    assert regulations[4] == "พระราชบัญญัติการพัฒนาดิจิทัลเพื่อเศรษฐกิจและสังคม พ.ศ. 2560"


def test_stray_trailing_dash_removed() -> None:
    knowledge = _units()["DG100"]["knowledge"]
    assert knowledge[0].endswith("รวมถึงกฎหมายที่สนับสนุนเศรษฐกิจ ดิจิทัลและสังคม")
    # "e-" / "Government" is one Latin word cut at its hyphen.
    assert "ISO/IEC 38500, e-Government Capability Maturity Model เป็นต้น" in knowledge[2]
    # Printed "• − ผลงาน...": the dash is a second bullet mark, not text.
    assert _units()["DT600"]["performance_evidence"][0].startswith("ผลงานที่เกี่ยวข้องหรือมีส่วนร่วมกับการกำหนดขอบเขตข้อมูล")


def test_page_footer_inside_lists_dropped() -> None:
    # Line 1380-1382: the title and page number "18" follow DL100's last assessment item.
    assert _units()["DL100"]["assessment_procedure"] == [
        "สอบข้อเขียน",
        "การสัมภาษณ์",
        "หลักฐานการปฏิบัติงาน",
        "พิจารณาได้จากเครื่องมือประเมินสมรรถนะบุคคล (Assessment Tool)",
    ]
    for unit in _units().values():
        for key in ("skills", "performance_evidence", "assessment_procedure"):
            assert all(TITLE not in item for item in unit[key])


def test_unit_text_sections() -> None:
    unit = _units()["DG-OPSR-023"]
    assert unit["occupations"] is None and unit["qualification_level"] is None
    assert unit["sector"] == "ข้าราชการและบุคลากรภาครัฐ"
    # A continuation after a blank line joins its item; the portal's trailing "ยินดีต้อนรับ" is dropped.
    assert unit["knowledge_evidence"][0] == (
        "ความเข้าใจในแนวคิด หลักการข้อเสนอแนะในการปรับปรุงกระบวนการให้บริการเชิงประสิทธิภาพ และคุณภาพ"
    )
    assert unit["assessment_procedure"] == ["สอบข้อเขียน"]
    assert unit["range_statement"]["text"] is not None
    assert unit["range_statement"]["text"].startswith("หน่วยสมรรถนะ เป็นความสามารถในการวิเคราะห์เพื่อปรับปรุงบริการดิจิทัล")
    dg100 = _units()["DG100"]
    assert dg100["range_statement"]["explanations"] == []
    assert dg100["other_occupations"] is None


def test_not_a_standard_text() -> None:
    with pytest.raises(ParseError) as empty:
        parse_source("", file_name="empty.txt")
    assert empty.value.line == 1
    readme = "\n# Samattha\n\nAn LTI tool.\n"
    with pytest.raises(ParseError) as err:
        parse_source(readme, file_name="README.md")
    assert err.value.line == 2
    assert str(err.value).startswith("line 2: not a TPQI standard or unit text")


def test_truncated_unit_names_the_line() -> None:
    text = "\n".join(_text(SINGLE).splitlines()[:70]) + "\n"
    with pytest.raises(ParseError) as err:
        parse_source(text, file_name="cut.txt")
    assert err.value.line == 70
    assert err.value.message == "expected section 12 (prerequisites)"
    assert str(err.value) == "line 70: expected section 12 (prerequisites)"


def test_criterion_under_no_element() -> None:
    lines = _text(SINGLE).splitlines()
    del lines[42]  # line 43 "DS601": the first rows lose their element code
    with pytest.raises(ParseError) as err:
        parse_source("\n".join(lines), file_name="no-element.txt")
    assert err.value.line == 48
    assert "under no element" in err.value.message
    with pytest.raises(ParseError) as table:
        parse_elements([(10, "1.1 ระบุกฎหมาย")], 9, ctx=TextContext(corpus=""), map_titles={})
    assert table.value.line == 10
    assert table.value.message == "criterion 1.1 under no element"
