"""Document, Activities, Agents and About resources (xAPI 1.0.3 Part Three §2.3-§2.8; 2.0 §4.1.6.2-§4.1.6.7)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime

from sqlalchemy.orm import Session
from werkzeug.http import http_date
from werkzeug.wrappers import Response

from xapi.auth import AuthError
from xapi.documents import DocumentKey, Preconditions, delete_documents, document_ids, get_document, save_document
from xapi.http_types import Handler, XapiError, XapiRequest
from xapi.models import ActivityDefinition
from xapi.params import parse_agent, parse_iri, parse_json_body, parse_time, parse_uuid, reject_unknown
from xapi.prepare import index_key, to_micros
from xapi.validation_agents import validate_agent

__all__ = ["DOCUMENT_ROUTES"]

Clock = Callable[[], datetime]
# resource → (kind, id parameter, parameters, scope)
_RESOURCES = {
    "activities/state": ("state", "stateId", {"activityId", "agent", "registration", "stateId", "since"}, "state"),
    "activities/profile": ("activity_profile", "profileId", {"activityId", "profileId", "since"}, "profile"),
    "agents/profile": ("agent_profile", "profileId", {"agent", "profileId", "since"}, "profile"),
}


def _key(xreq: XapiRequest) -> tuple[DocumentKey, bool]:
    """The document(s) addressed; True when one document (its id given) is meant."""
    kind, id_param, allowed, _scope = _RESOURCES[xreq.resource]
    params = xreq.params
    reject_unknown(params, allowed)
    activity = parse_iri(params, "activityId", required=True) if "activityId" in allowed else None
    agent = parse_agent(params, "agent", xreq.version, required=True) if "agent" in allowed else None
    principal = xreq.principal
    if agent is not None and principal is not None and principal.bound and agent != principal.agent_ifi:
        raise AuthError(403, "agent: this credential may only use its own agent's documents")
    registration = parse_uuid(params, "registration")
    document_id = params.get(id_param)
    key = DocumentKey(kind=kind, activity_iri=index_key(activity or ""), agent_ifi=agent or "",
                      registration=registration or "", document_id=index_key(document_id or ""))
    return key, document_id is not None


def _preconditions(xreq: XapiRequest) -> Preconditions:
    # Profiles always (1.0.3 Part Three §3.1); under 2.0 every document resource (2.0 §4.1.4).
    strict = xreq.resource != "activities/state" or xreq.version.startswith("2.")
    return Preconditions(xreq.headers.get("if-match"), xreq.headers.get("if-none-match"), require_on_put=strict,
                         strict_new=xreq.resource != "activities/state")


def _scope(xreq: XapiRequest, *, read: bool) -> None:
    scope = _RESOURCES[xreq.resource][3]
    principal = xreq.require(scope, "all/read") if read else xreq.require(scope)
    if principal.bound and xreq.resource == "activities/profile" and not read:
        raise AuthError(403, "activityId: this credential may only read activity profiles")


def get_documents(xreq: XapiRequest, session: Session, clock: Clock) -> Response:
    _scope(xreq, read=True)
    key, single = _key(xreq)
    if not single:
        ids, newest_us = document_ids(session, key, parse_time(xreq.params, "since", xreq.version))
        response = Response(json.dumps(ids, ensure_ascii=False), content_type="application/json")
        # The list changed last when its newest document was written. An empty list has no such moment (a
        # DELETE leaves no trace): it is answered with the time of the answer, the only moment at which it is
        # known to be empty. A list that lost a document to a DELETE after its newest write still reports
        # that write: the LRS keeps no record of deletions.
        response.headers["Last-Modified"] = _http_date(to_micros(clock()) if newest_us is None else newest_us)
        return response
    if "since" in xreq.params:
        raise XapiError(400, "since", "only applies when no document id is given")
    document = get_document(session, key)
    if document is None:
        raise XapiError(404, _RESOURCES[xreq.resource][1], "no such document")
    response = Response(document.content, content_type=document.content_type)
    response.headers["ETag"] = document.etag
    response.headers["Last-Modified"] = _http_date(document.updated_us)
    return response


def _http_date(micros: int) -> str:
    """RFC 9110 §5.6.7 IMF-fixdate, in whole seconds: truncated, so a client that asks since= this moment gets
    the change again rather than missing one made later in the same second."""
    return http_date(micros // 1_000_000)


def _save(xreq: XapiRequest, session: Session, clock: Clock, *, merge: bool) -> Response:
    _scope(xreq, read=False)
    key, single = _key(xreq)
    if not single:
        raise XapiError(400, _RESOURCES[xreq.resource][1], "is required")
    if "since" in xreq.params:
        raise XapiError(400, "since", "is not a parameter of PUT or POST")
    if len(xreq.content_type) > 255:
        raise XapiError(400, "Content-Type", "is too long")
    if merge and xreq.content_type.lower().startswith("application/json"):
        parse_json_body(xreq.body)
    etag = save_document(session, key, xreq.body, xreq.content_type, merge=merge, pre=_preconditions(xreq),
                         now_us=to_micros(clock()))
    session.commit()
    response = Response(status=204)
    response.headers["ETag"] = etag
    return response


def put_document(xreq: XapiRequest, session: Session, clock: Clock) -> Response:
    return _save(xreq, session, clock, merge=False)


def post_document(xreq: XapiRequest, session: Session, clock: Clock) -> Response:
    return _save(xreq, session, clock, merge=True)


def delete_document(xreq: XapiRequest, session: Session, clock: Clock) -> Response:
    _scope(xreq, read=False)
    key, single = _key(xreq)
    if not single and xreq.resource != "activities/state":
        raise XapiError(400, "profileId", "is required")
    if "since" in xreq.params:
        raise XapiError(400, "since", "is not a parameter of DELETE")
    delete_documents(session, key, single=single, pre=_preconditions(xreq))
    session.commit()
    return Response(status=204)


def get_activity(xreq: XapiRequest, session: Session, clock: Clock) -> Response:
    """§2.5: the LRS's canonical Activity Object."""
    xreq.require("all/read", "statements/read", "define", "profile", "state")
    reject_unknown(xreq.params, {"activityId"})
    activity_id = parse_iri(xreq.params, "activityId", required=True)
    found = session.get(ActivityDefinition, index_key(str(activity_id)))
    activity: dict[str, object] = {"objectType": "Activity", "id": activity_id}
    if found is not None:
        activity["definition"] = found.definition
    return Response(json.dumps(activity, ensure_ascii=False), content_type="application/json")


def get_person(xreq: XapiRequest, session: Session, clock: Clock) -> Response:
    """§2.4: a Person Object combining what is known of the Agent (here: the Agent given)."""
    xreq.require("all/read", "statements/read", "define", "profile", "state")
    reject_unknown(xreq.params, {"agent"})
    parse_agent(xreq.params, "agent", xreq.version, required=True)
    agent = validate_agent(json.loads(xreq.params["agent"]), "agent", xreq.version)
    person: dict[str, object] = {"objectType": "Person"}
    for key in ("name", "mbox", "mbox_sha1sum", "openid", "account"):
        if key in agent:
            person[key] = [agent[key]]
    return Response(json.dumps(person, ensure_ascii=False), content_type="application/json")


def get_about(xreq: XapiRequest, session: Session, clock: Clock) -> Response:
    """§2.8: the versions this LRS speaks."""
    body = {"version": ["1.0.0", "1.0.1", "1.0.2", "1.0.3", "2.0.0"], "extensions": {}}
    return Response(json.dumps(body), content_type="application/json")


DOCUMENT_ROUTES: dict[tuple[str, str], Handler] = {
    **{(resource, "GET"): get_documents for resource in _RESOURCES},
    **{(resource, "PUT"): put_document for resource in _RESOURCES},
    **{(resource, "POST"): post_document for resource in _RESOURCES},
    **{(resource, "DELETE"): delete_document for resource in _RESOURCES},
    ("activities", "GET"): get_activity,
    ("agents", "GET"): get_person,
    ("about", "GET"): get_about,
}
