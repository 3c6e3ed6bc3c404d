"""Persistence of the standard: load canonical documents into the database and read them back.

Every function takes the caller's Session and neither commits nor rolls back: an import either lands
whole when the caller commits or not at all.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, selectinload

from plugin.models import (
    Criterion,
    Element,
    KeyFunction,
    KnowledgeEvidence,
    PerformanceEvidence,
    Qualification,
    Standard,
    Unit,
    UnitRevision,
)
from plugin.standards.diff import diff_units

EvidenceRow = TypeVar("EvidenceRow", KnowledgeEvidence, PerformanceEvidence)

__all__ = [
    "ImportReport",
    "find_code",
    "get_unit",
    "import_document",
    "list_units",
    "standard_documents",
    "unit_document",
]

# Sections of a unit kept in Unit.details, in the canonical key order (SCHEMA.md).
DETAIL_KEYS = (
    "occupations", "description", "qualification_level", "sector", "other_occupations", "regulations",
)
LATE_DETAIL_KEYS = (
    "prerequisites", "skills", "knowledge", "assessment_guidance", "range_statement", "assessment_procedure",
)


@dataclass
class ImportReport:
    source_file: str
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


def unit_hash(unit: dict[str, Any]) -> str:
    canonical = json.dumps(unit, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _upsert_standard(session: Session, doc: dict[str, Any]) -> Standard:
    info = doc["standard"]
    standard = session.scalar(select(Standard).where(Standard.title == info["title"]))
    if standard is None:
        standard = Standard(title=info["title"])
        session.add(standard)
    # A single-unit source carries only the standard's title; never let it blank the full standard's data.
    if info.get("introduction"):
        standard.introduction = info["introduction"]
    if info.get("related_qualifications"):
        standard.related_qualifications = list(info["related_qualifications"])
    if doc.get("key_purpose"):
        standard.key_purpose = doc["key_purpose"]
    _sync_qualifications(standard, doc.get("qualifications", []))
    _sync_key_functions(standard, doc)
    return standard


def _sync_qualifications(standard: Standard, qualifications: list[dict[str, Any]]) -> None:
    existing = {q.number: q for q in standard.qualifications}
    for item in qualifications:
        row = existing.get(item["number"])
        if row is None:
            row = Qualification(number=item["number"], title=item["title"])
            standard.qualifications.append(row)
        row.title = item["title"]
        row.unit_codes = list(item["units"])
        row.details = {k: v for k, v in item.items() if k not in ("number", "title", "units")}


def _sync_key_functions(standard: Standard, doc: dict[str, Any]) -> None:
    role_of = {fn: role for role in doc.get("key_roles", []) for fn in role["key_functions"]}
    existing = {kf.code: kf for kf in standard.key_functions}
    for position, item in enumerate(doc.get("key_functions", [])):
        row = existing.get(item["code"])
        if row is None:
            row = KeyFunction(code=item["code"], title=item["title"], position=position)
            standard.key_functions.append(row)
        role = role_of.get(item["code"])
        row.title = item["title"]
        row.position = position
        row.unit_codes = list(item["units"])
        row.role_code = role["code"] if role else None
        row.role_title = role["title"] if role else None


def _apply_unit(unit: Unit, data: dict[str, Any]) -> None:
    unit.title = data["title"]
    unit.revision = data["revision"]
    unit.details = {key: data[key] for key in DETAIL_KEYS + LATE_DETAIL_KEYS}
    elements = {e.code: e for e in unit.elements}
    unit.elements = [_apply_element(elements.get(e["code"]), e, i) for i, e in enumerate(data["elements"])]
    # Reuse rows by position: replacing them would insert a new DG100.KE1 before deleting the old one.
    unit.knowledge_evidence = _evidence_rows(
        KnowledgeEvidence, unit.knowledge_evidence, f"{unit.code}.KE", data["knowledge_evidence"]
    )
    unit.performance_evidence = _evidence_rows(
        PerformanceEvidence, unit.performance_evidence, f"{unit.code}.PE", data["performance_evidence"]
    )


def _evidence_rows(
    model: type[EvidenceRow], rows: list[EvidenceRow], prefix: str, texts: list[str]
) -> list[EvidenceRow]:
    kept = rows[: len(texts)]
    for position, text in enumerate(texts):
        if position < len(kept):
            kept[position].text = text
        else:
            kept.append(model(code=f"{prefix}{position + 1}", position=position, text=text))
    return kept


def _apply_element(element: Element | None, data: dict[str, Any], position: int) -> Element:
    if element is None:
        element = Element(code=data["code"])
    element.title = data["title"]
    element.position = position
    element.assessment_methods = list(data["assessment_methods"])
    criteria = {c.code: c for c in element.criteria}
    element.criteria = []
    for i, item in enumerate(data["criteria"]):
        criterion = criteria.get(item["code"]) or Criterion(code=item["code"])
        criterion.number = item["number"]
        criterion.text = item["text"]
        criterion.system_code = item["system_code"]
        criterion.position = i
        element.criteria.append(criterion)
    return element


def _load_unit(session: Session, code: str) -> Unit | None:
    return session.scalar(
        select(Unit)
        .where(Unit.code == code)
        .options(selectinload(Unit.elements).selectinload(Element.criteria))
    )


def import_document(session: Session, doc: dict[str, Any], *, now: datetime) -> ImportReport:
    """Load one canonical document; re-importing identical text changes nothing (keyed by codes)."""
    source = doc["source"]
    report = ImportReport(source_file=source["file"])
    standard = _upsert_standard(session, doc)
    session.flush()
    first_position = len(standard.units)
    for offset, data in enumerate(doc["units"]):
        digest = unit_hash(data)
        unit = _load_unit(session, data["code"])
        if unit is not None and unit.content_hash == digest:
            report.unchanged.append(data["code"])
            continue
        if unit is None:
            unit = Unit(code=data["code"], standard=standard, position=first_position + offset)
            session.add(unit)
            changes: list[Any] = [{"change": "created"}]
            report.created.append(data["code"])
        else:
            changes = diff_units(unit_document(unit), data)
            report.updated.append(data["code"])
        _apply_unit(unit, data)
        unit.source_file = source["file"]
        unit.content_hash = digest
        unit.updated_at = now
        _record_revision(session, data, changes, source, digest, now)
    session.flush()
    return report


def _record_revision(
    session: Session, data: dict[str, Any], changes: list[Any], source: dict[str, Any], digest: str,
    now: datetime,
) -> None:
    previous = session.scalar(
        select(UnitRevision.sequence)
        .where(UnitRevision.unit_code == data["code"])
        .order_by(UnitRevision.sequence.desc())
        .limit(1)
    )
    session.add(
        UnitRevision(
            unit_code=data["code"], sequence=(previous or 0) + 1, content_hash=digest,
            source_file=source["file"], source_sha256=source["sha256"], imported_at=now,
            changes=changes, snapshot=data,
        )
    )


def unit_document(unit: Unit) -> dict[str, Any]:
    """The unit in its canonical JSON form (SCHEMA.md key order)."""
    details = unit.details
    doc: dict[str, Any] = {"code": unit.code, "title": unit.title, "revision": unit.revision}
    doc.update({key: details.get(key) for key in DETAIL_KEYS})
    doc["elements"] = [
        {
            "code": e.code,
            "title": e.title,
            "assessment_methods": list(e.assessment_methods),
            "criteria": [
                {"code": c.code, "number": c.number, "text": c.text, "system_code": c.system_code}
                for c in e.criteria
            ],
        }
        for e in unit.elements
    ]
    doc.update({key: details.get(key) for key in LATE_DETAIL_KEYS[:3]})
    doc["performance_evidence"] = [item.text for item in unit.performance_evidence]
    doc["knowledge_evidence"] = [item.text for item in unit.knowledge_evidence]
    doc.update({key: details.get(key) for key in LATE_DETAIL_KEYS[3:]})
    return doc


def _units_query() -> Select[Unit]:
    return select(Unit).order_by(Unit.standard_id, Unit.position).options(
        selectinload(Unit.elements).selectinload(Element.criteria),
        selectinload(Unit.knowledge_evidence),
        selectinload(Unit.performance_evidence),
    )


def list_units(session: Session) -> list[Unit]:
    return list(session.scalars(_units_query()))


def get_unit(session: Session, code: str) -> Unit | None:
    return session.scalar(_units_query().where(Unit.code == code))


def find_code(session: Session, code: str) -> Unit | Element | Criterion | None:
    """A unit, element or criterion by its code (criteria also by their system code)."""
    unit = get_unit(session, code)
    if unit is not None:
        return unit
    element = session.scalar(select(Element).where(Element.code == code))
    if element is not None:
        return element
    return session.scalar(
        select(Criterion).where((Criterion.code == code) | (Criterion.system_code == code))
    )


def standard_documents(session: Session) -> list[dict[str, Any]]:
    """Every standard in the database as one canonical document each (for exports and the API)."""
    docs = []
    for standard in session.scalars(select(Standard).order_by(Standard.id)):
        roles: dict[str, dict[str, Any]] = {}
        for kf in standard.key_functions:
            if kf.role_code is not None:
                role = roles.setdefault(kf.role_code, {"code": kf.role_code, "title": kf.role_title,
                                                       "key_functions": []})
                role["key_functions"].append(kf.code)
        units = [u for u in list_units(session) if u.standard_id == standard.id]
        digest = hashlib.sha256("".join(sorted(u.content_hash for u in units)).encode()).hexdigest()
        docs.append({
            "format": "samattha-standard/1",
            # Read back from the database a standard may merge several files; the digest covers its units.
            "source": {"file": ", ".join(sorted({u.source_file for u in units})), "sha256": digest},
            "standard": {
                "title": standard.title,
                "introduction": standard.introduction,
                "related_qualifications": list(standard.related_qualifications),
            },
            "qualifications": [
                {"number": q.number, "title": q.title, **q.details, "units": list(q.unit_codes)}
                for q in standard.qualifications
            ],
            "key_purpose": standard.key_purpose,
            "key_roles": list(roles.values()),
            "key_functions": [
                {"code": kf.code, "title": kf.title, "units": list(kf.unit_codes)} for kf in standard.key_functions
            ],
            "units": [unit_document(u) for u in units],
        })
    return docs
