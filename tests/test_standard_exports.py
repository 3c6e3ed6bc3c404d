"""Tests of the Moodle competency-framework CSV and CASE 1.0 CFPackage exports of a standard."""

from __future__ import annotations

import copy
import csv
import html
import io
import json
import re
import unicodedata
import uuid
from collections import defaultdict
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from plugin.standards import export_moodle
from plugin.standards.export_case import DEFAULT_LAST_CHANGE, to_case_package
from plugin.standards.export_moodle import HEADERS, SHORTNAME_LIMIT, to_moodle_csv

FIXTURES = Path("/work/shared/fixtures/moodle-4.5")
FIXTURE_CSV = FIXTURES / "competency-framework-export.csv"
REPO = Path(__file__).resolve().parents[1]
TITLE = "สมรรถนะสนับสนุนการทำงานด้านดิจิทัลสำหรับข้าราชการ และบุคลากรภาครัฐ"
# > 100 characters, with a comma and a double quote, no newline.
LONG_CRITERION = (
    "อธิบายหลักการคุ้มครองข้อมูลส่วนบุคคลตามพระราชบัญญัติคุ้มครองข้อมูลส่วนบุคคล พ.ศ. 2562, "
    'รวมถึง "ความยินยอม" สิทธิของเจ้าของข้อมูล และการแจ้งเหตุละเมิดข้อมูลส่วนบุคคลต่อสำนักงานคณะกรรมการ'
)
BASE_URI = "https://samattha.example/ims/case/v1p0"
MOODLE_TAXONOMIES = {
    "behaviour", "competency", "concept", "domain", "indicator", "level",
    "outcome", "practice", "proficiency", "skill", "value",
}  # fmt: skip


def _unit(code: str, title: str, elements: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "code": code, "title": title, "revision": "1 / 2567", "occupations": None,
        "description": f"ผู้ที่ผ่านหน่วยสมรรถนะ {code} นี้ มีความสามารถ <ตามมาตรฐาน> & อื่น ๆ",
        "qualification_level": None, "sector": "ข้าราชการและบุคลากรภาครัฐ", "other_occupations": None,
        "regulations": [], "elements": elements, "prerequisites": [], "skills": [], "knowledge": [],
        "performance_evidence": [], "knowledge_evidence": [], "assessment_guidance": [],
        "range_statement": {"text": None, "guidance": [], "explanations": []}, "assessment_procedure": [],
    }  # fmt: skip


def _element(code: str, title: str, texts: list[str]) -> dict[str, Any]:
    criteria = [
        {"code": f"{code}.{i:02d}", "number": f"{code[-1]}.{i}", "text": t, "system_code": None}
        for i, t in enumerate(texts, start=1)
    ]
    return {"code": code, "title": title, "assessment_methods": ["ข้อสอบข้อเขียน"], "criteria": criteria}


def _standard(file: str, units: list[dict[str, Any]], intro: str | None) -> dict[str, Any]:
    return {
        "format": "samattha-standard/1",
        "source": {"file": file, "sha256": "0" * 64},
        "standard": {"title": TITLE, "introduction": intro, "related_qualifications": []},
        "qualifications": [], "key_purpose": None, "key_roles": [], "key_functions": [], "units": units,
    }  # fmt: skip


def sample_standards() -> list[dict[str, Any]]:
    """Two hand-made canonical dicts of one standard (Thai text, a long criterion, ',' and '"')."""
    first = _standard(
        "dg-sample.txt",
        [
            _unit(
                "DG100",
                "ปฏิบัติตามกฎหมาย, ระเบียบ และกรอบธรรมาภิบาลข้อมูล",
                [
                    _element("DG101", "ระบุข้อกำหนดทางกฎหมายที่เกี่ยวข้อง", [LONG_CRITERION, 'ระบุ "PDPA"']),
                    _element("DG102", "ปฏิบัติตามนโยบายข้อมูล", ["ปฏิบัติตามนโยบายภายในองค์กร"]),
                ],
            )
        ],
        "การพัฒนาสมรรถนะด้านดิจิทัลสำหรับข้าราชการและบุคลากรภาครัฐ",
    )
    second = _standard(
        "dg-opsr-023.txt",
        [_unit("DG-OPSR-023", "ปรับปรุงงานบริการรดิจิทัล", [_element("DG-OPSR-0231", "ประเมินผล", ["วิเคราะห์"])])],
        None,
    )
    return [first, second]


@pytest.fixture
def standards() -> list[dict[str, Any]]:
    return sample_standards()


def _rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline=""), strict=True))


def _codes(standards: list[dict[str, Any]]) -> dict[str, str]:
    """code -> full text (unit/element title, criterion text)."""
    out: dict[str, str] = {}
    for s in standards:
        for u in s["units"]:
            out[u["code"]] = u["title"]
            for e in u["elements"]:
                out[e["code"]] = e["title"]
                out.update({c["code"]: c["text"] for c in e["criteria"]})
    return out


def _html_text(description: str) -> list[str]:
    return [html.unescape(p) for p in re.findall(r"<p>(.*?)</p>", description, flags=re.S)]


# --- Moodle CSV ---------------------------------------------------------------------------------------


def test_every_row_has_14_columns_and_header_matches_fixture(standards: list[dict[str, Any]]) -> None:
    rows = _rows(to_moodle_csv(standards))
    fixture = _rows(FIXTURE_CSV.read_text(encoding="utf-8"))
    assert all(len(row) == 14 for row in rows)
    assert rows[0] == fixture[0] == list(HEADERS)
    assert len(rows) == 2 + len(_codes(standards))


def test_no_bom_lf_only(standards: list[dict[str, Any]]) -> None:
    text = to_moodle_csv(standards)
    data = text.encode("utf-8")
    assert not data.startswith(b"\xef\xbb\xbf")
    assert "\r" not in text
    assert text.endswith("\n") and not text.endswith("\n\n")


def test_writer_reproduces_the_moodle_export_byte_for_byte() -> None:
    # Moodle's own export re-serialised by our CSV writer must be identical: same quoting rules.
    raw = FIXTURE_CSV.read_text(encoding="utf-8")
    assert "".join(export_moodle._csv_line(row) for row in _rows(raw)) == raw


def test_comma_and_quote_fields_are_quoted_like_the_fixture(standards: list[dict[str, Any]]) -> None:
    text = to_moodle_csv(standards)
    # Short name with a comma and spaces: enclosed; a quote inside is doubled.
    assert ',"ปฏิบัติตามกฎหมาย, ระเบียบ และกรอบธรรมาภิบาลข้อมูล",' in text
    assert '"<p>ระบุ ""PDPA""</p>"' in text
    # Cells without space, comma, quote or newline stay bare, like the fixture's codes.
    assert "\nDG100,DG101,ระบุข้อกำหนดทางกฎหมายที่เกี่ยวข้อง,<p>ระบุข้อกำหนดทางกฎหมายที่เกี่ยวข้อง</p>,1," in text


def test_framework_row_has_the_fixture_shape(standards: list[dict[str, Any]]) -> None:
    ours = _rows(to_moodle_csv(standards))[1]
    theirs = _rows(FIXTURE_CSV.read_text(encoding="utf-8"))[1]
    assert [bool(c) for c in ours] == [bool(c) for c in theirs]
    assert ours[0] == "" and ours[12] == theirs[12] == "1" and ours[4] == theirs[4] == "1"
    assert ours[1] == "dg-sample+dg-opsr-023" and ours[2] == TITLE
    assert _html_text(ours[3]) == [TITLE, "การพัฒนาสมรรถนะด้านดิจิทัลสำหรับข้าราชการและบุคลากรภาครัฐ"]
    assert ours[5].split(",") == ["ยังไม่ผ่าน (not yet competent)", "ผ่าน (competent)"]
    config, fixture_config = json.loads(ours[6]), json.loads(theirs[6])
    assert [sorted(entry) for entry in config] == [sorted(entry) for entry in fixture_config]
    assert config[1:] == fixture_config[1:]  # item 1 default, item 2 proficient
    assert set(ours[13].split(",")) <= MOODLE_TAXONOMIES and len(ours[13].split(",")) == 3
    assert to_moodle_csv(standards, idnumber="TPQI-DG").splitlines()[1].startswith(",TPQI-DG,")


def test_competency_rows_have_the_fixture_shape(standards: list[dict[str, Any]]) -> None:
    ours = _rows(to_moodle_csv(standards))[2:]
    theirs = _rows(FIXTURE_CSV.read_text(encoding="utf-8"))[2:]
    for row in ours:
        assert row[4] == "1" and row[5:11] == ["", "", "", "0", "null", ""] and row[12:] == ["", ""]
    assert theirs[0][7:11] == ["", "0", "null", ""]
    assert [int(row[11]) for row in ours] == list(range(1, len(ours) + 1))


def test_parents_precede_children(standards: list[dict[str, Any]]) -> None:
    rows = _rows(to_moodle_csv(standards))[2:]
    seen: set[str] = set()
    for parent, idnumber, *_ in rows:
        assert parent == "" or parent in seen
        assert idnumber not in seen
        seen.add(idnumber)
    parents = {row[1]: row[0] for row in rows}
    assert parents["DG100"] == "" and parents["DG101"] == "DG100" and parents["DG101.01"] == "DG101"
    assert set(parents) == set(_codes(standards))


def test_thai_text_round_trips_exactly(standards: list[dict[str, Any]]) -> None:
    texts = _codes(standards)
    for row in _rows(to_moodle_csv(standards))[2:]:
        code, name, description = row[1], row[2], row[3]
        assert _html_text(description)[0] == texts[code]
        if len(texts[code]) <= SHORTNAME_LIMIT:
            assert name == texts[code]
    unit = _rows(to_moodle_csv(standards))[2]
    assert _html_text(unit[3])[1] == standards[0]["units"][0]["description"]  # "<", "&" survive


def test_shortnames_are_cut_at_100_characters(standards: list[dict[str, Any]]) -> None:
    rows = _rows(to_moodle_csv(standards))
    assert all(len(row[2]) <= SHORTNAME_LIMIT for row in rows[1:])
    cut = next(row[2] for row in rows if row[1] == "DG101.01")
    assert len(LONG_CRITERION) > 100 and cut.endswith("…") and LONG_CRITERION.startswith(cut[:-1])


@pytest.mark.parametrize("offset", range(-4, 5))
def test_shortname_never_separates_thai_marks(offset: int) -> None:
    # "ที่" = base + two marks, "ำ" = SARA AM: put them across the cut position.
    text = "ก" * (SHORTNAME_LIMIT - 1 + offset) + "ที่ทำงาน" * 3
    name = export_moodle.shortname(text)
    kept = name[:-1]
    assert len(name) <= SHORTNAME_LIMIT and text.startswith(kept)
    following = text[len(kept)]
    assert unicodedata.category(following) not in ("Mn", "Mc") and following != "\u0e33"


def test_backslash_quote_never_reaches_the_csv(standards: list[dict[str, Any]]) -> None:
    # PHP's fgetcsv() treats \" specially; no cell may contain that sequence.
    odd = copy.deepcopy(standards)
    odd[0]["units"][0]["elements"][0]["title"] = 'ระบุ C:\\"path\\" ด้วย'
    text = to_moodle_csv(odd)
    assert '\\"' not in text
    description = next(row[3] for row in _rows(text) if row[1] == "DG101")
    assert _html_text(description) == ['ระบุ C:\\"path\\" ด้วย']


def test_inconsistent_input_is_rejected(standards: list[dict[str, Any]]) -> None:
    with pytest.raises(ValueError, match="no standard"):
        to_moodle_csv([])
    other = copy.deepcopy(standards)
    other[1]["standard"]["title"] = "อื่น"
    with pytest.raises(ValueError, match="different titles"):
        to_moodle_csv(other)
    dup = copy.deepcopy(standards)
    dup[1]["units"][0]["code"] = "DG100"
    with pytest.raises(ValueError, match="duplicate"):
        to_moodle_csv(dup)
    with pytest.raises(ValueError, match="duplicate"):
        to_case_package(dup, base_uri=BASE_URI)


# --- CASE 1.0 CFPackage -------------------------------------------------------------------------------

# Multiplicity [1] attributes of the CASE 1.0 information model (CFPckgDocument, CFPckgItem,
# CFPckgAssociation, CFItemType, LinkURI/LinkGenURI), plus CFDocumentURI of CFItem/CFAssociation.
DOCUMENT_REQUIRED = {"identifier": str, "uri": str, "creator": str, "title": str, "lastChangeDateTime": str}
ITEM_REQUIRED = {
    "identifier": str, "uri": str, "fullStatement": str, "lastChangeDateTime": str,
    "humanCodingScheme": str, "CFItemType": str, "language": str, "CFDocumentURI": dict,
}  # fmt: skip
ASSOCIATION_REQUIRED = {
    "identifier": str, "uri": str, "associationType": str, "originNodeURI": dict,
    "destinationNodeURI": dict, "lastChangeDateTime": str, "CFDocumentURI": dict,
}  # fmt: skip
ITEM_TYPE_REQUIRED = {
    "identifier": str, "uri": str, "title": str, "description": str, "hierarchyCode": str,
    "lastChangeDateTime": str,
}  # fmt: skip
LINK_REQUIRED = {"title": str, "identifier": str, "uri": str}
UUID_PATTERN = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[1-5][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


def _check(obj: dict[str, Any], required: Mapping[str, type]) -> None:
    for field, kind in required.items():
        assert isinstance(obj.get(field), kind), f"{field} missing or not {kind.__name__}: {obj}"
        if kind is str:
            assert obj[field], field
    assert UUID_PATTERN.match(obj["identifier"]) and uuid.UUID(obj["identifier"]).version == 5
    if "lastChangeDateTime" in obj:
        assert datetime.fromisoformat(obj["lastChangeDateTime"]).tzinfo is not None
    assert obj["uri"].startswith(BASE_URI + "/")


def test_case_required_fields_and_types(standards: list[dict[str, Any]]) -> None:
    package = to_case_package(standards, base_uri=BASE_URI + "/")
    assert set(package) == {"CFDocument", "CFItems", "CFAssociations", "CFDefinitions"}
    _check(package["CFDocument"], DOCUMENT_REQUIRED)
    assert package["CFDocument"]["title"] == TITLE and package["CFDocument"]["language"] == "th"
    for item in package["CFItems"]:
        _check(item, ITEM_REQUIRED)
        _check(item["CFDocumentURI"], LINK_REQUIRED | {"uri": str})
    for association in package["CFAssociations"]:
        _check(association, ASSOCIATION_REQUIRED)
        assert isinstance(association["sequenceNumber"], int)
        for link in ("originNodeURI", "destinationNodeURI", "CFDocumentURI"):
            _check(association[link], LINK_REQUIRED)
    for item_type in package["CFDefinitions"]["CFItemTypes"]:
        _check(item_type, ITEM_TYPE_REQUIRED)
    json.dumps(package, ensure_ascii=False, allow_nan=False)  # plain JSON


def test_case_items_codes_and_types(standards: list[dict[str, Any]]) -> None:
    package = to_case_package(standards, base_uri=BASE_URI)
    texts = _codes(standards)
    items = package["CFItems"]
    assert len(items) == len(texts) == 2 + 3 + 4  # units + elements + criteria
    assert [i["humanCodingScheme"] for i in items] == list(texts)
    assert all(i["fullStatement"] == texts[i["humanCodingScheme"]] for i in items)
    kinds = {i["humanCodingScheme"]: i["CFItemType"] for i in items}
    assert kinds["DG100"] == "Unit of Competency" and kinds["DG101"] == "Element"
    assert kinds["DG101.01"] == "Performance Criterion"
    types = {t["title"]: t for t in package["CFDefinitions"]["CFItemTypes"]}
    for item in items:
        assert item["CFItemTypeURI"]["identifier"] == types[item["CFItemType"]]["identifier"]
    assert len({i["identifier"] for i in items}) == len(items)


def test_case_associations_resolve_and_form_the_tree(standards: list[dict[str, Any]]) -> None:
    package = to_case_package(standards, base_uri=BASE_URI)
    document = package["CFDocument"]
    nodes = {i["identifier"]: i for i in package["CFItems"]} | {document["identifier"]: document}
    parent_of: dict[str, str] = {}
    children: dict[str, list[int]] = defaultdict(list)
    for a in package["CFAssociations"]:
        assert a["associationType"] == "isChildOf"
        origin, destination = a["originNodeURI"], a["destinationNodeURI"]
        for link in (origin, destination):
            assert link["uri"] == nodes[link["identifier"]]["uri"]
        assert a["CFDocumentURI"]["identifier"] == document["identifier"]
        parent_of[origin["identifier"]] = destination["identifier"]
        children[destination["identifier"]].append(a["sequenceNumber"])
    code = {i["identifier"]: i["humanCodingScheme"] for i in package["CFItems"]}
    by_code = {c: parent_of[i] for i, c in code.items()}
    assert by_code["DG100"] == by_code["DG-OPSR-023"] == document["identifier"]
    assert code[by_code["DG101"]] == "DG100" and code[by_code["DG101.02"]] == "DG101"
    assert set(parent_of) == set(code)  # every item has exactly one parent
    assert all(seq == list(range(1, len(seq) + 1)) for seq in children.values())


def test_case_is_deterministic(standards: list[dict[str, Any]]) -> None:
    first = json.dumps(to_case_package(standards, base_uri=BASE_URI), ensure_ascii=False)
    second = json.dumps(to_case_package(copy.deepcopy(standards), base_uri=BASE_URI), ensure_ascii=False)
    assert first == second
    package = json.loads(first)
    stamps = {i["lastChangeDateTime"] for i in [package["CFDocument"], *package["CFItems"]]}
    assert stamps == {"2024-01-01T00:00:00+00:00"} and DEFAULT_LAST_CHANGE.year == 2024
    # The identifiers do not depend on where the package is published; the URIs do.
    moved = to_case_package(standards, base_uri="https://elsewhere.example/case")
    assert moved["CFItems"][0]["identifier"] == package["CFItems"][0]["identifier"]
    assert moved["CFItems"][0]["uri"] != package["CFItems"][0]["uri"]


def test_case_last_change_parameter(standards: list[dict[str, Any]]) -> None:
    bangkok = timezone(timedelta(hours=7))
    seven_am = datetime(2025, 3, 1, 7, tzinfo=bangkok)
    package = to_case_package(standards, base_uri=BASE_URI, last_change=seven_am)
    assert package["CFAssociations"][0]["lastChangeDateTime"] == "2025-03-01T00:00:00+00:00"
    with pytest.raises(ValueError, match="timezone"):
        to_case_package(standards, base_uri=BASE_URI, last_change=datetime(2025, 3, 1))
    assert to_case_package(standards, base_uri=BASE_URI, last_change=datetime(2025, 1, 1, tzinfo=UTC))


# --- the real canonical files, when the parser has produced them --------------------------------------


def _real_standards() -> list[list[dict[str, Any]]]:
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for path in sorted((REPO / "content" / "standards").glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("format") == "samattha-standard/1":
            groups[data["standard"]["title"]].append(data)
    return list(groups.values())


def test_real_standards_export() -> None:
    groups = _real_standards()
    if not groups:
        pytest.skip("content/standards/*.json not generated yet")
    for group in groups:
        texts = _codes(group)
        rows = _rows(to_moodle_csv(group))
        assert all(len(row) == 14 for row in rows) and len(rows) == 2 + len(texts)
        assert all(len(row[2]) <= SHORTNAME_LIMIT for row in rows[1:])
        assert {row[1]: _html_text(row[3])[0] for row in rows[2:]} == texts
        package = to_case_package(group, base_uri=BASE_URI)
        assert [i["humanCodingScheme"] for i in package["CFItems"]] == list(texts)
        assert len(package["CFAssociations"]) == len(texts)
        _check(package["CFDocument"], DOCUMENT_REQUIRED)
        for item in package["CFItems"]:
            _check(item, ITEM_REQUIRED)
        for association in package["CFAssociations"]:
            _check(association, ASSOCIATION_REQUIRED)
