"""All plugin tables. Importing this package registers every model on ``Base.metadata`` (Alembic needs that)."""

from __future__ import annotations

from plugin.models.base import Base
from plugin.models.lti import (
    AgsLineItem,
    AgsScoreLog,
    AssessorAppointment,
    Course,
    Deployment,
    Enrolment,
    LaunchNonce,
    Platform,
    ResourceLink,
    SigningKey,
    StaffLimit,
    User,
)
from plugin.models.mapping import CourseActivity, MappingRevision, MoodleWebService
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
    "AgsLineItem",
    "AgsScoreLog",
    "AssessorAppointment",
    "Base",
    "Course",
    "CourseActivity",
    "Criterion",
    "Deployment",
    "Element",
    "Enrolment",
    "KeyFunction",
    "KnowledgeEvidence",
    "LaunchNonce",
    "MappingRevision",
    "MoodleWebService",
    "PerformanceEvidence",
    "Platform",
    "Qualification",
    "ResourceLink",
    "SigningKey",
    "StaffLimit",
    "Standard",
    "Unit",
    "UnitRevision",
    "User",
]

# Feature modules whose classes are imported from the module itself; importing registers their tables.
from plugin.models import (  # noqa: E402, F401
    caseload,
    content,
    conversations,
    judgements,
    learner_evidence,
    portfolios,
    service_calls,
)
