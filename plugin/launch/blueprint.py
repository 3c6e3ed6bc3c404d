"""The ``launch`` blueprint on its own, so that the LTI endpoints (plugin.launch.web) and the course pages
(plugin.launch.pages) both hang on it and neither imports the other's views to get it."""

from __future__ import annotations

from flask import Blueprint

__all__ = ["bp"]

bp = Blueprint("launch", __name__)
