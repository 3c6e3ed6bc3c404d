"""Statement Resource handlers (xAPI 1.0.3 Part Three §2.1; 2.0 §4.1.6.1): parse, one service call, respond."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from xapi import jsontext
from xapi.auth import AuthError
from xapi.consistency import consistent_through
from xapi.formats import apply_format, preferred_languages
from xapi.http_types import Handler, XapiError, XapiRequest
from xapi.models import Attachment
from xapi.multipart import check_attachments, encode_multipart, parse_multipart
from xapi.params import (
    decode_token,
    encode_token,
    parse_agent,
    parse_bool,
    parse_iri,
    parse_json_body,
    parse_limit,
    parse_time,
    parse_uuid,
    reject_unknown,
)
from xapi.prepare import format_stored, ifi_of, index_key, to_micros
from xapi.query import StatementFilters, find_statements, get_statement
from xapi.service import check_binding, check_voiding_binding, prepare_batch
from xapi.store import store_attachments, store_statements, write_statements
from xapi.validation import validate_statements

__all__ = ["STATEMENT_ROUTES"]

_QUERY_PARAMS = {"agent", "verb", "activity", "registration", "related_activities", "related_agents", "since",
                 "until", "limit", "format", "attachments", "ascending"}
_SINGLE_PARAMS = {"statementId", "voidedStatementId", "format", "attachments"}
_FORMATS = ("exact", "ids", "canonical")


def _json_response(body: str | bytes, status: int = 200, content_type: str = "application/json") -> Response:
    return Response(body, status=status, content_type=content_type)


def _read_statements(xreq: XapiRequest) -> tuple[Any, list[Any]]:
    """The statements of a PUT/POST body and any attachment parts (§1.5.2 multipart/mixed)."""
    ctype = xreq.content_type.lower()
    if ctype.startswith("multipart/mixed"):
        parts = parse_multipart(xreq.body, xreq.content_type)
        if not parts[0].headers.get("content-type", "").lower().startswith("application/json"):
            raise XapiError(400, "body.part[0]", "the first part must be the application/json statements")
        xreq.limits.check_json_text(parts[0].body, "body.part[0]")
        for number, part in enumerate(parts[1:], start=1):
            xreq.limits.check_attachment(f"body.part[{number}]", len(part.body))
        return parse_json_body(parts[0].body, root=""), parts[1:]
    if not ctype.startswith("application/json"):
        raise XapiError(400, "Content-Type", "must be application/json or multipart/mixed")
    xreq.limits.check_json_text(xreq.body, "body")
    return parse_json_body(xreq.body, root=""), []


def _store(
    xreq: XapiRequest, session: Session, clock: Callable[[], datetime], body: Any, parts: list[Any]
) -> list[str]:
    validate_statements(body, version=xreq.version)
    batch: list[dict[str, Any]] = body if isinstance(body, list) else [body]
    xreq.limits.check_batch(batch)
    files = check_attachments(batch, parts) if parts or any("attachments" in s for s in batch) else []
    principal = xreq.require("statements/write")
    check_binding(principal, batch)
    client_ids = {str(s["id"]).lower() for s in batch if "id" in s}

    def write() -> list[str]:
        check_voiding_binding(session, principal, batch)  # in the transaction that voids
        # Stored is read after taking the write lock, so on SQLite commit order is stored order (§2.1.3 more).
        prepared = prepare_batch(batch, stored_us=to_micros(clock()), authority=principal.authority,
                                 version=xreq.version, credential_key=principal.key)
        for index, item in enumerate(prepared):
            xreq.limits.check_stored(index, item.row["raw"], single=not isinstance(body, list))
        if xreq.guard is not None:
            xreq.guard(session, principal.as_dict(), [item.full for item in prepared])
        ids = store_statements(session, prepared, client_ids)
        store_attachments(session, files)
        return ids

    return write_statements(session, client_ids, write)


def post_statements(xreq: XapiRequest, session: Session, clock: Callable[[], datetime]) -> Response:
    reject_unknown(xreq.params, set())
    body, parts = _read_statements(xreq)
    return _json_response(json.dumps(_store(xreq, session, clock, body, parts)))


def put_statement(xreq: XapiRequest, session: Session, clock: Callable[[], datetime]) -> Response:
    reject_unknown(xreq.params, {"statementId"})
    statement_id = parse_uuid(xreq.params, "statementId")
    if statement_id is None:
        raise XapiError(400, "statementId", "is required for PUT")
    body, parts = _read_statements(xreq)
    if not isinstance(body, dict):
        raise XapiError(400, "body", "PUT takes a single Statement")
    if "id" in body and str(body["id"]).lower() != statement_id:
        raise XapiError(400, "id", "differs from the statementId parameter")
    _store(xreq, session, clock, {**body, "id": body.get("id", statement_id)}, parts)
    return Response(status=204)


def _key(value: str | None) -> str | None:
    return None if value is None else index_key(value)


def _filters(xreq: XapiRequest) -> dict[str, Any]:
    params, version = xreq.params, xreq.version
    reject_unknown(params, _QUERY_PARAMS)
    return {
        "agent": parse_agent(params, "agent", version, required=False),
        "verb": _key(parse_iri(params, "verb", required=False)),
        "activity": _key(parse_iri(params, "activity", required=False)),
        "registration": parse_uuid(params, "registration"),
        "related_agents": parse_bool(params, "related_agents"),
        "related_activities": parse_bool(params, "related_activities"),
        "since_us": parse_time(params, "since", version),
        "until_us": parse_time(params, "until", version),
        "limit": parse_limit(params),
        "ascending": parse_bool(params, "ascending"),
    }


def _render(
    raws: list[str], fmt: str, xreq: XapiRequest, attachments: bool
) -> tuple[list[str], list[dict[str, Any]]]:
    statements = [json.loads(raw) for raw in raws] if fmt != "exact" or attachments else []
    if fmt == "exact":
        return raws, statements
    languages = preferred_languages(xreq.headers.get("accept-language"))
    shaped = [apply_format(s, fmt, languages) for s in statements]
    return [jsontext.dumps(s) for s in shaped], statements


def _respond(session: Session, body: str, statements: list[dict[str, Any]], attachments: bool) -> Response:
    if not attachments:
        return _json_response(body)
    wanted = {a["sha2"] for s in statements for a in s.get("attachments") or ()}
    rows = session.execute(
        select(Attachment.sha2, Attachment.content_type, Attachment.content).where(Attachment.sha2.in_(wanted))
    )
    data, content_type = encode_multipart(body.encode(), rows)
    return Response(data, content_type=content_type)


def _visible(raw: str, xreq: XapiRequest) -> bool:
    principal = xreq.principal
    if principal is None or not principal.bound:
        return True
    stmt = json.loads(raw)
    registration = (stmt.get("context") or {}).get("registration")
    return ifi_of(stmt.get("actor")) == principal.agent_ifi and str(registration).lower() == principal.registration


def _single(xreq: XapiRequest, session: Session, fmt: str, attachments: bool, mine: str | None) -> Response:
    reject_unknown(xreq.params, _SINGLE_PARAMS)
    if "statementId" in xreq.params and "voidedStatementId" in xreq.params:
        raise XapiError(400, "statementId", "cannot be combined with voidedStatementId")
    voided = "voidedStatementId" in xreq.params
    statement_id = parse_uuid(xreq.params, "voidedStatementId" if voided else "statementId")
    raw = get_statement(session, str(statement_id), voided=voided, credential_key=mine)
    if raw is None or not _visible(raw, xreq):
        raise XapiError(404, "statementId", "no such statement")
    texts, statements = _render([raw], fmt, xreq, attachments)
    response = _respond(session, texts[0], statements or [json.loads(raw)], attachments)
    response.headers["Last-Modified"] = _http_date(json.loads(raw)["stored"])
    return response


def _http_date(stored: str) -> str:
    moment = datetime.fromisoformat(stored.replace("Z", "+00:00"))
    return moment.strftime("%a, %d %b %Y %H:%M:%S GMT")


def get_statements(xreq: XapiRequest, session: Session, clock: Callable[[], datetime]) -> Response:
    principal = xreq.require("statements/read", "all/read", "statements/read/mine")
    # A launch credential reads its agent's statements in its registration, whoever wrote them.
    mine = None if principal.bound or principal.allows("statements/read", "all/read") else principal.key
    through = consistent_through(session, clock)
    fmt = xreq.params.get("format", "exact")
    if fmt not in _FORMATS:
        raise XapiError(400, "format", "must be exact, ids or canonical")
    attachments = parse_bool(xreq.params, "attachments")
    if "statementId" in xreq.params or "voidedStatementId" in xreq.params:
        response = _single(xreq, session, fmt, attachments, mine)
    else:
        response, through = _query(xreq, session, fmt, attachments, mine, through)
    response.headers["X-Experience-API-Consistent-Through"] = format_stored(through)
    return response


def _bind(filters: StatementFilters, xreq: XapiRequest) -> StatementFilters:
    """A launch credential's queries are limited to its agent and registration."""
    principal = xreq.principal
    if principal is None or not principal.bound:
        return filters
    if filters.agent is not None and filters.agent != principal.agent_ifi:
        raise AuthError(403, "agent: this credential may only read its own agent's statements")
    if filters.registration is not None and filters.registration.lower() != principal.registration:
        raise AuthError(403, "registration: this credential may only read statements of its own registration")
    return replace(filters, agent=principal.agent_ifi, registration=principal.registration)


def _query(xreq: XapiRequest, session: Session, fmt: str, attachments: bool, mine: str | None,
           through: int) -> tuple[Response, int]:
    """The page, and the Consistent-Through it may report: every page of one query is capped at the moment its
    first page reported (carried in ``more`` as ``until``), so no page holds a statement newer than that."""
    cursor = None
    if "more" in xreq.params:
        reject_unknown(xreq.params, {"more"})
        state = decode_token(xreq.params["more"])
        try:
            fmt, attachments = str(state.pop("format")), bool(state.pop("attachments"))
            cursor = (int(state["cursor"][0]), str(state["cursor"][1]))
            filters = StatementFilters(**{k: v for k, v in state.items() if k != "cursor"})
        except (KeyError, TypeError, ValueError, IndexError):
            raise XapiError(400, "more", "is not a token this LRS issued") from None
        through = min(through, filters.until_us) if filters.until_us is not None else through
    else:
        filters = StatementFilters(**_filters(xreq))
        filters = replace(filters, until_us=through if filters.until_us is None else min(filters.until_us, through))
    # A statements/read/mine credential only ever sees its own statements (§4.2), whatever the token says.
    filters = _bind(StatementFilters(**{**filters.__dict__, "credential_key": mine}), xreq)
    raws, next_cursor = find_statements(session, filters, cursor)
    texts, statements = _render(raws, fmt, xreq, attachments)
    more = ""
    if next_cursor is not None:
        state = {**filters.__dict__, "format": fmt, "attachments": attachments, "cursor": list(next_cursor)}
        more = "/xapi/statements?more=" + encode_token(state)
    body = '{"statements":[' + ",".join(texts) + '],"more":' + json.dumps(more) + "}"
    return _respond(session, body, statements, attachments), through


STATEMENT_ROUTES: dict[tuple[str, str], Handler] = {
    ("statements", "POST"): post_statements,
    ("statements", "PUT"): put_statement,
    ("statements", "GET"): get_statements,
}
