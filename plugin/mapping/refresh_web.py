"""The mapping page's **Refresh activities** button: learn the course's activities from every source now, and
say what each source gave."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, url_for
from werkzeug.wrappers import Response

from plugin.clock import utcnow
from plugin.db import get_session
from plugin.launch import access, i18n
from plugin.mapping.discovery import Refresh, refresh_activities

__all__ = ["bp", "failures", "summary"]

bp = Blueprint("mapping_refresh", __name__)

i18n.register_messages({
    "refresh.button": ("Refresh activities", "ค้นหากิจกรรมอีกครั้ง"),
    "refresh.done": ("Activities refreshed: {parts}.", "ค้นหากิจกรรมแล้ว: {parts}"),
    "refresh.part": ("{source} {seen} ({new} new)", "{source} {seen} รายการ (ใหม่ {new})"),
    "refresh.backups": ("from earlier backups {count}", "จากไฟล์สำรองที่อัปโหลดไว้ {count} รายการ"),
    "refresh.failed": ("{source} could not be read: {message}", "อ่าน{source}ไม่ได้: {message}"),
    "refresh.no_token": ("Moodle Web Services are not set up for this site, so activities Samattha has not seen "
                         "yet are missing: a site administrator can add a token on Samattha's administration page.",
                         "ยังไม่ได้ตั้งค่า Moodle Web Services สำหรับเว็บไซต์นี้ จึงยังไม่พบกิจกรรมที่ Samattha ไม่เคยเห็น "
                         "ผู้ดูแลระบบสามารถใส่โทเค็นได้ที่หน้าผู้ดูแลระบบของ Samattha"),
    "refresh.source.lti": ("Samattha links", "ลิงก์ Samattha"),
    "refresh.source.lrs": ("learning records", "บันทึกการเรียนรู้"),
    "refresh.source.package": ("content packages", "แพ็กเกจเนื้อหา"),
    "refresh.source.webservice": ("Moodle Web Services", "Moodle Web Services"),
})


def summary(report: Refresh) -> list[str]:
    """The report in the page's language: one line of what was found, then one per source that failed."""
    parts = [i18n.translate("refresh.part", source=i18n.translate(f"refresh.source.{source}"), seen=found.seen,
                            new=found.new) for source, found in report.found.items()]
    if report.backups:
        parts.append(i18n.translate("refresh.backups", count=report.backups))
    lines = [i18n.translate("refresh.done", parts=", ".join(parts)), *failures(report)]
    if "webservice" not in report.found and "webservice" not in report.errors:
        lines.append(i18n.translate("refresh.no_token"))
    return lines


def failures(report: Refresh) -> list[str]:
    """One line per source that could not be read, in the page's language."""
    return [i18n.translate("refresh.failed", source=i18n.translate(f"refresh.source.{source}"), message=message)
            for source, message in report.errors.items()]


@bp.post("/course/<int:course_pk>/mapping/refresh")
def refresh(course_pk: int) -> Response:
    course = access.course_or_404(course_pk)
    access.require_role(course, "coordinator")
    access.check_csrf()
    db = get_session()
    report = refresh_activities(db, course, base_url=str(current_app.config["SAMATTHA"].base_url), now=utcnow())
    db.commit()
    for line in summary(report):
        flash(line, "map")
    return redirect(url_for("mapping_editor.editor", course_pk=course.id), code=303)
