"""read_course_backup on the real Moodle 4.5 backup, on a zip repack of it, and on doctored copies."""

from __future__ import annotations

import io
import re
import tarfile
import zipfile
from pathlib import Path

import pytest

from plugin.mapping.moodle_backup import (
    Activity,
    BackupError,
    LinkedCompetency,
    Section,
    activity_iri,
    read_course_backup,
)

MBZ = Path(__file__).resolve().parent / "fixtures" / "moodle-4.5" / "course-backup.mbz"
WWWROOT = "http://127.0.0.1:8081"


def backup_members() -> list[tuple[tarfile.TarInfo, bytes]]:
    members = []
    with tarfile.open(MBZ) as archive:
        for info in archive:
            handle = archive.extractfile(info)
            members.append((info, handle.read() if handle is not None else b""))
    return members


def backup_members_by_name() -> dict[str, bytes]:
    return {info.name: data for info, data in backup_members()}


def doctored(tmp_path: Path, changes: dict[str, bytes | None], extra: tuple[tarfile.TarInfo, ...] = ()) -> Path:
    """A copy of the real backup with members replaced (bytes) or removed (None)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for info, data in backup_members():
            if info.name in changes and changes[info.name] is None:
                continue
            data = changes.get(info.name) or data
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data) if info.isreg() else None)
        for info in extra:
            archive.addfile(info)
    path = tmp_path / "doctored.mbz"
    path.write_bytes(buffer.getvalue())
    return path


def expected_activities() -> list[Activity]:
    def activity(cmid: int, mod: str, title: str, section: tuple[int, int], idnumber: str | None = None,
                 competencies: tuple[LinkedCompetency, ...] = (), instance: int | None = None) -> Activity:
        return Activity(cmid, mod, title, section[0], section[1], idnumber, competencies,
                        f"{WWWROOT}/mod/{mod}/view.php?id={cmid}", instance)

    # Values as moodle_backup.xml and activities/<mod>_<cmid>/module.xml state them (read by hand).
    return [
        activity(1, "forum", "Announcements", (1, 0)),  # every course's news forum, in the backup too
        activity(2, "lti", "Lab LTI Activity", (2, 1), instance=1),  # lti.xml: the LTI resource link id
        activity(3, "page", "อ่าน: พ.ร.บ. คุ้มครองข้อมูลส่วนบุคคล (Page)", (2, 1)),
        activity(4, "url", "ลิงก์: สำนักงานคณะกรรมการคุ้มครองข้อมูลส่วนบุคคล (URL)", (2, 1)),
        activity(5, "assign", "งานมอบหมาย: อธิบายหลักการคุ้มครองข้อมูล (Assignment)", (3, 2), "DG101.01",
                 (LinkedCompetency("DG101.01", "TPQI-DIGITAL-SAMPLE"),)),
        activity(6, "quiz", "แบบทดสอบ: ความรู้ด้านข้อมูล (Quiz)", (3, 2), "DS601.01"),
    ]


def test_the_real_backup_yields_its_course_sections_and_activities() -> None:
    backup = read_course_backup(MBZ)
    assert (backup.wwwroot, backup.course_id, backup.shortname, backup.fullname) == (
        WWWROOT, 2, "LTILAB", "LTI Lab Course")
    assert backup.moodle_release == "4.5.5+ (Build: 20250613)"
    assert backup.sections == (
        Section(1, 0, "0", None),
        Section(2, 1, "หน่วยที่ 1: ธรรมาภิบาลข้อมูล (Governance)", "หน่วยที่ 1: ธรรมาภิบาลข้อมูล (Governance)"),
        Section(3, 2, "หน่วยที่ 2: การประเมิน (Assessment)", "หน่วยที่ 2: การประเมิน (Assessment)"),
    )
    assert list(backup.activities) == expected_activities()


def test_the_iris_are_the_ones_the_log_store_sent() -> None:
    statements = (MBZ.parent / "xapi-quiz-assign.json").read_text(encoding="utf-8")
    backup = read_course_backup(MBZ)
    for cmid in (5, 6):
        iri = backup.activities[cmid - 1].iri
        assert f'"{iri}"' in statements
        assert backup.activity_for_iri(iri) == backup.activities[cmid - 1]
    assert backup.activity_for_iri(f"{WWWROOT}/mod/quiz/view.php?id=99") is None
    assert activity_iri("https://moodle.example/", "quiz", 6) == "https://moodle.example/mod/quiz/view.php?id=6"


def test_a_zip_mbz_reads_the_same(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for info, data in backup_members():
            if info.isreg():
                archive.writestr(info.name, data)
    (tmp_path / "zipped.mbz").write_bytes(buffer.getvalue())
    assert read_course_backup(tmp_path / "zipped.mbz") == read_course_backup(MBZ)


def test_a_backup_without_competencies_files_has_no_links(tmp_path: Path) -> None:
    backup = read_course_backup(doctored(tmp_path, {"activities/assign_5/competencies.xml": None}))
    assert backup.activities[4].competencies == () and backup.activities[4].idnumber == "DG101.01"


def test_a_doctype_in_module_xml_is_refused_and_no_file_is_read(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    module = (
        f'<?xml version="1.0"?><!DOCTYPE module [<!ENTITY x SYSTEM "file://{secret}">]>'
        '<module id="5"><modulename>assign</modulename><sectionid>3</sectionid><sectionnumber>2</sectionnumber>'
        "<idnumber>&x;</idnumber></module>"
    ).encode()
    path = doctored(tmp_path, {"activities/assign_5/module.xml": module})
    message = "activities/assign_5/module.xml: DOCTYPE declarations are not allowed"
    with pytest.raises(BackupError, match=re.escape(message)) as err:
        read_course_backup(path)
    assert "TOP-SECRET" not in str(err.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["doctored.mbz", "secret.txt"]


def test_a_symlink_inside_a_backup_is_refused(tmp_path: Path) -> None:
    link = tarfile.TarInfo("activities/quiz_6/quiz.xml.link")
    link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
    with pytest.raises(BackupError, match=re.escape("member 'activities/quiz_6/quiz.xml.link': symbolic link")):
        read_course_backup(doctored(tmp_path, {}, (link,)))


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"moodle_backup.xml": None}, "moodle_backup.xml: missing: not a Moodle 2+ course backup"),
        ({"activities/quiz_6/module.xml": None}, "activities/quiz_6/module.xml: missing from the backup"),
        ({"moodle_backup.xml": b"<moodle_backup><information/>"}, "moodle_backup.xml: not well-formed XML"),
        ({"moodle_backup.xml": b"<course/>"}, "moodle_backup.xml: root element is <course>, expected <moodle_backup>"),
        ({"activities/quiz_6/module.xml": b'<module id="7"><modulename>quiz</modulename></module>'},
         "activities/quiz_6/module.xml: does not describe quiz cmid 6 as moodle_backup.xml says"),
    ],
)
def test_broken_backups_name_the_member(tmp_path: Path, changes: dict[str, bytes | None], message: str) -> None:
    with pytest.raises(BackupError, match=re.escape(message)):
        read_course_backup(doctored(tmp_path, changes))


def test_hostile_directory_names_in_moodle_backup_xml_are_refused(tmp_path: Path) -> None:
    xml = backup_members_by_name()["moodle_backup.xml"].replace(
        b"<directory>activities/quiz_6</directory>", b"<directory>../../etc</directory>")
    with pytest.raises(BackupError, match=re.escape("<directory> '../../etc' is not an activity or section folder")):
        read_course_backup(doctored(tmp_path, {"moodle_backup.xml": xml}))


def test_non_archives_and_truncated_backups_are_backup_errors(tmp_path: Path) -> None:
    (tmp_path / "notes.mbz").write_bytes(b"PK? no, just text")
    with pytest.raises(BackupError, match="upload is not a zip, tar or gzip-compressed tar archive"):
        read_course_backup(tmp_path / "notes.mbz")
    (tmp_path / "cut.mbz").write_bytes(MBZ.read_bytes()[:5000])
    with pytest.raises(BackupError, match="archive: truncated or not a valid tar"):
        read_course_backup(tmp_path / "cut.mbz")


def test_a_wwwroot_that_is_not_a_site_address_is_refused(tmp_path: Path) -> None:
    xml = backup_members_by_name()["moodle_backup.xml"].replace(b"http://127.0.0.1:8081", b"javascript:alert(1)")
    with pytest.raises(BackupError, match=re.escape("<original_wwwroot> 'javascript:alert(1)' is not an http(s)")):
        read_course_backup(doctored(tmp_path, {"moodle_backup.xml": xml}))


def huge_members(tmp_path: Path, members: dict[str, bytes]) -> Path:
    """The real backup with hostile ``members`` added or put in place; compressed fast, as a test must be."""
    path = tmp_path / "huge.mbz"
    with tarfile.open(path, "w:gz", compresslevel=1) as archive:
        for info, data in backup_members():
            if info.name not in members:
                archive.addfile(info, io.BytesIO(data) if info.isreg() else None)
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return path


def test_what_one_backup_reads_is_bounded_in_bytes_elements_and_texts(tmp_path: Path) -> None:
    """Issue 25: members stream through the parser, which keeps only the texts mapping needs; the bytes read, the
    elements parsed and the texts kept are each bounded for the whole backup, so a small .mbz declaring large
    wanted members costs bounded time and memory (tests/test_upload_memory.py measures the memory)."""
    filler = b"<x>" + b"0123456789abcdef" * 64 + b"</x>"
    big = b'<module id="9">' + filler * (2 * 1024 * 1024 // len(filler)) + b"</module>"
    many = {f"activities/page_{n}/module.xml": big for n in range(40)}
    with pytest.raises(BackupError, match=r"the backup's XML members come to more than 67108864 bytes"):
        read_course_backup(huge_members(tmp_path, many))
    dense = b"<moodle_backup><information>" + b"<a/>" * 500_000 + b"</information></moodle_backup>"
    with pytest.raises(BackupError, match=r"moodle_backup.xml: the backup's XML holds more than 500000 elements"):
        read_course_backup(huge_members(tmp_path, {"moodle_backup.xml": dense}))
    wordy = b"<module><idnumber>" + b"x" * (9 * 1024 * 1024) + b"</idnumber></module>"
    with pytest.raises(BackupError, match=r"the backup's texts read come to more than 16777216 bytes"):
        read_course_backup(huge_members(tmp_path, {f"activities/page_{n}/module.xml": wordy for n in range(2)}))
