"""A week of learning in the demonstration course, as Moodle's xAPI log store (moodle-logstore_xapi 5.0.1)
and Samattha's own packages would have sent it: the same verbs, object IRIs, activity types and parent chains
(module → section → course) as tests/fixtures/moodle-logstore-xapi, the actor being the learner's Moodle
account (homePage = wwwroot, name = Moodle user id, the LTI ``sub``).

The plan is data: who did what on which day. Learners differ on purpose so the coverage report and the
portfolios have something to show: one nearly done, one half way, one just starting (the tour's learner, who
takes a package during the tour and moves coverage)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from plugin.demo.moodle import Module

__all__ = ["COURSE_ACTIVITIES", "DAYS", "Step", "plan", "statement"]

DAYS = 7
SECTION = 1
PACKAGE_EXT = "https://samattha.dev/xapi/extensions/package"

# The course's Moodle activities other than its LTI links: those of mappings/example-dg-opsr-023.toml, named as
# it names them (the demo Moodle lists them to Samattha through Web Services).
COURSE_ACTIVITIES = (
    Module(3, "page", "อ่าน: พ.ร.บ. คุ้มครองข้อมูลส่วนบุคคล (Page)"),
    Module(5, "assign", "งานมอบหมาย: อธิบายหลักการคุ้มครองข้อมูล (Assignment)"),
    Module(6, "quiz", "แบบทดสอบ: ความรู้ด้านข้อมูล (Quiz)"),
    Module(7, "assign", "งานมอบหมาย: ประเมินความคิดเห็นของผู้ใช้บริการ"),
    Module(8, "forum", "กระดานเสวนา: ข้อเสนอแนะเพื่อปรับปรุงบริการ"),
    Module(9, "assign", "งานมอบหมาย: รายงานการปรับปรุงงานบริการดิจิทัล"),
    Module(10, "assign", "งานมอบหมาย: แนบประกาศนียบัตรการฝึกอบรม"),
    Module(11, "assign", "งานมอบหมาย: ประวัติการทำงาน"),
)


@dataclass(frozen=True)
class Step:
    """One thing a learner did: ``what`` is course (the course page) | viewed | attempt | submit | graded | post |
    completed (module completion) | package;
    ``score`` is raw out of 100 (attempt, graded) or a fraction (package)."""

    day: int
    hour: int
    learner: int  # index into the demo's learners
    what: str
    cmid: int = 0
    score: float | None = None
    package: str = ""  # the package's activity IRI, for "package"


def plan(ds602: str, ds603: str) -> list[Step]:
    """Who did what, day 0 (a week ago) to day 6 (yesterday); ``ds602``/``ds603``: those packages' IRIs."""
    steps = [
        # Learner 0: reads, passes the quiz, submits and is graded, posts, takes two packages.
        Step(0, 9, 0, "viewed", 3), Step(0, 10, 0, "attempt", 6, 60), Step(1, 14, 0, "attempt", 6, 90),
        Step(1, 15, 0, "completed", 3), Step(2, 9, 0, "submit", 5), Step(2, 11, 0, "post", 8),
        Step(3, 10, 0, "graded", 5, 85), Step(3, 13, 0, "package", score=1.0, package=ds602),
        Step(4, 9, 0, "submit", 7), Step(5, 16, 0, "graded", 7, 70), Step(5, 17, 0, "package", score=5 / 6,
                                                                            package=ds603),
        Step(6, 10, 0, "submit", 9), Step(6, 15, 0, "completed", 9),
        # Learner 1: reads, fails then passes the quiz, one package failed, a forum post.
        Step(1, 8, 1, "viewed", 3), Step(2, 19, 1, "attempt", 6, 50), Step(3, 20, 1, "attempt", 6, 80),
        Step(4, 18, 1, "package", score=3 / 5, package=ds602), Step(5, 9, 1, "post", 8),
        Step(5, 10, 1, "submit", 5), Step(6, 11, 1, "graded", 5, 55),
        # Learner 2 (the tour's learner): has only looked around; no package taken yet.
        Step(2, 13, 2, "viewed", 3), Step(4, 14, 2, "attempt", 6, 40),
    ]
    # Each day a learner did something, they first opened the course page (core\event\course_viewed).
    visits = sorted({(s.day, s.learner, min(t.hour for t in steps if (t.day, t.learner) == (s.day, s.learner)))
                     for s in steps})
    return [Step(day, max(hour - 1, 0), learner, "course") for day, learner, hour in visits] + steps


def _activity(iri: str, name: str, kind: str) -> dict[str, Any]:
    return {"id": iri, "definition": {"name": {"th": name}, "type": kind}, "objectType": "Activity"}


_TYPES = {"page": "https://w3id.org/xapi/acrossx/activities/page", "quiz": "http://adlnet.gov/expapi/activities/assessment",
          "assign": "http://adlnet.gov/expapi/activities/assessment", "forum": "http://id.tincanapi.com/activitytype/discussion"}
_EVENTS = {"viewed": "\\mod_{module}\\event\\course_module_viewed", "attempt": "\\mod_quiz\\event\\attempt_submitted",
           "submit": "\\mod_assign\\event\\assessable_submitted", "graded": "\\mod_assign\\event\\submission_graded",
           "post": "\\mod_forum\\event\\post_created",
           "completed": "\\core\\event\\course_module_completion_updated"}
_VERBS = {"viewed": ("http://id.tincanapi.com/verb/viewed", "viewed"),
          "completed": ("http://adlnet.gov/expapi/verbs/completed", "completed"),
          "submit": ("http://activitystrea.ms/schema/1.0/submit", "submitted"),
          "graded": ("https://w3id.org/xapi/tla/verbs/scored", "scored"),
          "post": ("http://id.tincanapi.com/verb/replied", "replied to"),
          "passed": ("http://adlnet.gov/expapi/verbs/passed", "passed"),
          "failed": ("http://adlnet.gov/expapi/verbs/failed", "failed")}


def statement(step: Step, *, wwwroot: str, course: dict[str, Any], actor: dict[str, Any], start: datetime,
              package_name: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The statement the log store (or the package, for "package", naming itself ``package_name``) sent for
    ``step``."""
    when = (start + timedelta(days=step.day, hours=step.hour)).isoformat().replace("+00:00", "Z")
    site = _activity(wwwroot, "Samattha demo Moodle", "http://id.tincanapi.com/activitytype/lms")
    course_activity = _activity(f"{wwwroot}/course/view.php?id={course['id']}", course["title"],
                                "https://w3id.org/xapi/cmi5/activitytype/course")
    section = _activity(f"{wwwroot}/course/section.php?id={SECTION}", f"{course['title']} Section 1",
                        "http://id.tincanapi.com/activitytype/section")
    stmt: dict[str, Any] = {"id": str(uuid.uuid4()), "actor": actor, "timestamp": when}
    if step.what == "package":
        passed = (step.score or 0) >= 0.8
        name = "passed" if passed else "failed"
        stmt.update(verb={"id": _VERBS[name][0], "display": {"en-US": name}},
                    object={"id": step.package, "objectType": "Activity", "definition": {
                        "name": dict(package_name or {}), "type": "http://adlnet.gov/expapi/activities/course"}},
                    result={"score": {"scaled": round(step.score or 0, 4)}, "success": passed, "completion": True},
                    context={"registration": str(uuid.uuid4()), "extensions": {PACKAGE_EXT: step.package}})
        return stmt
    if step.what == "course":
        stmt.update(verb={"id": _VERBS["viewed"][0], "display": {"en": "Viewed"}}, object=course_activity,
                    context=_context(site, [], "\\core\\event\\course_viewed"))
        return stmt
    module = next(a for a in COURSE_ACTIVITIES if a.cmid == step.cmid)
    view = _activity(f"{wwwroot}/mod/{module.module}/view.php?id={module.cmid}", module.title, _TYPES[module.module])
    parents = [section, course_activity]
    obj, result = view, None
    if step.what == "attempt":
        attempt = f"{wwwroot}/mod/quiz/attempt.php?attempt={step.day * 10 + step.learner + 1}&cmid={module.cmid}"
        obj = _activity(attempt, f"{module.title} Attempt", "http://adlnet.gov/expapi/activities/attempt")
        parents = [view, *parents]
        raw = float(step.score or 0)
        result = {"score": {"raw": raw, "min": 0.0, "max": 100.0, "scaled": round(2 * raw / 100 - 1, 4)},
                  "completion": True, "success": raw >= 80, "duration": "PT12M"}
    elif step.what in ("submit", "graded"):
        obj = _activity(f"{view['id']}#submission", f"{module.title} submission",
                        "https://xapi.edlm/profiles/edlm-lms/concepts/activity-types/submission")
        parents = [view, *parents]
        if step.what == "graded":
            raw = float(step.score or 0)
            result = {"score": {"raw": raw, "min": 0.0, "max": 100.0, "scaled": round(2 * raw / 100 - 1, 4)},
                      "success": raw >= 50}
    elif step.what == "post":
        discussion = f"{wwwroot}/mod/forum/discuss.php?d={module.cmid}"
        obj = _activity(f"{discussion}#p{step.day * 10 + step.learner + 1}", "Re: ข้อเสนอแนะ",
                        "http://id.tincanapi.com/activitytype/forum-reply")
        parents = [_activity(discussion, module.title, "http://id.tincanapi.com/activitytype/discussion"), view,
                   *parents]
    elif step.what == "completed":
        result = {"completion": True, "success": True}
    verb_id, verb_name = _VERBS[step.what if step.what != "attempt" else "completed"]
    stmt.update(verb={"id": verb_id, "display": {"en": verb_name.capitalize()}}, object=obj,
                context=_context(site, parents, _EVENTS[step.what].format(module=module.module)))
    if result is not None:
        stmt["result"] = result
    return stmt


def _context(site: dict[str, Any], parents: list[dict[str, Any]], event: str) -> dict[str, Any]:
    activities: dict[str, Any] = {"category": [site]}
    if parents:
        activities["parent"] = parents
    return {"platform": "Moodle", "language": "th", "contextActivities": activities,
            "extensions": {"http://lrs.learninglocker.net/define/extensions/info": {
                "http://moodle.org": "4.5.5", "https://github.com/xAPI-vle/moodle-logstore_xapi": "5.0.1",
                "event_name": event}}}
