"""The standard's texts shipped in the package (content/standards), found through importlib.resources."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any, cast

from plugin.standards.parser import parse_source

__all__ = ["parse_file", "shipped_documents", "shipped_source_names", "write_document"]

_PACKAGE = "content.standards"


def shipped_source_names() -> list[str]:
    sources = resources.files(_PACKAGE).joinpath("sources")
    return sorted(entry.name for entry in sources.iterdir() if entry.name.endswith(".txt"))


def _read_source(name: str) -> str:
    return resources.files(_PACKAGE).joinpath("sources", name).read_text(encoding="utf-8")


def shipped_documents() -> list[dict[str, Any]]:
    """Parse every shipped source text; the parser is fast enough that we never trust a stale JSON."""
    return [_parse(_read_source(name), name) for name in shipped_source_names()]


def parse_file(path: Path) -> dict[str, Any]:
    return _parse(path.read_text(encoding="utf-8"), path.name)


def _parse(text: str, name: str) -> dict[str, Any]:
    # The loader and exports treat documents as plain JSON data; the TypedDict is the parser's own contract.
    return cast(dict[str, Any], parse_source(text, file_name=name))


def write_document(doc: dict[str, Any], directory: Path) -> Path:
    target = directory / (Path(doc["source"]["file"]).stem + ".json")
    target.write_text(json.dumps(doc, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return target
