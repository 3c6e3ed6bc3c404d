"""The competency standard: parse its texts, keep it in the database, export it."""

from __future__ import annotations

from plugin.standards.catalog import (
    find_code,
    get_unit,
    import_document,
    list_units,
    standard_documents,
    unit_document,
)
from plugin.standards.parser import ParseError, parse_source

__all__ = [
    "ParseError",
    "find_code",
    "get_unit",
    "import_document",
    "list_units",
    "parse_source",
    "standard_documents",
    "unit_document",
]
