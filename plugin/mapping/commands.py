"""``samattha mappings …``: load and export course mappings, list and discover a course's activities.

``--course`` is Moodle's course id, i.e. the LTI ``context.id`` (the ``[course] id`` of a mapping file);
``--issuer`` (Moodle's wwwroot) picks one when several registered platforms have a course with that id.
Loading a file for a course nobody has launched yet creates the course from the file's ``wwwroot``, provided
a platform with that issuer is registered."""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path
from typing import NoReturn

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select
from sqlalchemy.orm import Session

from plugin.clock import utcnow
from plugin.mapping.activities import course_activities
from plugin.mapping.discovery import refresh_activities
from plugin.mapping.files import MappingFileError, load_mapping
from plugin.mapping.model import cmid_of, normalize_wwwroot, unnamed_report
from plugin.mapping.store import current_revision, save_mapping, standard_index
from plugin.models import Course, Platform, ResourceLink

__all__ = ["mappings", "unknown_activities"]


def _session() -> Session:
    session: Session = current_app.extensions["samattha.sessionmaker"]()
    return session


def _fail(message: str) -> NoReturn:
    click.echo(message, err=True)
    sys.exit(1)


def find_course(session: Session, context_id: str, issuer: str | None) -> Course | None:
    """The course with Moodle course id ``context_id``; ``--issuer`` required when two platforms have one."""
    query = select(Course).where(Course.context_id == context_id)
    if issuer is not None:
        query = query.where(Course.issuer == issuer)
    found = list(session.scalars(query.order_by(Course.issuer)))
    if len(found) > 1:
        issuers = ", ".join(c.issuer for c in found)
        raise click.UsageError(f"--course {context_id}: several platforms have this course ({issuers}); "
                               "add --issuer")
    return found[0] if found else None


def unknown_activities(text: str, course_wwwroot: str, known_iris: list[str]) -> list[str]:
    """``line N: activity[i]: …`` for each activity of a mapping file the course does not know.

    Only checked when the course knows some activities (from launches, the LRS, a backup or Web Services):
    a course nobody has used yet may be mapped ahead of time. A cmid is known when a known module IRI of the
    course's site has it; an IRI must be known exactly."""
    if not known_iris:
        return []
    try:
        activities = tomllib.loads(text).get("activity", [])
    except tomllib.TOMLDecodeError:
        return []  # load_mapping reports the syntax error
    known_cmids = {cmid_of(iri, course_wwwroot) for iri in known_iris} - {None}
    lines = _activity_lines(text)
    problems = []
    for index, table in enumerate(activities if isinstance(activities, list) else []):
        if not isinstance(table, dict):
            continue
        cmid, iri = table.get("cmid"), table.get("iri")
        if isinstance(cmid, int) and not isinstance(cmid, bool) and cmid not in known_cmids:
            what = f"cmid {cmid}"
        elif isinstance(iri, str) and iri not in known_iris:
            what = f"iri {iri!r}"
        else:
            continue
        line = lines[index] if index < len(lines) else "?"
        problems.append(f"line {line}: activity[{index + 1}]: unknown activity {what}: the course has "
                        f"{len(known_iris)} known activities (`samattha mappings activities` lists them)")
    return problems


_ACTIVITY_HEADER = re.compile(r"\s*\[\[\s*activity\s*\]\]")
_IDENTITY = re.compile(r"\s*(cmid|iri)\s*=")


def _activity_lines(text: str) -> list[int]:
    """For each [[activity]] table, the line of its cmid/iri key (else of its header), counted from 1."""
    out: list[int] = []
    pending = False
    for number, line in enumerate(text.splitlines(), start=1):
        if _ACTIVITY_HEADER.match(line):
            out.append(number)
            pending = True
        elif pending and _IDENTITY.match(line):
            out[-1], pending = number, False
    return out


@click.group(cls=AppGroup)
def mappings() -> None:
    """Course mappings: which activities evidence which criteria (mappings/README.md)."""


@mappings.command("load")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--course", "context_id", required=True, help="Moodle's course id (LTI context.id).")
@click.option("--issuer", default=None, help="The platform (Moodle's wwwroot), when several have this course.")
def mappings_load(file: Path, context_id: str, issuer: str | None) -> None:
    """Check FILE completely and save it as the course's next mapping revision; any problem loads nothing."""
    text = file.read_text(encoding="utf-8")
    with _session() as session:
        index = standard_index(session)
        problems: list[str] = []
        mapping = None
        try:
            mapping = load_mapping(text, standard=index, file_name=file.name)
        except MappingFileError as err:
            problems += [str(p) for p in err.problems]
        wwwroot = mapping.wwwroot if mapping is not None else _raw_wwwroot(text)
        if mapping is not None and mapping.course_id != context_id:
            problems.append(f"course.id: the file maps course {mapping.course_id!r}, not --course {context_id}")
        course = find_course(session, context_id, issuer)
        if course is not None:
            known = [a.iri for a in course_activities(session, course)]
            problems += unknown_activities(text, normalize_wwwroot(course.issuer), known)
        if problems or mapping is None:
            _fail("\n".join(f"{file.name}: {p}" for p in problems) + f"\n{file.name}: nothing was loaded")
        if course is None:
            course = _new_course(session, context_id, issuer or wwwroot, mapping.title)
        saved = save_mapping(session, course, mapping, index, author=None, now=utcnow(), source="file")
        session.commit()
        click.echo(f"course {course.context_id} on {course.issuer}: revision {saved.number} ({saved.summary})")
        for entry, items in unnamed_report(mapping, index):
            click.echo(f"{file.name}: note: {entry.title or entry.key} is filed under no evidence item of its units: "
                       f"an item counts only when the mapping names it (before, {', '.join(items)} were linked by "
                       "default); add the items it evidences to its targets", err=True)


def _raw_wwwroot(text: str) -> str:
    try:
        value = tomllib.loads(text).get("course", {}).get("wwwroot", "")
    except (tomllib.TOMLDecodeError, AttributeError):
        return ""
    return normalize_wwwroot(value) if isinstance(value, str) else ""


def _new_course(session: Session, context_id: str, issuer: str, title: str) -> Course:
    platform = session.scalars(select(Platform).where(Platform.issuer == issuer).order_by(Platform.id)).first()
    if platform is None:
        _fail(f"--course {context_id}: no such course yet, and no platform with issuer {issuer!r} is registered "
              "(`samattha platforms add`); nothing was loaded")
    course = Course(issuer=issuer, context_id=context_id, title=title or None, platform_id=platform.id,
                    updated_at=utcnow())
    session.add(course)
    session.flush()
    return course


@mappings.command("export")
@click.option("--course", "context_id", required=True, help="Moodle's course id (LTI context.id).")
@click.option("--issuer", default=None, help="The platform (Moodle's wwwroot), when several have this course.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None, help="File (default: stdout).")
def mappings_export(context_id: str, issuer: str | None, out: Path | None) -> None:
    """Write the course's current mapping file; `mappings load` reads it back unchanged."""
    with _session() as session:
        course = find_course(session, context_id, issuer)
        revision = current_revision(session, course) if course is not None else None
        if course is None or revision is None:
            _fail(f"--course {context_id}: {'no such course' if course is None else 'no mapping saved yet'}")
        if out is None:
            click.echo(revision.text, nl=False)
        else:
            out.write_text(revision.text, encoding="utf-8")
            click.echo(f"wrote revision {revision.number} to {out}", err=True)


@mappings.command("activities")
@click.option("--course", "context_id", required=True, help="Moodle's course id (LTI context.id).")
@click.option("--issuer", default=None, help="The platform (Moodle's wwwroot), when several have this course.")
@click.option("--discover", is_flag=True, help="First record activities from LTI links, the LRS and, when the "
                                                 "platform has a token, Moodle Web Services.")
def mappings_activities(context_id: str, issuer: str | None, discover: bool) -> None:
    """The activities a mapping may name: IRI, cmid, module, name, source."""
    with _session() as session:
        course = find_course(session, context_id, issuer)
        if course is None:
            _fail(f"--course {context_id}: no such course")
        if discover:
            _discover(session, course)
        for row in course_activities(session, course):
            click.echo(f"{row.iri}\t{row.cmid if row.cmid is not None else '-'}\t{row.module or '-'}\t"
                       f"{row.name}\t{row.source}")


def _discover(session: Session, course: Course) -> None:
    config = current_app.config["SAMATTHA"]
    has_links = session.scalars(select(ResourceLink.id).where(ResourceLink.course_id == course.id).limit(1)).first()
    if config.base_url_is_default and has_links is not None:
        # A link's IRI starts with the address Moodle launches Samattha at; recording a guessed one would give
        # the course an activity no statement or mapping of the real address ever matches.
        _fail(f"--discover: SAMATTHA_BASE_URL is not set, so this command does not know the address Moodle "
              f"launches Samattha at, which the activity IRIs of course {course.context_id}'s Samattha links start "
              "with. Set it to the address `samattha serve` (or `samattha demo`) is reached at, e.g. "
              "SAMATTHA_BASE_URL=https://samattha.example.ac.th; nothing was recorded")
    report = refresh_activities(session, course, base_url=str(config.base_url), now=utcnow())
    session.commit()
    for source, message in report.errors.items():
        click.echo(f"{source}: {message}", err=True)
    click.echo("new: " + ", ".join(f"{source} {found.new}" for source, found in report.found.items()), err=True)
