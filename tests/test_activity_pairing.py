"""A knowledge check placed by deep linking is one activity in the mapping editor, not two: before anyone has
launched it, Samattha has no LTI link record to say which package the Moodle activity holds, so the Moodle
activity named as the package (deep linking gave it the package's title) is the package."""

from __future__ import annotations

from sqlalchemy.orm import Session

from plugin.mapping.activities import course_activities
from plugin.mapping.discovery import refresh_activities
from plugin.mapping.editor_form import activity_rows
from plugin.models.content import ContentPackage
from plugin.moodle_ws import save_token
from tests.servers import serve_app
from tests.test_activity_sources import SECTIONS, T0, TOKEN, make_course, module, moodle_ws

BASE = "https://samattha.example.go.th"
PACKAGE_IRI = "https://samattha.dev/content/dg-opsr-023/ds601"
TITLE = "Knowledge check DS601: Evaluate service users' opinions"
PLACED = [*SECTIONS, {"id": 13, "name": "หัวข้อ 2", "section": 2, "visible": 1, "uservisible": True,
                      "modules": [module(12, "lti", TITLE, instance=50),
                                  module(14, "lti", "แบบทดสอบของผู้สอนเอง", instance=60)]}]


def test_an_unlaunched_knowledge_check_is_listed_once_as_its_package(session: Session) -> None:
    course = make_course(session, "http://moodle.test")
    session.add(ContentPackage(course_id=course.id, kind="tincan", title=TITLE, activity_iri=PACKAGE_IRI,
                               manifest={"items": [], "titles": {"th": "แบบทดสอบความรู้ DS601", "en": TITLE}},
                               created_at=T0))
    session.commit()
    with serve_app(moodle_ws(PLACED)) as url:
        save_token(session, issuer=course.issuer, token=TOKEN, url=url, now=T0)
        refresh_activities(session, course, base_url=BASE, now=T0)
    session.commit()
    listed = [(row.key, row.name, row.module) for row in activity_rows(course_activities(session, course), [])]
    assert (f"iri:{PACKAGE_IRI}", TITLE, "package") in listed
    assert not any(key == "cmid:12" for key, _, _ in listed)  # its Moodle activity is the package
    assert ("cmid:14", "แบบทดสอบของผู้สอนเอง", "lti") in listed  # another tool's link stays itself
    assert [name for _, name, _ in listed].count(TITLE) == 1
