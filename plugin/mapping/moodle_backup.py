"""Read a Moodle course backup (.mbz) into the facts mapping needs: which activity is which.

Moodle's xAPI log store names an activity only by ``{wwwroot}/mod/<modname>/view.php?id=<cmid>``; no
statement carries the activity's ID number, which is where teachers put criterion codes (DG101.01). A
backup holds both, so it gives the cmid → idnumber lookup without web-service access. Only the few XML
members needed are read, straight from the archive, which plugin.archives checks as it goes.

Memory: each member streams through a pull parser that keeps only the few texts mapping needs and drops every
element once it ends, so an upload costs a parser's buffers and those texts, never a member's bytes or tree (a
tree costs tens of bytes per byte of dense markup: 32 MiB of ``<a/>`` would be a gigabyte). The texts kept, the
bytes read and the elements parsed are each bounded for the whole backup, so time is bounded too.
"""

from __future__ import annotations

import codecs
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from lxml import etree

from plugin.archives import ArchiveError, Limits, stream_members

__all__ = ["BACKUP_LIMITS", "Activity", "BackupError", "CourseBackup", "LinkedCompetency", "Section", "activity_iri",
    "read_course_backup"]

# Backups with user files hold many members and much data; we only stream through them, never extract.
BACKUP_LIMITS = Limits(max_files=100_000, max_total_bytes=4 * 1024**3, max_ratio=200.0)
_MAX_XML_BYTES = 32 * 1024 * 1024
# For the whole backup, so that a small .mbz declaring many large wanted members (activities/*/module.xml) at the
# permitted ratio costs bounded time and memory: the members' bytes read, their elements (about 100 per activity
# in Moodle 4.5: these allow some 5,000 activities, and cost a few seconds), and the texts kept (each charged a
# fixed cost besides its length, for the Python strings and dicts that hold it; about ten per activity).
_MAX_READ_BYTES = 64 * 1024 * 1024
_MAX_ELEMENTS = 500_000
_MAX_KEPT = 16 * 1024 * 1024
_TEXT_COST = 128
_WIDE_BOMS = (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
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
    budget = _Budget()
    said: dict[str, _Said] = {}

    def read(name: str, chunks: Iterator[bytes]) -> None:
        said[name] = _scan(name, chunks, _SHAPES[name.rsplit("/", 1)[-1]], budget)

    try:
        stream_members(path, lambda name: bool(_WANTED.match(name)), read, limits, max_member_bytes=_MAX_XML_BYTES)
    except ArchiveError as exc:
        raise BackupError(str(exc)) from exc
    return _Reader(said).course()


@dataclass(frozen=True)
class _Shape:
    """What mapping reads of one kind of member: its root element and the root's ``attributes``, the texts at
    ``values`` (paths below the root), and the repeated ``records`` (path → the child elements read of each)."""

    root: str
    attributes: tuple[str, ...] = ()
    values: frozenset[str] = frozenset()
    records: Mapping[str, frozenset[str]] = field(default_factory=dict)


_SHAPES = {
    "moodle_backup.xml": _Shape("moodle_backup", values=frozenset(f"information/{name}" for name in (
        "original_wwwroot", "original_course_id", "original_course_shortname", "original_course_fullname",
        "moodle_release")), records={
        f"information/{_ACTIVITIES}": frozenset({"moduleid", "modulename", "sectionid", "title", "directory"}),
        f"information/{_SECTIONS}": frozenset({"sectionid", "title", "directory"})}),
    "section.xml": _Shape("section", ("id",), frozenset({"number", "name"})),
    "module.xml": _Shape("module", ("id",), frozenset({"modulename", "sectionid", "sectionnumber", "idnumber"})),
    "competencies.xml": _Shape("course_module_competencies", records={
        "competencies/competency": frozenset({"idnumber", "frameworkidnumber"})}),
    "lti.xml": _Shape("activity", ("id", "moduleid")),
}


@dataclass
class _Said:
    """What one member says, as texts: a record is the texts of its children."""

    attributes: dict[str, str] = field(default_factory=dict)
    values: dict[str, str] = field(default_factory=dict)
    records: dict[str, list[dict[str, str]]] = field(default_factory=dict)


@dataclass
class _Budget:
    read: int = _MAX_READ_BYTES
    elements: int = _MAX_ELEMENTS
    kept: int = _MAX_KEPT

    def keep(self, member: str, text: str) -> str:
        self.kept -= len(text) + _TEXT_COST
        if self.kept < 0:
            raise BackupError(f"{member}: the backup's texts read come to more than {_MAX_KEPT} bytes")
        return text

    def feed(self, member: str, chunk: bytes) -> None:
        self.read -= len(chunk)
        self.elements -= chunk.count(b"<")  # an upper bound on the elements a chunk can open, counted in C
        if self.read < 0:
            raise BackupError(f"{member}: the backup's XML members come to more than {_MAX_READ_BYTES} bytes")
        if self.elements < 0:
            raise BackupError(f"{member}: the backup's XML holds more than {_MAX_ELEMENTS} elements")


def _scan(member: str, chunks: Iterator[bytes], shape: _Shape, budget: _Budget) -> _Said:
    """Pull-parse ``member`` chunk by chunk with plugin.xmlsafe's parser options (no DTD, entity or network),
    keeping what ``shape`` asks for and dropping each element as it ends. A DOCTYPE is refused on the raw bytes,
    as plugin.xmlsafe does, which holds here because Moodle writes its backups in UTF-8."""
    parser = etree.XMLPullParser(events=("start", "end"), resolve_entities=False, no_network=True, load_dtd=False,
                                 dtd_validation=False, huge_tree=False, remove_comments=True, remove_pis=True)
    scanner, tail = _Scanner(member, shape, budget), b""
    try:
        for chunk in chunks:
            budget.feed(member, chunk)
            if not tail and (chunk.startswith(_WIDE_BOMS) or chunk[1:2] == b"\0"):
                raise BackupError(f"{member}: not UTF-8, as Moodle writes its backups")
            if b"<!DOCTYPE" in tail + chunk:
                raise BackupError(f"{member}: DOCTYPE declarations are not allowed")
            tail = (tail + chunk)[-8:]
            parser.feed(chunk)
            for event, element in parser.read_events():
                (scanner.start if event == "start" else scanner.end)(element)
        parser.close()
    except etree.XMLSyntaxError as exc:
        raise BackupError(f"{member}: not well-formed XML ({exc})") from exc
    return scanner.said


class _Scanner:
    """Per element, a few string operations and no more: a hostile member may hold a million elements."""

    def __init__(self, member: str, shape: _Shape, budget: _Budget) -> None:
        self.member, self.shape, self.budget = member, shape, budget
        self.said = _Said()
        self.paths: list[str] = []  # of the open elements, below the root ("" for the root itself)
        self.record: dict[str, str] | None = None

    def start(self, element: etree._Element) -> None:
        if not self.paths:
            self.root(element)
            self.paths.append("")
            return
        parent = self.paths[-1]
        where = f"{parent}/{element.tag}" if parent else str(element.tag)
        self.paths.append(where)
        if where in self.shape.records:
            self.record = {}
            self.said.records.setdefault(where, []).append(self.record)

    def root(self, element: etree._Element) -> None:
        if element.tag != self.shape.root:
            raise BackupError(f"{self.member}: root element is <{element.tag}>, expected <{self.shape.root}>")
        for name in self.shape.attributes:
            value = element.get(name)
            if value is not None:
                self.said.attributes[name] = self.budget.keep(self.member, value)

    def end(self, element: etree._Element) -> None:
        where = self.paths.pop()
        if where in self.shape.values:
            self.said.values[where] = self.budget.keep(self.member, element.text or "")
        elif self.record is not None and self.paths and self.paths[-1] in self.shape.records:
            tag = str(element.tag)
            if tag in self.shape.records[self.paths[-1]]:
                self.record[tag] = self.budget.keep(self.member, element.text or "")
        elif where in self.shape.records:
            self.record = None
        _drop(element)


def _drop(element: etree._Element) -> None:
    """Free an element that ended, and the siblings before it (lxml keeps the tree it builds while pulling)."""
    element.clear()
    parent = element.getparent()
    if parent is not None:
        while element.getprevious() is not None:
            del parent[0]


class _Reader:
    def __init__(self, said: dict[str, _Said]) -> None:
        self._said = said

    def _member(self, member: str) -> _Said:
        if member not in self._said:
            raise BackupError(f"{member}: missing from the backup")
        return self._said[member]

    def course(self) -> CourseBackup:
        if "moodle_backup.xml" not in self._said:
            raise BackupError("moodle_backup.xml: missing: not a Moodle 2+ course backup")
        said = self._said["moodle_backup.xml"]
        info = {path.removeprefix("information/"): text for path, text in said.values.items()}
        where = "moodle_backup.xml"
        wwwroot = _text(info, "original_wwwroot", where).rstrip("/")
        if not re.fullmatch(r"https?://[^\s/?#]+(/[^\s?#]*)?", wwwroot):  # every activity IRI is built on it
            raise BackupError(f"{where}: <original_wwwroot> {wwwroot!r} is not an http(s) site address")
        sections = [self._section(record) for record in said.records.get(f"information/{_SECTIONS}", [])]
        numbers = {section.section_id: section.number for section in sections}
        activities = [self._activity(record, wwwroot, numbers)
                      for record in said.records.get(f"information/{_ACTIVITIES}", [])]
        return CourseBackup(
            wwwroot=wwwroot,
            course_id=_int(info, "original_course_id", where),
            shortname=_text(info, "original_course_shortname", where),
            fullname=_text(info, "original_course_fullname", where),
            moodle_release=_optional(info, "moodle_release") or "",
            sections=tuple(sorted(sections, key=lambda section: section.number)),
            activities=tuple(activities),
        )

    def _section(self, record: Mapping[str, str]) -> Section:
        where = "moodle_backup.xml <section>"
        section_id = _int(record, "sectionid", where)
        directory = _directory(record, where)
        member = f"{directory}/section.xml"
        said = self._member(member)
        if said.attributes.get("id") != str(section_id):
            raise BackupError(f"{member}: id {said.attributes.get('id')!r} does not match sectionid {section_id}")
        number = _int(said.values, "number", member)
        # Moodle writes the number as the title of an unnamed section; tolerate a blank one all the same.
        return Section(section_id, number, _optional(record, "title") or str(number), _optional(said.values, "name"))

    def _activity(self, record: Mapping[str, str], wwwroot: str, section_numbers: dict[int, int]) -> Activity:
        where = "moodle_backup.xml <activity>"
        cmid, module_name = _int(record, "moduleid", where), _text(record, "modulename", where)
        if not _MODNAME.match(module_name):
            raise BackupError(f"{where}: modulename {module_name!r} is not a Moodle plugin name")
        directory = _directory(record, where)
        member = f"{directory}/module.xml"
        module = self._member(member)
        if module.attributes.get("id") != str(cmid) or _text(module.values, "modulename", member) != module_name:
            raise BackupError(f"{member}: does not describe {module_name} cmid {cmid} as moodle_backup.xml says")
        section_id = _int(record, "sectionid", where)
        if _int(module.values, "sectionid", member) != section_id or section_id not in section_numbers:
            raise BackupError(f"{member}: sectionid does not match a section of moodle_backup.xml")
        return Activity(
            cmid=cmid,
            module_name=module_name,
            title=_text(record, "title", where),
            section_id=section_id,
            section_number=_int(module.values, "sectionnumber", member),
            idnumber=_optional(module.values, "idnumber"),
            competencies=self._competencies(f"{directory}/competencies.xml"),
            iri=activity_iri(wwwroot, module_name, cmid),
            instance=self._lti_instance(directory, cmid) if module_name == "lti" else None,
        )

    def _lti_instance(self, directory: str, cmid: int) -> int | None:
        member = f"{directory}/lti.xml"
        if member not in self._said:
            return None
        attributes = self._said[member].attributes
        instance = attributes.get("id") or ""
        if attributes.get("moduleid") != str(cmid) or not instance.isascii() or not instance.isdigit():
            raise BackupError(f"{member}: does not describe the instance of lti cmid {cmid}")
        return int(instance)

    def _competencies(self, member: str) -> tuple[LinkedCompetency, ...]:
        if member not in self._said:  # older Moodle, or backed up without competencies
            return ()
        return tuple(
            LinkedCompetency(_text(record, "idnumber", member), _optional(record, "frameworkidnumber") or "")
            for record in self._said[member].records.get("competencies/competency", [])
        )


def _optional(texts: Mapping[str, str], path: str) -> str | None:
    value = texts.get(path)
    if value is None:
        return None
    value = value.strip()
    return None if value in ("", _NULL) else value


def _text(texts: Mapping[str, str], path: str, where: str) -> str:
    value = _optional(texts, path)
    if value is None:
        raise BackupError(f"{where}: <{path}> is missing or empty")
    return value


def _int(texts: Mapping[str, str], path: str, where: str) -> int:
    value = _text(texts, path, where)
    if not value.isascii() or not value.isdigit() or len(value) > 18:
        raise BackupError(f"{where}: <{path}> is {value!r}, not a non-negative integer")
    return int(value)


def _directory(texts: Mapping[str, str], where: str) -> str:
    # The directory names the members we read next; it must stay inside the backup like any member name.
    directory = _text(texts, "directory", where)
    if not re.fullmatch(r"(activities|sections)/[A-Za-z0-9_]+", directory):
        raise BackupError(f"{where}: <directory> {directory!r} is not an activity or section folder")
    return directory
