"""The mapping editor inside the LTI launch (issue 5): coordinators map the course's activities to the
standard, review the history, undo, and upload a Moodle course backup to learn the activities. The form's
logic is in editor_form."""

from __future__ import annotations

import difflib
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

from flask import Blueprint, current_app, flash, redirect, request, url_for
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response

from plugin import localtime
from plugin.clock import utcnow
from plugin.db import get_session
from plugin.launch import access, i18n
from plugin.launch.rendering import render
from plugin.mapping import activities, discovery, store
from plugin.mapping import messages as _messages  # noqa: F401  (registers the page's words)
from plugin.mapping.editor_form import (
    COMMON_VERBS,
    Slot,
    activity_rows,
    build_mapping,
    says,
    slots_from_form,
    slots_of,
)
from plugin.mapping.model import CourseMapping, StandardIndex, normalize_wwwroot, unnamed_report
from plugin.mapping.moodle_backup import BackupError, activity_iri, read_course_backup
from plugin.mapping.refresh_web import failures
from plugin.models import Course, MappingRevision, User

__all__ = ["bp"]

bp = Blueprint("mapping_editor", __name__)

def _editor(course: Course, user: User, slots: list[Slot], status: int = 200, *, backup_error: str | None = None,
            backup_detail: str = "", general: list[str] | None = None) -> tuple[str, int]:
    db = get_session()
    standard = store.standard_index(db)
    rows = activity_rows(activities.course_activities(db, course), slots)
    known = {row.key for row in rows if row.source}
    mapping = store.current_mapping(db, course, standard)
    return render("mapping/editor.html", status, course=course, user=user, role="coordinator",
                  roles=access.roles_in(course, user), csrf=access.csrf_token(), rows=rows, known=known,
                  standard=standard, verbs=COMMON_VERBS, errors=[s for s in slots if s.errors], general=general or [],
                  backup_error=backup_error, backup_detail=backup_detail, revision=store.current_revision(db, course),
                  says=says, learner_evidence=mapping is None or mapping.learner_evidence)


def _coordinator(course_pk: int) -> tuple[Course, User]:
    course = access.course_or_404(course_pk)
    return course, access.require_role(course, "coordinator")


@bp.get("/course/<int:course_pk>/mapping")
def editor(course_pk: int) -> tuple[str, int]:
    course, user = _coordinator(course_pk)
    # The page lists what Samattha knows of the course's activities: learn it anew first (at most every few
    # minutes; the Refresh button always does).
    db = get_session()
    report = discovery.refresh_when_due(db, course, base_url=str(current_app.config["SAMATTHA"].base_url),
                                        now=utcnow(), owner=current_app.extensions["samattha.sessionmaker"])
    if report is not None:
        db.commit()
        for line in failures(report):
            flash(line, "map")
    return _editor(course, user, slots_of(store.current_mapping(get_session(), course,
                                                                store.standard_index(get_session()))))


@bp.post("/course/<int:course_pk>/mapping")
def save(course_pk: int) -> Response | tuple[str, int]:
    course, user = _coordinator(course_pk)
    access.check_csrf()
    db = get_session()
    slots = slots_from_form(request.form)
    standard = store.standard_index(db)
    mapping, general = build_mapping(course, slots, standard, store.current_mapping(db, course, standard))
    if mapping is None:
        return _editor(course, user, slots, 400, general=general)
    revision = store.save_mapping(db, course, mapping, standard, author=user, now=utcnow(),
                                  source="editor")
    db.commit()
    flash(i18n.translate("map.saved", number=revision.number), "map")
    return redirect(url_for("mapping_editor.editor", course_pk=course.id), code=303)


@bp.post("/course/<int:course_pk>/mapping/learner-evidence")
def learner_evidence(course_pk: int) -> Response | tuple[str, int]:
    """Switch the evidence learners add themselves on or off for the course: a revision like any other edit."""
    course, user = _coordinator(course_pk)
    access.check_csrf()
    db = get_session()
    standard = store.standard_index(db)
    current = store.current_mapping(db, course, standard)
    wanted = request.form.get("learner_evidence", "")
    if wanted not in ("on", "off"):
        return _editor(course, user, slots_of(current), 400,
                       general=[i18n.translate("map.le.bad", value=wanted[:20])])
    base = current or CourseMapping(course_id=course.context_id, wwwroot=normalize_wwwroot(course.issuer),
                                    entries=(), title=course.title or "")
    revision = store.save_mapping(db, course, replace(base, learner_evidence=wanted == "on"), standard,
                                  author=user, now=utcnow(), source="editor")
    db.commit()
    flash(i18n.translate(f"map.le.saved.{wanted}", number=revision.number), "map")
    return redirect(url_for("mapping_editor.editor", course_pk=course.id, _anchor="learner-evidence"), code=303)


@dataclass
class HistoryRow:
    number: int
    author: str
    created: str
    summary: str
    source: str
    diff: list[str]


def history_rows(revisions: list[MappingRevision], standard: StandardIndex, language: str) -> list[HistoryRow]:
    """Newest first, each with what changed in ``language`` and the text diff against the revision before it."""
    by_number = {revision.number: revision for revision in revisions}
    summaries = store.revision_summaries(revisions, standard, language)
    rows = []
    for r in revisions:
        earlier = by_number.get(r.number - 1)
        rows.append(HistoryRow(
            r.number, r.author.display_name if r.author else "—",
            localtime.format_time(r.created_at, zone=localtime.zone_name(), language=language),
            summaries[r.number], r.source,
            list(difflib.unified_diff(earlier.text.splitlines() if earlier else [], r.text.splitlines(),
                                      f"revision {r.number - 1}", f"revision {r.number}", lineterm=""))))
    return rows


@bp.get("/course/<int:course_pk>/mapping/history")
def history(course_pk: int) -> tuple[str, int]:
    course, user = _coordinator(course_pk)
    db = get_session()
    standard = store.standard_index(db)
    mapping = store.current_mapping(db, course, standard)
    return render("mapping/history.html", course=course, user=user, role="coordinator",
                  roles=access.roles_in(course, user), csrf=access.csrf_token(),
                  rows=history_rows(store.revisions(db, course), standard, i18n.current_language()),
                  unnamed=unnamed_report(mapping, standard) if mapping is not None else [])


@bp.post("/course/<int:course_pk>/mapping/undo")
def undo(course_pk: int) -> Response:
    course, user = _coordinator(course_pk)
    access.check_csrf()
    db = get_session()
    revision = store.undo(db, course, store.standard_index(db), author=user, now=utcnow())
    db.commit()
    flash(i18n.translate("map.undone", number=revision.number) if revision else i18n.translate("map.nothing_to_undo"),
          "map")
    return redirect(url_for("mapping_editor.history", course_pk=course.id), code=303)


@bp.post("/course/<int:course_pk>/mapping/history/<int:number>/restore")
def restore(course_pk: int, number: int) -> Response:
    course, user = _coordinator(course_pk)
    access.check_csrf()
    db = get_session()
    revision = store.restore(db, course, store.standard_index(db), number, author=user, now=utcnow())
    if revision is None:
        raise access.AccessDenied(404, "forbidden")
    db.commit()
    flash(i18n.translate("map.restored", number=revision.number), "map")
    return redirect(url_for("mapping_editor.history", course_pk=course.id), code=303)


@bp.post("/course/<int:course_pk>/mapping/backup")
def upload_backup(course_pk: int) -> Response | tuple[str, int]:
    course, user = _coordinator(course_pk)
    limit = int(current_app.config.get("MAX_CONTENT_LENGTH") or 64 * 1024 * 1024)
    try:
        access.check_csrf()
        upload = request.files.get("backup")
    except RequestEntityTooLarge:
        # The body was refused unread, so the form token is unknown: say why, and change nothing.
        return _refuse_backup(course, user, 413, i18n.translate("map.backup_too_big", mb=limit // 2**20))
    if upload is None or not upload.filename:
        return _refuse_backup(course, user, 400, i18n.translate("map.backup_missing"))
    with tempfile.NamedTemporaryFile(prefix="backup-", suffix=".mbz", dir=_upload_dir()) as handle:
        upload.save(handle)
        handle.flush()
        try:
            backup = read_course_backup(handle.name)
        except BackupError as error:
            return _refuse_backup(course, user, 400, i18n.translate("map.backup_bad"), detail=str(error))
    if str(backup.course_id) != course.context_id:
        return _refuse_backup(course, user, 400, i18n.translate(
            "map.backup_other_course", id=backup.course_id, name=backup.shortname, here=course.context_id))
    # Statements name activities by the site's address now: a backup made before the site moved (or on a
    # copy of it) still describes this course's modules, by cmid.
    here = normalize_wwwroot(course.issuer)
    rebased = replace(backup, wwwroot=here, activities=tuple(
        replace(a, iri=activity_iri(here, a.module_name, a.cmid)) for a in backup.activities))
    db = get_session()
    items = activities.backup_items(rebased)
    added = activities.record_activities(db, course, items, source="backup", now=utcnow())
    discovery.record_links(db, course, base_url=str(current_app.config["SAMATTHA"].base_url), modules=items,
                           now=utcnow())
    db.commit()
    flash(i18n.translate("map.backup_read", name=backup.shortname, count=len(backup.activities), new=added), "map")
    if backup.wwwroot != here:
        flash(i18n.translate("map.backup_moved", site=backup.wwwroot, here=here), "map")
    return redirect(url_for("mapping_editor.editor", course_pk=course.id), code=303)


def _refuse_backup(course: Course, user: User, status: int, message: str, *, detail: str = "") -> tuple[str, int]:
    mapping = store.current_mapping(get_session(), course, store.standard_index(get_session()))
    return _editor(course, user, slots_of(mapping), status, backup_error=message, backup_detail=detail)


def _upload_dir() -> Path:
    """Uploads wait here only while being read; the temp file is gone when the request ends."""
    path = Path(current_app.instance_path) / "uploads"
    path.mkdir(parents=True, exist_ok=True)
    return path
