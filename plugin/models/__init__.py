"""All plugin tables. Importing this package registers every model on ``Base.metadata`` (Alembic needs that)."""

from __future__ import annotations

from plugin.models.base import Base
from plugin.models.standards import (
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

__all__ = [
    "Base",
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
