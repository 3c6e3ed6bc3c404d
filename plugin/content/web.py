"""Content packages: upload and list (coordinators), the packaged files (anyone in the course), and the
cmi5 fetch URL. The launch itself starts from an LTI launch (plugin.launch.web → launch_response)."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

from flask import Blueprint, current_app, jsonify, redirect, request, send_from_directory, url_for
from flask.blueprints import BlueprintSetupState
from sqlalchemy.orm import Session
from werkzeug.exceptions import NotFound
from werkzeug.wrappers import Response

from plugin.clock import utcnow
from plugin.content import cmi5
from plugin.content.launching import FetchRefused, LaunchRefused, fetch_token, lms_authority, start_launch
from plugin.content.placement import placed_package
from plugin.content.store import PackageRefused, import_package, package_dir, packages_of
from plugin.db import get_session
from plugin.launch import access, i18n
from plugin.models import Course, User
from plugin.models.content import ContentPackage

__all__ = ["bp", "launch_response"]

bp = Blueprint("content", __name__)

i18n.register_messages({
    "content.title": ("Content packages", "แพ็กเกจเนื้อหา"),
    "content.lead": ("Upload a Tin Can package (tincan.xml at its root) or a cmi5 course (cmi5.xml) as a zip. "
                     "Place it in Moodle through 'Add an activity → Samattha'.",
                     "อัปโหลดแพ็กเกจ Tin Can (มี tincan.xml ที่รากของไฟล์) หรือหลักสูตร cmi5 (cmi5.xml) เป็นไฟล์ zip "
                     "แล้ววางในรายวิชา Moodle ผ่าน 'เพิ่มกิจกรรม → Samattha'"),
    "content.file": ("Package (zip)", "แพ็กเกจ (zip)"),
    "content.upload": ("Upload", "อัปโหลด"),
    "content.none": ("No packages yet.", "ยังไม่มีแพ็กเกจ"),
    "content.added": ("Package added: {title}", "เพิ่มแพ็กเกจแล้ว: {title}"),
    "content.refused": ("The package was refused: {problem}", "ไม่รับแพ็กเกจนี้: {problem}"),
    "content.missing": ("Choose a zip file to upload.", "กรุณาเลือกไฟล์ zip ที่จะอัปโหลด"),
    "content.kind": ("Kind", "ชนิด"),
    "content.activities": ("Activities", "กิจกรรม"),
    "dl.packages": ("Content packages", "แพ็กเกจเนื้อหา"),
    "dl.units": ("Units of the standard", "หน่วยสมรรถนะของมาตรฐาน"),
    "nopackage.title": ("Content not available", "ไม่พบเนื้อหา"),
    "nopackage.lead": ("This activity names a content package that is not in this course (it may have been "
                       "removed, or the course copied). Ask the course coordinator to place it again.",
                       "กิจกรรมนี้อ้างถึงแพ็กเกจเนื้อหาที่ไม่มีในรายวิชานี้ (อาจถูกลบหรือรายวิชาถูกคัดลอกมา) "
                       "โปรดแจ้งผู้ประสานงานรายวิชาให้วางกิจกรรมใหม่"),
})


@bp.record_once
def _install_guard(state: BlueprintSetupState) -> None:
    """The LRS asks for ``samattha.statement_guard`` before it stores a batch (plugin.lrs). The satisfied
    statements a batch brings speak with the authority ``launched`` had: the base URL configured at the time."""
    app = state.app

    def guard(session: Session, credential: dict[str, Any], statements: list[dict[str, Any]]) -> None:
        cmi5.guard(session, credential, statements, authority=lms_authority(str(app.config["SAMATTHA"].base_url)))

    app.extensions["samattha.statement_guard"] = guard


def _page(course: Course, status: int = 200, **context: object) -> tuple[str, int]:
    from plugin.launch.web import render

    return render("content/packages.html", status, course=course, packages=packages_of(get_session(), course),
                  csrf=access.csrf_token(), **context)


@bp.get("/course/<int:course_pk>/content")
def packages_page(course_pk: int) -> tuple[str, int]:
    course = access.course_or_404(course_pk)
    access.require_role(course, "coordinator")
    added = request.args.get("added", type=int)
    package = get_session().get(ContentPackage, added) if added else None
    return _page(course, added=package if package is not None and package.course_id == course.id else None)


@bp.post("/course/<int:course_pk>/content")
def upload(course_pk: int) -> Response | tuple[str, int]:
    course = access.course_or_404(course_pk)
    user = access.require_role(course, "coordinator")
    access.check_csrf()
    sent = request.files.get("package")
    if sent is None or not sent.filename:
        return _page(course, 400, error=i18n.translate("content.missing"))
    instance = current_app.instance_path
    uploads = Path(instance) / "packages" / ".uploads"
    uploads.mkdir(parents=True, exist_ok=True)
    db = get_session()
    with tempfile.NamedTemporaryFile(dir=uploads, suffix=".zip") as spooled:
        sent.save(spooled)
        spooled.flush()
        try:
            row = import_package(db, course, Path(spooled.name), file_name=sent.filename, instance_path=instance,
                                 uploader=user, now=utcnow())
        except PackageRefused as refused:
            db.rollback()
            return _page(course, 400, error=i18n.translate("content.refused", problem=str(refused)))
    try:
        db.commit()
    except BaseException:
        db.rollback()
        shutil.rmtree(package_dir(instance, row.id), ignore_errors=True)
        raise
    return redirect(url_for("content.packages_page", course_pk=course.id, added=row.id), code=303)


@bp.get("/content/<int:package_id>/files/<path:name>")
def package_file(package_id: int, name: str) -> Response:
    """The package's own files, to people of its course; send_from_directory refuses paths that leave the
    folder, and a folder (no listing) is a 404."""
    package = get_session().get(ContentPackage, package_id)
    if package is None:
        raise NotFound()
    access.require_role(package.course, *access.ROLES)
    root = package_dir(current_app.instance_path, package.id)
    response = send_from_directory(root, name, max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.post("/content/fetch/<token>")
def fetch(token: str) -> Response:
    """cmi5 §8.2: no session needed (the AU calls it from script); the token is the secret."""
    db = get_session()
    try:
        auth = fetch_token(db, token, now=utcnow())
    except FetchRefused as refused:
        db.rollback()
        return jsonify({"error-code": refused.code, "error-text": refused.text})
    db.commit()
    response = jsonify({"auth-token": auth})
    response.headers["Cache-Control"] = "no-store"
    return response


def launch_response(course: Course, user: User, custom: dict[str, str], base_url: str) -> Response | None:
    """Where an LTI launch of a placed package goes: the content itself, with its launch parameters; None when
    the link is not a package placement."""
    db = get_session()
    try:
        found = placed_package(db, course, custom)
        if found is None:
            return None
        package, activity = found
        url = start_launch(db, package, activity, user, base_url=base_url,
                           return_url=f"{base_url}/course/{course.id}/", now=utcnow())
    except (LookupError, LaunchRefused):
        db.rollback()
        raise access.AccessDenied(404, "nopackage") from None
    db.commit()
    return redirect(url, code=303)
