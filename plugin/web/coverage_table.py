"""What the coverage page shows of a course's learners: the coordinator's search, unit and progress filters,
order and page, applied to the whole list before one page is drawn; the grouped column headers; the totals
per learner and per criterion; the share of learners per criterion (the heat map) and the weekly chart.

Pure over plugin.coverage's Progress: 2,000 learners × 167 criteria is 334,000 statuses, so the per-cell
work is tuple slicing and counting, and markup is built for one page only."""

from __future__ import annotations

from collections.abc import Mapping, Sequence, Set
from dataclasses import dataclass
from datetime import UTC, date, datetime

from markupsafe import Markup
from werkzeug.datastructures import MultiDict

from plugin.coverage import Progress
from plugin.mapping.model import StandardIndex

__all__ = [
    "PAGE_SIZE", "BadQuery", "Bar", "Column", "Group", "HeatCell", "LearnerRow", "Query", "Table", "heat_rows",
    "learner_table", "parse_query", "weekly_bars",
]

PAGE_SIZE = 50
STATUS_FILTERS = ("all", "not_started", "in_progress", "complete")
SORTS = ("name", "most", "least")
# A mark in every cell says the status without colour (the legend repeats them); classes are short: 50 × 167.
_MARKS = {"none": ("n", ""), "some": ("s", "◐"), "evidenced": ("e", "●"), "signed_off": ("o", "✔")}
_CELLS = {status: Markup('<td class="%s">%s</td>') % mark for status, mark in _MARKS.items()}


class BadQuery(ValueError):
    """A filter the page cannot apply: ``field`` names the query parameter, ``key`` the message to show."""

    def __init__(self, field: str, key: str, value: str = "") -> None:
        super().__init__(field)
        self.field, self.key, self.value = field, key, value


@dataclass(frozen=True)
class Query:
    q: str = ""
    unit: str = ""
    status: str = "all"
    sort: str = "name"
    page: int = 1


def parse_query(args: MultiDict[str, str], units: Sequence[str]) -> Query:
    q = args.get("q", "").strip()
    if len(q) > 200:
        raise BadQuery("q", "cov.bad.q")
    unit = args.get("unit", "")
    if unit and unit not in units:
        raise BadQuery("unit", "cov.bad.unit", unit[:40])
    status, sort = args.get("status") or "all", args.get("sort") or "name"
    if status not in STATUS_FILTERS:
        raise BadQuery("status", "cov.bad.status")
    if sort not in SORTS:
        raise BadQuery("sort", "cov.bad.sort")
    page = args.get("page") or "1"
    if not (page.isascii() and page.isdigit() and 1 <= len(page) <= 6 and int(page) >= 1):
        raise BadQuery("page", "cov.bad.page")
    return Query(q, unit, status, sort, int(page))


@dataclass(frozen=True)
class Column:
    code: str
    number: str  # the criterion's last code part, as the standard numbers it within its element
    text: str


@dataclass(frozen=True)
class Group:
    code: str
    title: str
    span: int


@dataclass(frozen=True)
class LearnerRow:
    key: str
    name: str
    lrs_only: bool
    done: int
    total: int
    cells: Markup


@dataclass(frozen=True)
class Table:
    units: tuple[Group, ...]
    elements: tuple[Group, ...]
    columns: tuple[Column, ...]
    rows: tuple[LearnerRow, ...]  # this page's
    matched: int  # learners the filters keep, on every page
    pages: int
    page: int
    with_evidence: tuple[int, ...]  # per column: matched learners with evidence
    lrs_only: int  # matched learners seen only in the learning records

    @property
    def first(self) -> int:
        """The number of this page's first learner, counting from 1."""
        return (self.page - 1) * PAGE_SIZE + 1


def learner_table(progress: Progress, standard: StandardIndex, query: Query, names: Mapping[str, str],
                  lrs_only: Set[str]) -> Table:
    picked = [i for i, code in enumerate(progress.criteria) if not query.unit or standard.criteria[code].unit
              == query.unit]
    first, last = (picked[0], picked[-1] + 1) if picked else (0, 0)  # a unit's criteria are contiguous
    columns = tuple(Column(code, code.rsplit(".", 1)[-1], standard.criteria[code].text)
                    for code in progress.criteria[first:last])
    needle = query.q.casefold()
    kept: list[tuple[str, str, tuple[str, ...], int]] = []
    for key in progress.learners:
        name = names.get(key, key)
        if needle and needle not in name.casefold():
            continue
        statuses = progress.statuses[key][first:last]
        done = statuses.count("evidenced") + statuses.count("signed_off")  # counted in C: 334,000 statuses
        if _keeps(query.status, statuses, done):
            kept.append((key, name, statuses, done))
    if query.sort == "name":
        kept.sort(key=lambda row: row[1].casefold())
    else:
        kept.sort(key=lambda row: (-row[3] if query.sort == "most" else row[3], row[1].casefold()))
    pages = max(1, -(-len(kept) // PAGE_SIZE))
    page = min(query.page, pages)
    shown = kept[(page - 1) * PAGE_SIZE:page * PAGE_SIZE]
    rows = tuple(LearnerRow(key, name, key in lrs_only, done, len(columns),
                            Markup("").join(_CELLS[s] for s in statuses)) for key, name, statuses, done in shown)
    with_evidence = tuple(column.count("evidenced") + column.count("signed_off")
                          for column in zip(*(row[2] for row in kept), strict=True)) if kept else (0,) * len(columns)
    return Table(*_groups(columns, standard), columns, rows, len(kept), pages, page, with_evidence,
                 sum(1 for row in kept if row[0] in lrs_only))


def _keeps(status: str, statuses: tuple[str, ...], done: int) -> bool:
    if status == "all":
        return True
    if status == "complete":
        return done == len(statuses)
    started = done > 0 or "some" in statuses
    return started and done < len(statuses) if status == "in_progress" else not started


def _groups(columns: Sequence[Column], standard: StandardIndex) -> tuple[tuple[Group, ...], tuple[Group, ...]]:
    """The unit and element header cells over the criteria: each spans its criteria shown."""
    units: list[Group] = []
    elements: list[Group] = []
    for column in columns:
        info = standard.criteria[column.code]
        for groups, code, title in ((units, info.unit, standard.units[info.unit].title),
                                    (elements, info.element, standard.elements[info.element].title)):
            if groups and groups[-1].code == code:
                groups[-1] = Group(code, title, groups[-1].span + 1)
            else:
                groups.append(Group(code, title, 1))
    return tuple(units), tuple(elements)


@dataclass(frozen=True)
class HeatCell:
    code: str
    number: str
    percent: int
    count: int
    shade: int  # 0–4: which of five steps of the same hue


def heat_rows(table: Table, standard: StandardIndex) -> list[tuple[Group, list[HeatCell]]]:
    """Per unit shown, each criterion's share of the matched learners with evidence."""
    by_unit: dict[str, list[HeatCell]] = {}
    for column, count in zip(table.columns, table.with_evidence, strict=True):
        percent = round(100 * count / table.matched) if table.matched else 0
        shade = 0 if count == 0 else min(4, 1 + percent // 25)
        by_unit.setdefault(standard.criteria[column.code].unit, []).append(
            HeatCell(column.code, column.number, percent, count, shade))
    return [(unit, by_unit[unit.code]) for unit in table.units]


@dataclass(frozen=True)
class Bar:
    week: datetime  # noon UTC of the Monday: the same day wherever the organisation is
    count: int
    percent: float  # of the longest bar


def weekly_bars(weeks: Sequence[tuple[date, int]]) -> list[Bar]:
    top = max((count for _, count in weeks), default=0) or 1
    return [Bar(datetime(week.year, week.month, week.day, 12, tzinfo=UTC), count, round(100 * count / top, 1))
            for week, count in weeks]
