"""A portfolio as one standalone, printable HTML file: the stylesheet inline, Sarabun embedded as data URIs,
so it prints with Thai shaped the same on any machine, offline."""

from __future__ import annotations

import base64
import functools
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import jinja2

import plugin.portfolios.exports.messages  # noqa: F401 - registers the texts
import plugin.portfolios.exports.record as record
from plugin import localtime
from plugin.launch import i18n
from plugin.learner_evidence import messages as _evidence_messages  # noqa: F401 - a learner's piece's "ev." texts
from plugin.portfolios import messages as _workspace_messages  # noqa: F401 - _portfolio.html's "ws." texts
from plugin.portfolios.exports.view import portfolio_context

__all__ = ["STATIC", "render_html", "stylesheet"]

STATIC = Path(__file__).resolve().parents[2] / "static"
_FONT_URL = re.compile(r'url\("(fonts/[^"]+)"\)')


@functools.cache
def _environment() -> jinja2.Environment:
    # Our own environment, not Flask's: the CLI renders without an app or a request.
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(STATIC.parent / "templates"), autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    localtime.add_filters(environment.filters)
    environment.globals["zone_label"] = localtime.zone_label
    return environment


@functools.cache
def stylesheet(embed_fonts: bool) -> str:
    """fonts.css and portfolio.css, the same files the pages link; with ``embed_fonts`` the font URLs become
    data URIs (woff only: smaller CSS than both)."""
    css = "\n".join((STATIC / name).read_text(encoding="utf-8") for name in ("fonts.css", "portfolio.css"))
    if not embed_fonts:
        return css

    def inline(match: re.Match[str]) -> str:
        path = match.group(1)
        if path.endswith(".woff2"):
            return 'url("data:,")'  # the .woff alternative after it carries the font
        data = base64.b64encode((STATIC / path).read_bytes()).decode("ascii")
        return f'url("data:font/woff;base64,{data}")'

    return _FONT_URL.sub(inline, css)


def render_html(
    document: Mapping[str, Any], *, language: str, judgements: Iterable[Mapping[str, Any]] = (),
    snapshot: Mapping[str, Any] | None = None, css: str | None = None, organisation: str | None = None,
    pieces: Mapping[str, Mapping[str, Any]] | None = None,
) -> str:
    """The whole HTML page, with ``css`` inline (default: portfolio.css with its fonts embedded); the
    organisation on its cover is SAMATTHA_ORGANISATION unless ``organisation`` is given; ``pieces``: the
    learner's own pieces, each shown in full with its files (pieces.pieces_shown), as the portfolio page does."""
    def t(key: str, **params: object) -> str:
        return i18n.translate(key, language, **params)

    context = portfolio_context(document, judgements=judgements, snapshot=snapshot)
    context["ev"] = record.evidence_references(context["ev"], document, language)
    # The record links only to the learner's own work: an activity's page is named by its reference already,
    # and a link worded "the learner's work" must not lead to the activity alone.
    context["work"] = {key: url for key, url in context["work"].items() if context["work_kind"][key] != "activity"}
    name = record.organisation() if organisation is None else organisation
    template = _environment().get_template("portfolios/export.html")
    return template.render(
        t=t, lang=language, css=stylesheet(True) if css is None else css, organisation=name,
        standards=record.standard_titles(document), assessors=record.assessors(context["judgements"]),
        page_css=record.page_css(document, language=language, organisation_name=name, snapshot=snapshot),
        pieces=pieces or {}, **context)
