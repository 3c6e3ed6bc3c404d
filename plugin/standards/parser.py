"""Parse TPQI occupational-standard text dumps into the canonical ``samattha-standard/1`` dict.

Two kinds of source are recognised: a full occupational standard (sections 1-10, functional map, units)
and a single unit of competence copied from the TPQI portal. Both are pure text in, dict out.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

from .model import FORMAT, Qualification, StandardDocument, Unit
from .parse_map import FunctionalMap, parse_functional_map
from .parse_text import (
    Line,
    ParseError,
    TextContext,
    clean_lines,
    join_lines,
    parse_list,
    single_text,
    squash,
)
from .parse_unit import UNIT_START, parse_unit, split_sections, split_units

__all__ = ["ParseError", "parse_source"]

STANDARD_START = "1. ชื่อมาตรฐานอาชีพ"
UNIT_TEXT_MARK = "รายละเอียดหน่วยสมรรถนะ"
MAP_START = "ตารางแผนผังแสดงหน้าที่"
STANDARD_SECTIONS: tuple[tuple[int, str, str], ...] = (
    (1, "ชื่อมาตรฐานอาชีพ", "standard title"),
    (2, "ประวัติการปรับปรุงมาตรฐาน", "revision history"),
    (3, "ทะเบียนอ้างอิง", "imprint"),
    (4, "ข้อมูลเบื้องต้น", "introduction"),
    (5, "ประวัติการปรับปรุงมาตรฐานในแต่ละครั้ง", "revisions"),
    (6, "ครั้งที่", "revision number"),
    (7, "คุณวุฒิวิชาชีพที่ครอบคลุม", "qualifications included"),
    (8, "คุณวุฒิวิชาชีพที่เกี่ยวข้อง", "related qualifications"),
    (9, "หน่วยสมรรถนะทั้งหมด", "list of units"),
    (10, "ระดับคุณวุฒิ", "qualification levels"),
)
_QUALIFICATION = re.compile(r"^10\.(\d+)\s+(.*)$")
_UNIT_ROW = re.compile(r"^([A-Z][A-Za-z]*\d{3})\s")
_QUALIFICATION_PARTS = (
    ("outcomes", "คุณลักษณะของผลการเรียนรู้"),
    ("pathways", "การเลื่อนระดับคุณวุฒิวิชาชีพ"),
    ("renewal", "หลักเกณฑ์การต่ออายุ"),
    ("target_group", "กลุ่มบุคคลในอาชีพ"),
    ("units", "หน่วยสมรรถนะ (หน่วยสมรรถนะทั้งหมด"),
)


def _nonblank(text: str) -> list[Line]:
    return [(no, squash(s)) for no, s in enumerate(text.splitlines(), start=1) if squash(s)]


def _not_a_standard(lines: Sequence[Line]) -> ParseError:
    where = lines[0][0] if lines else 1
    return ParseError(
        where, f"not a TPQI standard or unit text (expected {STANDARD_START!r} or {UNIT_TEXT_MARK!r})"
    )


def _unit_codes(body: Sequence[Line]) -> list[str]:
    return [m.group(1) for _, s in body if (m := _UNIT_ROW.match(s))]


def _qualification(
    number: str, lines: Sequence[Line], ctx: TextContext, included: list[str]
) -> Qualification:
    parts: dict[str, list[Line]] = {"title": []}
    current = parts["title"]
    for no, s in lines:
        key = next((k for k, mark in _QUALIFICATION_PARTS if s.startswith(mark)), None)
        if key is not None and key not in parts:
            current = parts.setdefault(key, [])
            continue
        current.append((no, s))
    title_lines = [s for _, s in parts["title"]]
    return {
        "number": f"10.{number}",
        # Section 7 prints the same name on other line breaks: evidence for where the spaces are.
        "title": join_lines(title_lines, ctx=ctx, variants=[included]),
        "outcomes": single_text(parts.get("outcomes", []), ctx),
        "pathways": single_text(parts.get("pathways", []), ctx),
        "renewal": single_text(parts.get("renewal", []), ctx),
        "target_group": single_text(parts.get("target_group", []), ctx),
        "units": _unit_codes(parts.get("units", [])),
    }


def _qualifications(body: Sequence[Line], ctx: TextContext, included: list[str]) -> list[Qualification]:
    groups: list[tuple[str, list[Line]]] = []
    for no, s in body:
        m = _QUALIFICATION.match(s)
        if m:
            groups.append((m.group(1), [(no, m.group(2))]))
        elif groups:
            groups[-1][1].append((no, s))
        else:
            raise ParseError(no, "expected a qualification level (10.1, 10.2, ...)")
    return [_qualification(n, ls, ctx, included) for n, ls in groups]


def _parse_standard(text: str, file_name: str, ctx: TextContext) -> StandardDocument:
    raw = _nonblank(text)
    title = raw[1][1] if len(raw) > 1 else ""
    lines = clean_lines(text, title)
    end_line = len(text.splitlines())
    map_at = next((i for i, (_, s) in enumerate(lines) if s == MAP_START), None)
    units_at = next((i for i, (_, s) in enumerate(lines) if s.startswith(UNIT_START)), None)
    if map_at is None or units_at is None or units_at < map_at:
        where = lines[map_at or -1][0]
        raise ParseError(where, "expected the functional map followed by the units of competence")
    sec = split_sections(lines[:map_at], lines[map_at][0], STANDARD_SECTIONS)
    all_units = _unit_codes(sec[9][1])
    fmap = parse_functional_map(lines[map_at:units_at], all_units, ctx)
    included = [s for _, s in sec[7][1]]
    return _document(
        text,
        file_name,
        title=single_text(sec[1][1], ctx) or title,
        introduction=single_text(sec[4][1], ctx),
        related=parse_list(sec[8][1], ctx),
        qualifications=_qualifications(sec[10][1], ctx, included),
        fmap=fmap,
        units=[
            parse_unit(u, ctx=ctx, end_line=end_line, element_titles=fmap.element_titles)
            for u in split_units(lines[units_at:])
        ],
    )


def _parse_unit_text(text: str, file_name: str, ctx: TextContext) -> StandardDocument:
    raw = _nonblank(text)
    mark = next(i for i, (_, s) in enumerate(raw) if s == UNIT_TEXT_MARK)
    title = raw[mark - 1][1] if mark > 0 else ""
    lines = clean_lines(text, None)
    start = next((i for i, (_, s) in enumerate(lines) if s.startswith(UNIT_START)), None)
    if start is None:
        raise ParseError(raw[mark][0], f"expected {UNIT_START!r} after {UNIT_TEXT_MARK!r}")
    unit = parse_unit(lines[start:], ctx=ctx, end_line=len(text.splitlines()), element_titles={})
    empty = FunctionalMap(key_purpose=None, key_roles=[], key_functions=[])
    return _document(
        text,
        file_name,
        title=title,
        introduction=None,
        related=[],
        qualifications=[],
        fmap=empty,
        units=[unit],
    )


def _document(
    text: str,
    file_name: str,
    *,
    title: str,
    introduction: str | None,
    related: list[str],
    qualifications: list[Qualification],
    fmap: FunctionalMap,
    units: list[Unit],
) -> StandardDocument:
    return {
        "format": FORMAT,
        "source": {"file": file_name, "sha256": hashlib.sha256(text.encode("utf-8")).hexdigest()},
        "standard": {"title": title, "introduction": introduction, "related_qualifications": related},
        "qualifications": qualifications,
        "key_purpose": fmap.key_purpose,
        "key_roles": fmap.key_roles,
        "key_functions": fmap.key_functions,
        "units": units,
    }


def parse_source(text: str, *, file_name: str) -> StandardDocument:
    """Canonical dict for one source text; raises :class:`ParseError` naming the line where it stopped."""
    raw = _nonblank(text)
    ctx = TextContext(corpus="\n".join(s for _, s in raw))
    if raw and raw[0][1] == STANDARD_START:
        return _parse_standard(text, file_name, ctx)
    if any(s == UNIT_TEXT_MARK for _, s in raw) and any(s.startswith(UNIT_START) for _, s in raw):
        return _parse_unit_text(text, file_name, ctx)
    raise _not_a_standard(raw)
