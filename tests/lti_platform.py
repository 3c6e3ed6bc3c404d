"""A Moodle-4.5-like LTI 1.3 platform for tests, served over real HTTP on loopback.

It mirrors what the captured Moodle 4.5.5+ sent (tests/fixtures/moodle-4.5): ``iss`` = its wwwroot, a
single-string ``aud``, ``exp`` = ``iat`` + 60, deployment id = tool type id ("1"), JSON
``lti_message_hint``, Moodle's endpoint paths and its refusals (single-use registration token, AGS
score timestamps that must be newer in whole seconds, NRPS pages linked by ``Link: rel="next"``). It
verifies what the tool sends with PyJWT directly, never with the ``lti`` package under test."""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import json
import secrets
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from flask import Flask, Response, abort, jsonify, request

from tests.servers import serve_app

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
DL = "https://purl.imsglobal.org/spec/lti-dl/claim/"
LIS = "http://purl.imsglobal.org/vocab/lis/v2/"
LEARNER, INSTRUCTOR = LIS + "membership#Learner", LIS + "membership#Instructor"
ADMIN_ROLES = (LIS + "system/person#Administrator", LIS + "institution/person#Administrator")
AGS_SCOPES = [f"https://purl.imsglobal.org/spec/lti-ags/scope/{s}"
              for s in ("lineitem", "lineitem.readonly", "result.readonly", "score")]
NRPS_SCOPE = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
COURSE = {"id": "2", "label": "LTILAB", "title": "LTI Lab Course", "type": ["CourseSection"]}


@dataclass
class User:
    id: str
    username: str
    given: str
    family: str
    kind: str  # "student", "teacher" or "admin"

    @property
    def roles(self) -> list[str]:
        # Moodle's lti_get_ims_role: managers/teachers Instructor, else Learner; site admins lose Learner
        # and gain system + institution Administrator.
        if self.kind == "admin":
            return [INSTRUCTOR, *ADMIN_ROLES]
        return [INSTRUCTOR] if self.kind == "teacher" else [LEARNER]


@dataclass
class Tool:
    type_id: int
    client_id: str
    target_link_uri: str
    redirect_uris: list[str]
    initiate_login_uri: str = ""
    jwks_uri: str | None = None
    jwks: dict[str, Any] | None = None
    scopes: list[str] = field(default_factory=lambda: [*AGS_SCOPES, NRPS_SCOPE])
    config: dict[str, Any] = field(default_factory=dict)
    state: str = "configured"

    @property
    def deployment_id(self) -> str:
        return str(self.type_id)


def _new_key() -> tuple[str, rsa.RSAPrivateKey]:
    return secrets.token_hex(10), rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _b64(value: int) -> str:
    return base64.urlsafe_b64encode(value.to_bytes((value.bit_length() + 7) // 8, "big")).rstrip(b"=").decode()


def _raw_jwt(header: Mapping[str, Any], payload: Mapping[str, Any], sign: Any) -> str:
    def part(data: Mapping[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    signing_input = f"{part(header)}.{part(payload)}"
    signature = base64.urlsafe_b64encode(sign(signing_input.encode())).rstrip(b"=").decode()
    return f"{signing_input}.{signature}"


class MoodlePlatform:
    """State and token minting. ``url`` is set when the HTTP server starts (see ``running_platform``)."""

    def __init__(self) -> None:
        self.url = ""
        self.keys: list[tuple[str, rsa.RSAPrivateKey]] = [_new_key()]
        self.users = {u.id: u for u in (User("2", "admin", "Admin", "User", "admin"),
                                        User("3", "student1", "Sam", "Student", "student"),
                                        User("4", "teacher1", "Tina", "Teacher", "teacher"))}
        self.enrolled = ["3", "4"]
        self.tools: dict[str, Tool] = {}
        self.pending_launches: dict[str, tuple[str, str]] = {}  # launchid -> (user id, message type)
        self.used_registration_subs: set[str] = set()
        self.access_tokens: dict[str, tuple[str, list[str], float]] = {}
        self.used_jti: set[str] = set()
        self.token_requests = 0
        self.line_items: dict[int, dict[str, Any]] = {
            1: {"label": "Lab LTI Activity", "scoreMaximum": 100, "resourceLinkId": "1"}}
        self.grades: dict[tuple[int, str], tuple[float | None, int]] = {}  # (item, user) -> (score, timemodified)
        self.deep_link_returns: list[dict[str, Any]] = []
        self.nrps_page_size = 100
        self.token_lifetime = 3600
        self.lock = threading.Lock()

    # --- keys and signing -------------------------------------------------------------------------
    @property
    def kid(self) -> str:
        return self.keys[-1][0]

    def jwks(self) -> dict[str, Any]:
        def jwk(kid: str, key: rsa.RSAPrivateKey) -> dict[str, str]:
            numbers = key.public_key().public_numbers()
            return {"kty": "RSA", "alg": "RS256", "kid": kid, "e": _b64(numbers.e), "n": _b64(numbers.n), "use": "sig"}

        return {"keys": [jwk(kid, key) for kid, key in self.keys]}

    def rotate_key(self, *, keep_old: bool = False) -> str:
        """Moodle rotates by replacing its key; ``keep_old`` publishes both for a while."""
        self.keys = [*(self.keys if keep_old else []), _new_key()]
        return self.kid

    def sign(self, payload: Mapping[str, Any], *, kid: str | None = None, headers: Mapping[str, Any] | None = None,
             key: rsa.RSAPrivateKey | None = None) -> str:
        header = {"typ": "JWT", "kid": self.kid if kid is None else kid, **(headers or {})}
        if kid == "":
            header.pop("kid")
        return jwt.encode(dict(payload), key or self.keys[-1][1], algorithm="RS256", headers=header)

    def sign_none(self, payload: Mapping[str, Any]) -> str:
        return _raw_jwt({"typ": "JWT", "alg": "none", "kid": self.kid}, payload, lambda _: b"")

    def sign_hs256_with_public_key(self, payload: Mapping[str, Any]) -> str:
        """The classic key-confusion attack: HMAC keyed with the platform's *public* key PEM."""
        public = self.keys[-1][1].public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        return _raw_jwt({"typ": "JWT", "alg": "HS256", "kid": self.kid}, payload,
                        lambda data: hmac.new(public, data, hashlib.sha256).digest())

    def sign_with_foreign_key(self, payload: Mapping[str, Any]) -> str:
        """Right header (our kid), wrong private key: a bad signature."""
        return self.sign(payload, key=_new_key()[1])

    # --- tools and launches -----------------------------------------------------------------------
    def add_tool(self, *, target_link_uri: str = "http://127.0.0.1:5000/lti/launch", jwks_uri: str | None = None,
                 jwks: dict[str, Any] | None = None, client_id: str | None = None) -> Tool:
        tool = Tool(type_id=len(self.tools) + 1, client_id=client_id or secrets.token_urlsafe(11)[:15],
                    target_link_uri=target_link_uri, redirect_uris=[target_link_uri], jwks_uri=jwks_uri, jwks=jwks)
        self.tools[tool.client_id] = tool
        return tool

    def tool(self, client_id: str | None = None) -> Tool:
        return self.tools[client_id] if client_id else next(iter(self.tools.values()))

    def services(self, tool: Tool) -> str:
        return f"{self.url}/mod/lti/services.php"

    def launch_payload(self, user_id: str = "3", *, tool: Tool | None = None,
                       message_type: str = "LtiResourceLinkRequest", nonce: str | None = None,
                       now: float | None = None) -> dict[str, Any]:
        """Claims shaped exactly like tests/fixtures/moodle-4.5/launch-*.json and deeplink-teacher.json."""
        tool, user = tool or self.tool(), self.users[user_id]
        iat = int(time.time() if now is None else now)
        memberships = f"{self.services(tool)}/CourseSection/2/bindings/{tool.type_id}/memberships"
        payload: dict[str, Any] = {
            "nonce": nonce or "n-" + secrets.token_hex(8), "iat": iat, "exp": iat + 60, "iss": self.url,
            "aud": tool.client_id, LTI + "deployment_id": tool.deployment_id,
            LTI + "target_link_uri": tool.target_link_uri, "sub": user.id,
            LTI + "lis": {"person_sourcedid": "", "course_section_sourcedid": ""},
            LTI + "roles": user.roles, LTI + "context": dict(COURSE), LTI + "message_type": message_type,
            "given_name": user.given, "family_name": user.family, "name": f"{user.given} {user.family}",
            LTI + "ext": {"user_username": user.username, "lms": "moodle-2"},
            "email": f"{user.username}@example.com",
            LTI + "launch_presentation": {"locale": "en"},
            LTI + "tool_platform": {"product_family_code": "moodle", "version": "2024100705.01",
                                    "guid": "83a5cb9b05a43c3c79c9c11e3a5dd199", "name": "lab", "description": "Lab"},
            LTI + "version": "1.3.0",
            LTI + "custom": {"lab": "moodle-lab", "context_memberships_url": memberships},
            "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint": {
                "scope": AGS_SCOPES, "lineitems": f"{self.services(tool)}/2/lineitems?type_id={tool.type_id}"},
            "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice": {
                "context_memberships_url": memberships, "service_versions": ["1.0", "2.0"]},
        }
        if message_type == "LtiDeepLinkingRequest":
            payload[DL + "deep_linking_settings"] = {
                "accept_types": ["ltiResourceLink"], "accept_presentation_document_targets": ["frame", "iframe",
                                                                                             "window"],
                "accept_copy_advice": False, "accept_multiple": True, "accept_unsigned": False, "auto_create": False,
                "can_confirm": False, "deep_link_return_url": f"{self.url}/mod/lti/contentitem_return.php?course=2"
                f"&id={tool.type_id}&sesskey={secrets.token_hex(5)}", "title": "Deep link from lab",
                "text": "Choose content"}
            return payload
        payload[LTI + "resource_link"] = {"title": "Lab LTI Activity", "description": "LTI 1.3 launch to the lab tool",
                                          "id": "1"}
        payload[LTI + "launch_presentation"] = {
            "locale": "en", "document_target": "iframe",
            "return_url": f"{self.url}/mod/lti/return.php?course=2&launch_container=3&instanceid=1&sesskey=x"}
        payload[LTI + "custom"]["activity_param"] = "act1"
        payload["https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"]["lineitem"] = (
            f"{self.services(tool)}/2/lineitems/1/lineitem?type_id={tool.type_id}")
        return payload

    def id_token(self, user_id: str = "3", **kwargs: Any) -> str:
        return self.sign(self.launch_payload(user_id, **kwargs))

    def initiate_login(self, user_id: str = "3", *, tool: Tool | None = None,
                       message_type: str = "LtiResourceLinkRequest") -> dict[str, str]:
        """The fields of Moodle's ``ltiInitiateLoginForm`` (see launch-student.json ``capture``)."""
        tool = tool or self.tool()
        launchid = f"ltilaunch1_{secrets.randbelow(10**9)}"
        self.pending_launches[launchid] = (user_id, message_type)
        hint = {"cmid": 2, "launchid": launchid} if message_type == "LtiResourceLinkRequest" else {"launchid": launchid}
        return {"iss": self.url, "target_link_uri": tool.target_link_uri, "login_hint": user_id,
                "lti_message_hint": json.dumps(hint, separators=(",", ":")), "client_id": tool.client_id,
                "lti_deployment_id": tool.deployment_id}

    def authorize(self, params: Mapping[str, str]) -> tuple[str, str, str]:
        """What /mod/lti/auth.php does: check the OIDC request, return (redirect_uri, id_token, state)."""
        for name in ("scope", "response_type", "client_id", "redirect_uri", "login_hint", "nonce",
                     "lti_message_hint"):
            if not params.get(name):
                abort(400, f"invalid_request: missing {name}")
        if params["scope"] != "openid" or params["response_type"] != "id_token":
            abort(400, "invalid_scope / unsupported_response_type")
        if params.get("response_mode", "form_post") != "form_post" or params.get("prompt", "none") != "none":
            abort(400, "invalid_request: response_mode / prompt")
        tool = self.tools.get(params["client_id"]) or abort(400, "unauthorized_client")
        if params["redirect_uri"] not in tool.redirect_uris:
            abort(400, "invalid_request: redirect_uri not registered")
        launch = self.pending_launches.pop(json.loads(params["lti_message_hint"]).get("launchid", ""), None)
        if launch is None or launch[0] != params["login_hint"]:
            abort(400, "invalid_request: unknown or used launch")
        payload = self.launch_payload(launch[0], tool=tool, message_type=launch[1], nonce=params["nonce"])
        return params["redirect_uri"], self.sign(payload), params.get("state", "")

    def registration_token(self, *, scope: str = "reg", sub: str | None = None, lifetime: int = 3600) -> str:
        now = int(time.time())
        return self.sign({"sub": sub or secrets.token_urlsafe(11)[:15], "scope": scope, "iat": now,
                          "exp": now + lifetime})

    def start_registration(self, tool_registration_url: str) -> str:
        """Where Moodle's startltiadvregistration.php redirects (dynamic-registration-start.json)."""
        query = {"openid_configuration": f"{self.url}/mod/lti/openid-configuration.php",
                 "registration_token": self.registration_token()}
        return f"{tool_registration_url}?{urlencode(query)}"

    # --- verification of what the tool sends ------------------------------------------------------
    def tool_key(self, tool: Tool, token: str) -> Any:
        kid = jwt.get_unverified_header(token).get("kid") or abort(400, "no kid in JWT header")
        keys = tool.jwks if tool.jwks is not None else jwt.PyJWKClient(str(tool.jwks_uri), timeout=5).get_jwk_set()
        if isinstance(keys, dict):
            keys = jwt.PyJWKSet.from_dict(keys)
        for key in keys.keys:
            if key.key_id == kid:
                return key.key
        abort(400, f"kid {kid} not in the tool's key set")

    def verify_from_tool(self, token: str, *, audience: str) -> tuple[Tool, dict[str, Any]]:
        try:
            unverified = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError:
            abort(400, "malformed JWT")
        tool = self.tools.get(str(unverified.get("iss"))) or abort(400, "unknown tool (iss)")
        try:
            claims = jwt.decode(token, self.tool_key(tool, token), algorithms=["RS256"], audience=audience,
                                issuer=tool.client_id, options={"require": ["iss", "aud", "exp", "iat"]})
        except jwt.PyJWTError as exc:
            abort(400, f"invalid JWT: {exc}")
        return tool, claims


def create_app(platform: MoodlePlatform) -> Flask:  # noqa: C901 - one small route per Moodle endpoint
    app = Flask(__name__)

    @app.get("/mod/lti/certs.php")
    def certs() -> Response:
        return jsonify(platform.jwks())

    @app.get("/mod/lti/openid-configuration.php")
    def openid_configuration() -> Response:
        with open(_FIXTURES + "/openid-configuration.json", encoding="utf-8") as handle:
            text = handle.read().replace("http://127.0.0.1:8081", platform.url)
        return Response(text, mimetype="application/json")

    @app.route("/mod/lti/auth.php", methods=["GET", "POST"])
    def auth() -> str:
        redirect_uri, id_token, state = platform.authorize(request.values.to_dict())
        return (f'<form id="ltiAuthForm" action="{html.escape(redirect_uri)}" method="post">'
                f'<input type="hidden" name="id_token" value="{id_token}">'
                f'<input type="hidden" name="state" value="{html.escape(state)}"></form>'
                "<script>document.getElementById('ltiAuthForm').submit();</script>")

    @app.post("/mod/lti/token.php")
    def token() -> Response:
        form = request.form
        if form.get("grant_type") != "client_credentials" or form.get("client_assertion_type") != \
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer":
            return Response('{"error":"unsupported_grant_type"}', 400, mimetype="application/json")
        tool, claims = platform.verify_from_tool(form.get("client_assertion", ""),
                                                 audience=f"{platform.url}/mod/lti/token.php")
        if claims.get("sub") != tool.client_id or not claims.get("jti") or claims["jti"] in platform.used_jti:
            return Response('{"error":"invalid_client"}', 400, mimetype="application/json")
        platform.used_jti.add(claims["jti"])
        scopes = [s for s in form.get("scope", "").split() if s in tool.scopes]
        if not scopes:
            return Response('{"error":"invalid_scope"}', 400, mimetype="application/json")
        value = secrets.token_hex(16)
        platform.access_tokens[value] = (tool.client_id, scopes, time.time() + platform.token_lifetime)
        platform.token_requests += 1
        return jsonify({"access_token": value, "token_type": "Bearer", "expires_in": platform.token_lifetime,
                        "scope": " ".join(scopes)})

    def authorised(*scopes: str) -> Tool:
        header = request.headers.get("Authorization", "")
        grant = platform.access_tokens.get(header.removeprefix("Bearer ")) if header.startswith("Bearer ") else None
        if grant is None or grant[2] < time.time() or not set(scopes) & set(grant[1]):
            abort(401)
        tool = platform.tools[grant[0]]
        if request.args.get("type_id") != tool.deployment_id:
            abort(400, "type_id does not match the token's tool")
        return tool

    def line_item_json(item_id: int, tool: Tool) -> dict[str, Any]:
        item = platform.line_items[item_id]
        return {"id": f"{platform.services(tool)}/2/lineitems/{item_id}/lineitem?type_id={tool.type_id}", **item}

    @app.route("/mod/lti/services.php/2/lineitems", methods=["GET", "POST"])
    def lineitems() -> Response:
        if request.method == "GET":
            tool = authorised(AGS_SCOPES[0], AGS_SCOPES[1])
            found = [line_item_json(i, tool) for i, item in platform.line_items.items()
                     if all(item.get(k) == request.args[a] for a, k in
                            (("resource_id", "resourceId"), ("tag", "tag")) if a in request.args)]
            return Response(json.dumps(found), mimetype="application/vnd.ims.lis.v2.lineitemcontainer+json")
        tool = authorised(AGS_SCOPES[0])
        body = request.get_json(force=True)
        if not isinstance(body, dict) or not body.get("label") or not isinstance(body.get("scoreMaximum"), int | float):
            abort(400, "Incorrect payload received")
        with platform.lock:
            item_id = max(platform.line_items, default=1) + 1
            platform.line_items[item_id] = {k: body[k] for k in ("label", "scoreMaximum", "resourceId", "tag",
                                                                  "resourceLinkId") if k in body}
        return Response(json.dumps(line_item_json(item_id, tool)), 201,
                        mimetype="application/vnd.ims.lis.v2.lineitem+json")

    @app.post("/mod/lti/services.php/2/lineitems/<int:item_id>/lineitem/scores")
    def scores(item_id: int) -> Response:
        authorised(AGS_SCOPES[3])
        if item_id not in platform.line_items:
            abort(404)
        score = request.get_json(force=True)
        required = ("userId", "timestamp", "gradingProgress", "activityProgress")
        if not isinstance(score, dict) or any(k not in score for k in required) or \
                score["userId"] not in platform.enrolled or ("scoreGiven" in score and "scoreMaximum" not in score):
            abort(400, "Incorrect score received")
        stamp = int(datetime.fromisoformat(score["timestamp"]).timestamp())  # PHP strtotime: whole seconds
        with platform.lock:
            held = platform.grades.get((item_id, score["userId"]))
            if held is not None and held[1] >= stamp:
                abort(409, f"Refusing score with an earlier timestamp for item {item_id} and user {score['userId']}")
            given = score.get("scoreGiven") if score["gradingProgress"] == "FullyGraded" else None
            platform.grades[(item_id, score["userId"])] = (given, stamp)
        return Response("", 200)

    @app.get("/mod/lti/services.php/CourseSection/2/bindings/<int:type_id>/memberships")
    def memberships(type_id: int) -> Response:
        tool = authorised(NRPS_SCOPE)
        if type_id != tool.type_id:
            abort(403)
        start = int(request.args.get("from", 0))
        limit = min(int(request.args.get("limit", platform.nrps_page_size)), platform.nrps_page_size)
        page = platform.enrolled[start:start + limit]
        members = [{"status": "Active", "roles": platform.users[i].roles, "user_id": i, "lis_person_sourcedid": "",
                    "given_name": platform.users[i].given, "family_name": platform.users[i].family,
                    "name": f"{platform.users[i].given} {platform.users[i].family}",
                    "email": f"{platform.users[i].username}@example.com"} for i in page]
        url = f"{platform.services(tool)}/CourseSection/2/bindings/{type_id}/memberships"
        body = {"id": request.url, "context": {k: COURSE[k] for k in ("id", "label", "title")}, "members": members}
        response = Response(json.dumps(body), mimetype="application/vnd.ims.lti-nrps.v2.membershipcontainer+json")
        if start + limit < len(platform.enrolled):
            query = urlencode({"type_id": type_id, "limit": limit, "from": start + limit})
            response.headers["Link"] = f'<{url}?{query}>; rel="next"'
        return response

    @app.post("/mod/lti/contentitem_return.php")
    def contentitem_return() -> str:
        tool, claims = platform.verify_from_tool(request.form.get("JWT", ""), audience=platform.url)
        if claims.get(LTI + "message_type") != "LtiDeepLinkingResponse" or claims.get(LTI + "version") != "1.3.0" \
                or claims.get(LTI + "deployment_id") != tool.deployment_id or not claims.get("nonce"):
            abort(400, "invalid deep linking response")
        platform.deep_link_returns.append({"client_id": tool.client_id, "claims": claims,
                                           "items": claims.get(DL + "content_items", []),
                                           "query": dict(parse_qsl(urlsplit(request.url).query))})
        return "<p>Content added</p>"

    @app.post("/mod/lti/openid-registration.php")
    def openid_registration() -> Response:
        return register_tool(platform, request.headers.get("Authorization", ""), request.get_json(silent=True))

    return app


def register_tool(platform: MoodlePlatform, authorization: str, payload: Any) -> Response:
    """Moodle's openid-registration.php + registration_helper (token checks, registration_to_config)."""
    def refuse(message: str, status: int = 400) -> Response:
        return Response(message, status)

    try:
        token = jwt.decode(authorization.removeprefix("Bearer "), platform.keys[-1][1].public_key(),
                           algorithms=["RS256"])
    except jwt.PyJWTError:
        return refuse("invalid registration token", 401)
    if token.get("scope") != "reg":
        return refuse("Incorrect scope", 403)
    if token["sub"] in platform.used_registration_subs:
        return refuse("token_already_used", 401)
    if not isinstance(payload, dict):
        return refuse("missing registration payload")
    for name in ("response_types", "initiate_login_uri", "redirect_uris", "client_name", "jwks_uri",
                 "token_endpoint_auth_method", "https://purl.imsglobal.org/spec/lti-tool-configuration"):
        if not payload.get(name):
            return refuse(f"missing required attribute {name}")
    config = payload["https://purl.imsglobal.org/spec/lti-tool-configuration"]
    domain = str(config.get("domain", ""))
    target = config.get("target_link_uri") or f"https://{domain}"
    if not domain or urlsplit(target).netloc != domain.removeprefix("www."):
        return refuse("domain_targetlinkuri_mismatch")
    if "id_token" not in payload["response_types"] or payload["token_endpoint_auth_method"] != "private_key_jwt" \
            or payload.get("application_type", "web") != "web" or not isinstance(payload["redirect_uris"], list):
        return refuse("invalid registration")
    platform.used_registration_subs.add(token["sub"])
    tool = platform.add_tool(target_link_uri=target, jwks_uri=payload["jwks_uri"], client_id=token["sub"])
    tool.redirect_uris, tool.initiate_login_uri, tool.state = payload["redirect_uris"], payload["initiate_login_uri"], \
        "pending"
    tool.scopes = [s for s in str(payload.get("scope", "")).split() if s in (*AGS_SCOPES, NRPS_SCOPE)]
    tool.config = payload
    response = {k: payload.get(k) for k in ("response_types", "jwks_uri", "initiate_login_uri", "grant_types",
                                            "redirect_uris", "application_type", "token_endpoint_auth_method",
                                            "client_name", "logo_uri", "scope")}
    response["client_id"] = tool.client_id
    response["https://purl.imsglobal.org/spec/lti-tool-configuration"] = {
        "version": "1.3.0", "deployment_id": tool.deployment_id, "target_link_uri": target, "domain": domain,
        "claims": ["sub", "iss", "name", "family_name", "given_name", "email"], "messages": config.get("messages", [])}
    return Response(json.dumps(response), 200, mimetype="application/json")


_FIXTURES = str(__import__("pathlib").Path(__file__).parent / "fixtures" / "moodle-4.5")


@contextmanager
def running_platform() -> Iterator[MoodlePlatform]:
    platform = MoodlePlatform()
    with serve_app(create_app(platform)) as url:
        platform.url = url
        yield platform


class ToolKeysApp:
    """The tool side's published JWKS, served over HTTP so the platform can fetch it like Moodle does."""

    def __init__(self) -> None:
        self.jwks: dict[str, Any] = {"keys": []}

    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        body = json.dumps(self.jwks).encode()
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return [body]
