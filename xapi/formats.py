"""The ``format`` parameter of GET statements (xAPI 1.0.3 Part Three §2.1.3): ids and canonical.

``exact`` is the stored text itself and never passes through here.
"""

from __future__ import annotations

from typing import Any

__all__ = ["apply_format", "preferred_languages"]

JsonObject = dict[str, Any]
_IFI_KEYS = ("mbox", "mbox_sha1sum", "openid", "account")
_LANGUAGE_MAPS = ("display", "name", "description")


def _agent_ids(agent: JsonObject) -> JsonObject:
    """Only what identifies an Agent or Group; an anonymous Group keeps its members' ids."""
    out: JsonObject = {key: agent[key] for key in ("objectType",) if key in agent}
    out.update({key: agent[key] for key in _IFI_KEYS if key in agent})
    if agent.get("objectType") == "Group" and not any(key in agent for key in _IFI_KEYS):
        out["member"] = [_agent_ids(member) for member in agent.get("member") or ()]
    return out


def _object_ids(obj: JsonObject) -> JsonObject:
    kind = obj.get("objectType", "Activity")
    if kind in ("Agent", "Group"):
        return _agent_ids(obj)
    if kind == "SubStatement":
        return _statement_ids(obj)
    if kind == "Activity":
        return {"id": obj["id"]}
    return {key: obj[key] for key in ("objectType", "id") if key in obj}


def _context_ids(context: JsonObject) -> JsonObject:
    out = dict(context)
    for key in ("instructor", "team"):
        if isinstance(out.get(key), dict):
            out[key] = _agent_ids(out[key])
    if isinstance(out.get("contextActivities"), dict):
        out["contextActivities"] = {
            kind: [_object_ids(a) for a in (value if isinstance(value, list) else [value])]
            for kind, value in out["contextActivities"].items()
        }
    return out


def _statement_ids(stmt: JsonObject) -> JsonObject:
    out = dict(stmt)
    out["actor"] = _agent_ids(stmt["actor"])
    out["verb"] = {"id": stmt["verb"]["id"]}
    out["object"] = _object_ids(stmt["object"])
    if isinstance(stmt.get("authority"), dict):
        out["authority"] = _agent_ids(stmt["authority"])
    if isinstance(stmt.get("context"), dict):
        out["context"] = _context_ids(stmt["context"])
    return out


def preferred_languages(accept_language: str | None) -> list[str]:
    """Accept-Language (RFC 7231 §5.3.5) as tags by descending quality."""
    ranked: list[tuple[float, int, str]] = []
    for index, item in enumerate((accept_language or "").split(",")):
        tag, _, params = item.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        if tag:
            ranked.append((-quality, index, tag.strip().lower()))
    return [tag for _, _, tag in sorted(ranked)]


def _pick(language_map: JsonObject, languages: list[str]) -> JsonObject:
    lowered = {key.lower(): key for key in language_map}
    for tag in languages:
        for candidate in (tag, tag.split("-")[0]):
            if candidate in lowered:
                key = lowered[candidate]
                return {key: language_map[key]}
    first = next(iter(language_map), None)
    return {first: language_map[first]} if first is not None else {}


def _canonical(value: Any, languages: list[str]) -> Any:
    """Language Maps reduced to the one best language (§2.1.3 format=canonical)."""
    if isinstance(value, list):
        return [_canonical(item, languages) for item in value]
    if not isinstance(value, dict):
        return value
    out: JsonObject = {}
    for key, item in value.items():
        if key in _LANGUAGE_MAPS and isinstance(item, dict) and all(isinstance(v, str) for v in item.values()):
            out[key] = _pick(item, languages)
        elif key == "extensions":
            out[key] = item
        else:
            out[key] = _canonical(item, languages)
    return out


def apply_format(stmt: JsonObject, fmt: str, languages: list[str]) -> JsonObject:
    if fmt == "ids":
        return _statement_ids(stmt)
    if fmt == "canonical":
        return dict(_canonical(stmt, languages))
    return stmt
