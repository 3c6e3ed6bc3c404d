"""What changed between two versions of a unit, for the revision history."""

from __future__ import annotations

from typing import Any

__all__ = ["diff_units"]


def _index(items: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {item["code"]: item for item in items}


def _diff_value(path: str, old: Any, new: Any) -> list[dict[str, Any]]:
    if old == new:
        return []
    return [{"change": "changed", "path": path, "old": old, "new": new}]


def _diff_coded(path: str, old: list[dict[str, Any]], new: list[dict[str, Any]], keys: tuple[str, ...],
                child: str | None = None) -> list[dict[str, Any]]:
    before, after = _index(old), _index(new)
    changes: list[dict[str, Any]] = []
    for code in before.keys() - after.keys():
        changes.append({"change": "removed", "path": f"{path}[{code}]", "old": before[code]})
    for code in after.keys() - before.keys():
        changes.append({"change": "added", "path": f"{path}[{code}]", "new": after[code]})
    for code in before.keys() & after.keys():
        for key in keys:
            changes += _diff_value(f"{path}[{code}].{key}", before[code].get(key), after[code].get(key))
        if child:
            changes += _diff_coded(f"{path}[{code}].{child}", before[code][child], after[code][child],
                                   ("number", "text", "system_code"))
    return changes


def diff_units(old: dict[str, Any], new: dict[str, Any]) -> list[dict[str, Any]]:
    """A list of ``{change, path, old, new}`` records; elements and criteria are matched by code."""
    changes: list[dict[str, Any]] = []
    for key in new:
        if key in ("code", "elements"):
            continue
        changes += _diff_value(key, old.get(key), new.get(key))
    changes += _diff_coded("elements", old.get("elements", []), new["elements"], ("title", "assessment_methods"),
                           child="criteria")
    return sorted(changes, key=lambda c: (c["path"], c["change"]))
