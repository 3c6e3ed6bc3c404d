"""Every portfolio of a course in one ZIP, one file per learner in the chosen format, plus an index."""

from __future__ import annotations

import json
import re
import unicodedata
import zipfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import IO, Any

from plugin.portfolios.exports.pieces import NO_PIECES, LearnerPieces, pieces_shown, verified
from plugin.portfolios.exports.view import judgement_trail

__all__ = ["FORMATS", "INDEX_SCHEMA", "RECORD_SCHEMA", "file_name", "render", "render_json",
           "render_record_json", "write_course_zip"]

FORMATS = ("pdf", "html", "json")
INDEX_SCHEMA = "samattha-portfolio-index/1"
_UNSAFE = re.compile(r"[^\w\u0e00-\u0e7f.-]+")  # \w misses Thai vowel and tone marks


def render_json(document: Mapping[str, Any]) -> bytes:
    """The document exactly as SCHEMA.md describes it: UTF-8, Thai as is, keys in schema order."""
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def render_record_json(document: Mapping[str, Any], snapshot: Mapping[str, Any],
                       judgements: Iterable[Mapping[str, Any]]) -> bytes:
    """One learner's export as JSON: the portfolio exactly as stored (its canonical form hashes to
    ``snapshot.content_hash``) with the judgement trail the PDF and HTML show (SCHEMA.md, "One learner's JSON")."""
    record = {"format": RECORD_SCHEMA, "snapshot": dict(snapshot), "portfolio": document,
              "judgements": judgement_trail(judgements, document, snapshot)}
    return (json.dumps(record, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def render(document: Mapping[str, Any], fmt: str, *, language: str, judgements: Iterable[Mapping[str, Any]] = (),
           snapshot: Mapping[str, Any] | None = None, pieces: Mapping[str, Mapping[str, Any]] | None = None) -> bytes:
    """One file of an export; JSON is the document alone (a course ZIP's index carries the judgements and the
    learners' files). ``pieces``: the learner's own pieces the HTML and PDF show (pieces.pieces_shown)."""
    if fmt == "json":
        return render_json(document)
    if fmt == "html":
        from plugin.portfolios.exports.html import render_html

        return render_html(document, language=language, judgements=judgements, snapshot=snapshot,
                           pieces=pieces).encode("utf-8")
    if fmt == "pdf":
        from plugin.portfolios.exports.pdf import render_pdf

        return render_pdf(document, language=language, judgements=judgements, snapshot=snapshot, pieces=pieces)
    raise ValueError(f"format must be one of {', '.join(FORMATS)}, not {fmt!r}")


def file_name(document: Mapping[str, Any], fmt: str) -> str:
    """``<learner id>-<name>.<fmt>``: the id keeps names unique; Thai letters stay (ZIP names are UTF-8)."""
    learner = document["learner"]
    name = _UNSAFE.sub("-", unicodedata.normalize("NFC", str(learner["name"]))).strip("-")[:60]
    return f"{learner['id']}-{name}.{fmt}" if name else f"{learner['id']}.{fmt}"


RECORD_SCHEMA = "samattha-portfolio-record/1"


def write_course_zip(
    target: IO[bytes], entries: Iterable[tuple[Mapping[str, Any], Mapping[str, Any], Sequence[Mapping[str, Any]]]],
    fmt: str, *, language: str, progress: Callable[[], None] | None = None, evidence: LearnerPieces = NO_PIECES,
) -> None:
    """Write the course ZIP into ``target``. ``entries``: (document, snapshot {"number", "content_hash"},
    judgements) per learner. ``index.json`` lists each file with its snapshot, so a reader can check a file
    against the hash, and the learner's judgement trail; with ``evidence`` (pieces.learner_pieces), the files of
    the pieces each learner added are packed beside (pieces.file_path), read one at a time, and listed with
    their SHA-256 (SCHEMA.md, "The course ZIP")."""
    index: list[dict[str, Any]] = []
    files: list[dict[str, Any]] = []
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for document, snapshot, judgements in entries:
            shown = pieces_shown(document, evidence.pieces, packed=True)
            for statement, piece in shown.items():
                for described in piece["files"]:
                    archive.writestr(described["path"], verified(evidence.read, described["sha2"]))
                    files.append({"path": described["path"], "sha256": described["sha2"], "size": described["size"],
                                  "content_type": described["content_type"], "name": described["name"],
                                  "piece": piece["id"], "statement": statement, "learner": piece["learner"]})
            name = file_name(document, fmt)
            archive.writestr(name, render(document, fmt, language=language, judgements=judgements, snapshot=snapshot,
                                          pieces=shown))
            index.append({"file": name, "learner": document["learner"]["id"], "name": document["learner"]["name"],
                          "snapshot": snapshot["number"], "content_hash": snapshot["content_hash"],
                          "as_of": document["as_of"],
                          "judgements": judgement_trail(judgements, document, snapshot)})
            if progress is not None:
                progress()
        archive.writestr("index.json", json.dumps({"schema": INDEX_SCHEMA, "format": fmt, "portfolios": index,
                                                   "evidence_files": files}, ensure_ascii=False, indent=2))

