"""Importing a content package: check the zip and its manifest, then extract it under the instance folder
and record it with its activities, all or nothing (a refused or failed import leaves no row and no file)."""

from __future__ import annotations

import shutil
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from plugin.archives import ArchiveError, extract_zip
from plugin.content.manifests import (
    PACKAGE_LIMITS,
    Cmi5Au,
    Cmi5Block,
    Cmi5Course,
    ManifestError,
    Package,
    TinCanPackage,
    read_package,
)
from plugin.mapping.activities import ActivityItem, record_activities
from plugin.models import Course, User
from plugin.models.content import ContentPackage

__all__ = ["PackageRefused", "import_package", "package_dir", "packages_of"]


class PackageRefused(ValueError):
    """The upload is not a package we accept; the message names the problem (and the member or element)."""


@dataclass(frozen=True)
class _Item:
    iri: str
    title: str
    url: str
    extra: dict[str, Any]


def package_dir(instance_path: str | Path, package_id: int) -> Path:
    return Path(instance_path) / "packages" / str(package_id)


def _title(texts: Any) -> str:
    """The English title when there is one (Thai follows in the package itself), else the first given."""
    for lang in ("en", "en-US", "en-GB", "th", "th-TH"):
        if texts.get(lang):
            return str(texts[lang])
    return next((str(value) for value in texts.values() if value), "")


def _lms_id() -> str:
    """cmi5 §8.1.5, §9.4: the LMS's own id for an AU, block or course, never the publisher's. Random, so two
    uploads of one course (or two Samattha instances sharing an LRS) never report under the same id."""
    return f"urn:uuid:{uuid.uuid4()}"


def _items(package: Package) -> tuple[str, str, list[_Item]]:
    """(title, package activity IRI, launchable items) from the parsed manifest."""
    manifest = package.manifest
    if isinstance(manifest, TinCanPackage):
        first = manifest.launch_activity
        items = [_Item(a.id, _title(a.name) or a.id, a.launch or "", {"type": a.type}) for a in manifest.activities
                 if a.launch]
        return _title(first.name) or first.id, first.id, items
    if not isinstance(manifest, Cmi5Course):
        raise TypeError(f"unexpected manifest {type(manifest).__name__}")
    items = [
        _Item(au.id, _title(au.title) or au.id, au.url, {
            "activity_id": _lms_id(), "launch_method": au.launch_method.value, "move_on": au.move_on.value,
            "mastery_score": str(au.mastery_score) if au.mastery_score is not None else None,
            "launch_parameters": au.launch_parameters, "remote": au.is_remote})
        for au in manifest.aus()
    ]
    return _title(manifest.title) or manifest.id, manifest.id, items


def _blocks(nodes: tuple[Cmi5Block | Cmi5Au, ...], found: list[dict[str, Any]]) -> list[str]:
    """The publisher ids of the AUs under ``nodes``, adding each block on the way to ``found`` after the blocks
    inside it, so that a block is satisfied before the block holding it (cmi5 §9.3.9)."""
    aus: list[str] = []
    for node in nodes:
        if isinstance(node, Cmi5Au):
            aus.append(node.id)
            continue
        inner = _blocks(node.children, found)
        found.append({"iri": node.id, "activity_id": _lms_id(), "title": _title(node.title) or node.id, "aus": inner})
        aus.extend(inner)
    return aus


def _manifest(package: Package, items: list[_Item]) -> dict[str, Any]:
    """What launching needs, without re-reading the zip; for cmi5 also the structure that satisfied follows."""
    stored: dict[str, Any] = {"items": [{"iri": i.iri, "title": i.title, "url": i.url, **i.extra} for i in items]}
    if isinstance(package.manifest, Cmi5Course):
        blocks: list[dict[str, Any]] = []
        _blocks(package.manifest.children, blocks)
        stored.update(course={"iri": package.manifest.id, "activity_id": _lms_id()}, blocks=blocks)
    return stored


def _activities(row: ContentPackage) -> list[ActivityItem]:
    """What the mapping editor offers for the package, under the ids its statements carry: for cmi5 the LMS's
    (cmi5 §9.4: AU statements name the activityId, satisfied names the block or course), else the package's."""
    manifest = row.manifest
    if row.kind == "cmi5":
        nodes = [{**manifest["course"], "title": row.title}, *manifest["blocks"], *manifest["items"]]
        return [ActivityItem(node["activity_id"], name=node["title"], module="package") for node in nodes]
    return [ActivityItem(row.activity_iri, name=row.title, module="package")] + [
        ActivityItem(item["iri"], name=item["title"], module="package") for item in manifest["items"]
        if item["iri"] != row.activity_iri]


def import_package(session: Session, course: Course, upload: Path, *, file_name: str, instance_path: str,
                   uploader: User | None, now: datetime) -> ContentPackage:
    """Check ``upload`` (a zip on disk), store it as the course's package and record its activities. The caller
    commits; if that fails, it must remove ``package_dir`` of the returned row."""
    try:
        package = read_package(upload)
    except (ArchiveError, ManifestError) as exc:
        raise PackageRefused(str(exc)) from exc
    title, iri, items = _items(package)
    row = ContentPackage(course_id=course.id, kind=package.kind, title=title[:500], activity_iri=iri,
                         prefix=package.prefix, file_name=file_name[:255], manifest=_manifest(package, items),
                         uploaded_by_id=uploader.id if uploader else None, created_at=now)
    session.add(row)
    session.flush()
    target = package_dir(instance_path, row.id)
    if target.exists():  # left by a database that was reset under an old instance folder: not ours any more
        shutil.rmtree(target)
    try:
        members = extract_zip(upload, target, PACKAGE_LIMITS)
        row.size = sum(member.size for member in members)
        record_activities(session, course, _activities(row), source="package", now=now)
        session.flush()
    except ArchiveError as exc:
        shutil.rmtree(target, ignore_errors=True)
        raise PackageRefused(str(exc)) from exc
    except BaseException:
        shutil.rmtree(target, ignore_errors=True)
        raise
    return row


def packages_of(session: Session, course: Course) -> list[ContentPackage]:
    query = select(ContentPackage).where(ContentPackage.course_id == course.id).order_by(ContentPackage.id)
    return list(session.scalars(query))
