"""The Moodle endpoints of :class:`~plugin.demo.moodle.MoodlePlatform` as a Flask app: the keys, OpenID
configuration, OIDC auth, token, AGS, NRPS, deep-linking return, dynamic registration and the Web Services
function ``core_course_get_contents``; and, for the demonstration site, Moodle's ``launch.php`` (the
auto-submitting login-initiation form an LTI activity opens)."""

from __future__ import annotations

import hmac
import html
import json
import secrets
import time
from datetime import datetime
from importlib import resources
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import jwt
from flask import Flask, Response, abort, jsonify, request

from plugin.demo.moodle import AGS_SCOPES, DL, INSTRUCTOR, LTI, NRPS_SCOPE, MoodlePlatform, Tool

__all__ = ["add_launch_page", "create_app", "register_tool"]


def _autosubmit(form_id: str, action: str, fields: dict[str, str]) -> str:
    inputs = "".join(f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
                     for k, v in fields.items())
    return (f'<form id="{form_id}" name="{form_id}" action="{html.escape(action)}" method="post">{inputs}</form>'
            f"<script>document.getElementById('{form_id}').submit();</script>")


def create_app(platform: MoodlePlatform) -> Flask:  # noqa: C901 - one small route per Moodle endpoint
    app = Flask(__name__)

    @app.get("/mod/lti/certs.php")
    def certs() -> Response:
        return jsonify(platform.jwks())

    @app.get("/mod/lti/openid-configuration.php")
    def openid_configuration() -> Response:
        text = resources.files("plugin.demo").joinpath("openid-configuration.json").read_text(encoding="utf-8")
        return Response(text.replace("http://127.0.0.1:8081", platform.url), mimetype="application/json")

    @app.route("/mod/lti/auth.php", methods=["GET", "POST"])
    def auth() -> str:
        redirect_uri, id_token, state = platform.authorize(request.values.to_dict())
        return _autosubmit("ltiAuthForm", redirect_uri, {"id_token": id_token, "state": state})

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

    def authorised(*scopes: str, type_id: int | None = None) -> Tool:
        header = request.headers.get("Authorization", "")
        grant = platform.access_tokens.get(header.removeprefix("Bearer ")) if header.startswith("Bearer ") else None
        if grant is None or grant[2] < time.time() or not set(scopes) & set(grant[1]):
            abort(401)
        tool = platform.tools[grant[0]]
        # The AGS URLs name the tool only in ``type_id``; the NRPS URL names it in its path (binding).
        given = request.args.get("type_id", None if type_id is None else str(type_id))
        if given != tool.deployment_id:
            abort(400, "type_id does not match the token's tool")
        return tool

    def course_or_404(course_id: str) -> None:
        if course_id != platform.course["id"]:
            abort(404)

    def line_item_json(item_id: int, tool: Tool) -> dict[str, Any]:
        item = platform.line_items[item_id]
        return {"id": f"{platform.services(tool)}/{platform.course['id']}/lineitems/{item_id}/lineitem"
                      f"?type_id={tool.type_id}", **item}

    @app.route("/mod/lti/services.php/<course_id>/lineitems", methods=["GET", "POST"])
    def lineitems(course_id: str) -> Response:
        course_or_404(course_id)
        if request.method == "GET":
            tool = authorised(AGS_SCOPES[0], AGS_SCOPES[1])
            found = [line_item_json(i, tool) for i, item in platform.line_items.items()
                     if all(item.get(k) == request.args[a] for a, k in
                            (("resource_id", "resourceId"), ("tag", "tag"), ("resource_link_id", "resourceLinkId"))
                            if a in request.args)]
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

    @app.post("/mod/lti/services.php/<course_id>/lineitems/<int:item_id>/lineitem/scores")
    def scores(course_id: str, item_id: int) -> Response:
        course_or_404(course_id)
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

    @app.get("/mod/lti/services.php/CourseSection/<course_id>/bindings/<int:type_id>/memberships")
    def memberships(course_id: str, type_id: int) -> Response:
        course_or_404(course_id)
        tool = authorised(NRPS_SCOPE, type_id=type_id)
        if type_id != tool.type_id:
            abort(403)
        start = request.args.get("from", 0, type=int)
        limit = min(request.args.get("limit", platform.nrps_page_size, type=int), platform.nrps_page_size)
        page = platform.enrolled[start:start + limit]
        members = [{"status": "Active", "roles": platform.users[i].roster_roles, "user_id": i,
                    "lis_person_sourcedid": "",
                    "given_name": platform.users[i].given, "family_name": platform.users[i].family,
                    "name": platform.users[i].name, "email": f"{platform.users[i].username}@example.com"}
                   for i in page]
        url = f"{platform.services(tool)}/CourseSection/{course_id}/bindings/{type_id}/memberships"
        body = {"id": request.url, "context": {k: platform.course[k] for k in ("id", "label", "title")},
                "members": members}
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

    @app.post("/webservice/rest/server.php")
    def webservice() -> Response:
        """Moodle's REST server, for the functions Samattha calls; a refused call is HTTP 200 with Moodle's
        exception shape, as Moodle answers it."""
        form = request.form
        if not hmac.compare_digest(form.get("wstoken", ""), platform.webservice_token):
            return jsonify({"exception": "moodle_exception", "errorcode": "invalidtoken",
                            "message": "Invalid token - token not found"})
        function = form.get("wsfunction")
        if function not in platform.webservice_functions or form.get("moodlewsrestformat") != "json":
            return jsonify({"exception": "webservice_access_exception", "errorcode": "accessexception",
                            "message": "Access control exception"})
        if form.get("courseid") != platform.course["id"]:
            return jsonify({"exception": "dml_missing_record_exception", "errorcode": "invalidrecord",
                            "message": "Can't find data record in database table course."})
        if function == "core_enrol_get_enrolled_users":
            return jsonify(enrolled_users(form))
        return jsonify(platform.course_contents())

    def enrolled_users(form: Any) -> list[dict[str, Any]]:
        # options[i][name] = userfields: only those fields (the id always), as core_enrol_external does.
        options = {form.get(f"options[{i}][name]"): form.get(f"options[{i}][value]", "") for i in range(10)}
        users = [platform.users[i].enrolled_user(platform.url, platform.course) for i in platform.enrolled]
        fields = options.get("userfields")
        if fields:
            wanted = {"id", *(name.strip() for name in fields.split(","))}
            users = [{k: v for k, v in user.items() if k in wanted} for user in users]
        return users

    @app.post("/mod/lti/openid-registration.php")
    def openid_registration() -> Response:
        return register_tool(platform, request.headers.get("Authorization", ""), request.get_json(silent=True))

    return app


def add_launch_page(app: Flask, platform: MoodlePlatform) -> None:
    """Moodle's ``/mod/lti/launch.php?id=<cmid>`` and ``contentitem.php``: each posts ``ltiInitiateLoginForm``
    to the tool's login URL. Moodle knows the user from its session; the demonstration site has no login, so
    ``user`` names them."""

    @app.get("/mod/lti/launch.php")
    def launch() -> str:
        cmid = request.args.get("id", type=int)
        user = request.args.get("user", "")
        if cmid not in platform.links:
            abort(404, "id: no such LTI activity in this course")
        if user not in platform.users or user not in platform.enrolled:
            abort(400, "user: not enrolled in this course")
        if not platform.tools:
            abort(409, "no tool is configured")
        tool = platform.tool()
        action = tool.initiate_login_uri or tool.target_link_uri.rsplit("/", 1)[0] + "/login"
        return _autosubmit("ltiInitiateLoginForm", action, platform.initiate_login(user, tool=tool, cmid=cmid))

    @app.get("/mod/lti/contentitem.php")
    def contentitem() -> str:
        """The activity form's "Select content" button: a deep-linking launch for an instructor."""
        user = request.args.get("user", "")
        if user not in platform.enrolled or INSTRUCTOR not in platform.users[user].roles:
            abort(403, "user: only a teacher of this course may select content")
        tool = platform.tools.get(request.args.get("client_id", "")) if request.args.get("client_id") else \
            next(iter(platform.tools.values()), None)
        if tool is None:
            abort(404, "client_id: no such tool")
        action = tool.initiate_login_uri or tool.target_link_uri.rsplit("/", 1)[0] + "/login"
        return _autosubmit("ltiInitiateLoginForm", action,
                           platform.initiate_login(user, tool=tool, message_type="LtiDeepLinkingRequest"))


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
    auth_method = payload["token_endpoint_auth_method"]
    if "id_token" not in payload["response_types"] or auth_method != "private_key_jwt" \
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
