"""Read a Moodle course backup (.mbz) into the facts mapping needs: which activity is which.

Moodle's xAPI log store names an activity only by ``{wwwroot}/mod/<modname>/view.php?id=<cmid>``; no
statement carries the activity's ID number, which is where teachers put criterion codes (DG101.01). A
backup holds both, so it gives the cmid → idnumber lookup without web-service access. Only the few XML
members needed are read, straight from the archive, after the whole archive passed plugin.archives' checks.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Any

from plugin.archives import ArchiveError, Limits, read_members
from plugin.xmlsafe import XmlError, parse_xml

__all__ = ["BACKUP_LIMITS", "Activity", "BackupError", "CourseBackup", "LinkedCompetency", "Section", "activity_iri",
    "read_course_backup"]

# Backups with user files hold many members and much data; we only stream through them, never extract.
BACKUP_LIMITS = Limits(max_files=100_000, max_total_bytes=4 * 1024**3, max_ratio=200.0)
_MAX_XML_BYTES = 32 * 1024 * 1024
# What one backup upload may hold in memory of the members it reads, together: a small .mbz can declare many
# large wanted members (activities/*/module.xml) at the permitted ratio, and they are parsed only once read.
_MAX_READ_BYTES = 64 * 1024 * 1024
_NULL = "$@NULL@$"  # how Moodle's backup xml_writer spells SQL NULL
_ACTIVITIES, _SECTIONS = "contents/activities/activity", "contents/sections/section"
_MODNAME = re.compile(r"^[a-z][a-z0-9_]*$")
_WANTED = re.compile(r"^(moodle_backup\.xml|activities/[^/]+/(module|competencies)\.xml|sections/[^/]+/section\.xml"
                     r"|activities/lti_[0-9]+/lti\.xml)$")


class BackupError(ValueError):
    """The backup is refused or unreadable; the message names the file or member."""


@dataclass(frozen=True)
class Section:
    section_id: int
    number: int
    title: str  # as moodle_backup.xml lists it ("0" for an unnamed general section)
    name: str | None  # the teacher-given name; None when the section keeps Moodle's default


@dataclass(frozen=True)
class LinkedCompetency:
    idnumber: str
    framework_idnumber: str


@dataclass(frozen=True)
class Activity:
    cmid: int
    module_name: str
    title: str
    section_id: int
    section_number: int
    idnumber: str | None
    competencies: tuple[LinkedCompetency, ...]
    iri: str
    instance: int | None = None  # mod_lti only: the instance id, which is the LTI resource link id


@dataclass(frozen=True)
class CourseBackup:
    wwwroot: str
    course_id: int
    shortname: str
    fullname: str
    moodle_release: str
    sections: tuple[Section, ...]
    activities: tuple[Activity, ...]

    def activity_for_iri(self, iri: str) -> Activity | None:
        return next((activity for activity in self.activities if activity.iri == iri), None)


def activity_iri(wwwroot: str, module_name: str, cmid: int) -> str:
    """The activity IRI Moodle's log store plugin (logstore_xapi) sends as the statement object id."""
    return f"{wwwroot.rstrip('/')}/mod/{module_name}/view.php?id={cmid}"


def read_course_backup(path: str | os.PathLike[str], limits: Limits = BACKUP_LIMITS) -> CourseBackup:
    try:
        files = read_members(path, lambda name: bool(_WANTED.match(name)), limits, max_member_bytes=_MAX_XML_BYTES,
                             max_kept_bytes=_MAX_READ_BYTES)
        return _Reader(files).course()
    except (ArchiveError, XmlError) as exc:
        raise BackupError(str(exc)) from exc


class _Reader:
    def __init__(self, files: dict[str, bytes]) -> None:
        self._files = files

    def _root(self, member: str, root_tag: str) -> Any:
        if member not in self._files:
            raise BackupError(f"{member}: missing from the backup")
        root = parse_xml(self._files[member], source=member, max_bytes=_MAX_XML_BYTES)
        if root.tag != root_tag:
            raise BackupError(f"{member}: root element is <{root.tag}>, expected <{root_tag}>")
        return root

    def course(self) -> CourseBackup:
        if "moodle_backup.xml" not in self._files:
            raise BackupError("moodle_backup.xml: missing: not a Moodle 2+ course backup")
        info = self._root("moodle_backup.xml", "moodle_backup").find("information")
        if info is None:
            raise BackupError("moodle_backup.xml: no <information> element")
        where = "moodle_backup.xml"
        wwwroot = _text(info, "original_wwwroot", where).rstrip("/")
        if not re.fullmatch(r"https?://[^\s/?#]+(/[^\s?#]*)?", wwwroot):  # every activity IRI is built on it
            raise BackupError(f"{where}: <original_wwwroot> {wwwroot!r} is not an http(s) site address")
        sections = [self._section(element) for element in info.iterfind(_SECTIONS)]
        numbers = {section.section_id: section.number for section in sections}
        activities = [self._activity(element, wwwroot, numbers) for element in info.iterfind(_ACTIVITIES)]
        return CourseBackup(
            wwwroot=wwwroot,
            course_id=_int(info, "original_course_id", where),
            shortname=_text(info, "original_course_shortname", where),
            fullname=_text(info, "original_course_fullname", where),
            moodle_release=_optional(info, "moodle_release") or "",
            sections=tuple(sorted(sections, key=lambda section: section.number)),
            activities=tuple(activities),
        )

    def _section(self, element: Any) -> Section:
        where = "moodle_backup.xml <section>"
        section_id = _int(element, "sectionid", where)
        directory = _directory(element, where)
        member = f"{directory}/section.xml"
        root = self._root(member, "section")
        if root.get("id") != str(section_id):
            raise BackupError(f"{member}: id {root.get('id')!r} does not match sectionid {section_id}")
        number = _int(root, "number", member)
        # Moodle writes the number as the title of an unnamed section; tolerate a blank one all the same.
        return Section(section_id, number, _optional(element, "title") or str(number), _optional(root, "name"))

    def _activity(self, element: Any, wwwroot: str, section_numbers: dict[int, int]) -> Activity:
        where = "moodle_backup.xml <activity>"
        cmid, module_name = _int(element, "moduleid", where), _text(element, "modulename", where)
        if not _MODNAME.match(module_name):
            raise BackupError(f"{where}: modulename {module_name!r} is not a Moodle plugin name")
        directory = _directory(element, where)
        member = f"{directory}/module.xml"
        module = self._root(member, "module")
        if module.get("id") != str(cmid) or _text(module, "modulename", member) != module_name:
            raise BackupError(f"{member}: does not describe {module_name} cmid {cmid} as moodle_backup.xml says")
        section_id = _int(element, "sectionid", where)
        if _int(module, "sectionid", member) != section_id or section_id not in section_numbers:
            raise BackupError(f"{member}: sectionid does not match a section of moodle_backup.xml")
        return Activity(
            cmid=cmid,
            module_name=module_name,
            title=_text(element, "title", where),
            section_id=section_id,
            section_number=_int(module, "sectionnumber", member),
            idnumber=_optional(module, "idnumber"),
            competencies=self._competencies(f"{directory}/competencies.xml"),
            iri=activity_iri(wwwroot, module_name, cmid),
            instance=self._lti_instance(directory, cmid) if module_name == "lti" else None,
        )

    def _lti_instance(self, directory: str, cmid: int) -> int | None:
        member = f"{directory}/lti.xml"
        if member not in self._files:
            return None
        root = self._root(member, "activity")
        instance = root.get("id") or ""
        if root.get("moduleid") != str(cmid) or not instance.isascii() or not instance.isdigit():
            raise BackupError(f"{member}: does not describe the instance of lti cmid {cmid}")
        return int(instance)

    def _competencies(self, member: str) -> tuple[LinkedCompetency, ...]:
        if member not in self._files:  # older Moodle, or backed up without competencies
            return ()
        root = self._root(member, "course_module_competencies")
        return tuple(
            LinkedCompetency(_text(element, "idnumber", member), _optional(element, "frameworkidnumber") or "")
            for element in root.iterfind("competencies/competency")
        )


def _optional(element: Any, path: str) -> str | None:
    value = element.findtext(path)
    if value is None:
        return None
    value = value.strip()
    return None if value in ("", _NULL) else value


def _text(element: Any, path: str, where: str) -> str:
    value = _optional(element, path)
    if value is None:
        raise BackupError(f"{where}: <{path}> is missing or empty")
    return value


def _int(element: Any, path: str, where: str) -> int:
    value = _text(element, path, where)
    if not value.isascii() or not value.isdigit() or len(value) > 18:
        raise BackupError(f"{where}: <{path}> is {value!r}, not a non-negative integer")
    return int(value)


def _directory(element: Any, where: str) -> str:
    # The directory names the members we read next; it must stay inside the backup like any member name.
    directory = _text(element, "directory", where)
    if not re.fullmatch(r"(activities|sections)/[A-Za-z0-9_]+", directory):
        raise BackupError(f"{where}: <directory> {directory!r} is not an activity or section folder")
    return directory
