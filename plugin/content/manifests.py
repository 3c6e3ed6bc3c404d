"""xAPI content-package manifests: tincan.xml (Rustici's launch convention) and cmi5.xml (cmi5 §13).

Authoring tools (Storyline, Rise, iSpring, Adapt) export a zip whose root holds the manifest; many
exports wrap everything in one top-level folder, which we accept and record as ``prefix``. Launch URLs
must stay inside the package (cmi5 §14.1: packaged media use relative URLs); only cmi5 AUs may point to
absolute http(s) URLs for content hosted elsewhere. Parsing goes through plugin.xmlsafe (no DTDs).
"""

from __future__ import annotations

import os
import posixpath
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any, Literal, TypeVar
from urllib.parse import unquote, urlsplit

from lxml import etree

from plugin.archives import ArchiveError, Limits, archive_kind, check_zip, read_members
from plugin.xmlsafe import XmlError, parse_xml

__all__ = ["CMI5_NS", "PACKAGE_LIMITS", "TINCAN_NS", "Cmi5Au", "Cmi5Block", "Cmi5Course", "Cmi5Objective",
    "LaunchMethod", "ManifestError", "MoveOn", "Package", "TinCanActivity", "TinCanPackage", "detect_package",
    "is_course_structure", "read_cmi5_manifest", "read_package", "read_tincan_manifest"]

TINCAN_NS = "http://projecttincan.com/tincan.xsd"
CMI5_NS = "https://w3id.org/xapi/profiles/cmi5/v1/CourseStructure.xsd"
# The namespace of the cmi5 drafts and of the spec's own §15 examples; some early exporters still write it.
_CMI5_NAMESPACES = (CMI5_NS, "http://www.adlnet.gov/cmi5/CourseStructure.xsd")
PACKAGE_LIMITS = Limits(max_files=20_000, max_total_bytes=2 * 1024**3, max_ratio=100.0)
# A manifest is parsed whole: 1 MiB of dense markup is some 30 MiB as a tree (4 MiB was 130 MiB). Storyline's
# tincan.xml for a course of a hundred questions is about 60 KB.
_MAX_MANIFEST_BYTES = 1024 * 1024
_DECIMAL = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")  # xs:decimal: no exponent, no NaN
PackageKind = Literal["tincan", "cmi5"]
LangMap = Mapping[str, str]
_E = TypeVar("_E", bound=StrEnum)
_MANIFESTS: tuple[tuple[PackageKind, str], ...] = (("cmi5", "cmi5.xml"), ("tincan", "tincan.xml"))


class ManifestError(ValueError):
    """A manifest or package is refused; the message names the file and the element. ``reason``: "no_manifest"
    when the zip is no xAPI package at all, else "manifest" (its manifest is wrong)."""

    def __init__(self, message: str, reason: Literal["manifest", "no_manifest"] = "manifest") -> None:
        super().__init__(message)
        self.reason = reason


class LaunchMethod(StrEnum):
    ANY_WINDOW = "AnyWindow"
    OWN_WINDOW = "OwnWindow"


class MoveOn(StrEnum):
    PASSED = "Passed"
    COMPLETED = "Completed"
    COMPLETED_AND_PASSED = "CompletedAndPassed"
    COMPLETED_OR_PASSED = "CompletedOrPassed"
    NOT_APPLICABLE = "NotApplicable"


@dataclass(frozen=True)
class TinCanActivity:
    id: str
    type: str | None
    name: LangMap
    description: LangMap
    launch: str | None  # relative to the manifest's folder, query string kept


@dataclass(frozen=True)
class TinCanPackage:
    activities: tuple[TinCanActivity, ...]

    @property
    def launch_activity(self) -> TinCanActivity:
        """The first activity with a launch: the course (Storyline lists objectives and questions after it)."""
        return next(activity for activity in self.activities if activity.launch)


@dataclass(frozen=True)
class Cmi5Objective:
    id: str
    title: LangMap
    description: LangMap


@dataclass(frozen=True)
class Cmi5Au:
    id: str
    title: LangMap
    description: LangMap
    url: str
    launch_method: LaunchMethod = LaunchMethod.ANY_WINDOW
    move_on: MoveOn = MoveOn.NOT_APPLICABLE
    mastery_score: Decimal | None = None
    activity_type: str | None = None
    launch_parameters: str | None = None
    entitlement_key: str | None = None
    objectives: tuple[str, ...] = ()

    @property
    def is_remote(self) -> bool:
        return urlsplit(self.url).scheme in ("http", "https")


@dataclass(frozen=True)
class Cmi5Block:
    id: str
    title: LangMap
    description: LangMap
    children: tuple[Cmi5Block | Cmi5Au, ...]
    objectives: tuple[str, ...] = ()


@dataclass(frozen=True)
class Cmi5Course:
    id: str
    title: LangMap
    description: LangMap
    children: tuple[Cmi5Block | Cmi5Au, ...]
    objectives: tuple[Cmi5Objective, ...] = ()

    def aus(self) -> tuple[Cmi5Au, ...]:
        """Every AU in document order (depth first), the order an LMS lists them in."""
        found: list[Cmi5Au] = []
        stack: list[Cmi5Block | Cmi5Au] = list(reversed(self.children))
        while stack:
            node = stack.pop()
            if isinstance(node, Cmi5Au):
                found.append(node)
            else:
                stack.extend(reversed(node.children))
        return tuple(found)


@dataclass(frozen=True)
class Package:
    kind: PackageKind
    prefix: str  # "" or the single wrapping folder with its trailing "/"
    manifest: TinCanPackage | Cmi5Course
    size: int = 0  # unpacked bytes, as the zip declares them (extraction writes exactly these or refuses)


def _parse(xml_bytes: bytes, source: str) -> Any:
    try:
        return parse_xml(xml_bytes, source=source, max_bytes=_MAX_MANIFEST_BYTES)
    except XmlError as exc:
        raise ManifestError(str(exc)) from exc


def _iri(element: Any, where: str) -> str:
    value = (element.get("id") or "").strip()
    if not value:
        raise ManifestError(f"{where}: missing id attribute")
    if not urlsplit(value).scheme or any(c.isspace() for c in value):
        raise ManifestError(f"{where}: id {value!r} is not an IRI")
    return value


def _langstrings(elements: Iterable[Any], ns: str | None) -> dict[str, str]:
    """Both shapes tools write: ``<name lang="en">text</name>`` and ``<name><langstring lang="en">…``."""
    texts: dict[str, str] = {}
    tag = f"{{{ns}}}langstring" if ns else "langstring"
    for element in elements:
        for item in element.findall(tag) or [element]:
            text = " ".join("".join(item.itertext()).split())
            texts.setdefault(item.get("lang") or "und", text)  # "und": BCP 47 for "undetermined"
    return texts


def _relative_path(url: str, where: str) -> str:
    """The package file a relative launch URL names (query and fragment dropped, %-escapes decoded)."""
    parts = urlsplit(url)
    path = unquote(parts.path)
    if parts.scheme or parts.netloc or path.startswith("/") or "\\" in path:
        raise ManifestError(f"{where}: launch URL {url!r} is not relative to the package")
    name = posixpath.normpath(path) if path else "."
    if name == "." or name == ".." or name.startswith("../"):
        problem = "names no file" if name == "." else "escapes the package"
        raise ManifestError(f"{where}: launch URL {url!r} {problem}")
    return name


def read_tincan_manifest(xml_bytes: bytes) -> TinCanPackage:
    root = _parse(xml_bytes, "tincan.xml")
    qname = etree.QName(root)
    if qname.localname != "tincan" or qname.namespace not in (TINCAN_NS, None):
        raise ManifestError(f"tincan.xml: root element is <{root.tag}>, expected <tincan xmlns={TINCAN_NS!r}>")
    ns = qname.namespace

    def q(tag: str) -> str:
        return f"{{{ns}}}{tag}" if ns else tag

    activities = []
    for number, element in enumerate(root.iterfind(f"{q('activities')}/{q('activity')}"), start=1):
        where = f"tincan.xml: <activity> #{number}"
        launch_element = element.find(q("launch"))
        launch = _langstrings([launch_element], ns) if launch_element is not None else {}
        url = next(iter(launch.values()), "") or None
        if url is not None:
            _relative_path(url, f"{where} <launch>")
        activities.append(
            TinCanActivity(
                id=_iri(element, where),
                type=element.get("type") or None,
                name=_langstrings(element.findall(q("name")), ns),
                description=_langstrings(element.findall(q("description")), ns),
                launch=url,
            )
        )
    if not any(activity.launch for activity in activities):
        raise ManifestError("tincan.xml: no <activity> has a <launch>")
    return TinCanPackage(tuple(activities))


def read_cmi5_manifest(xml_bytes: bytes) -> Cmi5Course:
    root = _parse(xml_bytes, "cmi5.xml")
    qname = etree.QName(root)
    if qname.localname != "courseStructure" or qname.namespace not in _CMI5_NAMESPACES:
        raise ManifestError(f"cmi5.xml: root element is <{root.tag}>, expected <courseStructure xmlns={CMI5_NS!r}>")
    return _Cmi5Reader(qname.namespace).course(root)


class _Cmi5Reader:
    def __init__(self, ns: str) -> None:
        self.ns = ns
        self.ids: set[str] = set()

    def q(self, tag: str) -> str:
        return f"{{{self.ns}}}{tag}"

    def course(self, root: Any) -> Cmi5Course:
        course = root.find(self.q("course"))
        if course is None:
            raise ManifestError("cmi5.xml: no <course> element")
        found = root.iterfind(f"{self.q('objectives')}/{self.q('objective')}")
        objectives = tuple(
            Cmi5Objective(self.unique(element, f"cmi5.xml: <objective> #{number}"),
                          *self.texts(element, "cmi5.xml: <objective>"))
            for number, element in enumerate(found, start=1)
        )
        result = Cmi5Course(_iri(course, "cmi5.xml: <course>"), *self.texts(course, "cmi5.xml: <course>"),
                            children=self.children(root, "cmi5.xml: <courseStructure>"), objectives=objectives)
        if not result.aus():
            raise ManifestError("cmi5.xml: the course has no <au>")
        return result

    def texts(self, element: Any, where: str) -> tuple[LangMap, LangMap]:
        title = _langstrings(element.findall(self.q("title")), self.ns)
        if not any(title.values()):  # §13.1: title is required; description may be blank in real exports
            raise ManifestError(f"{where}: missing <title>")
        return title, _langstrings(element.findall(self.q("description")), self.ns)

    def children(self, parent: Any, where: str) -> tuple[Cmi5Block | Cmi5Au, ...]:
        nodes: list[Cmi5Block | Cmi5Au] = []
        for element in parent:
            if element.tag == self.q("au"):
                nodes.append(self.au(element, self.unique(element, f"{where} <au> #{len(nodes) + 1}")))
            elif element.tag == self.q("block"):
                nodes.append(self.block(element, self.unique(element, f"{where} <block> #{len(nodes) + 1}")))
        if not nodes:
            raise ManifestError(f"{where}: contains no <au> or <block>")
        return tuple(nodes)

    def unique(self, element: Any, where: str) -> str:
        identifier = _iri(element, where)
        if identifier in self.ids:
            raise ManifestError(f"{where}: id {identifier!r} is used twice")
        self.ids.add(identifier)
        return identifier

    def refs(self, element: Any) -> tuple[str, ...]:
        path = f"{self.q('objectives')}/{self.q('objective')}"
        return tuple(ref.get("idref", "") for ref in element.iterfind(path) if ref.get("idref"))

    def block(self, element: Any, identifier: str) -> Cmi5Block:
        where = f"cmi5.xml: <block id={identifier!r}>"
        return Cmi5Block(identifier, *self.texts(element, where), children=self.children(element, where),
                         objectives=self.refs(element))

    def au(self, element: Any, identifier: str) -> Cmi5Au:
        where = f"cmi5.xml: <au id={identifier!r}>"
        url = (element.findtext(self.q("url")) or "").strip()  # the spec's own §15 example ends in a newline
        if not url:
            raise ManifestError(f"{where}: missing <url>")
        parts = urlsplit(url)
        if not (parts.scheme in ("http", "https") and parts.netloc):
            _relative_path(url, f"{where} <url>")
        elif any(char.isspace() for char in url):  # RFC 3986 has no room for white space (cmi5 §13.1.4 url)
            raise ManifestError(f"{where} <url>: {url!r} is not a URL: white space must be %-encoded")
        return Cmi5Au(
            identifier, *self.texts(element, where), url=url,
            launch_method=_choice(LaunchMethod, element, "launchMethod", LaunchMethod.ANY_WINDOW, where),
            move_on=_choice(MoveOn, element, "moveOn", MoveOn.NOT_APPLICABLE, where),
            mastery_score=_mastery_score(element.get("masteryScore"), where),
            activity_type=element.get("activityType") or None,
            # Authoring tools (and CATAPULT) indent these on lines of their own; the value is what is inside.
            launch_parameters=_trimmed(element.findtext(self.q("launchParameters"))),
            entitlement_key=_trimmed(element.findtext(self.q("entitlementKey"))),
            objectives=self.refs(element),
        )


def _trimmed(text: str | None) -> str | None:
    return None if text is None else text.strip()


def _choice(kind: type[_E], element: Any, attribute: str, default: _E, where: str) -> _E:
    raw = element.get(attribute)
    if raw is None:
        return default
    try:
        return kind(raw.strip())
    except ValueError:
        allowed = ", ".join(member.value for member in kind)
        raise ManifestError(f"{where}: {attribute} {raw!r} is not one of {allowed}") from None


def _mastery_score(raw: str | None, where: str) -> Decimal | None:
    if raw is None:
        return None
    value = raw.strip()
    if not _DECIMAL.match(value) or not Decimal(0) <= Decimal(value) <= Decimal(1):
        raise ManifestError(f"{where}: masteryScore {raw!r} is not a decimal from 0 to 1")
    return Decimal(value)


def _locate(names: Iterable[str]) -> tuple[PackageKind, str, str]:
    """(kind, prefix, manifest member) for a manifest at the root or inside one wrapping folder."""
    real = [name for name in names if not name.startswith("__MACOSX/") and posixpath.basename(name) != ".DS_Store"]
    by_lower = {name.lower(): name for name in real}
    tops = {name.split("/", 1)[0] for name in real}
    prefixes = ["", f"{tops.pop()}/"] if len(tops) == 1 else [""]
    for prefix in prefixes:
        # cmi5 first: a package carrying both manifests is a cmi5 package with a legacy tincan.xml beside it.
        for kind, file_name in _MANIFESTS:
            found = by_lower.get(f"{prefix}{file_name}".lower())
            if found is not None:
                return kind, found[: len(prefix)], found
    raise ManifestError("package: no cmi5.xml or tincan.xml at its root (or inside a single wrapping folder)",
                        "no_manifest")


def detect_package(members: list[str]) -> PackageKind:
    return _locate(members)[0]


def is_course_structure(path: str | os.PathLike[str]) -> bool:
    """A bare XML document (cmi5 §14.1: a course structure whose AUs are on the web needs no zip)."""
    with open(path, "rb") as upload:
        head = upload.read(256).lstrip(b"\xef\xbb\xbf \t\r\n")
    return head.startswith(b"<")


def _course_structure(path: str | os.PathLike[str]) -> Package:
    with open(path, "rb") as upload:
        data = upload.read(_MAX_MANIFEST_BYTES + 1)
    if len(data) > _MAX_MANIFEST_BYTES:
        raise ManifestError(f"cmi5.xml: larger than {_MAX_MANIFEST_BYTES} bytes")
    manifest = read_cmi5_manifest(data)
    for au in manifest.aus():
        if not au.is_remote:
            raise ManifestError(f"cmi5.xml: <au id={au.id!r}> <url>: {au.url!r} is relative, and a course structure "
                                "uploaded without a zip has no files for it: give the AU's full URL, or upload the "
                                "course as a zip (cmi5 §14.1)")
    return Package("cmi5", "", manifest, 0)


def read_package(zip_path: str | os.PathLike[str], limits: Limits = PACKAGE_LIMITS) -> Package:
    """Check the zip, find and parse its manifest, and make sure every packaged launch target exists; or read
    a bare cmi5 course structure whose AUs are all on the web."""
    if is_course_structure(zip_path):
        return _course_structure(zip_path)
    if archive_kind(zip_path) != "zip":
        raise ArchiveError("upload: content packages are zip files, or a cmi5.xml whose AUs are on the web "
                           "(cmi5 §14.1)", "not_archive")
    members = check_zip(zip_path, max_files=limits.max_files, max_total_bytes=limits.max_total_bytes,
                        max_ratio=limits.max_ratio)
    files = {member.name for member in members if not member.is_dir}
    kind, prefix, manifest_name = _locate(files)
    try:
        data = read_members(zip_path, manifest_name.__eq__, limits, max_member_bytes=_MAX_MANIFEST_BYTES)[manifest_name]
    except ArchiveError as exc:
        if exc.reason != "too_big":
            raise
        raise ManifestError(f"{manifest_name}: larger than {_MAX_MANIFEST_BYTES} bytes") from exc
    manifest: TinCanPackage | Cmi5Course
    if kind == "cmi5":
        manifest = read_cmi5_manifest(data)
        targets = [(f"<au id={au.id!r}> <url>", au.url) for au in manifest.aus() if not au.is_remote]
    else:
        manifest = read_tincan_manifest(data)
        targets = [(f"<activity id={a.id!r}> <launch>", a.launch) for a in manifest.activities if a.launch]
    for where, url in targets:
        path = prefix + _relative_path(url, where)
        if path not in files:
            raise ManifestError(f"{manifest_name}: {where}: {url!r} names no file in the package")
    return Package(kind, prefix, manifest, sum(member.size for member in members))
