"""The identity join: which stored statements are a course's evidence, and whose.

A statement counts for the learner whose LTI identity matches its actor: account homePage = issuer and
name = sub, as Moodle's log store sends (User.xapi_actor), or the actor Samattha gave its own content, which
is the same account. Statements of the course whose actor matches no enrolled learner are kept in
``unmatched`` for the coordinator, never dropped."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, aliased

from plugin.clock import utcnow
from plugin.launch.repository import active_assessors, aware, enrol_seen
from plugin.mapping.model import CourseMapping, course_iri, normalize_wwwroot
from plugin.mapping.rules import ActivityIndex
from plugin.models import Course, Enrolment, User
from plugin.models.mapping import CoverageProgress
from xapi import jsontext
from xapi.consistency import consistent_through
from xapi.models import Statement, StatementActivity
from xapi.prepare import index_key, to_micros

__all__ = [
    "ActorReach", "CourseEvidence", "CourseReach", "LastFigures", "about_keys", "actor_key", "course_reach",
    "course_statements", "enrol_lrs_learners", "entry_identities", "learner_actors", "learners_of",
    "reach_or_last_figures", "refresh_reach", "statement_summary",
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
                       now: datetime | None = None, reach: CourseReach | None = None) -> CourseReach:
    """The one definition of a course's learners is :func:`learner_actors`: the roster, those who launched as
    learners, and (this) the Moodle users the LRS shows acting in the course (account ``homePage`` = the
    platform's issuer), less the staff. Enrols the last group, and returns the course's reach, read on the way.

    ``reach``: the actors to go by instead of a fresh :func:`course_reach`; the coverage page passes the last
    figures (:func:`reach_or_last_figures`) while a full read runs in the background, so a Moodle user seen only in the
    LRS since those figures is not enrolled, nor listed, until the refresh is done."""
    reach = reach if reach is not None else course_reach(session, course, mapping, now=now)
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
    return _course_reach(session, course, mapping, now=now, large_at=None)[0]


def reach_or_last_figures(session: Session, course: Course, mapping: CourseMapping, *, large_at: int,
                          now: datetime | None = None) -> tuple[CourseReach, LastFigures | None]:
    """:func:`course_reach`, unless that is a full read of more than ``large_at`` statement links (no row yet,
    another mapping, a voiding): then the last figures, without reading the statements, and at most one caller
    at a time, across processes, gets ``refresh`` (the claim is CoverageProgress.refreshing_since; one older than
    REFRESH_LOST_AFTER is taken over)."""
    return _course_reach(session, course, mapping, now=now, large_at=large_at)


def _course_reach(session: Session, course: Course, mapping: CourseMapping, *, now: datetime | None,
                  large_at: int | None) -> tuple[CourseReach, LastFigures | None]:
    through = consistent_through(session, utcnow)  # first: it ends the session's transaction
    now_us = to_micros(now or datetime.now(UTC))
    digest = _mapping_key(mapping)
    home = normalize_wwwroot(course.issuer)
    stored = _stored(session, course)
    since, voids = _resume(session, mapping, stored, digest)
    if since is None and large_at is not None and _larger_than(session, mapping, large_at):
        last = _last_figures(session, course, mapping, stored, now or utcnow())
        return last.reach, last
    reach = _decode(stored.data) if since is not None and stored is not None else CourseReach()
    watermark = max(since or 0, through)
    index = ActivityIndex(mapping)
    seen = {str(summary["id"]) for _, _, summary in reach.others}
    changed = since is None
    for stored_us, statement in _about_rows(session, mapping, since, ordered=False, until_us=watermark):
        changed = _count(reach, index, home, seen, stored_us, statement) or changed
    reach.others.sort(key=lambda other: (other[1], str(other[2]["id"])))
    if changed or (stored is not None and watermark - stored.watermark_us > MOVE_US):
        data = _encode(reach, [v for v, us in voids.items() if us > watermark], entry_identities(mapping))
        _save(session, course, stored.generation if stored is not None else None, digest, watermark, data, now_us)
    return reach, None


MOVE_US = 60_000_000  # a row with nothing new is rewritten only to move its watermark this far (fewer writes)
REFRESH_LOST_AFTER = timedelta(minutes=15)  # a background refresh claimed this long ago is taken over


def _mapping_key(mapping: CourseMapping) -> str:
    # "met_at" names the row's shape: a row saved before it kept when entries were met is counted again.
    return hashlib.sha256(repr(("met_at", mapping.course_id, mapping.wwwroot, mapping.entries)).encode()).hexdigest()


def entry_identities(mapping: CourseMapping) -> list[str]:
    """Per entry, in index order, a digest of what decides which statements meet or touch it
    (plugin.mapping.rules.ActivityIndex): its activity (IRI or cmid) and rule, in the course (id, wwwroot).
    Not its targets nor title: an entry that now counts towards other criteria keeps its learners' figures."""
    course = (mapping.course_id, normalize_wwwroot(mapping.wwwroot))
    return [hashlib.sha256(repr((course, entry.activity, entry.cmid, entry.rule)).encode()).hexdigest()[:16]
            for entry in mapping.entries]


def _stored(session: Session, course: Course) -> Any:
    row = CoverageProgress
    return session.execute(select(row.mapping_key, row.watermark_us, row.generation, row.data, row.refreshing_since)
                           .where(row.course_id == course.id)).one_or_none()


def _resume(session: Session, mapping: CourseMapping, stored: Any, digest: str) -> tuple[int | None, dict[str, int]]:
    """Where reading the course's statements starts: the row's watermark, or ``None`` to read them all (no row,
    another mapping, or a voiding of a statement the row counted); and the voidings stored since the watermark."""
    since = stored.watermark_us if stored is not None and stored.mapping_key == digest else None
    voids = _voidings(session, mapping, since)
    if since is not None and not set(voids) <= set(stored.data.get("voids", ())):
        since = None  # a counted statement may be voided now: count again
    return since, voids


@dataclass
class LastFigures:
    """A course's reach while its full read runs in the background: the row's figures translated to the current
    mapping (an entry new to it has none yet); ``as_of``: they count every statement stored until then (``None``:
    the course was never counted, so no learner has figures yet); ``refresh``: this caller claimed the full read
    and is to start it (:func:`refresh_reach`). See :func:`reach_or_last_figures`."""

    reach: CourseReach
    as_of: datetime | None
    refresh: bool


def _last_figures(session: Session, course: Course, mapping: CourseMapping, stored: Any,
                  moment: datetime) -> LastFigures:
    reach, as_of = CourseReach(), None
    if stored is not None and stored.data.get("entries") is not None:
        reach = _translated(stored.data, entry_identities(mapping))
        as_of = datetime.fromtimestamp(stored.watermark_us / 1e6, UTC)
    claimed = stored is not None and stored.refreshing_since is not None and \
        aware(stored.refreshing_since) >= moment - REFRESH_LOST_AFTER
    generation = stored.generation if stored is not None else None
    return LastFigures(reach, as_of, not claimed and _claim(session, course, generation, moment))


def _larger_than(session: Session, mapping: CourseMapping, limit: int) -> bool:
    """Whether more than ``limit`` statement links name the course or a mapped activity: counting stops there,
    so this costs an index range of ``limit`` rows however large the course."""
    links = (select(StatementActivity.statement_id).where(StatementActivity.activity_iri.in_(about_keys(mapping)))
             .limit(limit + 1).subquery())
    return (session.scalar(select(func.count()).select_from(links)) or 0) > limit


def _translated(data: dict[str, Any], current: list[str]) -> CourseReach:
    """The row's reach with entry indexes moved to the current mapping's: an entry the row knew (the same
    :func:`entry_identities`) keeps its figures, wherever it stands now."""
    now_at: dict[str, list[int]] = {}
    for j, identity in enumerate(current):
        now_at.setdefault(identity, []).append(j)
    moved = {i: now_at.get(identity, []) for i, identity in enumerate(data["entries"])}
    reach = _decode(data)
    for actor in reach.actors.values():
        actor.met = {j for i in actor.met for j in moved.get(i, ())}
        actor.touched = {j for i in actor.touched for j in moved.get(i, ())}
        actor.met_at = {j: us for i, us in actor.met_at.items() for j in moved.get(i, ())}
    return reach


def _claim(session: Session, course: Course, generation: int | None, now: datetime) -> bool:
    """Mark the course's full read as taken on: one conditional UPDATE of the row as read (``generation``), or
    the INSERT of a row holding only the claim when there was none, so of two processes only one gets it, and
    none once a refresh has saved the row meanwhile. RETURNING, not rowcount (psycopg)."""
    row = CoverageProgress
    with Session(session.get_bind()) as writer:
        try:
            if generation is not None:
                taken = writer.execute(update(row).where(
                    row.course_id == course.id, row.generation == generation,
                    or_(row.refreshing_since.is_(None), row.refreshing_since < now - REFRESH_LOST_AFTER))
                    .values(refreshing_since=now).returning(row.course_id)).first() is not None
            else:
                dialect = postgresql if writer.get_bind().dialect.name == "postgresql" else sqlite
                taken = writer.execute(dialect.insert(row).values(
                    course_id=course.id, mapping_key="", watermark_us=0, generation=1, data={}, updated_at=now,
                    refreshing_since=now).on_conflict_do_nothing(index_elements=["course_id"])
                    .returning(row.course_id)).first() is not None
            writer.commit()
            return taken
        except DBAPIError as error:  # locked: another request claims it next time
            writer.rollback()
            log.info("coverage refresh of course %s not claimed: %s", course.id, error.orig)
            return False


def refresh_reach(session: Session, course_pk: int, mapping: CourseMapping) -> None:
    """The background refresh a :func:`reach_or_last_figures` caller claimed: the exact :func:`course_reach`,
    saved in the row; then the claim is let go, also when the read failed (logged), so the next view tries
    again."""
    log.info("refreshing coverage of course %s in the background", course_pk)
    try:
        course = session.get(Course, course_pk)
        if course is not None:
            course_reach(session, course, mapping)
    except Exception:  # a thread of its own: nobody else would hear of it
        session.rollback()
        log.exception("coverage refresh of course %s failed", course_pk)
    finally:
        row = CoverageProgress
        with Session(session.get_bind()) as writer:
            try:
                writer.execute(update(row).where(row.course_id == course_pk).values(refreshing_since=None))
                writer.commit()
            except DBAPIError as error:  # the claim lapses after REFRESH_LOST_AFTER
                writer.rollback()
                log.warning("coverage refresh claim of course %s not released: %s", course_pk, error.orig)


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
                    target.activity_iri.in_(about_keys(mapping))))
    return {statement_id: stored_us for statement_id, stored_us in session.execute(query)}


def _encode(reach: CourseReach, voids: list[str], entries: list[str]) -> dict[str, Any]:
    actors = [[*key, sorted(a.met), sorted(a.touched - a.met), *a.first, a.name, sorted(a.met_at.items())]
              for key, a in reach.actors.items()]
    # "entries" (entry_identities): what each index meant, so another mapping's page can show these figures.
    return {"actors": actors, "others": [[key and list(key), us, summary] for key, us, summary in reach.others],
            "voids": voids, "entries": entries}


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


def about_keys(mapping: CourseMapping) -> list[str]:
    """The LRS's activity keys of the course and of every mapped activity: a statement linked to one is about
    the course."""
    iris = [course_iri(mapping)] + [entry.activity for entry in mapping.entries if entry.activity]
    return list(dict.fromkeys(index_key(iri) for iri in iris))


def _about_rows(session: Session, mapping: CourseMapping, since_us: int | None, *,
                ordered: bool, until_us: int | None = None) -> Iterator[tuple[int, dict[str, Any]]]:
    """(stored_us, statement) for :func:`_about`: one streamed query over the LRS link table, reading only the
    statement's text; ``since_us`` is an index range on the link table's (activity, stored) index. Unordered, the
    database need not sort 100,000 whole statements first (course_reach sorts what it keeps).

    The text, not the parsed ``full`` column: the drivers decode JSON columns with the standard library's
    ``json``, and orjson (xapi.jsontext, numbers as numbers) reads the text in a third of the time. At 10^6
    statements decoding was half of a course's first read (32 of 67 s, SQLite)."""
    query = (select(Statement.stored_us, Statement.raw)
             .join(StatementActivity, StatementActivity.statement_id == Statement.statement_id)
             .where(StatementActivity.activity_iri.in_(about_keys(mapping)), Statement.voided.is_(False)))
    if ordered:
        query = query.order_by(Statement.stored_us, Statement.statement_id)
    if since_us is not None:
        query = query.where(StatementActivity.stored_us > since_us)
    if until_us is not None:
        query = query.where(StatementActivity.stored_us <= until_us)
    # Core, not the ORM's result: nothing here is an entity, and the ORM's row handling cost 4 of the 28 s.
    for stored_us, raw in session.connection().execute(query.execution_options(yield_per=2000)):
        yield stored_us, jsontext.loads(raw)
