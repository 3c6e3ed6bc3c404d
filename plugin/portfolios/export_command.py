"""``samattha portfolios export``: every compiled portfolio of a course in one ZIP (issue 6).

``--course`` is Moodle's course id (the LTI ``context.id``) and ``--issuer`` picks the platform when two
have that id, as for ``samattha mappings``. Each learner's newest snapshot goes in, with their judgement
trail in ``index.json`` (SCHEMA.md, "The course ZIP"), and the files of the pieces of evidence learners added
themselves, each checked against its SHA-256 as it is packed. The ZIP is written beside ``--out`` and renamed into
place at the end, so an export that fails leaves no half-written file and an older export intact."""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import click
from flask import current_app
from flask.cli import with_appcontext

from plugin.mapping.commands import find_course
from plugin.portfolios import judgements as judging
from plugin.portfolios import repository
from plugin.portfolios.exports import FORMATS, learner_pieces, write_course_zip

__all__ = ["export"]


def _in_a_folder(_ctx: click.Context, _param: click.Parameter, out: Path) -> Path:
    # Checked while the options are read, before the app is built and the schema brought to head.
    if not out.parent.is_dir():
        raise click.BadParameter(f"{out.parent} is not a directory")
    return out


@click.command()
@click.option("--course", "context_id", required=True, help="Moodle course id (the LTI context.id).")
@click.option("--issuer", help="Moodle's wwwroot, when several platforms have a course with this id.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="pdf", show_default=True,
              help="One file per learner in this format.")
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path), callback=_in_a_folder,
              help="The ZIP file to write.")
@click.option("--language", type=click.Choice(("th", "en")), default="th", show_default=True,
              help="Language of the HTML and PDF pages' headings (the standard's text is always Thai).")
@with_appcontext
def export(context_id: str, issuer: str | None, fmt: str, out: Path, language: str) -> None:
    """Export a course's portfolios as PDF, HTML or JSON in a ZIP."""
    # In the app's context (with_appcontext): the pages' times are in its zone and its organisation names the record.
    with current_app.extensions["samattha.sessionmaker"]() as session:
        course = find_course(session, context_id, issuer)
        if course is None:
            raise click.BadParameter(f"no course with id {context_id!r}" + (f" on {issuer}" if issuer else ""),
                                     param_hint="--course")
        snapshots = repository.snapshots_for_course(session, course)
        if not snapshots:
            raise click.ClickException(f"{course.title or context_id}: no portfolio has been compiled yet "
                                       "(samattha portfolios compile --course …)")
        trails: dict[int, list[Mapping[str, Any]]] = {}
        judgements = list(judging.judgements_for(session, course))
        for judgement, row in zip(judgements, judging.trail_json(session, course, judgements), strict=True):
            trails.setdefault(judgement.learner_id, []).append(row)
        entries = [(s.document, {"number": s.number, "content_hash": s.content_hash}, trails.get(s.learner_id, []))
                   for s in snapshots]
        # Written straight to disk: with the learners' files a course's ZIP can be larger than memory.
        with _staged(out) as file, click.progressbar(length=len(entries), label=f"{fmt.upper()} portfolios",
                                                     file=sys.stderr) as bar:
            try:
                write_course_zip(file, entries, fmt, language=language, progress=lambda: bar.update(1),
                                 evidence=learner_pieces(session, course))
            except LookupError as missing:  # a learner's file that is not in the LRS as its piece names it
                raise click.ClickException(f"{missing}: no export written") from None
    click.echo(f"{len(entries)} portfolios of {course.title or context_id} ({fmt}) written to {out}")


@contextmanager
def _staged(out: Path) -> Iterator[IO[bytes]]:
    """A file beside ``out`` that becomes ``out`` once written whole, and is gone if writing fails."""
    handle, staging = tempfile.mkstemp(prefix=f".{out.name}.", dir=out.parent)
    try:
        with os.fdopen(handle, "wb") as file:
            yield file
        os.replace(staging, out)
    except BaseException:
        Path(staging).unlink(missing_ok=True)
        raise
