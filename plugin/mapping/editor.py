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
from plugin.launch.web import render
from plugin.mapping import activities, discovery, store
from plugin.mapping.editor_form import COMMON_VERBS, Slot, activity_rows, build_mapping, slots_from_form, slots_of
from plugin.mapping.model import StandardIndex, normalize_wwwroot, unnamed_report
from plugin.mapping.moodle_backup import BackupError, activity_iri, read_course_backup
from plugin.mapping.refresh_web import failures
from plugin.models import Course, MappingRevision, User

__all__ = ["bp"]

bp = Blueprint("mapping_editor", __name__)

i18n.register_messages({
    "map.title": ("Mapping", "การจับคู่กิจกรรมกับเกณฑ์"),
    "map.lead": ("For each activity, choose the units, elements or criteria it gives evidence for, the kind of "
                 "evidence and when a learner's statement counts.",
                 "สำหรับแต่ละกิจกรรม เลือกหน่วยสมรรถนะ สมรรถนะย่อย หรือเกณฑ์ที่กิจกรรมเป็นหลักฐาน ชนิดของหลักฐาน "
                 "และเงื่อนไขที่ทำให้ statement ของผู้เรียนนับเป็นหลักฐาน"),
    "map.activity": ("Activity", "กิจกรรม"), "map.targets": ("Criteria", "เกณฑ์"),
    "map.evidence": ("Evidence", "ชนิดหลักฐาน"), "map.rule": ("Counts when", "นับเป็นหลักฐานเมื่อ"),
    "map.threshold": ("Score threshold (% of the maximum)", "คะแนนขั้นต่ำ (% ของคะแนนเต็ม)"),
    "map.verbs": ("Verbs", "คำกริยา (verb)"), "map.verbs_other": ("Other verb IRIs, one per line",
                                                                   "IRI ของคำกริยาอื่น บรรทัดละหนึ่งรายการ"),
    "map.knowledge": ("Knowledge", "ความรู้"), "map.performance": ("Performance", "การปฏิบัติงาน"),
    "map.rule.completed": ("completed", "ทำกิจกรรมเสร็จ"), "map.rule.passed": ("passed", "ผ่าน"),
    "map.rule.score": ("score ≥ threshold", "คะแนน ≥ เกณฑ์"), "map.rule.verbs": ("one of these verbs",
                                                                                "มีคำกริยาใดคำกริยาหนึ่งต่อไปนี้"),
    "map.rule.any": ("any statement", "statement ใดก็ได้"),
    # The outcomes Moodle's log store reports (editor_form.MODULE_OUTCOMES), in plain words.
    "map.rule.submitted": ("submitted", "ส่งแล้ว"),
    "map.rule.graded": ("graded, score ≥ threshold", "ให้คะแนนแล้ว คะแนน ≥ เกณฑ์"),
    "map.rule.finished": ("finished (quiz attempt, lesson, SCORM)", "ทำจนจบ (แบบทดสอบ บทเรียน SCORM)"),
    "map.rule.viewed": ("viewed", "เปิดดูแล้ว"),
    "map.rule.posted": ("posted in the forum", "โพสต์ในกระดานเสวนาแล้ว"),
    "map.rule.activity-completion": ("activity completion, when Moodle sends it",
                                     "Moodle บันทึกว่ากิจกรรมเสร็จสมบูรณ์ (เมื่อ Moodle ส่งข้อมูลนี้)"),
    "map.outcome.assign.submitted": ("assignment submitted", "ส่งงานแล้ว"),
    "map.outcome.assign.graded": ("graded, score ≥ threshold", "ผู้สอนให้คะแนนแล้ว คะแนน ≥ เกณฑ์"),
    "map.outcome.quiz.finished": ("attempt finished", "ทำแบบทดสอบเสร็จและส่งคำตอบแล้ว"),
    "map.outcome.quiz.score": ("score ≥ threshold", "ได้คะแนน ≥ เกณฑ์"),
    "map.outcome.lesson.finished": ("lesson finished", "เรียนบทเรียนจนจบ"),
    "map.outcome.lesson.score": ("lesson score ≥ threshold", "คะแนนบทเรียน ≥ เกณฑ์"),
    "map.outcome.scorm.finished": ("SCORM package finished", "เรียน SCORM จนจบ"),
    "map.outcome.scorm.score": ("SCORM score ≥ threshold", "คะแนน SCORM ≥ เกณฑ์"),
    "map.outcome.forum.posted": ("started a discussion or replied", "ตั้งกระทู้หรือตอบกระทู้แล้ว"),
    **{f"map.outcome.{module}.submitted": ("response submitted", "ส่งคำตอบแล้ว")
       for module in ("feedback", "questionnaire", "survey")},
    "map.group.module": ("What Moodle reports for {module}", "สิ่งที่ Moodle รายงานสำหรับ{module}"),
    "map.group.any": ("Any Moodle activity", "กิจกรรมใดก็ได้ของ Moodle"),
    "map.group.advanced": ("Other rules (advanced)", "เงื่อนไขอื่น (ขั้นสูง)"),
    "map.module.assign": ("an assignment", "งานมอบหมาย"), "map.module.quiz": ("a quiz", "แบบทดสอบ"),
    "map.module.lesson": ("a lesson", "บทเรียน"), "map.module.scorm": ("a SCORM package", "แพ็กเกจ SCORM"),
    "map.module.page": ("a page", "หน้าเว็บ"), "map.module.url": ("a URL", "ลิงก์ URL"),
    "map.module.resource": ("a file", "ไฟล์"), "map.module.book": ("a book", "หนังสือ"),
    "map.module.h5pactivity": ("H5P", "H5P"), "map.module.folder": ("a folder", "โฟลเดอร์"),
    "map.module.imscp": ("an IMS content package", "ชุดเนื้อหา IMS"), "map.module.forum": ("a forum", "กระดานเสวนา"),
    "map.module.feedback": ("a feedback", "แบบสอบถามความคิดเห็น (Feedback)"),
    "map.module.questionnaire": ("a questionnaire", "แบบสอบถาม (Questionnaire)"),
    "map.module.survey": ("a survey", "แบบสำรวจ (Survey)"),
    "map.module.lti": ("an LTI link", "ลิงก์ LTI"), "map.module.package": ("a content package", "ชุดเนื้อหา"),
    "map.hint.submitted": ("Counts when Moodle reports the learner's submission.",
                           "นับเมื่อ Moodle รายงานว่าผู้เรียนส่งงานหรือส่งคำตอบแล้ว"),
    "map.hint.graded": ("Counts when the teacher's grade is at least the threshold, as a percentage of the maximum "
                        "grade. Moodle marks every grade a success, so a grade alone says nothing.",
                        "นับเมื่อคะแนนที่ผู้สอนให้ไม่น้อยกว่าเกณฑ์ (ร้อยละของคะแนนเต็ม) Moodle ระบุว่าทุกคะแนนผ่าน "
                        "จึงต้องกำหนดเกณฑ์"),
    "map.hint.finished": ("Counts when the learner submits a quiz attempt, reaches the end of a lesson, or a SCORM "
                          "package reports it is finished.",
                          "นับเมื่อผู้เรียนส่งคำตอบแบบทดสอบ เรียนบทเรียนจนจบ หรือแพ็กเกจ SCORM รายงานว่าเรียนจบ"),
    "map.hint.quiz.finished": ("Counts when the learner submits an attempt, whatever the score.",
                               "นับเมื่อผู้เรียนส่งคำตอบแบบทดสอบ ไม่ว่าได้คะแนนเท่าใด"),
    "map.hint.quiz.score": ("Counts when an attempt scores at least the threshold, as a percentage of the maximum "
                            "grade.", "นับเมื่อคะแนนการทำแบบทดสอบไม่น้อยกว่าเกณฑ์ (ร้อยละของคะแนนเต็ม)"),
    "map.hint.lesson.finished": ("Counts when the learner reaches the end of the lesson.",
                                 "นับเมื่อผู้เรียนเรียนบทเรียนจนจบ"),
    "map.hint.scorm.finished": ("Counts when the SCORM package reports that the learner finished it.",
                                "นับเมื่อแพ็กเกจ SCORM รายงานว่าผู้เรียนเรียนจบ"),
    "map.hint.viewed": ("Counts when the learner opens the activity.", "นับเมื่อผู้เรียนเปิดดูกิจกรรม"),
    "map.hint.posted": ("Counts when the learner starts a discussion or replies in this forum.",
                        "นับเมื่อผู้เรียนตั้งกระทู้หรือตอบกระทู้ในกระดานเสวนานี้"),
    "map.hint.activity-completion": ("Counts when Moodle marks the activity complete; Moodle sends this only when "
                                     "completion tracking is on for the activity.",
                                     "นับเมื่อ Moodle ทำเครื่องหมายว่ากิจกรรมเสร็จสมบูรณ์ ซึ่ง Moodle ส่งข้อมูลนี้"
                                     "เฉพาะเมื่อเปิดการติดตามการสำเร็จของกิจกรรมไว้"),
    "map.hint.completed": ("Counts any statement that says completed. Moodle never sends it for an assignment, a page "
                           "or a forum.",
                           "นับ statement ที่ระบุว่าเสร็จสิ้น Moodle ไม่ส่งข้อมูลนี้สำหรับงานมอบหมาย หน้าเว็บ "
                           "หรือกระดานเสวนา"),
    "map.hint.passed": ("Counts a result marked a success. Moodle marks every graded assignment a success, whatever "
                        "the grade.",
                        "นับผลที่ระบุว่าผ่าน Moodle ระบุว่างานมอบหมายที่ให้คะแนนแล้วผ่านเสมอ ไม่ว่าคะแนนเท่าใด"),
    "map.hint.score": ("Counts a score on the activity, or on its attempt, of at least the threshold.",
                       "นับเมื่อคะแนนของกิจกรรมหรือของการทำแบบทดสอบไม่น้อยกว่าเกณฑ์"),
    "map.hint.verbs": ("Counts a statement with one of the ticked verbs, anywhere inside the activity.",
                       "นับ statement ที่มีคำกริยาที่เลือกไว้ ณ ส่วนใดก็ได้ของกิจกรรม"),
    "map.hint.any": ("Counts every statement about the activity.", "นับทุก statement ที่เกี่ยวกับกิจกรรม"),
    "map.choose": ("Choose criteria…", "เลือกเกณฑ์…"), "map.add": ("Map this activity", "จับคู่กิจกรรมนี้"),
    "map.add_other": ("Add the other evidence kind", "เพิ่มหลักฐานอีกชนิดหนึ่ง"),
    "map.filter": ("Filter by code or text", "ค้นหาด้วยรหัสหรือข้อความ"), "map.done": ("Done", "เสร็จ"),
    "map.save": ("Save mapping", "บันทึกการจับคู่"), "map.saved": ("Saved as revision {number}.",
                                                                    "บันทึกเป็นฉบับที่ {number} แล้ว"),
    "map.errors": ("Nothing was saved. Correct these and save again:",
                   "ยังไม่ได้บันทึก โปรดแก้ไขรายการต่อไปนี้แล้วบันทึกอีกครั้ง:"),
    "map.no_activities": ("No activity is known yet: upload a course backup, or launch Samattha's activities.",
                          "ยังไม่พบกิจกรรม: อัปโหลดไฟล์สำรองรายวิชา หรือเปิดกิจกรรมของ Samattha"),
    "map.no_standard": ("No standard is loaded: run `samattha standards import`.",
                        "ยังไม่ได้นำเข้ามาตรฐาน: สั่ง `samattha standards import`"),
    "map.not_listed": ("Named by the mapping, not seen in the course", "อยู่ในการจับคู่ แต่ไม่พบในรายวิชา"),
    "map.history": ("History", "ประวัติการแก้ไข"),
    "map.unnamed": ("Evidence items now count only when the mapping names them. Before, these activities were also "
                    "filed under every item of their units; add to each the items it really evidences:",
                    "ตั้งแต่รุ่นนี้ หลักฐานแต่ละรายการจะนับเมื่อการจับคู่ระบุรายการนั้นเท่านั้น ก่อนหน้านี้กิจกรรมต่อไปนี้ถูกนับเป็น"
                    "หลักฐานของทุกรายการในหน่วยสมรรถนะ โปรดเพิ่มรายการที่กิจกรรมเป็นหลักฐานจริงให้แต่ละกิจกรรม:"),
    "map.items.knowledge": ("Knowledge evidence", "หลักฐานความรู้"),
    "map.items.performance": ("Performance evidence", "หลักฐานการปฏิบัติงาน"),
    "map.undo": ("Undo last change", "ย้อนการแก้ไขล่าสุด"),
    "map.undone": ("Undone: revision {number} brings back the earlier mapping.",
                   "ย้อนแล้ว: ฉบับที่ {number} นำการจับคู่ก่อนหน้ากลับมา"),
    "map.nothing_to_undo": ("There is nothing to undo.", "ไม่มีการแก้ไขให้ย้อน"),
    "map.restore": ("Restore this revision", "นำฉบับนี้กลับมาใช้"),
    "map.restored": ("Revision {number} restores the earlier mapping.", "ฉบับที่ {number} นำการจับคู่เดิมกลับมา"),
    "map.revision": ("Revision", "ฉบับที่"), "map.who": ("Who", "ผู้แก้ไข"), "map.when": ("When", "เมื่อ"),
    "map.summary": ("Change", "การเปลี่ยนแปลง"), "map.source": ("Source", "ที่มา"),
    "map.source.editor": ("editor", "ตัวแก้ไขการจับคู่"), "map.source.file": ("mapping file", "ไฟล์การจับคู่"),
    "map.source.undo": ("undo", "ย้อนการแก้ไข"), "map.source.restore": ("restore", "นำฉบับเดิมกลับมา"),
    "map.no_history": ("The mapping has not been saved yet.", "ยังไม่เคยบันทึกการจับคู่"),
    "map.diff": ("Changes from the previous revision", "ความแตกต่างจากฉบับก่อนหน้า"),
    "map.backup": ("Course backup", "ไฟล์สำรองรายวิชา"),
    "map.backup_lead": ("Upload a Moodle course backup (.mbz) to list the course's activities in course order. "
                        "Save your mapping first: the upload reloads this page.",
                        "อัปโหลดไฟล์สำรองรายวิชาของ Moodle (.mbz) เพื่อแสดงกิจกรรมตามลำดับในรายวิชา "
                        "โปรดบันทึกการจับคู่ก่อน เพราะการอัปโหลดจะโหลดหน้านี้ใหม่"),
    "map.upload": ("Upload backup", "อัปโหลด"),
    "map.backup_read": ("Backup {name}: {count} activities ({new} new).",
                        "ไฟล์สำรอง {name}: {count} กิจกรรม (ใหม่ {new})"),
    "map.backup_moved": ("The backup was made at {site}; its activities are recorded for this course's site {here}.",
                         "ไฟล์สำรองสร้างที่ {site} กิจกรรมถูกบันทึกสำหรับเว็บไซต์ของรายวิชานี้ {here}"),
    "map.backup_missing": ("backup: choose a .mbz file to upload.", "backup: โปรดเลือกไฟล์ .mbz"),
    "map.backup_too_big": ("backup: the file is larger than {mb} MB.", "backup: ไฟล์ใหญ่กว่า {mb} MB"),
    "map.backup_bad": ("backup: not a readable Moodle course backup ({reason}).",
                       "backup: ไม่ใช่ไฟล์สำรองรายวิชา Moodle ที่อ่านได้ ({reason})"),
    "map.backup_other_course": ("backup: this is a backup of course {id} ({name}), not of this course ({here}).",
                                "backup: ไฟล์นี้เป็นไฟล์สำรองของรายวิชา {id} ({name}) ไม่ใช่รายวิชานี้ ({here})"),
    "map.bad_threshold": ("threshold: give a percentage from 0 to 100, not {value!r}.",
                          "threshold: ใส่ร้อยละตั้งแต่ 0 ถึง 100 ไม่ใช่ {value!r}"),
    "map.no_verbs": ("verbs: tick at least one verb or give its IRI.",
                     "verbs: เลือกคำกริยาอย่างน้อยหนึ่งคำ หรือใส่ IRI ของคำกริยา"),
    "map.bad_rule": ("rule: choose one of the listed rules.", "rule: โปรดเลือกเงื่อนไขจากรายการ"),
    "map.no_threshold": ("threshold: give the score needed, a percentage from 0 to 100.",
                         "threshold: ใส่คะแนนขั้นต่ำเป็นร้อยละตั้งแต่ 0 ถึง 100"),
})


def _editor(course: Course, user: User, slots: list[Slot], status: int = 200, *,
            backup_error: str | None = None, general: list[str] | None = None) -> tuple[str, int]:
    db = get_session()
    standard = store.standard_index(db)
    rows = activity_rows(activities.course_activities(db, course), slots)
    known = {row.key for row in rows if row.source}
    return render("mapping/editor.html", status, course=course, user=user, role="coordinator",
                  roles=access.roles_in(course, user), csrf=access.csrf_token(), rows=rows, known=known,
                  standard=standard, verbs=COMMON_VERBS, errors=[s for s in slots if s.errors], general=general or [],
                  backup_error=backup_error, revision=store.current_revision(db, course))


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
            return _refuse_backup(course, user, 400, i18n.translate("map.backup_bad", reason=str(error)))
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


def _refuse_backup(course: Course, user: User, status: int, message: str) -> tuple[str, int]:
    mapping = store.current_mapping(get_session(), course, store.standard_index(get_session()))
    return _editor(course, user, slots_of(mapping), status, backup_error=message)


def _upload_dir() -> Path:
    """Uploads wait here only while being read; the temp file is gone when the request ends."""
    path = Path(current_app.instance_path) / "uploads"
    path.mkdir(parents=True, exist_ok=True)
    return path
