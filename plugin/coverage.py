"""Which criteria a course's activities cover, and how far each learner has got — plus CSV and SVG views.

Pure functions over a :class:`CourseMapping`, a :class:`StandardIndex` and plain statement dicts.

Learner status of one criterion (first that holds):

* ``signed_off`` — an assessor signed the criterion off for the learner (passed in; a human judgement
  outranks any statement);
* ``evidenced`` — some mapping entry whose targets expand to the criterion has its rule met by at least one
  of the learner's statements (plugin.mapping.rules: a result on the activity or its attempt/submission
  for completed/passed/score, any statement inside the activity for verbs/any);
* ``some`` — at least one of the learner's statements relates to such an entry's activity (object or
  any context parent) without meeting its rule: work has started, the rule is not met yet;
* ``none`` — nothing.

Both evidence kinds count towards a criterion; the kind matters for the knowledge/performance evidence
items (see plugin.portfolios). Evidence is never withdrawn: a later failed attempt does not undo an earlier
pass, just as a portfolio keeps an accepted piece of evidence.
"""

from __future__ import annotations

import csv
import html
import io
import re
from collections.abc import Iterable, Mapping, Set
from dataclasses import dataclass
from typing import Any, Literal

from plugin.mapping.model import CourseMapping, MappingEntry, StandardIndex, expand_targets, linked_items, mapped_units
from plugin.mapping.rules import ActivityIndex

__all__ = [
    "STATUSES",
    "Matrix",
    "Progress",
    "Status",
    "coverage_matrix",
    "entries_reached",
    "learner_progress",
    "matrix_csv",
    "progress_csv",
    "progress_from_reach",
    "progress_svg",
]

Status = Literal["none", "some", "evidenced", "signed_off"]
STATUSES: tuple[Status, ...] = ("none", "some", "evidenced", "signed_off")


@dataclass(frozen=True)
class Matrix:
    units: tuple[str, ...]  # in scope, standard order
    criteria: tuple[str, ...]  # rows: every criterion of those units, standard order
    items: tuple[str, ...]  # knowledge- then performance-evidence items of each unit
    activities: tuple[MappingEntry, ...]  # columns: the mapping's entries, file order
    cells: Mapping[str, frozenset[int]]  # criterion or item code → indexes of the columns covering it
    gaps: Mapping[str, tuple[str, ...]]  # unit → criteria no activity covers

    @property
    def gap_counts(self) -> dict[str, int]:
        return {unit: len(codes) for unit, codes in self.gaps.items()}


@dataclass(frozen=True)
class Progress:
    units: tuple[str, ...]
    criteria: tuple[str, ...]
    learners: tuple[str, ...]  # order of statements_by_learner, then learners only signed off
    statuses: Mapping[str, tuple[Status, ...]]  # learner → one status per criterion, aligned with .criteria

    def status(self, learner: str, criterion: str) -> Status:
        return self.statuses[learner][self.criteria.index(criterion)]


def _scope(mapping: CourseMapping, standard: StandardIndex, units: Iterable[str] | None) -> tuple[str, ...]:
    # Default: the units the course reaches. A course on one unit should not report 160 "gaps" elsewhere.
    wanted = set(mapped_units(mapping, standard) if units is None else units)
    return tuple(code for code in standard.units if code in wanted)


def coverage_matrix(mapping: CourseMapping, standard: StandardIndex, *, units: Iterable[str] | None = None) -> Matrix:
    scope = _scope(mapping, standard, units)
    criteria = tuple(c for u in scope for c in standard.units[u].criteria)
    items = tuple(
        i for u in scope for i in standard.units[u].knowledge_evidence + standard.units[u].performance_evidence
    )
    cells: dict[str, set[int]] = {code: set() for code in criteria + items}
    for column, entry in enumerate(mapping.entries):
        for code in expand_targets(entry.targets, standard) | linked_items(entry, standard):
            if code in cells:
                cells[code].add(column)
    gaps = {u: tuple(c for c in standard.units[u].criteria if not cells[c]) for u in scope}
    return Matrix(scope, criteria, items, mapping.entries, {k: frozenset(v) for k, v in cells.items()}, gaps)


def learner_progress(
    mapping: CourseMapping,
    standard: StandardIndex,
    statements_by_learner: Mapping[str, Iterable[Mapping[str, Any]]],
    signed_off: Mapping[str, Set[str]] | None = None,
    *,
    units: Iterable[str] | None = None,
) -> Progress:
    """One pass over each learner's statements; the activity → entries lookup is built once per call."""
    index = ActivityIndex(mapping)
    reached = {learner: entries_reached(index, statements) for learner, statements in statements_by_learner.items()}
    return progress_from_reach(mapping, standard, reached, signed_off, units=units)


def progress_from_reach(
    mapping: CourseMapping,
    standard: StandardIndex,
    reached: Mapping[str, tuple[Set[int], Set[int]]],
    signed_off: Mapping[str, Set[str]] | None = None,
    *,
    units: Iterable[str] | None = None,
) -> Progress:
    """:func:`learner_progress` from each learner's (met, touched) entry indexes — what
    :func:`entries_reached` returns and plugin.evidence.course_reach keeps up to date without re-reading
    every statement."""
    scope = _scope(mapping, standard, units)
    criteria = tuple(c for u in scope for c in standard.units[u].criteria)
    position = {code: i for i, code in enumerate(criteria)}
    reach = [tuple(position[c] for c in expand_targets(e.targets, standard) if c in position) for e in mapping.entries]
    signed_off = signed_off or {}
    learners = tuple(reached) + tuple(k for k in signed_off if k not in reached)
    nothing: tuple[Set[int], Set[int]] = (frozenset(), frozenset())
    statuses: dict[str, tuple[Status, ...]] = {}
    for learner in learners:
        met, touched = reached.get(learner, nothing)
        row = [0] * len(criteria)  # index into STATUSES
        for i in touched:
            for p in reach[i]:
                row[p] = row[p] or 1
        for i in met:
            for p in reach[i]:
                row[p] = 2
        for code in signed_off.get(learner, ()):
            if code in position:
                row[position[code]] = 3
        statuses[learner] = tuple(STATUSES[s] for s in row)
    return Progress(scope, criteria, learners, statuses)


def entries_reached(index: ActivityIndex, statements: Iterable[Mapping[str, Any]]) -> tuple[set[int], set[int]]:
    """(met, touched): indexes of the mapping entries whose rule some statement meets, and of those it only
    relates to. Both only grow as statements are added, so results over parts of a learner's statements
    can be united (``touched`` may then hold a met entry: met wins)."""
    met: set[int] = set()
    touched: set[int] = set()
    for statement in statements:
        for i, counts in index.relations(statement, met).items():
            (met if counts else touched).add(i)
    return met, touched


def _csv_cell(value: str) -> str:
    # Names come from Moodle profiles: a leading =, +, - or @ would run as a formula in a spreadsheet.
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def _csv(rows: Iterable[Iterable[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")  # RFC 4180
    writer.writerows([_csv_cell(v) for v in row] for row in rows)
    return out.getvalue()


def matrix_csv(matrix: Matrix, standard: StandardIndex) -> str:
    """One row per criterion, then per evidence item; one column per activity ("K"/"P" where it covers)."""
    header = ["unit", "kind", "code", *(e.title or e.key for e in matrix.activities), "activities"]
    rows = [header]
    for code in matrix.criteria + matrix.items:
        kind = standard.kind_of(code) or ""
        columns = matrix.cells[code]
        marks = [(e.evidence[0].upper() if i in columns else "") for i, e in enumerate(matrix.activities)]
        rows.append([standard.unit_of(code) or "", kind, code, *marks, str(len(columns))])
    return _csv(rows)


def progress_csv(progress: Progress, names: Mapping[str, str] | None = None) -> str:
    """One row per learner, one column per criterion holding its status."""
    names = names or {}
    rows = [["learner", "name", *progress.criteria]]
    rows += [[learner, names.get(learner, ""), *progress.statuses[learner]] for learner in progress.learners]
    return _csv(rows)


# Okabe & Ito (2008) colour-universal-design palette: grey / orange / bluish green / blue stay distinct
# under protanopia, deuteranopia and tritanopia, and each step is darker than the last, so grey print reads.
_FILL = {"none": "#dddddd", "some": "#e69f00", "evidenced": "#009e73", "signed_off": "#0072b2"}
_LEGEND = {
    "none": "none: no statement yet",
    "some": "some: worked on, rule not met",
    "evidenced": "evidenced: rule met",
    "signed_off": "signed off by an assessor",
}
_CELL, _ROW, _GAP, _LEFT, _TOP = 10, 12, 4, 210, 150  # a cell is drawn 1px narrower: columns stay apart
_FONTS = "Sarabun, 'Noto Sans Thai', Tahoma, sans-serif"  # Sarabun is what our pages load (static/fonts)
_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _x(text: str) -> str:
    """Text or attribute value safe for XML 1.0: characters XML cannot carry are dropped, markup escaped."""
    return html.escape(_NOT_XML.sub("", text), quote=True)


def progress_svg(
    progress: Progress,
    standard: StandardIndex,
    *,
    names: Mapping[str, str] | None = None,
    title: str = "Learner progress by performance criterion",
) -> str:
    """A heat map: learners down, criteria across in unit bands. Colours follow e-portfolio habit (grey,
    amber, green, blue) in the Okabe–Ito palette, with a text legend and a <title> on every cell."""
    names = names or {}
    xs, header = _columns(progress, standard)
    width = max((xs[-1] if xs else _LEFT) + _CELL + 90, 10 + len(STATUSES) * 190)  # the legend fits too
    height = _TOP + _ROW * len(progress.learners) + 20
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="{_FONTS}" font-size="9">',
        f"<title>{_x(title)}</title>",
        f'<text x="10" y="18" font-size="14">{_x(title)}</text>',
        *_legend(),
        *header,
    ]
    for row, learner in enumerate(progress.learners):
        parts += _row(progress, learner, names.get(learner) or learner, xs, _TOP + row * _ROW)
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def _legend() -> list[str]:
    out = []
    for i, status in enumerate(STATUSES):
        x = 10 + i * 190
        out.append(f'<rect x="{x}" y="30" width="{_CELL}" height="{_CELL}" fill="{_FILL[status]}"/>')
        out.append(f'<text x="{x + _CELL + 4}" y="39">{_x(_LEGEND[status])}</text>')
    return out


def _columns(progress: Progress, standard: StandardIndex) -> tuple[list[int], list[str]]:
    """x of each criterion column (a gap between units) and the unit bands with their labels."""
    xs: list[int] = []
    header: list[str] = []
    x = _LEFT
    shown = set(progress.criteria)
    for band, unit in enumerate(progress.units):
        codes = [c for c in standard.units[unit].criteria if c in shown]
        start = x
        for code in codes:
            info = standard.criteria[code]
            tip = _x(f"{code} ({info.number}): {info.text}")
            xs.append(x)
            header.append(
                f'<rect class="criterion" x="{x}" y="{_TOP - 14}" width="{_CELL - 1}" height="10" fill="#ffffff" '
                f'stroke="#999999" stroke-width="0.5"><title>{tip}</title></rect>'
            )
            x += _CELL
        shade = "#e8e8e8" if band % 2 else "#f6f6f6"
        label = _x(f"{unit}: {standard.units[unit].title}")
        header.append(
            f'<rect class="unit" x="{start}" y="{_TOP - 24}" width="{x - start}" height="8" fill="{shade}" '
            f'stroke="#777777" stroke-width="0.5"><title>{label}</title></rect>'
        )
        header.append(f'<text transform="translate({start + 7},{_TOP - 28}) rotate(-60)">{_x(unit)}</text>')
        x += _GAP
    return xs, header


def _row(progress: Progress, learner: str, name: str, xs: list[int], y: int) -> list[str]:
    statuses = progress.statuses[learner]
    shown = name if len(name) <= 32 else name[:31] + "…"
    label = f'<text class="learner" x="{_LEFT - 6}" y="{y + 9}" text-anchor="end">{_x(shown)}'
    out = [f"{label}<title>{_x(name)}</title></text>"]
    for x, code, status in zip(xs, progress.criteria, statuses, strict=True):
        tip = _x(f"{name}: {code}: {_LEGEND[status]}")
        out.append(
            f'<rect class="cell {status}" x="{x}" y="{y}" width="{_CELL - 1}" height="{_CELL}" '
            f'fill="{_FILL[status]}"><title>{tip}</title></rect>'
        )
    done = sum(s in ("evidenced", "signed_off") for s in statuses)
    out.append(f'<text x="{(xs[-1] if xs else _LEFT) + _CELL + 6}" y="{y + 9}">{done}/{len(statuses)}</text>')
    return out
