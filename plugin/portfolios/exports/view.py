"""What every rendering of a portfolio document needs besides the document: evidence by statement id, the
gaps a learner still has, and the latest judgement per unit. Plain data in, plain data out."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from plugin.portfolios.exports.work import find_work
from plugin.portfolios.model import unit_evidence_key

__all__ = ["is_stale", "judgement_trail", "latest_by_unit", "missing", "portfolio_context"]


def missing(document: Mapping[str, Any]) -> list[dict[str, str]]:
    """Criteria, then knowledge and performance evidence items, that are not yet evidenced, in standard order."""
    gaps: list[dict[str, str]] = []
    for unit in document["units"]:
        for element in unit["elements"]:
            gaps.extend(_gap(c) for c in element["criteria"] if c["status"] != "evidenced")
        for item in unit["knowledge_evidence"] + unit["performance_evidence"]:
            if item["status"] != "evidenced":
                gaps.append(_gap(item))
    return gaps


def _gap(record: Mapping[str, Any]) -> dict[str, str]:
    return {"code": record["code"], "text": record["text"], "status": record["status"]}


def latest_by_unit(judgements: Iterable[Mapping[str, Any]]) -> dict[str, Mapping[str, Any]]:
    """Unit code → the newest judgement (judgements as judgements.judgement_json gives them, any order)."""
    latest: dict[str, Mapping[str, Any]] = {}
    for judgement in sorted(judgements, key=lambda j: (j["recorded_at"], j["id"])):
        latest[judgement["unit"]] = judgement
    return latest


def is_stale(judgement: Mapping[str, Any], document: Mapping[str, Any],
             snapshot: Mapping[str, Any] | None) -> bool:
    """Whether what ``judgement`` judged has changed in ``document``. Only a change of what it judged counts
    (model.unit_evidence_key), not a compile at a later moment or under a mapping that changes no outcome; a
    judgement without a key (its snapshot is gone) is compared by the snapshot's hash."""
    if judgement.get("evidence_key") is not None:
        return bool(judgement["evidence_key"] != unit_evidence_key(document, judgement["unit"]))
    return snapshot is not None and judgement["snapshot"]["content_hash"] != snapshot["content_hash"]


def judgement_trail(judgements: Iterable[Mapping[str, Any]], document: Mapping[str, Any],
                    snapshot: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """Every judgement, oldest first, each with ``stale``: whether the portfolio has changed since for it."""
    ordered = sorted(judgements, key=lambda j: (j["recorded_at"], j["id"]))
    return [{**j, "stale": is_stale(j, document, snapshot)} for j in ordered]


def portfolio_context(
    document: Mapping[str, Any], *, judgements: Iterable[Mapping[str, Any]] = (),
    snapshot: Mapping[str, Any] | None = None, show_missing: bool = False,
) -> dict[str, Any]:
    """The template context of ``portfolios/_portfolio.html``: ``work`` (statement id → URL) and ``work_kind``
    (→ one of work.KINDS) where Moodle shows the work behind a piece of evidence."""
    latest = latest_by_unit(judgements)
    actor = (document.get("learner") or {}).get("actor") or {}
    account = actor.get("account") if isinstance(actor, dict) else None
    moodle_id = str(account["name"]) if isinstance(account, dict) and account.get("name") is not None else None
    wwwroot = str((document.get("course") or {}).get("wwwroot") or "")
    found = {e["id"]: work for e in document["evidence"] if (work := find_work(e, moodle_id, wwwroot))}
    return {
        "doc": document,
        "ev": {e["id"]: e for e in document["evidence"]},
        "work": {key: url for key, (_, url) in found.items()},
        # "activity" when only the activity's page is known: a page must not call that the learner's work.
        "work_kind": {key: kind for key, (kind, _) in found.items()},
        "judgements": latest,
        "stale": {unit: is_stale(judgement, document, snapshot) for unit, judgement in latest.items()},
        "snapshot": snapshot,
        "missing": missing(document) if show_missing else None,
    }
