"""The competency standard's tables: Standard → Qualification / KeyFunction → Unit → Element → Criterion.

A unit's list sections (prerequisites, skills, …) are kept as JSON lists in ``Unit.details``; the two
evidence lists that portfolios link evidence to are rows of their own (:class:`KnowledgeEvidence`,
:class:`PerformanceEvidence`) so each item has a stable code such as ``DG100.KE1``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text, UniqueConstraint, func
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship

from plugin.models.base import Base

__all__ = [
    "Criterion",
    "Element",
    "KeyFunction",
    "KnowledgeEvidence",
    "PerformanceEvidence",
    "Qualification",
    "Standard",
    "Unit",
    "UnitRevision",
]


class Standard(Base):
    __tablename__ = "standards"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(Text, unique=True)
    introduction: Mapped[str | None] = mapped_column(Text)
    related_qualifications: Mapped[list[Any]] = mapped_column(default=list)
    key_purpose: Mapped[str | None] = mapped_column(Text)

    qualifications: Mapped[list[Qualification]] = relationship(
        back_populates="standard", cascade="all, delete-orphan", order_by="Qualification.number"
    )
    key_functions: Mapped[list[KeyFunction]] = relationship(
        back_populates="standard", cascade="all, delete-orphan", order_by="KeyFunction.position"
    )
    units: Mapped[list[Unit]] = relationship(back_populates="standard", order_by="Unit.position")


class Qualification(Base):
    __tablename__ = "qualifications"
    __table_args__ = (UniqueConstraint("standard_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    standard_id: Mapped[int] = mapped_column(ForeignKey("standards.id", ondelete="CASCADE"))
    number: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    unit_codes: Mapped[list[Any]] = mapped_column(default=list)

    standard: Mapped[Standard] = relationship(back_populates="qualifications")


class KeyFunction(Base):
    __tablename__ = "key_functions"
    __table_args__ = (UniqueConstraint("standard_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    standard_id: Mapped[int] = mapped_column(ForeignKey("standards.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(Text)
    role_code: Mapped[str | None] = mapped_column(String(20))
    role_title: Mapped[str | None] = mapped_column(Text)
    position: Mapped[int] = mapped_column(Integer)
    unit_codes: Mapped[list[Any]] = mapped_column(default=list)

    standard: Mapped[Standard] = relationship(back_populates="key_functions")


class Unit(Base):
    __tablename__ = "units"

    id: Mapped[int] = mapped_column(primary_key=True)
    standard_id: Mapped[int] = mapped_column(ForeignKey("standards.id", ondelete="RESTRICT"), index=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    title: Mapped[str] = mapped_column(Text)
    revision: Mapped[str | None] = mapped_column(String(40))
    position: Mapped[int] = mapped_column(Integer)
    source_file: Mapped[str] = mapped_column(String(255))
    content_hash: Mapped[str] = mapped_column(String(64))
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    standard: Mapped[Standard] = relationship(back_populates="units")
    elements: Mapped[list[Element]] = relationship(
        back_populates="unit", cascade="all, delete-orphan", order_by="Element.position"
    )
    knowledge_evidence: Mapped[list[KnowledgeEvidence]] = relationship(
        back_populates="unit", cascade="all, delete-orphan", order_by="KnowledgeEvidence.position"
    )
    performance_evidence: Mapped[list[PerformanceEvidence]] = relationship(
        back_populates="unit", cascade="all, delete-orphan", order_by="PerformanceEvidence.position"
    )


class Element(Base):
    __tablename__ = "elements"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    title: Mapped[str] = mapped_column(Text)
    position: Mapped[int] = mapped_column(Integer)
    assessment_methods: Mapped[list[Any]] = mapped_column(default=list)

    unit: Mapped[Unit] = relationship(back_populates="elements")
    criteria: Mapped[list[Criterion]] = relationship(
        back_populates="element", cascade="all, delete-orphan", order_by="Criterion.position"
    )


class Criterion(Base):
    __tablename__ = "criteria"

    id: Mapped[int] = mapped_column(primary_key=True)
    element_id: Mapped[int] = mapped_column(ForeignKey("elements.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    number: Mapped[str] = mapped_column(String(40))
    text: Mapped[str] = mapped_column(Text)
    system_code: Mapped[str | None] = mapped_column(String(40), index=True)
    position: Mapped[int] = mapped_column(Integer)

    element: Mapped[Element] = relationship(back_populates="criteria")


class _EvidenceItem:
    """Columns shared by a unit's knowledge and performance evidence items (section 14 (ข) and (ก))."""

    @declared_attr.directive
    def __table_args__(cls) -> tuple[UniqueConstraint]:
        # A fresh constraint per table: one object cannot belong to two tables.
        return (UniqueConstraint("unit_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(48), unique=True)
    position: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)


class KnowledgeEvidence(_EvidenceItem, Base):
    __tablename__ = "knowledge_evidence"

    unit: Mapped[Unit] = relationship(back_populates="knowledge_evidence")


class PerformanceEvidence(_EvidenceItem, Base):
    __tablename__ = "performance_evidence"

    unit: Mapped[Unit] = relationship(back_populates="performance_evidence")


class UnitRevision(Base):
    """One row per import that created or changed a unit: the audit trail of the standard's text."""

    __tablename__ = "unit_revisions"
    __table_args__ = (UniqueConstraint("unit_code", "sequence"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_code: Mapped[str] = mapped_column(String(40), index=True)
    sequence: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(64))
    source_file: Mapped[str] = mapped_column(String(255))
    source_sha256: Mapped[str] = mapped_column(String(64))
    imported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    changes: Mapped[list[Any]] = mapped_column(default=list)
    snapshot: Mapped[dict[str, Any]] = mapped_column(default=dict)
