"""LTI use cases, callable without Flask: login, launch, dynamic registration, the deep-linking response,
grades to the Moodle gradebook (AGS) and the roster from it (NRPS). Each takes the caller's Session and a
``now``; none commits."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

import requests
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

import lti
from lti.services import SCOPE_LINEITEM, service_url
from plugin import moodle_ws
from plugin.db import each_statement_commits
from plugin.launch import registrations
from plugin.launch import repository as repo
from plugin.launch.keys import current_key
from plugin.launch.recording import LaunchRecord, record_launch
from plugin.launch.staff import is_staff
from plugin.models import AgsLineItem, AgsScoreLog, Course, Element, Platform, ResourceLink, Unit, User
from plugin.standards import catalog

__all__ = [
    "DeepLinkRequest", "GradePush", "LaunchResult", "LoginResult", "StateRefused", "deep_link_response", "launch",
    "login", "push_unit_grades", "read_moodle_roles", "register_platform", "service_client", "sync_roster",
]

log = logging.getLogger(__name__)

TOOL_NAME = "Samattha"
LINE_ITEM_TAG = "samattha-unit"
SCORE_MAXIMUM = 100.0  # the gradebook shows percent of the unit's criteria evidenced


@dataclass(frozen=True)
class LoginResult:
    redirect_url: str
    binding: str


class StateRefused(Exception):
    """The id_token was valid but did not come back to the browser that started the login."""

    def __init__(self, check: lti.StateCheck, locale: str | None) -> None:
        super().__init__(check.verdict.value)
        self.check = check
        self.locale = locale


@dataclass(frozen=True)
class LaunchResult:
    context: lti.LaunchContext
    record: LaunchRecord


# Refusals that a registration or deployment added by another process since this one last read them would answer.
_MISSES = frozenset({"unknown_issuer", "unknown_client_id", "unknown_deployment", "ambiguous_registration", "bad_aud",
                     "azp_mismatch"})
Answer = TypeVar("Answer")


def _with_registrations(session: Session, use: Callable[[registrations.Active], Answer]) -> Answer:
    """``use`` the cached registrations; a refusal for want of a registration is decided on a fresh read."""
    try:
        return use(registrations.active(session))
    except lti.LtiError as error:
        if error.code not in _MISSES:
            raise
    return use(registrations.active(session, fresh=True))


def login(session: Session, params: Mapping[str, str], *, base_url: str, secret: bytes, binding: str | None,
          now: datetime) -> LoginResult:
    """Third-party initiated login (LTI Core 1.3 §5.1.1): answer with the platform's auth URL. The state
    is bound to the browser's binding cookie (kept if the browser already has one, so two tabs launching
    at once do not overwrite each other's) and carries Moodle's relaunch URL for the new-window fallback."""
    issuer = params.get("iss") or ""
    binding = binding or lti.new_binding()
    nonce = lti.new_nonce()

    def redirect_url(known: registrations.Active) -> str:
        registration = lti.choose_registration(params, known.registrations(issuer))
        relaunch = lti.moodle_relaunch_url(registration.issuer, params.get("lti_message_hint"))
        # The state carries the nonce's hash: the launch must answer this very request (OIDC Core §3.1.3.7 step 11).
        state = lti.sign_state(binding, secret, now=now, nonce=nonce, relaunch_url=relaunch)
        return lti.build_auth_redirect(params, registration, redirect_uri=base_url + "/lti/launch", state=state,
                                       nonce=nonce, tool_origin=base_url)

    url = _with_registrations(session, redirect_url)
    return LoginResult(url, binding)


def launch(session: Session, form: Mapping[str, str], *, binding: str | None, secret: bytes, keys: lti.KeySource,
           now: datetime) -> LaunchResult:
    """Validate the id_token (Security Framework §5.1.3), then the state: its browser binding and the nonce it
    was issued with. Only then record anything about the user: a refused launch leaves no user, course or
    session behind."""
    consumed: list[str] = []

    def consume_nonce(issuer: str, nonce: str, until: datetime) -> bool:
        consumed.append(nonce)
        with each_statement_commits(session):  # kept even if the launch is then refused: it was presented
            return repo.consume_nonce(session, issuer, nonce, until, now=now)

    def validated(known: registrations.Active) -> tuple[lti.LaunchContext, int]:
        context = lti.validate_id_token(form.get("id_token", ""), find_registrations=known.registrations, keys=keys,
                                        consume_nonce=consume_nonce, now=now)
        return context, known.platform_ids[(context.issuer, context.client_id)]

    context, platform_id = _with_registrations(session, validated)
    check = lti.check_state(form.get("state"), binding, secret, now=now, document_target=context.document_target,
                            nonce=consumed[-1])
    if not check.is_ok:
        raise StateRefused(check, context.locale)
    with each_statement_commits(session):  # on PostgreSQL the launch's writes are one statement
        record = record_launch(session, context, platform_id, now=now)
    if record.course_id is not None and is_staff(context.roles):
        # Moodle sends Instructor for editing and non-editing teachers alike: its own roles tell them apart.
        # Read at each staff launch (rare, and a role changed in Moodle then counts from the next one), never
        # per page; learners' launches need no such reading.
        read_moodle_roles(session, session.get_one(Course, record.course_id), now=now)
    return LaunchResult(context, record)


def register_platform(session: Session, openid_configuration: str, registration_token: str, *, base_url: str,
                      now: datetime) -> Platform:
    """LTI Dynamic Registration 1.0 §3.3-3.6, asking for deep linking, AGS, NRPS and name/email claims."""
    platform_config = lti.fetch_platform_configuration(openid_configuration, registration_token)
    tool = lti.tool_configuration(
        base_url, TOOL_NAME, platform_config,
        description="Competency-standard mapping, evidence portfolios and an xAPI LRS",
        deep_linking_label="Samattha: place a unit of the standard")
    registration = lti.register(platform_config, tool, registration_token)
    product = platform_config.raw.get("https://purl.imsglobal.org/spec/lti-platform-configuration")
    name = product.get("product_family_code") if isinstance(product, dict) else None
    return repo.save_registration(session, registration, source="dynamic", now=now,
                                  name=name if isinstance(name, str) else None)


@dataclass(frozen=True)
class DeepLinkRequest:
    """What a deep-linking launch asked for, small enough to keep in the session cookie until the
    instructor has chosen (Deep Linking 2.0 §4.4)."""

    issuer: str
    client_id: str
    deployment_id: str
    subject: str
    return_url: str
    data: str | None = None
    accept_types: tuple[str, ...] = ()
    accept_multiple: bool = False
    context_id: str | None = None  # the course placed into (absent from a session cookie set before it was kept)

    @classmethod
    def from_context(cls, ctx: lti.LaunchContext) -> DeepLinkRequest:
        settings = ctx.deep_linking
        if settings is None:
            raise lti.DeepLinkingError("not_deep_linking", "This launch is not a content selection request.")
        return cls(ctx.issuer, ctx.client_id, ctx.deployment_id, ctx.subject, settings.deep_link_return_url,
                   settings.data, settings.accept_types, settings.accept_multiple,
                   ctx.context.id if ctx.context is not None else None)

    def as_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "accept_types": list(self.accept_types)}

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> DeepLinkRequest:
        return cls(**{**raw, "accept_types": tuple(raw.get("accept_types", ()))})

    def launch_context(self) -> lti.LaunchContext:
        settings = lti.DeepLinkingSettings(deep_link_return_url=self.return_url, accept_types=self.accept_types,
                                           accept_multiple=self.accept_multiple, data=self.data)
        return lti.LaunchContext(message_type="LtiDeepLinkingRequest", issuer=self.issuer, client_id=self.client_id,
                                 deployment_id=self.deployment_id, subject=self.subject, roles=(),
                                 deep_linking=settings)


def deep_link_response(session: Session, request: DeepLinkRequest, code: str, *, base_url: str,
                       now: datetime) -> tuple[str, str]:
    """(return URL, signed JWT) placing one activity bound to a unit or element. The code travels in the
    item's custom parameters (Deep Linking 2.0 §3.1), which Moodle keeps on the activity and copies with
    the course."""
    found = catalog.find_code(session, code)
    if isinstance(found, Unit):
        unit, custom = found, {"unit_code": found.code}
    elif isinstance(found, Element):
        unit, custom = found.unit, {"unit_code": found.unit.code, "element_code": found.code}
    else:
        raise lti.DeepLinkingError("unknown_code", f"'{code}' is not a unit or element of the standard.")
    title = f"{code} {found.title}"[:255]
    line_item = _placement_line_item(session, request, found, title)
    item = lti.resource_link_item(title=title, url=base_url + "/lti/launch", text=unit.title, custom=custom,
                                  line_item=line_item)
    return lti.build_response(request.launch_context(), [item], key=current_key(session, now=now), now=now)


def _placement_line_item(session: Session, request: DeepLinkRequest, found: Unit | Element,
                         title: str) -> dict[str, Any] | None:
    """The ``lineItem`` of a placed unit (Deep Linking 2.0 §3.1): Moodle then gives the activity a grade item of
    its own, which judgements post to (resourceId = the unit code finds it again). An element gets none (its
    grade is its unit's), nor does a unit whose course already has an activity with its grade item: one
    column per unit, never two."""
    if not isinstance(found, Unit):
        return None
    course = session.scalars(select(Course).filter_by(issuer=request.issuer, context_id=request.context_id)
                             ).one_or_none() if request.context_id else None
    if course is not None and _activity_line_item(session, course, found.code) is not None:
        return None
    return {"scoreMaximum": SCORE_MAXIMUM, "label": title, "resourceId": found.code, "tag": LINE_ITEM_TAG}


# --- platform services ------------------------------------------------------------------------------

def service_client(session: Session, course: Course, *, now: datetime, cache: lti.TokenCache | None = None,
                   http: requests.Session | None = None) -> lti.ServiceClient:
    """A client for the course's registration (the client_id of its latest launch)."""
    platform = course.platform
    if platform is None or not platform.active:
        raise lti.ServiceError("no_registration", "This course has no active platform registration to call.")
    return lti.ServiceClient(repo.to_registration(platform), current_key(session, now=now), cache=cache, session=http)


@dataclass
class GradePush:
    line_items_created: int = 0
    scores_posted: int = 0
    failures: list[str] = field(default_factory=list)


def _activity_line_item(session: Session, course: Course, unit_code: str) -> str | None:
    """The grade item of an activity the unit was placed as, as its launches name it (the AGS claim's
    ``lineitem``, AGS 2.0 §3.1, stored per resource link), or as already found and stored."""
    stored = session.scalars(select(AgsLineItem).filter_by(course_id=course.id, unit_code=unit_code,
                                                           kind="activity")).one_or_none()
    if stored is not None:
        return stored.lineitem_url
    links = session.scalars(select(ResourceLink).where(
        ResourceLink.course_id == course.id, ResourceLink.unit_code == unit_code,
        ResourceLink.lineitem_url.is_not(None)).order_by(ResourceLink.id))
    # An element's activity carries no line item of ours; if a teacher gave it a grade, it is not the unit's.
    return next((link.lineitem_url for link in links if not link.custom.get("element_code")), None)


def _find_on_platform(client: lti.ServiceClient, course: Course, unit_code: str) -> tuple[str | None, str | None]:
    """(the placed activity's line item, a column) with our resourceId and tag in the course's line items
    (AGS 2.0 §3.2.4): an activity's grade item is bound to its resource link, a column made through AGS is not.
    Listing uses the ``lineitem`` scope because Moodle's dynamic registration grants that, not always
    ``lineitem.readonly``."""
    url = service_url(str(course.lineitems_url), query={"resource_id": unit_code, "tag": LINE_ITEM_TAG})
    listed = client.call_json("GET", url, scopes=[SCOPE_LINEITEM],
                              accept="application/vnd.ims.lis.v2.lineitemcontainer+json")
    found = [i for i in listed if isinstance(i, dict) and isinstance(i.get("id"), str)] \
        if isinstance(listed, list) else []
    activity = next((str(i["id"]) for i in found if i.get("resourceLinkId")), None)
    column = next((str(i["id"]) for i in found if not i.get("resourceLinkId")), None)
    return activity, column


def _line_item(session: Session, client: lti.ServiceClient, course: Course, unit_code: str, now: datetime,
               report: GradePush) -> AgsLineItem:
    """Where the unit's grades go: the grade item of the activity it was placed as (deep linking asked Moodle for
    one); else the column it already has; else one on the platform with our resourceId (a restored database, a
    copied course); else a new column, created once (AGS 2.0 §3.2.5). A unit placed before activities carried
    grade items keeps its column until it is placed again; from then on its grades go to the new activity."""
    stored = session.scalars(select(AgsLineItem).filter_by(course_id=course.id, unit_code=unit_code)).one_or_none()
    if stored is not None and stored.kind == "activity":
        return stored
    url, kind = _activity_line_item(session, course, unit_code), "activity"
    if url is None:
        url, column = _find_on_platform(client, course, unit_code)
        if url is None:
            if stored is not None:
                return stored
            kind, url = "column", column
    if url is None:
        unit = catalog.get_unit(session, unit_code)
        label = f"{unit_code} {unit.title}" if unit is not None else unit_code
        url = str(lti.create_line_item(client, str(course.lineitems_url), label=label[:255],
                                       score_maximum=SCORE_MAXIMUM, resource_id=unit_code, tag=LINE_ITEM_TAG)["id"])
        report.line_items_created += 1
    if stored is None:
        stored = AgsLineItem(course_id=course.id, unit_code=unit_code, lineitem_url=url, kind=kind, created_at=now)
        session.add(stored)
    elif stored.lineitem_url != url:
        # A new line item holds no grade yet: the old one's score timestamps say nothing about it.
        session.execute(delete(AgsScoreLog).where(AgsScoreLog.line_item_id == stored.id))
        stored.lineitem_url, stored.kind = url, kind
    session.flush()
    return stored


def _post(session: Session, client: lti.ServiceClient, item: AgsLineItem, user: User, fraction: float,
          now: datetime) -> None:
    log = session.scalars(select(AgsScoreLog).filter_by(line_item_id=item.id, user_id=user.id)).one_or_none()
    # Moodle refuses a score whose timestamp is not newer, in whole seconds, than the one it holds.
    stamp = lti.next_score_timestamp(repo.aware(log.last_timestamp) if log else None, now)
    given = round(max(0.0, min(1.0, fraction)) * SCORE_MAXIMUM, 2)
    lti.post_score(client, item.lineitem_url, lti.Score(user_id=user.subject, score_given=given,
                                                        score_maximum=SCORE_MAXIMUM, timestamp=stamp))
    if log is None:
        session.add(AgsScoreLog(line_item_id=item.id, user_id=user.id, last_timestamp=stamp, last_score=given))
    else:
        log.last_timestamp, log.last_score = stamp, given
    session.flush()


def push_unit_grades(session: Session, course: Course, scores: Mapping[int, Mapping[str, float]], now: datetime, *,
                     client: lti.ServiceClient | None = None) -> GradePush:
    """Write each learner's progress per unit (evidenced criteria / all criteria, 0..1) to the gradebook:
    one line item per unit, then one score per (learner, unit) with strictly increasing timestamps (AGS
    2.0 §3.4). A refused score is reported and the others still go; a refused line item raises."""
    if not course.lineitems_url:
        raise lti.ServiceError("no_ags", "No launch from this course has carried the grade service (AGS) claim.")
    client = client or service_client(session, course, now=now)
    report = GradePush()
    items = {code: _line_item(session, client, course, code, now, report)
             for code in sorted({code for per_user in scores.values() for code in per_user})}
    users = {user.id: user for user in session.scalars(select(User).where(User.id.in_(list(scores))))}
    for user_id, per_unit in scores.items():
        for code, fraction in sorted(per_unit.items()):
            try:
                _post(session, client, items[code], users[user_id], fraction, now)
                report.scores_posted += 1
            except lti.ServiceError as error:
                report.failures.append(f"user {user_id} unit {code}: {error.code}")
    return report


def sync_roster(session: Session, course: Course, now: datetime, *, client: lti.ServiceClient | None = None) -> int:
    """Read the course roster through NRPS 2.0 and store it, with Moodle's own course roles when Samattha has
    a Web Services token; returns the number of members."""
    if not course.memberships_url:
        raise lti.ServiceError("no_nrps", "No launch from this course has carried the roster service (NRPS) claim.")
    client = client or service_client(session, course, now=now)
    count = repo.upsert_roster(session, course, lti.get_memberships(client, course.memberships_url), now=now)
    read_moodle_roles(session, course, now=now)
    return count


ENROLLED_USERS = "core_enrol_get_enrolled_users"


def _role_shortnames(body: object) -> dict[str, list[str]]:
    """Moodle user id → role shortnames, from core_enrol_get_enrolled_users' list of users, each with ``id``
    and ``roles: [{roleid, name, shortname, sortorder}]``."""
    if not isinstance(body, list):
        raise moodle_ws.WebServiceError("shape", f"{ENROLLED_USERS} did not return a list of users")
    found: dict[str, list[str]] = {}
    for user in body:
        if not isinstance(user, dict) or not isinstance(user.get("id"), int | str):
            raise moodle_ws.WebServiceError("shape", f"{ENROLLED_USERS} returned a user without an id")
        roles = user.get("roles")
        if not isinstance(roles, list):
            raise moodle_ws.WebServiceError("shape", f"{ENROLLED_USERS} returned no roles: does the token's "
                                                     "service allow it, and its user see roles?")
        found[str(user["id"])] = [str(r["shortname"]) for r in roles if isinstance(r, dict) and r.get("shortname")]
    return found


def read_moodle_roles(session: Session, course: Course, *, now: datetime,
                      http: requests.Session | None = None) -> int | None:
    """Read the course's members' Moodle roles through Web Services and store them per enrolment; None when the
    platform has no token or the call failed. A failure is logged and otherwise ignored: the LTI roles then
    decide, as they did before, and a launch or a roster sync never fails for it."""
    token = moodle_ws.token_for(session, course.issuer)
    if token is None:
        return None
    try:
        # ``userfields`` keeps a large course's answer small: the id is always sent, roles only when asked.
        body = moodle_ws.call(token.url, token.token, ENROLLED_USERS, {
            "courseid": course.context_id, "options[0][name]": "userfields", "options[0][value]": "id,roles"},
            http=http)
        by_subject = _role_shortnames(body)
    except moodle_ws.WebServiceError as error:
        log.warning("Moodle roles of course %s (%s) not read, LTI roles decide: %s", course.context_id,
                    course.issuer, error)
        return None
    return repo.apply_moodle_roles(session, course, by_subject, now=now)
