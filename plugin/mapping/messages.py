"""The mapping editor's words, English and Thai (plugin.launch.i18n): rules, actions and kinds of activity in
plain words, and a Thai text for every problem a mapping can have (plugin.mapping.files names each by key)."""

from __future__ import annotations

from plugin.launch import i18n

__all__: list[str] = []

i18n.register_messages({
    "map.title": ("Mapping", "การจับคู่กิจกรรมกับเกณฑ์"),
    "map.lead": ("For each activity, choose the units, elements or criteria it gives evidence for, the kind of "
                 "evidence and what the learner must do for it to count.",
                 "สำหรับแต่ละกิจกรรม เลือกหน่วยสมรรถนะ สมรรถนะย่อย หรือเกณฑ์ที่กิจกรรมเป็นหลักฐาน ชนิดของหลักฐาน "
                 "และสิ่งที่ผู้เรียนต้องทำเพื่อให้นับเป็นหลักฐาน"),
    "map.activity": ("Activity", "กิจกรรม"), "map.targets": ("Criteria", "เกณฑ์"),
    "map.evidence": ("Evidence", "ชนิดหลักฐาน"), "map.rule": ("Counts when", "นับเป็นหลักฐานเมื่อ"),
    "map.threshold": ("Score threshold (% of the maximum)", "คะแนนขั้นต่ำ (% ของคะแนนเต็ม)"),
    "map.verbs": ("The learner has", "ผู้เรียนได้"),
    "map.verbs_other": ("Other actions, by their xAPI verb id, one per line",
                        "การกระทำอื่น ระบุด้วยรหัสคำกริยา xAPI บรรทัดละหนึ่งรายการ"),
    "map.knowledge": ("Knowledge", "ความรู้"), "map.performance": ("Performance", "การปฏิบัติงาน"),
    "map.rule.completed": ("completed", "ทำกิจกรรมเสร็จ"), "map.rule.passed": ("passed", "ผ่าน"),
    "map.rule.score": ("score ≥ threshold", "คะแนน ≥ เกณฑ์"),
    "map.rule.verbs": ("did one of the ticked actions", "ทำอย่างใดอย่างหนึ่งที่เลือกไว้"),
    "map.rule.any": ("did anything in the activity", "ทำสิ่งใดก็ได้ในกิจกรรม"),
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
    "map.hint.completed": ("Counts when the activity reports it completed. Moodle never reports this for an "
                           "assignment, a page or a forum.",
                           "นับเมื่อกิจกรรมรายงานว่าผู้เรียนทำเสร็จ Moodle ไม่รายงานข้อมูลนี้สำหรับงานมอบหมาย หน้าเว็บ "
                           "หรือกระดานเสวนา"),
    "map.hint.passed": ("Counts a result marked a success. Moodle marks every graded assignment a success, whatever "
                        "the grade.",
                        "นับผลที่ระบุว่าผ่าน Moodle ระบุว่างานมอบหมายที่ให้คะแนนแล้วผ่านเสมอ ไม่ว่าคะแนนเท่าใด"),
    "map.hint.score": ("Counts a score on the activity, or on its attempt, of at least the threshold.",
                       "นับเมื่อคะแนนของกิจกรรมหรือของการทำแบบทดสอบไม่น้อยกว่าเกณฑ์"),
    "map.hint.verbs": ("Counts when the learner does one of the ticked actions, anywhere inside the activity.",
                       "นับเมื่อผู้เรียนทำอย่างใดอย่างหนึ่งที่เลือกไว้ ณ ส่วนใดก็ได้ของกิจกรรม"),
    "map.hint.any": ("Counts anything the learner does in the activity.", "นับทุกสิ่งที่ผู้เรียนทำในกิจกรรม"),
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
    "map.le.title": ("Evidence learners add themselves", "หลักฐานที่ผู้เรียนเพิ่มเอง"),
    "map.le.on": ("On: learners may add files, links and their own account of their work beside each criterion "
                  "and evidence item of their portfolio. It counts for what they name, for an assessor to judge.",
                  "เปิดอยู่: ผู้เรียนเพิ่มไฟล์ ลิงก์ และคำอธิบายผลงานของตนเองไว้ข้างเกณฑ์และรายการหลักฐานในแฟ้มสะสมผลงานได้ "
                  "หลักฐานนั้นนับสำหรับรายการที่ผู้เรียนระบุ เพื่อให้ผู้ประเมินตัดสิน"),
    "map.le.off": ("Off: learners cannot add evidence of their own in this course. Pieces already added stay in "
                   "the learning records, uncounted, and count again if you switch this back on.",
                   "ปิดอยู่: ผู้เรียนเพิ่มหลักฐานของตนเองในรายวิชานี้ไม่ได้ หลักฐานที่เพิ่มไว้แล้วยังอยู่ในบันทึกการเรียนรู้ "
                   "แต่ไม่นับ และจะนับอีกครั้งเมื่อเปิดใช้งานอีกครั้ง"),
    "map.le.switch.off": ("Switch off", "ปิดการรับหลักฐาน"),
    "map.le.switch.on": ("Switch on", "เปิดการรับหลักฐาน"),
    "map.le.saved.off": ("Learners can no longer add evidence of their own (revision {number}).",
                         "ปิดการรับหลักฐานที่ผู้เรียนเพิ่มเองแล้ว (ฉบับที่ {number})"),
    "map.le.saved.on": ("Learners may add evidence of their own (revision {number}).",
                        "เปิดให้ผู้เรียนเพิ่มหลักฐานของตนเองแล้ว (ฉบับที่ {number})"),
    "map.le.bad": ("learner_evidence: say on or off, not \"{value}\".",
                   "learner_evidence: ต้องเป็น on หรือ off ไม่ใช่ \"{value}\""),
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
    "map.backup_title": ("The course backup was not read", "ยังอ่านไฟล์สำรองรายวิชาไม่ได้"),
    "map.backup_missing": ("Course backup: choose a .mbz file to upload.", "ไฟล์สำรองรายวิชา: โปรดเลือกไฟล์ .mbz"),
    "map.backup_too_big": ("Course backup: the file is larger than {mb} MB.",
                           "ไฟล์สำรองรายวิชา: ไฟล์ใหญ่กว่า {mb} MB"),
    "map.backup_bad": ("Course backup: this file is not a Moodle course backup Samattha can read. In Moodle, make "
                       "one with Course → More → Course reuse → Backup, and upload the .mbz file it gives.",
                       "ไฟล์สำรองรายวิชา: ไฟล์นี้ไม่ใช่ไฟล์สำรองรายวิชา Moodle ที่ Samattha อ่านได้ ใน Moodle ให้สร้างไฟล์สำรองที่ "
                       "รายวิชา → เพิ่มเติม → การนำรายวิชามาใช้ใหม่ → สำรองข้อมูล แล้วอัปโหลดไฟล์ .mbz ที่ได้"),
    "map.backup_other_course": ("Course backup: this is a backup of course {id} ({name}), not of this course "
                                "({here}).",
                                "ไฟล์สำรองรายวิชา: ไฟล์นี้เป็นไฟล์สำรองของรายวิชา {id} ({name}) ไม่ใช่รายวิชานี้ ({here})"),
    "map.technical": ("Technical detail", "รายละเอียดทางเทคนิค"),
    "map.bad_threshold": ("Score threshold: give a percentage from 0 to 100, not {value!r}.",
                          "คะแนนขั้นต่ำ: ใส่ร้อยละตั้งแต่ 0 ถึง 100 ไม่ใช่ {value!r}"),
    "map.no_verbs": ("The learner has: tick at least one action.",
                     "ผู้เรียนได้: โปรดเลือกการกระทำอย่างน้อยหนึ่งอย่าง"),
    "map.bad_rule": ("Counts when: choose one of the listed rules.", "นับเป็นหลักฐานเมื่อ: โปรดเลือกเงื่อนไขจากรายการ"),
    "map.no_threshold": ("Score threshold: give the score needed, a percentage from 0 to 100.",
                         "คะแนนขั้นต่ำ: ใส่คะแนนขั้นต่ำเป็นร้อยละตั้งแต่ 0 ถึง 100"),
})

# The actions moodle-logstore_xapi reports (editor_form.COMMON_VERBS), as a coordinator says them.
i18n.register_messages({
    "map.verb.viewed": ("viewed it", "เปิดดู"), "map.verb.completed": ("completed it", "ทำเสร็จ"),
    "map.verb.answered": ("answered a question", "ตอบคำถาม"), "map.verb.scored": ("received a score", "ได้รับคะแนน"),
    "map.verb.submit": ("submitted work", "ส่งงาน"), "map.verb.start": ("started an attempt", "เริ่มทำแบบทดสอบ"),
    "map.verb.create": ("started a discussion", "ตั้งกระทู้"), "map.verb.replied": ("replied", "ตอบกระทู้"),
    "map.verb.edited": ("edited their work", "แก้ไขงาน"), "map.verb.achieved": ("achieved it", "ทำสำเร็จ"),
    "map.details": ("Details", "รายละเอียด"),
    "map.ids": ("Ids Samattha matches on", "รหัสที่ Samattha ใช้จับคู่"),
    "map.id.cmid": ("Moodle course module id (cmid)", "รหัสกิจกรรมใน Moodle (cmid)"),
    "map.id.iri": ("Activity id (xAPI IRI)", "รหัสกิจกรรม (xAPI IRI)"),
    "map.verb_ids": ("Action ids (xAPI verbs)", "รหัสการกระทำ (คำกริยา xAPI)"),
    "map.picking": ("Choosing criteria for: {name}", "กำลังเลือกเกณฑ์ให้: {name}"),
    "map.picking_kind": ("{kind} evidence", "หลักฐาน{kind}"),
    "map.criteria_count": ("{count} chosen", "เลือกแล้ว {count} รายการ"),
    "map.says.threshold": ("{rule} at least {threshold} %", "{rule} อย่างน้อยร้อยละ {threshold}"),
    "map.kind.assign": ("Assignment", "งานมอบหมาย"), "map.kind.quiz": ("Quiz", "แบบทดสอบ"),
    "map.kind.lesson": ("Lesson", "บทเรียน"), "map.kind.scorm": ("SCORM package", "แพ็กเกจ SCORM"),
    "map.kind.page": ("Page", "หน้าเว็บ"), "map.kind.url": ("Link", "ลิงก์ URL"), "map.kind.resource": ("File", "ไฟล์"),
    "map.kind.book": ("Book", "หนังสือ"), "map.kind.h5pactivity": ("H5P", "H5P"),
    "map.kind.folder": ("Folder", "โฟลเดอร์"),
    "map.kind.imscp": ("IMS content package", "ชุดเนื้อหา IMS"), "map.kind.forum": ("Forum", "กระดานเสวนา"),
    "map.kind.feedback": ("Feedback", "แบบสอบถามความคิดเห็น"), "map.kind.questionnaire": ("Questionnaire", "แบบสอบถาม"),
    "map.kind.survey": ("Survey", "แบบสำรวจ"), "map.kind.lti": ("External tool (LTI)", "เครื่องมือภายนอก (LTI)"),
    "map.kind.package": ("Samattha knowledge check or content package", "แบบทดสอบความรู้หรือชุดเนื้อหาของ Samattha"),
})

# Every problem plugin.mapping.files reports, by its key; {…} are the problem's own values.
i18n.register_messages({
    "mapfile.toml": ("the file is not valid TOML", "ไฟล์ไม่ใช่ TOML ที่ถูกต้อง"),
    "mapfile.missing": ("missing (required)", "ยังไม่ได้ระบุ (จำเป็น)"),
    "mapfile.type": ("must be {expected}, not {actual}", "ต้องเป็น {expected} ไม่ใช่ {actual}"),
    "mapfile.unknown_key": ("unknown key {name}", "ไม่รู้จักคีย์ {name}"),
    "mapfile.format_missing": ("the file must start with format = 1", "ไฟล์ต้องขึ้นต้นด้วย format = 1"),
    "mapfile.format": ("this version of Samattha reads format {expected}, not {actual}",
                       "Samattha รุ่นนี้อ่านได้เฉพาะ format {expected} ไม่ใช่ {actual}"),
    "mapfile.activities": ("activities must be [[activity]] tables", "กิจกรรมต้องเขียนเป็นตาราง [[activity]]"),
    "mapfile.course": ("a [course] table is needed", "ต้องมีตาราง [course]"),
    "mapfile.course_id": ("give Moodle's course id", "โปรดระบุรหัสรายวิชาของ Moodle"),
    "mapfile.wwwroot": ("not a Moodle site address (https://host[/path])",
                        "ไม่ใช่ที่อยู่เว็บไซต์ Moodle (https://host[/path])"),
    "mapfile.version": ("the version must be 1 or more", "ฉบับต้องเป็น 1 ขึ้นไป"),
    "mapfile.evidence": ("choose knowledge or performance evidence", "โปรดเลือกหลักฐานความรู้หรือหลักฐานการปฏิบัติงาน"),
    "mapfile.one_activity": ("name the activity once, by its Moodle course module id or by its address",
                             "ระบุกิจกรรมครั้งเดียว ด้วยรหัสกิจกรรมใน Moodle หรือด้วยที่อยู่ของกิจกรรม"),
    "mapfile.cmid": ("Moodle's course module id must be 1 or more", "รหัสกิจกรรมใน Moodle ต้องเป็น 1 ขึ้นไป"),
    "mapfile.iri": ("the activity's address is not a full address", "ที่อยู่ของกิจกรรมไม่ใช่ที่อยู่แบบเต็ม"),
    "mapfile.duplicate": ("this activity is already mapped for {evidence} evidence (activity {first})",
                          "กิจกรรมนี้จับคู่เป็นหลักฐาน{evidence}ไว้แล้ว (กิจกรรมที่ {first})"),
    "mapfile.rule": ("say when the activity counts", "โปรดระบุเงื่อนไขที่นับเป็นหลักฐาน"),
    "mapfile.rule_kind": ("choose one of the listed rules", "โปรดเลือกเงื่อนไขจากรายการ"),
    "mapfile.threshold": ("give the score needed, from 0 to 100 %", "ใส่คะแนนขั้นต่ำ ตั้งแต่ร้อยละ 0 ถึง 100"),
    "mapfile.verbs": ("tick at least one action", "โปรดเลือกการกระทำอย่างน้อยหนึ่งอย่าง"),
    "mapfile.verb": ("{verb} is not an action id (a full address)", "{verb} ไม่ใช่รหัสการกระทำ (ที่อยู่แบบเต็ม)"),
    "mapfile.targets": ("choose at least one unit, element, criterion or evidence item",
                        "โปรดเลือกหน่วยสมรรถนะ สมรรถนะย่อย เกณฑ์ หรือรายการหลักฐานอย่างน้อยหนึ่งรายการ"),
    "mapfile.code_type": ("codes are text", "รหัสต้องเป็นข้อความ"),
    "mapfile.unknown_code": ("the standard has no code {code}", "มาตรฐานไม่มีรหัส {code}"),
    "mapfile.unknown_code_near": ("the standard has no code {code}; did you mean {near}?",
                                  "มาตรฐานไม่มีรหัส {code} หมายถึง {near} หรือไม่"),
    "mapfile.twice": ("{code} is chosen twice", "เลือก {code} ซ้ำสองครั้ง"),
    "mapfile.kind": ("{code} is a {item} evidence item, but this activity gives {evidence} evidence",
                     "{code} เป็นรายการหลักฐาน{item} แต่กิจกรรมนี้เป็นหลักฐาน{evidence}"),
    "mapfile.kind.knowledge": ("knowledge", "ความรู้"), "mapfile.kind.performance": ("performance", "การปฏิบัติงาน"),
})

# A slot's rule as the summary line says it ("Knowledge · counts when graded at least 80 %").
i18n.register_messages({
    "map.short.submitted": ("submitted", "ส่งแล้ว"), "map.short.graded": ("graded", "ได้คะแนนจากผู้สอน"),
    "map.short.finished": ("finished", "ทำจนจบ"), "map.short.viewed": ("viewed", "เปิดดูแล้ว"),
    "map.short.posted": ("posted", "โพสต์แล้ว"), "map.short.completed": ("completed", "ทำเสร็จ"),
    "map.short.passed": ("passed", "ผ่าน"), "map.short.score": ("scored", "ได้คะแนน"),
    "map.short.activity-completion": ("marked complete by Moodle", "Moodle ระบุว่าเสร็จสมบูรณ์"),
    "map.short.verbs": ("did one of the ticked actions", "ทำอย่างใดอย่างหนึ่งที่เลือกไว้"),
    "map.short.any": ("did anything in it", "ทำสิ่งใดก็ได้ในกิจกรรม"),
    "map.counts_when": ("counts when {rule}", "นับเมื่อ{rule}"),
})

i18n.register_messages({"map.backup_file": ("Moodle course backup file (.mbz)", "ไฟล์สำรองรายวิชาของ Moodle (.mbz)")})
i18n.register_messages({"map.untitled": ("{kind} no. {number} in Moodle", "{kind} หมายเลข {number} ใน Moodle")})
i18n.register_messages({"map.whole_unit": ("The whole unit {code}", "ทั้งหน่วยสมรรถนะ {code}")})
