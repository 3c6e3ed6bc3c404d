"""The coverage page's words, English and Thai (plugin.launch.i18n), and the words its CSV and heat map use."""

from __future__ import annotations

from plugin.coverage import STATUSES
from plugin.launch import i18n

__all__ = ["export_words"]

i18n.register_messages({
    "cov.title": ("Coverage", "ความครอบคลุม"),
    "cov.no_mapping": ("No mapping is saved for this course yet.", "รายวิชานี้ยังไม่มีการจับคู่กิจกรรม"),
    "cov.mapping_version": ("Mapping version {version}", "ฉบับการจับคู่ {version}"),
    "cov.refreshing_title": ("Learner figures are being refreshed.", "กำลังปรับปรุงตัวเลขของผู้เรียน"),
    "cov.refreshing": ("The mapping or the learning records changed, so every record is being counted again. "
                       "Meanwhile these are the figures as of {time}; activities new to the mapping are not "
                       "counted yet. Reload the page in a few minutes.",
                       "การจับคู่กิจกรรมหรือบันทึกการเรียนรู้เปลี่ยนไป จึงกำลังนับบันทึกทั้งหมดใหม่ "
                       "ระหว่างนี้ตัวเลขที่แสดงเป็นของเวลา {time} กิจกรรมที่เพิ่งเพิ่มในการจับคู่ยังไม่ถูกนับ "
                       "โปรดโหลดหน้านี้ใหม่ในอีกไม่กี่นาที"),
    "cov.refreshing_first": ("Every learning record of the course is being counted for the first time; until then "
                             "no learner shows evidence. Reload the page in a few minutes.",
                             "กำลังนับบันทึกการเรียนรู้ทั้งหมดของรายวิชาเป็นครั้งแรก ระหว่างนี้ผู้เรียนทุกคนจะยังไม่แสดงหลักฐาน "
                             "โปรดโหลดหน้านี้ใหม่ในอีกไม่กี่นาที"),
    "cov.reload": ("Reload", "โหลดใหม่"),
    "cov.units": ("Gaps per unit", "ช่องว่างในแต่ละหน่วยสมรรถนะ"),
    "cov.unit": ("Unit", "หน่วยสมรรถนะ"),
    "cov.element": ("Element", "สมรรถนะย่อย"),
    "cov.criteria": ("Criteria", "เกณฑ์การปฏิบัติงาน"),
    "cov.criterion": ("Performance criterion", "เกณฑ์การปฏิบัติงาน"),
    "cov.gaps": ("Gaps", "ช่องว่าง"),
    "cov.matrix": ("Criteria × activities", "เกณฑ์ × กิจกรรม"),
    "cov.matrix_lead": ("K: the activity gives knowledge evidence; P: performance evidence.",
                        "K: กิจกรรมเป็นหลักฐานความรู้ P: หลักฐานการปฏิบัติงาน"),
    "cov.activity": ("Activity", "กิจกรรม"),
    "cov.activities": ("Activities", "จำนวนกิจกรรม"),
    "cov.gap": ("gap: no activity", "ช่องว่าง: ไม่มีกิจกรรม"),
    "cov.progress": ("Learner progress", "ความก้าวหน้าของผู้เรียน"),
    "cov.learner": ("Learner", "ผู้เรียน"),
    "cov.never_launched": ("seen in the learning records, never opened Samattha",
                           "พบในบันทึกการเรียนรู้ แต่ยังไม่เคยเปิด Samattha"),
    "cov.never_launched_count": ("{count} learners marked † are {what}.", "ผู้เรียนที่มีเครื่องหมาย † ({count} คน) {what}"),
    "cov.unmatched": ("Learning records of nobody in the course", "บันทึกการเรียนรู้ที่ไม่ตรงกับผู้เรียนคนใดในรายวิชา"),
    "cov.unmatched_lead": ("Records about this course from people who are not its learners or staff.",
                           "บันทึกเกี่ยวกับรายวิชานี้จากผู้ที่ไม่ใช่ผู้เรียนหรือบุคลากรของรายวิชา"),
    "cov.who": ("Who", "ผู้กระทำ"), "cov.did": ("Did", "การกระทำ"), "cov.what": ("What", "สิ่งที่ทำ"),
    "cov.when": ("Recorded", "บันทึกเมื่อ"),
    "cov.none_unmatched": ("None.", "ไม่มี"),
    "cov.csv": ("Download CSV", "ดาวน์โหลด CSV"),
    "cov.svg": ("Heat map of every learner (SVG)", "แผนภาพความร้อนของผู้เรียนทุกคน (SVG)"),
    "cov.status.none": ("no evidence yet", "ยังไม่มีหลักฐาน"),
    "cov.status.some": ("worked on, rule not met", "เริ่มทำแล้ว ยังไม่ถึงเงื่อนไข"),
    "cov.status.evidenced": ("evidenced", "มีหลักฐานแล้ว"),
    "cov.status.signed_off": ("signed off by an assessor", "ผู้ประเมินรับรองแล้ว"),
    "cov.filters": ("Find learners", "ค้นหาผู้เรียน"),
    "cov.search": ("Name", "ชื่อ"),
    "cov.all_units": ("All units", "ทุกหน่วยสมรรถนะ"),
    "cov.show": ("Show", "แสดง"),
    "cov.learner_status": ("Progress", "ความก้าวหน้า"),
    "cov.status_all": ("Everyone", "ทุกคน"),
    "cov.status_not_started": ("Not started", "ยังไม่เริ่ม"),
    "cov.status_in_progress": ("Under way", "กำลังดำเนินการ"),
    "cov.status_complete": ("Every criterion evidenced", "มีหลักฐานครบทุกเกณฑ์"),
    "cov.sort": ("Order", "เรียงตาม"),
    "cov.sort_name": ("Name", "ชื่อ"),
    "cov.sort_most": ("Most progress first", "ความก้าวหน้ามากก่อน"),
    "cov.sort_least": ("Least progress first", "ความก้าวหน้าน้อยก่อน"),
    "cov.apply": ("Show learners", "แสดงผู้เรียน"),
    "cov.showing": ("Learners {first}–{last} of {count}", "ผู้เรียนคนที่ {first}–{last} จาก {count} คน"),
    "cov.no_learners": ("No learner matches.", "ไม่มีผู้เรียนที่ตรงกับเงื่อนไข"),
    "cov.previous": ("Previous", "ก่อนหน้า"), "cov.next": ("Next", "ถัดไป"),
    "cov.pages": ("Pages of learners", "หน้ารายชื่อผู้เรียน"),
    "cov.page_of": ("Page {page} of {pages}", "หน้า {page} จาก {pages}"),
    "cov.done": ("Evidenced", "มีหลักฐาน"),
    "cov.with_evidence": ("Learners with evidence", "ผู้เรียนที่มีหลักฐาน"),
    "cov.criterion_help": ("Tab to a criterion's number, or point at it, to read it.",
                           "กด Tab ไปที่หมายเลขเกณฑ์ หรือชี้ที่หมายเลข เพื่ออ่านข้อความของเกณฑ์"),
    "cov.heat": ("Share of learners with evidence, by criterion", "สัดส่วนผู้เรียนที่มีหลักฐาน แยกตามเกณฑ์"),
    "cov.heat_lead": ("Each square is one performance criterion; the number is the per cent of the {count} learners "
                      "shown who have evidence for it (evidenced or signed off). Darker is more.",
                      "แต่ละช่องคือเกณฑ์การปฏิบัติงานหนึ่งข้อ ตัวเลขคือร้อยละของผู้เรียนที่แสดง {count} คน "
                      "ที่มีหลักฐานสำหรับเกณฑ์นั้น (มีหลักฐานแล้วหรือผู้ประเมินรับรองแล้ว) สีเข้มหมายถึงมาก"),
    "cov.heat_x": ("Performance criterion (number within the unit) →", "เกณฑ์การปฏิบัติงาน (ลำดับในหน่วย) →"),
    "cov.heat_y": ("Unit ↓", "หน่วยสมรรถนะ ↓"),
    "cov.heat_cell": ("{code}: {percent} % ({count} of {total})", "{code}: ร้อยละ {percent} ({count} จาก {total})"),
    "cov.weekly": ("Criteria evidenced per week", "จำนวนเกณฑ์ที่มีหลักฐานในแต่ละสัปดาห์"),
    "cov.weekly_lead": ("For the whole course: each bar counts the criteria learners first gave evidence for in "
                        "the week starting that Monday ({zone}).",
                        "ทั้งรายวิชา: แต่ละแท่งนับเกณฑ์ที่ผู้เรียนมีหลักฐานครั้งแรกในสัปดาห์ที่เริ่มวันจันทร์นั้น ({zone})"),
    "cov.weekly_none": ("No evidence recorded yet.", "ยังไม่มีหลักฐาน"),
    "cov.weekly_x": ("Week starting", "สัปดาห์ที่เริ่ม"),
    "cov.weekly_y": ("Criteria evidenced", "เกณฑ์ที่มีหลักฐาน"),
    "cov.weekly_table": ("The figures", "ตัวเลข"),
    "cov.weekly_total": ("In all: {total}", "รวม {total}"),
    "cov.bad.page": ("page: give a page number from 1.", "page: โปรดระบุหมายเลขหน้าตั้งแต่ 1"),
    "cov.bad.unit": ("unit: this course's report has no unit {value}.", "unit: รายงานของรายวิชานี้ไม่มีหน่วย {value}"),
    "cov.bad.status": ("status: choose one of the listed kinds of progress.",
                       "status: โปรดเลือกความก้าวหน้าจากรายการ"),
    "cov.bad.sort": ("sort: choose one of the listed orders.", "sort: โปรดเลือกการเรียงจากรายการ"),
    "cov.bad.q": ("q: a name of at most 200 characters.", "q: ชื่อยาวได้ไม่เกิน 200 ตัวอักษร"),
    "cov.bad_title": ("This list cannot be shown", "ไม่สามารถแสดงรายการนี้ได้"),
    "cov.back": ("Show every learner", "แสดงผู้เรียนทุกคน"),
    "cov.csv.learner": ("learner", "รหัสผู้เรียน"), "cov.csv.name": ("name", "ชื่อ"),
    "cov.csv.last_evidence": ("evidence last grew ({zone})", "มีหลักฐานเพิ่มล่าสุด ({zone})"),
    "cov.svg.title": ("Learner progress by performance criterion", "ความก้าวหน้าของผู้เรียนตามเกณฑ์การปฏิบัติงาน"),
    "cov.svg.x_axis": ("Performance criteria by unit (number within the element)",
                       "เกณฑ์การปฏิบัติงานตามหน่วยสมรรถนะ (ลำดับในสมรรถนะย่อย)"),
    "cov.svg.y_axis": ("Learners", "ผู้เรียน"),
})


def export_words(zone: str) -> dict[str, str]:
    """The words of the CSV and the SVG heat map in the page's language (keys of plugin.coverage.ENGLISH_WORDS)."""
    words: dict[str, str] = {status: i18n.translate(f"cov.status.{status}") for status in STATUSES}
    words |= {key: i18n.translate(f"cov.csv.{key}", zone=zone) for key in ("learner", "name", "last_evidence")}
    words |= {key: i18n.translate(f"cov.svg.{key}") for key in ("title", "x_axis", "y_axis")}
    return words
