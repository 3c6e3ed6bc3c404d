"""The identity join: which stored statements are a course's evidence, and whose.

A statement counts for the learner whose LTI identity matches its actor: account homePage = issuer and
name = sub, as Moodle's log store sends (User.xapi_actor), or the actor Samattha gave its own content, which
is the same account. Statements of the course whose actor matches no enrolled learner are kept in
``unmatched`` for the coordinator, never dropped."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, aliased

from plugin.clock import utcnow
from plugin.launch.repository import active_assessors, enrol_seen
from plugin.mapping.model import CourseMapping, course_iri, normalize_wwwroot
from plugin.mapping.rules import ActivityIndex
from plugin.models import Course, Enrolment, User
from plugin.models.mapping import CoverageProgress
from xapi.consistency import consistent_through
from xapi.models import Statement, StatementActivity
from xapi.prepare import index_key, to_micros

__all__ = [
    "ActorReach", "CourseEvidence", "CourseReach", "actor_key", "course_reach", "course_statements",
    "enrol_lrs_learners", "learner_actors", "learners_of", "statement_summary",
]

log = logging.getLogger(__name__)

LEARNER_ROLE = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"


@dataclass
class CourseEvidence:
    """``by_learner``: User.id as text → that learner's statements, stored order. Every enrolled learner has
    a key, with or without statements."""

    learners: dict[str, User] = field(default_factory=dict)
    by_learner: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    unmatched: list[dict[str, Any]] = field(default_factory=list)
    last_stored: str | None = None  # the newest ``stored`` seen, for incremental runs


def actor_key(actor: Any) -> tuple[str, str] | None:
    """(homePage, name) of an account actor, homePage without its trailing slash; else ``None``."""
    if not isinstance(actor, dict):
        return None
    account = actor.get("account")
    if not isinstance(account, dict):
        return None
    home, name = account.get("homePage"), account.get("name")
    if not isinstance(home, str) or not isinstance(name, str):
        return None
    return normalize_wwwroot(home), name


def learner_actors(session: Session, course: Course) -> dict[int, dict[str, Any]]:
    """User.id → xAPI actor of everyone with the Learner role in the course (from launches and the NRPS
    roster), by id, except the course's appointed assessors: Moodle sends an external assessor as a Learner,
    but they are not one here (nor in plugin.launch.access.roles_in). Plain rows, so a course of 10,000 builds
    no ORM object per learner."""
    query = (select(User.id, User.xapi_actor, Enrolment.roles).join(Enrolment, Enrolment.user_id == User.id)
             .where(Enrolment.course_id == course.id).order_by(User.id))
    assessors = {a.user_id for a in active_assessors(session, course)}
    return {uid: actor for uid, actor, roles in session.execute(query)
            if LEARNER_ROLE in (roles or ()) and uid not in assessors}


def enrol_lrs_learners(session: Session, course: Course, mapping: CourseMapping, *,
                       now: datetime | None = None) -> CourseReach:
    """The one definition of a course's learners is :func:`learner_actors`: the roster, those who launched as
    learners, and (this) the Moodle users the LRS shows acting in the course (account ``homePage`` = the
    platform's issuer), less the staff. Enrols the last group, and returns the course's reach, read on the way."""
    reach = course_reach(session, course, mapping, now=now)
    home = normalize_wwwroot(course.issuer)
    seen = {name: actor.name for (actor_home, name), actor in reach.actors.items() if actor_home == home}
    if seen and enrol_seen(session, course, seen, now=now or utcnow()):
        session.commit()
    return reach


def learners_of(session: Session, course: Course) -> list[User]:
    """The learners of :func:`learner_actors`, as users, by id."""
    ids = list(learner_actors(session, course))
    return list(session.scalars(select(User).where(User.id.in_(ids)).order_by(User.id))) if ids else []


def course_statements(
    session: Session, course: Course, mapping: CourseMapping, *, since_us: int | None = None,
    learners: Iterable[User] | None = None,
) -> CourseEvidence:
    """The course's statements (about the course or any mapped activity; voided ones left out), by learner."""
    people = list(learners) if learners is not None else learners_of(session, course)
    evidence = CourseEvidence(learners={str(u.id): u for u in people}, by_learner={str(u.id): [] for u in people})
    by_actor = {key: str(u.id) for u in people if (key := actor_key(u.xapi_actor)) is not None}
    seen: set[str] = set()
    for statement in _about(session, mapping, since_us):
        statement_id = str(statement.get("id"))
        if statement_id in seen:
            continue
        seen.add(statement_id)
        stored = statement.get("stored")
        if isinstance(stored, str) and (evidence.last_stored is None or stored > evidence.last_stored):
            evidence.last_stored = stored
        learner = by_actor.get(actor_key(statement.get("actor")) or ("", ""))
        if learner is None:
            evidence.unmatched.append(statement)
        else:
            evidence.by_learner[learner].append(statement)
    return evidence


@dataclass
class ActorReach:
    """What one actor's statements about the course reached: mapping entry indexes met and touched (see
    plugin.coverage.entries_reached), their first statement (stored_us, id) and the actor's name on it."""

    met: set[int] = field(default_factory=set)
    touched: set[int] = field(default_factory=set)
    first: tuple[int, str] = (2**63, "")
    name: str | None = None
    # entry index → when it was first met (the statement's timestamp, µs): the coverage page's weekly chart.
    met_at: dict[int, int] = field(default_factory=dict)


@dataclass
class CourseReach:
    """``actors``: account actor key (see :func:`actor_key`) → its reach; ``others``: (actor key or None,
    stored_us, statement summary) of every statement whose actor is not an account on ``home``, in stored order —
    the ones no learner may claim, for the coordinator's "unmatched" list."""

    actors: dict[tuple[str, str], ActorReach] = field(default_factory=dict)
    others: list[tuple[tuple[str, str] | None, int, dict[str, Any]]] = field(default_factory=list)


def statement_summary(statement: Mapping[str, Any]) -> dict[str, Any]:
    """id, actor, verb IRI, object id and stored: what the coordinator sees of an unmatched statement."""
    verb, obj = statement.get("verb") or {}, statement.get("object") or {}
    return {"id": statement.get("id"), "actor": statement.get("actor"),
            "verb": verb.get("id") if isinstance(verb, dict) else None,
            "object": obj.get("id") if isinstance(obj, dict) else None, "stored": statement.get("stored")}


def course_reach(session: Session, course: Course, mapping: CourseMapping, *,
                 now: datetime | None = None) -> CourseReach:
    """Every actor's reach in the course's statements (voided ones left out) — what
    plugin.coverage.entries_reached gives over :func:`course_statements` — kept in the derived
    ``coverage_progress`` row, so a request reads only the statements stored since the last request.

    The watermark is the LRS's Consistent-Through (xapi.consistency): every statement stored at or below it
    is read, and one still being written is stored above it, for the next request. A new mapping, or a
    voiding of one of the course's statements, rebuilds the row from every statement. Writing the row is best
    effort: a request that lost a race to another (or met a locked database) answers from what it read and
    leaves the row alone."""
    through = consistent_through(session, utcnow)  # first: it ends the session's transaction
    now_us = to_micros(now or datetime.now(UTC))
    # "met_at" names the row's shape: a row saved before it kept when entries were met is counted again.
    digest = hashlib.sha256(repr(("met_at", mapping.course_id, mapping.wwwroot, mapping.entries)).encode()).hexdigest()
    home = normalize_wwwroot(course.issuer)
    stored = session.execute(select(CoverageProgress.mapping_key, CoverageProgress.watermark_us,
                                    CoverageProgress.generation, CoverageProgress.data)
                             .where(CoverageProgress.course_id == course.id)).one_or_none()
    since = stored.watermark_us if stored is not None and stored.mapping_key == digest else None
    voids = _voidings(session, mapping, since)
    reach = _decode(stored.data) if since is not None and stored is not None else CourseReach()
    if since is not None and stored is not None and not set(voids) <= set(stored.data.get("voids", ())):
        since, reach = None, CourseReach()  # a counted statement may be voided now: count again
    watermark = max(since or 0, through)
    index = ActivityIndex(mapping)
    seen = {str(summary["id"]) for _, _, summary in reach.others}
    changed = since is None
    for stored_us, statement in _about_rows(session, mapping, since, ordered=False, until_us=watermark):
        changed = _count(reach, index, home, seen, stored_us, statement) or changed
    reach.others.sort(key=lambda other: (other[1], str(other[2]["id"])))
    if changed or (stored is not None and watermark - stored.watermark_us > MOVE_US):
        data = _encode(reach, [v for v, us in voids.items() if us > watermark])
        _save(session, course, stored.generation if stored is not None else None, digest, watermark, data, now_us)
    return reach


MOVE_US = 60_000_000  # a row with nothing new is rewritten only to move its watermark this far (fewer writes)


def _count(reach: CourseReach, index: ActivityIndex, home: str, seen: set[str], stored_us: int,
           statement: dict[str, Any]) -> bool:
    """Unite one statement into ``reach``; whether anything changed."""
    key = actor_key(statement.get("actor"))
    changed = False
    if key is not None:
        actor = reach.actors.get(key)
        if actor is None:
            actor = reach.actors[key] = ActorReach()
        first = (stored_us, str(statement.get("id")))
        if first < actor.first:
            name = statement["actor"].get("name")
            actor.first, actor.name, changed = first, name if isinstance(name, str) else None, True
        when = _when(statement, stored_us)
        # Statements come unordered: an entry counts as already met only for statements after it was met.
        met = actor.met if when >= max(actor.met_at.values(), default=0) else {
            i for i in actor.met if actor.met_at.get(i, 0) <= when}
        for i, counts in index.relations(statement, met).items():
            found = actor.met if counts else actor.touched
            if i not in found:
                found.add(i)
                changed = True
            if counts and when < actor.met_at.get(i, 2**63):
                actor.met_at[i] = when
                changed = True
    if (key is None or key[0] != home) and str(statement.get("id")) not in seen:
        seen.add(str(statement.get("id")))
        reach.others.append((key, stored_us, statement_summary(statement)))
        changed = True
    return changed


def _when(statement: Mapping[str, Any], stored_us: int) -> int:
    """When the learner did it: the statement's timestamp (xAPI 1.0.3 §2.4.7), else when the LRS stored it."""
    timestamp = statement.get("timestamp")
    try:
        return to_micros(datetime.fromisoformat(timestamp.replace("Z", "+00:00"))) if isinstance(timestamp, str) \
            else stored_us
    except (ValueError, OverflowError):
        return stored_us


def _voidings(session: Session, mapping: CourseMapping, since: int | None) -> dict[str, int]:
    """Voiding statement id → stored_us, for voidings stored after ``since`` of statements about the course."""
    if since is None:
        return {}
    target = aliased(StatementActivity)
    query = (select(Statement.statement_id, Statement.stored_us)
             .join(target, target.statement_id == Statement.target_id)
             .where(Statement.is_voiding.is_(True), Statement.stored_us > since,
                    target.activity_iri.in_(_about_keys(mapping))))
    return {statement_id: stored_us for statement_id, stored_us in session.execute(query)}


def _encode(reach: CourseReach, voids: list[str]) -> dict[str, Any]:
    actors = [[*key, sorted(a.met), sorted(a.touched - a.met), *a.first, a.name, sorted(a.met_at.items())]
              for key, a in reach.actors.items()]
    return {"actors": actors, "others": [[key and list(key), us, summary] for key, us, summary in reach.others],
            "voids": voids}


def _decode(data: dict[str, Any]) -> CourseReach:
    reach = CourseReach()
    for home, name, met, touched, first_us, first_id, actor_name, met_at in data.get("actors", ()):
        reach.actors[(home, name)] = ActorReach(set(met), set(touched), (first_us, first_id), actor_name,
                                                {i: us for i, us in met_at})
    reach.others = [((key[0], key[1]) if key else None, us, summary) for key, us, summary in data.get("others", ())]
    return reach


def _save(session: Session, course: Course, generation: int | None, digest: str, watermark: int,
          data: dict[str, Any], now_us: int) -> None:
    """Replace the row read at ``generation`` (insert when there was none); give up on any conflict."""
    values = {"mapping_key": digest, "watermark_us": watermark, "data": data,
              "updated_at": datetime.fromtimestamp(now_us / 1e6, UTC)}
    with Session(session.get_bind()) as writer:
        try:
            if generation is None:
                dialect = postgresql if writer.get_bind().dialect.name == "postgresql" else sqlite
                writer.execute(dialect.insert(CoverageProgress).values(course_id=course.id, generation=1, **values)
                               .on_conflict_do_nothing(index_elements=["course_id"]))
            else:
                row = CoverageProgress
                writer.execute(update(row).where(row.course_id == course.id, row.generation == generation)
                               .values(generation=generation + 1, **values))
            writer.commit()
        except DBAPIError as error:  # locked, or the course went away: the next request tries again
            writer.rollback()
            log.info("coverage cache for course %s not saved: %s", course.id, error.orig)


def _about(session: Session, mapping: CourseMapping, since_us: int | None) -> Iterator[dict[str, Any]]:
    """Statements with the course as a context activity (the log store's), or about a mapped activity named
    by IRI (content outside Moodle's module tree, e.g. Samattha's packages), in stored order; a statement
    linked to several of these comes once per link (the caller drops repeats)."""
    for _, full in _about_rows(session, mapping, since_us, ordered=True):
        yield full


def _about_keys(mapping: CourseMapping) -> list[str]:
    iris = [course_iri(mapping)] + [entry.activity for entry in mapping.entries if entry.activity]
    return list(dict.fromkeys(index_key(iri) for iri in iris))


def _about_rows(session: Session, mapping: CourseMapping, since_us: int | None, *,
                ordered: bool, until_us: int | None = None) -> Iterator[tuple[int, dict[str, Any]]]:
    """(stored_us, statement) for :func:`_about`: one streamed query over the LRS link table, reading only the
    parsed ``full`` column; ``since_us`` is an index range on the link table's (activity, stored) index.
    Unordered, the database need not sort 100,000 whole statements first (course_reach sorts what it keeps)."""
    query = (select(Statement.statement_id, Statement.stored_us, Statement.full)
             .join(StatementActivity, StatementActivity.statement_id == Statement.statement_id)
             .where(StatementActivity.activity_iri.in_(_about_keys(mapping)), Statement.voided.is_(False)))
    if ordered:
        query = query.order_by(Statement.stored_us, Statement.statement_id)
    if since_us is not None:
        query = query.where(StatementActivity.stored_us > since_us)
    if until_us is not None:
        query = query.where(StatementActivity.stored_us <= until_us)
    for statement_id, stored_us, full in session.execute(query.execution_options(yield_per=2000)):
        if full is None:  # a statement holding a NUL character is kept only as raw text
            raw = session.scalar(select(Statement.raw).where(Statement.statement_id == statement_id))
            full = json.loads(raw or "{}")
        yield stored_us, full
