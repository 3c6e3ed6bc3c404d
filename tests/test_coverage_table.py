"""What the coverage page shows of many learners: search, unit and progress filters, order, pages and totals
over the whole list; and the weekly chart's weeks, in the organisation's time zone."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from werkzeug.datastructures import MultiDict

from plugin.coverage import Progress, progress_from_reach, weekly_evidence
from plugin.mapping.model import CourseMapping, MappingEntry, Rule
from plugin.web.coverage_table import PAGE_SIZE, BadQuery, Query, heat_rows, learner_table, parse_query
from tests.test_coverage import STANDARD

LAB = "http://127.0.0.1:8081"
# Two entries: the whole of element DG101 (2 criteria) and one criterion of DG102.
MAPPING = CourseMapping(course_id="2", wwwroot=LAB, entries=(
    MappingEntry(cmid=1, targets=("DG101",), evidence="knowledge", rule=Rule("any")),
    MappingEntry(cmid=2, targets=("DG102.01",), evidence="knowledge", rule=Rule("any")),
))


def crowd(count: int) -> tuple[Progress, dict[str, str]]:
    """``count`` learners: every third has met both entries, every third only touched the first."""
    reached: dict[str, tuple[set[int], set[int]]] = {}
    for n in range(count):
        reached[str(n)] = [({0, 1}, set()), (set(), {0}), (set(), set())][n % 3]
    names = {str(n): f"ผู้เรียน {n:04d}" for n in range(count)}
    return progress_from_reach(MAPPING, STANDARD, reached), names


def test_two_thousand_learners_are_paged_and_totalled_over_all_of_them() -> None:
    progress, names = crowd(2000)
    table = learner_table(progress, STANDARD, Query(page=2), names, {"7"})
    assert table.matched == 2000 and table.pages == -(-2000 // PAGE_SIZE) and len(table.rows) == PAGE_SIZE
    assert table.rows[0].name == f"ผู้เรียน {PAGE_SIZE:04d}" and table.first == PAGE_SIZE + 1
    # Per criterion: the 667 learners who met both entries, on every page, not just this one.
    assert dict(zip((c.code for c in table.columns), table.with_evidence, strict=True)) == {
        "DG101.01": 667, "DG101.02": 667, "DG102.01": 667, "DG102.02": 0}
    assert table.lrs_only == 1
    assert [g.code for g in table.units] == ["DG100"] and [(g.code, g.span) for g in table.elements] == [
        ("DG101", 2), ("DG102", 2)]


def test_search_filter_and_sort_narrow_the_list_before_paging() -> None:
    progress, names = crowd(300)
    found = learner_table(progress, STANDARD, Query(q="0042"), names, set())
    assert [row.name for row in found.rows] == ["ผู้เรียน 0042"] and found.rows[0].done == 3
    started = learner_table(progress, STANDARD, Query(status="in_progress"), names, set())
    # Under way: some evidence but not all of it (3 of 4), or work started without evidence.
    assert started.matched == 200 and {row.done for row in started.rows} == {0, 3}
    assert learner_table(progress, STANDARD, Query(status="not_started"), names, set()).matched == 100
    assert learner_table(progress, STANDARD, Query(status="complete"), names, set()).matched == 0
    most = learner_table(progress, STANDARD, Query(sort="most"), names, set())
    least = learner_table(progress, STANDARD, Query(sort="least"), names, set())
    assert most.rows[0].done == 3 and least.rows[0].done == 0
    # A page past the end shows the last one.
    assert learner_table(progress, STANDARD, Query(page=99), names, set()).page == 300 // PAGE_SIZE


def test_one_unit_shows_its_criteria_and_counts_progress_within_it() -> None:
    reached: dict[str, tuple[set[int], set[int]]] = {"a": ({0}, set())}
    mapping = CourseMapping(course_id="2", wwwroot=LAB, entries=(
        *MAPPING.entries, MappingEntry(cmid=3, targets=("DG601.01",), evidence="knowledge", rule=Rule("any"))))
    progress = progress_from_reach(mapping, STANDARD, reached)
    table = learner_table(progress, STANDARD, Query(unit="DG100"), {"a": "A"}, set())
    assert {STANDARD.criteria[c.code].unit for c in table.columns} == {"DG100"}
    assert (table.rows[0].done, table.rows[0].total) == (2, 4)
    [(unit, cells)] = heat_rows(table, STANDARD)
    assert unit.code == "DG100" and [(c.code, c.percent) for c in cells] == [
        ("DG101.01", 100), ("DG101.02", 100), ("DG102.01", 0), ("DG102.02", 0)]
    assert [c.shade for c in cells] == [4, 4, 0, 0]


@pytest.mark.parametrize("args, field", [
    ({"page": "0"}, "page"), ({"page": "x"}, "page"), ({"page": "٣"}, "page"), ({"unit": "DG999"}, "unit"),
    ({"status": "done"}, "status"), ({"sort": "random"}, "sort"), ({"q": "x" * 201}, "q"),
])
def test_a_filter_the_page_cannot_apply_names_its_field(args: dict[str, str], field: str) -> None:
    with pytest.raises(BadQuery) as refused:
        parse_query(MultiDict(args), ["DG100"])
    assert refused.value.field == field


def test_weeks_start_on_monday_in_the_organisations_zone_and_count_each_criterion_once() -> None:
    progress = progress_from_reach(MAPPING, STANDARD, {"a": ({0, 1}, set()), "b": ({0}, set())})

    def us(moment: datetime) -> int:
        return int(moment.timestamp() * 1_000_000)

    sunday_night_utc = us(datetime(2026, 3, 1, 20, 0, tzinfo=UTC))  # Monday 2 March, 03:00 in Bangkok
    met_at = {"a": {0: sunday_night_utc, 1: us(datetime(2026, 3, 17, 9, tzinfo=UTC))},
              "b": {0: us(datetime(2026, 3, 3, 9, tzinfo=UTC))}}
    weeks = weekly_evidence(progress, MAPPING, STANDARD, met_at, zone="Asia/Bangkok")
    assert weeks == [(date(2026, 3, 2), 4), (date(2026, 3, 9), 0), (date(2026, 3, 16), 1)]
    # In UTC the same Sunday evening belongs to the week before.
    assert weekly_evidence(progress, MAPPING, STANDARD, met_at, zone="UTC")[0] == (date(2026, 2, 23), 2)
    assert weekly_evidence(progress, MAPPING, STANDARD, {}, zone="Asia/Bangkok") == []


def test_each_cell_carries_a_mark_as_well_as_a_colour() -> None:
    progress, names = crowd(3)
    cells = str(learner_table(progress, STANDARD, Query(), names, set()).rows[0].cells)
    assert cells.count('<td class="e">●</td>') == 3 and cells.count('<td class="n"></td>') == 1
    touched = str(learner_table(progress, STANDARD, Query(), names, set()).rows[1].cells)
    assert touched.count('<td class="s">◐</td>') == 2
