"""Section 11: elements, their performance criteria and assessment methods."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from .model import Criterion, Element
from .parse_text import Line, ParseError, TextContext, join_lines

ELEMENT_CODE = re.compile(r"^[A-Z][A-Za-z]*\d{3}$")
_CRITERION = re.compile(r"^(\d{1,2})\.(\d{1,2})(?:\s+(.*))?$")
# Rows of a single-unit text: book code then national system code.
_SYSTEM_ROW = re.compile(r"^([A-Z][A-Za-z]*\d{3})\.(\d{2})\s+(\d{4,})$")
_TABLE_HEADERS = ("สมรรถนะย่อย (Element)", "หน่วยสมรรถนะย่อย (EOC)", "(ตามเล่มมาตรฐาน)", "รหัส PC", "(จากระบบ)")
ASSESSMENT_METHODS = frozenset(
    {"ข้อสอบข้อเขียน", "การสัมภาษณ์", "การสาธิตการปฏิบัติงาน", "การสังเกตการปฏิบัติงาน", "แฟ้มสะสมผลงาน"}
)
# Display width at which the element and criteria columns are full (measured on the printed table).
COLUMN_WIDTH = 40


@dataclass
class _Draft:
    code: str
    line: int
    title: list[str] = field(default_factory=list)
    methods: list[str] = field(default_factory=list)
    criteria: list[tuple[int, str, list[str], str | None]] = field(default_factory=list)


def _is_header(s: str) -> bool:
    return s.startswith(_TABLE_HEADERS)


def _book_rows(body: Sequence[Line]) -> list[_Draft]:
    """Single-unit layout: every row repeats element code and title, then criterion, then codes."""
    drafts: list[_Draft] = []
    pending: list[str] = []
    for no, s in body:
        if _is_header(s):
            continue
        m = _SYSTEM_ROW.match(s)
        if ELEMENT_CODE.match(s):
            if not drafts or drafts[-1].code != s:
                drafts.append(_Draft(s, no))
            pending = []
        elif m:
            if not drafts or drafts[-1].code != m.group(1):
                raise ParseError(no, f"criterion {m.group(1)}.{m.group(2)} under no element")
            draft = drafts[-1]
            if not draft.title and pending:
                draft.title = pending[:1]
            draft.criteria.append((int(m.group(2)), f"{m.group(1)}.{m.group(2)}", pending[1:], m.group(3)))
            pending = []
        else:
            pending.append(s)
    if pending:
        raise ParseError(body[-1][0], "criterion text without its book and system codes")
    return drafts


def _book_table(body: Sequence[Line]) -> list[_Draft]:
    """Standard layout: code, title lines, criteria "N.M text", then assessment methods."""
    drafts: list[_Draft] = []
    for no, s in body:
        if _is_header(s):
            continue
        m = _CRITERION.match(s)
        if ELEMENT_CODE.match(s):
            drafts.append(_Draft(s, no))
        elif not drafts:
            what = f"criterion {m.group(1)}.{m.group(2)}" if m else "text"
            raise ParseError(no, f"{what} under no element")
        elif m:
            # The number stays with its text until joined: it shares the cell and so the line width.
            drafts[-1].criteria.append((int(m.group(2)), f"{m.group(1)}.{m.group(2)}", [s], None))
        elif s in ASSESSMENT_METHODS:
            drafts[-1].methods.append(s)
        elif drafts[-1].methods:
            raise ParseError(no, f"unexpected text after the assessment methods of {drafts[-1].code}")
        elif drafts[-1].criteria:
            drafts[-1].criteria[-1][2].append(s)
        else:
            drafts[-1].title.append(s)
    return drafts


def _finish(draft: _Draft, ctx: TextContext, map_titles: Mapping[str, Sequence[str]]) -> Element:
    if not draft.title:
        raise ParseError(draft.line, f"element {draft.code} has no title")
    if not draft.criteria:
        raise ParseError(draft.line, f"element {draft.code} has no performance criteria")
    variants = [map_titles[draft.code]] if draft.code in map_titles else []
    criteria: list[Criterion] = []
    seen: set[int] = set()
    for minor, number, lines, system in draft.criteria:
        text = join_lines(lines, ctx=ctx, full_width=COLUMN_WIDTH)
        if lines and lines[0].startswith(number):
            text = text[len(number) :].strip()
        if minor in seen or not text:
            raise ParseError(draft.line, f"criterion {number} of {draft.code} is repeated or empty")
        seen.add(minor)
        criteria.append(
            {
                "code": f"{draft.code}.{minor:02d}",
                "number": number,
                "text": text,
                "system_code": system,
            }
        )
    return {
        "code": draft.code,
        "title": join_lines(draft.title, ctx=ctx, full_width=COLUMN_WIDTH, variants=variants),
        "assessment_methods": list(draft.methods),
        "criteria": criteria,
    }


def parse_elements(
    body: Sequence[Line], heading_line: int, *, ctx: TextContext, map_titles: Mapping[str, Sequence[str]]
) -> list[Element]:
    if any(_SYSTEM_ROW.match(s) for _, s in body):
        drafts = _book_rows(body)
    else:
        drafts = _book_table(body)
    if not drafts:
        raise ParseError(heading_line, "section 11 lists no elements")
    return [_finish(d, ctx, map_titles) for d in drafts]
