"""Outbound xAPI client on tincan's RemoteLRS: pull statements from another LRS, forward ours to one.

tincan (1.0.0) imports and runs on Python 3.11, but its model classes re-serialise statements (dropping
2.0 properties and changing shapes), so only its transport (RemoteLRS + HTTPRequest) is used and the
statement JSON passes through untouched. A page whose statements carry attachments goes as multipart/mixed
with their files, through requests.  Both functions commit once per page so an interrupted run
resumes from the last page stored (the caller keeps the returned position).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urljoin

import requests
from sqlalchemy import select
from sqlalchemy.orm import Session
from tincan import RemoteLRS
from tincan.http_request import HTTPRequest

from xapi.models import Attachment
from xapi.multipart import encode_multipart
from xapi.prepare import prepare_statement, to_micros
from xapi.query import StatementFilters, find_statements
from xapi.service import new_statement_id
from xapi.store import store_statements, write_statements
from xapi.validation import validate_statement

__all__ = ["ClientError", "Progress", "forward", "pull"]

_TIMEOUT = 300  # seconds for one page: a page of statements with their files may be large


class ClientError(Exception):
    """The remote LRS refused a request or answered with something that is not xAPI."""


@dataclass
class Progress:
    statements: int = 0
    position: str | None = None  # pull: the remote ``stored`` of the last statement copied; forward: µs


def _remote(url: str, key: str, secret: str, version: str) -> RemoteLRS:
    return RemoteLRS(endpoint=url.rstrip("/") + "/", username=key, password=secret, version=version)


def _send(lrs: RemoteLRS, method: str, resource: str, params: dict[str, Any] | None = None,
          content: str | None = None) -> str:
    request = HTTPRequest(method=method, resource=resource)
    request.query_params = params or {}
    if content is not None:
        request.content = content
        request.headers["Content-Type"] = "application/json"
    response = lrs._send_request(request)  # noqa: SLF001 - the transport, without tincan's models
    if not response.success:
        raise ClientError(f"{method} {resource}: HTTP {response.response.status} {str(response.data)[:200]}")
    return str(response.data)


def _store_page(session: Session, statements: list[dict[str, Any]], authority: dict[str, Any], now: datetime) -> None:
    for index, statement in enumerate(statements):
        validate_statement(statement, version=str(statement.get("version") or "1.0.3"))
        statements[index] = {k: v for k, v in statement.items() if k != "stored"}
    def write() -> None:
        prepared = [
            prepare_statement(s, new_id=new_statement_id, stored_us=to_micros(now),
                              authority=s.get("authority") or authority, version="1.0.3")
            for s in statements
        ]
        store_statements(session, prepared, {p.statement_id for p in prepared})

    # Pulled statements keep their ids: another writer of the same ids is compared with, not a failure.
    write_statements(session, {str(s["id"]).lower() for s in statements if "id" in s}, write)


def pull(
    session: Session, url: str, key: str, secret: str, *, since: str | None, authority: dict[str, Any],
    clock: Callable[[], datetime], version: str = "1.0.3", page_size: int = 500,
) -> Progress:
    """Copy the remote LRS's statements stored after ``since`` (oldest first, following ``more``)."""
    lrs = _remote(url, key, secret, version)
    params: dict[str, Any] = {"ascending": "true", "limit": page_size}
    if since:
        params["since"] = since
    progress = Progress(position=since)
    resource, query = "statements", params
    while True:
        result = json.loads(_send(lrs, "GET", resource, query))
        statements = result.get("statements") or []
        if statements:
            stored = [s.get("stored") for s in statements]
            _store_page(session, statements, authority, clock())
            progress.statements += len(statements)
            progress.position = stored[-1]
        more = result.get("more")
        if not more:
            return progress
        resource, query = urljoin(url, more), {}


def forward(
    session: Session, url: str, key: str, secret: str, *, since_us: int | None, version: str = "1.0.3",
    page_size: int = 500,
) -> Progress:
    """POST our statements stored after ``since_us`` to another LRS (it keeps each id once)."""
    lrs = _remote(url, key, secret, version)
    filters = StatementFilters(ascending=True, limit=page_size, since_us=since_us)
    progress = Progress(position=str(since_us) if since_us is not None else None)
    cursor = None
    while True:
        raws, cursor = find_statements(session, filters, cursor)
        if raws:
            _post_page(session, lrs, raws)
            progress.statements += len(raws)
            progress.position = str(to_micros(datetime.fromisoformat(json.loads(raws[-1])["stored"])))
        if cursor is None:
            return progress


def _post_page(session: Session, lrs: RemoteLRS, raws: list[str]) -> None:
    """POST one page; statements carrying attachments go with their files (multipart/mixed, §2.4.11), since the
    other LRS refuses an attachment without a fileUrl whose part is missing."""
    body = "[" + ",".join(raws) + "]"
    wanted = {a["sha2"] for raw in raws for a in json.loads(raw).get("attachments") or ()}
    if not wanted:
        _send(lrs, "POST", "statements", content=body)
        return
    rows = session.execute(select(Attachment.sha2, Attachment.content_type, Attachment.content)
                           .where(Attachment.sha2.in_(wanted)))
    data, content_type = encode_multipart(body.encode(), rows)
    # Not through tincan's transport: its request decodes a body as UTF-8 text, which files are not.
    response = requests.post(lrs.endpoint + "statements", data=data, timeout=_TIMEOUT, headers={
        "Authorization": lrs.auth, "X-Experience-API-Version": lrs.version, "Content-Type": content_type})
    if not response.ok:
        raise ClientError(f"POST statements: HTTP {response.status_code} {response.text[:200]}")
