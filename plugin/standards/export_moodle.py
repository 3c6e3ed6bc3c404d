"""Export canonical standards (content/standards/SCHEMA.md) as a Moodle competency-framework CSV.

The output is the 14-column file that Moodle's admin tool "Import competency framework"
(admin/tool/lpimportcsv) reads, byte-compatible with what that tool itself exports
(framework_exporter.php -> lib/csvlib.class.php csv_export_writer -> PHP fputcsv). A real Moodle 4.5
export and its successful re-import are kept in /work/shared/fixtures/moodle-4.5/.

Hierarchy: one framework row, then each unit, its elements and their performance criteria, depth
first, so every parent row precedes its children (framework_importer::add_children() walks the rows in
file order, which keeps the source's order as Moodle's sortorder).
"""

from __future__ import annotations

import hashlib
import html
import json
import re
import unicodedata
from collections.abc import Iterator, Sequence
from typing import Any

__all__ = ["HEADERS", "SCALE_VALUES", "TAXONOMIES", "to_moodle_csv"]

# framework_importer::list_required_headers() (lang strings of tool_lpimportcsv), in this order; the
# importer maps columns by position, so order and count must not change.
HEADERS: tuple[str, ...] = (
    "Parent ID number",
    "ID number",
    "Short name",
    "Description",
    "Description format",
    "Scale values",
    "Scale configuration",
    "Rule type (optional)",
    "Rule outcome (optional)",
    "Rule config (optional)",
    "Cross-referenced competency ID numbers",
    "Exported ID (optional)",
    "Is framework",
    "Taxonomy",
)

# grade_scale::compact_items() joins the scale items with ","; framework_importer::get_scale_id() looks
# an existing global scale up by that exact string and creates one when none matches.
SCALE_VALUES = "ยังไม่ผ่าน (not yet competent),ผ่าน (competent)"
# competency_framework "scaleconfiguration": element 0 names the scale (the importer overwrites its
# scaleid with the matched/created scale, see get_scale_configuration()), then one entry per scale item
# id (1-based): item 1 is the default rating, item 2 is proficient.  Same shape as the fixture export.
SCALE_CONFIGURATION = json.dumps(
    [
        {"scaleid": "0"},
        {"id": 1, "scaledefault": 1, "proficient": 0},
        {"id": 2, "scaledefault": 0, "proficient": 1},
    ],
    separators=(",", ":"),
)
# One competency_framework taxonomy per depth (core_competency\competency_framework::TAXONOMY_*):
# units are competencies, elements the outcomes they consist of, criteria the observable indicators.
TAXONOMIES = "competency,outcome,indicator"
FORMAT_HTML = "1"  # Moodle's FORMAT_HTML; the descriptions below are HTML
SHORTNAME_LIMIT = 100  # framework_importer: shorten_text(clean_param($shortname, PARAM_TEXT), 100)
ELLIPSIS = "…"

# PHP fputcsv() encloses a field when it contains the delimiter, the enclosure, the escape character
# (default "\\"), "\n", "\r", "\t" or a space (ext/standard/file.c, FPUTCSV_FLD_CHK) -- which is why
# the fixture quotes "Parent ID number" but not Description.
_NEEDS_QUOTES = re.compile(r'[,"\\\n\r\t ]')
# Characters that belong to the grapheme cluster of the character before them (UAX #29 Extend and
# SpacingMark, which include Thai vowel/tone marks and SARA AM); a cut must not land before one.
_CLUSTER_CONTINUATION = frozenset({"\u0e33", "\u0eb3", "\u200d"})


def to_moodle_csv(standards: Sequence[dict[str, Any]], *, idnumber: str | None = None) -> str:
    """Return one competency framework holding every unit of ``standards`` as lpimportcsv CSV text.

    ``standards`` are canonical dicts (format ``samattha-standard/1``) of the same standard title, in
    the order their units should appear.  ``idnumber`` is the framework's ID number (unique per Moodle
    site: the importer refuses a framework whose idnumber exists); by default it is derived from the
    source file names.  The text is UTF-8-ready (no BOM), comma separated, LF line ends.
    """
    title = _common_title(standards)
    rows = [list(HEADERS), _framework_row(standards, title, idnumber)]
    rows.extend(_competency_rows(standards))
    return "".join(_csv_line(row) for row in rows)


def _common_title(standards: Sequence[dict[str, Any]]) -> str:
    if not standards:
        raise ValueError("no standard to export")
    titles = {str(s["standard"]["title"]) for s in standards}
    if len(titles) != 1:
        raise ValueError(f"standards of different titles cannot share one framework: {sorted(titles)}")
    return titles.pop()


def _framework_row(standards: Sequence[dict[str, Any]], title: str, idnumber: str | None) -> list[str]:
    # Same cells as framework_exporter::export()'s framework row: no parent, no rule, no export id.
    paragraphs = [title]
    for standard in standards:
        intro = standard["standard"].get("introduction")
        if intro and intro not in paragraphs:
            paragraphs.append(intro)
    ident = idnumber if idnumber is not None else _default_idnumber(standards, title)
    return [
        "", _plain(ident), shortname(title), _html(paragraphs), FORMAT_HTML,
        SCALE_VALUES, SCALE_CONFIGURATION, "", "", "", "", "", "1", TAXONOMIES,
    ]  # fmt: skip


def _default_idnumber(standards: Sequence[dict[str, Any]], title: str) -> str:
    stems = [str(s["source"]["file"]).rsplit(".", 1)[0] for s in standards]
    joined = "+".join(stems)
    if 0 < len(joined) <= SHORTNAME_LIMIT:  # idnumber is also cut at 100 by the importer
        return joined
    return "samattha-" + hashlib.sha256(title.encode()).hexdigest()[:16]


def _competency_rows(standards: Sequence[dict[str, Any]]) -> Iterator[list[str]]:
    seen: set[str] = set()
    for export_id, (parent, code, name, paragraphs) in enumerate(_walk(standards), start=1):
        if code in seen:  # competency idnumbers must be unique within a framework
            raise ValueError(f"duplicate competency code {code!r}")
        seen.add(code)
        # Scale cells stay empty: a competency without its own scale uses the framework's.  Rule
        # columns as framework_exporter writes them for "no rule": type "", outcome 0, config "null".
        yield [
            _plain(parent), _plain(code), shortname(name), _html(paragraphs), FORMAT_HTML,
            "", "", "", "0", "null", "", str(export_id), "", "",
        ]  # fmt: skip


def _walk(standards: Sequence[dict[str, Any]]) -> Iterator[tuple[str, str, str, list[str]]]:
    """Yield (parent code, code, short-name text, description paragraphs), parents first."""
    for standard in standards:
        for unit in standard["units"]:
            unit_text = [unit["title"]] + ([unit["description"]] if unit.get("description") else [])
            yield "", unit["code"], unit["title"], unit_text
            for element in unit["elements"]:
                yield unit["code"], element["code"], element["title"], [element["title"]]
                for criterion in element["criteria"]:
                    yield element["code"], criterion["code"], criterion["text"], [criterion["text"]]


def shortname(text: str) -> str:
    """Cut ``text`` to Moodle's 100-character short name without splitting a grapheme cluster.

    Moodle counts characters (core_text::strlen, code points).  When the text is longer, it is cut
    before the first code point that would not fit together with a trailing "…", moving the cut left
    while it would separate a combining mark (e.g. Thai ั ิ ่ ้ or ำ) from its base character.
    """
    flat = _plain(" ".join(text.split()))  # a short name is one line (PARAM_TEXT)
    if len(flat) <= SHORTNAME_LIMIT:
        return flat
    end = SHORTNAME_LIMIT - len(ELLIPSIS)
    while end > 0 and _continues_cluster(flat[end]):
        end -= 1
    return flat[:end].rstrip() + ELLIPSIS


def _continues_cluster(char: str) -> bool:
    return char in _CLUSTER_CONTINUATION or unicodedata.category(char) in ("Mn", "Mc", "Me")


def _html(paragraphs: Sequence[str]) -> str:
    # Descriptions are FORMAT_HTML (like the fixture): one <p> per paragraph, joined by "\n".  "\\" is
    # written as &#92; so no field holds the sequence \" -- see _plain().
    return "\n".join("<p>" + html.escape(p, quote=False).replace("\\", "&#92;") + "</p>" for p in paragraphs)


def _plain(text: str) -> str:
    # PHP's fgetcsv() (escape "\\") reads \" inside an enclosed field as a literal pair instead of the
    # RFC 4180 doubled quote, so that sequence cannot round-trip through both PHP and Python's csv
    # module; in plain-text cells its backslash becomes a fullwidth reverse solidus.
    return text.replace('\\"', '\uff3c"')


def _csv_line(row: Sequence[str]) -> str:
    if len(row) != len(HEADERS):
        raise AssertionError(f"row has {len(row)} cells, expected {len(HEADERS)}")
    return ",".join(_csv_field(cell) for cell in row) + "\n"


def _csv_field(cell: str) -> str:
    if _NEEDS_QUOTES.search(cell):
        return '"' + cell.replace('"', '""') + '"'
    return cell
