"""The learner's evidence pages: texts as (English, Thai), registered with the launch catalogue on import."""

from __future__ import annotations

from plugin.launch import i18n

__all__ = ["MESSAGES"]

MESSAGES: dict[str, tuple[str, str]] = {
    "ev.title": ("My evidence", "หลักฐานของฉัน"),
    "ev.lead": ("Add evidence of your own work for the criteria and evidence items of this course: files, a link, "
                "and in your own words what you did and how it shows the item. Your assessor sees it in your "
                "portfolio.",
                "เพิ่มหลักฐานผลงานของคุณเองสำหรับเกณฑ์และรายการหลักฐานของรายวิชานี้ ได้แก่ ไฟล์ ลิงก์ "
                "และคำอธิบายด้วยคำพูดของคุณเองว่าทำอะไรและแสดงถึงรายการนั้นอย่างไร ผู้ประเมินจะเห็นในแฟ้มสะสมผลงานของคุณ"),
    "ev.add": ("Add evidence", "เพิ่มหลักฐาน"),
    "ev.for": ("What it is evidence for", "เป็นหลักฐานสำหรับ"),
    "ev.criteria": ("Performance criteria", "เกณฑ์การปฏิบัติงาน"),
    "ev.items": ("Knowledge and performance evidence", "หลักฐานความรู้และหลักฐานการปฏิบัติงาน"),
    "ev.account": ("In your own words: what you did, and how it shows this", "อธิบายด้วยคำพูดของคุณเอง: คุณทำอะไร "
                   "และแสดงถึงรายการนี้อย่างไร"),
    "ev.link": ("A link (optional)", "ลิงก์ (ถ้ามี)"),
    "ev.files": ("Files (optional): PDF, images, office documents or text; at most {count}, {mb} MB each",
                 "ไฟล์ (ถ้ามี): PDF รูปภาพ เอกสารสำนักงาน หรือข้อความ ไม่เกิน {count} ไฟล์ ไฟล์ละไม่เกิน {mb} MB"),
    "ev.submit": ("Add this evidence", "เพิ่มหลักฐานนี้"),
    "ev.mine": ("Evidence you have added", "หลักฐานที่คุณเพิ่มแล้ว"),
    "ev.none": ("You have not added any evidence yet.", "คุณยังไม่ได้เพิ่มหลักฐาน"),
    "ev.added_at": ("Added {when}", "เพิ่มเมื่อ {when}"),
    "ev.after_judgement": ("added after the last judgement", "เพิ่มหลังการตัดสินครั้งล่าสุด"),
    "ev.withdraw": ("Withdraw", "ถอนหลักฐานนี้"),
    "ev.added": ("Your evidence was added. Your assessor will see it in your portfolio.",
                 "เพิ่มหลักฐานแล้ว ผู้ประเมินจะเห็นในแฟ้มสะสมผลงานของคุณ"),
    "ev.withdrawn": ("The evidence was withdrawn.", "ถอนหลักฐานแล้ว"),
    "ev.problem": ("This evidence was not added", "ยังไม่ได้เพิ่มหลักฐานนี้"),
    "ev.details": ("Details", "รายละเอียด"),
    "ev.no_units": ("This course maps no unit of the standard yet, so there is nothing to add evidence for.",
                    "รายวิชานี้ยังไม่ได้จับคู่กับหน่วยสมรรถนะ จึงยังเพิ่มหลักฐานไม่ได้"),
    "ev.off": ("This course does not take evidence you add yourself: the course's coordinator has switched it off. "
               "Evidence you added before stays in your records.",
               "รายวิชานี้ไม่รับหลักฐานที่ผู้เรียนเพิ่มเอง ผู้ประสานงานรายวิชาได้ปิดการรับหลักฐานนี้ไว้ "
               "หลักฐานที่คุณเพิ่มไว้ก่อนหน้านี้ยังอยู่ในบันทึกของคุณ"),
    "ev.off.short": ("This course does not take evidence you add yourself.",
                     "รายวิชานี้ไม่รับหลักฐานที่ผู้เรียนเพิ่มเอง"),
    "ev.back": ("Back to my progress", "กลับไปที่ความก้าวหน้าของฉัน"),
    "pf.piece.download": ("download", "ดาวน์โหลด"),
    "ev.refused.no_codes": ("Choose at least one criterion or evidence item this is evidence for.",
                            "โปรดเลือกเกณฑ์หรือรายการหลักฐานอย่างน้อยหนึ่งรายการ"),
    "ev.refused.unknown_code": ("{code} is not a criterion or evidence item of this course.",
                                "{code} ไม่ใช่เกณฑ์หรือรายการหลักฐานของรายวิชานี้"),
    "ev.refused.no_account": ("Say in your own words what you did and how it shows the item.",
                              "โปรดอธิบายด้วยคำพูดของคุณเองว่าทำอะไรและแสดงถึงรายการนั้นอย่างไร"),
    "ev.refused.account_long": ("Your account is longer than {limit} characters.",
                                "คำอธิบายยาวเกิน {limit} ตัวอักษร"),
    "ev.refused.link": ("The link must be a web address starting with https:// or http://.",
                        "ลิงก์ต้องเป็นที่อยู่เว็บที่ขึ้นต้นด้วย https:// หรือ http://"),
    "ev.refused.too_many": ("At most {limit} files in one piece of evidence.",
                            "หลักฐานหนึ่งชิ้นแนบไฟล์ได้ไม่เกิน {limit} ไฟล์"),
    "ev.refused.judged": ("This evidence has been judged, so it stays in your record.",
                          "หลักฐานนี้ได้รับการตัดสินแล้ว จึงต้องอยู่ในบันทึกของคุณ"),
    "ev.file.no_name": ("A file has no name.", "มีไฟล์ที่ไม่มีชื่อ"),
    "ev.file.too_big": ("A file is larger than {mb} MB.", "มีไฟล์ที่ใหญ่เกิน {mb} MB"),
    "ev.file.type": ("{name}: this kind of file is not accepted. Use PDF, an image, an office document or text.",
                     "{name}: ไม่รับไฟล์ประเภทนี้ โปรดใช้ PDF รูปภาพ เอกสารสำนักงาน หรือข้อความ"),
    "ev.file.empty": ("{name} is empty.", "{name} เป็นไฟล์ว่าง"),
    "ev.file.infected": ("{name} was refused: the virus scanner found {signature} in it.",
                         "ไม่รับไฟล์ {name}: โปรแกรมตรวจไวรัสพบ {signature} ในไฟล์นี้"),
    "ev.file.not_scanned": ("{name} was not added: the virus scanner cannot be reached, so no file can be checked "
                            "now. Please try again later or tell the course's coordinator.",
                            "ยังไม่ได้เพิ่มไฟล์ {name}: ติดต่อโปรแกรมตรวจไวรัสไม่ได้ จึงยังตรวจไฟล์ไม่ได้ในขณะนี้ "
                            "โปรดลองอีกครั้งภายหลัง หรือแจ้งผู้ประสานงานรายวิชา"),
    "ev.file.mismatch": ("{name}: its content is not what its name says.",
                         "{name}: เนื้อหาของไฟล์ไม่ตรงกับชนิดที่ชื่อไฟล์ระบุ"),
}

i18n.register_messages(MESSAGES)
