"""Importing a content package: check the zip and its manifest, then extract it under the instance folder
and record it with its activities, all or nothing (a refused or failed import leaves no row and no file).
Replacing one keeps its id (the Moodle links placed for it name that id) and the LMS's ids of the cmi5 AUs,
blocks and course the new version still has; removing one takes its files and marks its row removed (the id
is never given again), leaving its launches and the statements they brought, which are the evidence.

Quotas: the operator's limits for one package and for all of them (SAMATTHA_PACKAGE_MAX_SIZE,
SAMATTHA_PACKAGES_MAX_SIZE) are checked against the sizes the zip declares, before a byte is written; extraction
writes exactly those sizes or refuses, so the size each row stores is what its folder holds. Stored rather than
measured: adding up the rows is one query, walking every package folder on each upload and page is not. The check
reads the packages committed: two uploads at the same moment may together pass the total by one package."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

import xapi
from plugin.archives import ArchiveError, Limits, extract_zip
from plugin.content.manifests import (
    PACKAGE_LIMITS,
    Cmi5Au,
    Cmi5Block,
    Cmi5Course,
    ManifestError,
    Package,
    TinCanPackage,
    is_course_structure,
    read_package,
)
from plugin.db import hold_row
from plugin.mapping.activities import ActivityItem, record_activities
from plugin.models import Course, User
from plugin.models.content import ContentLaunch, ContentPackage

__all__ = ["PackageRefused", "Quota", "files_swapped", "import_package", "package_activities", "package_dir",
           "packages_of", "remove_package", "replace_package", "space_used", "title_in"]


class PackageRefused(ValueError):
    """The upload is not a package we accept. The message is the technical detail (it names the member or
    element); ``reason`` and ``values`` (sizes in bytes) choose and fill the sentence a page shows its reader."""

    def __init__(self, detail: str, reason: str = "manifest", **values: int) -> None:
        super().__init__(detail)
        self.reason, self.values = reason, values


@dataclass(frozen=True)
class Quota:
    """Unpacked bytes: the most one package may take, and all packages together."""

    package: int
    total: int


@dataclass(frozen=True)
class _Item:
    iri: str
    title: str
    titles: dict[str, str]
    url: str
    extra: dict[str, Any]


def package_dir(instance_path: str | Path, package_id: int) -> Path:
    return Path(instance_path) / "packages" / str(package_id)


# A swap's folders live seconds; one this old was left by a process that died mid-swap (files_swapped).
_LEFTOVER_AGE = timedelta(hours=1)


def _sweep_leftovers(instance_path: str | Path, now: datetime) -> None:
    """Remove the unpacked new versions and moved-aside old ones that a crash left beside the packages."""
    root = Path(instance_path) / "packages"
    leftovers = [f for f in root.iterdir() if f.name.startswith((".staging-", ".old-"))] if root.exists() else []
    for folder in leftovers:
        if now.timestamp() - folder.stat().st_mtime > _LEFTOVER_AGE.total_seconds():
            shutil.rmtree(folder, ignore_errors=True)


def _title(texts: Mapping[str, str]) -> str:
    """The one title the mapping catalog and Moodle's activity name keep: English when there is one (Thai follows
    in the package itself)."""
    return title_in(texts, "", "en")


def title_in(texts: Mapping[str, str] | None, fallback: str, language: str) -> str:
    """The title for a page in ``language`` ("th" or "en") from a manifest's language map (any tag of that
    language, "th-TH" for "th"), else English, else any; ``fallback`` for packages stored without the map."""
    given = {tag: text for tag, text in (texts or {}).items() if text}
    for wanted in (language, "en"):
        found = next((text for tag, text in given.items() if tag.lower().split("-")[0] == wanted), None)
        if found:
            return found
    return next(iter(given.values()), fallback)


def _lms_id(known: Mapping[str, str], iri: str) -> str:
    """cmi5 §8.1.5, §9.4: the LMS's own id for an AU, block or course, never the publisher's. Random, so two
    uploads of one course (or two Samattha instances sharing an LRS) never report under the same id; a new
    version of a package keeps the id its earlier version gave the same publisher id (§8.1.5: "the same
    generated activityId on all subsequent launches (for the same AU)")."""
    return known.get(iri) or f"urn:uuid:{uuid.uuid4()}"


def _known_ids(manifest: Mapping[str, Any]) -> dict[str, str]:
    """Publisher id → LMS id of every AU (retired ones too), block and course an earlier version had."""
    nodes = [*manifest.get("items", []), *manifest.get("retired", []), *manifest.get("blocks", [])]
    if "course" in manifest:
        nodes.append(manifest["course"])
    return {node["iri"]: node["activity_id"] for node in nodes if node.get("activity_id")}


def _items(package: Package, known: Mapping[str, str]) -> tuple[str, str, list[_Item]]:
    """(title, package activity IRI, launchable items) from the parsed manifest."""
    manifest = package.manifest
    if isinstance(manifest, TinCanPackage):
        first = manifest.launch_activity
        items = [_Item(a.id, _title(a.name) or a.id, dict(a.name), a.launch or "", {"type": a.type})
                 for a in manifest.activities if a.launch]
        return _title(first.name) or first.id, first.id, items
    if not isinstance(manifest, Cmi5Course):
        raise TypeError(f"unexpected manifest {type(manifest).__name__}")
    items = [
        _Item(au.id, _title(au.title) or au.id, dict(au.title), au.url, {
            "activity_id": _lms_id(known, au.id), "launch_method": au.launch_method.value,
            "move_on": au.move_on.value,
            "mastery_score": str(au.mastery_score) if au.mastery_score is not None else None,
            "launch_parameters": au.launch_parameters, "entitlement_key": au.entitlement_key,
            "remote": au.is_remote})
        for au in manifest.aus()
    ]
    return _title(manifest.title) or manifest.id, manifest.id, items


def _blocks(nodes: tuple[Cmi5Block | Cmi5Au, ...], found: list[dict[str, Any]], known: Mapping[str, str]) -> list[str]:
    """The publisher ids of the AUs under ``nodes``, adding each block on the way to ``found`` after the blocks
    inside it, so that a block is satisfied before the block holding it (cmi5 §9.3.9)."""
    aus: list[str] = []
    for node in nodes:
        if isinstance(node, Cmi5Au):
            aus.append(node.id)
            continue
        inner = _blocks(node.children, found, known)
        found.append({"iri": node.id, "activity_id": _lms_id(known, node.id), "title": _title(node.title) or node.id,
                      "titles": dict(node.title), "aus": inner})
        aus.extend(inner)
    return aus


def _manifest(package: Package, items: list[_Item], earlier: Mapping[str, Any],
              known: Mapping[str, str]) -> dict[str, Any]:
    """What launching needs, without re-reading the zip; for cmi5 also the structure that satisfied follows,
    and the AUs an earlier version had and this one dropped ("retired"): their sessions may still be open, and
    abandoning one names the AU (cmi5 §9.3.6, §9.6.2.3), and an AU that comes back gets its id again. ``known``:
    the LMS ids ``earlier`` gave (:func:`_known_ids`)."""
    stored: dict[str, Any] = {"items": [{"iri": i.iri, "title": i.title, "titles": i.titles, "url": i.url, **i.extra}
                                        for i in items]}
    manifest = package.manifest
    stored["titles"] = dict(manifest.launch_activity.name if isinstance(manifest, TinCanPackage) else manifest.title)
    if isinstance(manifest, Cmi5Course):
        blocks: list[dict[str, Any]] = []
        _blocks(manifest.children, blocks, known)
        current = {item.iri for item in items}
        retired = {node["iri"]: node for node in [*earlier.get("retired", []), *earlier.get("items", [])]
                   if node["iri"] not in current}
        stored.update(course={"iri": manifest.id, "activity_id": _lms_id(known, manifest.id)}, blocks=blocks,
                      retired=list(retired.values()))
    return stored


def package_activities(row: ContentPackage) -> list[ActivityItem]:
    """What the mapping editor offers for the package, under the ids its statements carry: for cmi5 the LMS's
    (cmi5 §9.4: AU statements name the activityId, satisfied names the block or course), else the package's."""
    manifest = row.manifest
    if row.kind == "cmi5":
        nodes = [{**manifest["course"], "title": row.title}, *manifest["blocks"], *manifest["items"]]
        return [ActivityItem(node["activity_id"], name=node["title"], module="package") for node in nodes]
    return [ActivityItem(row.activity_iri, name=row.title, module="package")] + [
        ActivityItem(item["iri"], name=item["title"], module="package") for item in manifest["items"]
        if item["iri"] != row.activity_iri]


def _limits(quota: Quota | None) -> Limits:
    return PACKAGE_LIMITS if quota is None else replace(PACKAGE_LIMITS, max_total_bytes=quota.package)


def _refused(exc: ArchiveError | ManifestError, quota: Quota | None) -> PackageRefused:
    if exc.reason == "too_big" and quota is not None:
        return PackageRefused(str(exc), "quota_package", limit=quota.package)
    return PackageRefused(str(exc), exc.reason)


def _read(upload: Path, quota: Quota | None) -> Package:
    try:
        return read_package(upload, _limits(quota))
    except (ArchiveError, ManifestError) as exc:
        raise _refused(exc, quota) from exc


def space_used(session: Session) -> int:
    """Unpacked bytes of all packages on this server (removed ones have no files)."""
    query = select(func.coalesce(func.sum(ContentPackage.size), 0)).where(ContentPackage.removed_at.is_(None))
    return int(session.scalar(query) or 0)


def _check_space(session: Session, quota: Quota | None, size: int, *, freed: int = 0) -> None:
    """Refuse a package that would take the packages past their total; ``freed``: the size of the version it
    replaces."""
    if quota is None:
        return
    left = max(quota.total - (space_used(session) - freed), 0)
    if size > left:
        raise PackageRefused(f"package: unpacks to {size} bytes; {left} of the {quota.total} bytes for all "
                             "packages are left", "quota_total", size=size, left=left, limit=quota.total)


def _extract(upload: Path, target: Path, quota: Quota | None) -> int:
    """Unpack into ``target``, removed again if that fails; returns the uncompressed size. A bare course
    structure has nothing to unpack: its AUs are on the web."""
    if is_course_structure(upload):
        target.mkdir(parents=True, exist_ok=True)
        return 0
    try:
        return sum(member.size for member in extract_zip(upload, target, _limits(quota)))
    except ArchiveError as exc:
        shutil.rmtree(target, ignore_errors=True)
        raise _refused(exc, quota) from exc
    except BaseException:
        shutil.rmtree(target, ignore_errors=True)
        raise


def _fill(row: ContentPackage, package: Package, file_name: str, uploader: User | None) -> None:
    earlier = row.manifest or {}
    known = _known_ids(earlier)
    title, iri, items = _items(package, known)
    row.kind, row.title, row.activity_iri, row.prefix = package.kind, title[:500], iri, package.prefix
    row.file_name, row.manifest = file_name[:255], _manifest(package, items, earlier, known)
    row.uploaded_by_id = uploader.id if uploader else None


def import_package(session: Session, course: Course, upload: Path, *, file_name: str, instance_path: str,
                   uploader: User | None, now: datetime, quota: Quota | None = None) -> ContentPackage:
    """Check ``upload`` (a zip on disk) and that it fits ``quota``, store it as the course's package and record its
    activities. The caller commits; if that fails, it must remove ``package_dir`` of the returned row."""
    _sweep_leftovers(instance_path, now)
    package = _read(upload, quota)
    _check_space(session, quota, package.size)
    row = ContentPackage(course_id=course.id, manifest={}, created_at=now)
    _fill(row, package, file_name, uploader)
    session.add(row)
    session.flush()
    target = package_dir(instance_path, row.id)
    if target.exists():  # left by a database that was reset under an old instance folder: not ours any more
        shutil.rmtree(target)
    row.size = _extract(upload, target, quota)
    try:
        record_activities(session, course, package_activities(row), source="package", now=now)
        session.flush()
    except BaseException:
        shutil.rmtree(target, ignore_errors=True)
        raise
    return row


def _hold(session: Session, row: ContentPackage) -> None:
    """Read ``row`` afresh once this transaction holds it: a replacement builds on the manifest it reads (the LMS
    ids to keep), so two at once must not both build on the version before either, nor one revive a package
    removed meanwhile. Taken after the slow part (reading and unpacking the zip), so the LRS's writers do not
    wait on it."""
    hold_row(session, ContentPackage.size, row.id)
    session.refresh(row)
    if row.removed_at is not None:
        raise PackageRefused("package: it was removed meanwhile; upload the zip as a new package", "removed")


def replace_package(session: Session, row: ContentPackage, upload: Path, *, file_name: str, instance_path: str,
                    uploader: User | None, now: datetime, quota: Quota | None = None) -> Path:
    """Check ``upload`` as an import does and make it the new version of ``row``: same id, the LMS ids of the
    AUs, blocks and course it still has, its new activities recorded. The new files are extracted beside the
    old ones, into the folder returned; the caller commits inside ``files_swapped`` with it, so that a refusal
    or a failed commit leaves the old version whole. Launch rows stay: their sessions and registrations are
    the learners', and the statements they sent name ids the new version keeps."""
    _sweep_leftovers(instance_path, now)
    package = _read(upload, quota)
    if package.kind != row.kind:  # open sessions and placed links follow the old convention's launch rules
        raise PackageRefused(f"package: a {row.kind} package can only be replaced by a {row.kind} package; "
                             f"upload this {package.kind} package as a new one", f"kind_{row.kind}")
    _check_space(session, quota, package.size, freed=row.size)
    staging = package_dir(instance_path, row.id).with_name(f".staging-{uuid.uuid4().hex}")
    size = _extract(upload, staging, quota)
    try:
        _hold(session, row)
        _fill(row, package, file_name, uploader)
        row.size = size
        record_activities(session, row.course, package_activities(row), source="package", now=now)
        session.flush()
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return staging


@contextmanager
def files_swapped(instance_path: str, package_id: int, new_files: Path | None) -> Iterator[None]:
    """Put ``new_files`` (None: nothing) in the package's folder while the caller commits: if anything raises,
    the old folder comes back and the new files go; if the block ends, the old files go."""
    target = package_dir(instance_path, package_id)
    old = target.with_name(f".old-{uuid.uuid4().hex}")
    moved_old = placed_new = False
    try:
        if target.exists():
            target.rename(old)
            moved_old = True
        if new_files is not None:
            new_files.rename(target)
            placed_new = True
        yield
    except BaseException:
        if placed_new:
            shutil.rmtree(target, ignore_errors=True)
        elif new_files is not None:
            shutil.rmtree(new_files, ignore_errors=True)
        if moved_old:
            old.rename(target)
        raise
    if moved_old:
        shutil.rmtree(old, ignore_errors=True)


def remove_package(session: Session, row: ContentPackage, *, now: datetime) -> None:
    """Mark the package removed (the caller commits inside ``files_swapped`` with no new files, which takes its
    files away). The row stays: Moodle links placed for the package name it by id, and a deleted row's id would
    be given again on SQLite (it numbers from the highest present), so an old link would open another package.
    Its launch rows and cmi5 satisfactions stay on record, and the credentials of launches still running are
    revoked, so content left open cannot go on reporting. The LRS's statements and documents (the evidence) and
    the mapping catalog's entries, which mappings name to count those statements, stay too."""
    live = select(ContentLaunch.credential_key).where(
        ContentLaunch.package_id == row.id, ContentLaunch.credential_key.is_not(None), ContentLaunch.expires_at > now)
    for key in session.scalars(live):
        if key is not None:
            xapi.revoke_credential(session, key, now=now)
    row.removed_at = now
    session.flush()


def packages_of(session: Session, course: Course) -> list[ContentPackage]:
    query = (select(ContentPackage).where(ContentPackage.course_id == course.id, ContentPackage.removed_at.is_(None))
             .order_by(ContentPackage.id))
    return list(session.scalars(query))
