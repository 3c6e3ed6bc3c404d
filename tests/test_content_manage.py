"""A coordinator replaces or removes a content package from the content page, after a real LTI launch: a new
version keeps the package's id (the Moodle links placed for it) and the LMS ids of the cmi5 AUs it still has; a
refused one changes nothing; a removed package takes its files with it and leaves the list, its placed links say so
in both languages even after another upload, and its launches and the statements they brought stay on record.
Titles follow the page's language."""

from __future__ import annotations

import base64
import os
import re
import time
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests
from sqlalchemy import select

import xapi
from plugin.content.samples import zip_sample
from plugin.content.store import PackageRefused, replace_package
from plugin.models import CourseActivity
from plugin.models.content import ContentLaunch, ContentPackage
from tests.lti_platform import LTI
from tests.test_content_launch import AU_HTML, AuSession, content_url, link, login_url, params, place
from tests.test_content_upload import HOSTILE, TINCAN, _zip, coordinator, package_files, refusal, upload
from tests.test_lti_flow import Env, csrf, customise, env_fixture, field  # noqa: F401 - the fixture
from xapi.models import Credential

COURSE = "https://example.test/cmi5/versions"
AU_A, AU_B, AU_C = (f"{COURSE}/au/{name}" for name in ("a", "b", "c"))


def course_xml(*aus: tuple[str, str]) -> str:
    """A cmi5 course of the AUs (publisher id, title element content) in order, all in one block."""
    listed = "".join(f'<au id="{iri}"><title>{title}</title><url>au/index.html</url></au>' for iri, title in aus)
    return ('<?xml version="1.0" encoding="utf-8"?>'
            '<courseStructure xmlns="https://w3id.org/xapi/profiles/cmi5/v1/CourseStructure.xsd">'
            f'<course id="{COURSE}"><title><langstring lang="en-US">Versions</langstring>'
            '<langstring lang="th-TH">หลักสูตรหลายรุ่น</langstring></title></course>'
            f'<block id="{COURSE}/block"><title><langstring lang="en">Block</langstring></title>{listed}</block>'
            "</courseStructure>")


def cmi5_package(path: Path, xml: str, page: str = AU_HTML) -> bytes:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("cmi5.xml", xml)
        archive.writestr("au/index.html", page)
    return path.read_bytes()


def en(text: str) -> str:
    return f'<langstring lang="en-US">{text}</langstring>'


def replace(env: Env, browser: requests.Session, page: str, package_id: int, data: bytes) -> requests.Response:
    return browser.post(f"{env.url}/course/{env.course().id}/content/{package_id}/replace",
                        data={"csrf": csrf(page)}, files={"package": ("new.zip", data, "application/zip")}, timeout=30)


def remove(env: Env, browser: requests.Session, page: str, package_id: int, confirm: bool = True) -> requests.Response:
    form = {"csrf": csrf(page), **({"confirm": "yes"} if confirm else {})}
    return browser.post(f"{env.url}/course/{env.course().id}/content/{package_id}/remove", data=form, timeout=10)


def stored(env: Env) -> ContentPackage:
    with env.db() as db:
        return db.scalars(select(ContentPackage)).one()


def lms_ids(package: ContentPackage) -> dict[str, str]:
    return {item["iri"]: item["activity_id"] for item in package.manifest["items"]}


def folder(env: Env, package_id: int) -> dict[str, bytes]:
    root = Path(env.app.instance_path) / "packages" / str(package_id)
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def leftovers(env: Env) -> list[str]:
    return sorted(p.name for p in (Path(env.app.instance_path) / "packages").iterdir() if p.name != ".uploads")


def test_a_new_version_keeps_the_package_id_and_the_ids_of_the_aus_it_still_has(env: Env, tmp_path: Path) -> None:
    first = course_xml((AU_A, en("A")), (AU_B, en("B")))
    cmid = place(env, cmi5_package(tmp_path / "v1.zip", first), ":1")["cmid"]
    before = stored(env)
    teacher, page = coordinator(env)
    open_b = AuSession(env, "3", link(env, teacher, f"package:{before.id}:2")["cmid"])  # left open
    second = course_xml((AU_A, en("A, revised")), (AU_C, en("C")))
    teacher, page = coordinator(env)
    done = replace(env, teacher, page, before.id, cmi5_package(tmp_path / "v2.zip", second, "<p>version 2</p>"))
    assert done.status_code == 200 and "Package replaced: Versions" in done.text, done.text
    after = stored(env)
    assert after.id == before.id and [item["title"] for item in after.manifest["items"]] == ["A, revised", "C"]
    # cmi5 §8.1.5: the same LMS id for the same AU, and for the block and course; a new AU gets a new one.
    assert lms_ids(after)[AU_A] == lms_ids(before)[AU_A]
    assert lms_ids(after)[AU_C].startswith("urn:uuid:") and lms_ids(after)[AU_C] not in lms_ids(before).values()
    assert after.manifest["course"] == before.manifest["course"]
    assert after.manifest["blocks"][0]["activity_id"] == before.manifest["blocks"][0]["activity_id"]
    assert folder(env, after.id)["au/index.html"] == b"<p>version 2</p>" and leftovers(env) == [str(after.id)]
    with env.db() as db:
        catalog = set(db.scalars(select(CourseActivity.iri)))
    assert {lms_ids(before)[AU_B], lms_ids(after)[AU_C]} <= catalog  # the dropped AU's statements still map
    # The link placed for AU A launches the new version under the id it always had; launching the registration
    # again abandons the session of the AU the new version dropped (cmi5 §9.3.6).
    launched = params(content_url(env, "3", int(cmid)))
    assert launched["activityId"] == lms_ids(before)[AU_A] and launched["registration"] == open_b.registration
    with env.db() as db:
        launches = {row.activity_iri: row for row in db.scalars(select(ContentLaunch))}
        abandoned = list(xapi.iter_statements(db, filters=xapi.StatementFilters(
            registration=open_b.registration, verb="https://w3id.org/xapi/adl/verbs/abandoned")))
    assert launches[lms_ids(before)[AU_B]].abandoned_at is not None
    assert [s["object"]["id"] for s in abandoned] == [lms_ids(before)[AU_B]]
    assert [g["id"] for g in abandoned[0]["context"]["contextActivities"]["grouping"]] == [AU_B]


@pytest.mark.parametrize("name", ["zip-slip", "no manifest", "other kind"])
def test_a_refused_replacement_leaves_the_old_package_whole(env: Env, tmp_path: Path, name: str) -> None:
    teacher, page = coordinator(env)
    assert upload(env, teacher, page, _zip([("tincan.xml", TINCAN.encode()), ("index.html", b"<p>one</p>")]),
                  "one.zip").status_code == 200
    before, files = stored(env), folder(env, stored(env).id)
    data, told, problem = HOSTILE.get(name) or (
        cmi5_package(tmp_path / "c.zip", course_xml((AU_A, en("A")))),
        "A Tin Can package can only be replaced by a Tin Can package. Upload this cmi5 package as a new package.",
        "a tincan package can only be replaced by a tincan package")
    refused = replace(env, teacher, page, before.id, data)
    assert refused.status_code == 400, refused.text
    message, detail = refusal(refused.text, f"replace-{before.id}")  # at the top of the form that was sent
    assert told in message and problem in detail, (message, detail)
    assert 'id="upload-error"' not in refused.text
    after = stored(env)
    assert (after.id, after.manifest, after.file_name, after.size) == (
        before.id, before.manifest, before.file_name, before.size)
    assert folder(env, after.id) == files and leftovers(env) == [str(after.id)]


def test_removing_a_package_takes_its_files_and_its_links_say_it_was_removed(
        env: Env, tmp_path: Path) -> None:
    custom = place(env, cmi5_package(tmp_path / "c.zip", course_xml((AU_A, en("A")))))
    running = AuSession(env, "3", custom["cmid"])
    package = stored(env)
    teacher, page = coordinator(env)
    unconfirmed = remove(env, teacher, page, package.id, confirm=False)
    assert unconfirmed.status_code == 400
    assert refusal(unconfirmed.text, f"remove-{package.id}") == ("Tick the confirmation box to remove the package.", "")
    assert stored(env).id == package.id and folder(env, package.id)
    done = remove(env, teacher, page, package.id)
    assert done.status_code == 200 and f"Package {package.id} removed." in done.text, done.text
    assert f"/content/{package.id}/remove" not in done.text  # no longer listed
    with env.db() as db:
        # The row stays, marked: its id is never given again, and its launches stay on record.
        (row,) = db.scalars(select(ContentPackage)).all()
        assert row.removed_at is not None and len(db.scalars(select(ContentLaunch)).all()) == 1
        statements = list(xapi.iter_statements(db, filters=xapi.StatementFilters(registration=running.registration)))
        catalog = set(db.scalars(select(CourseActivity.iri)))
        key = base64.b64decode(running.headers["Authorization"].removeprefix("Basic ")).decode().split(":")[0]
        revoked = db.scalars(select(Credential.revoked_us).where(Credential.key == key)).one()
    assert package_files(env) == [] and leftovers(env) == []
    # The evidence stays, and the mapping catalog keeps the ids it is filed under.
    assert sorted(s["verb"]["id"] for s in statements) == [
        "http://adlnet.gov/expapi/verbs/launched", *["https://w3id.org/xapi/adl/verbs/satisfied"] * 2]
    assert lms_ids(package)[AU_A] in catalog
    # The content still open can no longer report.
    assert revoked is not None
    late = requests.post(running.launch["endpoint"] + "statements", headers=running.headers, json={
        "actor": statements[0]["actor"], "verb": {"id": "http://adlnet.gov/expapi/verbs/initialized"},
        "object": {"id": running.activity_id}}, timeout=10)
    assert late.status_code in (401, 403)
    # The next upload is another package under another id, so the link placed for the removed one (which names it
    # by id) still says it was removed. SQLite gave a deleted row's id to the next one.
    data = _zip([("tincan.xml", TINCAN.encode()), ("index.html", b"<p>one</p>")])
    assert upload(env, teacher, page, data).status_code == 200
    with env.db() as db:
        assert db.scalars(select(ContentPackage.id).where(ContentPackage.removed_at.is_(None))).one() != package.id
    browser = requests.Session()
    auth = browser.get(login_url(env, "3", int(custom["cmid"])), timeout=10)
    refused = browser.post(env.url + "/lti/launch", data={"id_token": field(auth.text, "id_token"),
                                                          "state": field(auth.text, "state")}, timeout=10)
    assert refused.status_code == 404
    assert "was removed by the course coordinator" in refused.text and "can place another package" in refused.text
    assert "ถูกผู้ประสานงานรายวิชานำออกแล้ว" in refused.text and "สามารถวางแพ็กเกจอื่นแทนได้" in refused.text


def test_only_coordinators_replace_or_remove_and_the_form_token_is_required(env: Env) -> None:
    teacher, page = coordinator(env)
    data = _zip([("tincan.xml", TINCAN.encode()), ("index.html", b"<p>one</p>")])
    assert upload(env, teacher, page, data).status_code == 200
    package, files = stored(env), folder(env, stored(env).id)
    learner = requests.Session()
    env.launch("3", learner)
    base = f"{env.url}/course/{env.course().id}/content/{package.id}"
    # The learner's own form token, so that only the role can be what refuses them.
    serializer = env.app.session_interface.get_signing_serializer(env.app)  # type: ignore[attr-defined]
    token = serializer.loads(learner.cookies[env.app.config["SESSION_COOKIE_NAME"]])["csrf"]
    for browser, form in ((learner, {"csrf": token}), (teacher, {})):
        assert browser.post(f"{base}/replace", data=form, files={"package": ("n.zip", data)}, timeout=10
                            ).status_code == 403
        assert browser.post(f"{base}/remove", data={**form, "confirm": "yes"}, timeout=10).status_code == 403
    assert stored(env).manifest == package.manifest and folder(env, package.id) == files


def test_titles_follow_the_page_language(env: Env, tmp_path: Path) -> None:
    customise(env.platform, lambda p: p[LTI + "launch_presentation"].update(locale="th"))
    teacher, page = coordinator(env)
    sample = zip_sample("dg-opsr-023-ds601", tmp_path / "ds601.zip").read_bytes()
    added = upload(env, teacher, page, sample)
    thai = "แบบทดสอบความรู้ DS601: ประเมินความคิดเห็นของผู้ใช้บริการ"
    assert f"เพิ่มแพ็กเกจแล้ว: {thai}" in added.text
    # AU A has a Thai title; AU C only an English one, which a Thai page falls back to.
    courses = course_xml((AU_A, en("A") + '<langstring lang="th">เอ</langstring>'), (AU_C, en("C")))
    assert upload(env, teacher, added.text, cmi5_package(tmp_path / "c.zip", courses)).status_code == 200
    for shown in (teacher.get(f"{env.url}/course/{env.course().id}/content", timeout=10).text,
                  env.launch("4", teacher, message_type="LtiDeepLinkingRequest").text):
        assert thai in shown and "Knowledge check DS601" not in shown
        assert "หลักสูตรหลายรุ่น" in shown and ">Versions<" not in shown
        titles = re.findall(r"(?:<li>|↳ )(\S+) <", shown)
        assert "เอ" in titles and "C" in titles and "A" not in titles, titles
    customise(env.platform, lambda p: p[LTI + "launch_presentation"].update(locale="en"))
    english = coordinator(env)[1]
    assert "Knowledge check DS601: Evaluate service users&#39; opinions" in english and thai not in english


def test_a_replacement_builds_on_the_version_committed_meanwhile(env: Env, tmp_path: Path) -> None:
    """A replacement reads the package once it holds it: one removed, or replaced, while the new zip was being
    unpacked is not revived, or built on the version before."""
    place(env, cmi5_package(tmp_path / "v1.zip", course_xml((AU_A, en("A")))), ":1")
    package_id = stored(env).id
    new = tmp_path / "v2.zip"
    cmi5_package(new, course_xml((AU_A, en("A")), (AU_B, en("B"))))
    with env.db() as replacing:
        row = replacing.get(ContentPackage, package_id)
        assert row is not None and row.removed_at is None
        with env.db() as other:  # another coordinator's request, committed first
            other.get(ContentPackage, package_id).removed_at = datetime.now(UTC)  # type: ignore[union-attr]
            other.commit()
        with pytest.raises(PackageRefused, match="removed meanwhile"):
            replace_package(replacing, row, new, file_name="v2.zip", instance_path=env.app.instance_path,
                            uploader=None, now=datetime.now(UTC))
        replacing.rollback()
    assert leftovers(env) == [str(package_id)]  # the unpacked new version did not stay behind


def test_folders_a_crash_left_mid_swap_are_swept_by_the_next_upload(env: Env, tmp_path: Path) -> None:
    """files_swapped moves folders aside for seconds; a process killed meanwhile leaves them behind."""
    root = Path(env.app.instance_path) / "packages"
    root.mkdir(parents=True, exist_ok=True)
    stale, fresh = root / ".old-stale", root / ".staging-in-progress"
    for folder in (stale, fresh):
        (folder / "au").mkdir(parents=True)
        (folder / "au" / "index.html").write_text("<p>left</p>")
    two_hours_ago = time.time() - 7200
    os.utime(stale, (two_hours_ago, two_hours_ago))
    teacher, page = coordinator(env)
    assert upload(env, teacher, page, _zip([("tincan.xml", TINCAN.encode()), ("index.html", b"<p>one</p>")])
                  ).status_code == 200
    assert not stale.exists() and fresh.exists()  # another request's swap may still be under way
