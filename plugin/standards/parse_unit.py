"""One unit of competence (sections 1-18), as printed in a standard or as a single-unit text."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from .model import Element, RangeStatement, Unit
from .parse_elements import parse_elements
from .parse_text import Line, ParseError, TextContext, is_na, join_lines, parse_list, single_text

# (number, heading as printed after "N. ", English name for error messages)
UNIT_SECTIONS: tuple[tuple[int, str, str], ...] = (
    (1, "รหัสหน่วยสมรรถนะ", "unit code"),
    (2, "ชื่อหน่วยสมรรถนะ", "unit title"),
    (3, "ทบทวนครั้งที่", "revision"),
    (4, "สร้างใหม่", "new or revised"),
    (5, "สำหรับชื่ออาชีพและรหัสอาชีพ", "occupational classification"),
    (6, "คำอธิบายหน่วยสมรรถนะ", "description"),
    (7, "สำหรับระดับคุณวุฒิ", "qualification level"),
    (8, "กลุ่มอาชีพ", "sector"),
    (9, "ชื่ออาชีพและรหัสอาชีพอื่น", "other occupations"),
    (10, "ข้อกำหนดหรือกฎระเบียบ", "licensing or regulation"),
    (11, "สมรรถนะย่อยและเกณฑ์การปฏิบัติงาน", "elements and performance criteria"),
    (12, "ความรู้และทักษะก่อนหน้าที่จำเป็น", "prerequisites"),
    (13, "ทักษะและความรู้ที่ต้องการ", "required skills and knowledge"),
    (14, "หลักฐานที่ต้องการ", "evidence guide"),
    (15, "ขอบเขต", "range statement"),
    (16, "หน่วยสมรรถนะร่วม", "co-units"),
    (17, "อุตสาหกรรมร่วม", "co-sectors"),
    (18, "รายละเอียดกระบวนการและวิธีการประเมิน", "assessment procedure"),
)
UNIT_START = "1. รหัสหน่วยสมรรถนะ"
_UNIT_CODE = re.compile(r"^[A-Za-z][A-Za-z-]*\d{2,3}$")
_SUBSECTION = re.compile(r"^\((ก|ข|ค)\)")


def _heading_rest(line: str, number: int, heading: str) -> str | None:
    prefix = f"{number}."
    if not line.startswith(prefix):
        return None
    rest = line[len(prefix) :].lstrip()
    if not rest.startswith(heading) or rest == line[len(prefix) :]:
        return None
    return rest[len(heading) :].strip()


def split_sections(
    lines: Sequence[Line], end_line: int, sections: Sequence[tuple[int, str, str]] = UNIT_SECTIONS
) -> dict[int, tuple[Line, list[Line]]]:
    """Heading line (text after the heading) and body lines of numbered sections, all required, in order."""
    found: dict[int, tuple[Line, list[Line]]] = {}
    i = 0
    for number, heading, name in sections:
        start = i
        while i < len(lines) and _heading_rest(lines[i][1], number, heading) is None:
            i += 1
        if i == len(lines):
            # Searched to the end of the unit: that is where the text stopped being a unit.
            where = lines[-1][0] if lines else end_line
            raise ParseError(where, f"expected section {number} ({name})")
        no, s = lines[i]
        found[number] = ((no, _heading_rest(s, number, heading) or ""), [])
        if number > 1:
            found[number - 1][1].extend(lines[start:i])
        i += 1
    found[sections[-1][0]][1].extend(lines[i:])
    return found


def _subsections(body: Sequence[Line], labels: str) -> tuple[list[Line], dict[str, list[Line]]]:
    """Split a section at its "(ก)", "(ข)", ... lines; returns the lead-in and each part."""
    lead: list[Line] = []
    parts: dict[str, list[Line]] = {label: [] for label in labels}
    current: list[Line] = lead
    for no, s in body:
        m = _SUBSECTION.match(s)
        if m and m.group(1) in parts:
            current = parts[m.group(1)]
            continue
        current.append((no, s))
    return lead, parts


def _range_statement(body: Sequence[Line], ctx: TextContext) -> RangeStatement:
    lead, parts = _subsections(body, "กข")
    return {
        "text": single_text(lead, ctx),
        "guidance": parse_list(parts["ก"], ctx),
        "explanations": parse_list(parts["ข"], ctx),
    }


def _inline_or_body(heading: Line, body: Sequence[Line]) -> list[Line]:
    return ([heading] if heading[1] else []) + list(body)


def parse_unit(
    lines: Sequence[Line],
    *,
    ctx: TextContext,
    end_line: int,
    element_titles: Mapping[str, Sequence[str]],
) -> Unit:
    """``element_titles`` are the functional map's printings of element titles (line-broken)."""
    sec = split_sections(lines, end_line)
    (code_no, code), _ = sec[1]
    if not _UNIT_CODE.match(code):
        raise ParseError(code_no, f"expected a unit code after section 1, got {code!r}")
    title = join_lines([s for _, s in _inline_or_body(*sec[2])], ctx=ctx)
    revision = join_lines([s for _, s in _inline_or_body(*sec[3])], ctx=ctx)
    elements: list[Element] = parse_elements(sec[11][1], sec[11][0][0], ctx=ctx, map_titles=element_titles)
    _, skills = _subsections(sec[13][1], "กข")
    _, evidence = _subsections(sec[14][1], "กขค")
    return {
        "code": code,
        "title": title,
        "revision": revision,
        "occupations": single_text(sec[5][1], ctx),
        "description": single_text(sec[6][1], ctx) or "",
        "qualification_level": single_text(sec[7][1], ctx),
        "sector": single_text(sec[8][1], ctx),
        "other_occupations": single_text(sec[9][1], ctx),
        "regulations": parse_list(sec[10][1], ctx),
        "elements": elements,
        "prerequisites": parse_list(sec[12][1], ctx),
        "skills": parse_list(skills["ก"], ctx),
        "knowledge": parse_list(skills["ข"], ctx),
        "performance_evidence": parse_list(evidence["ก"], ctx),
        "knowledge_evidence": parse_list(evidence["ข"], ctx),
        "assessment_guidance": parse_list(evidence["ค"], ctx),
        "range_statement": _range_statement(sec[15][1], ctx),
        "assessment_procedure": parse_list(sec[18][1], ctx),
    }


def split_units(lines: Sequence[Line]) -> list[list[Line]]:
    starts = [i for i, (_, s) in enumerate(lines) if s.startswith(UNIT_START)]
    bounds = [*starts, len(lines)]
    return [list(lines[a:b]) for a, b in zip(bounds, bounds[1:], strict=False)]


__all__ = ["UNIT_START", "is_na", "parse_unit", "split_sections", "split_units"]
