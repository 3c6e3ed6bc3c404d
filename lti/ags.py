"""Assignment and Grade Services 2.0: line items (§3.2) and scores (§3.4), shaped by what Moodle 4.5
accepts. Moodle refuses (HTTP 409) a score whose timestamp is not later, in whole seconds, than the
grade it holds (``timemodified >= strtotime(timestamp)``): use ``next_score_timestamp``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from lti.errors import ServiceError
from lti.services import SCOPE_LINEITEM, SCOPE_LINEITEM_READONLY, SCOPE_SCORE, ServiceClient, service_url

__all__ = ["Score", "create_line_item", "list_line_items", "next_score_timestamp", "post_score"]

LINEITEM_TYPE = "application/vnd.ims.lis.v2.lineitem+json"
CONTAINER_TYPE = "application/vnd.ims.lis.v2.lineitemcontainer+json"
SCORE_TYPE = "application/vnd.ims.lis.v1.score+json"
ACTIVITY_PROGRESS = ("Initialized", "Started", "InProgress", "Submitted", "Completed")
GRADING_PROGRESS = ("FullyGraded", "Pending", "PendingManual", "Failed", "NotReady")


@dataclass(frozen=True)
class Score:
    """AGS 2.0 §3.4 score. ``user_id`` is the launch's ``sub``."""

    user_id: str
    score_given: float | None
    score_maximum: float
    timestamp: datetime
    activity_progress: str = "Completed"
    grading_progress: str = "FullyGraded"
    comment: str | None = None

    def to_json(self) -> dict[str, Any]:
        if self.activity_progress not in ACTIVITY_PROGRESS or self.grading_progress not in GRADING_PROGRESS:
            raise ValueError("activityProgress / gradingProgress outside the AGS 2.0 §3.4 vocabulary")
        if self.timestamp.tzinfo is None:
            raise ValueError("AGS timestamps need a time zone (ISO 8601, AGS 2.0 §3.4.5)")
        body: dict[str, Any] = {
            "userId": self.user_id,
            "scoreMaximum": self.score_maximum,
            "activityProgress": self.activity_progress,
            "gradingProgress": self.grading_progress,
            "timestamp": self.timestamp.isoformat(timespec="milliseconds"),
        }
        if self.score_given is not None:
            body["scoreGiven"] = self.score_given
        if self.comment is not None:
            body["comment"] = self.comment
        return body


def next_score_timestamp(last_sent: datetime | None, now: datetime) -> datetime:
    """A timestamp Moodle will accept after ``last_sent`` for the same user and line item: ``now`` cut to
    whole seconds (Moodle compares with ``strtotime``), pushed one second past ``last_sent`` if needed."""
    candidate = now.astimezone(UTC).replace(microsecond=0)
    if last_sent is not None:
        floor = last_sent.astimezone(UTC).replace(microsecond=0)
        if candidate <= floor:
            candidate = floor + timedelta(seconds=1)
    return candidate


def list_line_items(
    client: ServiceClient,
    lineitems_url: str,
    *,
    resource_link_id: str | None = None,
    resource_id: str | None = None,
    tag: str | None = None,
) -> list[dict[str, Any]]:
    """GET the context's line items, filtered as AGS 2.0 §3.2.4 allows."""
    query = {k: v for k, v in (("resource_link_id", resource_link_id), ("resource_id", resource_id),
                               ("tag", tag)) if v is not None}
    url = service_url(lineitems_url, query=query)
    body = client.call_json("GET", url, scopes=[SCOPE_LINEITEM_READONLY], accept=CONTAINER_TYPE)
    if not isinstance(body, list):
        raise ServiceError("bad_response", f"{url} did not return a list of line items.", url=url)
    return [item for item in body if isinstance(item, dict)]


def create_line_item(
    client: ServiceClient,
    lineitems_url: str,
    *,
    label: str,
    score_maximum: float,
    resource_id: str | None = None,
    tag: str | None = None,
    resource_link_id: str | None = None,
) -> dict[str, Any]:
    """POST a new line item (AGS 2.0 §3.2.5); returns it with the ``id`` URL the platform assigned."""
    item: dict[str, Any] = {"label": label, "scoreMaximum": score_maximum}
    for name, value in (("resourceId", resource_id), ("tag", tag), ("resourceLinkId", resource_link_id)):
        if value is not None:
            item[name] = value
    created = client.call_json("POST", lineitems_url, scopes=[SCOPE_LINEITEM], accept=LINEITEM_TYPE,
                               json_body=item, content_type=LINEITEM_TYPE)
    if not isinstance(created, dict) or not isinstance(created.get("id"), str):
        raise ServiceError("bad_response", f"{lineitems_url} did not return the created line item.", url=lineitems_url)
    return created


def post_score(client: ServiceClient, lineitem_url: str, score: Score) -> None:
    """POST a score to ``<lineitem>/scores`` (AGS 2.0 §3.4.1). A 409 from Moodle means the timestamp was
    not newer than the grade it holds."""
    url = service_url(lineitem_url, "/scores")
    client.call("POST", url, scopes=[SCOPE_SCORE], accept="application/json", json_body=score.to_json(),
                content_type=SCORE_TYPE)
