"""Placing a package (or one cmi5 AU) in a Moodle course by deep linking, and finding it again at launch.

The choice travels in the resource link's custom parameters (Deep Linking 2.0 §3.1), which Moodle keeps on
the activity and sends back at every launch: ``samattha_package`` (the package id) and, for one AU,
``samattha_activity`` (its IRI)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from plugin.content.store import packages_of
from plugin.mapping.activities import PACKAGE_PARAM
from plugin.models import Course
from plugin.models.content import ContentPackage

__all__ = ["ACTIVITY_PARAM", "PACKAGE_PARAM", "Choice", "PackageRemoved", "choices", "find_choice", "placed_package"]

ACTIVITY_PARAM = "samattha_activity"


class PackageRemoved(LookupError):
    """The link names a package its coordinator removed."""


@dataclass(frozen=True)
class Choice:
    """One thing the instructor may place: ``code`` is the form value, ``custom`` the link's parameters;
    ``titles`` the manifest's language map, for the page (``title`` names the Moodle activity)."""

    code: str
    title: str
    kind: str
    package_id: int
    custom: dict[str, str]
    is_au: bool = False
    titles: dict[str, str] = field(default_factory=dict)


def _package_choices(package: ContentPackage) -> list[Choice]:
    found = [Choice(f"package:{package.id}", package.title, package.kind, package.id,
                    {PACKAGE_PARAM: str(package.id)}, titles=dict(package.manifest.get("titles", {})))]
    if package.kind == "cmi5":
        for number, item in enumerate(package.manifest.get("items", []), start=1):
            found.append(Choice(f"package:{package.id}:{number}", str(item["title"]), "cmi5", package.id,
                                {PACKAGE_PARAM: str(package.id), ACTIVITY_PARAM: str(item["iri"])}, is_au=True,
                                titles=dict(item.get("titles", {}))))
    return found


def choices(session: Session, course: Course) -> list[Choice]:
    return [choice for package in packages_of(session, course) for choice in _package_choices(package)]


def find_choice(session: Session, course: Course, code: str) -> Choice | None:
    return next((choice for choice in choices(session, course) if choice.code == code), None)


def placed_package(
    session: Session, course: Course, custom: dict[str, Any]
) -> tuple[ContentPackage, str | None] | None:
    """The package (and AU) a launch's custom parameters name, if it belongs to the launching course; a package
    its coordinator removed raises PackageRemoved, one of another course (a copied course) or none LookupError."""
    raw = str(custom.get(PACKAGE_PARAM, "")).strip()
    if not raw:
        return None
    package = session.get(ContentPackage, int(raw)) if raw.isdigit() and len(raw) < 12 else None
    if package is None or package.course_id != course.id:
        raise LookupError(raw)
    if package.removed_at is not None:
        raise PackageRemoved(raw)
    activity = custom.get(ACTIVITY_PARAM)
    return package, str(activity) if activity else None
