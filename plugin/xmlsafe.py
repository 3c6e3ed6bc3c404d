"""The one place uploaded XML is parsed: a hardened lxml parser and a parse function that refuses DTDs.

Course backups and content-package manifests come from users, so every document is hostile until parsed.
libxml2 must never fetch anything (XXE: external entities, external DTDs, network) nor expand entities
(billion laughs); the simplest rule that guarantees both is that no document we read may carry a DOCTYPE
at all — none of Moodle's backup files, tincan.xml or cmi5.xml (cmi5 §13.2 is an XSD, not a DTD) use one.
"""

from __future__ import annotations

import codecs
from typing import Any

from lxml import etree

__all__ = ["DEFAULT_MAX_XML_BYTES", "XmlError", "make_parser", "parse_xml"]

DEFAULT_MAX_XML_BYTES = 16 * 1024 * 1024

_WIDE_BOMS = (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


class XmlError(ValueError):
    """An XML document was refused; the message starts with the document's name."""


def make_parser() -> Any:
    """A fresh parser per document: lxml parsers keep state and are not safe to share between threads."""
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )


def _declares_doctype(data: bytes) -> bool:
    # Checked on the raw bytes so libxml2 never even reads an internal subset; UTF-16/32 documents are
    # decoded first because their "<!DOCTYPE" is not the ASCII byte sequence.
    for bom in _WIDE_BOMS:
        if data.startswith(bom):
            encoding = "utf-32" if len(bom) == 4 else "utf-16"
            return "<!DOCTYPE" in data.decode(encoding, errors="replace")
    return b"<!DOCTYPE" in data


def parse_xml(data: bytes, *, source: str, max_bytes: int = DEFAULT_MAX_XML_BYTES) -> Any:
    """Parse ``data`` (named ``source`` in errors) and return its root element."""
    if len(data) > max_bytes:
        raise XmlError(f"{source}: document is larger than {max_bytes} bytes")
    if _declares_doctype(data):
        raise XmlError(f"{source}: DOCTYPE declarations are not allowed")
    try:
        root = etree.fromstring(data, make_parser())
    except etree.XMLSyntaxError as exc:
        raise XmlError(f"{source}: not well-formed XML ({exc})") from exc
    info = root.getroottree().docinfo
    # Belt and braces: the byte scan above should make both impossible.
    if info.doctype or info.internalDTD is not None:
        raise XmlError(f"{source}: DOCTYPE declarations are not allowed")
    if any(isinstance(node, etree._Entity) for node in root.iter()):
        raise XmlError(f"{source}: entity references are not allowed")
    return root
