"""Content packages: upload, replace, remove and list (coordinators), the packaged files (anyone in the
course), and the cmi5 fetch URL. The launch itself starts from an LTI launch (plugin.launch.web → launch_response)."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from flask import Blueprint, current_app, jsonify, redirect, request, send_from_directory, url_for
from flask.blueprints import BlueprintSetupState
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy.orm import Session
from werkzeug.datastructures import FileStorage
from werkzeug.exceptions import NotFound, RequestEntityTooLarge
from werkzeug.wrappers import Response

from plugin.clock import utcnow
from plugin.content import cmi5, cmi5_requests
from plugin.content.launching import (
    LAUNCH_LIFETIME,
    FetchRefused,
    LaunchRefused,
    fetch_token,
    lms_authority,
    start_launch,
    waive,
)
from plugin.content.manifests import PACKAGE_LIMITS
from plugin.content.placement import PACKAGE_PARAM, PackageRemoved, placed_package
from plugin.content.store import (
    PackageRefused,
    Quota,
    files_swapped,
    import_package,
    package_dir,
    packages_of,
    remove_package,
    replace_package,
    space_used,
    title_in,
)
from plugin.db import get_session
from plugin.evidence import learners_of
from plugin.framing import frame_ancestors
from plugin.launch import access, i18n, registrations
from plugin.launch.rendering import render
from plugin.models import Course, User
from plugin.models.content import ContentPackage

__all__ = ["bp", "launch_response"]

T = TypeVar("T")
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
    "content.missing": ("Choose a zip file to upload.", "กรุณาเลือกไฟล์ zip ที่จะอัปโหลด"),
    "content.problem": ("There is a problem", "มีปัญหา"),
    "content.details": ("Technical details", "รายละเอียดทางเทคนิค"),
    "content.size": ("Size", "ขนาด"),
    "content.space": ("Space used by packages: {used} of {limit} ({left} left). One package may take up to "
                      "{package}.",
                      "พื้นที่ที่แพ็กเกจใช้: {used} จาก {limit} (เหลือ {left}) แต่ละแพ็กเกจใช้ได้ไม่เกิน {package}"),
    # Refusals, one per PackageRefused.reason: what happened and what to do, in the coordinator's words.
    "content.refused.too_large": ("The file is larger than {limit}, the most one upload may be.",
                                  "ไฟล์ใหญ่กว่า {limit} ซึ่งเป็นขนาดสูงสุดของการอัปโหลดหนึ่งครั้ง"),
    "content.refused.not_archive": (
        "This file is not a zip file. Publish the course from your authoring tool as an xAPI (Tin Can) or cmi5 "
        "package, which is a .zip file, and upload that.",
        "ไฟล์นี้ไม่ใช่ไฟล์ zip โปรดเผยแพร่บทเรียนจากเครื่องมือสร้างบทเรียนเป็นแพ็กเกจ xAPI (Tin Can) หรือ cmi5 "
        "ซึ่งเป็นไฟล์ .zip แล้วอัปโหลดไฟล์นั้น"),
    "content.refused.damaged": (
        "The zip file is damaged or incomplete. Download or publish it again and upload the new copy.",
        "ไฟล์ zip เสียหรือไม่ครบ โปรดดาวน์โหลดหรือเผยแพร่ใหม่ แล้วอัปโหลดไฟล์ใหม่นั้น"),
    "content.refused.unsafe": (
        "The zip holds a file with an unsafe name or a link (such as a name starting with ../ or /), so nothing was "
        "unpacked. Publish the package again from your authoring tool.",
        "ไฟล์ zip มีไฟล์ที่ชื่อไม่ปลอดภัยหรือเป็นลิงก์ (เช่น ชื่อที่ขึ้นต้นด้วย ../ หรือ /) จึงไม่ได้แตกไฟล์ใดเลย "
        "โปรดเผยแพร่แพ็กเกจใหม่จากเครื่องมือสร้างบทเรียน"),
    "content.refused.bomb": (
        "The zip would unpack to far more than course content does for its size (it may be a \"zip bomb\"), so "
        "nothing was unpacked.",
        "ไฟล์ zip นี้จะขยายตัวเมื่อแตกไฟล์มากเกินกว่าเนื้อหาบทเรียนทั่วไป (อาจเป็น \"zip bomb\") จึงไม่ได้แตกไฟล์ใดเลย"),
    "content.refused.too_many": ("The zip holds more files than one package may ({files}).",
                                 "ไฟล์ zip มีจำนวนไฟล์มากเกินกว่าที่หนึ่งแพ็กเกจมีได้ ({files} ไฟล์)"),
    "content.refused.too_big": ("The package is larger than this server accepts.",
                                "แพ็กเกจใหญ่เกินกว่าที่เซิร์ฟเวอร์นี้รับได้"),
    "content.refused.encrypted": ("The zip is protected by a password. Publish it again without a password.",
                                  "ไฟล์ zip มีรหัสผ่าน โปรดเผยแพร่ใหม่โดยไม่ตั้งรหัสผ่าน"),
    "content.refused.no_manifest": (
        "This zip is not an xAPI package: it has no tincan.xml or cmi5.xml at its top level (or inside one "
        "folder). In your authoring tool, publish it as \"Tin Can API\" (xAPI) or \"cmi5\".",
        "ไฟล์ zip นี้ไม่ใช่แพ็กเกจ xAPI เพราะไม่มี tincan.xml หรือ cmi5.xml ที่ชั้นบนสุด (หรือในโฟลเดอร์เดียวที่ห่อไว้) "
        "โปรดเผยแพร่จากเครื่องมือสร้างบทเรียนเป็นแบบ \"Tin Can API\" (xAPI) หรือ \"cmi5\""),
    "content.refused.manifest": (
        "The package's manifest (tincan.xml or cmi5.xml) has a mistake, so learners could not launch it. Publish "
        "the package again, or ask its author to correct the manifest.",
        "ไฟล์กำกับแพ็กเกจ (tincan.xml หรือ cmi5.xml) มีข้อผิดพลาด ผู้เรียนจึงเปิดใช้ไม่ได้ "
        "โปรดเผยแพร่แพ็กเกจใหม่ หรือแจ้งผู้จัดทำให้แก้ไขไฟล์กำกับ"),
    "content.refused.quota_package": (
        "The package unpacks to more than {limit}, the most one package may take on this server.",
        "แพ็กเกจนี้เมื่อแตกไฟล์แล้วใหญ่เกิน {limit} ซึ่งเป็นขนาดสูงสุดของหนึ่งแพ็กเกจบนเซิร์ฟเวอร์นี้"),
    "content.refused.quota_total": (
        "There is not enough space for this package: it needs {size}, and {left} is left of the {limit} for all "
        "packages. Remove packages no longer used, or ask the server's administrator for more space.",
        "พื้นที่ไม่พอสำหรับแพ็กเกจนี้ ต้องใช้ {size} แต่เหลือพื้นที่ {left} จาก {limit} สำหรับทุกแพ็กเกจ "
        "โปรดนำแพ็กเกจที่ไม่ใช้แล้วออก หรือขอพื้นที่เพิ่มจากผู้ดูแลเซิร์ฟเวอร์"),
    "content.refused.kind_tincan": (
        "A Tin Can package can only be replaced by a Tin Can package. Upload this cmi5 package as a new package.",
        "แพ็กเกจ Tin Can แทนที่ได้ด้วยแพ็กเกจ Tin Can เท่านั้น โปรดอัปโหลดแพ็กเกจ cmi5 นี้เป็นแพ็กเกจใหม่"),
    "content.refused.kind_cmi5": (
        "A cmi5 package can only be replaced by a cmi5 package. Upload this Tin Can package as a new package.",
        "แพ็กเกจ cmi5 แทนที่ได้ด้วยแพ็กเกจ cmi5 เท่านั้น โปรดอัปโหลดแพ็กเกจ Tin Can นี้เป็นแพ็กเกจใหม่"),
    "content.refused.removed": ("This package was removed meanwhile. Upload the zip as a new package.",
                                "แพ็กเกจนี้ถูกนำออกไปแล้วระหว่างนั้น โปรดอัปโหลดไฟล์ zip เป็นแพ็กเกจใหม่"),
    "content.kind": ("Kind", "ชนิด"),
    "content.manage": ("Replace or remove", "แทนที่หรือนำออก"),
    "content.replace": ("Replace", "แทนที่"),
    "content.replace.hint": ("Moodle activities placed for it keep working; AUs whose ids are unchanged keep "
                             "their ids.",
                             "กิจกรรมใน Moodle ที่วางไว้ยังใช้ได้ AU ที่รหัสไม่เปลี่ยนจะคงรหัสเดิมไว้"),
    "content.replaced": ("Package replaced: {title}", "แทนที่แพ็กเกจแล้ว: {title}"),
    "content.waive": ("Waive an AU for a learner (cmi5)", "ยกเว้นหน่วยบทเรียนให้ผู้เรียน (cmi5)"),
    "content.waive.learner": ("Learner", "ผู้เรียน"),
    "content.waive.au": ("AU", "หน่วยบทเรียน"),
    "content.waive.reason": ("Why", "เหตุผล"),
    "content.waive.reason.Tested Out": ("Tested out", "ทดสอบผ่านแล้ว"),
    "content.waive.reason.Equivalent AU": ("An equivalent AU", "ผ่านหน่วยบทเรียนที่เทียบเท่า"),
    "content.waive.reason.Equivalent Outside Activity": ("An equivalent activity elsewhere",
                                                         "ผ่านกิจกรรมที่เทียบเท่าจากที่อื่น"),
    "content.waive.reason.Administrative": ("An administrative decision", "เหตุผลทางการบริหาร"),
    "content.waive.note": ("Note (optional)", "หมายเหตุ (ถ้ามี)"),
    "content.waive.submit": ("Waive", "ยกเว้น"),
    "content.waive.refused": ("The AU was not waived.", "ยังไม่ได้ยกเว้นหน่วยบทเรียนนี้"),
    "content.waived": ("The AU was waived for the learner: it counts as met, and the course's blocks and course "
                       "are satisfied where that completes them.",
                       "ยกเว้นหน่วยบทเรียนให้ผู้เรียนแล้ว ถือว่าผ่านเกณฑ์ และนับรวมในการผ่านบล็อกและรายวิชา"),
    "content.remove": ("Remove", "นำออก"),
    "content.remove.confirm": ("Yes, remove this package and its files. Moodle activities placed for it will "
                               "say it was removed; the statements learners sent stay.",
                               "ยืนยันการนำแพ็กเกจนี้และไฟล์ออก กิจกรรมใน Moodle ที่วางไว้จะแจ้งว่าแพ็กเกจถูกนำออกแล้ว "
                               "ส่วนข้อมูล (statement) ที่ผู้เรียนส่งมาจะยังเก็บไว้"),
    "content.remove.unconfirmed": ("Tick the confirmation box to remove the package.",
                                   "กรุณาทำเครื่องหมายยืนยันก่อนนำแพ็กเกจออก"),
    "content.removed": ("Package {id} removed.", "นำแพ็กเกจ {id} ออกแล้ว"),
    "content.activities": ("Activities", "กิจกรรม"),
    "dl.packages": ("Content packages", "แพ็กเกจเนื้อหา"),
    "dl.units": ("Units of the standard", "หน่วยสมรรถนะของมาตรฐาน"),
    "badlaunchmode.title": ("This activity's launch mode is not one Samattha knows",
                            "โหมดการเปิดของกิจกรรมนี้ไม่ถูกต้อง"),
    "badlaunchmode.lead": ("The activity's custom parameter launch_mode must be Normal, Browse or Review. Ask the "
                           "course's teacher to correct it in the activity's settings in Moodle.",
                           "พารามิเตอร์ launch_mode ของกิจกรรมต้องเป็น Normal, Browse หรือ Review "
                           "โปรดแจ้งผู้สอนของรายวิชาให้แก้ไขในการตั้งค่ากิจกรรมใน Moodle"),
    "nopackage.title": ("Content not available", "ไม่พบเนื้อหา"),
    "nopackage.lead": ("This activity names a content package or AU that is not in this course (the course may "
                       "have been copied, or a new version of the package no longer has this AU). Ask the course "
                       "coordinator to place it again.",
                       "กิจกรรมนี้อ้างถึงแพ็กเกจเนื้อหาหรือ AU ที่ไม่มีในรายวิชานี้ (รายวิชาอาจถูกคัดลอกมา "
                       "หรือแพ็กเกจรุ่นใหม่ไม่มี AU นี้แล้ว) โปรดแจ้งผู้ประสานงานรายวิชาให้วางกิจกรรมใหม่"),
    "packageremoved.title": ("Content not available", "ไม่พบเนื้อหา"),
    "packageremoved.lead": ("The content package placed in this activity was removed by the course coordinator. "
                            "The coordinator can place another package here (Add an activity → Samattha).",
                            "แพ็กเกจเนื้อหาที่วางไว้ในกิจกรรมนี้ถูกผู้ประสานงานรายวิชานำออกแล้ว "
                            "ผู้ประสานงานรายวิชาสามารถวางแพ็กเกจอื่นแทนได้ (เพิ่มกิจกรรม → Samattha)"),
})


# For the templates here and deep linking's: a package's or AU's title in the page's language.
bp.add_app_template_global(title_in, "package_title")


@bp.app_template_filter("size")
def size_text(size: int) -> str:
    """Bytes as people read them, rounded down (so space "left" is never overstated), in the binary units the
    operator sets limits in: SAMATTHA_PACKAGES_MAX_SIZE=20GiB reads "20 GB"."""
    for unit, scale in (("GB", 1024**3), ("MB", 1024**2), ("KB", 1024)):
        if size >= scale:
            tenths = size * 10 // scale
            return f"{tenths // 10}.{tenths % 10} {unit}".replace(".0 ", " ")
    return f"{size} B"


def _quota() -> Quota:
    config = current_app.config["SAMATTHA"]
    return Quota(package=config.package_max_bytes, total=config.packages_max_bytes)


def _error(form: str, message: str, detail: str | None = None) -> dict[str, str | None]:
    """A refusal shown at the top of ``form`` ("upload", "replace-<id>", "remove-<id>"), with the technical
    ``detail`` folded underneath it."""
    return {"form": form, "message": message, "detail": detail}


def _refusal(form: str, refused: PackageRefused) -> dict[str, str | None]:
    values = {name: size_text(value) for name, value in refused.values.items()}
    message = i18n.translate(f"content.refused.{refused.reason}", files=f"{PACKAGE_LIMITS.max_files:,}", **values)
    return _error(form, message, str(refused))


@bp.record_once
def _install_guard(state: BlueprintSetupState) -> None:
    """The LRS asks for ``samattha.statement_guard`` before it stores a batch, and ``samattha.request_guard``
    before it handles any request of a launch credential (plugin.lrs). The satisfied statements a batch brings
    speak with the authority ``launched`` had: the base URL configured at the time."""
    app = state.app

    def guard(session: Session, credential: dict[str, Any], statements: list[dict[str, Any]]) -> None:
        cmi5.guard(session, credential, statements, authority=lms_authority(str(app.config["SAMATTHA"].base_url)))

    app.extensions["samattha.statement_guard"] = guard
    app.extensions["samattha.request_guard"] = cmi5_requests.request_guard


def _page(course: Course, status: int = 200, /, **context: object) -> tuple[str, int]:
    db = get_session()
    packages = packages_of(db, course)
    # The learners are read only for the waive form, which only a cmi5 course has.
    learners = learners_of(db, course) if any(package.kind == "cmi5" for package in packages) else []
    return render("content/packages.html", status, course=course, packages=packages, csrf=access.csrf_token(),
                  quota=_quota(), used=space_used(db), learners=learners, waive_reasons=cmi5.WAIVE_REASONS,
                  **context)


@bp.get("/course/<int:course_pk>/content")
def packages_page(course_pk: int) -> tuple[str, int]:
    course = access.course_or_404(course_pk)
    access.require_role(course, "coordinator")
    db = get_session()
    notices: dict[str, object] = {}
    for key in ("added", "replaced"):
        shown = request.args.get(key, type=int)
        package = db.get(ContentPackage, shown) if shown else None
        if package is not None and package.course_id == course.id:
            notices[key] = package
    return _page(course, removed=request.args.get("removed", type=int), waived=request.args.get("waived", type=int),
                 **notices)


@contextmanager
def _spooled(sent: FileStorage) -> Iterator[Path]:
    """The upload on disk beside the packages (a zip is read twice: checked, then extracted)."""
    uploads = Path(current_app.instance_path) / "packages" / ".uploads"
    uploads.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=uploads, suffix=".zip") as spooled:
        sent.save(spooled)
        spooled.flush()
        yield Path(spooled.name)


def _course_package(course: Course, package_id: int) -> ContentPackage:
    package = get_session().get(ContentPackage, package_id)
    if package is None or package.course_id != course.id or package.removed_at is not None:
        raise NotFound()
    return package


def _form_refused(course: Course, form: str) -> tuple[str, int] | None:
    """The page with a 413 when the body is larger than a request may be (it is refused unread, so its form token
    is unknown, and nothing changes); else the form token's check."""
    try:
        access.check_csrf()
    except RequestEntityTooLarge:
        limit = int(current_app.config.get("MAX_CONTENT_LENGTH") or 0)
        return _page(course, 413, error=_error(form, i18n.translate("content.refused.too_large",
                                                                    limit=size_text(limit))))
    return None


def _take_upload(course: Course, form: str, store: Callable[[Path, str], T]) -> T | tuple[str, int]:
    """``store`` run on the uploaded zip (spooled to disk) and its file name; a missing or refused upload gives
    the page again, with the reason at the top of ``form`` and a 400, and nothing stored."""
    sent = request.files.get("package")
    if sent is None or not sent.filename:
        return _page(course, 400, error=_error(form, i18n.translate("content.missing")))
    with _spooled(sent) as spooled:
        try:
            return store(spooled, sent.filename)
        except PackageRefused as refused:
            get_session().rollback()
            return _page(course, 400, error=_refusal(form, refused))


@bp.post("/course/<int:course_pk>/content")
def upload(course_pk: int) -> Response | tuple[str, int]:
    course = access.course_or_404(course_pk)
    user = access.require_role(course, "coordinator")
    if (too_large := _form_refused(course, "upload")) is not None:
        return too_large
    instance, db = current_app.instance_path, get_session()
    row = _take_upload(course, "upload", lambda zip_path, name: import_package(
        db, course, zip_path, file_name=name, instance_path=instance, uploader=user, now=utcnow(), quota=_quota()))
    if isinstance(row, tuple):
        return row
    try:
        db.commit()
    except BaseException:  # the Session is rolled back with the request; the files are ours to remove
        shutil.rmtree(package_dir(instance, row.id), ignore_errors=True)
        raise
    return redirect(url_for("content.packages_page", course_pk=course.id, added=row.id), code=303)


@bp.post("/course/<int:course_pk>/content/<int:package_id>/replace")
def replace(course_pk: int, package_id: int) -> Response | tuple[str, int]:
    course = access.course_or_404(course_pk)
    user = access.require_role(course, "coordinator")
    form = f"replace-{package_id}"
    if (too_large := _form_refused(course, form)) is not None:
        return too_large
    row = _course_package(course, package_id)
    instance, db = current_app.instance_path, get_session()
    new_files = _take_upload(course, form, lambda zip_path, name: replace_package(
        db, row, zip_path, file_name=name, instance_path=instance, uploader=user, now=utcnow(), quota=_quota()))
    if isinstance(new_files, tuple):
        return new_files
    with files_swapped(instance, row.id, new_files):  # a failed commit is rolled back with the request
        db.commit()
    return redirect(url_for("content.packages_page", course_pk=course.id, replaced=row.id), code=303)


@bp.post("/course/<int:course_pk>/content/<int:package_id>/remove")
def remove(course_pk: int, package_id: int) -> Response | tuple[str, int]:
    course = access.course_or_404(course_pk)
    access.require_role(course, "coordinator")
    access.check_csrf()
    row = _course_package(course, package_id)
    if request.form.get("confirm") != "yes":
        return _page(course, 400, error=_error(f"remove-{package_id}", i18n.translate("content.remove.unconfirmed")))
    db = get_session()
    remove_package(db, row, now=utcnow())
    with files_swapped(current_app.instance_path, package_id, None):
        db.commit()
    return redirect(url_for("content.packages_page", course_pk=course.id, removed=package_id), code=303)


@bp.post("/course/<int:course_pk>/content/<int:package_id>/waive")
def waive_au(course_pk: int, package_id: int) -> Response | tuple[str, int]:
    """An assessor or coordinator waives a cmi5 AU for a learner, with cmi5's reason and their own note."""
    course = access.course_or_404(course_pk)
    access.require_role(course, "coordinator", "assessor")
    access.check_csrf()
    row = _course_package(course, package_id)
    form = f"waive-{package_id}"
    db = get_session()
    learner = next((u for u in learners_of(db, course) if u.id == request.form.get("learner", type=int)), None)
    if row.kind != "cmi5" or learner is None:
        what = "learner: not a learner of this course" if learner is None else "package: not a cmi5 course"
        return _page(course, 400, error=_error(form, i18n.translate("content.waive.refused"), what))
    try:
        waive(db, row, request.form.get("au", ""), learner, reason=request.form.get("reason", ""),
              note=request.form.get("note", ""), base_url=str(current_app.config["SAMATTHA"].base_url), now=utcnow())
    except LaunchRefused as refused:
        db.rollback()
        return _page(course, 400, error=_error(form, i18n.translate("content.waive.refused"), str(refused)))
    db.commit()
    return redirect(url_for("content.packages_page", course_pk=course.id, waived=package_id), code=303)


@bp.get("/content/<int:package_id>/files/<path:name>")
def package_file(package_id: int, name: str) -> Response:
    """The package's own files, to people of its course, or to a browser a launch gave a grant (its first
    folder); send_from_directory refuses paths that leave the folder, and a folder (no listing) is a 404."""
    package = get_session().get(ContentPackage, package_id)
    if package is None or package.removed_at is not None:
        raise NotFound()
    granted = _granted(package.id, name)
    if granted is None:
        access.require_role(package.course, *access.ROLES)
    root = package_dir(current_app.instance_path, package.id)
    response = send_from_directory(root, granted or name, max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = package_policy(get_session())
    response.headers["Referrer-Policy"] = "no-referrer"  # the grant is in the URL: no other site learns it
    if granted is not None:
        # The package's own fonts and fetches are CORS requests from its opaque origin; the grant, not a
        # cookie, let them in, so the answer may be read without credentials.
        response.headers["Access-Control-Allow-Origin"] = "*"
    return response


# The sandboxed package sends no Samattha cookie with the requests for its own files (its origin is opaque), so a
# launch gives the browser a grant to read the package's files, for as long as the launch's credential lasts. It
# opens nothing else: every other page and API of Samattha still asks for the session.
GRANT_PREFIX = "grant-"


def _grants() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(str(current_app.secret_key), salt="samattha.package-files")


def file_grant(package_id: int, user_id: int) -> str:
    return GRANT_PREFIX + _grants().dumps([package_id, user_id])


def _granted(package_id: int, name: str) -> str | None:
    """The rest of ``name`` when its first folder is a live grant for this package; else None."""
    first, _, rest = name.partition("/")
    if not first.startswith(GRANT_PREFIX) or not rest:
        return None
    try:
        granted = _grants().loads(first.removeprefix(GRANT_PREFIX),
                                  max_age=int(LAUNCH_LIFETIME.total_seconds()))
    except BadSignature:
        return None
    return rest if isinstance(granted, list) and granted[:1] == [package_id] else None


# A package's documents get an opaque origin (CSP Level 3 sandbox without allow-same-origin): their scripts run,
# forms post and popups open, but they are not Samattha's origin, so nothing of the viewer's Samattha session is
# theirs: no cookie to read, no page or API of Samattha whose answer they may read (no CORS for them), while the
# LRS, which answers CORS for a request with its own Authorization, takes the launch's Basic credential.
PACKAGE_SANDBOX = "sandbox allow-scripts allow-forms allow-popups allow-popups-to-escape-sandbox allow-modals " \
                  "allow-downloads"


def package_policy(session: Session) -> str:
    """The sandbox, and who may frame the package: as every page (plugin.framing), ourselves and the platforms
    we trust. Set here in full because plugin.framing leaves a response that has a policy alone."""
    return f"{PACKAGE_SANDBOX}; {frame_ancestors(registrations.active(session).issuers)}"


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


@bp.after_request
def _fetch_cors(response: Response) -> Response:
    """The AU calls the fetch URL from its sandboxed, opaque origin (``Origin: null``): cmi5 §8.2 needs no
    cookie, the token is the secret, so any origin may read the answer (and send the preflight first)."""
    if request.url_rule is not None and request.url_rule.endpoint == "content.fetch":
        response.headers["Access-Control-Allow-Origin"] = "*"
        response.headers["Access-Control-Allow-Methods"] = "POST"
        response.headers["Access-Control-Allow-Headers"] = "Content-Type"
    return response


_LAUNCH_MODES = {mode.lower(): mode for mode in ("Normal", "Browse", "Review")}


def _launch_mode(custom: dict[str, str]) -> str:
    """cmi5 §10.2.2's launch mode, as the Moodle activity's custom parameter ``launch_mode`` sets it (Normal when
    absent): a teacher offers an AU to look through (Browse) or to look back on (Review), which records no
    result."""
    given = str(custom.get("launch_mode", "Normal")).strip()
    mode = _LAUNCH_MODES.get(given.lower())
    if mode is None:
        raise access.AccessDenied(400, "badlaunchmode", f"launch_mode: {given!r} is not Normal, Browse or Review")
    return mode


def launch_response(db: Session, course_id: int, user_id: int, custom: dict[str, str],
                    base_url: str) -> Response | None:
    """Where an LTI launch of a placed package goes: the content itself, with its launch parameters; None when
    the link is not a package placement."""
    if not str(custom.get(PACKAGE_PARAM, "")).strip():
        return None  # most launches: no package, nothing to read
    course, user = db.get_one(Course, course_id), db.get_one(User, user_id)
    try:
        found = placed_package(db, course, custom)
        if found is None:
            return None
        package, activity = found
        url = start_launch(db, package, activity, user, base_url=base_url,
                           return_url=f"{base_url}/course/{course.id}/", now=utcnow(),
                           grant=file_grant(package.id, user.id), launch_mode=_launch_mode(custom))
    except PackageRemoved:
        db.rollback()
        raise access.AccessDenied(404, "packageremoved") from None
    except (LookupError, LaunchRefused):
        db.rollback()
        raise access.AccessDenied(404, "nopackage") from None
    db.commit()
    return redirect(url, code=303)
