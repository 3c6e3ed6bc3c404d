"""The outcomes Moodle's log store reports, per kind of activity (issue 16 item 3), on every real statement we
hold: the 190 of moodle-logstore_xapi 5.0.1's own fixtures (all under cmid 1 of http://www.example.org) and the
12 a Moodle 4.5 lab sent while a student did a quiz and an assignment and a teacher graded it.

Each table below says exactly which fixture statements an outcome counts; a change of semantics fails here."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from plugin.mapping.editor_form import MODULE_OUTCOMES, default_rule
from plugin.mapping.files import load_mapping
from plugin.mapping.model import OUTCOME_KINDS, CourseMapping, MappingEntry, Rule, StandardIndex
from plugin.mapping.rules import ActivityIndex
from plugin.portfolios import compile_portfolio

ROOT = Path(__file__).resolve().parent.parent
MERGED = ROOT / "tests" / "fixtures" / "moodle-logstore-xapi" / "merged"
LAB_FILE = ROOT / "tests" / "fixtures" / "moodle-4.5" / "xapi-quiz-assign.json"
EXAMPLE_ORG = "http://www.example.org"
LAB = "http://127.0.0.1:8081"
QUIZ, ASSIGN = 6, 5  # the lab's cmids
AS_OF = datetime(2027, 1, 1, tzinfo=UTC)

CORPUS: list[tuple[str, int, dict[str, Any]]] = [
    (f.stem, n, statement)
    for f in sorted(MERGED.glob("*.json"))
    for n, statement in enumerate(json.loads(f.read_text(encoding="utf-8")))
]
LAB_STATEMENTS: list[dict[str, Any]] = [
    item["statement"] for item in json.loads(LAB_FILE.read_text("utf-8"))["statements"]
]

QUIZ_ATTEMPTS = [f"mod_quiz__attempt_submitted__{kind}" for kind in (
    "essay", "essay_null_response", "gapselect", "match", "match_null_response", "multichoice",
    "multichoice_withchoices", "multichoiceset", "multichoiceset_withchoices", "no_questions", "numerical",
    "randomsamatch", "shortanswer", "truefalse", "unknown_qtype")]  # fmt: skip
FEEDBACK_RESPONSES = [f"mod_feedback__response_submitted__{kind}" for kind in (
    "multichoice", "multichoicerated", "no_items", "numerical", "textarea", "textarea_anon", "textfield",
    "unknown_typ")]  # fmt: skip
GRADED = [
    "mod_assign__assignment_graded__existing_assignment_graded_comment",
    "mod_assign__assignment_graded__existing_assignment_graded_nocomment",
]  # 1 of 0..2: 50 %
MODULE_VIEWS = [f"mod_{module}__course_module_viewed__existing_module" for module in (
    "assign", "book", "chat", "choice", "data", "facetoface", "folder", "forum", "glossary", "imscp", "lesson",
    "lti", "page", "questionnaire", "quiz", "resource", "scorm", "survey", "url", "wiki", "workshop")]  # fmt: skip

# Outcome → the fixture files whose statements it counts (each file's first statement: the only one that
# counts in every case). Everything else in the corpus — 190 statements — must not count.
COUNTED: dict[str, list[str]] = {
    "submitted": [
        "mod_assign__assignment_submitted__existing_assignment_submitted",  # as1:submit on #submission
        *FEEDBACK_RESPONSES,  # as1:submit on the feedback; its answered items are questions, not submissions
        "mod_questionnaire__attempt_submitted",
        "mod_survey__response_submitted",  # as:submit (no /schema/1.0/)
    ],
    "graded 50 %": GRADED,  # tla:scored; not the quiz slot's manual grade (review → attempt → quiz: too deep)
    "graded 51 %": [],
    "finished": [  # adl:completed on a part: the attempt (quiz at parent[0]), #lesson, #sco
        "mod_lesson__lesson_ended",
        *QUIZ_ATTEMPTS,
        "mod_scorm__scoreraw_submitted__existing_scoreraw_submitted",
        "mod_scorm__status_submitted__existing_status_submitted",
    ],
    "viewed": sorted(
        [  # tc:viewed at depth 0: the module's page and its #fragments, not chapters or questions
            "core_h5p__course_module_viewed",
            *MODULE_VIEWS,
            "mod_assign__feedback_viewed__user_viewed_feedback",
            "mod_assign__submission_viewed",
            "mod_bigbluebuttonbn__activity_management_viewed",
            "mod_bigbluebuttonbn__recording_viewed",
            "mod_feedback__course_module_viewed__viewing_feedback",
        ]
    ),
    "posted": ["mod_forum__discussion_created", "mod_forum__post_created"],  # not a teacher's chapter_created
    "activity-completion": ["core__course_module_completion_update__completing_existing_module"],
    # The kinds mapping files had before the outcomes, unchanged: wider, and blind to what is graded or submitted.
    "completed": [
        "core__course_module_completion_update__completing_existing_module",
        "mod_facetoface__take_attendance__existing_attendance_taken",  # result.completion true
        "mod_lesson__lesson_ended",
        *QUIZ_ATTEMPTS,
        "mod_scorm__scoreraw_submitted__existing_scoreraw_submitted",
        "mod_scorm__status_submitted__existing_status_submitted",
    ],
    "passed": [  # success: true — which Moodle sends for every grade, 50 % included
        "core__course_module_completion_update__completing_existing_module",
        *GRADED,
        "mod_lesson__lesson_ended",
        *QUIZ_ATTEMPTS,
    ],
    "score 50 %": [
        *GRADED,
        "mod_lesson__lesson_ended",
        *QUIZ_ATTEMPTS,
        "mod_scorm__scoreraw_submitted__existing_scoreraw_submitted",
    ],
}
RULES = {
    "submitted": Rule("submitted"),
    "graded 50 %": Rule("graded", 0.5),
    "graded 51 %": Rule("graded", 0.51),
    "finished": Rule("finished"),
    "viewed": Rule("viewed"),
    "posted": Rule("posted"),
    "activity-completion": Rule("activity-completion"),
    "completed": Rule("completed"),
    "passed": Rule("passed"),
    "score 50 %": Rule("score", 0.5),
}


def index_for(rule: Rule, cmid: int = 1, wwwroot: str = EXAMPLE_ORG) -> ActivityIndex:
    entry = MappingEntry(cmid=cmid, targets=("DS601.01",), evidence="knowledge", rule=rule)
    return ActivityIndex(CourseMapping(course_id="2", wwwroot=wwwroot, entries=(entry,)))


def test_the_corpus_is_the_one_the_tables_describe() -> None:
    assert len(CORPUS) == 190 and len(LAB_STATEMENTS) == 12
    assert {rule.kind for rule in RULES.values()} >= set(OUTCOME_KINDS)


@pytest.mark.parametrize("outcome", list(COUNTED))
def test_each_outcome_counts_exactly_these_corpus_statements(outcome: str) -> None:
    index = index_for(RULES[outcome])
    counted = [(name, n) for name, n, statement in CORPUS if index.relations(statement).get(0)]
    assert counted == [(name, 0) for name in sorted(COUNTED[outcome])]


# The lab: 0 login, 1 quiz viewed, 2 attempt started, 3 attempt completed (10/10), 4 question answered,
# 5 attempt reviewed, 6-8 and 10 assignment viewed, 9 submitted, 11 graded 85/100 by the teacher.
LAB_COUNTED: list[tuple[int, Rule, list[int]]] = [
    (ASSIGN, Rule("submitted"), [9]),
    (ASSIGN, Rule("graded", 0.85), [11]),  # raw/min/max, not the plugin's scaled 0.7; the boundary counts
    (ASSIGN, Rule("graded", 0.86), []),
    (ASSIGN, Rule("viewed"), [6, 7, 8, 10]),
    (ASSIGN, Rule("finished"), []),
    (ASSIGN, Rule("completed"), []),  # what the coordinator had picked: never sent for an assignment
    (QUIZ, Rule("finished"), [3]),
    (QUIZ, Rule("score", 1.0), [3]),
    (QUIZ, Rule("viewed"), [1]),  # the attempt pages are parts, not the quiz's page
    (QUIZ, Rule("submitted"), []),
    (QUIZ, Rule("activity-completion"), []),  # completion tracking was off: the attempt's completed is not it
    (QUIZ, Rule("graded", 0.0), []),
]


@pytest.mark.parametrize(("cmid", "rule", "expected"), LAB_COUNTED)
def test_each_outcome_on_the_lab_quiz_and_assignment(cmid: int, rule: Rule, expected: list[int]) -> None:
    index = index_for(rule, cmid, LAB)
    assert [n for n, statement in enumerate(LAB_STATEMENTS) if index.relations(statement).get(0)] == expected


def test_activity_completion_is_not_a_finished_attempt() -> None:
    """Moodle's completion of a quiz names the quiz itself; the attempt's completed names the attempt."""
    completion = next(s for name, _, s in CORPUS if name.startswith("core__course_module_completion_update__comp"))
    attempt = next(s for name, _, s in CORPUS if name == "mod_quiz__attempt_submitted__truefalse")
    assert index_for(Rule("activity-completion")).relations(attempt) == {0: False}
    assert index_for(Rule("finished")).relations(completion) == {0: False}
    uncompleted = next(s for name, _, s in CORPUS if name.startswith("core__course_module_completion_update__unc"))
    assert index_for(Rule("activity-completion")).relations(uncompleted) == {0: False}


def test_every_module_is_offered_outcomes_its_events_carry() -> None:
    """Each outcome offered for a module counts at least one real statement of that module."""
    for module, kinds in MODULE_OUTCOMES.items():
        if module in ("lti", "package"):  # Samattha's own links and packages: their results, not the log store's
            continue
        files = [
            name
            for name, _, _ in CORPUS
            if name.startswith(f"mod_{module}__") or (module == "h5pactivity" and name.startswith("core_h5p__"))
        ]
        for kind in kinds:
            rule = Rule(kind, 0.5 if kind in ("graded", "score") else None)
            index = index_for(rule)
            assert any(index.relations(s).get(0) for name, _, s in CORPUS if name in files), (module, kind)


def test_a_new_activity_gets_its_modules_natural_rule() -> None:
    assert [default_rule(m) for m in ("assign", "quiz", "page", "url", "resource", "book", "forum", "lesson",
                                      "h5pactivity", "scorm", "glossary", "package", None)] == [
        "submitted", "finished", "viewed", "viewed", "viewed", "viewed", "posted", "finished",
        "viewed", "finished", "activity-completion", "completed", "completed"]  # fmt: skip


# --- end to end: the portfolio of the lab's student -------------------------------------------------------

MAPPING_TEXT = """format = 1
[course]
id = "2"
wwwroot = "http://127.0.0.1:8081"
[[activity]]
cmid = 5
evidence = "performance"
rule = {{ kind = "{assign}" }}
targets = ["DG101.01"]
[[activity]]
cmid = 6
evidence = "knowledge"
rule = {{ kind = "{quiz}" }}
targets = ["DS601.01"]
"""


def lab_portfolio_states(assign: str, quiz: str) -> dict[str, str]:
    files = sorted((ROOT / "content" / "standards").glob("*.json"))
    standard = StandardIndex.from_documents([json.loads(f.read_text(encoding="utf-8")) for f in files])
    mapping = load_mapping(MAPPING_TEXT.format(assign=assign, quiz=quiz), standard=standard)
    statements = [dict(s, stored=s["timestamp"]) for s in LAB_STATEMENTS]
    learner = {"id": "3", "name": "Sam Student", "actor": {"account": {"homePage": LAB, "name": "3"}}}
    portfolio = compile_portfolio(statements, mapping, standard, learner=learner, as_of=AS_OF)
    return {
        c.code: c.status
        for u in portfolio.units
        for e in u.elements
        for c in e.criteria
        if c.code in ("DG101.01", "DS601.01")
    }


def test_the_submitted_graded_assignment_meets_its_default_rule_where_completed_never_did() -> None:
    defaults = lab_portfolio_states(default_rule("assign"), default_rule("quiz"))
    assert defaults == {"DG101.01": "evidenced", "DS601.01": "evidenced"}
    # The report in issue 16: under "completed" the same work stayed "some evidence".
    assert lab_portfolio_states("completed", "completed")["DG101.01"] == "some"
