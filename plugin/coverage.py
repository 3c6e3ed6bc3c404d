"""Which criteria a course's activities cover, and how far each learner has got — plus CSV and SVG views.

Pure functions over a :class:`CourseMapping`, a :class:`StandardIndex` and plain statement dicts.

Learner status of one criterion (first that holds):

* ``signed_off`` — an assessor signed the criterion off for the learner (passed in; a human judgement
  outranks any statement);
* ``evidenced`` — some mapping entry whose targets expand to the criterion has its rule met by at least one
  of the learner's statements (plugin.mapping.rules: a result on the activity or its attempt/submission
  for completed/passed/score, any statement inside the activity for verbs/any);
* ``evidenced`` too — a piece of evidence the learner added themself names the criterion (plugin.learner_evidence),
  unless the mapping switches learner evidence off: the portfolio compiler counts it so;
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
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any, Literal
from zoneinfo import ZoneInfo

from plugin.learner_evidence.vocabulary import evidence_codes
from plugin.mapping.model import (
    CourseMapping,
    MappingEntry,
    StandardIndex,
    course_iri,
    expand_targets,
    linked_items,
    mapped_units,
)
from plugin.mapping.rules import ActivityIndex

__all__ = [
    "ENGLISH_WORDS",
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
    "weekly_evidence",
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
    course = course_iri(mapping)
    reached: dict[str, tuple[Set[int], Set[int]]] = {}
    claimed: dict[str, set[str]] = {}
    for learner, statements in statements_by_learner.items():
        kept = list(statements)
        reached[learner] = entries_reached(index, kept)
        claimed[learner] = {code for statement in kept for code in evidence_codes(statement, course)}
    return progress_from_reach(mapping, standard, reached, signed_off, units=units, claimed=claimed)


def progress_from_reach(
    mapping: CourseMapping,
    standard: StandardIndex,
    reached: Mapping[str, tuple[Set[int], Set[int]]],
    signed_off: Mapping[str, Set[str]] | None = None,
    *,
    units: Iterable[str] | None = None,
    claimed: Mapping[str, Set[str]] | None = None,
) -> Progress:
    """:func:`learner_progress` from each learner's (met, touched) entry indexes — what
    :func:`entries_reached` returns and plugin.evidence.course_reach keeps up to date without re-reading
    every statement. ``claimed``: learner → the codes the evidence they added themselves names."""
    scope = _scope(mapping, standard, units)
    criteria = tuple(c for u in scope for c in standard.units[u].criteria)
    position = {code: i for i, code in enumerate(criteria)}
    reach = [tuple(position[c] for c in expand_targets(e.targets, standard) if c in position) for e in mapping.entries]
    signed_off = signed_off or {}
    claimed = (claimed or {}) if mapping.learner_evidence else {}
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
        for code in claimed.get(learner, ()):
            if code in position:
                row[position[code]] = 2
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


def progress_csv(progress: Progress, names: Mapping[str, str] | None = None, *,
                 words: Mapping[str, str] | None = None, last_evidence: Mapping[str, str] | None = None) -> str:
    """One row per learner, one column per criterion holding its status in ``words`` (the page's language:
    see :data:`ENGLISH_WORDS` for the keys), then when the learner's evidence last grew (``last_evidence``:
    learner → a time as people read it, already in the organisation's zone)."""
    names, words, last_evidence = names or {}, words or ENGLISH_WORDS, last_evidence or {}
    said = [words[status] for status in STATUSES]
    rows = [[words["learner"], words["name"], *progress.criteria, words["last_evidence"]]]
    rows += [[learner, names.get(learner, ""), *(said[STATUSES.index(s)] for s in progress.statuses[learner]),
              last_evidence.get(learner, "")] for learner in progress.learners]
    return _csv(rows)


def weekly_evidence(progress: Progress, mapping: CourseMapping, standard: StandardIndex,
                    met_at: Mapping[str, Mapping[int, int]], *, zone: str) -> list[tuple[date, int]]:
    """(Monday, criteria first evidenced that week) from the first week with evidence to the last, weeks
    without any included: ``met_at`` is learner → mapping entry index → when it was first met (µs since the
    epoch, UTC); a criterion counts once per learner, in the week its first entry was met, in ``zone``."""
    shown = set(progress.criteria)
    reach = [frozenset(expand_targets(e.targets, standard)) & shown for e in mapping.entries]
    counts: dict[int, int] = {}
    for entries in met_at.values():
        seen: set[str] = set()
        for when, i in sorted((when, i) for i, when in entries.items() if i < len(reach)):
            new = reach[i] - seen
            if new:
                week = _monday(when, zone)
                counts[week] = counts.get(week, 0) + len(new)
                seen |= new
    if not counts:
        return []
    epoch = date(1970, 1, 1)
    return [(epoch + timedelta(days=day), counts.get(day, 0)) for day in range(min(counts), max(counts) + 1, 7)]


def _monday(micros: int, zone: str) -> int:
    """The day number (since 1970-01-01) of the Monday starting the local week of ``micros``."""
    day = (micros + _offset(zone, micros // 3_600_000_000)) // 86_400_000_000
    return day - (day + 3) % 7  # 1 January 1970 was a Thursday


@lru_cache(maxsize=4096)
def _offset(zone: str, hour: int) -> int:
    """The zone's UTC offset in µs at that hour (per hour: daylight saving changes on the hour)."""
    offset = datetime.fromtimestamp(hour * 3600, UTC).astimezone(ZoneInfo(zone)).utcoffset() or timedelta()
    return int(offset.total_seconds()) * 1_000_000


# Okabe & Ito (2008) colour-universal-design palette: grey / orange / bluish green / blue stay distinct
# under protanopia, deuteranopia and tritanopia, and each step is darker than the last, so grey print reads.
_FILL = {"none": "#dddddd", "some": "#e69f00", "evidenced": "#009e73", "signed_off": "#0072b2"}
# The words the CSV and the heat map use: a page passes its own language's (plugin.web.coverage_messages).
ENGLISH_WORDS: Mapping[str, str] = {
    "none": "no evidence yet", "some": "worked on, rule not met", "evidenced": "evidenced",
    "signed_off": "signed off by an assessor", "learner": "learner", "name": "name",
    "last_evidence": "evidence last grew", "title": "Learner progress by performance criterion",
    "x_axis": "Performance criteria, by unit (number within the unit)", "y_axis": "Learners",
}
_CELL, _ROW, _GAP, _LEFT, _TOP = 14, 16, 6, 230, 190  # a cell is drawn 1px narrower: columns stay apart
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
    words: Mapping[str, str] | None = None,
) -> str:
    """A heat map: learners down, criteria across in unit bands, each column numbered as the standard numbers
    the criterion within its element. Colours follow e-portfolio habit (grey, amber, green, blue) in the
    Okabe–Ito palette, with a text legend, labelled axes and a <title> on every cell, all in ``words``."""
    names, words = names or {}, words or ENGLISH_WORDS
    xs, header = _columns(progress, standard)
    width = max((xs[-1] if xs else _LEFT) + _CELL + 90, 10 + len(STATUSES) * 230)  # the legend fits too
    height = _TOP + _ROW * len(progress.learners) + 20
    title = words["title"]
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="{_FONTS}" font-size="12">',
        f"<title>{_x(title)}</title>",
        f'<text x="10" y="20" font-size="16" font-weight="bold">{_x(title)}</text>',
        *_legend(words),
        f'<text class="axis" x="{_LEFT}" y="{_TOP - 66}" font-weight="bold">{_x(words["x_axis"])} →</text>',
        f'<text class="axis" x="{_LEFT - 8}" y="{_TOP - 4}" text-anchor="end" font-weight="bold">'
        f'{_x(words["y_axis"])} ↓</text>',
        *header,
    ]
    for row, learner in enumerate(progress.learners):
        parts += _row(progress, learner, names.get(learner) or learner, xs, _TOP + row * _ROW, words)
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


_MARK = {"none": "", "some": "◐", "evidenced": "●", "signed_off": "✔"}  # the page's marks: not colour alone


def _legend(words: Mapping[str, str]) -> list[str]:
    out = []
    for i, status in enumerate(STATUSES):
        x = 10 + i * 230
        out.append(f'<rect x="{x}" y="34" width="{_CELL}" height="{_CELL}" fill="{_FILL[status]}"/>')
        out.append(f'<text x="{x + _CELL + 6}" y="46">{_MARK[status]} {_x(words[status])}</text>')
    return out


def _columns(progress: Progress, standard: StandardIndex) -> tuple[list[int], list[str]]:
    """x of each criterion column (a gap between units), the unit bands with their codes, and each column's
    number within its element."""
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
                f'<text class="criterion" x="{x + _CELL // 2}" y="{_TOP - 6}" text-anchor="middle" font-size="9">'
                f"{_x(code.rsplit('.', 1)[-1])}<title>{tip}</title></text>"
            )
            x += _CELL
        shade = "#e8e8e8" if band % 2 else "#f6f6f6"
        label = _x(f"{unit}: {standard.units[unit].title}")
        header.append(
            f'<rect class="unit" x="{start}" y="{_TOP - 30}" width="{x - start}" height="10" fill="{shade}" '
            f'stroke="#777777" stroke-width="0.5"><title>{label}</title></rect>'
        )
        header.append(f'<text transform="translate({start + 8},{_TOP - 34}) rotate(-45)">{_x(unit)}</text>')
        x += _GAP
    return xs, header


def _row(progress: Progress, learner: str, name: str, xs: list[int], y: int, words: Mapping[str, str]) -> list[str]:
    statuses = progress.statuses[learner]
    shown = name if len(name) <= 32 else name[:31] + "…"
    label = f'<text class="learner" x="{_LEFT - 8}" y="{y + 11}" text-anchor="end">{_x(shown)}'
    out = [f"{label}<title>{_x(name)}</title></text>"]
    for x, code, status in zip(xs, progress.criteria, statuses, strict=True):
        tip = _x(f"{name}: {code}: {words[status]}")
        out.append(
            f'<rect class="cell {status}" x="{x}" y="{y}" width="{_CELL - 1}" height="{_CELL}" '
            f'fill="{_FILL[status]}"><title>{tip}</title></rect>'
        )
    done = sum(s in ("evidenced", "signed_off") for s in statuses)
    out.append(f'<text x="{(xs[-1] if xs else _LEFT) + _CELL + 6}" y="{y + 11}">{done}/{len(statuses)}</text>')
    return out
