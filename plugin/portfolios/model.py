"""A learner's knowledge-evidence portfolio, its JSON form (``samattha-portfolio/1``, see SCHEMA.md in this
package) and its content hash.

The many small records (one per statement, criterion, link) are NamedTuples: immutable like the frozen
dataclasses above them, and several times cheaper to build — a nightly run builds millions.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal, NamedTuple

from xapi import jsontext

__all__ = [
    "FORMAT",
    "canonical_text",
    "unit_evidence_key",
    "CriterionRecord",
    "ElementRecord",
    "Evidence",
    "EvidenceLink",
    "EvidenceStatus",
    "ItemRecord",
    "Portfolio",
    "ResultSummary",
    "Source",
    "Summary",
    "UnitRecord",
    "canonical_json",
    "content_hash",
    "portfolio_to_json",
    "unit_score",
]

FORMAT = "samattha-portfolio/1"
EvidenceStatus = Literal["none", "some", "evidenced"]
Source = Literal["moodle", "samattha", "learner", "other"]


class ResultSummary(NamedTuple):
    score: float | None  # fraction of the way from min to max, 0..1 (rules.score_fraction)
    success: bool | None
    completion: bool | None


class Evidence(NamedTuple):
    """One statement, as the portfolio shows it."""

    statement_id: str
    activity: str  # the statement's object IRI
    activity_name: str | None
    verb: str
    verb_display: str | None
    result: ResultSummary
    timestamp: str  # UTC, ISO 8601 with milliseconds and "Z"
    stored: str | None
    source: Source
    age_days: int  # whole days from timestamp to as_of
    current: bool  # age_days ≤ the portfolio's currency window
    activities: tuple[str, ...]  # keys of the mapping entries the statement relates to, mapping order


class EvidenceLink(NamedTuple):
    statement_id: str
    counts: bool  # the statement met the rule of an entry behind this criterion or item


class CriterionRecord(NamedTuple):
    code: str
    number: str
    text: str
    status: EvidenceStatus
    current: bool  # some counting evidence is within the currency window
    evidence: tuple[EvidenceLink, ...]


class ItemRecord(NamedTuple):
    code: str  # DG100.KE1 / DG100.PE1
    text: str
    status: EvidenceStatus
    current: bool
    evidence: tuple[EvidenceLink, ...]


class Summary(NamedTuple):
    none: int
    some: int
    evidenced: int

    @property
    def total(self) -> int:
        return self.none + self.some + self.evidenced

    @property
    def fraction_evidenced(self) -> float:
        return self.evidenced / self.total if self.total else 0.0


@dataclass(frozen=True)
class ElementRecord:
    code: str
    title: str
    assessment_methods: tuple[str, ...]
    criteria: tuple[CriterionRecord, ...]
    summary: Summary


@dataclass(frozen=True)
class UnitRecord:
    code: str
    title: str
    elements: tuple[ElementRecord, ...]
    knowledge_evidence: tuple[ItemRecord, ...]
    performance_evidence: tuple[ItemRecord, ...]
    summary: Summary


@dataclass(frozen=True)
class Portfolio:
    learner_id: str
    learner_name: str
    actor: Mapping[str, Any]
    course_id: str
    course_title: str | None  # the LTI context's title and label, as Moodle last sent them
    course_label: str | None
    wwwroot: str
    mapping_version: int
    standard_sources: tuple[tuple[str, str], ...]  # (file, sha256) of the standard documents
    as_of: datetime
    currency_days: int
    units: tuple[UnitRecord, ...]
    evidence: tuple[Evidence, ...]  # by timestamp, then statement id


def unit_score(portfolio: Portfolio, unit_code: str) -> float:
    """Evidenced criteria / all criteria of the unit: the grade Samattha sends back to Moodle (0..1)."""
    for unit in portfolio.units:
        if unit.code == unit_code:
            return unit.summary.fraction_evidenced
    raise KeyError(f"unit {unit_code} is not in this portfolio (the course mapping does not reach it)")


def content_hash(portfolio: Portfolio) -> str:
    """sha256 of :func:`canonical_json` — all of the portfolio, ``as_of`` included.

    Every field is a function of the compiler's inputs (statements, mapping, standard, learner, as_of,
    currency window); nothing reads a clock. So a compile restarted with the same inputs — a scheduler job
    re-run after a crash keeps its as_of — gives the same hash. as_of is inside because ages, currency and
    which statements count (stored ≤ as_of) all depend on it.
    """
    return hashlib.sha256(canonical_json(portfolio).encode("utf-8")).hexdigest()


def canonical_json(portfolio: Portfolio) -> str:
    """:func:`portfolio_to_json` as canonical JSON text (sorted keys, no spaces, UTF-8 as is): what the hash
    covers, and what a compile run stores, so each portfolio is serialised once."""
    return canonical_text(portfolio_to_json(portfolio))


def canonical_text(document: Mapping[str, Any]) -> str:
    """A document of :func:`portfolio_to_json` as canonical JSON text (:func:`canonical_json`)."""
    return jsontext.dumps(document, sort_keys=True)


def portfolio_to_json(portfolio: Portfolio) -> dict[str, Any]:
    p = portfolio
    return {
        "format": FORMAT,
        "as_of": _instant(p.as_of),
        "currency_days": p.currency_days,
        "learner": {"id": p.learner_id, "name": p.learner_name, "actor": p.actor},
        "course": {"id": p.course_id, "title": p.course_title, "label": p.course_label, "wwwroot": p.wwwroot,
                   "mapping_version": p.mapping_version},
        "standard": [{"file": file, "sha256": sha} for file, sha in p.standard_sources],
        "units": [_unit_json(u) for u in p.units],
        "evidence": [_evidence_json(e) for e in p.evidence],
    }


def _instant(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _summary_json(summary: Summary) -> dict[str, Any]:
    return {
        "none": summary.none,
        "some": summary.some,
        "evidenced": summary.evidenced,
        "total": summary.total,
        "fraction_evidenced": summary.fraction_evidenced,
    }


def _links_json(links: tuple[EvidenceLink, ...]) -> list[dict[str, Any]]:
    return [{"statement": link.statement_id, "counts": link.counts} for link in links]


def _item_json(item: ItemRecord) -> dict[str, Any]:
    return {
        "code": item.code,
        "text": item.text,
        "status": item.status,
        "current": item.current,
        "evidence": _links_json(item.evidence),
    }


def _unit_json(unit: UnitRecord) -> dict[str, Any]:
    return {
        "code": unit.code,
        "title": unit.title,
        "summary": _summary_json(unit.summary),
        "elements": [
            {
                "code": e.code,
                "title": e.title,
                "assessment_methods": list(e.assessment_methods),
                "summary": _summary_json(e.summary),
                "criteria": [
                    {
                        "code": c.code,
                        "number": c.number,
                        "text": c.text,
                        "status": c.status,
                        "current": c.current,
                        "evidence": _links_json(c.evidence),
                    }
                    for c in e.criteria
                ],
            }
            for e in unit.elements
        ],
        "knowledge_evidence": [_item_json(i) for i in unit.knowledge_evidence],
        "performance_evidence": [_item_json(i) for i in unit.performance_evidence],
    }


def _evidence_json(e: Evidence) -> dict[str, Any]:
    return {
        "id": e.statement_id,
        "activity": e.activity,
        "activity_name": e.activity_name,
        "verb": {"id": e.verb, "display": e.verb_display},
        "result": {"score": e.result.score, "success": e.result.success, "completion": e.result.completion},
        "timestamp": e.timestamp,
        "stored": e.stored,
        "source": e.source,
        "age_days": e.age_days,
        "current": e.current,
        "activities": list(e.activities),
    }


def unit_evidence_key(document: Mapping[str, Any], unit_code: str) -> str:
    """What a judgement of the unit judged, as a digest: each criterion's and evidence item's status and the
    statements that count for it. A portfolio whose key is unchanged has not changed for that judgement, even
    when its ``as_of``, ages, mapping version or activity names did; "" when the unit is not in it."""
    unit = next((u for u in document.get("units", ()) if u.get("code") == unit_code), None)
    if unit is None:
        return ""
    records = [c for e in unit["elements"] for c in e["criteria"]]
    records += list(unit["knowledge_evidence"]) + list(unit["performance_evidence"])
    parts = [[r["code"], r["status"], sorted(str(x["statement"]) for x in r["evidence"] if x.get("counts"))]
             for r in records]
    return hashlib.sha256(jsontext.dumps(parts).encode("utf-8")).hexdigest()
