"""When a statement counts as evidence for a mapping entry.

Two questions, kept apart so each is testable on its own:

* Does the statement *relate* to the entry's activity? It does when the activity is the statement's object
  (depth 0) or one of its ``context.contextActivities.parent`` activities (depth 1 = ``parent[0]``, …).
  moodle-logstore_xapi puts results on a part of the module — the quiz *attempt*
  (``/mod/quiz/attempt.php?attempt=1&cmid=6``), the assignment *submission* (``view.php?id=5#submission``)
  — and names the module itself as ``parent[0]``; per-question statements sit deeper (attempt → quiz).
* Does its content satisfy the rule? (:func:`statement_counts`, a pure function of statement and rule.)

An entry's rule is *met* by a statement when (see :meth:`ActivityIndex.relations`) the statement relates to the
activity closely enough for the rule and :func:`statement_counts` holds:

* the outcomes Moodle's log store reports, in a coordinator's words —
  ``submitted`` (the submit verb; depth 0 or 1: the assignment's submission, a feedback or survey response),
  ``graded`` (the teacher's ``scored`` statement, depth 0 or 1, its score ≥ the threshold — the plugin sends
  ``success: true`` whatever the grade, so success says nothing), ``finished`` (``completed`` on a *part* of the
  activity: the quiz attempt at depth 1, the lesson session ``#lesson`` or SCORM ``#sco`` at depth 0),
  ``activity-completion`` (``completed`` on the activity *itself*: Moodle's course_module_completion_updated),
  ``viewed`` (the viewed verb at depth 0: the module's page, not a chapter or question inside it) and
  ``posted`` (a forum discussion created or a reply posted, at any depth under the forum);
* ``verbs`` / ``any``: any depth (what the learner did anywhere inside the activity);
* ``completed`` / ``passed`` / ``score``: depth 0 or 1 — a result on the activity or on its attempt/submission.
  Deeper results (a manually graded quiz slot) describe a part, not the activity.

A statement that relates to the activity without meeting the rule is still a sign of work ("some").
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Set
from typing import Any, TypeGuard

from plugin.mapping.model import CourseMapping, Rule, cmid_of, normalize_wwwroot

__all__ = [
    "ADL_COMPLETED",
    "COMPLETED_VERBS",
    "INTERACTION_TYPE",
    "PASSED_VERBS",
    "POSTED_VERBS",
    "SCORED_VERB",
    "SUBMIT_VERBS",
    "VIEWED_VERB",
    "VOIDED_VERB",
    "ActivityIndex",
    "is_voiding",
    "score_fraction",
    "statement_activities",
    "statement_counts",
]

# adl:completed is what Moodle sends for module completion (course_module_completion_updated), quiz
# attempt_submitted, lesson_ended and SCORM scoreraw/status; cmi5 uses the same IRI. Activity Streams'
# "complete" is its older twin.
ADL_COMPLETED = "http://adlnet.gov/expapi/verbs/completed"
COMPLETED_VERBS = frozenset({ADL_COMPLETED, "http://activitystrea.ms/schema/1.0/complete"})
PASSED_VERBS = frozenset({"http://adlnet.gov/expapi/verbs/passed"})
VOIDED_VERB = "http://adlnet.gov/expapi/verbs/voided"
# One question. Moodle marks each answered quiz/lesson question completion/success true: that is the
# learner's answer to one item, never a judgement on the whole activity.
INTERACTION_TYPE = "http://adlnet.gov/expapi/activities/cmi.interaction"
# The verbs behind the outcomes (EVENTS.md of the shared fixtures: logstore_xapi 5.0.1). The assignment and
# feedback send Activity Streams 1.0's submit, questionnaire and survey the unversioned one.
SUBMIT_VERBS = frozenset({"http://activitystrea.ms/schema/1.0/submit", "http://activitystrea.ms/submit"})
SCORED_VERB = "https://w3id.org/xapi/tla/verbs/scored"
VIEWED_VERB = "http://id.tincanapi.com/verb/viewed"
# as:create is also a teacher adding a book chapter or a course module: only a discussion's creation is a post.
_CREATE_VERB = "http://activitystrea.ms/create"
_DISCUSSION_TYPE = "http://id.tincanapi.com/activitytype/discussion"
POSTED_VERBS = frozenset({_CREATE_VERB, "http://id.tincanapi.com/verb/replied"})
_ANY_DEPTH = 1 << 30
# How deep below the mapped activity a statement may sit for each kind (depth 0 = the statement's object).
_REACH: dict[str, int] = {
    "verbs": _ANY_DEPTH, "any": _ANY_DEPTH, "posted": _ANY_DEPTH, "viewed": 0, "activity-completion": 0,
    "completed": 1, "passed": 1, "score": 1, "submitted": 1, "graded": 1, "finished": 1,
}  # fmt: skip
# Whether the statement must be about the activity itself (SELF) or about a part of it (PART): Moodle's
# activity completion names the module; a finished attempt, lesson session or SCO names the part.
_EITHER, _SELF, _PART = 0, 1, 2
_WHOLE: dict[str, int] = {"activity-completion": _SELF, "finished": _PART}


def is_voiding(statement: Mapping[str, Any]) -> bool:
    """xAPI 1.0.3 Data §2.3.2: a voiding statement is not evidence of anything (its object is a StatementRef)."""
    return _verb_id(statement) == VOIDED_VERB


def score_fraction(result: Mapping[str, Any] | None) -> float | None:
    """The score as a fraction 0..1 of the way from min to max.

    moodle-logstore_xapi reports ``scaled = 2·(raw−min)/(max−min) − 1`` (−1..1), so 85/100 arrives as
    scaled 0.7: when raw, min and max are all present we recompute (raw−min)/(max−min). With scaled alone
    we read it as xAPI says (Data §2.4.5.1, −1..1) and clip negatives to 0 — a content package that reports a
    0..1 fraction as scaled is read unchanged.
    """
    score = (result or {}).get("score")
    if not _is_map(score):
        return None
    raw, low, high = (_number(score.get(k)) for k in ("raw", "min", "max"))
    if raw is not None and low is not None and high is not None and high > low:
        return _clip((raw - low) / (high - low))
    scaled = _number(score.get("scaled"))
    return None if scaled is None else _clip(scaled)


def statement_counts(statement: Mapping[str, Any], rule: Rule) -> bool:
    """Does the statement's content satisfy the rule (regardless of which activity it is about, and how
    closely: :meth:`ActivityIndex.relations` adds that)?

    submitted: a submit verb; graded: the scored verb with :func:`score_fraction` ≥ threshold; finished and
    activity-completion: adl:completed unless ``result.completion`` is false; viewed: the viewed verb; posted:
    a reply, or a discussion created; completed: ``result.completion`` true, or a completed verb unless
    ``result.completion`` is false; passed: ``result.success`` true, or the passed verb unless ``result.success``
    is false; score: :func:`score_fraction` ≥ threshold; verbs: the verb IRI is listed; any: always.
    Results on a single interaction (question) never satisfy submitted/graded/completed/passed/score.
    """
    kind = rule.kind
    if kind == "any":
        return True
    verb = _verb_id(statement)
    if kind == "verbs":
        return verb in rule.verbs
    if kind == "viewed":
        return verb == VIEWED_VERB
    if kind == "posted":
        return verb in POSTED_VERBS and (verb != _CREATE_VERB or _object_type(statement) == _DISCUSSION_TYPE)
    result = statement.get("result")
    result = result if _is_map(result) else {}
    if kind in ("finished", "activity-completion"):
        # Not excluding interactions here: a choice activity's own type is cmi.interaction, and where it
        # stands is settled by relations (the activity itself, or a part of it).
        return verb == ADL_COMPLETED and result.get("completion") is not False
    if _object_type(statement) == INTERACTION_TYPE:
        return False
    if kind == "submitted":
        return verb in SUBMIT_VERBS
    if kind == "completed":
        return _flag(result.get("completion"), verb in COMPLETED_VERBS)
    if kind == "passed":
        return _flag(result.get("success"), verb in PASSED_VERBS)
    if kind == "graded" and verb != SCORED_VERB:
        return False
    fraction = score_fraction(result)
    return fraction is not None and rule.threshold is not None and fraction >= rule.threshold


def statement_activities(statement: Mapping[str, Any]) -> list[tuple[str, int]]:
    """(activity IRI, depth): the object at depth 0, then context parents innermost first."""
    out = []
    obj = statement.get("object")
    if _is_map(obj):
        oid = obj.get("id")
        if type(oid) is str and obj.get("objectType", "Activity") == "Activity":
            out.append((oid, 0))
    # Subscripting straight through is the fast path (this runs once per statement of a whole course);
    # anything absent or of the wrong shape lands in the except clauses, never in a wrong answer.
    try:
        parents = statement["context"]["contextActivities"]["parent"]
    except (KeyError, TypeError, IndexError):
        return out
    if _is_map(parents):  # xAPI 0.95 allowed a single object; 1.0.3 LRSs must accept it
        parents = [parents]
    for depth, parent in enumerate(parents if type(parents) is list else (), start=1):
        try:
            pid = parent["id"]
        except (KeyError, TypeError, IndexError):
            continue
        if type(pid) is str:
            out.append((pid, depth))
    return out


class ActivityIndex:
    """Activity IRI → mapping entries, built once per mapping. Resolving an IRI is cached: a course has
    few distinct activities but many statements. The cache is bounded because attempt and question IRIs
    are unique per attempt, and one index may serve a whole night's compiles."""

    CACHE_LIMIT = 100_000

    def __init__(self, mapping: CourseMapping) -> None:
        self.mapping = mapping
        self._wwwroot = normalize_wwwroot(mapping.wwwroot)
        self._rules = tuple(entry.rule for entry in mapping.entries)
        self._reach = tuple(_REACH[rule.kind] for rule in self._rules)
        self._whole = tuple(_WHOLE.get(rule.kind, _EITHER) for rule in self._rules)
        self._by_iri: dict[str, list[int]] = {}
        self._by_cmid: dict[int, list[int]] = {}
        for i, entry in enumerate(mapping.entries):
            if entry.activity is not None:
                self._by_iri.setdefault(entry.activity, []).append(i)
            elif entry.cmid is not None:
                self._by_cmid.setdefault(entry.cmid, []).append(i)
        self._cache: dict[str, tuple[int, ...]] = {}

    def entries_for(self, iri: str) -> tuple[int, ...]:
        """Indexes of the entries whose activity is ``iri`` (see model.activity_matches)."""
        found = self._cache.get(iri)
        if found is None:
            hits = list(self._by_iri.get(iri, ()))
            if self._by_cmid:
                cmid = cmid_of(iri, self._wwwroot)
                hits.extend(self._by_cmid.get(cmid, ()) if cmid is not None else ())
            if len(self._cache) >= self.CACHE_LIMIT:
                self._cache.clear()
            found = self._cache[iri] = tuple(sorted(hits))
        return found

    def relations(self, statement: Mapping[str, Any], met: Set[int] = frozenset()) -> dict[int, bool]:
        """Entry index → whether the statement meets that entry's rule, for every entry it relates to.
        Empty for voiding statements and statements outside the mapped activities. Entries in ``met`` are
        reported met without evaluating the rule again (a caller that only needs met-or-not per learner)."""
        verb = statement.get("verb")
        if _is_map(verb) and verb.get("id") == VOIDED_VERB:
            return {}
        out: dict[int, bool] = {}
        cache = self._cache
        for iri, depth in statement_activities(statement):  # innermost first: the closest relation decides
            hits = cache.get(iri)
            for i in self.entries_for(iri) if hits is None else hits:
                if i in out:
                    continue
                if i in met:
                    out[i] = True
                    continue
                out[i] = self._close_enough(i, iri, depth) and statement_counts(statement, self._rules[i])
        return out

    def _close_enough(self, i: int, iri: str, depth: int) -> bool:
        if depth > self._reach[i]:
            return False
        whole = self._whole[i]
        if whole == _EITHER:
            return True
        # The activity itself: the mapped IRI, or a cmid's module IRI without a fragment (#lesson, #sco and
        # #submission name parts of the module).
        is_self = depth == 0 and ("#" not in iri or iri in self._by_iri)
        return is_self == (whole == _SELF)


def _is_map(value: object) -> TypeGuard[Mapping[str, Any]]:
    # Statements are parsed JSON, so nearly always plain dicts: test that first; the ABC check is slower.
    return type(value) is dict or (value is not None and isinstance(value, Mapping))


def _verb_id(statement: Mapping[str, Any]) -> str | None:
    verb = statement.get("verb")
    return verb.get("id") if _is_map(verb) else None


def _object_type(statement: Mapping[str, Any]) -> str | None:
    obj = statement.get("object")
    definition = obj.get("definition") if _is_map(obj) else None
    return definition.get("type") if _is_map(definition) else None


def _flag(value: object, by_verb: bool) -> bool:
    # An explicit false in the result outranks the verb: "completed" with completion false is not done.
    if isinstance(value, bool):
        return value
    return by_verb


def _number(value: object) -> float | None:
    """The value as a finite double, else None. JSON (and so the LRS) allows integers of any length: one that
    no double can hold is not a score anyone meant, so it is read as no score rather than stopping the run."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


def _clip(value: float) -> float:
    return min(1.0, max(0.0, value))
