"""Samattha's xAPI layer: the LRS (xAPI 1.0.3 and 2.0) with its pure validator, and a client for other LRSs."""

from xapi import jsontext
from xapi.auth import (
    LAUNCH_SCOPES,
    SCOPES,
    create_credential,
    create_launch_credential,
    list_credentials,
    revoke_credential,
)
from xapi.client import forward, pull
from xapi.consistency import hold_writer_turn
from xapi.errors import StatementError
from xapi.http import create_app, keeps_connection
from xapi.limits import Limits
from xapi.models import metadata
from xapi.query import StatementFilters, iter_statements, query_statements
from xapi.service import GuardedRequest, RequestGuard, StatementGuard, record_statements
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
    "LAUNCH_SCOPES",
    "SCOPES",
    "GuardedRequest",
    "Limits",
    "RequestGuard",
    "StatementFilters",
    "StatementGuard",
    "create_app",
    "create_credential",
    "create_launch_credential",
    "hold_writer_turn",
    "record_statements",
    "forward",
    "iter_statements",
    "jsontext",
    "keeps_connection",
    "list_credentials",
    "metadata",
    "pull",
    "query_statements",
    "revoke_credential",
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
