"""A site administrator sets the Moodle Web Services token Samattha reads the course's activities (and, where
allowed, its teachers' roles) with. The token is checked against Moodle before it is kept, is never shown
again, and never appears in a message."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, request, url_for
from werkzeug.wrappers import Response

from plugin.clock import utcnow
from plugin.db import get_session
from plugin.launch import access, i18n
from plugin.launch.rendering import render
from plugin.mapping.discovery import refresh_activities
from plugin.mapping.refresh_web import summary
from plugin.mapping.webservice import course_contents
from plugin.models import Course, User
from plugin.moodle_ws import REST_PATH, WebServiceError, save_token, token_for

__all__ = ["bp"]

bp = Blueprint("webservice_admin", __name__)

i18n.register_messages({
    "ws.title": ("Moodle Web Services", "Moodle Web Services"),
    "ws.lead": ("With a Web Services token Samattha finds every activity of a course by itself and tells Moodle's "
                "editing teachers from its non-editing teachers. In Moodle, as an administrator: Site administration "
                "→ Server → Web services → Manage tokens → Create token, for a user who may call "
                "core_course_get_contents and core_enrol_get_enrolled_users in the courses that use Samattha.",
                "เมื่อมีโทเค็น Web Services แล้ว Samattha จะค้นหากิจกรรมทั้งหมดของรายวิชาได้เอง และแยกครูผู้สอนที่แก้ไขได้ "
                "ออกจากครูผู้ช่วยที่แก้ไขไม่ได้ ใน Moodle ในฐานะผู้ดูแลระบบ: การดูแลระบบเว็บไซต์ → เซิร์ฟเวอร์ → Web services "
                "→ จัดการโทเค็น → สร้างโทเค็น สำหรับผู้ใช้ที่เรียก core_course_get_contents และ "
                "core_enrol_get_enrolled_users ได้ในรายวิชาที่ใช้ Samattha"),
    "ws.site": ("Moodle site", "เว็บไซต์ Moodle"),
    "ws.is_set": ("A token is set (last changed {when}). It is kept secret and not shown again.",
                  "ตั้งค่าโทเค็นไว้แล้ว (เปลี่ยนล่าสุด {when}) โทเค็นถูกเก็บเป็นความลับและจะไม่แสดงอีก"),
    "ws.not_set": ("No token is set: the mapping editor lists only the activities Samattha has seen itself.",
                   "ยังไม่ได้ตั้งค่าโทเค็น: หน้าการจับคู่จะแสดงเฉพาะกิจกรรมที่ Samattha เคยเห็นเอง"),
    "ws.is_set_short": ("A Web Services token is set.", "ตั้งค่าโทเค็น Web Services แล้ว"),
    "ws.open": ("Set the token…", "ตั้งค่าโทเค็น…"),
    "ws.token": ("Token", "โทเค็น"), "ws.url": ("Moodle address, if not {issuer}", "ที่อยู่ Moodle ถ้าไม่ใช่ {issuer}"),
    "ws.save": ("Check and save", "ตรวจสอบและบันทึก"),
    "ws.saved": ("The token works with this course and is saved.", "โทเค็นใช้งานได้กับรายวิชานี้ และบันทึกแล้ว"),
    "ws.missing": ("token: enter the token Moodle created.", "token: โปรดใส่โทเค็นที่ Moodle สร้างให้"),
    "ws.bad_url": ("url: give the Moodle address starting with https:// or http://.",
                   "url: โปรดใส่ที่อยู่ Moodle ที่ขึ้นต้นด้วย https:// หรือ http://"),
    "ws.refused": ("token: Moodle did not accept it for this course, nothing was saved ({message}).",
                   "token: Moodle ไม่ยอมรับโทเค็นนี้สำหรับรายวิชานี้ จึงยังไม่ได้บันทึก ({message})"),
})


def _admin(course_pk: int) -> tuple[Course, User]:
    course = access.course_or_404(course_pk)
    return course, access.require_role(course, "admin")


def _page(course: Course, user: User, status: int = 200, error: str | None = None) -> tuple[str, int]:
    return render("admin/webservice.html", status, course=course, user=user, role="admin",
                  roles=access.roles_in(course, user), csrf=access.csrf_token(), error=error,
                  service=token_for(get_session(), course.issuer), rest_path=REST_PATH)


@bp.get("/course/<int:course_pk>/admin/webservice")
def show(course_pk: int) -> tuple[str, int]:
    return _page(*_admin(course_pk))


@bp.post("/course/<int:course_pk>/admin/webservice")
def save(course_pk: int) -> Response | tuple[str, int]:
    course, user = _admin(course_pk)
    access.check_csrf()
    token, url = request.form.get("token", "").strip(), request.form.get("url", "").strip()
    if not token:
        return _page(course, user, 400, i18n.translate("ws.missing"))
    if url and not url.startswith(("https://", "http://")):
        return _page(course, user, 400, i18n.translate("ws.bad_url"))
    try:
        course_contents(url or course.issuer, token, course.context_id)  # a token that cannot list is no use
    except WebServiceError as err:
        return _page(course, user, 400, i18n.translate("ws.refused", message=str(err)))
    db = get_session()
    save_token(db, issuer=course.issuer, token=token, url=url or None, now=utcnow())
    report = refresh_activities(db, course, base_url=str(current_app.config["SAMATTHA"].base_url), now=utcnow())
    db.commit()
    flash(i18n.translate("ws.saved"), "ws")
    for line in summary(report):
        flash(line, "ws")
    return redirect(url_for("webservice_admin.show", course_pk=course.id), code=303)
