"""The conversations' texts as (English, Thai), registered with the launch catalogue on import."""

from __future__ import annotations

from plugin.launch import i18n

__all__ = ["MESSAGES"]

MESSAGES: dict[str, tuple[str, str]] = {
    "cv.title": ("Conversation on unit {code}", "การสนทนาเรื่องหน่วย {code}"),
    "cv.heading": ("Conversation with the assessors", "การสนทนากับผู้ประเมิน"),
    "cv.heading.staff": ("Conversation with the learner", "การสนทนากับผู้เรียน"),
    "cv.link": ("Conversation on this unit ({count})", "การสนทนาเรื่องหน่วยนี้ ({count})"),
    "cv.none": ("No comments yet.", "ยังไม่มีความเห็น"),
    "cv.write": ("Your comment", "ความเห็นของคุณ"),
    "cv.send": ("Send comment", "ส่งความเห็น"),
    "cv.sent": ("Comment sent.", "ส่งความเห็นแล้ว"),
    "cv.wrote": ("{name} ({role}) on {when}", "{name} ({role}) เมื่อ {when}"),
    "cv.back": ("Back to my course page", "กลับไปหน้ารายวิชาของฉัน"),
    "cv.back.staff": ("Back to the portfolio", "กลับไปที่แฟ้มสะสมผลงาน"),
    "cv.latest": ("Latest judgement", "ผลการตัดสินล่าสุด"),
    "cv.add_evidence": ("Add evidence for this unit", "เพิ่มหลักฐานสำหรับหน่วยนี้"),
    "cv.problem": ("The comment was not sent", "ยังไม่ได้ส่งความเห็น"),
    "cv.bad.empty": ("body: write a comment before sending it", "ความเห็น (body): โปรดเขียนความเห็นก่อนส่ง"),
    "cv.bad.long": ("body: at most {limit} characters", "ความเห็น (body): ไม่เกิน {limit} ตัวอักษร"),
    "nw.title": ("New for you", "มีอะไรใหม่สำหรับคุณ"),
    "nw.comment": ("{name} commented on unit {code}", "{name} แสดงความเห็นเรื่องหน่วย {code}"),
    "nw.judgement": ("Unit {code} judged: {outcome}", "หน่วย {code} ได้รับการตัดสิน: {outcome}"),
    "nw.seen": ("Mark all as seen", "ทำเครื่องหมายว่าอ่านแล้วทั้งหมด"),
    "ask.added": ("I have added evidence: assess me again", "ฉันเพิ่มหลักฐานแล้ว ขอให้ประเมินอีกครั้ง"),
}

i18n.register_messages(MESSAGES)
