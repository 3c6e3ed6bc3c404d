"""The identity join's list of learners."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session

from plugin.evidence import LEARNER_ROLE, learner_actors, learners_of
from plugin.models import AssessorAppointment, Course, Enrolment, User

NOW = datetime(2026, 11, 21, tzinfo=UTC)
INSTRUCTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"


def test_learners_are_the_learner_role_without_appointed_assessors(session: Session) -> None:
    course = Course(issuer="https://moodle.example", context_id="2", updated_at=NOW)
    people = {name: User(issuer=course.issuer, subject=name, name=name, created_at=NOW)
              for name in ("sam", "ann", "tina", "old")}
    session.add_all([course, *people.values()])
    session.flush()
    for name, roles in (("sam", [LEARNER_ROLE]), ("ann", [LEARNER_ROLE]), ("tina", [INSTRUCTOR]),
                        ("old", [LEARNER_ROLE])):
        session.add(Enrolment(course_id=course.id, user_id=people[name].id, roles=roles, source="nrps",
                              updated_at=NOW))
    # Ann is an external assessor Moodle sends as a Learner; "old" was an assessor once, appointment revoked.
    session.add(AssessorAppointment(course_id=course.id, user_id=people["ann"].id, appointed_at=NOW))
    session.add(AssessorAppointment(course_id=course.id, user_id=people["old"].id, appointed_at=NOW, revoked_at=NOW))
    session.commit()
    assert [user.subject for user in learners_of(session, course)] == ["sam", "old"]
    # The compiler's plain-row view is the same people, with the actor their statements carry.
    assert learner_actors(session, course) == {people[n].id: people[n].xapi_actor for n in ("sam", "old")}
