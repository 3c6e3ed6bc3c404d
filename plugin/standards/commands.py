"""``samattha standards …``: import, list, show and export the competency standard."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from plugin.clock import utcnow
from plugin.models import Criterion, Element, Unit
from plugin.standards import catalog
from plugin.standards.export_case import to_case_package
from plugin.standards.export_moodle import to_moodle_csv
from plugin.standards.parser import ParseError
from plugin.standards.sources import parse_file, shipped_documents, write_document

__all__ = ["ensure_standard_loaded", "standards"]


def _session(app: Flask) -> Session:
    session: Session = app.extensions["samattha.sessionmaker"]()
    return session


def ensure_standard_loaded(app: Flask, *, now: datetime) -> int:
    """Load the shipped standard into an empty database; returns how many units were loaded."""
    with _session(app) as session:
        if session.scalar(select(func.count()).select_from(Unit)):
            return 0
        total = 0
        for doc in shipped_documents():
            total += len(catalog.import_document(session, doc, now=now).created)
        session.commit()
        return total


@click.group(cls=AppGroup)
def standards() -> None:
    """The competency standard: import, browse and export."""


@standards.command("import")
@click.argument("files", nargs=-1, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Also write each source's canonical JSON here (e.g. content/standards).")
def import_(files: tuple[Path, ...], json_dir: Path | None) -> None:
    """Parse source texts (default: the ones shipped in content/standards/sources) and load them.

    All files are parsed before anything is written: one bad file leaves the database unchanged.
    """
    docs = [_parse(path) for path in files] if files else shipped_documents()
    with _session(current_app) as session:
        reports = [catalog.import_document(session, doc, now=utcnow()) for doc in docs]
        session.commit()
    for report in reports:
        click.echo(f"{report.source_file}: {len(report.created)} created, {len(report.updated)} updated, "
                   f"{len(report.unchanged)} unchanged"
                   + (f" (updated: {', '.join(report.updated)})" if report.updated else ""))
    if json_dir is not None:
        json_dir.mkdir(parents=True, exist_ok=True)
        for doc in docs:
            click.echo(f"wrote {write_document(doc, json_dir)}")


def _parse(path: Path) -> dict[str, Any]:
    try:
        return parse_file(path)
    except ParseError as error:
        raise click.ClickException(f"{path}: {error}; nothing was imported") from error
    except UnicodeDecodeError as error:
        raise click.ClickException(f"{path}: not UTF-8 text ({error.reason} at byte {error.start}); "
                                   "nothing was imported") from error


@standards.command("list")
def list_() -> None:
    """Units with their element and criterion counts."""
    with _session(current_app) as session:
        rows = session.execute(
            select(Unit.code, Unit.title, func.count(func.distinct(Element.id)), func.count(Criterion.id))
            .join(Element, Element.unit_id == Unit.id, isouter=True)
            .join(Criterion, Criterion.element_id == Element.id, isouter=True)
            .group_by(Unit.id)
            .order_by(Unit.standard_id, Unit.position)
        ).all()
    if not rows:
        raise click.ClickException("no standard is loaded: run `samattha standards import`")
    click.echo(f"{'code':<12} {'elements':>8} {'criteria':>8}  title")
    for code, title, elements, criteria in rows:
        click.echo(f"{code:<12} {elements:>8} {criteria:>8}  {title}")


@standards.command("show")
@click.argument("code")
def show(code: str) -> None:
    """A unit, element or criterion (by code, or a criterion by its system code)."""
    with _session(current_app) as session:
        found = catalog.find_code(session, code)
        if found is None:
            raise click.ClickException(f"code: nothing in the standard has the code {code!r}")
        click.echo(json.dumps(_describe(found), ensure_ascii=False, indent=2))


def _describe(found: Unit | Element | Criterion) -> dict[str, Any]:
    if isinstance(found, Unit):
        return catalog.unit_document(found)
    if isinstance(found, Element):
        return {"unit": found.unit.code, "code": found.code, "title": found.title,
                "assessment_methods": found.assessment_methods,
                "criteria": [{"code": c.code, "number": c.number, "text": c.text,
                              "system_code": c.system_code} for c in found.criteria]}
    return {"unit": found.element.unit.code, "element": found.element.code, "code": found.code,
            "number": found.number, "text": found.text, "system_code": found.system_code}


@standards.command("export")
@click.option("--format", "format_", type=click.Choice(["json", "moodle-csv", "case"]), default="json",
              show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="File to write (default: stdout).")
@click.option("--idnumber", default="TPQI-DG-EXEC-DEV", show_default=True,
              help="moodle-csv: the framework's ID number (Moodle refuses one that is already in use).")
def export(format_: str, out: Path | None, idnumber: str) -> None:
    """Export the standard as canonical JSON, Moodle's competency-framework CSV, or a CASE 1.0 package."""
    with _session(current_app) as session:
        docs = catalog.standard_documents(session)
    if not docs:
        raise click.ClickException("no standard is loaded: run `samattha standards import`")
    if format_ == "moodle-csv":
        payload = to_moodle_csv(docs, idnumber=idnumber)
    elif format_ == "case":
        payload = json.dumps(to_case_package(docs, base_uri=current_app.config["SAMATTHA"].base_url),
                             ensure_ascii=False, indent=2) + "\n"
    else:
        payload = json.dumps({"format": "samattha-standard/1", "standards": docs}, ensure_ascii=False,
                             indent=2) + "\n"
    if out is None:
        sys.stdout.buffer.write(payload.encode("utf-8"))
    else:
        out.write_text(payload, encoding="utf-8", newline="")
        click.echo(f"wrote {out}", err=True)
