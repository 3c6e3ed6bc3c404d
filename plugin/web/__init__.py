"""Web views: thin handlers over the domain functions."""

from __future__ import annotations

from flask import Blueprint

__all__ = ["blueprints"]


def blueprints() -> list[Blueprint]:
    from plugin.web.api import api
    from plugin.web.pages import pages

    return [pages, api]
