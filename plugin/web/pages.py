"""Server-rendered pages: the home page and the read-only standard browser."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template

from plugin.db import get_session
from plugin.standards import catalog

__all__ = ["pages"]

pages = Blueprint("pages", __name__)


@pages.get("/")
def home() -> str:
    session = get_session()
    config = current_app.config["SAMATTHA"]
    return render_template(
        "home.html",
        documents=catalog.standard_documents(session),
        base_url=config.base_url,
    )


@pages.get("/standards")
def standards() -> str:
    return render_template("standards.html", units=catalog.list_units(get_session()))


@pages.get("/standards/<code>")
def unit(code: str) -> str:
    found = catalog.get_unit(get_session(), code)
    if found is None:
        abort(404, description=f"code: no unit of competency has the code {code!r}")
    return render_template("unit.html", unit=found, doc=catalog.unit_document(found))
