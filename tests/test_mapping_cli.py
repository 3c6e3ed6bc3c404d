"""`samattha mappings load/export/activities` as an operator runs them, on the real database."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from plugin.cli import main
from plugin.mapping.activities import ActivityItem, record_activities
from plugin.models import Course, CourseActivity, MappingRevision, Platform, ResourceLink

EXAMPLE = Path(__file__).resolve().parent.parent / "mappings" / "example-dg-opsr-023.toml"
WWWROOT = "http://127.0.0.1:8081"
T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def run(app: Flask, tmp_path: Path, standard: object):  # type: ignore[no-untyped-def]
    env = {"SAMATTHA_DATABASE_URL": app.config["SAMATTHA"].database_url,
           "SAMATTHA_INSTANCE_PATH": str(tmp_path / "cli-instance"), "SAMATTHA_BASE_URL": "http://tool.test"}

    def invoke(*args: str, base_url: str | None = "http://tool.test") -> Result:
        return CliRunner().invoke(main, list(args), env=env | {"SAMATTHA_BASE_URL": base_url})

    return invoke


def add_platform(session: Session, issuer: str = WWWROOT) -> None:
    session.add(Platform(issuer=issuer, client_id="c", auth_login_url="u", auth_token_url="u", key_set_url="u",
                         source="manual", created_at=T0))
    session.commit()


def revisions(session: Session) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(MappingRevision)) or 0


def test_load_creates_the_course_saves_a_revision_and_export_gives_it_back(run, session: Session,  # type: ignore[no-untyped-def]
                                                                           tmp_path: Path) -> None:
    refused = run("mappings", "load", str(EXAMPLE), "--course", "2")
    assert refused.exit_code == 1 and "no platform with issuer 'http://127.0.0.1:8081'" in refused.output
    add_platform(session)
    loaded = run("mappings", "load", str(EXAMPLE), "--course", "2")
    assert loaded.exit_code == 0, loaded.output
    assert f"course 2 on {WWWROOT}: revision 1 (Created with 9 activities)" in loaded.output
    # The example's page and forum name no evidence item: the load says which items the old default linked.
    assert ("example-dg-opsr-023.toml: note: อ่าน: พ.ร.บ. คุ้มครองข้อมูลส่วนบุคคล (Page) is filed under no evidence "
            "item of its units: an item counts only when the mapping names it (before, DG100.KE1, DG100.KE2 were "
            "linked by default)") in loaded.output
    course = session.scalars(select(Course)).one()
    assert (course.issuer, course.context_id, course.title) == (WWWROOT, "2", "LTI Lab Course")
    out = tmp_path / "exported.toml"
    assert run("mappings", "export", "--course", "2", "--out", str(out)).exit_code == 0
    again = run("mappings", "load", str(out), "--course", "2")
    assert "revision 1 (Created with 9 activities)\n" in again.output
    assert revisions(session) == 1  # the same mapping again adds nothing
    printed = run("mappings", "export", "--course", "2")
    assert printed.exit_code == 0 and printed.output == out.read_text(encoding="utf-8")
    changed = out.read_text(encoding="utf-8").replace("threshold = 0.8", "threshold = 0.75")
    (tmp_path / "changed.toml").write_text(changed, encoding="utf-8")
    second = run("mappings", "load", str(tmp_path / "changed.toml"), "--course", "2")
    assert "revision 2 (Changed" in second.output and "score ≥ 0.8 → score ≥ 0.75" in second.output


def test_every_unknown_code_and_activity_is_reported_and_nothing_loads(run, session: Session,  # type: ignore[no-untyped-def]
                                                                       tmp_path: Path) -> None:
    add_platform(session)
    course = Course(issuer=WWWROOT, context_id="2", updated_at=T0)
    session.add(course)
    session.commit()
    known = [ActivityItem(f"{WWWROOT}/mod/{m}/view.php?id={cmid}", cmid=cmid, module=m)
             for m, cmid in (("quiz", 6), ("assign", 5), ("page", 3))]
    record_activities(session, course, known, source="backup", now=T0)
    session.commit()
    text = EXAMPLE.read_text(encoding="utf-8").replace('"DS601.02"', '"DS601.2"').replace('"DG101"', '"DG1O1"')
    bad = tmp_path / "bad.toml"
    bad.write_text(text, encoding="utf-8")
    result = run("mappings", "load", str(bad), "--course", "2")
    assert result.exit_code == 1
    lines = text.splitlines()
    reported = [line for line in result.output.splitlines() if line.startswith("bad.toml: line ")]
    codes = [line for line in reported if "unknown code" in line]
    activities = [line for line in reported if "unknown activity" in line]
    assert len(codes) == 2 and len(activities) == 6  # cmids 7 to 11 and the IRI activity are not in the course
    for line in reported:
        number = int(line.split("line ")[1].split(":")[0])
        assert "cmid" in line or "iri" in line or "targets" in line
        if "unknown activity cmid" in line:
            cmid = line.split("unknown activity cmid ")[1].split(":")[0]
            assert lines[number - 1].replace(" ", "").startswith(f"cmid={cmid}")
    assert "nothing was loaded" in result.output and revisions(session) == 0
    wrong_course = run("mappings", "load", str(EXAMPLE), "--course", "3")
    assert wrong_course.exit_code == 1 and "not --course 3" in wrong_course.output


def test_course_ids_shared_by_two_platforms_need_issuer(run, session: Session) -> None:  # type: ignore[no-untyped-def]
    add_platform(session)
    session.add_all([Course(issuer=WWWROOT, context_id="2", updated_at=T0),
                     Course(issuer="https://other.example", context_id="2", updated_at=T0)])
    session.commit()
    ambiguous = run("mappings", "export", "--course", "2")
    assert ambiguous.exit_code == 2 and "add --issuer" in ambiguous.output
    assert run("mappings", "load", str(EXAMPLE), "--course", "2", "--issuer", WWWROOT).exit_code == 0
    assert run("mappings", "export", "--course", "2", "--issuer", "https://other.example").exit_code == 1
    assert "cmid = 6" in run("mappings", "export", "--course", "2", "--issuer", WWWROOT).output


def test_activities_lists_and_discovers(run, session: Session) -> None:  # type: ignore[no-untyped-def]
    assert run("mappings", "activities", "--course", "2").exit_code == 1
    course = Course(issuer=WWWROOT, context_id="2", updated_at=T0)
    session.add(course)
    session.commit()
    record_activities(session, course, [ActivityItem(f"{WWWROOT}/mod/quiz/view.php?id=6", "แบบทดสอบ", cmid=6,
                                                     module="quiz")], source="backup", now=T0)
    session.commit()
    listed = run("mappings", "activities", "--course", "2", "--discover")
    assert listed.exit_code == 0, listed.output
    assert f"{WWWROOT}/mod/quiz/view.php?id=6\t6\tquiz\tแบบทดสอบ\tbackup" in listed.output
    assert "new: lti 0, lrs 0" in listed.output


def test_discover_records_samattha_links_only_under_the_address_moodle_launches(  # type: ignore[no-untyped-def]
        run, session: Session) -> None:
    """Without SAMATTHA_BASE_URL the command cannot know where `samattha serve` is reached; it must not record
    a link under a guessed address (the default http://127.0.0.1:8000), nor anything else of that discovery."""
    course = Course(issuer=WWWROOT, context_id="2", updated_at=T0)
    session.add(course)
    session.commit()
    session.add(ResourceLink(issuer=WWWROOT, resource_link_id="2", course_id=course.id, title="Samattha",
                             updated_at=T0))
    session.commit()
    refused = run("mappings", "activities", "--course", "2", "--discover", base_url=None)
    assert refused.exit_code == 1
    assert "SAMATTHA_BASE_URL is not set" in refused.output and "nothing was recorded" in refused.output
    session.expire_all()
    assert session.scalars(select(CourseActivity)).first() is None
    listed = run("mappings", "activities", "--course", "2", "--discover", base_url="http://127.0.0.1:8231")
    assert listed.exit_code == 0, listed.output
    assert "http://127.0.0.1:8231/lti/launch?resource_link_id=2\t-\tlti\tSamattha\tlti" in listed.output
    assert run("mappings", "activities", "--course", "2", base_url=None).exit_code == 0  # listing needs no address
