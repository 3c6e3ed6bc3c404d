"""Knowledge-evidence portfolios: compile a learner's statements against a course mapping and the standard."""

from plugin.portfolios.compiler import SAMATTHA_PACKAGE_EXTENSION, CourseName, compile_portfolio, statement_source
from plugin.portfolios.model import FORMAT, Portfolio, content_hash, portfolio_to_json, unit_score

__all__ = [
    "FORMAT",
    "SAMATTHA_PACKAGE_EXTENSION",
    "CourseName",
    "Portfolio",
    "compile_portfolio",
    "content_hash",
    "portfolio_to_json",
    "statement_source",
    "unit_score",
]
