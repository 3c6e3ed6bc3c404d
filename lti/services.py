"""Platform services called by the tool: the OAuth 2 client-credentials token (Security Framework §4.1),
Assignment and Grade Services 2.0 and Names and Role Provisioning Services 2.0."""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import requests

from lti.errors import ServiceError
from lti.model import Registration
from lti.tool_keys import ToolKey, sign_jwt

__all__ = [
    "SCOPE_LINEITEM", "SCOPE_LINEITEM_READONLY", "SCOPE_MEMBERSHIPS", "SCOPE_RESULT_READONLY", "SCOPE_SCORE",
    "ServiceClient", "TokenCache", "service_url",
]

SCOPE_LINEITEM = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"
SCOPE_LINEITEM_READONLY = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly"
SCOPE_RESULT_READONLY = "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly"
SCOPE_SCORE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
SCOPE_MEMBERSHIPS = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
CLIENT_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ASSERTION_LIFETIME = 300
EXPIRY_MARGIN = 30  # seconds before a token's stated expiry when we stop using it
MAX_RESPONSE_BYTES = 8 * 1024 * 1024


def service_url(base: str, suffix: str = "", query: Mapping[str, str] | None = None) -> str:
    """Append a path segment *before* the query: Moodle's URLs carry ``?type_id=N``
    (``.../lineitems/2/lineitem?type_id=1`` → ``.../lineitems/2/lineitem/scores?type_id=1``)."""
    parts = urlsplit(base)
    path = parts.path.rstrip("/") + suffix if suffix else parts.path
    params = parse_qsl(parts.query, keep_blank_values=True) + list((query or {}).items())
    return urlunsplit((parts.scheme, parts.netloc, path, urlencode(params), parts.fragment))


@dataclass
class _Token:
    value: str
    expires_at: float


class TokenCache:
    """Access tokens by (token URL, client_id, scopes) until shortly before they expire. The plugin keeps
    one per process so every service call does not cost a token request."""

    def __init__(self) -> None:
        self._tokens: dict[tuple[str, str, frozenset[str]], _Token] = {}
        self._lock = threading.Lock()

    def get(self, key: tuple[str, str, frozenset[str]], now: float) -> str | None:
        with self._lock:
            token = self._tokens.get(key)
            return token.value if token is not None and token.expires_at > now else None

    def put(self, key: tuple[str, str, frozenset[str]], value: str, expires_at: float) -> None:
        with self._lock:
            self._tokens[key] = _Token(value, expires_at)


def _json(response: requests.Response, url: str) -> Any:
    if len(response.content) > MAX_RESPONSE_BYTES:
        raise ServiceError("response_too_large", f"{url} answered with more than {MAX_RESPONSE_BYTES} bytes.",
                           url=url, status=response.status_code)
    try:
        return response.json()
    except ValueError as exc:
        raise ServiceError("bad_response", f"{url} did not answer with JSON.", url=url,
                           status=response.status_code) from exc


class ServiceClient:
    """Authorised HTTP calls to one platform registration's services."""

    def __init__(
        self,
        registration: Registration,
        key: ToolKey,
        *,
        cache: TokenCache | None = None,
        session: requests.Session | None = None,
        timeout: float = 5.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.registration = registration
        self.key = key
        self.cache = cache if cache is not None else TokenCache()
        self.session = session if session is not None else requests.Session()
        self.timeout = timeout
        self.clock = clock

    def client_assertion(self) -> str:
        """Security Framework §4.1.1: iss = sub = client_id, aud = the token endpoint, single-use jti."""
        now = int(self.clock())
        reg = self.registration
        claims = {"iss": reg.client_id, "sub": reg.client_id, "aud": reg.auth_audience or reg.auth_token_url,
                  "iat": now, "exp": now + ASSERTION_LIFETIME, "jti": secrets.token_urlsafe(16)}
        return sign_jwt(claims, self.key)

    def access_token(self, scopes: Iterable[str]) -> str:
        wanted = frozenset(scopes)
        cache_key = (self.registration.auth_token_url, self.registration.client_id, wanted)
        cached = self.cache.get(cache_key, self.clock())
        if cached is not None:
            return cached
        url = self.registration.auth_token_url
        form = {"grant_type": "client_credentials", "client_assertion_type": CLIENT_ASSERTION_TYPE,
                "client_assertion": self.client_assertion(), "scope": " ".join(sorted(wanted))}
        response = self._send("POST", url, data=form, headers={"Accept": "application/json"})
        body = _json(response, url)
        token = body.get("access_token") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token:
            raise ServiceError("bad_token_response", f"The platform's token endpoint {url} returned no access_token.",
                               url=url, status=response.status_code)
        lifetime = body.get("expires_in", 3600)
        lifetime = lifetime if isinstance(lifetime, int | float) and not isinstance(lifetime, bool) else 3600
        self.cache.put(cache_key, token, self.clock() + max(0.0, float(lifetime) - EXPIRY_MARGIN))
        return token

    def _send(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        try:
            response = self.session.request(method, url, timeout=self.timeout, allow_redirects=False, **kwargs)
        except requests.RequestException as exc:
            raise ServiceError("unreachable", f"Could not reach {url}: {exc.__class__.__name__}.", url=url) from exc
        if not 200 <= response.status_code < 300:
            detail = response.text[:300].strip()
            raise ServiceError(f"http_{response.status_code}", f"{method} {url} answered HTTP {response.status_code}"
                               + (f": {detail}" if detail else "."), url=url, status=response.status_code)
        return response

    def call(
        self,
        method: str,
        url: str,
        *,
        scopes: Iterable[str],
        accept: str,
        json_body: Any = None,
        content_type: str | None = None,
    ) -> requests.Response:
        """One service request with a bearer token for ``scopes`` (Security Framework §4.1)."""
        headers = {"Authorization": f"Bearer {self.access_token(scopes)}", "Accept": accept}
        kwargs: dict[str, Any] = {"headers": headers}
        if json_body is not None:
            headers["Content-Type"] = content_type or "application/json"
            kwargs["json"] = json_body
        return self._send(method, url, **kwargs)

    def call_json(self, method: str, url: str, **kwargs: Any) -> Any:
        return _json(self.call(method, url, **kwargs), url)
