"""The mapping file: every problem reported with its line, nothing loaded on error, dump/load round trip."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from plugin.coverage import coverage_matrix
from plugin.mapping.files import MappingFileError, Problem, dump_mapping, load_mapping
from plugin.mapping.model import CourseMapping, MappingEntry, Rule, StandardIndex

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "mappings" / "example-dg-opsr-023.toml"


def load_standard() -> StandardIndex:
    files = sorted((ROOT / "content" / "standards").glob("*.json"))
    return StandardIndex.from_documents([json.loads(f.read_text(encoding="utf-8")) for f in files])


STANDARD = load_standard()


def problems_of(text: str) -> list[Problem]:
    with pytest.raises(MappingFileError) as caught:
        load_mapping(text, standard=STANDARD, file_name="bad.toml")
    return caught.value.problems


# --- the shipped example ----------------------------------------------------------------------------


def test_the_shipped_example_loads_and_covers_dg_opsr_023_completely() -> None:
    mapping = load_mapping(EXAMPLE.read_text(encoding="utf-8"), standard=STANDARD, file_name=EXAMPLE.name)
    assert (mapping.course_id, mapping.wwwroot, mapping.version) == ("2", "http://127.0.0.1:8081", 1)
    by_cmid = {e.cmid: e for e in mapping.entries if e.cmid is not None}
    # The two activities of the real backup that carry ID numbers (quiz_6 = DS601.01, assign_5 = DG101.01).
    assert "DS601.01" in by_cmid[6].targets and by_cmid[6].rule == Rule("score", threshold=0.8)
    assert by_cmid[5].targets[0] == "DG101" and by_cmid[5].title.startswith("งานมอบหมาย")
    matrix = coverage_matrix(mapping, STANDARD)
    assert matrix.units == ("DG100", "DG-OPSR-023")
    assert matrix.gap_counts == {"DG100": 1, "DG-OPSR-023": 0}
    assert matrix.gaps["DG100"] == ("DG102.02",)
    unit = STANDARD.units["DG-OPSR-023"]
    assert all(matrix.cells[code] for code in unit.knowledge_evidence + unit.performance_evidence)
    assert load_mapping(dump_mapping(mapping), standard=STANDARD) == mapping


# --- every problem, with its line -------------------------------------------------------------------

BAD = """\
format = 2
colour = "blue"

[course]
id = 2
wwwroot = "moodle.example.ac.th"

[[activity]]
cmid = 6
iri = "https://moodle.example.ac.th/mod/quiz/view.php?id=6"
evidence = "knowledge"
rule = { kind = "score", threshold = 1.5 }
targets = ["DS601.01"]

[[activity]]
title = "no activity named"
evidence = "knowlege"
rule = { kind = "score" }
targets = [
    "DS601.01",
    "DS601.1",
    "DG100.KE1",
]
treshold = 0.8

[[activity]]
iri = "not an iri"
evidence = "performance"
targets = ["DG100.KE1", "DS601.02", "DS601.02"]

[[activity]]
cmid = 7
evidence = "performance"
targets = ["DS602"]

[activity.rule]
kind = "verbs"

[[activity]]
cmid = 7
evidence = "performance"
rule = { kind = "passed", verbs = ["http://adlnet.gov/expapi/verbs/passed"] }
targets = []
"""


def test_every_problem_is_reported_with_its_line() -> None:
    found = {(p.line, p.field): p.message for p in problems_of(BAD) if "listed twice" not in p.message}
    expected = {
        (1, "format"): "unsupported format 2",
        (2, "colour"): "unknown key 'colour'",
        (5, "course.id"): "must be a string, not an integer",
        (6, "course.wwwroot"): "not a Moodle site address",
        (8, "activity[1]"): "has both iri and cmid",
        (12, "activity[1].rule.threshold"): "must be a fraction from 0 to 1",
        (15, "activity[2]"): "needs iri",
        (17, "activity[2].evidence"): "must be one of knowledge, performance, not 'knowlege'",
        (18, "activity[2].rule.threshold"): "missing (required)",
        (21, "activity[2].targets"): "unknown code 'DS601.1' (did you mean 'DS601.01'?)",
        (24, "activity[2].treshold"): "unknown key 'treshold'",
        (27, "activity[3].iri"): "not an absolute IRI: 'not an iri'",
        (26, "activity[3].rule"): "missing: e.g. rule",  # a missing key points at its table
        (29, "activity[3].targets"): "'DG100.KE1' is a knowledge-evidence item, but this activity gives performance",
        (36, "activity[4].rule.verbs"): "missing (required)",
        (39, "activity[5]"): "duplicate: activity[4] (line 31) maps the same activity for performance",
        (42, "activity[5].rule.verbs"): "unknown key 'verbs'",
        (43, "activity[5].targets"): "list at least one code",
    }
    for key, message in expected.items():
        assert key in found, f"missing {key}: {message}"
        assert message in found[key], (key, found[key])
    twice = [p for p in problems_of(BAD) if "listed twice" in p.message]
    assert [(p.line, p.field, p.message) for p in twice] == [(29, "activity[3].targets", "'DS601.02' is listed twice")]
    assert len(problems_of(BAD)) == len(expected) + 1  # nothing reported twice, nothing extra


def test_the_error_names_file_line_and_field() -> None:
    with pytest.raises(MappingFileError) as caught:
        load_mapping(BAD, standard=STANDARD, file_name="bad.toml")
    lines = str(caught.value).splitlines()
    assert lines[0] == "bad.toml: line 1: format: unsupported format 2: this version of Samattha reads format 1"
    assert len(lines) == len(caught.value.problems) and caught.value.file_name == "bad.toml"


def test_problems_are_sorted_by_line() -> None:
    lines = [p.line or 0 for p in problems_of(BAD)]
    assert lines == sorted(lines)


def test_a_toml_syntax_error_is_one_problem_with_its_line() -> None:
    text = 'format = 1\n[course]\nid = "2"\nwwwroot = "https://m.example"\ntitle = "unterminated\n'
    [problem] = problems_of(text)
    assert problem.line == 5 and "not valid TOML" in problem.message


def test_missing_sections_and_format() -> None:
    found = {(p.line, p.field): p.message for p in problems_of("[[activity]]\ncmid = 1\n")}
    assert found[(None, "format")].startswith("missing")
    assert found[(None, "course")] == "missing [course] table"
    assert found[(1, "activity[1].evidence")] == "missing (required)"


def test_a_file_with_one_problem_loads_nothing() -> None:
    text = EXAMPLE.read_text(encoding="utf-8").replace('"DS601.03"', '"DS601.09"')
    [problem] = problems_of(text)
    assert problem.field == "activity[1].targets" and "DS601.09" in problem.message
    assert text.splitlines()[(problem.line or 0) - 1].startswith("targets = [")


def test_rule_tables_and_cmid_iri_duplicates() -> None:
    text = """format = 1
[course]
id = "2"
wwwroot = "https://m.example/moodle/"
[[activity]]
cmid = 6
evidence = "knowledge"
targets = ["DS601"]
[activity.rule]
kind = "completed"
[[activity]]
iri = "https://m.example/moodle/mod/quiz/view.php?id=6"
evidence = "knowledge"
rule = { kind = "any" }
targets = ["DS602"]
[[activity]]
iri = "https://m.example/moodle/mod/quiz/view.php?id=6"
evidence = "performance"
rule = { kind = "any" }
targets = ["DS603"]
"""
    [problem] = problems_of(text)
    assert (problem.line, problem.field) == (11, "activity[2]") and "activity[1] (line 5)" in problem.message
    # The second entry becomes cmid 7 spelled as an IRI; the third (performance) may share cmid 6.
    fixed = text.replace('id=6"\nevidence = "knowledge"', 'id=7"\nevidence = "knowledge"')
    mapping = load_mapping(fixed, standard=STANDARD)
    assert mapping.wwwroot == "https://m.example/moodle"  # the trailing slash is dropped
    assert mapping.entries[0].rule == Rule("completed")
    assert [e.evidence for e in mapping.entries] == ["knowledge", "knowledge", "performance"]


# --- dump / load -------------------------------------------------------------------------------------


def test_round_trip_of_every_rule_kind_and_awkward_text() -> None:
    mapping = CourseMapping(
        course_id='c "1" \\ ๒',
        wwwroot="https://moodle.example.ac.th",
        title="หลักสูตร\n\tline two \x7f",
        version=7,
        entries=(
            MappingEntry(cmid=3, targets=("DG100",), evidence="knowledge", rule=Rule("completed")),
            MappingEntry(activity="urn:x:1", targets=("DG101.01",), evidence="knowledge", rule=Rule("passed")),
            MappingEntry(cmid=4, targets=("DS601",), evidence="performance", rule=Rule("score", threshold=1.0)),
            MappingEntry(cmid=5, targets=("DS602",), evidence="knowledge", rule=Rule("score", threshold=0.0)),
            MappingEntry(
                cmid=6, targets=("DS603.01",), evidence="performance", rule=Rule("verbs", verbs=("http://a/b", "urn:c"))
            ),
            MappingEntry(
                cmid=8, targets=tuple(STANDARD.criteria)[:40], evidence="knowledge", rule=Rule("any"), title="ยาว"
            ),
        ),
    )
    text = dump_mapping(mapping)
    assert text.startswith("# Samattha mapping file, format 1")
    assert load_mapping(text, standard=STANDARD) == mapping
    assert dump_mapping(load_mapping(text, standard=STANDARD)) == text


@settings(max_examples=60, deadline=None)
@given(
    title=st.text(st.characters(blacklist_categories=("Cs",))),
    course_id=st.text(st.characters(blacklist_categories=("Cs",)), min_size=1),
    threshold=st.floats(min_value=0.0, max_value=1.0),
    cmid=st.integers(min_value=1, max_value=2**40),
)
def test_round_trip_property(title: str, course_id: str, threshold: float, cmid: int) -> None:
    entry = MappingEntry(
        cmid=cmid, targets=("DG100.PE1",), evidence="performance", rule=Rule("score", threshold=threshold), title=title
    )
    mapping = CourseMapping(course_id=course_id, wwwroot="http://127.0.0.1:8081", entries=(entry,), title=title)
    assert load_mapping(dump_mapping(mapping), standard=STANDARD) == mapping


# --- the outcomes Moodle reports (issue 16) ------------------------------------------------------------

OUTCOMES_EXAMPLE = ROOT / "mappings" / "example-moodle-outcomes.toml"


def test_the_outcomes_example_loads_with_each_new_kind() -> None:
    mapping = load_mapping(OUTCOMES_EXAMPLE.read_text(encoding="utf-8"), standard=STANDARD)
    assert [(e.cmid, e.evidence, e.rule) for e in mapping.entries] == [
        (6, "knowledge", Rule("finished")),
        (5, "performance", Rule("submitted")),
        (5, "knowledge", Rule("graded", threshold=0.6)),
        (3, "knowledge", Rule("viewed")),
        (7, "performance", Rule("posted")),
        (8, "knowledge", Rule("score", threshold=0.7)),
        (9, "knowledge", Rule("activity-completion")),
    ]
    assert load_mapping(dump_mapping(mapping), standard=STANDARD) == mapping


def test_round_trip_of_the_outcome_kinds() -> None:
    rules = [Rule("submitted"), Rule("graded", threshold=0.5), Rule("graded", threshold=0.0), Rule("finished"),
             Rule("viewed"), Rule("posted"), Rule("activity-completion")]
    mapping = CourseMapping(course_id="2", wwwroot="https://moodle.example.ac.th", entries=tuple(
        MappingEntry(cmid=n, targets=("DG100",), evidence="knowledge", rule=rule) for n, rule in enumerate(rules, 1)))
    text = dump_mapping(mapping)
    assert 'rule = { kind = "graded", threshold = 0.5 }' in text
    assert 'rule = { kind = "activity-completion" }' in text
    assert load_mapping(text, standard=STANDARD) == mapping
    assert dump_mapping(load_mapping(text, standard=STANDARD)) == text


OUTCOME_RULES = """format = 1
[course]
id = "2"
wwwroot = "https://m.example"
[[activity]]
cmid = 5
evidence = "knowledge"
rule = {{ {rule} }}
targets = ["DG100"]
"""


@pytest.mark.parametrize(("rule", "field", "message"), [
    ('kind = "graded"', "activity[1].rule.threshold", "missing (required)"),
    ('kind = "graded", threshold = 60', "activity[1].rule.threshold", "must be a fraction from 0 to 1"),
    ('kind = "submitted", threshold = 0.5', "activity[1].rule.threshold", "unknown key 'threshold'; expected: kind"),
    ('kind = "viewed", verbs = ["urn:v"]', "activity[1].rule.verbs", "unknown key 'verbs'"),
    ('kind = "submit"', "activity[1].rule.kind", "unknown kind 'submit'; expected: submitted, graded, finished, "
                                                  "viewed, posted, activity-completion, completed, passed, score"),
])
def test_outcome_rules_are_checked_like_the_others(rule: str, field: str, message: str) -> None:
    [problem] = problems_of(OUTCOME_RULES.format(rule=rule))
    assert (problem.line, problem.field) == (8, field) and message in problem.message


def test_files_written_with_the_old_kinds_still_load_the_same() -> None:
    """Written before the outcomes existed: the shipped example reads back rule for rule."""
    mapping = load_mapping(EXAMPLE.read_text(encoding="utf-8"), standard=STANDARD)
    assert [e.rule.kind for e in mapping.entries] == [
        "score", "score", "verbs", "passed", "score", "verbs", "completed", "passed", "completed"]
    assert dump_mapping(mapping).count('kind = "') == 9
