"""The cmi5 rules (§9.2, §9.5, §9.6) on the shape of one statement an AU sends, over plain data: its actor, result
and context, whatever session it belongs to. plugin.content.cmi5 adds the rules of the session (order, once per
session or registration). Each refusal is 403, as cmi5 §9 asks of the LMS, with the rule named."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

import xapi

__all__ = ["CATEGORY", "EXT", "MOVEON", "VERB", "categories", "check_any", "check_defined", "refuse", "scaled"]

VERB = "http://adlnet.gov/expapi/verbs/"
CATEGORY = "https://w3id.org/xapi/cmi5/context/categories/cmi5"
MOVEON = "https://w3id.org/xapi/cmi5/context/categories/moveon"
EXT = "https://w3id.org/xapi/cmi5/context/extensions/"
JUDGEMENTS = {VERB + v for v in ("completed", "passed", "failed")}


def refuse(where: str, rule: str) -> xapi.StatementError:
    return xapi.StatementError(where, rule, status=403)


def categories(statement: dict[str, Any]) -> set[str]:
    context = statement.get("context") or {}
    listed = (context.get("contextActivities") or {}).get("category") or []
    return {str(c.get("id")) for c in listed if isinstance(c, dict)}


def _number(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value)) if isinstance(value, int | float) and not isinstance(value, bool) else None
    except InvalidOperation:
        return None


def scaled(statement: dict[str, Any]) -> Decimal | None:
    return _number(((statement.get("result") or {}).get("score") or {}).get("scaled"))


def check_any(statement: dict[str, Any], verb: str, where: str) -> None:
    """What holds for every statement of an AU, cmi5 defined or allowed."""
    if (statement.get("actor") or {}).get("objectType", "Agent") != "Agent":
        raise refuse(f"{where}actor.objectType", "cmi5 §9.2: the actor is the launch's Agent, never a Group")
    if verb == VERB + "voided":
        raise refuse(f"{where}verb", "cmi5 §6.3: an AU may not void statements")
    if MOVEON in categories(statement) and verb not in JUDGEMENTS:
        raise refuse(f"{where}context.contextActivities.category",
                     f"cmi5 §9.6.2.2: only completed, passed and failed carry the category {MOVEON}")


def check_defined(statement: dict[str, Any], name: str, mastery: str | None, where: str) -> None:
    """The result of a cmi5 defined statement (``name``: initialized, completed, passed, failed or terminated) and,
    for passed and failed, its score against the AU's ``mastery`` score (cmi5.xml's decimal text, or None)."""
    result = statement.get("result") or {}
    if name != "initialized" and "duration" not in result:
        raise refuse(f"{where}result.duration", f"cmi5 §9.5.4.1: {name} carries result.duration")
    if name == "completed":
        if result.get("completion") is not True:
            raise refuse(f"{where}result.completion", "cmi5 §9.5.3: completed carries result.completion true")
        if "success" in result:
            raise refuse(f"{where}result.success", "cmi5 §9.5.2: completed carries no result.success")
        if "score" in result:
            raise refuse(f"{where}result.score", "cmi5 §9.5.1: completed carries no score")
    elif name in ("passed", "failed"):
        expected = name == "passed"
        if result.get("success") is not expected:
            raise refuse(f"{where}result.success",
                         f"cmi5 §9.5.2: {name} carries result.success {str(expected).lower()}")
        if "completion" in result:
            raise refuse(f"{where}result.completion", f"cmi5 §9.5.3: {name} carries no result.completion")
        _check_score(statement, name, mastery, where)


def _check_score(statement: dict[str, Any], name: str, mastery: str | None, where: str) -> None:
    score = (statement.get("result") or {}).get("score") or {}
    if "raw" in score and not {"min", "max"} <= score.keys():
        raise refuse(f"{where}result.score", "cmi5 §9.5.1: a raw score comes with min and max")
    value = scaled(statement)
    # §9.3.4 and §9.3.5 hold a score to the masteryScore only when one is sent: passed or failed without a
    # score stands as the AU's own verdict.
    if mastery is None or value is None:
        return
    limit = Decimal(mastery)
    if name == "passed" and value < limit:
        raise refuse(f"{where}result.score.scaled",
                     f"cmi5 §9.3.4: passed needs a scaled score of at least the masteryScore {limit}")
    if name == "failed" and value >= limit:
        raise refuse(f"{where}result.score.scaled",
                     f"cmi5 §9.3.5: failed needs a scaled score below the masteryScore {limit}")
    said = _number(((statement.get("context") or {}).get("extensions") or {}).get(EXT + "masteryscore"))
    if said != limit:
        raise refuse(f"{where}context.extensions",
                     f"cmi5 §9.6.3.2: a {name} judged by its score carries the masteryScore {limit} as the "
                     f"context extension {EXT}masteryscore")
