"""Coverage for coordinators: which criteria the mapped activities cover (gaps per unit), how far each
learner has got, the statements nobody in the course matches — as a page, CSV, SVG and JSON.

A large course whose figures must be counted again from every statement (after a mapping change, a voiding,
or never counted) does not keep the coordinator waiting: the page answers from the last figures, says so, and
one worker counts afresh in a background thread (plugin.evidence.reach_or_last_figures;
SAMATTHA_COVERAGE_BACKGROUND_AT says what is large)."""

from __future__ import annotations

import threading
from collections.abc import Mapping, Set
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request
from sqlalchemy import select
from sqlalchemy.orm import Session

from plugin.coverage import (
    Matrix,
    Progress,
    coverage_matrix,
    matrix_csv,
    progress_csv,
    progress_from_reach,
    progress_svg,
    weekly_evidence,
)
from plugin.db import get_session
from plugin.evidence import (
    LEARNER_ROLE,
    actor_key,
    enrol_lrs_learners,
    learners_of,
    reach_or_last_figures,
    refresh_reach,
)
from plugin.launch import access, i18n
from plugin.launch.rendering import render
from plugin.learner_evidence.store import claimed_codes
from plugin.localtime import format_time, zone_label
from plugin.mapping.model import CourseMapping, StandardIndex
from plugin.mapping.store import current_mapping, standard_index
from plugin.models import Course, Enrolment, User
from plugin.portfolios import judgements
from plugin.web import coverage_table
from plugin.web.coverage_messages import export_words

__all__ = ["CourseCoverage", "bp", "course_coverage", "coverage_json"]

bp = Blueprint("coverage", __name__)



@dataclass
class CourseCoverage:
    course: Course
    mapping: CourseMapping | None
    matrix: Matrix | None = None
    progress: Progress | None = None
    names: dict[str, str] = field(default_factory=dict)
    lrs_only: set[str] = field(default_factory=set)  # learner keys of Moodle users who never launched
    unmatched: list[dict[str, Any]] = field(default_factory=list)  # plugin.evidence.statement_summary
    met_at: dict[str, dict[int, int]] = field(default_factory=dict)  # learner → entry → first met (µs, UTC)
    # The learner figures are the last ones (as of ``figures_as_of``; None: none yet) while a recount runs.
    refreshing: bool = False
    figures_as_of: datetime | None = None


def course_coverage(session: Session, course: Course, standard: StandardIndex, *,
                    signed_off: Mapping[str, Set[str]] | None = None,
                    background_at: int) -> CourseCoverage:
    """The course's learners (plugin.evidence.learner_actors: the roster, those who launched, and the Moodle
    users seen only in the LRS) and what each reached. ``signed_off``: learner key → criteria an assessor
    signed off. ``background_at``: a full read of more statement links than this runs in a background thread
    (started here, in one process only) and the report has the last figures, marked ``refreshing``."""
    mapping = current_mapping(session, course, standard)
    if mapping is None:
        return CourseCoverage(course, None)
    reach, last = reach_or_last_figures(session, course, mapping, large_at=background_at)
    if last is not None and last.refresh:
        _refresh_in_background(course.id, mapping)
    reach = enrol_lrs_learners(session, course, mapping, reach=reach)
    learners = learners_of(session, course)
    by_actor = {key: str(u.id) for u in learners if (key := actor_key(u.xapi_actor)) is not None}
    claimed = {learner: key for key, learner in by_actor.items()}
    reached: dict[str, tuple[set[int], set[int]]] = {}
    met_at: dict[str, dict[int, int]] = {}
    for user in learners:
        actor = reach.actors.get(claimed.get(str(user.id), ("", "")))
        reached[str(user.id)] = (actor.met, actor.touched) if actor is not None else (set(), set())
        met_at[str(user.id)] = actor.met_at if actor is not None else {}
    names = {str(u.id): u.display_name for u in learners}
    lrs_only = {str(user_id) for user_id in session.scalars(
        select(Enrolment.user_id).where(Enrolment.course_id == course.id, Enrolment.source == "lrs"))}
    staff = _staff_actors(session, course)
    unmatched = [summary for key, _, summary in reach.others
                 if key is None or (key not in by_actor and key not in staff)]
    # A learner's own pieces count as their portfolio counts them (plugin.coverage, on the mapping's switch).
    own = {str(user_id): codes for user_id, codes in claimed_codes(session, course).items()}
    return CourseCoverage(course, mapping, coverage_matrix(mapping, standard),
                          progress_from_reach(mapping, standard, reached, signed_off or {}, claimed=own), names,
                          lrs_only & set(names), unmatched, met_at, last is not None,
                          last.as_of if last is not None else None)


def _refresh_in_background(course_pk: int, mapping: CourseMapping) -> None:
    """The full read, in a daemon thread with its own session: a worker that stops mid-read leaves a claim that
    lapses (plugin.evidence.REFRESH_LOST_AFTER) and the next view starts again."""
    maker = current_app.extensions["samattha.sessionmaker"]

    def run() -> None:
        with maker() as session:
            refresh_reach(session, course_pk, mapping)

    threading.Thread(target=run, name=f"coverage-refresh-{course_pk}", daemon=True).start()


def _staff_actors(session: Session, course: Course) -> set[tuple[str, str]]:
    """Account keys of the course's members without the Learner role (teachers, managers)."""
    # Roles first, then only the staff's actors: a course of 2,000 learners has a handful of staff.
    members = session.execute(select(Enrolment.user_id, Enrolment.roles).where(Enrolment.course_id == course.id))
    staff = [user_id for user_id, roles in members if LEARNER_ROLE not in (roles or [])]
    return {key for actor in session.scalars(select(User.xapi_actor).where(User.id.in_(staff)))
            if (key := actor_key(actor)) is not None}


def coverage_json(report: CourseCoverage, standard: StandardIndex) -> dict[str, Any]:
    course = report.course
    out: dict[str, Any] = {
        "course": {"id": course.id, "context_id": course.context_id, "title": course.title},
        "mapping_version": report.mapping.version if report.mapping else None,
        "units": [], "matrix": {}, "learners": [], "unmatched": [],
        # While a recount runs the learner figures are the last ones, counting what was stored until then.
        "refreshing": report.refreshing,
        "figures_as_of": report.figures_as_of.isoformat().replace("+00:00", "Z") if report.figures_as_of else None,
    }
    if report.matrix is None or report.progress is None:
        return out
    matrix, progress = report.matrix, report.progress
    out["units"] = [{"code": unit, "title": standard.units[unit].title,
                     "criteria": len(standard.units[unit].criteria), "gaps": list(matrix.gaps[unit])}
                    for unit in matrix.units]
    out["matrix"] = {code: [matrix.activities[i].key for i in sorted(matrix.cells[code])]
                     for code in matrix.criteria}
    out["learners"] = [{"id": key, "name": report.names.get(key, key), "launched": key not in report.lrs_only,
                        "criteria": dict(zip(progress.criteria, progress.statuses[key], strict=True))}
                       for key in progress.learners]
    out["unmatched"] = report.unmatched
    return out


def _load(course_pk: int) -> tuple[Course, User, CourseCoverage, StandardIndex]:
    course = access.course_or_404(course_pk)
    user = access.require_role(course, "coordinator")
    db = get_session()
    standard = standard_index(db)
    # A unit an assessor judged competent shows as signed off, criterion by criterion.
    report = course_coverage(db, course, standard, signed_off=judgements.signed_off(db, course),
                             background_at=current_app.config["SAMATTHA"].coverage_background_at)
    return course, user, report, standard


@bp.get("/course/<int:course_pk>/coverage")
def page(course_pk: int) -> tuple[str, int]:
    course, user, report, standard = _load(course_pk)
    context: dict[str, Any] = {"course": course, "user": user, "role": "coordinator", "report": report,
                               "roles": access.roles_in(course, user), "standard": standard,
                               "unmatched": report.unmatched}
    if report.progress is None or report.matrix is None or report.mapping is None:
        return render("coverage/course.html", **context)
    try:
        query = coverage_table.parse_query(request.args, report.progress.units)
    except coverage_table.BadQuery as bad:
        # A filter typed into the address: say which, in the page's language, and offer the whole list.
        return render("coverage/course.html", 400, bad=i18n.translate(bad.key, value=bad.value), **context)
    table = coverage_table.learner_table(report.progress, standard, query, report.names, report.lrs_only)
    zone = current_app.config["SAMATTHA"].timezone
    weeks = weekly_evidence(report.progress, report.mapping, standard, report.met_at, zone=str(zone))
    return render("coverage/course.html", query=query, table=table, heat=coverage_table.heat_rows(table, standard),
                  chart=coverage_table.weekly_bars(weeks), matrix_rows=_matrix_rows(report), **context)


def _matrix_rows(report: CourseCoverage) -> list[tuple[str, bool, list[str]]]:
    """Per criterion: its code, whether any activity covers it, and per activity "K", "P" or ""."""
    matrix = report.matrix
    if matrix is None:
        return []
    marks = [entry.evidence[0].upper() for entry in matrix.activities]
    return [(code, bool(matrix.cells[code]), [mark if i in matrix.cells[code] else "" for i, mark in enumerate(marks)])
            for code in matrix.criteria]


@bp.get("/course/<int:course_pk>/coverage/<any(matrix, progress):kind>.csv")
def csv_download(course_pk: int, kind: str) -> Response:
    course, _, report, standard = _load(course_pk)
    if report.matrix is None or report.progress is None:
        text = ""
    elif kind == "matrix":
        text = matrix_csv(report.matrix, standard)
    else:
        zone, language = str(current_app.config["SAMATTHA"].timezone), i18n.current_language()
        last = {learner: format_time(datetime.fromtimestamp(max(times.values()) / 1e6, UTC), zone=zone,
                                     language=language)
                for learner, times in report.met_at.items() if times}
        text = progress_csv(report.progress, report.names, words=export_words(zone_label(language, zone)),
                            last_evidence=last)
    name = f"coverage-{kind}-course-{course.context_id}.csv"
    return Response("\ufeff" + text, mimetype="text/csv",  # the BOM makes Excel read Thai as UTF-8
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.get("/course/<int:course_pk>/coverage/progress.svg")
def svg(course_pk: int) -> Response:
    _, _, report, standard = _load(course_pk)
    if report.progress is None:
        return Response("no mapping yet", status=404, mimetype="text/plain")
    words = export_words(zone_label(i18n.current_language()))
    return Response(progress_svg(report.progress, standard, names=report.names, words=words),
                    mimetype="image/svg+xml")


@bp.get("/api/courses/<int:course_pk>/coverage")
def api(course_pk: int) -> Response:
    _, _, report, standard = _load(course_pk)
    return jsonify(coverage_json(report, standard))
