"""compile_portfolio: a learner's statements + a course mapping + the standard → a Portfolio. Pure.

What counts (see plugin.mapping.rules for the rules, plugin.coverage for the statuses, SCHEMA.md for the
output): a statement enters the portfolio when it relates to a mapped activity, is not a voiding statement,
and was stored (or, without ``stored``, made) no later than ``as_of`` — so a portfolio "as of" a moment is
reproducible later, whatever arrives afterwards. It is filed under

* every criterion its entries' targets expand to (status: evidenced when it met an entry's rule, else some);
* the knowledge/performance-evidence items the entries link to (plugin.mapping.model.linked_items: the
  items an entry names, else every item of its evidence kind in each unit it reaches).

A piece of evidence the learner added (plugin.learner_evidence) is filed, as evidenced, under the criteria and
items it names, unless the mapping switches learner evidence off for the course.

The caller picks the learner's statements (all the actor IFIs the identity table joins) and drops voided
ones; inputs in any order give the same portfolio.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NamedTuple

from plugin.learner_evidence.vocabulary import PIECE_EXTENSION, evidence_codes
from plugin.learner_evidence.vocabulary import VERB as EVIDENCE_VERB
from plugin.mapping.model import CourseMapping, StandardIndex, course_iri, expand_targets, linked_items, mapped_units
from plugin.mapping.rules import ActivityIndex, score_fraction
from plugin.portfolios.model import (
    CriterionRecord,
    ElementRecord,
    Evidence,
    EvidenceLink,
    EvidenceStatus,
    ItemRecord,
    Portfolio,
    ResultSummary,
    Source,
    Summary,
    UnitRecord,
)

__all__ = [
    "MOODLE_INFO_EXTENSION", "SAMATTHA_PACKAGE_EXTENSION", "CourseName", "compile_portfolio", "statement_source",
]

# Set by our own content packages (content/…) in context.extensions: the package that made the statement.
SAMATTHA_PACKAGE_EXTENSION = "https://samattha.dev/xapi/extensions/package"
# moodle-logstore_xapi writes this extension on every statement, with its own repository URL as a key.
MOODLE_INFO_EXTENSION = "http://lrs.learninglocker.net/define/extensions/info"
_MOODLE_PLUGIN_KEY = "https://github.com/xAPI-vle/moodle-logstore_xapi"
_LANGUAGES = ("th", "th-TH", "en", "en-US", "en-GB")  # Thai first: the standard and its learners are Thai


def statement_source(statement: Mapping[str, Any]) -> Source:
    """ "samattha" when our package extension is present; "learner" for a piece a learner added themself
    (plugin.learner_evidence); "moodle" when the log store's info extension names
    the plugin or context.platform is "Moodle" (the plugin's default source name); else "other". The actor's
    homePage is no sign: our own content addresses learners by the same Moodle account."""
    context = _mapping(statement.get("context"))
    extensions = _mapping(context.get("extensions"))
    if SAMATTHA_PACKAGE_EXTENSION in extensions:
        return "samattha"
    if PIECE_EXTENSION in extensions and _mapping(statement.get("verb")).get("id") == EVIDENCE_VERB:
        return "learner"
    if _MOODLE_PLUGIN_KEY in _mapping(extensions.get(MOODLE_INFO_EXTENSION)) or context.get("platform") == "Moodle":
        return "moodle"
    return "other"


@dataclass(frozen=True)
class _Plan:
    """What a mapping means against the standard, worked out once and shared by every learner's compile."""

    units: tuple[str, ...]
    codes: tuple[tuple[str, ...], ...]  # per entry: the criteria its targets expand to and the items it links
    keys: tuple[str, ...]  # per entry
    index: ActivityIndex


def _plan(mapping: CourseMapping, standard: StandardIndex) -> _Plan:
    # A run compiles thousands of learners against the very same mapping object: an identity check first,
    # since hashing the frozen mapping (every entry and rule) on each call costs more than the lookup saves.
    global _last_plan
    last = _last_plan
    if last is not None and last[0] is mapping and last[1] is standard:
        return last[2]
    plan = _plan_of(mapping, standard)
    _last_plan = (mapping, standard, plan)
    return plan


_last_plan: tuple[CourseMapping, StandardIndex, _Plan] | None = None


@functools.lru_cache(maxsize=16)
def _plan_of(mapping: CourseMapping, standard: StandardIndex) -> _Plan:
    # Cached on the (hashable, frozen) mapping and the standard object: compiling 10,000 learners against
    # one mapping should not rebuild this 10,000 times. Pure, so caching changes no result.
    return _Plan(
        units=mapped_units(mapping, standard),
        codes=tuple(
            tuple(sorted((expand_targets(e.targets, standard) & standard.criteria.keys()) | linked_items(e, standard)))
            for e in mapping.entries
        ),
        keys=tuple(e.key for e in mapping.entries),
        index=ActivityIndex(mapping),
    )


class CourseName(NamedTuple):
    """The course as Moodle names it (the LTI context claim's title and label, LTI Core 1.3 §5.4.1): a
    portfolio read outside Samattha says which course it is by these, not by Moodle's internal id."""

    title: str | None
    label: str | None


def compile_portfolio(
    statements: Iterable[Mapping[str, Any]],
    mapping: CourseMapping,
    standard: StandardIndex,
    *,
    learner: Mapping[str, Any],
    as_of: datetime,
    currency_days: int = 365,
    course: CourseName | None = None,
) -> Portfolio:
    """``learner``: {"id", "name", "actor"}; ``as_of`` must be timezone-aware; ``course``: None when Moodle's
    names for it are not known (a mapping loaded for a course nobody has launched)."""
    if as_of.tzinfo is None:
        raise ValueError("as_of must be timezone-aware")
    plan = _plan(mapping, standard)
    kept: dict[str, tuple[Evidence, dict[int, bool]]] = {}
    named: dict[str, tuple[str, ...]] = {}  # a learner's own piece → the criteria and items it is for
    this_course = course_iri(mapping)
    takes_pieces = mapping.learner_evidence  # off: the pieces stay in the LRS, and out of the portfolio
    for statement in statements:
        relations = plan.index.relations(statement)  # {} for voiding statements and unmapped activities
        codes = evidence_codes(statement, this_course) if takes_pieces and not relations else ()
        piece = _evidence(statement, relations, plan, as_of, currency_days) if relations or codes else None
        if piece is not None and piece.statement_id not in kept:
            # Statement ids are unique in an LRS (xAPI 1.0.3 Data §2.4.1): a repeat is the same statement.
            kept[piece.statement_id] = (piece, relations)
            if codes:
                named[piece.statement_id] = codes
    ordered = sorted(kept.values(), key=lambda kept_piece: (kept_piece[0].timestamp, kept_piece[0].statement_id))
    records = _Records(standard, _file(ordered, plan, named), {e.statement_id: e.current for e, _ in ordered})
    return Portfolio(
        learner_id=str(learner["id"]),
        learner_name=str(learner.get("name") or ""),
        actor=json.loads(json.dumps(learner.get("actor") or {})),  # a plain JSON copy: the caller's may change
        course_id=mapping.course_id,
        course_title=course.title if course else None,
        course_label=course.label if course else None,
        wwwroot=mapping.wwwroot,
        mapping_version=mapping.version,
        standard_sources=standard.sources,
        as_of=as_of,
        currency_days=currency_days,
        units=tuple(records.unit(code) for code in plan.units),
        evidence=tuple(piece for piece, _ in ordered),
    )


def _file(ordered: list[tuple[Evidence, dict[int, bool]]], plan: _Plan,
          named: Mapping[str, tuple[str, ...]]) -> dict[str, dict[str, bool]]:
    """Criterion or item code → statement id → counts; filed in evidence order, so each dict is ordered. A
    learner's own piece counts for what it names: it is theirs to claim, and the assessor's to judge."""
    links: dict[str, dict[str, bool]] = {}
    for piece, relations in ordered:
        sid = piece.statement_id
        for code in named.get(sid, ()):
            links.setdefault(code, {})[sid] = True
        for i, counts in relations.items():
            for code in plan.codes[i]:
                filed = links.get(code)
                if filed is None:
                    filed = links[code] = {}
                filed[sid] = filed.get(sid, False) or counts
    return links


def _evidence(
    statement: Mapping[str, Any], relations: Mapping[int, bool], plan: _Plan, as_of: datetime, window: int
) -> Evidence | None:
    stored = _moment(statement.get("stored"))
    made = _moment(statement.get("timestamp")) or stored
    if made is None or (stored or made) > as_of:
        return None  # undated (an LRS always sets timestamp), or not yet received as of as_of
    obj, verb = _mapping(statement.get("object")), _mapping(statement.get("verb"))
    result = _mapping(statement.get("result"))
    age = max(0, (as_of - made).days)
    return Evidence(
        statement_id=_statement_id(statement),
        activity=str(obj.get("id", "")),
        activity_name=_pick(_mapping(obj.get("definition")).get("name")),
        verb=str(verb.get("id", "")),
        verb_display=_pick(verb.get("display")),
        result=ResultSummary(score_fraction(result), _bool(result.get("success")), _bool(result.get("completion"))),
        timestamp=_instant(made),
        stored=_instant(stored) if stored else None,
        source=statement_source(statement),
        age_days=age,
        current=age <= window,
        activities=tuple(plan.keys[i] for i in sorted(relations)),
    )


class _Records:
    """Builds the unit/element/criterion/item records from the filed links."""

    def __init__(self, standard: StandardIndex, links: dict[str, dict[str, bool]], current: dict[str, bool]) -> None:
        self.standard, self.links, self.current = standard, links, current

    def _filed(self, code: str) -> tuple[EvidenceStatus, bool, tuple[EvidenceLink, ...]]:
        filed = self.links.get(code)
        if not filed:
            return "none", False, ()
        counting = [sid for sid, counts in filed.items() if counts]
        status: EvidenceStatus = "evidenced" if counting else "some"
        return status, any(self.current[sid] for sid in counting), tuple(map(EvidenceLink._make, filed.items()))

    def criterion(self, code: str) -> CriterionRecord:
        info = self.standard.criteria[code]
        return CriterionRecord(code, info.number, info.text, *self._filed(code))

    def item(self, code: str) -> ItemRecord:
        return ItemRecord(code, self.standard.evidence_items[code].text, *self._filed(code))

    def unit(self, code: str) -> UnitRecord:
        info = self.standard.units[code]
        elements = []
        for element_code in info.elements:
            element = self.standard.elements[element_code]
            criteria = tuple(self.criterion(c) for c in element.criteria)
            summary = _summary(criteria)
            elements.append(ElementRecord(element.code, element.title, element.assessment_methods, criteria, summary))
        knowledge = tuple(self.item(c) for c in info.knowledge_evidence)
        performance = tuple(self.item(c) for c in info.performance_evidence)
        every = tuple(c for e in elements for c in e.criteria)
        return UnitRecord(code, info.title, tuple(elements), knowledge, performance, _summary(every))


def _summary(criteria: tuple[CriterionRecord, ...]) -> Summary:
    statuses = [c.status for c in criteria]
    return Summary(statuses.count("none"), statuses.count("some"), statuses.count("evidenced"))


def _statement_id(statement: Mapping[str, Any]) -> str:
    sid = statement.get("id")
    if isinstance(sid, str) and sid:
        return sid
    # Moodle's plugin sends no id; the LRS assigns one. Should one still be missing, a digest of the content
    # is a stable stand-in (same statement, same id, whatever the input order).
    canonical = json.dumps(statement, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _moment(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    # xAPI 1.0.3 Data §2.4.7 asks for an offset; read one without as UTC rather than as the server's local time.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _instant(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _pick(language_map: object) -> str | None:
    """One string from an xAPI language map, deterministically (Thai, then English, then the first tag)."""
    if not isinstance(language_map, Mapping) or not language_map:
        return None
    tag = next((t for t in _LANGUAGES if t in language_map), None) or min(language_map)
    value = language_map[tag]
    return value if isinstance(value, str) else None


def _mapping(value: object) -> Mapping[str, Any]:
    # Parsed JSON is nearly always a plain dict: test that first, the ABC check is slower.
    if type(value) is dict or (value is not None and isinstance(value, Mapping)):
        return value
    return {}


def _bool(value: object) -> bool | None:
    return value if isinstance(value, bool) else None
