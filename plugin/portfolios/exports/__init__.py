"""Portfolio exports from a snapshot's document (SCHEMA.md): printable HTML, PDF, JSON, and a course ZIP."""

from plugin.portfolios.exports.archive import (
    FORMATS,
    file_name,
    render,
    render_json,
    render_record_json,
    write_course_zip,
)
from plugin.portfolios.exports.html import render_html
from plugin.portfolios.exports.pieces import LearnerPieces, learner_pieces, pieces_shown
from plugin.portfolios.exports.view import latest_by_unit, missing, portfolio_context

__all__ = [
    "FORMATS", "LearnerPieces", "file_name", "latest_by_unit", "learner_pieces", "missing",
    "pieces_shown", "portfolio_context", "render", "render_html", "render_json", "render_record_json",
    "write_course_zip",
]
