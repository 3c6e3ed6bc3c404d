"""Starting a placed package for a learner, with the launch convention the package declares.

Tin Can (Rustici's launch guidelines): the content URL gets ``endpoint``, ``auth`` (Basic, from a credential
made for this launch only), ``actor``, ``registration`` and ``activity_id``.
cmi5 (§8.1): ``endpoint``, ``fetch`` (a one-time URL that hands out the credential), ``actor``,
``registration`` and ``activityId`` (the LMS's id for the AU, made at import, never the publisher's); before
the AU opens, the LMS writes ``LMS.LaunchData`` (§10) and sends ``launched`` (§9.3.1), and ``satisfied`` for
what the registration meets from the start (§9.6.1: NotApplicable AUs). A credential is bound to the
learner's actor (User.xapi_actor, as recorded at LTI launch) and one registration, and expires; the cmi5
rules are enforced on what comes back (plugin.content.cmi5)."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import uuid
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

import xapi
from plugin.clock import utcnow
from plugin.content import cmi5
from plugin.content.cmi5_satisfied import sessions_of
from plugin.db import hold_row
from plugin.launch.repository import aware
from plugin.models import User
from plugin.models.content import ContentLaunch, ContentPackage
from xapi.documents import DocumentKey, Preconditions, save_document
from xapi.prepare import ifi_of, index_key, to_micros

__all__ = ["LAUNCH_LIFETIME", "FetchRefused", "LaunchRefused", "fetch_token", "lms_authority", "start_launch",
           "waive"]

# Long enough for a sitting (cmi5 content often stays open for hours), short enough that a launch URL
# copied from the address bar is useless by the next day.
LAUNCH_LIFETIME = timedelta(hours=4)


class LaunchRefused(ValueError):
    """The placement names a package or AU this course does not have."""


class FetchRefused(Exception):
    """cmi5 §8.2.3: ``code`` 1 (already used), 2 (security: unknown or expired) or 3 (general)."""

    def __init__(self, code: str, text: str) -> None:
        super().__init__(text)
        self.code = code
        self.text = text


def lms_authority(base_url: str) -> dict[str, Any]:
    """The authority of the statements Samattha itself sends as the cmi5 LMS."""
    return {"objectType": "Agent", "name": "Samattha", "account": {"homePage": base_url, "name": "samattha-lms"}}


def _item(package: ContentPackage, activity_iri: str | None) -> dict[str, Any]:
    items: list[dict[str, Any]] = list(package.manifest.get("items", []))
    if activity_iri is None:
        return items[0]
    for item in items:
        if item.get("iri") == activity_iri:
            return item
    raise LaunchRefused(f"package {package.id} has no activity or AU {activity_iri!r}")


def _au_url(package: ContentPackage, item: dict[str, Any], base_url: str, grant: str | None = None) -> str:
    """The AU's own URL, fully qualified (cmi5 §9.6.3.4 launchurl): a packaged file under this LMS, or the
    remote URL the course structure gives. A packaged file's URL carries the browser's grant as its first
    folder, so the files its page names relatively carry it too."""
    url = str(item["url"])
    if item.get("remote"):
        return url
    return f"{base_url}/content/{package.id}/files/{grant + '/' if grant else ''}{package.prefix}{url}"


def _content_url(package: ContentPackage, item: dict[str, Any], base_url: str, params: dict[str, str],
                 grant: str | None) -> str:
    """The launch URL with the launch parameters appended to any query string the manifest gave."""
    url = _au_url(package, item, base_url, grant)
    parts = urlsplit(url)
    joiner = "&" if parts.query else "?"
    return url.split("#", 1)[0] + joiner + urlencode(params) + (f"#{parts.fragment}" if parts.fragment else "")


def _registration(session: Session, package: ContentPackage, user: User, kind: str) -> str:
    """cmi5 keeps one registration per learner and course (§9.3: completed/passed once per registration);
    a Tin Can launch starts a fresh attempt."""
    if kind == "cmi5":
        query = select(ContentLaunch.registration).where(
            ContentLaunch.package_id == package.id, ContentLaunch.user_id == user.id).order_by(ContentLaunch.id.desc())
        known = session.scalars(query).first()
        if known:
            return known
    return str(uuid.uuid4())


def _activity_id(item: dict[str, Any], earlier: list[ContentLaunch]) -> str:
    """cmi5 §8.1.5: the LMS's id for the AU, the same in every registration; a registration that launched the AU
    before keeps the id it launched with (before migration 0012 that was the publisher's id, and the AU's own
    state documents are kept under it)."""
    return next((launch.activity_iri for launch in sessions_of(item, earlier)), str(item["activity_id"]))


def _new_launch(session: Session, package: ContentPackage, item: dict[str, Any], user: User, activity_iri: str,
                registration: str, now: datetime, launch_mode: str = "Normal") -> ContentLaunch:
    launch = ContentLaunch(package_id=package.id, user_id=user.id, activity_iri=activity_iri,
                           registration=registration, session_id=str(uuid.uuid4()), created_at=now,
                           expires_at=now + LAUNCH_LIFETIME, launch_mode=launch_mode, move_on=item.get("move_on"),
                           mastery_score=item.get("mastery_score"))
    session.add(launch)
    return launch


def _abandon(package: ContentPackage, earlier: list[ContentLaunch], actor: dict[str, Any],
             now: datetime) -> list[dict[str, Any]]:
    """cmi5 §9.3.6: launching a registration again abandons its sessions that never terminated, those of AUs a
    new version of the package dropped too."""
    known = [*package.manifest.get("retired", []), *package.manifest["items"]]
    items = {item[key]: item for item in known for key in ("iri", "activity_id")}
    statements = []
    for launch in earlier:
        if launch.terminated or launch.abandoned_at is not None:
            continue
        launch.abandoned_at = now
        statements.append(cmi5.abandoned_statement(launch, items[launch.activity_iri], actor, now))
    return statements


def start_launch(session: Session, package: ContentPackage, activity_iri: str | None, user: User, *,
                 base_url: str, return_url: str, now: datetime, grant: str | None = None,
                 launch_mode: str = "Normal") -> str:
    """Record the launch, issue what the convention needs, and return the URL to send the browser to;
    ``grant`` lets that browser read the package's files without a Samattha session (plugin.content.web);
    ``launch_mode`` is cmi5's (Normal, Browse or Review; a Tin Can launch has none)."""
    item = _item(package, activity_iri)
    actor = dict(user.xapi_actor)
    # A learner's launches take turns, from the registration's lookup to the commit. Two at once (two AUs
    # clicked together) otherwise each read the sessions before the other's existed: both stayed open (cmi5
    # §9.3.6), or two first launches made two registrations; on SQLite a terminated committed meanwhile was
    # abandoned all the same.
    hold_row(session, User.created_at, user.id)
    registration = _registration(session, package, user, package.kind)
    endpoint = f"{base_url}/xapi/"
    if package.kind == "tincan":
        launch = _new_launch(session, package, item, user, item["iri"], registration, now)
        key, secret = xapi.create_launch_credential(
            session, name=f"content launch {package.id}", agent=actor, registration=registration,
            expires_at=launch.expires_at, now=now)
        launch.credential_key = key
        session.flush()
        auth = "Basic " + base64.b64encode(f"{key}:{secret}".encode()).decode()
        return _content_url(package, item, base_url, {
            "endpoint": endpoint, "auth": auth, "actor": json.dumps(actor, separators=(",", ":")),
            "registration": registration, "activity_id": item["iri"], "returnURL": return_url}, grant)
    earlier = cmi5.registration_launches(session, registration)
    launch = _new_launch(session, package, item, user, _activity_id(item, earlier), registration, now, launch_mode)
    token = secrets.token_urlsafe(32)
    launch.fetch_token_hash = hashlib.sha256(token.encode()).hexdigest()
    session.flush()
    _write_launch_data(session, launch, item, actor, return_url, now)
    # Each in its own moment, in cmi5's order for every reader of ``stored``: the sessions this launch abandons,
    # what the registration satisfies from the start (§9.6.1: NotApplicable AUs, "at the time of registration",
    # so before the first launched), then launched. The moments are read once this transaction holds the LRS's
    # writer turn, so a poller following Consistent-Through misses none of them.
    xapi.hold_writer_turn(session)
    # §9.6.3.4: launchurl is the URL the AU was launched at, less the §8.1 parameters, so the browser's file grant
    # stays in it (CATAPULT compares the paths). Whoever reads the statement could read this package's files with
    # it until the launch expires: course material, which the grant opens to no other package or to the LRS.
    cmi5.record_in_order(session, [
        *_abandon(package, earlier, actor, now),
        *cmi5.satisfied_statements(session, package, [*earlier, launch], launch, now),
        cmi5.launched_statement(launch, item, actor, now, url=_au_url(package, item, base_url, grant))],
        authority=lms_authority(base_url), after=max(utcnow(), now))
    return _content_url(package, item, base_url, {
        "endpoint": endpoint, "fetch": f"{base_url}/content/fetch/{token}",
        "actor": json.dumps(actor, separators=(",", ":")), "registration": registration,
        "activityId": launch.activity_iri}, grant)


def waive(session: Session, package: ContentPackage, activity_iri: str, user: User, *, reason: str, note: str,
          base_url: str, now: datetime) -> None:
    """cmi5 §9.3.7: record that the learner's AU is satisfied by other means (an assessor or coordinator decides
    why): a session of its own, complete and passed, the LMS's ``waived``, and the ``satisfied`` of every block
    and course that now meets its moveOn. An AU the learner has already met, or waived, is refused."""
    if reason not in cmi5.WAIVE_REASONS:
        raise LaunchRefused(f"reason: one of {', '.join(cmi5.WAIVE_REASONS)} (cmi5 §9.5.5.1)")
    item = _item(package, activity_iri)
    hold_row(session, User.created_at, user.id)
    registration = _registration(session, package, user, package.kind)
    earlier = cmi5.registration_launches(session, registration)
    if any(s.completed and s.passed for s in sessions_of(item, earlier)):
        raise LaunchRefused(f"activity: {activity_iri!r} is already met or waived for this learner")
    launch = _new_launch(session, package, item, user, _activity_id(item, earlier), registration, now)
    launch.initialized = launch.completed = launch.passed = launch.terminated = True
    launch.expires_at = now
    session.flush()
    actor = dict(user.xapi_actor)
    xapi.hold_writer_turn(session)
    cmi5.record_in_order(session, [
        cmi5.waived_statement(launch, item, actor, reason, note.strip(), now),
        *cmi5.satisfied_statements(session, package, [*earlier, launch], launch, now)],
        authority=lms_authority(base_url), after=max(utcnow(), now))


def _write_launch_data(session: Session, launch: ContentLaunch, item: dict[str, Any], actor: dict[str, Any],
                       return_url: str, now: datetime) -> None:
    """cmi5 §10: the State document the AU reads before it sends anything."""
    data: dict[str, Any] = {
        "contextTemplate": cmi5.context_template(launch, item), "launchMode": launch.launch_mode,
        "launchMethod": item.get("launch_method") or "AnyWindow", "moveOn": launch.move_on or "NotApplicable",
        "returnURL": return_url,
    }
    if launch.mastery_score is not None:
        data["masteryScore"] = float(launch.mastery_score)
    if item.get("launch_parameters"):
        data["launchParameters"] = item["launch_parameters"]
    if item.get("entitlement_key"):  # §10.2.7: as the course structure gives it
        data["entitlementKey"] = {"courseStructure": item["entitlement_key"]}
    key = DocumentKey(kind="state", activity_iri=index_key(launch.activity_iri), agent_ifi=ifi_of(actor) or "",
                      registration=launch.registration, document_id="LMS.LaunchData")
    save_document(session, key, json.dumps(data, ensure_ascii=False).encode(), "application/json", merge=False,
                  pre=Preconditions(), now_us=to_micros(now))


def fetch_token(session: Session, token: str, *, now: datetime) -> str:
    """cmi5 §8.2: the first POST to a launch's fetch URL returns the auth token; every later one refuses."""
    digest = hashlib.sha256(token.encode()).hexdigest()
    launch = session.scalars(select(ContentLaunch).where(ContentLaunch.fetch_token_hash == digest)).one_or_none()
    if launch is None:
        raise FetchRefused("2", "unknown fetch URL")
    if launch.fetched_at is not None:
        raise FetchRefused("1", "the auth token was already fetched for this launch")
    if aware(launch.expires_at) <= now:
        raise FetchRefused("2", "this launch has expired; launch again from the course")
    if launch.package.removed_at is not None:  # its credential would be revoked with the others
        raise FetchRefused("3", "the coordinator removed this content package")
    if launch.abandoned_at is not None:  # its statements would be refused (§9.3.6): say so before the AU starts
        raise FetchRefused("3", "this launch was replaced by a later launch of the same course; use that one")
    key, secret = xapi.create_launch_credential(
        session, name=f"cmi5 launch {launch.package_id}", agent=dict(launch.user.xapi_actor),
        registration=launch.registration, expires_at=launch.expires_at, now=now)
    launch.credential_key, launch.fetched_at = key, now
    session.flush()
    return base64.b64encode(f"{key}:{secret}".encode()).decode()
