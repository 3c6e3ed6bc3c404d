"""Samattha's xAPI layer: a pure, specification-exact Statement validator (xAPI 1.0.3 and 2.0)."""

from xapi.errors import StatementError
from xapi.validation import validate_statement, validate_statements
from xapi.validation_activity import validate_activity, validate_activity_definition, validate_activity_id
from xapi.validation_agents import validate_actor, validate_agent, validate_authority, validate_group
from xapi.validation_time import (
    parse_timestamp,
    validate_duration,
    validate_timestamp,
    validate_version_header,
)
from xapi.validation_values import (
    is_language_tag,
    is_uuid,
    validate_extensions,
    validate_iri,
    validate_irl,
    validate_language_map,
    validate_language_tag,
    validate_uuid,
)

__all__ = [
    "StatementError",
    "is_language_tag",
    "is_uuid",
    "parse_timestamp",
    "validate_activity",
    "validate_activity_definition",
    "validate_activity_id",
    "validate_actor",
    "validate_agent",
    "validate_authority",
    "validate_duration",
    "validate_extensions",
    "validate_group",
    "validate_iri",
    "validate_irl",
    "validate_language_map",
    "validate_language_tag",
    "validate_statement",
    "validate_statements",
    "validate_timestamp",
    "validate_uuid",
    "validate_version_header",
]
