"""Typed errors mapped to responses in one place: JSON under /api, a page elsewhere, never a traceback."""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify, render_template, request
from werkzeug.exceptions import HTTPException
from werkzeug.http import HTTP_STATUS_CODES

from plugin.db import discard_session

__all__ = ["json_error", "register_error_handlers", "wants_json"]

log = logging.getLogger(__name__)


def wants_json() -> bool:
    return request.path.startswith(("/api/", "/healthz", "/xapi/")) or request.accept_mimetypes.best == (
        "application/json"
    )


def json_error(status: int, message: str) -> tuple[Response, int]:
    """An error as every JSON route answers it: the status's name, and a message naming what is wrong."""
    return jsonify({"error": HTTP_STATUS_CODES.get(status, "Error"), "message": message}), status


def _respond(status: int, title: str, message: str) -> tuple[Response | str, int]:
    if wants_json():
        return json_error(status, message)
    return render_template("error.html", status=status, title=title, message=message), status


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException) -> tuple[Response | str, int]:
        return _respond(error.code or 500, error.name, error.description or error.name)

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> tuple[Response | str, int]:
        # Log the detail for operators; the client learns nothing internal.
        log.exception("unhandled error on %s %s", request.method, request.path)
        discard_session()
        return _respond(500, "Internal Server Error", "Something went wrong on our side; it has been logged.")
