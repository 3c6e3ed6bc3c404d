"""Where a course's activities come from: LTI links, the LRS, a backup, Moodle Web Services (a loopback
server answering like Moodle's REST server), and how the sources refine each other."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import requests
from click.testing import CliRunner
from flask import Flask, jsonify, request
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from plugin.cli import main
from plugin.mapping.activities import (
    ActivityItem,
    course_activities,
    record_activities,
    record_backup,
    record_lrs_activities,
    record_resource_links,
)
from plugin.mapping.moodle_backup import read_course_backup
from plugin.mapping.webservice import course_contents, record_webservice_activities
from plugin.models import Course, Platform, ResourceLink
from plugin.moodle_ws import WebServiceError, save_token
from tests.lrs_support import headers, issue, moodle_statements
from tests.servers import serve_app

MBZ = Path(__file__).resolve().parent / "fixtures" / "moodle-4.5" / "course-backup.mbz"
T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
TOKEN = "0123456789abcdef0123456789abcdef"


def make_course(session: Session, issuer: str, context_id: str = "2") -> Course:
    course = Course(issuer=issuer, context_id=context_id, title="Course", updated_at=T0)
    session.add(course)
    session.commit()
    return course


def test_a_richer_source_refines_and_the_lrs_only_fills_blanks(session: Session) -> None:
    course = make_course(session, "https://moodle.example.ac.th")
    iri = "https://moodle.example.ac.th/mod/quiz/view.php?id=6"
    assert record_activities(session, course, [ActivityItem(iri, "old name from a statement", cmid=6,
                                                            module="quiz")], source="lrs", now=T0) == 1
    assert record_activities(session, course, [ActivityItem(iri, "แบบทดสอบ", section=2, position=1)],
                             source="backup", now=T0) == 0
    record_activities(session, course, [ActivityItem(iri, "renamed in a later statement", section=9)],
                      source="lrs", now=T0)
    [row] = course_activities(session, course)
    assert (row.name, row.cmid, row.module, row.section, row.source) == ("แบบทดสอบ", 6, "quiz", 2, "backup")
    with pytest.raises(ValueError, match="source"):
        record_activities(session, course, [], source="moodle", now=T0)


def test_backup_activities_in_course_order(session: Session) -> None:
    backup = read_course_backup(MBZ)
    course = make_course(session, backup.wwwroot, str(backup.course_id))
    assert record_backup(session, course, backup, T0) == len(backup.activities)
    rows = course_activities(session, course)
    assert {r.iri for r in rows} == {a.iri for a in backup.activities}
    assert all(r.source == "backup" and r.cmid is not None and r.name for r in rows)
    keys = [(r.section, r.position) for r in rows]
    assert keys == sorted(keys) and len(set(keys)) == len(keys)
    assert record_backup(session, course, backup, T0) == 0  # a second upload adds nothing


def test_lti_resource_links_get_a_launch_iri(session: Session) -> None:
    course = make_course(session, "https://moodle.example.ac.th")
    other = make_course(session, "https://moodle.example.ac.th", "3")
    for rid, owner in (("1", course), ("7 & 8", course), ("9", other)):
        session.add(ResourceLink(issuer=owner.issuer, resource_link_id=rid, course_id=owner.id,
                                 title=f"Samattha {rid}", updated_at=T0))
    session.commit()
    assert record_resource_links(session, course, base_url="https://tool.example/", now=T0) == 2
    rows = course_activities(session, course)
    assert sorted(r.iri for r in rows) == ["https://tool.example/lti/launch?resource_link_id=1",
                                           "https://tool.example/lti/launch?resource_link_id=7+%26+8"]
    assert {r.module for r in rows} == {"lti"} and {r.source for r in rows} == {"lti"}


def test_activities_seen_in_the_lrs_for_this_course_only(app: Flask, client: FlaskClient, session: Session) -> None:
    hdrs = headers(*issue(app, "all"))
    other_course = {"actor": {"account": {"homePage": "http://www.example.org", "name": "5"}},
                    "verb": {"id": "http://id.tincanapi.com/verb/viewed"},
                    "object": {"id": "http://www.example.org/mod/page/view.php?id=77",
                               "definition": {"name": {"th-TH": "หน้าอื่น", "en": "Other"}}},
                    "context": {"contextActivities": {"parent": [
                        {"id": "http://www.example.org/course/view.php?id=3"}]}}}
    sent = [*moodle_statements(), other_course]
    assert client.post("/xapi/statements", json=sent, headers=hdrs).status_code == 200
    course = make_course(session, "http://www.example.org")
    added = record_lrs_activities(session, course, now=T0)
    rows = {r.iri: r for r in course_activities(session, course)}
    assert added == len(rows) == 24  # the log store fixtures name 24 modules of course 2, all cmid 1
    quiz = rows["http://www.example.org/mod/quiz/view.php?id=1"]
    assert (quiz.module, quiz.cmid, quiz.name, quiz.source) == ("quiz", 1, "test_quiz_name", "lrs")
    assert "http://www.example.org/mod/assign/view.php?id=1" in rows  # seen only as #submission's parent
    assert not any("id=77" in iri or "#" in iri for iri in rows)
    third = make_course(session, "http://www.example.org", "3")
    record_lrs_activities(session, third, now=T0)
    [page] = course_activities(session, third)
    assert page.name == "หน้าอื่น"


# --- Moodle Web Services -------------------------------------------------------------------------------
def moodle_ws(sections: list[dict[str, Any]]) -> Flask:
    """Answers like webservice/rest/server.php: HTTP 200 with the result or with Moodle's exception shape."""
    fake = Flask("moodle-ws")

    @fake.post("/webservice/rest/server.php")
    def server() -> Any:
        form = request.form
        if form.get("wstoken") != TOKEN:
            return jsonify({"exception": "moodle_exception", "errorcode": "invalidtoken",
                            "message": "Invalid token - token not found"})
        if form.get("wsfunction") != "core_course_get_contents" or form.get("moodlewsrestformat") != "json":
            return jsonify({"exception": "dml_missing_record_exception", "errorcode": "invalidrecord",
                            "message": "Can't find data record in database table external_functions."})
        if form.get("courseid") != "2":
            return jsonify({"exception": "dml_missing_record_exception", "errorcode": "invalidrecord",
                            "message": "Can't find data record in database table course."})
        return jsonify(sections)

    @fake.post("/broken/webservice/rest/server.php")
    def broken() -> Any:
        return "<html>Internal Server Error</html>", 500

    @fake.post("/html/webservice/rest/server.php")
    def html() -> Any:
        return "<html>login</html>", 200

    return fake


def module(cmid: int, modname: str, name: str, **extra: Any) -> dict[str, Any]:
    return {"id": cmid, "url": f"http://moodle.test/mod/{modname}/view.php?id={cmid}", "name": name,
            "instance": cmid * 10, "contextid": 100 + cmid, "visible": 1, "uservisible": True,
            "visibleoncoursepage": 1, "modicon": f"http://moodle.test/theme/image.php/boost/{modname}/1/monologo",
            "modname": modname, "modplural": modname.title() + "s", "availability": None, "indent": 0,
            "onclick": "", "afterlink": None, "customdata": "\"\"", "noviewlink": False, "completion": 1,
            "downloadcontent": 1, "dates": [], "groupmode": 0, **extra}


SECTIONS = [
    {"id": 11, "name": "General", "visible": 1, "summary": "", "summaryformat": 1, "section": 0,
     "hiddenbynumsections": 0, "uservisible": True, "modules": [module(1, "forum", "Announcements")]},
    {"id": 12, "name": "หัวข้อ 1", "visible": 1, "summary": "", "summaryformat": 1, "section": 1,
     "hiddenbynumsections": 0, "uservisible": True,
     "modules": [module(6, "quiz", "แบบทดสอบ DS601"), module(8, "label", "A label", noviewlink=True),
                 module(5, "assign", "งานมอบหมาย")]},
]


def test_core_course_get_contents_lists_modules(session: Session) -> None:
    course = make_course(session, "http://moodle.test")
    with serve_app(moodle_ws(SECTIONS)) as url:
        save_token(session, issuer=course.issuer, token=TOKEN, url=url, now=T0)
        assert record_webservice_activities(session, course, now=T0) == 3
    rows = course_activities(session, course)
    assert [(r.iri, r.name, r.section, r.position) for r in rows] == [
        ("http://moodle.test/mod/forum/view.php?id=1", "Announcements", 0, 1),
        ("http://moodle.test/mod/quiz/view.php?id=6", "แบบทดสอบ DS601", 1, 1),
        ("http://moodle.test/mod/assign/view.php?id=5", "งานมอบหมาย", 1, 3)]
    assert {r.source for r in rows} == {"webservice"}


def test_web_service_errors_are_clear_and_never_show_the_token(session: Session) -> None:
    with serve_app(moodle_ws(SECTIONS)) as url:
        cases = [((url, "wrong"), "invalidtoken", "Invalid token - token not found"),
                 ((url, TOKEN, "99"), "invalidrecord", "table course"),
                 ((url + "/broken", TOKEN), "http", "HTTP 500"),
                 ((url + "/html", TOKEN), "http", "did not answer with JSON")]
        for args, code, words in cases:
            with pytest.raises(WebServiceError) as caught:
                course_contents(*args[:2], args[2] if len(args) > 2 else "2")
            assert caught.value.code == code and words in str(caught.value)
            assert TOKEN not in str(caught.value)
    with pytest.raises(WebServiceError, match="cannot reach Moodle") as caught:
        course_contents(url, TOKEN, "2", http=requests.Session())  # the server has stopped
    assert caught.value.code == "network"
    course = make_course(session, "http://no-token.test")
    with pytest.raises(WebServiceError, match="samattha platforms webservice --issuer http://no-token.test"):
        record_webservice_activities(session, course, now=T0)


def test_platforms_webservice_command_stores_the_token(app: Flask, session: Session, tmp_path: Path) -> None:
    runner = CliRunner()
    env = {"SAMATTHA_DATABASE_URL": app.config["SAMATTHA"].database_url,
           "SAMATTHA_INSTANCE_PATH": str(tmp_path / "cli-instance"), "SAMATTHA_BASE_URL": "http://tool.test"}
    unknown = runner.invoke(main, ["platforms", "webservice", "--issuer", "http://moodle.test", "--token", TOKEN],
                            env=env)
    assert unknown.exit_code != 0 and "no platform with issuer" in unknown.output
    session.add(Platform(issuer="http://moodle.test", client_id="c", auth_login_url="u", auth_token_url="u",
                         key_set_url="u", source="manual", created_at=T0))
    session.commit()
    done = runner.invoke(main, ["platforms", "webservice", "--issuer", "http://moodle.test", "--token", TOKEN],
                         env=env)
    assert done.exit_code == 0, done.output
    assert "http://moodle.test/webservice/rest/server.php" in done.output and TOKEN not in done.output
    course = make_course(session, "http://moodle.test")
    with serve_app(moodle_ws(SECTIONS)) as url:
        moved = runner.invoke(main, ["platforms", "webservice", "--issuer", "http://moodle.test", "--token",
                                    TOKEN, "--url", url + "/"], env=env)
        assert moved.exit_code == 0, moved.output
        session.expire_all()
        assert record_webservice_activities(session, course, now=T0) == 3
