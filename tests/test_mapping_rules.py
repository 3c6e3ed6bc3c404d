"""Rules, activity matching and target expansion, on real Moodle statements and the real standard."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from plugin.mapping.model import (
    CourseMapping,
    MappingEntry,
    Rule,
    StandardIndex,
    activity_matches,
    expand_targets,
    linked_items,
    mapped_units,
    unnamed_items,
)
from plugin.mapping.rules import ActivityIndex, score_fraction, statement_activities, statement_counts

ROOT = Path(__file__).resolve().parent.parent
LAB = "http://127.0.0.1:8081"  # the wwwroot of the Moodle 4.5 lab the fixture was recorded on
MERGED = ROOT / "tests" / "fixtures" / "moodle-logstore-xapi" / "merged"
EXAMPLE_ORG = "http://www.example.org"  # the wwwroot of the plugin's own test fixtures


def load_standard() -> StandardIndex:
    files = sorted((ROOT / "content" / "standards").glob("*.json"))
    return StandardIndex.from_documents([json.loads(f.read_text(encoding="utf-8")) for f in files])


def lab_statements() -> list[dict[str, Any]]:
    data = json.loads((ROOT / "tests" / "fixtures" / "moodle-4.5" / "xapi-quiz-assign.json").read_text("utf-8"))
    return [item["statement"] for item in data["statements"]]


def merged(name: str) -> dict[str, Any]:
    statements: list[dict[str, Any]] = json.loads((MERGED / f"{name}.json").read_text(encoding="utf-8"))
    return statements[0]


@pytest.fixture(scope="module")
def standard() -> StandardIndex:
    return load_standard()


@pytest.fixture(scope="module")
def lab() -> dict[str, dict[str, Any]]:
    """The lab statements by what they are (indexes from the fixture's http_steps)."""
    s = lab_statements()
    return {"quiz_viewed": s[1], "quiz_completed": s[3], "quiz_answered": s[4], "assign_viewed": s[6],
            "assign_submitted": s[9], "assign_scored": s[11]}  # fmt: skip


# --- score fraction ---------------------------------------------------------------------------------


def test_quiz_attempt_fraction_comes_from_raw_min_max(lab: dict[str, dict[str, Any]]) -> None:
    assert lab["quiz_completed"]["result"]["score"] == {"raw": 10, "min": 0, "max": 10, "scaled": 1}
    assert score_fraction(lab["quiz_completed"]["result"]) == 1.0


def test_assignment_graded_85_of_100_is_085_not_the_plugins_scaled_07(lab: dict[str, dict[str, Any]]) -> None:
    assert lab["assign_scored"]["result"]["score"]["scaled"] == 0.7
    assert score_fraction(lab["assign_scored"]["result"]) == pytest.approx(0.85)


def test_lesson_and_assignment_from_the_plugin_fixtures() -> None:
    assert score_fraction(merged("mod_lesson__lesson_ended")["result"]) == 0.75  # raw 75 of 0..100, scaled 0.5
    graded = merged("mod_assign__assignment_graded__existing_assignment_graded_comment")
    assert score_fraction(graded["result"]) == 0.5  # raw 1 of 0..2, scaled 0.0


@pytest.mark.parametrize(
    ("score", "fraction"),
    [
        ({"scaled": 0.6}, 0.6),  # a content package reporting xAPI scaled directly
        ({"scaled": -0.4}, 0.0),  # xAPI scaled is -1..1: below zero is no score at all
        ({"raw": 3, "min": 0, "max": 0, "scaled": 0.25}, 0.25),  # max == min: fall back on scaled
        ({"raw": 7}, None),  # raw without a range means nothing
        ({"raw": 12, "min": 0, "max": 10}, 1.0),  # clipped
        ({"raw": True, "min": 0, "max": 1}, None),  # JSON true is no number
    ],
)
def test_score_fraction_edge_cases(score: dict[str, Any], fraction: float | None) -> None:
    assert score_fraction({"score": score}) == fraction


def test_no_result_has_no_fraction() -> None:
    assert score_fraction(None) is None
    assert score_fraction({"completion": True}) is None


# --- statement_counts, one rule kind at a time ------------------------------------------------------


def test_completed(lab: dict[str, dict[str, Any]]) -> None:
    rule = Rule("completed")
    assert statement_counts(lab["quiz_completed"], rule)
    assert statement_counts(merged("core__course_module_completion_update__completing_existing_module"), rule)
    assert not statement_counts(merged("core__course_module_completion_update__uncompleting_existing_module"), rule)
    assert not statement_counts(lab["quiz_viewed"], rule)
    no_result = merged("mod_scorm__status_submitted__existing_status_submitted")
    assert "result" not in no_result and statement_counts(no_result, rule)  # the verb alone says it
    contradicted = copy.deepcopy(lab["quiz_completed"])
    contradicted["result"]["completion"] = False
    assert not statement_counts(contradicted, rule)


def test_passed(lab: dict[str, dict[str, Any]]) -> None:
    rule = Rule("passed")
    assert statement_counts(lab["quiz_completed"], rule)
    assert statement_counts(lab["assign_scored"], rule)
    passed_verb = {"verb": {"id": "http://adlnet.gov/expapi/verbs/passed"}, "object": {"id": "urn:x"}}
    assert statement_counts(passed_verb, rule)
    assert not statement_counts({**passed_verb, "result": {"success": False}}, rule)
    assert not statement_counts(lab["assign_submitted"], rule)


def test_a_correct_answer_to_one_question_is_not_a_pass(lab: dict[str, dict[str, Any]]) -> None:
    answered = lab["quiz_answered"]
    assert answered["result"]["success"] is True and answered["result"]["completion"] is True
    assert not statement_counts(answered, Rule("passed"))
    assert not statement_counts(answered, Rule("completed"))
    assert not statement_counts(merged("mod_lesson__question_answered__truefalse"), Rule("passed"))


def test_score(lab: dict[str, dict[str, Any]]) -> None:
    assert statement_counts(lab["assign_scored"], Rule("score", threshold=0.85))  # boundary counts
    assert not statement_counts(lab["assign_scored"], Rule("score", threshold=0.86))
    assert statement_counts(lab["quiz_completed"], Rule("score", threshold=1.0))
    assert not statement_counts(lab["assign_submitted"], Rule("score", threshold=0.0))  # no score at all


def test_verbs_and_any(lab: dict[str, dict[str, Any]]) -> None:
    viewed = Rule("verbs", verbs=("http://id.tincanapi.com/verb/viewed",))
    assert statement_counts(lab["quiz_viewed"], viewed)
    assert not statement_counts(lab["quiz_completed"], viewed)
    assert statement_counts(lab["quiz_answered"], Rule("verbs", verbs=("http://adlnet.gov/expapi/verbs/answered",)))
    assert all(statement_counts(s, Rule("any")) for s in lab.values())


# --- activities -------------------------------------------------------------------------------------


def entry(cmid: int | None = None, iri: str | None = None, rule: Rule | None = None, **kw: Any) -> MappingEntry:
    return MappingEntry(
        cmid=cmid,
        activity=iri,
        targets=kw.get("targets", ("DS601.01",)),
        evidence=kw.get("evidence", "knowledge"),
        rule=rule or Rule("any"),
    )


def test_cmid_matches_any_module_and_fragment_on_the_same_site() -> None:
    five = entry(cmid=5)
    assert activity_matches(five, f"{LAB}/mod/assign/view.php?id=5", LAB)
    assert activity_matches(five, f"{LAB}/mod/assign/view.php?id=5#submission", LAB)
    assert activity_matches(five, f"{LAB}/mod/quiz/view.php?id=5", LAB)
    assert activity_matches(five, f"{LAB}/mod/assign/view.php?id=5", LAB + "/")  # wwwroot with a slash
    assert not activity_matches(five, f"{LAB}/mod/assign/view.php?id=50", LAB)
    assert not activity_matches(five, f"{LAB}/mod/quiz/attempt.php?attempt=1&cmid=5", LAB)  # a part: via parent
    assert not activity_matches(five, f"{LAB}/course/view.php?id=5", LAB)
    assert not activity_matches(five, "https://other.example/mod/assign/view.php?id=5", LAB)


def test_iris_compare_exactly() -> None:
    package = entry(iri="https://samattha.dev/content/dg-opsr-023/ds602")
    assert activity_matches(package, "https://samattha.dev/content/dg-opsr-023/ds602", LAB)
    assert not activity_matches(package, "https://samattha.dev/content/dg-opsr-023/ds602/", LAB)
    assert not activity_matches(package, "https://samattha.dev/content/dg-opsr-023/DS602", LAB)


def test_statement_activities_object_then_parents(lab: dict[str, dict[str, Any]]) -> None:
    assert statement_activities(lab["quiz_completed"]) == [
        (f"{LAB}/mod/quiz/attempt.php?attempt=1&cmid=6", 0),
        (f"{LAB}/mod/quiz/view.php?id=6", 1),
        (f"{LAB}/course/section.php?id=3", 2),
        (f"{LAB}/course/view.php?id=2", 3),
    ]
    single = {"object": {"id": "urn:a"}, "context": {"contextActivities": {"parent": {"id": "urn:p"}}}}
    assert statement_activities(single) == [("urn:a", 0), ("urn:p", 1)]
    odd = {"object": {"objectType": "Agent", "mbox": "mailto:a@b"}, "context": {"contextActivities": "x"}}
    assert statement_activities(odd) == []


def lab_mapping(*entries: MappingEntry) -> CourseMapping:
    return CourseMapping(course_id="2", wwwroot=LAB, entries=entries)


def test_results_count_on_the_activity_or_its_attempt_not_deeper(lab: dict[str, dict[str, Any]]) -> None:
    index = ActivityIndex(lab_mapping(entry(cmid=6, rule=Rule("score", threshold=0.8))))
    assert index.relations(lab["quiz_viewed"]) == {0: False}
    assert index.relations(lab["quiz_completed"]) == {0: True}  # object = attempt, parent[0] = quiz
    assert index.relations(lab["quiz_answered"]) == {0: False}  # question → attempt → quiz: related only
    assert index.relations(lab["assign_scored"]) == {}
    graded = merged("mod_quiz__question_manually_graded")  # a slot's score: review → attempt → quiz
    slot = ActivityIndex(
        CourseMapping(course_id="2", wwwroot=EXAMPLE_ORG, entries=(entry(cmid=1, rule=Rule("score", threshold=0.0)),))
    )
    assert slot.relations(graded) == {0: False}


def test_verbs_count_anywhere_inside_the_activity() -> None:
    reply = merged("mod_forum__post_created")  # reply → discussion → forum
    rule = Rule("verbs", verbs=("http://id.tincanapi.com/verb/replied",))
    index = ActivityIndex(CourseMapping(course_id="2", wwwroot=EXAMPLE_ORG, entries=(entry(cmid=1, rule=rule),)))
    assert index.relations(reply) == {0: True}


def test_voiding_statements_relate_to_nothing(lab: dict[str, dict[str, Any]]) -> None:
    voiding = copy.deepcopy(lab["quiz_completed"])
    voiding["verb"] = {"id": "http://adlnet.gov/expapi/verbs/voided"}
    assert ActivityIndex(lab_mapping(entry(cmid=6))).relations(voiding) == {}


def test_one_statement_can_serve_several_entries(lab: dict[str, dict[str, Any]]) -> None:
    index = ActivityIndex(
        lab_mapping(entry(cmid=5, rule=Rule("score", threshold=0.9)), entry(iri=f"{LAB}/mod/assign/view.php?id=5"))
    )
    assert index.relations(lab["assign_scored"]) == {0: False, 1: True}


# --- the standard and target expansion --------------------------------------------------------------


def test_standard_index_holds_the_real_standard(standard: StandardIndex) -> None:
    assert len(standard.units) == 17 and len(standard.criteria) == 167
    assert standard.units["DG-OPSR-023"].criteria == tuple(
        f"{e}.{n:02d}" for e, k in (("DS601", 3), ("DS602", 2), ("DS603", 3)) for n in range(1, k + 1)
    )
    assert standard.units["DG-OPSR-023"].knowledge_evidence == tuple(f"DG-OPSR-023.KE{n}" for n in (1, 2, 3))
    assert standard.units["DG100"].performance_evidence == ("DG100.PE1",)
    assert standard.elements["DG101"].assessment_methods == ("ข้อสอบข้อเขียน", "การสัมภาษณ์")
    assert [standard.kind_of(c) for c in ("DG100", "DG101", "DG101.01", "DG100.KE1", "DG100.PE1", "X")] == [
        "unit", "element", "criterion", "knowledge_evidence", "performance_evidence", None
    ]  # fmt: skip
    assert standard.unit_of("DS602.01") == "DG-OPSR-023" and standard.unit_of("DG100.KE2") == "DG100"
    orders = [standard.criteria[c].order for c in standard.criteria]
    assert orders == sorted(orders) == list(range(167))


def test_expand_targets(standard: StandardIndex) -> None:
    assert expand_targets(["DG-OPSR-023"], standard) == frozenset(standard.units["DG-OPSR-023"].criteria)
    assert expand_targets(["DS601"], standard) == {"DS601.01", "DS601.02", "DS601.03"}
    assert expand_targets(["DS602.02", "DG100.KE1"], standard) == {"DS602.02", "DG100.KE1"}
    assert expand_targets(["DG101", "DG101.01"], standard) == {"DG101.01", "DG101.02"}
    with pytest.raises(KeyError, match="DS699"):
        expand_targets(["DS699"], standard)


def test_an_entry_is_filed_only_under_the_items_it_names(standard: StandardIndex) -> None:
    implicit = entry(cmid=1, targets=("DS601", "DG101.01"))
    assert linked_items(implicit, standard) == frozenset()
    # What the earlier rule linked by default, for the loader's note and the history page.
    assert unnamed_items(implicit, standard) == {
        "DG-OPSR-023.KE1", "DG-OPSR-023.KE2", "DG-OPSR-023.KE3", "DG100.KE1", "DG100.KE2"
    }  # fmt: skip
    named = entry(cmid=1, targets=("DS601", "DG-OPSR-023.KE1", "DG101.01"))
    assert linked_items(named, standard) == {"DG-OPSR-023.KE1"}
    assert unnamed_items(named, standard) == {"DG100.KE1", "DG100.KE2"}
    performance = entry(cmid=1, targets=("DG100", "DG100.PE1"), evidence="performance")
    assert linked_items(performance, standard) == {"DG100.PE1"} and unnamed_items(performance, standard) == set()


def test_mapped_units_in_standard_order(standard: StandardIndex) -> None:
    mapping = lab_mapping(entry(cmid=1, targets=("DS601.01",)), entry(cmid=2, targets=("DG100.KE1",)))
    assert mapped_units(mapping, standard) == ("DG100", "DG-OPSR-023")
