"""The xAPI HTTP surface: a WSGI application the app mounts at /xapi, with the xAPI headers on every response
and errors handled in one place.

It is plain Werkzeug rather than a Flask blueprint: the LRS needs no cookie session, templates, URL routing
or the app's page hooks, and on a single-statement POST Flask's request set-up and tear-down cost a fifth of
the request.  Requests are first normalised into an :class:`XapiRequest` (which also unpacks the 1.0.3
alternate request syntax, Part Three §1.3), then authenticated, then dispatched to a thin handler by
(resource, method).  Each request gets its own Session, closed when the response is built.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
from collections.abc import Callable, Iterable
from datetime import datetime
from http import HTTPStatus
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl

from sqlalchemy.orm import Session
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge
from werkzeug.wrappers import Request, Response

from xapi.auth import AuthError, authenticate
from xapi.documents import DocumentError
from xapi.errors import StatementError
from xapi.http_documents import DOCUMENT_ROUTES
from xapi.http_statements import STATEMENT_ROUTES
from xapi.http_types import Handler, XapiError, XapiRequest
from xapi.limits import Limits, give_back_memory
from xapi.prepare import format_stored, to_micros
from xapi.service import GuardedRequest, RequestGuard, StatementGuard
from xapi.store import ConflictError
from xapi.validation_time import validate_version_header

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

__all__ = ["create_app", "keeps_connection"]

log = logging.getLogger(__name__)
# Key → the xAPI version of its last request, for answering a request that names none (§3.3).
_last_version: dict[str, str] = {}
ROUTES: dict[tuple[str, str], Handler] = {**STATEMENT_ROUTES, **DOCUMENT_ROUTES}
_ALTERNATE_HEADERS = {"authorization", "x-experience-api-version", "content-type", "content-length", "if-match",
                      "if-none-match"}
_CORS_HEADERS = ("Authorization, Content-Type, X-Experience-API-Version, If-Match, If-None-Match, Accept-Language, "
                 "X-Experience-API-Consistent-Through")
_LARGE_BODY = 1024 * 1024  # after a request this large, the memory it took is handed back (xapi.limits)
_EXPOSED = "ETag, Last-Modified, X-Experience-API-Version, X-Experience-API-Consistent-Through, Content-Type"


class _Refused(XapiError):
    """A request refused before it is parsed whole, answered in the version its client speaks."""

    def __init__(self, status: int, path: str, message: str, answer_in: str) -> None:
        super().__init__(status, path, message)
        self.answer_in = answer_in


class _VersionNeeded(_Refused):
    """No X-Experience-API-Version header: answered in the version this client last spoke."""

    def __init__(self, answer_in: str) -> None:
        super().__init__(400, "X-Experience-API-Version", "header is required", answer_in)


def _too_large(request: Request, version: str) -> _Refused:
    return _Refused(413, "body", f"is larger than this LRS accepts ({request.max_content_length} bytes)", version)


def _alternate(request: Request, method: str) -> tuple[str, dict[str, str], dict[str, str], bytes]:
    """1.0.3 Part Three §1.3: POST ?method=X with the headers and content as form fields."""
    if request.args.keys() - {"method"}:
        raise XapiError(400, "method", "the alternate request syntax allows no other query parameters")
    if method not in ("GET", "PUT", "POST", "DELETE"):
        raise XapiError(400, "method", "must be GET, PUT, POST or DELETE")
    if not (request.content_type or "").startswith("application/x-www-form-urlencoded"):
        raise XapiError(400, "Content-Type", "the alternate request syntax needs application/x-www-form-urlencoded")
    try:
        data = request.get_data()
    except RequestEntityTooLarge as error:  # the alternate syntax is xAPI 1.0.3's alone
        raise _too_large(request, "1.0.3") from error
    form = dict(parse_qsl(data.decode("utf-8", "replace"), keep_blank_values=True))
    headers = _headers(request.environ)
    headers.pop("content-type", None)
    headers.pop("content-length", None)
    if "origin" in headers:
        # A page's form can send this request (a POST of a form is a CORS "simple" request: no preflight asks
        # first), and the browser adds the HTTP Basic credentials it remembers for the LRS. From a page, only
        # the credential the request itself carries, as the form field §1.3 defines, is taken.
        headers.pop("authorization", None)
    params: dict[str, str] = {}
    for name, value in form.items():
        if name.lower() in _ALTERNATE_HEADERS:
            headers[name.lower()] = value
        elif name != "content":
            params[name] = value
    return method, params, headers, form.get("content", "").encode("utf-8")


def _headers(environ: WSGIEnvironment) -> dict[str, str]:
    """Request headers by lower-case name, read straight from the environ (Werkzeug's header view is several
    times slower to iterate, and this runs on every request)."""
    headers = {name[5:].replace("_", "-").lower(): value for name, value in environ.items()
               if name.startswith("HTTP_")}
    for name in ("CONTENT_TYPE", "CONTENT_LENGTH"):
        if environ.get(name):
            headers[name.replace("_", "-").lower()] = environ[name]
    return headers


def _parse_request(request: Request, resource: str, limits: Limits) -> XapiRequest:
    method = request.method
    alternate = request.args.get("method")
    body: bytes | None = None
    if alternate is not None and method == "POST":
        method, params, headers, body = _alternate(request, alternate.upper())
    else:
        params = {}
        for name, values in request.args.lists():
            if len(values) > 1:
                raise XapiError(400, name, "is given more than once")
            params[name] = values[0]
        headers = _headers(request.environ)
    raw_version = headers.get("x-experience-api-version")
    version = "2.0.0"
    if resource != "about":
        if raw_version is None:
            # Answer in the version this client last spoke (its key, unverified, only picks the header).
            raise _VersionNeeded(_last_version.get(_credentials(headers)[0] or "", "2.0.0"))
        version = validate_version_header(raw_version)
        user = _credentials(headers)[0]
        if user is not None and len(_last_version) < 10_000:
            _last_version[user] = version
    elif raw_version is not None and raw_version.strip().startswith("1.0"):
        version = "1.0.3"
    if alternate is not None and version.startswith("2."):
        raise XapiError(400, "method", "xAPI 2.0 has no alternate request syntax")
    if body is None:
        body = _read_body(request, resource, method, headers, limits, version)
    return XapiRequest(resource=resource, method="GET" if method == "HEAD" else method, params=params,
                       headers=headers, body=body, version=version)


def _read_body(request: Request, resource: str, method: str, headers: dict[str, str], limits: Limits,
               version: str) -> bytes:
    """The body, read once the version is known, so that a refusal is in the client's version; statements
    whose Content-Length is over the batch limit are refused without reading them."""
    if resource == "statements" and method in ("PUT", "POST"):
        try:
            limits.check_declared_length(headers.get("content-type", "application/json"), request.content_length)
        except StatementError as error:
            raise _Refused(error.status, error.path, error.message, version) from None
    try:
        return request.get_data(cache=False)
    except RequestEntityTooLarge as error:
        raise _too_large(request, version) from error


def _credentials(headers: dict[str, str]) -> tuple[str | None, str | None]:
    value = headers.get("authorization", "")
    scheme, _, encoded = value.partition(" ")
    if scheme.lower() != "basic":
        return None, None
    try:
        user, colon, password = base64.b64decode(encoded.strip(), validate=True).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None, None
    return (user, password) if colon else (None, None)


def _error_response(status: int, title: str, message: str) -> Response:
    return Response(json.dumps({"error": title, "message": message}), status=status, content_type="application/json")


def _challenge(response: Response, request: Request) -> Response:
    """A 401 names the Basic scheme (RFC 9110 §11.6.1), except to a script in a browser: content whose launch
    credential has expired would otherwise open the browser's login prompt over the learner's page (headless
    Chromium waits on it for ever). The browser says which requests are a page's scripts (Fetch Metadata);
    any other client, and a browser navigating to the LRS, is challenged."""
    if response.status_code == 401 and request.headers.get("Sec-Fetch-Mode", "navigate") == "navigate":
        response.headers["WWW-Authenticate"] = 'Basic realm="xAPI"'
    return response


def _handle_error(error: Exception, request: Request) -> Response:
    if isinstance(error, XapiError | DocumentError | StatementError):
        return _error_response(error.status, HTTPStatus(error.status).phrase, str(error))
    if isinstance(error, AuthError):
        return _error_response(error.status, HTTPStatus(error.status).phrase, error.message)
    if isinstance(error, ConflictError):
        return _error_response(409, "Conflict", str(error))
    if isinstance(error, HTTPException):
        return _error_response(error.code or 500, error.name, error.description or error.name)
    log.exception("unhandled error on %s %s", request.method, request.full_path)
    return _error_response(500, "Internal Server Error", "Something went wrong on our side; it has been logged.")


def _xapi_headers(response: Response, request: Request, version: str, clock: Callable[[], datetime]) -> None:
    if request.method in ("GET", "HEAD") and request.path.rstrip("/").endswith("/statements"):
        # §2.1.3: on every GET of statements, whatever the status.
        response.headers.setdefault("X-Experience-API-Consistent-Through", format_stored(to_micros(clock())))
    headers = response.headers
    headers["X-Experience-API-Version"] = "2.0.0" if version.startswith("2.") else "1.0.3"
    # Any page may call the LRS with the credential it holds and sends itself (an Authorization header, listed
    # below), but never with what the browser would add on its own (cookies, HTTP auth it remembers): "*" and
    # no Access-Control-Allow-Credentials make a browser refuse such a credentialed response (Fetch §3.2.5).
    # Echoing the Origin with "Allow-Credentials: true" let any site read the LRS as a signed-in user.
    headers["Access-Control-Allow-Origin"] = "*"
    headers["Access-Control-Allow-Methods"] = "GET, HEAD, PUT, POST, DELETE, OPTIONS"
    headers["Access-Control-Allow-Headers"] = _CORS_HEADERS
    headers["Access-Control-Expose-Headers"] = _EXPOSED
    headers["Access-Control-Max-Age"] = "600"


def keeps_connection(request: Request) -> bool:
    """Read what the client sent and the handler left unread; False when the connection must not carry another
    request: the body is over the body limit or cut short, or was chunked.

    A refusal made before the body is read (no or a bad X-Experience-API-Version, a parameter given twice, a
    preflight with a body) left the body on the connection. granian drains a few kilobytes; beyond that it
    answered as if the connection would be kept alive, then closed it, so the client's next request on it was
    lost without an answer (issue 18 item 6). A chunked body that breaks off is read by granian as one that
    ended (granian src/wsgi/types.rs gives a body error as b""), and that connection is closed the same way;
    the two cannot be told apart here, so a chunked request's connection is never kept."""
    if "chunked" in request.headers.get("Transfer-Encoding", "").lower():
        return False
    try:
        stream = request.stream
        while stream.read(65_536):
            pass
    except HTTPException:  # RequestEntityTooLarge; ClientDisconnected (a short body)
        return False
    return True


def create_app(
    session_factory: Callable[[], Session], clock: Callable[[], datetime], *, limits: Limits | None = None,
    guard: StatementGuard | None = None, request_guard: RequestGuard | None = None,
) -> WSGIApplication:
    """The LRS (xAPI 1.0.3 and 2.0) as a WSGI application to mount at /xapi, storing through
    ``session_factory()`` sessions, one per request.

    ``guard`` is called with every POST/PUT batch before it is stored and may refuse it by raising
    StatementError (its status, 400 or 403, is the response's). ``request_guard`` sees every request of a launch
    credential once it is authenticated, before it is handled, and may refuse it the same way. ``limits``
    (xapi.limits) bound what one request may hold; a body over ``limits.body_bytes`` gets 413."""
    limits = limits or Limits()

    def respond(request: Request) -> tuple[Response, str]:
        """The response and the xAPI version it is in (the request's, once known)."""
        version = "2.0.0"
        try:
            resource = request.path.strip("/")
            if request.method == "OPTIONS":  # CORS preflight: no credentials are sent (Fetch §3.2)
                return Response(status=200), version
            xreq = _parse_request(request, resource, limits)
            xreq.guard, xreq.limits, version = guard, limits, xreq.version
            handler = ROUTES.get((resource, xreq.method))
            if handler is None:
                known = any(r == resource for r, _ in ROUTES)
                raise XapiError(405 if known else 404, resource, "no such xAPI resource or method")
            with session_factory() as session:  # closing it rolls back whatever was not committed
                if resource != "about":
                    user, password = _credentials(xreq.headers)
                    xreq.principal = authenticate(session, user, password, now=clock())
                    if request_guard is not None and xreq.principal.bound:
                        request_guard(session, xreq.principal.as_dict(), GuardedRequest(
                            resource, xreq.method, xreq.params, xreq.content_type, xreq.body))
                response = handler(xreq, session, clock)
            if request.method == "HEAD":
                response.set_data(b"")
            return response, version
        except _Refused as error:
            return _handle_error(error, request), error.answer_in
        except Exception as error:  # every error a client can cause becomes an xAPI error response
            return _handle_error(error, request), version

    def application(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        request = Request(environ)
        request.max_content_length = limits.body_bytes
        response, version = respond(request)
        if (request.content_length or 0) > _LARGE_BODY:
            give_back_memory()
        _xapi_headers(_challenge(response, request), request, version, clock)
        if not keeps_connection(request):
            # Said, not left to the server: a client told nothing would send its next request into a
            # connection about to close (RFC 9112 §9.6). granian passes the header on and closes after it.
            response.headers["Connection"] = "close"
        return response(environ, start_response)

    return application
