"""The course's learners for a compile run, found through the LRS's indexes instead of its statements.

A course's learners (plugin.evidence.learner_actors) include the Moodle users the LRS shows acting in the course,
whom plugin.evidence.enrol_lrs_learners finds by reading every statement about the course (coverage needs that read
anyway). A compile needs only who they are: the distinct actors of those same statements (about the course or a
mapped activity, not voided), a scan of the statements' actor column. At 10^6 statements that is a few seconds
where reading them all was half a minute. An actor already enrolled in the course costs nothing more; for any
other, the earliest such statement gives the actor and the name, as it does for enrol_lrs_learners."""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from plugin.evidence import about_keys, actor_key
from plugin.launch.repository import enrol_seen
from plugin.mapping.model import CourseMapping, normalize_wwwroot
from plugin.models import Course, Enrolment, User
from xapi import jsontext
from xapi.models import Statement, StatementActivity, StatementAgent
from xapi.prepare import ifi_of

__all__ = ["account_ifis", "enrol_seen_learners", "ifis"]


def ifis(actor: Any) -> list[str]:
    """The IFIs the LRS indexes a learner's statements under: their account, homePage with or without "/"."""
    key = actor_key(actor)
    return [] if key is None else list(account_ifis(*key))


@functools.lru_cache(maxsize=100_000)  # every run works them out again for every learner of every course
def account_ifis(home: str, name: str) -> tuple[str, ...]:
    return tuple(i for h in (home, home + "/") if (i := ifi_of({"account": {"homePage": h, "name": name}})))


def enrol_seen_learners(session: Session, course: Course, mapping: CourseMapping, *, now: datetime,
                        since_us: int | None = None) -> None:
    """Enrol the Moodle users the LRS shows acting in the course who are not members yet (plugin.launch.repository
    .enrol_seen), as plugin.evidence.enrol_lrs_learners does; ``since_us``: only statements stored after it can
    show a new one (an index range on the link table's (activity, stored) index)."""
    keys = about_keys(mapping)
    about = (select(Statement.actor_ifi)
             .join(StatementActivity, StatementActivity.statement_id == Statement.statement_id)
             .where(StatementActivity.activity_iri.in_(keys), Statement.voided.is_(False),
                    Statement.actor_ifi.is_not(None)))
    if since_us is not None:
        about = about.where(StatementActivity.stored_us > since_us)
    acting = set(session.scalars(about.distinct()))
    members = select(User.xapi_actor).join(Enrolment, Enrolment.user_id == User.id).where(
        Enrolment.course_id == course.id)
    acting -= {ifi for actor in session.scalars(members) for ifi in ifis(actor)}
    home = normalize_wwwroot(course.issuer)
    earliest: dict[str, tuple[int, str, str | None]] = {}  # Moodle user id → (stored, statement id, name)
    for ifi in acting:
        # Through the agent index: the actor's own statements, then which of them are about the course.
        about_course = select(StatementActivity.statement_id).where(
            StatementActivity.statement_id == Statement.statement_id, StatementActivity.activity_iri.in_(keys))
        first = session.execute(
            select(Statement.stored_us, Statement.statement_id, Statement.raw)
            .join(StatementAgent, StatementAgent.statement_id == Statement.statement_id)
            .where(StatementAgent.ifi == ifi, Statement.actor_ifi == ifi, Statement.voided.is_(False),
                   about_course.exists())
            .order_by(Statement.stored_us, Statement.statement_id).limit(1)).first()
        actor = jsontext.loads(first.raw).get("actor") if first is not None else None
        key = actor_key(actor)
        if first is None or key is None or key[0] != home:
            continue  # not a Moodle user of this site: a content package's own actor, another site's
        name = actor.get("name") if isinstance(actor, dict) else None
        said = (first.stored_us, first.statement_id, name if isinstance(name, str) else None)
        earliest[key[1]] = min(earliest.get(key[1], said), said)
    seen = {subject: name for subject, (_, _, name) in earliest.items()}
    if seen and enrol_seen(session, course, seen, now=now):
        session.commit()
