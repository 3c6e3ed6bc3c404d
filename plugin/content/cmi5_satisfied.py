"""cmi5 moveOn (§9.3.9, §9.6.1): which blocks, and whether the course, a registration has satisfied.

A block is satisfied when the moveOn criteria of every AU inside it (inner blocks' AUs included) are met, the
course when those of all its AUs are. An AU's criteria are read from what every session of the registration
recorded (the launch rows' completed and passed flags), so a pass in one session and a completion in another
meet CompletedAndPassed; NotApplicable is met from the start, which is why a registration's first launch can
satisfy at once (§9.6.1: "evaluate moveOn criteria … at the time of registration")."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from plugin.models.content import ContentLaunch, ContentPackage, ContentSatisfaction

__all__ = ["newly_satisfied", "sessions_of"]


def _is_met(move_on: str, *, completed: bool, passed: bool) -> bool:
    """One AU's moveOn criteria (cmi5 §13.1.4, §10.2.5)."""
    if move_on == "Completed":
        return completed
    if move_on == "Passed":
        return passed
    if move_on == "CompletedAndPassed":
        return completed and passed
    if move_on == "CompletedOrPassed":
        return completed or passed
    return True  # NotApplicable


def sessions_of(item: dict[str, Any], launches: Iterable[ContentLaunch]) -> list[ContentLaunch]:
    """The sessions of one AU (a manifest item) among ``launches``: launched under the LMS's id for it or, in a
    registration begun before migration 0012, which goes on under the id it started with, the publisher's."""
    ids = {item["iri"], item["activity_id"]}
    return [launch for launch in launches if launch.activity_iri in ids]


def _met(package: ContentPackage, launches: Sequence[ContentLaunch]) -> set[str]:
    """The publisher ids of the AUs whose criteria ``launches`` (one registration's sessions) meet."""
    met = set()
    for item in package.manifest["items"]:
        sessions = sessions_of(item, launches)
        completed, passed = any(s.completed for s in sessions), any(s.passed for s in sessions)
        if _is_met(item["move_on"], completed=completed, passed=passed):
            met.add(item["iri"])
    return met


def _groups(package: ContentPackage) -> list[tuple[str, dict[str, Any], list[str]]]:
    """(kind, node, publisher ids of its AUs): every block, inner ones first, then the course."""
    manifest = package.manifest
    blocks = [("block", block, list(block["aus"])) for block in manifest.get("blocks", [])]
    return [*blocks, ("course", manifest["course"], [item["iri"] for item in manifest["items"]])]


def newly_satisfied(session: Session, package: ContentPackage, launches: Sequence[ContentLaunch], registration: str,
                    now: datetime) -> list[tuple[str, dict[str, Any]]]:
    """(kind, node) of each block or course that ``launches`` (every session of ``registration``, locked by the
    caller) now satisfy and that was not satisfied before; each is recorded here, so the caller sends its
    statement in this transaction or not at all (§9.3.9: one satisfied per block or course and registration)."""
    sent = set(session.scalars(select(ContentSatisfaction.activity_iri)
                               .where(ContentSatisfaction.registration == registration)))
    met = _met(package, launches)
    due = []
    for kind, node, aus in _groups(package):
        if node["activity_id"] in sent or not met.issuperset(aus):
            continue
        session.add(ContentSatisfaction(package_id=package.id, registration=registration,
                                        activity_iri=node["activity_id"], created_at=now))
        due.append((kind, node))
    return due
