"""Functional map: table 1 (purpose, roles, functions) and table 2 (functions, units, elements)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from .model import KeyFunction, KeyRole
from .parse_text import Line, ParseError, TextContext, join_lines

TABLE1 = "ตาราง 1"
TABLE2 = "ตาราง 2"
_HEADER_LINES = frozenset(
    {
        "ความมุ่งหมายหลัก", "Key Purpose", "บทบาทหลัก", "Key Roles", "หน้าที่หลัก", "Key Function",
        "หน่วยสมรรถนะ", "Unit of Competence", "หน่วยสมรรถนะย่อย", "Element of Competence",
        "คําอธิบาย รหัส คําอธิบาย รหัส คําอธิบาย", "รหัส คําอธิบาย รหัส คําอธิบาย รหัส คําอธิบาย",
    }
)  # fmt: skip
_TABLE_END = "คำอธิบาย"
_ROLE = re.compile(r"^(\d{2})\s+(.*)$")
# Display widths at which the columns of table 1 and table 2 are full.
MAP_COLUMN_WIDTH = 35


@dataclass
class FunctionalMap:
    key_purpose: str | None
    key_roles: list[KeyRole]
    key_functions: list[KeyFunction]
    # element code -> its title as printed in table 2 (one string per printed line)
    element_titles: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class _Cell:
    code: str
    lines: list[str] = field(default_factory=list)
    children: list[str] = field(default_factory=list)


def _table(lines: Sequence[Line], start: str) -> list[Line]:
    begin = next((i for i, (_, s) in enumerate(lines) if s.startswith(start)), None)
    if begin is None:
        where = lines[0][0] if lines else 1
        raise ParseError(where, f"expected functional map table starting {start!r}")
    out: list[Line] = []
    for no, s in lines[begin + 1 :]:
        if s.startswith(_TABLE_END):
            return out
        if s not in _HEADER_LINES:
            out.append((no, s))
    raise ParseError(lines[-1][0], f"functional map table {start!r} does not end")


def _mend_codes(lines: Sequence[Line], prefixes: Sequence[str]) -> list[Line]:
    """Re-attach the last digit of a code that the narrow code column pushed onto its own line."""
    broken = re.compile(rf"(?:^|\s)(?:{'|'.join(map(re.escape, prefixes))})\d{{2}}$")
    out: list[Line] = []
    for no, s in lines:
        if out and s.isdigit() and len(s) == 1 and broken.search(out[-1][1]):
            out[-1] = (out[-1][0], out[-1][1] + s)
            continue
        out.append((no, s))
    return out


def _segments(s: str, token: re.Pattern[str]) -> list[tuple[str | None, str]]:
    """Split a table row at the codes it holds: [(code or None, text after it)]."""
    found = list(token.finditer(s))
    if not found:
        return [(None, s)]
    out: list[tuple[str | None, str]] = []
    if found[0].start() > 0:
        out.append((None, s[: found[0].start()].strip()))
    for m, nxt in zip(found, [*found[1:], None], strict=True):
        end = nxt.start() if nxt else len(s)
        out.append((m.group(1), s[m.end() : end].strip()))
    return out


def _code_token(prefixes: Sequence[str]) -> re.Pattern[str]:
    alts = "|".join(sorted(map(re.escape, prefixes), key=len, reverse=True))
    return re.compile(rf"(?:^|(?<=\s))((?:{alts})(?:\d{{3}})?)(?=\s|$)")


def _table2(lines: Sequence[Line], prefixes: Sequence[str]) -> dict[str, list[_Cell]]:
    """Cells of table 2 by code (a key function printed on two pages has two cells)."""
    token = _code_token(prefixes)
    cells: dict[str, list[_Cell]] = {}
    current: _Cell | None = None
    parents: dict[int, _Cell] = {}
    for no, s in _mend_codes(lines, prefixes):
        for code, text in _segments(s, token):
            if code is None:
                if current is None:
                    raise ParseError(no, "functional map text before any code")
                current.lines.append(text)
                continue
            level = 0 if code in prefixes else (1 if code.endswith("00") else 2)
            current = _Cell(code, [text] if text else [])
            cells.setdefault(code, []).append(current)
            parents[level] = current
            if level and level - 1 in parents and code not in parents[level - 1].children:
                parents[level - 1].children.append(code)
    return cells


def _table1(lines: Sequence[Line], token: re.Pattern[str]) -> tuple[list[str], list[_Cell], list[_Cell]]:
    purpose: list[str] = []
    roles: list[_Cell] = []
    functions: list[_Cell] = []
    current: _Cell | None = None
    for no, s in lines:
        m = _ROLE.match(s)
        segments = _segments(m.group(2) if m else s, token)
        if m:
            current = _Cell(m.group(1))
            roles.append(current)
        for code, text in segments:
            if code is not None:
                if not roles:
                    raise ParseError(no, f"key function {code} under no key role")
                current = _Cell(code, [text] if text else [])
                functions.append(current)
                roles[-1].children.append(code)
            elif current is None:
                purpose.append(text)
            else:
                current.lines.append(text)
    return purpose, roles, functions


def parse_functional_map(lines: Sequence[Line], unit_codes: Sequence[str], ctx: TextContext) -> FunctionalMap:
    prefixes = sorted({re.sub(r"\d+$", "", c) for c in unit_codes})
    purpose, roles, functions = _table1(_table(lines, TABLE1), _code_token(prefixes))
    cells = _table2(_table(lines, TABLE2), prefixes)
    key_functions: list[KeyFunction] = []
    for f in functions:
        printings = cells.get(f.code, [])
        title = join_lines(
            f.lines, ctx=ctx, full_width=MAP_COLUMN_WIDTH, variants=[c.lines for c in printings]
        )
        units = [u for c in printings for u in c.children]
        key_functions.append({"code": f.code, "title": title, "units": list(dict.fromkeys(units))})
    key_roles: list[KeyRole] = [
        {
            "code": r.code,
            "title": join_lines(r.lines, ctx=ctx, full_width=MAP_COLUMN_WIDTH),
            "key_functions": r.children,
        }
        for r in roles
    ]
    titles = {c: cs[0].lines for c, cs in cells.items() if not c.endswith("00") and c not in prefixes}
    return FunctionalMap(
        key_purpose=join_lines(purpose, ctx=ctx, full_width=MAP_COLUMN_WIDTH) or None,
        key_roles=key_roles,
        key_functions=key_functions,
        element_titles=titles,
    )
