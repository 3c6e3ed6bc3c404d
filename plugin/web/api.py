"""JSON API over the standard, plus the health check."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort
from sqlalchemy import text

from plugin.db import get_session
from plugin.standards import catalog

__all__ = ["api"]

api = Blueprint("api", __name__)


@api.get("/healthz")
def healthz() -> tuple[dict[str, Any], int]:
    try:
        get_session().execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - a health check reports, it does not raise
        return {"status": "unavailable", "database": type(exc).__name__}, 503
    return {"status": "ok", "database": "ok"}, 200


@api.get("/api/standards")
def standards() -> dict[str, Any]:
    units = catalog.list_units(get_session())
    return {
        "units": [
            {
                "code": u.code,
                "title": u.title,
                "revision": u.revision,
                "elements": len(u.elements),
                "criteria": sum(len(e.criteria) for e in u.elements),
                "url": f"/api/standards/{u.code}",
            }
            for u in units
        ]
    }


@api.get("/api/standards/<code>")
def unit(code: str) -> dict[str, Any]:
    found = catalog.get_unit(get_session(), code)
    if found is None:
        abort(404, description=f"code: no unit of competency has the code {code!r}")
    return catalog.unit_document(found)
