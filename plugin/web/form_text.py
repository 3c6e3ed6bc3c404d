"""Refuse a NUL character in a query or form field before any view runs. PostgreSQL's text cannot hold one, so a
field stored as text was a 500 there (and kept as written on SQLite); the field is named, in the page's language.

Only the query string and url-encoded forms are read here: a multipart body is left for its view, which streams
its files with their own checks, and checks its own text fields (plugin.learner_evidence)."""

from __future__ import annotations

from flask import Flask, abort, request

from plugin.launch import i18n

__all__ = ["install_text_checks"]

i18n.register_messages({"form.nul": ("{field}: contains a NUL character, which no field may hold",
                            "{field}: มีอักขระ NUL ซึ่งไม่มีช่องใดรับได้")})


def install_text_checks(app: Flask) -> None:
    @app.before_request
    def _refuse_nul() -> None:
        if request.path.startswith("/xapi/"):
            return  # the LRS answers in xAPI's own terms (xapi.params)
        fields = [request.args]
        if request.mimetype == "application/x-www-form-urlencoded":
            fields.append(request.form)
        for source in fields:
            for name, value in source.items(multi=True):
                if "\x00" in name or "\x00" in value:
                    abort(400, description=i18n.translate("form.nul", field=name.replace("\x00", "")))
