"""Entry points: validate a Statement, a SubStatement or a POST body of Statements.

Implements xAPI 1.0.3 Part Two §2 (and xAPI 2.0 / IEEE 9274.1.1 §4.2 when ``version`` is
"2.0.x") as exercised by the ADL LRS conformance suite (adlnet/lrs-conformance-test-suite,
test/v1_0_3 and test/v2_0).  Pure: no I/O, no state; the first violation raises
:class:`StatementError`.
"""

from __future__ import annotations

import re

from xapi.errors import StatementError
from xapi.validation_activity import validate_activity
from xapi.validation_agents import validate_actor, validate_agent, validate_authority, validate_group
from xapi.validation_context import validate_context, validate_result, validate_statement_ref
from xapi.validation_time import rule_set, validate_statement_version, validate_timestamp
from xapi.validation_values import (
    JsonObject,
    child,
    item,
    require_array,
    require_object,
    require_string,
    validate_iri,
    validate_irl,
    validate_language_map,
    validate_uuid,
)

VOIDED_VERB = "http://adlnet.gov/expapi/verbs/voided"
_STATEMENT_KEYS = frozenset(
    {
        "id",
        "actor",
        "verb",
        "object",
        "result",
        "context",
        "timestamp",
        "stored",
        "authority",
        "version",
        "attachments",
    }
)
# xAPI 1.0.3 §2.4.4.3: a SubStatement MUST NOT have id, stored, version or authority.
_SUBSTATEMENT_KEYS = (_STATEMENT_KEYS - {"id", "stored", "version", "authority"}) | {"objectType"}
_REQUIRED = ("actor", "verb", "object")
_ATTACHMENT_KEYS = ("usageType", "display", "description", "contentType", "length", "sha2", "fileUrl")
_ATTACHMENT_REQUIRED = ("usageType", "display", "contentType", "length", "sha2")
# RFC 2045 §5.1 type "/" subtype [; parameters]
_MIME_CHARS = r"[!#$%&'*+.^_`|~0-9A-Za-z-]+"
_CONTENT_TYPE = re.compile(rf"{_MIME_CHARS}/{_MIME_CHARS}(?:\s*;.*)?", re.DOTALL)
# Hex SHA-224/256/384/512 digests (xAPI 1.0.3 §2.4.11 "sha2 ... SHA-2 hash").
_SHA2 = re.compile(r"(?:[0-9a-fA-F]{56}|[0-9a-fA-F]{64}|[0-9a-fA-F]{96}|[0-9a-fA-F]{128})")


def _validate_verb(value: object, path: str) -> JsonObject:
    """Verb (xAPI 1.0.3 §2.4.3): id IRI required, display Language Map optional."""
    verb = require_object(value, path, ("id", "display"), ("id",))
    validate_iri(verb["id"], child(path, "id"))
    if "display" in verb:
        validate_language_map(verb["display"], child(path, "display"))
    return verb


def _validate_object(value: object, path: str, version: str, *, in_substatement: bool) -> str:
    """The statement's object, dispatched on objectType (xAPI 1.0.3 §2.4.4).

    objectType is case-exact; absent means Activity, so an Agent or Group used as an object
    must say so (XAPI-00065).  Returns the effective objectType.
    """
    if not isinstance(value, dict):
        raise StatementError(path, "must be an object")
    kind = value.get("objectType", "Activity")
    if kind == "Activity":
        validate_activity(value, path)
    elif kind == "Agent":
        validate_agent(value, path, version)
    elif kind == "Group":
        validate_group(value, path, version)
    elif kind == "StatementRef":
        validate_statement_ref(value, path)
    elif kind == "SubStatement" and not in_substatement:
        _validate_substatement(value, path, version)
    elif kind == "SubStatement":
        # xAPI 1.0.3 §2.4.4.3: "A SubStatement MUST NOT contain a SubStatement".
        raise StatementError(child(path, "objectType"), "a SubStatement cannot contain a SubStatement")
    else:
        raise StatementError(
            child(path, "objectType"),
            'must be "Activity", "Agent", "Group", "StatementRef" or "SubStatement"',
        )
    return str(kind)


def _validate_attachment(value: object, path: str) -> None:
    """Attachment (xAPI 1.0.3 §2.4.11)."""
    attachment = require_object(value, path, _ATTACHMENT_KEYS, _ATTACHMENT_REQUIRED)
    validate_iri(attachment["usageType"], child(path, "usageType"))
    validate_language_map(attachment["display"], child(path, "display"))
    if "description" in attachment:
        validate_language_map(attachment["description"], child(path, "description"))
    content_type = require_string(attachment["contentType"], child(path, "contentType"))
    if not _CONTENT_TYPE.fullmatch(content_type):
        raise StatementError(child(path, "contentType"), "must be an Internet Media Type")
    length = attachment["length"]
    if isinstance(length, bool) or not isinstance(length, int) or length < 0:
        raise StatementError(child(path, "length"), "must be a non-negative integer")
    if not _SHA2.fullmatch(require_string(attachment["sha2"], child(path, "sha2"))):
        raise StatementError(child(path, "sha2"), "must be a hexadecimal SHA-2 digest")
    if "fileUrl" in attachment:
        validate_irl(attachment["fileUrl"], child(path, "fileUrl"))


def _validate_body(stmt: JsonObject, path: str, version: str, *, in_substatement: bool) -> None:
    """What Statements and SubStatements share: actor, verb, object, result, context,
    timestamp, attachments."""
    validate_actor(stmt["actor"], child(path, "actor"), version)
    verb = _validate_verb(stmt["verb"], child(path, "verb"))
    kind = _validate_object(stmt["object"], child(path, "object"), version, in_substatement=in_substatement)
    if verb["id"] == VOIDED_VERB and kind != "StatementRef" and not in_substatement:
        # xAPI 1.0.3 §2.3.2: a voiding statement's object MUST be a StatementRef (voiding.js).
        raise StatementError(
            child(path, "object.objectType"), 'a voiding statement needs a "StatementRef" object'
        )
    if "result" in stmt:
        validate_result(stmt["result"], child(path, "result"))
    if "context" in stmt:
        validate_context(
            stmt["context"], child(path, "context"), version, object_is_activity=kind == "Activity"
        )
    if "timestamp" in stmt:
        validate_timestamp(stmt["timestamp"], child(path, "timestamp"), version)
    if "attachments" in stmt:
        where = child(path, "attachments")
        for index, attachment in enumerate(require_array(stmt["attachments"], where)):
            _validate_attachment(attachment, item(where, index))


def _validate_substatement(value: object, path: str, version: str) -> None:
    """SubStatement (xAPI 1.0.3 §2.4.4.3): a Statement without id/stored/version/authority,
    objectType "SubStatement", and no SubStatement inside."""
    sub = require_object(value, path, _SUBSTATEMENT_KEYS, _REQUIRED)
    _validate_body(sub, path, version, in_substatement=True)


def validate_statement(stmt: object, *, version: str = "1.0.3") -> None:
    """Validate one Statement as received by an LRS; raise StatementError on the first problem.

    ``version`` selects the rule set: any "1.0.x" (xAPI 1.0.3) or "2.0.x" (xAPI 2.0).
    ``id``, ``stored``, ``authority`` and ``version`` are optional here (the LRS fills them).
    """
    rules = rule_set(version)
    statement = require_object(stmt, "", _STATEMENT_KEYS, _REQUIRED)
    if "id" in statement:
        validate_uuid(statement["id"], "id")
    _validate_body(statement, "", rules, in_substatement=False)
    if "stored" in statement:
        validate_timestamp(statement["stored"], "stored", rules)
    if "authority" in statement:
        validate_authority(statement["authority"], "authority", rules)
    if "version" in statement:
        validate_statement_version(statement["version"], "version", rules)


def validate_statements(batch: object, *, version: str = "1.0.3") -> None:
    """Validate a POST /statements body: one Statement or a non-empty array of them.

    xAPI 1.0.3 Part Three §2.1.2: the body is "a Statement or an array of Statements"; an
    empty array carries nothing to store and is rejected.  Within a batch every id must be
    distinct (suite Statement Resource "same ID is used more than once" expects 400).
    Errors inside element ``i`` are reported under "[i]…".
    """
    if not isinstance(batch, list):
        validate_statement(batch, version=version)
        return
    if not batch:
        raise StatementError("", "must be a Statement or a non-empty array of Statements")
    first_index: dict[str, int] = {}
    for index, stmt in enumerate(batch):
        try:
            validate_statement(stmt, version=version)
        except StatementError as exc:
            raise exc.prefixed(f"[{index}]") from None
        stmt_id = stmt.get("id") if isinstance(stmt, dict) else None
        if isinstance(stmt_id, str):
            key = stmt_id.lower()
            if key in first_index:
                raise StatementError(f"[{index}].id", f"repeats the id of statement [{first_index[key]}]")
            first_index[key] = index
