"""A Moodle-4.5-like LTI 1.3 platform: its state and the tokens it signs.

It mirrors what a captured Moodle 4.5.5+ sent (the fixtures in tests/fixtures/moodle-4.5): ``iss`` = its
wwwroot, a single-string ``aud``, ``exp`` = ``iat`` + 60, deployment id = tool type id, JSON
``lti_message_hint``, the same claims and role URIs, Moodle's endpoint paths and its refusals (single-use
registration token, AGS score timestamps that must be newer in whole seconds, NRPS pages linked by
``Link: rel="next"``). ``samattha demo`` serves it next to the tool; the tests drive the same class. It
verifies what the tool sends with PyJWT directly, never with the ``lti`` package it exercises."""

from __future__ import annotations

import base64
import json
import secrets
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from flask import abort

__all__ = [
    "ADMIN_ROLES", "AGS_SCOPES", "DL", "INSTRUCTOR", "LEARNER", "LIS", "LTI", "MOODLE_ROLES", "NRPS_SCOPE", "Link",
    "Module", "MoodlePlatform", "Tool", "User",
]

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
DL = "https://purl.imsglobal.org/spec/lti-dl/claim/"
LIS = "http://purl.imsglobal.org/vocab/lis/v2/"
LEARNER, INSTRUCTOR = LIS + "membership#Learner", LIS + "membership#Instructor"
ADMIN_ROLES = (LIS + "system/person#Administrator", LIS + "institution/person#Administrator")
AGS_SCOPES = [f"https://purl.imsglobal.org/spec/lti-ags/scope/{s}"
              for s in ("lineitem", "lineitem.readonly", "result.readonly", "score")]
NRPS_SCOPE = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
LAB_COURSE = {"id": "2", "label": "LTILAB", "title": "LTI Lab Course", "type": ["CourseSection"]}


# Moodle's standard course roles: kind → (role id, shortname, sortorder), as mdl_role holds them.
MOODLE_ROLES = {"manager": (1, "manager", 1), "teacher": (3, "editingteacher", 3),
                "noneditingteacher": (4, "teacher", 4), "student": (5, "student", 5)}


@dataclass
class User:
    id: str
    username: str
    given: str
    family: str
    kind: str  # "student", "teacher" (editing), "noneditingteacher", "manager" or "admin"

    @property
    def roles(self) -> list[str]:
        # Moodle's lti_get_ims_role at a launch: Instructor to whoever has mod/lti:manage on the activity
        # (managers, editing and non-editing teachers), else Learner; site admins lose Learner and gain system +
        # institution Administrator.
        if self.kind == "admin":
            return [INSTRUCTOR, *ADMIN_ROLES]
        return [INSTRUCTOR] if self.kind in ("teacher", "noneditingteacher", "manager") else [LEARNER]

    @property
    def roster_roles(self) -> list[str]:
        # The same function for the NRPS roster, which has no activity: it checks moodle/course:manageactivities
        # on the course, which a non-editing teacher lacks, so the roster lists them as a Learner.
        if self.kind == "admin":
            return [INSTRUCTOR, *ADMIN_ROLES]
        return [INSTRUCTOR] if self.kind in ("teacher", "manager") else [LEARNER]

    def enrolled_user(self, wwwroot: str, course: Mapping[str, Any]) -> dict[str, Any]:
        """This user as core_enrol_get_enrolled_users returns them (user_get_user_details); standard roles have
        an empty ``name`` in mdl_role (Moodle shows their translated names)."""
        role = MOODLE_ROLES.get(self.kind)
        return {"id": int(self.id), "username": self.username, "firstname": self.given, "lastname": self.family,
                "fullname": self.name, "email": f"{self.username}@example.com", "department": "",
                "firstaccess": 0, "lastaccess": 0, "lastcourseaccess": 0, "description": "", "descriptionformat": 1,
                "profileimageurlsmall": f"{wwwroot}/theme/image.php/boost/core/1/u/f2",
                "profileimageurl": f"{wwwroot}/theme/image.php/boost/core/1/u/f1",
                "roles": [{"roleid": role[0], "name": "", "shortname": role[1], "sortorder": role[2]}] if role else [],
                "enrolledcourses": [{"id": int(course["id"]), "fullname": course["title"],
                                     "shortname": course["label"]}]}

    @property
    def name(self) -> str:
        return f"{self.given} {self.family}"


@dataclass
class Link:
    """An LTI activity in the course (mod_lti instance): its course module id, resource link id, title and the
    custom parameters Moodle sends with it (those a deep-linking response set, for placed content)."""

    cmid: int
    id: str
    title: str
    description: str = ""
    custom: dict[str, str] = field(default_factory=dict)
    url: str | None = None  # the content item's url; None = the tool's target_link_uri
    grade: float = 0  # mdl_lti.grade: 0 = no grade item
    line_item: dict[str, Any] | None = None  # the deep-linking lineItem it was created from


@dataclass(frozen=True)
class Module:
    """A course module other than an LTI activity (a page, quiz, assignment, forum …)."""

    cmid: int
    module: str  # Moodle's module name (modname): page, quiz, assign, forum
    title: str
    section: int = 1
    instance: int | None = None  # the module's own id (mdl_<module>.id); for an LTI activity, its resource link id


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


def new_key() -> tuple[str, rsa.RSAPrivateKey]:
    return secrets.token_hex(10), rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _b64(value: int) -> str:
    return base64.urlsafe_b64encode(value.to_bytes((value.bit_length() + 7) // 8, "big")).rstrip(b"=").decode()


# The lab site's users; the non-editing teacher "6" exists on the site but a test enrols them when it needs them.
_LAB_USERS = (User("2", "admin", "Admin", "User", "admin"), User("3", "student1", "Sam", "Student", "student"),
              User("4", "teacher1", "Tina", "Teacher", "teacher"),
              User("6", "teacher2", "Nok", "Noneditor", "noneditingteacher"))


class MoodlePlatform:
    """State and token minting. ``url`` (Moodle's wwwroot) is set once the HTTP server is up. Without
    arguments it is the lab site the fixtures were recorded on: course 2 with a student and a teacher."""

    def __init__(self, *, course: Mapping[str, Any] | None = None, users: Iterable[User] | None = None,
                 enrolled: Iterable[str] | None = None, links: Iterable[Link] | None = None,
                 modules: Iterable[Module] = (), name: str = "lab", locale: str = "en",
                 custom: Mapping[str, str] | None = None) -> None:
        self.url = ""
        self.name, self.locale = name, locale
        # The tool-level custom parameters (Moodle: the tool type's "Custom parameters"), sent with every launch.
        self.custom = dict(custom) if custom is not None else {"lab": "moodle-lab"}
        self.course: dict[str, Any] = dict(course or LAB_COURSE)
        self.keys: list[tuple[str, rsa.RSAPrivateKey]] = [new_key()]
        self.users = {u.id: u for u in (_LAB_USERS if users is None else users)}
        self.enrolled = list(enrolled) if enrolled is not None else ["3", "4"]
        lab = [Link(2, "1", "Lab LTI Activity", "LTI 1.3 launch to the lab tool", {"activity_param": "act1"})]
        self.links = {link.cmid: link for link in (lab if links is None else links)}
        self.modules = {module.cmid: module for module in modules}
        # The token an administrator creates for Samattha under Site administration → Server → Web services.
        self.webservice_token = secrets.token_hex(16)
        # The functions the token's external service allows (a test removes one to see Samattha cope).
        self.webservice_functions = {"core_course_get_contents", "core_enrol_get_enrolled_users"}
        self.tools: dict[str, Tool] = {}
        self.pending_launches: dict[str, tuple[str, str, int]] = {}  # launchid -> (user id, message type, cmid)
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
        self.keys = [*(self.keys if keep_old else []), new_key()]
        return self.kid

    def sign(self, payload: Mapping[str, Any], *, kid: str | None = None, headers: Mapping[str, Any] | None = None,
             key: rsa.RSAPrivateKey | None = None) -> str:
        header = {"typ": "JWT", "kid": self.kid if kid is None else kid, **(headers or {})}
        if kid == "":
            header.pop("kid")
        return jwt.encode(dict(payload), key or self.keys[-1][1], algorithm="RS256", headers=header)

    # --- tools and launches -----------------------------------------------------------------------
    def add_tool(self, *, target_link_uri: str = "http://127.0.0.1:5000/lti/launch", jwks_uri: str | None = None,
                 jwks: dict[str, Any] | None = None, client_id: str | None = None) -> Tool:
        tool = Tool(type_id=len(self.tools) + 1, client_id=client_id or secrets.token_urlsafe(11)[:15],
                    target_link_uri=target_link_uri, redirect_uris=[target_link_uri], jwks_uri=jwks_uri, jwks=jwks)
        self.tools[tool.client_id] = tool
        return tool

    def tool(self, client_id: str | None = None) -> Tool:
        return self.tools[client_id] if client_id else next(iter(self.tools.values()))

    def add_link(self, cmid: int, item: Mapping[str, Any]) -> Link:
        """What the teacher's "Save" on the activity form does with a deep-linking content item: a new LTI
        activity whose resource link id is its instance id (here the cmid) and which keeps the item's custom."""
        custom = item.get("custom")
        link = Link(cmid, str(cmid), str(item.get("title") or ""), str(item.get("text") or ""),
                    {str(k): str(v) for k, v in custom.items()} if isinstance(custom, dict) else {},
                    str(item["url"]) if item.get("url") else None)
        line_item = item.get("lineItem")
        if isinstance(line_item, dict) and isinstance(line_item.get("scoreMaximum"), int | float):
            # Moodle 4.5 (mod/lti contentitem + gradebookservices): the activity gets grade = scoreMaximum and its
            # own grade item, which AGS lists with the lineItem's resourceId, tag and label and the activity's
            # resource link id, and which each launch of the activity names in the AGS claim's ``lineitem``.
            link.grade, link.line_item = float(line_item["scoreMaximum"]), dict(line_item)
            with self.lock:
                self.line_items[max(self.line_items, default=1) + 1] = {
                    "label": str(line_item.get("label") or link.title), "scoreMaximum": line_item["scoreMaximum"],
                    **{k: str(line_item[k]) for k in ("resourceId", "tag") if line_item.get(k)},
                    "resourceLinkId": link.id}
        self.links[cmid] = link
        return link

    def services(self, tool: Tool) -> str:
        return f"{self.url}/mod/lti/services.php"

    def course_contents(self) -> list[dict[str, Any]]:
        """What core_course_get_contents returns for the course: its sections with their modules in course
        order, the LTI activities (sorted in among the others by cmid, in section 1) included."""
        modules = sorted([*self.modules.values(), *(Module(link.cmid, "lti", link.title,
                                                            instance=int(link.id) if link.id.isdigit() else None)
                                                     for link in self.links.values())], key=lambda m: m.cmid)
        return [{"id": number + 1, "name": "ทั่วไป" if number == 0 else f"หัวข้อ {number}", "visible": 1,
                 "summary": "", "summaryformat": 1, "section": number, "hiddenbynumsections": 0, "uservisible": True,
                 "modules": [self._module_json(m) for m in modules if m.section == number]}
                for number in range(max((m.section for m in modules), default=0) + 1)]

    def _module_json(self, module: Module) -> dict[str, Any]:
        return {"id": module.cmid, "url": f"{self.url}/mod/{module.module}/view.php?id={module.cmid}",
                "name": module.title, "instance": module.cmid if module.instance is None else module.instance,
                "visible": 1, "uservisible": True,
                "visibleoncoursepage": 1, "modname": module.module, "indent": 0, "noviewlink": False,
                "completion": 1, "dates": [], "groupmode": 0}

    @property
    def first_link(self) -> Link:
        return next(iter(self.links.values()))

    def launch_payload(self, user_id: str = "3", *, tool: Tool | None = None,
                       message_type: str = "LtiResourceLinkRequest", nonce: str | None = None,
                       now: float | None = None, cmid: int | None = None) -> dict[str, Any]:
        """Claims shaped exactly like tests/fixtures/moodle-4.5/launch-*.json and deeplink-teacher.json."""
        tool, user = tool or self.tool(), self.users[user_id]
        course_id = self.course["id"]
        iat = int(time.time() if now is None else now)
        memberships = f"{self.services(tool)}/CourseSection/{course_id}/bindings/{tool.type_id}/memberships"
        payload: dict[str, Any] = {
            "nonce": nonce or "n-" + secrets.token_hex(8), "iat": iat, "exp": iat + 60, "iss": self.url,
            "aud": tool.client_id, LTI + "deployment_id": tool.deployment_id,
            LTI + "target_link_uri": tool.target_link_uri, "sub": user.id,
            LTI + "lis": {"person_sourcedid": "", "course_section_sourcedid": ""},
            LTI + "roles": user.roles, LTI + "context": dict(self.course), LTI + "message_type": message_type,
            "given_name": user.given, "family_name": user.family, "name": user.name,
            LTI + "ext": {"user_username": user.username, "lms": "moodle-2"},
            "email": f"{user.username}@example.com",
            LTI + "launch_presentation": {"locale": self.locale},
            LTI + "tool_platform": {"product_family_code": "moodle", "version": "2024100705.01",
                                    "guid": "83a5cb9b05a43c3c79c9c11e3a5dd199", "name": self.name,
                                    "description": self.name.capitalize()},
            LTI + "version": "1.3.0",
            LTI + "custom": {**self.custom, "context_memberships_url": memberships},
            "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint": {
                "scope": AGS_SCOPES,
                "lineitems": f"{self.services(tool)}/{course_id}/lineitems?type_id={tool.type_id}"},
            "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice": {
                "context_memberships_url": memberships, "service_versions": ["1.0", "2.0"]},
        }
        if message_type == "LtiDeepLinkingRequest":
            payload[DL + "deep_linking_settings"] = {
                "accept_types": ["ltiResourceLink"], "accept_presentation_document_targets": ["frame", "iframe",
                                                                                             "window"],
                "accept_copy_advice": False, "accept_multiple": True, "accept_unsigned": False, "auto_create": False,
                "can_confirm": False, "deep_link_return_url": f"{self.url}/mod/lti/contentitem_return.php?course="
                f"{course_id}&id={tool.type_id}&sesskey={secrets.token_hex(5)}", "title": f"Deep link from {self.name}",
                "text": "Choose content"}
            return payload
        link = self.links[cmid] if cmid is not None else self.first_link
        if link.url:
            payload[LTI + "target_link_uri"] = link.url
        payload[LTI + "resource_link"] = {"title": link.title, "description": link.description, "id": link.id}
        payload[LTI + "launch_presentation"] = {
            "locale": self.locale, "document_target": "iframe",
            "return_url": f"{self.url}/mod/lti/return.php?course={course_id}&launch_container=3&instanceid={link.id}"
                          "&sesskey=x"}
        payload[LTI + "custom"].update(link.custom)
        item = next((i for i, v in self.line_items.items() if v.get("resourceLinkId") == link.id), None)
        if item is not None:
            payload["https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"]["lineitem"] = (
                f"{self.services(tool)}/{course_id}/lineitems/{item}/lineitem?type_id={tool.type_id}")
        return payload

    def id_token(self, user_id: str = "3", **kwargs: Any) -> str:
        return self.sign(self.launch_payload(user_id, **kwargs))

    def initiate_login(self, user_id: str = "3", *, tool: Tool | None = None,
                       message_type: str = "LtiResourceLinkRequest", cmid: int | None = None) -> dict[str, str]:
        """The fields of Moodle's ``ltiInitiateLoginForm`` (see launch-student.json ``capture``)."""
        tool = tool or self.tool()
        if cmid is None and message_type == "LtiResourceLinkRequest":
            cmid = self.first_link.cmid
        launchid = f"ltilaunch1_{secrets.randbelow(10**9)}"
        self.pending_launches[launchid] = (user_id, message_type, cmid or 0)
        hint = {"cmid": cmid, "launchid": launchid} if message_type == "LtiResourceLinkRequest" else \
            {"launchid": launchid}
        link = self.links.get(cmid or 0)
        target = link.url if link is not None and link.url and message_type == "LtiResourceLinkRequest" else \
            tool.target_link_uri
        return {"iss": self.url, "target_link_uri": target, "login_hint": user_id,
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
        try:
            hint = json.loads(params["lti_message_hint"])
        except ValueError:
            abort(400, "invalid_request: lti_message_hint")
        launch = self.pending_launches.pop(str(hint.get("launchid", "")) if isinstance(hint, dict) else "", None)
        if launch is None or launch[0] != params["login_hint"]:
            abort(400, "invalid_request: unknown or used launch")
        payload = self.launch_payload(launch[0], tool=tool, message_type=launch[1], nonce=params["nonce"],
                                      cmid=launch[2] if launch[2] in self.links else None)
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
        keys: Any = tool.jwks if tool.jwks is not None else \
            jwt.PyJWKClient(str(tool.jwks_uri), timeout=5).get_jwk_set()
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
