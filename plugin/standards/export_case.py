"""Export canonical standards (content/standards/SCHEMA.md) as a 1EdTech CASE 1.0 CFPackage (JSON).

Follows the CASE Service 1.0 information model (IMS Final Release, 7 July 2017,
https://www.imsglobal.org/sites/default/files/CASE/casev1p0/information_model/caseservicev1p0_infomodelv1p0.html)
and its REST/JSON binding: a CFPackage holds one CFDocument, CFItems, CFAssociations and CFDefinitions.
Every attribute the model gives multiplicity [1] is always written:

* CFPckgDocument: identifier, uri, creator, title, lastChangeDateTime
* CFPckgItem: identifier, fullStatement, uri, lastChangeDateTime
* CFPckgAssociation: identifier, associationType, uri, originNodeURI, destinationNodeURI,
  lastChangeDateTime
* CFItemType (CFDefinitions): identifier, uri, title, description, hierarchyCode, lastChangeDateTime
* LinkURI / LinkGenURI: title, identifier, uri

Items and associations also carry ``CFDocumentURI``, which the stand-alone CFItem / CFAssociation
classes require (interface model 6.1.1, 6.7.1), so each object stays valid when served on its own by
getCFItem / getCFAssociation; the document carries ``CFPackageURI`` (6.5.1) for the same reason.

Identifiers are UUIDv5 under :data:`CASE_NAMESPACE` of a stable name (the standard title, an item's
code, ...), so re-exporting the same data gives byte-identical JSON; ``uri`` is ``base_uri`` plus the
REST binding's collection path and the identifier.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

__all__ = ["CASE_NAMESPACE", "DEFAULT_CREATOR", "DEFAULT_LAST_CHANGE", "ITEM_TYPES", "to_case_package"]

JSON = dict[str, Any]

# Namespace of every identifier this exporter mints: uuid5(NAMESPACE_URL, <this string>).  Deliberately
# independent of base_uri: the same unit keeps its CASE identifier wherever the package is published.
CASE_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://samattha.invalid/ns/case-export/1")
# Thai occupational standards are published by the Thailand Professional Qualification Institute; the
# canonical JSON does not name a creator, and CFDocument.creator is required.
DEFAULT_CREATOR = "สถาบันคุณวุฒิวิชาชีพ (องค์การมหาชน)"
# lastChangeDateTime is required on every object and must not depend on the clock: unless the caller
# passes the real change time, it is this fixed date (1 Jan 2024 = B.E. 2567, the year of the latest
# revision printed in the DG sources, "ทบทวนครั้งที่ 1 / 2567").
DEFAULT_LAST_CHANGE = datetime(2024, 1, 1, tzinfo=UTC)
LANGUAGE = "th"  # every statement is Thai as printed

# (title, hierarchyCode, typeCode, description) of the CFItemTypes used, by depth.
ITEM_TYPES: tuple[tuple[str, str, str, str], ...] = (
    ("Unit of Competency", "1", "unit", "หน่วยสมรรถนะ: a unit of an occupational standard"),
    ("Element", "2", "element", "สมรรถนะย่อย: an element of competency within a unit"),
    ("Performance Criterion", "3", "criterion", "เกณฑ์การปฏิบัติงาน: a performance criterion of an element"),
)


def to_case_package(
    standards: Sequence[dict[str, Any]],
    *,
    base_uri: str,
    last_change: datetime | None = None,
    creator: str = DEFAULT_CREATOR,
) -> JSON:
    """Return a CASE 1.0 CFPackage for the units of ``standards`` (canonical dicts, one title).

    ``base_uri`` is where the CASE API is served (e.g. ``https://host/ims/case/v1p0``); ``last_change``
    (timezone-aware) becomes every lastChangeDateTime, default :data:`DEFAULT_LAST_CHANGE`.
    """
    title = _common_title(standards)
    ctx = _Context(base_uri.rstrip("/"), _stamp(last_change or DEFAULT_LAST_CHANGE))
    document = _document(standards, title, creator, ctx)
    types = [_item_type(entry, ctx) for entry in ITEM_TYPES]
    items: list[JSON] = []
    associations: list[JSON] = []
    for parent, position, item in _walk(standards, ctx.document_link, types, ctx):
        items.append(item)
        associations.append(_is_child_of(_node(item), parent, position, ctx))
    return {
        "CFDocument": document,
        "CFItems": items,
        "CFAssociations": associations,
        "CFDefinitions": {"CFItemTypes": types},
    }


class _Context:
    """What every object needs: the URI root, the timestamp, and the document link once known."""

    def __init__(self, base_uri: str, stamp: str) -> None:
        self.base_uri = base_uri
        self.stamp = stamp
        self.document_link: JSON = {}

    def ident(self, kind: str, name: str) -> str:
        return str(uuid.uuid5(CASE_NAMESPACE, f"{kind}:{name}"))

    def uri(self, collection: str, identifier: str) -> str:
        # REST binding paths: /CFDocuments/{id}, /CFItems/{id}, /CFAssociations/{id}, /CFItemTypes/{id},
        # /CFPackages/{document id}.
        return f"{self.base_uri}/{collection}/{identifier}"


def _common_title(standards: Sequence[dict[str, Any]]) -> str:
    if not standards:
        raise ValueError("no standard to export")
    titles = {str(s["standard"]["title"]) for s in standards}
    if len(titles) != 1:
        raise ValueError(f"standards of different titles cannot share one CFDocument: {sorted(titles)}")
    return titles.pop()


def _stamp(moment: datetime) -> str:
    # CASE DateTime is ISO 8601 with an offset; a naive datetime has no defined instant.
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("last_change must be timezone-aware")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def _document(standards: Sequence[dict[str, Any]], title: str, creator: str, ctx: _Context) -> JSON:
    identifier = ctx.ident("document", title)
    uri = ctx.uri("CFDocuments", identifier)
    ctx.document_link = _link(title, identifier, uri)
    document: JSON = {
        "identifier": identifier,
        "uri": uri,
        "creator": creator,
        "title": _normalized(title),
        "lastChangeDateTime": ctx.stamp,
        "language": LANGUAGE,
        "CFPackageURI": _link(title, identifier, ctx.uri("CFPackages", identifier)),
    }
    intros = [s["standard"]["introduction"] for s in standards if s["standard"].get("introduction")]
    if intros:
        intros = list(dict.fromkeys(intros))  # several sources may print the same introduction
        document["description"] = "\n\n".join(intros)
    # Provenance: which source files (and exact bytes) the package was built from.
    document["notes"] = "\n".join(f"{s['source']['file']} sha256:{s['source']['sha256']}" for s in standards)
    return document


def _item_type(entry: tuple[str, str, str, str], ctx: _Context) -> JSON:
    title, hierarchy_code, type_code, description = entry
    identifier = ctx.ident("itemtype", type_code)
    return {
        "identifier": identifier,
        "uri": ctx.uri("CFItemTypes", identifier),
        "title": title,
        "description": description,
        "hierarchyCode": hierarchy_code,
        "typeCode": type_code,
        "lastChangeDateTime": ctx.stamp,
    }


def _walk(
    standards: Sequence[dict[str, Any]], doc_node: JSON, types: list[JSON], ctx: _Context
) -> Iterator[tuple[JSON, int, JSON]]:
    """Yield (parent LinkGenURI, position among siblings, CFItem), parents first."""
    seen: set[str] = set()
    units = [unit for standard in standards for unit in standard["units"]]
    for u_pos, unit in enumerate(units, start=1):
        notes = unit.get("description")
        u_item = _item(unit["code"], unit["title"], str(u_pos), types[0], ctx, seen, notes)
        yield doc_node, u_pos, u_item
        u_node = _node(u_item)
        for e_pos, element in enumerate(unit["elements"], start=1):
            e_item = _item(element["code"], element["title"], str(e_pos), types[1], ctx, seen)
            yield u_node, e_pos, e_item
            e_node = _node(e_item)
            for c_pos, crit in enumerate(element["criteria"], start=1):
                number = str(crit.get("number") or c_pos)  # as printed, e.g. "1.1"
                c_item = _item(crit["code"], crit["text"], number, types[2], ctx, seen)
                yield e_node, c_pos, c_item


def _item(
    code: str, statement: str, enumeration: str, item_type: JSON, ctx: _Context, seen: set[str],
    notes: str | None = None,
) -> JSON:  # fmt: skip
    if code in seen:  # identifiers derive from codes, which SCHEMA.md makes unique across sources
        raise ValueError(f"duplicate code {code!r}")
    seen.add(code)
    identifier = ctx.ident("item", code)
    item: JSON = {
        "identifier": identifier,
        "uri": ctx.uri("CFItems", identifier),
        "fullStatement": _normalized(statement),
        "humanCodingScheme": code,
        "listEnumeration": enumeration,
        "CFItemType": item_type["title"],
        "CFItemTypeURI": _link(item_type["title"], item_type["identifier"], item_type["uri"]),
        "language": LANGUAGE,
        "lastChangeDateTime": ctx.stamp,
        "CFDocumentURI": ctx.document_link,
    }
    if notes:
        item["notes"] = notes
    return item


def _node(item: JSON) -> JSON:
    # LinkGenURI of an item; its title is the item's statement, as CASE frameworks commonly do.
    return _link(item["fullStatement"], item["identifier"], item["uri"])


def _is_child_of(origin: JSON, destination: JSON, position: int, ctx: _Context) -> JSON:
    # CASE "isChildOf": the origin node is the child, the destination its parent (info model, the
    # CFAssociation associationType vocabulary); sequenceNumber keeps the printed order of siblings.
    identifier = ctx.ident("association", f"isChildOf:{origin['identifier']}:{destination['identifier']}")
    return {
        "identifier": identifier,
        "uri": ctx.uri("CFAssociations", identifier),
        "associationType": "isChildOf",
        "sequenceNumber": position,
        "originNodeURI": origin,
        "destinationNodeURI": destination,
        "lastChangeDateTime": ctx.stamp,
        "CFDocumentURI": ctx.document_link,
    }


def _link(title: str, identifier: str, uri: str) -> JSON:
    return {"title": _normalized(title), "identifier": identifier, "uri": uri}


def _normalized(text: str) -> str:
    # fullStatement, title, ... are NormalizedString (xs:normalizedString): no CR, LF or TAB.
    return text.replace("\r\n", " ").replace("\r", " ").replace("\n", " ").replace("\t", " ")
