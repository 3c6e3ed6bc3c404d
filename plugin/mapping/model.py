"""The mapping's data: which Moodle activity evidences which part of the standard, under which rule.

Plain frozen dataclasses over plain data, plus :class:`StandardIndex`, a read-only index of the canonical
standard JSON (content/standards/SCHEMA.md) by code and in the standard's order. No I/O, no database.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = [
    "EVIDENCE_KINDS",
    "OUTCOME_KINDS",
    "RULE_KINDS",
    "THRESHOLD_KINDS",
    "CodeKind",
    "CourseMapping",
    "CriterionInfo",
    "ElementInfo",
    "EvidenceItemInfo",
    "EvidenceKind",
    "MappingEntry",
    "Rule",
    "RuleKind",
    "StandardIndex",
    "UnitInfo",
    "activity_matches",
    "cmid_of",
    "expand_targets",
    "linked_items",
    "mapped_units",
    "normalize_wwwroot",
    "unnamed_items",
    "unnamed_report",
]

RuleKind = Literal[
    "submitted", "graded", "finished", "viewed", "posted", "activity-completion",
    "completed", "passed", "score", "verbs", "any",
]  # fmt: skip
EvidenceKind = Literal["knowledge", "performance"]
CodeKind = Literal["unit", "element", "criterion", "knowledge_evidence", "performance_evidence"]
# The outcomes moodle-logstore_xapi really reports, in a coordinator's words (rules.py says what each counts);
# then the older, statement-level kinds, still read and written for the files that use them.
OUTCOME_KINDS: tuple[RuleKind, ...] = ("submitted", "graded", "finished", "viewed", "posted", "activity-completion")
RULE_KINDS: tuple[RuleKind, ...] = (*OUTCOME_KINDS, "completed", "passed", "score", "verbs", "any")
THRESHOLD_KINDS: tuple[RuleKind, ...] = ("graded", "score")
EVIDENCE_KINDS: tuple[EvidenceKind, ...] = ("knowledge", "performance")

# What moodle-logstore_xapi sends for anything inside a course module: {wwwroot}/mod/<mod>/view.php?id=<cmid>,
# with a fragment for the module's parts (#submission, #lesson, #sco). Other query parameters (pageid,
# chapterid) name a page inside the module; those statements carry the module itself as parent[0].
_MODULE_IRI = re.compile(r"(?P<root>.+)/mod/[a-z][a-z0-9_]*/view\.php\?id=(?P<cmid>[0-9]+)(?:#.*)?")


@dataclass(frozen=True)
class Rule:
    """When a statement about a mapped activity counts as evidence (see rules.statement_counts)."""

    kind: RuleKind
    threshold: float | None = None  # "graded" and "score" only: fraction of the maximum, 0..1
    verbs: tuple[str, ...] = ()  # "verbs" only: verb IRIs


@dataclass(frozen=True, kw_only=True)
class MappingEntry:
    """One activity (an IRI, or a Moodle course-module id resolved against the course's wwwroot)."""

    activity: str | None = None
    cmid: int | None = None
    targets: tuple[str, ...]
    evidence: EvidenceKind
    rule: Rule
    title: str = ""

    @property
    def key(self) -> str:
        """A stable label for the activity: its IRI, or ``cmid:<n>``."""
        return self.activity if self.activity is not None else f"cmid:{self.cmid}"


@dataclass(frozen=True, kw_only=True)
class CourseMapping:
    course_id: str  # the LTI context.id (Moodle's course id, as a string)
    wwwroot: str  # Moodle's $CFG->wwwroot, no trailing slash
    entries: tuple[MappingEntry, ...]
    version: int = 1  # the mapping's own revision, recorded in every portfolio compiled from it
    title: str = ""
    # Whether the course takes evidence its learners add themselves (plugin.learner_evidence). Off, the pieces
    # already in the LRS stay there, uncounted, and count again when it is switched back on.
    learner_evidence: bool = True


def normalize_wwwroot(wwwroot: str) -> str:
    # Moodle never ends $CFG->wwwroot with "/", and statement IRIs are built as wwwroot + "/mod/…".
    return wwwroot.rstrip("/")


def course_iri(mapping: CourseMapping) -> str:
    """The course as Moodle's log store names it: the parent of every activity IRI in the course."""
    return f"{normalize_wwwroot(mapping.wwwroot)}/course/view.php?id={mapping.course_id}"


def cmid_of(iri: str, wwwroot: str) -> int | None:
    """The course-module id when ``iri`` is a module IRI of the site at ``wwwroot``, else None."""
    found = _MODULE_IRI.fullmatch(iri)
    if found is None or found["root"] != normalize_wwwroot(wwwroot):
        return None
    return int(found["cmid"])


def activity_matches(entry: MappingEntry, statement_activity_iri: str, wwwroot: str) -> bool:
    """IRI entries compare exactly: an Activity is identified by its id IRI (xAPI 1.0.3 Data §2.4.4.1) and we
    normalise nothing, so "…/x" and "…/x/" are different activities (a trailing slash is a different page
    to a web server too). Cmid entries match any module name and any fragment under the course's wwwroot."""
    if entry.activity is not None:
        return statement_activity_iri == entry.activity
    return entry.cmid is not None and cmid_of(statement_activity_iri, wwwroot) == entry.cmid


@dataclass(frozen=True)
class CriterionInfo:
    code: str
    number: str
    text: str
    element: str
    unit: str
    order: int  # position in the whole standard


@dataclass(frozen=True)
class ElementInfo:
    code: str
    title: str
    unit: str
    assessment_methods: tuple[str, ...]
    criteria: tuple[str, ...]


@dataclass(frozen=True)
class EvidenceItemInfo:
    code: str  # "<unit>.KE<n>" or "<unit>.PE<n>", n from 1, as plugin.standards.catalog numbers them
    kind: EvidenceKind
    unit: str
    text: str


@dataclass(frozen=True)
class UnitInfo:
    code: str
    title: str
    elements: tuple[str, ...]
    criteria: tuple[str, ...]
    knowledge_evidence: tuple[str, ...]
    performance_evidence: tuple[str, ...]


@dataclass(frozen=True, eq=False)
class StandardIndex:
    """Units, elements, criteria and evidence items by code; tuples keep the standard's order.

    Compared and hashed by identity (eq=False): it is built once and shared, and compilers cache on it."""

    units: Mapping[str, UnitInfo]
    elements: Mapping[str, ElementInfo]
    criteria: Mapping[str, CriterionInfo]
    evidence_items: Mapping[str, EvidenceItemInfo]
    sources: tuple[tuple[str, str], ...] = field(default=())  # (file, sha256) of each document

    @classmethod
    def from_documents(cls, docs: Sequence[Mapping[str, Any]]) -> StandardIndex:
        """Index canonical documents (``samattha-standard/1``) in the order given, then each file's order."""
        units: dict[str, UnitInfo] = {}
        elements: dict[str, ElementInfo] = {}
        criteria: dict[str, CriterionInfo] = {}
        items: dict[str, EvidenceItemInfo] = {}
        for doc in docs:
            for unit in doc["units"]:
                units[unit["code"]] = _index_unit(unit, elements, criteria, items)
        sources = tuple((d["source"]["file"], d["source"]["sha256"]) for d in docs if "source" in d)
        return cls(units, elements, criteria, items, sources)

    @property
    def unit_order(self) -> tuple[str, ...]:
        return tuple(self.units)

    def kind_of(self, code: str) -> CodeKind | None:
        if code in self.criteria:
            return "criterion"
        if code in self.elements:
            return "element"
        if code in self.units:
            return "unit"
        item = self.evidence_items.get(code)
        if item is None:
            return None
        return "knowledge_evidence" if item.kind == "knowledge" else "performance_evidence"

    def unit_of(self, code: str) -> str | None:
        """The unit a code belongs to (a unit is its own unit)."""
        if code in self.units:
            return code
        found = self.criteria.get(code) or self.elements.get(code) or self.evidence_items.get(code)
        return found.unit if found is not None else None


def _index_unit(
    unit: Mapping[str, Any],
    elements: dict[str, ElementInfo],
    criteria: dict[str, CriterionInfo],
    items: dict[str, EvidenceItemInfo],
) -> UnitInfo:
    code = unit["code"]
    unit_criteria: list[str] = []
    for element in unit["elements"]:
        codes = tuple(c["code"] for c in element["criteria"])
        for c in element["criteria"]:
            criteria[c["code"]] = CriterionInfo(c["code"], c["number"], c["text"], element["code"], code, len(criteria))
        # A unit that states its method once, in section 18 (DG-OPSR-023: "สอบข้อเขียน"), means it for every
        # element; the element's own methods, where the standard prints them (section 11), come first.
        methods = element["assessment_methods"] or unit.get("assessment_procedure") or []
        elements[element["code"]] = ElementInfo(element["code"], element["title"], code, tuple(methods), codes)
        unit_criteria.extend(codes)
    ke = _index_items(code, "knowledge", unit["knowledge_evidence"], items)
    pe = _index_items(code, "performance", unit["performance_evidence"], items)
    return UnitInfo(code, unit["title"], tuple(e["code"] for e in unit["elements"]), tuple(unit_criteria), ke, pe)


def _index_items(
    unit: str, kind: EvidenceKind, texts: Iterable[str], items: dict[str, EvidenceItemInfo]
) -> tuple[str, ...]:
    prefix = f"{unit}.{'KE' if kind == 'knowledge' else 'PE'}"
    codes = []
    for n, text in enumerate(texts, start=1):
        items[f"{prefix}{n}"] = EvidenceItemInfo(f"{prefix}{n}", kind, unit, text)
        codes.append(f"{prefix}{n}")
    return tuple(codes)


def expand_targets(targets: Iterable[str], standard: StandardIndex) -> frozenset[str]:
    """Criterion codes a list of targets stands for: a unit → all its criteria, an element → its criteria,
    a criterion → itself. Evidence items (``DG100.KE1``) stand for themselves: they are tracked beside the
    criteria, not instead of them. Unknown codes raise KeyError (files.load_mapping reports them first)."""
    out: set[str] = set()
    for code in targets:
        kind = standard.kind_of(code)
        if kind == "unit":
            out.update(standard.units[code].criteria)
        elif kind == "element":
            out.update(standard.elements[code].criteria)
        elif kind is not None:
            out.add(code)
        else:
            raise KeyError(f"unknown code in the standard: {code}")
    return frozenset(out)


def linked_items(entry: MappingEntry, standard: StandardIndex) -> frozenset[str]:
    """The evidence items (``DG100.KE1``) an entry's statements are filed under: the ones it names, and no
    others. An item is a claim about the learner ("training certificates"); an activity mapped to a unit, an
    element or a criterion does not make that claim unless the coordinator says so."""
    return frozenset(t for t in entry.targets if t in standard.evidence_items)


def unnamed_items(entry: MappingEntry, standard: StandardIndex) -> frozenset[str]:
    """The items the earlier rule linked to this entry without its naming them: every item of the entry's
    evidence kind in each unit it reaches through a unit, element or criterion, unless it names items of that
    unit. What ``samattha mappings load`` and the mapping history point out, so a coordinator can name the
    right ones."""
    explicit = linked_items(entry, standard)
    named_units = {standard.evidence_items[t].unit for t in explicit}
    out: set[str] = set()
    for target in entry.targets:
        unit = standard.unit_of(target)
        if target in explicit or unit is None or unit in named_units:
            continue
        info = standard.units[unit]
        out.update(info.knowledge_evidence if entry.evidence == "knowledge" else info.performance_evidence)
    return frozenset(out)


def unnamed_report(mapping: CourseMapping, standard: StandardIndex) -> list[tuple[MappingEntry, tuple[str, ...]]]:
    """Each entry the earlier rule filed under items it does not name, with those items in the standard's
    order (see :func:`unnamed_items`)."""
    order = {code: i for i, code in enumerate(standard.evidence_items)}
    return [(entry, tuple(sorted(items, key=order.__getitem__))) for entry in mapping.entries
            if (items := unnamed_items(entry, standard))]


def mapped_units(mapping: CourseMapping, standard: StandardIndex) -> tuple[str, ...]:
    """Units any entry reaches (through any target), in the standard's order."""
    reached = {standard.unit_of(t) for entry in mapping.entries for t in entry.targets}
    return tuple(code for code in standard.units if code in reached)
