"""Samattha: the Flask application (factory, config, views, CLI, standard, mapping, portfolios)."""

from __future__ import annotations

from plugin.app import create_app

__all__ = ["create_app"]
