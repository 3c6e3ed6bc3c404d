"""A tiny Thai/English catalogue for the LTI pages. The language starts from the launch's
``launch_presentation.locale`` (LTI Core 1.3 §5.4.4; Moodle sends its user language, "th" or "en") until the
person picks one with the switch on every page; that choice is kept on them, so it outlives the session."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from flask import Flask, g, request, session

__all__ = [
    "CHOSEN_KEY", "ENGLISH", "LANGUAGES", "THAI", "current_language", "error_texts", "install", "label",
    "language_for", "moodle_role_labels", "reason", "register_messages", "role_labels", "translate",
]

THAI, ENGLISH = "th", "en"
LANGUAGES = (THAI, ENGLISH)
CHOSEN_KEY = "language"  # the session's copy of the person's choice; the launch's locale is access.LOCALE_KEY

# key -> (English, Thai). Placeholders use str.format names.
MESSAGES: dict[str, tuple[str, str]] = {
    "refused.title": ("The launch was refused", "ไม่สามารถเปิดใช้งานได้"),
    "refused.lead": ("Samattha could not accept this request from Moodle. Reason:",
                     "Samattha ไม่สามารถรับคำขอนี้จาก Moodle ได้ เหตุผล:"),
    "refused.again": ("Go back to the course and open the activity again. If it keeps happening, show this code to "
                      "your Moodle administrator.",
                      "กลับไปที่รายวิชาแล้วเปิดกิจกรรมอีกครั้ง หากยังเกิดขึ้นอีก โปรดแจ้งรหัสนี้แก่ผู้ดูแลระบบ Moodle"),
    "refused.code": ("Code", "รหัส"),
    "newwindow.title": ("Open Samattha in a new window", "เปิด Samattha ในหน้าต่างใหม่"),
    "newwindow.lead": ("Your browser blocked the cookie Samattha needs inside Moodle's frame.",
                       "เบราว์เซอร์ของคุณบล็อกคุกกี้ที่ Samattha ต้องใช้ภายในกรอบของ Moodle"),
    "newwindow.button": ("Open in a new window", "เปิดในหน้าต่างใหม่"),
    "cookies.title": ("Cookies are blocked", "คุกกี้ถูกบล็อก"),
    "cookies.lead": ("Allow cookies for this site, then open the activity again from Moodle.",
                     "โปรดอนุญาตคุกกี้สำหรับเว็บไซต์นี้ แล้วเปิดกิจกรรมจาก Moodle อีกครั้ง"),
    "nosession.title": ("Please open Samattha from Moodle", "โปรดเปิด Samattha จาก Moodle"),
    "nosession.lead": ("This page is reached through the Samattha activity in your Moodle course.",
                       "หน้านี้เข้าถึงได้ผ่านกิจกรรม Samattha ในรายวิชา Moodle ของคุณ"),
    "forbidden.title": ("Not allowed", "ไม่ได้รับอนุญาต"),
    "forbidden.lead": ("Your role in this course does not give access to this page.",
                       "บทบาทของคุณในรายวิชานี้ไม่สามารถเข้าถึงหน้านี้ได้"),
    "role.learner": ("Learner", "ผู้เรียน"),
    "role.coordinator": ("Coordinator", "ผู้ประสานงานรายวิชา"),
    "role.assessor": ("Assessor", "ผู้ประเมิน"),
    "role.admin": ("Administrator", "ผู้ดูแลระบบ"),
    "role.viewer": ("Course staff", "บุคลากรของรายวิชา"),
    "viewer.lead": ("You teach in this course in Moodle, without a role in Samattha: you see which units of the "
                    "standard it covers, not learners' progress or portfolios. A coordinator can appoint you "
                    "assessor.",
                    "คุณเป็นผู้สอนในรายวิชานี้ใน Moodle แต่ยังไม่มีบทบาทใน Samattha จึงเห็นได้ว่ารายวิชาครอบคลุมหน่วยสมรรถนะใด "
                    "แต่ไม่เห็นความก้าวหน้าหรือแฟ้มสะสมผลงานของผู้เรียน ผู้ประสานงานรายวิชาแต่งตั้งคุณเป็นผู้ประเมินได้"),
    "roster.staff": ("Staff", "บุคลากรของรายวิชา"),
    "roster.learners": ("Learners", "ผู้เรียน"),
    "roster.no_staff": ("No staff listed yet.", "ยังไม่มีรายชื่อบุคลากร"),
    "roster.no_learners": ("No learners listed yet: sync the roster.", "ยังไม่มีรายชื่อผู้เรียน โปรดดึงรายชื่อจาก Moodle"),
    "roster.moodle_roles_at": ("Roles as Moodle's own course roles say (read through Web Services {when}).",
                               "บทบาทตามบทบาทในรายวิชาของ Moodle เอง (อ่านผ่าน Web Services เมื่อ {when})"),
    "roster.lti_roles": ("Roles as LTI sends them: Moodle calls editing and non-editing teachers alike "
                         "“Instructor”. Limit an Instructor below, or give Samattha a Web Services token so "
                         "Moodle's own roles decide.",
                         "บทบาทตามที่ LTI ส่งมา ซึ่ง Moodle เรียกทั้งผู้สอนและผู้สอนที่ไม่มีสิทธิ์แก้ไขว่า “Instructor” "
                         "เหมือนกัน กำหนดบทบาทของผู้สอนแต่ละคนได้ด้านล่าง หรือให้ Samattha ใช้ Web Services token "
                         "เพื่อใช้บทบาทจาก Moodle โดยตรง"),
    "in_samattha": ("In Samattha", "ใน Samattha"),
    "in_moodle": ("In Moodle", "ใน Moodle"),
    "standing.coordinator": ("Coordinator", "ผู้ประสานงานรายวิชา"),
    "standing.assessor": ("Assessor", "ผู้ประเมิน"),
    "standing.staff": ("Staff, view only", "บุคลากร ดูได้อย่างเดียว"),
    "standing.learner": ("Learner", "ผู้เรียน"),
    "standing.none": ("No role", "ไม่มีบทบาท"),
    "moodle_role.editingteacher": ("Teacher", "ผู้สอน"),
    "moodle_role.teacher": ("Non-editing teacher", "ผู้สอนที่ไม่มีสิทธิ์แก้ไข"),
    "moodle_role.manager": ("Manager", "ผู้จัดการ"),
    "moodle_role.coursecreator": ("Course creator", "ผู้สร้างรายวิชา"),
    "moodle_role.student": ("Student", "นักเรียน"),
    "lti_role.Instructor": ("Instructor (LTI)", "ผู้สอน (Instructor ทาง LTI)"),
    "lti_role.Learner": ("Learner (LTI)", "ผู้เรียน (Learner ทาง LTI)"),
    "lti_role.Administrator": ("Administrator (LTI)", "ผู้ดูแลระบบ (Administrator ทาง LTI)"),
    "staff.limit": ("Role here", "บทบาทใน Samattha"),
    "staff.limit.coordinate": ("Coordinates", "ประสานงานรายวิชา"),
    "staff.limit.assess": ("Assesses only", "ประเมินเท่านั้น"),
    "staff.limit.view": ("Views only", "ดูได้อย่างเดียว"),
    "staff.save": ("Save", "บันทึก"),
    "staff.saved": ("{name}: {what}.", "{name}: {what}"),
    "staff.set_by": ("set by {name}, {when}", "กำหนดโดย {name} เมื่อ {when}"),
    "course": ("Course", "รายวิชา"),
    "welcome": ("Welcome, {name}", "ยินดีต้อนรับ {name}"),
    "learner.units": ("Units of competency in this course", "หน่วยสมรรถนะในรายวิชานี้"),
    "learner.as_of": ("Your progress against each criterion, as compiled at {when}.",
                      "ความก้าวหน้าของคุณตามเกณฑ์แต่ละข้อ ณ การรวบรวมเมื่อ {when}"),
    "learner.not_compiled": ("Your progress appears here once your evidence has been compiled.",
                             "ความก้าวหน้าของคุณจะแสดงที่นี่เมื่อมีการรวบรวมหลักฐานแล้ว"),
    "learner.no_units": ("No unit of the standard is placed in this course yet.",
                         "ยังไม่มีหน่วยสมรรถนะที่ผูกกับรายวิชานี้"),
    "unit": ("Unit", "หน่วยสมรรถนะ"),
    "element": ("Element", "สมรรถนะย่อย"),
    "criterion": ("Performance criterion", "เกณฑ์การปฏิบัติงาน"),
    "roster": ("Roster", "รายชื่อในรายวิชา"),
    "roster.sync": ("Sync roster from Moodle", "ดึงรายชื่อจาก Moodle"),
    "roster.synced": ("Roster synced: {count} members.", "ดึงรายชื่อแล้ว: {count} คน"),
    "roster.never": ("Never synced", "ยังไม่เคยดึงรายชื่อ"),
    "roster.synced_at": ("Last synced {when}", "ดึงรายชื่อล่าสุดเมื่อ {when}"),
    "enrolment.status.Active": ("Active", "ใช้งานอยู่"),
    "enrolment.status.Inactive": ("Inactive", "ไม่ได้ใช้งาน"),
    "enrolment.status.Deleted": ("Removed from the course", "ถูกนำออกจากรายวิชา"),
    "enrolment.source.launch": ("Opened Samattha from Moodle", "เปิด Samattha จาก Moodle แล้ว"),
    "enrolment.source.nrps": ("Moodle roster only", "จากรายชื่อใน Moodle เท่านั้น"),
    "name": ("Name", "ชื่อ"),
    "roles": ("Roles", "บทบาท"),
    "source": ("Source", "ที่มา"),
    "status": ("Status", "สถานะ"),
    "assessors": ("Assessors", "ผู้ประเมิน"),
    "assessors.none": ("No assessor is appointed.", "ยังไม่มีผู้ประเมิน"),
    "assessors.appoint": ("Appoint assessor", "แต่งตั้งผู้ประเมิน"),
    "assessors.revoke": ("Revoke", "ยกเลิก"),
    "assessors.appointed": ("Appointed", "แต่งตั้งเมื่อ"),
    "nav.mapping": ("Mapping editor", "การจับคู่กิจกรรมกับเกณฑ์"),
    "nav.coverage": ("Coverage", "ความครอบคลุม"),
    "nav.portfolios": ("Portfolios", "แฟ้มสะสมผลงาน"),
    "nav.my_portfolio": ("My portfolio", "แฟ้มสะสมผลงานของฉัน"),
    "assessor.learners": ("Learners you assess", "ผู้เรียนที่คุณประเมิน"),
    "admin.platforms": ("Trusted platforms", "แพลตฟอร์มที่เชื่อถือ"),
    "admin.issuer": ("Issuer", "ผู้ออก (issuer)"),
    "admin.deployments": ("Deployments", "การติดตั้ง"),
    "admin.active": ("Active", "ใช้งาน"),
    "compile.failed": ("The portfolios of {count} learner(s) could not be compiled. Their earlier portfolio stands, "
                       "and the next compile run tries again; tell your Samattha administrator if this stays:",
                       "ไม่สามารถรวบรวมแฟ้มสะสมงานของผู้เรียน {count} คนได้ แฟ้มฉบับก่อนหน้ายังใช้อยู่ "
                       "และการรวบรวมรอบถัดไปจะลองใหม่ หากยังเป็นเช่นนี้โปรดแจ้งผู้ดูแลระบบ Samattha:"),
    "pages": ("Pages", "หน้า"),
    "dl.title": ("Place a Samattha activity", "วางกิจกรรม Samattha"),
    "dl.lead": ("Choose the unit or element of the standard this activity stands for.",
                "เลือกหน่วยสมรรถนะหรือสมรรถนะย่อยที่กิจกรรมนี้เป็นตัวแทน"),
    "dl.submit": ("Add to course", "เพิ่มลงในรายวิชา"),
    "dl.none": ("No standard is loaded: run `samattha standards import`.",
                "ยังไม่ได้นำเข้ามาตรฐาน: สั่ง `samattha standards import`"),
    "reg.title": ("Register Samattha with this platform", "ลงทะเบียน Samattha กับแพลตฟอร์มนี้"),
    "reg.lead": ("Samattha will register itself with {issuer} by LTI Dynamic Registration, asking for deep linking, "
                 "grades (AGS), the roster (NRPS) and users' names and e-mail addresses.",
                 "Samattha จะลงทะเบียนกับ {issuer} ด้วย LTI Dynamic Registration โดยขอสิทธิ์ deep linking, "
                 "การส่งคะแนน (AGS), รายชื่อผู้เรียน (NRPS) และชื่อกับอีเมลของผู้ใช้"),
    "reg.submit": ("Register", "ลงทะเบียน"),
    "reg.help.title": ("Samattha's address for Moodle's dynamic registration",
                       "ที่อยู่สำหรับลงทะเบียน Samattha กับ Moodle (Dynamic Registration)"),
    "reg.help.lead": ("Moodle opens this address itself when an administrator registers Samattha. In Moodle, go to "
                      "Site administration → Plugins → Activity modules → External tool → Manage tools, paste "
                      "{url} as the tool URL and choose “Add LTI Advantage”.",
                      "Moodle จะเปิดที่อยู่นี้เองเมื่อผู้ดูแลระบบลงทะเบียน Samattha ใน Moodle ไปที่ Site administration → "
                      "Plugins → Activity modules → External tool → Manage tools วาง {url} ในช่อง Tool URL "
                      "แล้วเลือก “Add LTI Advantage”"),
    "reg.done": ("Registration complete. Activate the tool in Moodle's tool list.",
                 "ลงทะเบียนเรียบร้อย โปรดเปิดใช้งานเครื่องมือในรายการเครื่องมือของ Moodle"),
}

# Reasons a launch is refused, in Thai; the English text comes from the ``lti`` error itself.
REASONS_TH: Mapping[str, str] = {
    "bad_signature": "ลายเซ็นของคำขอไม่ตรงกับกุญแจสาธารณะของแพลตฟอร์ม",
    "bad_aud": "คำขอนี้ไม่ได้ส่งถึงเครื่องมือนี้ (aud ไม่ตรงกับ client ID)",
    "azp_mismatch": "ผู้รับอนุญาต (azp) ไม่ใช่ client ID ของเครื่องมือนี้",
    "expired": "คำขอหมดอายุแล้ว ต้องถึงเครื่องมือภายในหนึ่งนาที",
    "iat_in_future": "เวลาในคำขออยู่ในอนาคต นาฬิกาของ Moodle กับเครื่องมือไม่ตรงกัน",
    "nonce_reused": "คำขอนี้ถูกใช้ไปแล้ว ไม่สามารถใช้ซ้ำได้",
    "unknown_issuer": "ไม่มีแพลตฟอร์มนี้ลงทะเบียนไว้กับเครื่องมือ",
    "unknown_deployment": "การติดตั้ง (deployment) นี้ไม่ได้ลงทะเบียนไว้กับเครื่องมือ",
    "unknown_client_id": "client ID นี้ไม่ได้ลงทะเบียนไว้กับเครื่องมือ",
    "unknown_kid": "คำขอถูกลงนามด้วยกุญแจที่แพลตฟอร์มไม่ได้เผยแพร่",
    "alg_not_allowed": "อัลกอริทึมการลงนามไม่ได้รับอนุญาต (ใช้ได้เฉพาะ RS256)",
    "malformed_token": "คำขอไม่มี id_token ที่ถูกต้อง",
    "state_mismatch": "คำขอนี้ไม่ได้เริ่มจากเบราว์เซอร์นี้ (state ไม่ตรงกัน)",
    "state_expired": "การเข้าสู่ระบบเริ่มนานเกินไปแล้ว",
    "nonce_mismatch": "คำขอนี้ตอบการเข้าสู่ระบบอื่น ไม่ใช่ครั้งที่เบราว์เซอร์นี้เริ่มไว้ (nonce ไม่ตรงกับที่ Samattha ส่งไป)",
    "cookies_blocked": "เบราว์เซอร์บล็อกคุกกี้ที่จำเป็น",
    "registration_refused": "แพลตฟอร์มปฏิเสธการลงทะเบียน",
    "inactive_platform": "แพลตฟอร์มนี้ถูกปิดใช้งานในเครื่องมือ",
}


# The generic error page (plugin.errors) in Thai, (title, message) by HTTP status: its English is Werkzeug's
# or the view's own, often naming the very field at fault, which a Thai line per status cannot; so the page
# shows both.
HTTP_ERRORS_TH: Mapping[int, tuple[str, str]] = {
    400: ("คำขอไม่ถูกต้อง", "คำขอนี้ไม่ครบถ้วนหรือไม่ถูกต้อง ระบบจึงดำเนินการให้ไม่ได้"),
    401: ("ต้องเข้าสู่ระบบก่อน", "โปรดเปิด Samattha จากกิจกรรมในรายวิชา Moodle ของคุณ"),
    403: ("ไม่ได้รับอนุญาต", "คุณไม่มีสิทธิ์เข้าถึงหน้านี้"),
    404: ("ไม่พบหน้าที่ต้องการ", "ไม่พบหน้าหรือข้อมูลที่ขอ โปรดตรวจสอบที่อยู่ หรือกลับไปเปิดจากรายวิชาอีกครั้ง"),
    405: ("ไม่รองรับวิธีเรียกนี้", "หน้านี้ไม่รับคำขอแบบนี้"),
    413: ("ข้อมูลมีขนาดใหญ่เกินไป", "ข้อมูลหรือไฟล์ที่ส่งมีขนาดใหญ่เกินกว่าที่ระบบรับได้"),
    429: ("มีคำขอมากเกินไป", "โปรดรอสักครู่แล้วลองอีกครั้ง"),
    500: ("เกิดข้อผิดพลาดภายในระบบ", "ระบบของเราขัดข้อง และได้บันทึกเหตุไว้ให้ผู้ดูแลระบบตรวจสอบแล้ว"),
    503: ("ระบบไม่พร้อมให้บริการชั่วคราว", "โปรดลองอีกครั้งในภายหลัง"),
}
_ERROR_TH = ("เกิดข้อผิดพลาด", "ระบบดำเนินการตามคำขอนี้ไม่ได้")


def error_texts(status: int, title: str, message: str) -> dict[str, tuple[str, str]]:
    """The generic error page's (title, message) by language: English as given, Thai by status."""
    return {ENGLISH: (title, message), THAI: HTTP_ERRORS_TH.get(status, _ERROR_TH)}


def language_for(locale: str | None) -> str:
    """``th``, ``th_TH``, ``th-TH`` → Thai; anything else (or nothing) → English."""
    if locale and locale.strip().lower().replace("_", "-").split("-")[0] == THAI:
        return THAI
    return ENGLISH


def current_language() -> str:
    """The request's language: set for this request (e.g. from a refused launch), else the one the person chose,
    else the launch's locale, else the browser's preference."""
    chosen = g.get("lti_language")
    if isinstance(chosen, str):
        return chosen
    picked = session.get(CHOSEN_KEY)
    if picked in LANGUAGES:
        return str(picked)
    stored = session.get("locale")
    if isinstance(stored, str):
        return language_for(stored)
    return language_for(request.accept_languages.best_match([THAI, ENGLISH]))


def register_messages(messages: Mapping[str, tuple[str, str]]) -> None:
    """Add a feature's own (English, Thai) texts; each feature keeps its catalogue beside its views."""
    clash = sorted(key for key, texts in messages.items() if MESSAGES.get(key, texts) != texts)
    if clash:
        raise ValueError(f"message keys defined twice with different texts: {', '.join(clash)}")
    MESSAGES.update(messages)


def translate(key: str, language: str | None = None, **params: object) -> str:
    english, thai = MESSAGES.get(key, (key, key))
    text = thai if (language or current_language()) == THAI else english
    return text.format(**params) if params else text


def reason(code: str, english: str, language: str | None = None) -> str:
    """The reason for a refusal in the page's language (the English text is the ``lti`` error's)."""
    if (language or current_language()) == THAI and code in REASONS_TH:
        return REASONS_TH[code]
    return english


# Moodle's LIS roles (LTI Core 1.3 §A.2) by the Samattha role each one gives.
_LIS_ROLES: Mapping[str, str] = {"Learner": "role.learner", "Instructor": "role.coordinator",
                                 "Administrator": "role.admin"}


def label(kind: str, value: str) -> str:
    """A stored code word (an enrolment's ``status`` or ``source``) in the page's language; one the catalogue
    does not know is shown as stored rather than hidden."""
    key = f"{kind}.{value}"
    return translate(key) if key in MESSAGES else value


def role_labels(roles: Iterable[str]) -> list[str]:
    """The roles Moodle sent, once each (it sends Administrator both as institution and as system role)."""
    names = dict.fromkeys(role.rsplit("#", 1)[-1] for role in roles)
    return [translate(_LIS_ROLES[name]) if name in _LIS_ROLES else name for name in names]


def moodle_role_labels(enrolment: object) -> list[str]:
    """A member's roles in Moodle: its own course roles when Samattha read them (Web Services), else the LTI
    roles the launch and the roster sent, each named as Moodle names it."""
    shortnames = getattr(enrolment, "moodle_roles", None)
    if shortnames is not None:
        return [label("moodle_role", name) for name in dict.fromkeys(shortnames)]
    sent = [*(getattr(enrolment, "launch_roles", None) or ()), *(getattr(enrolment, "nrps_roles", None) or ())]
    names = dict.fromkeys(role.rsplit("#", 1)[-1] for role in sent or list(getattr(enrolment, "roles", None) or ()))
    return [label("lti_role", name) for name in names]


def install(app: Flask) -> None:
    """The Jinja globals ``t("key", **params)``, ``label``, ``role_labels``, ``error_texts`` and
    ``current_language`` (for error.html, which plugin.errors renders without ``lang``);
    our views pass ``lang`` (base.html's ``<html lang>``) themselves so the standard's bilingual pages keep their
    Thai default."""
    app.jinja_env.globals.update(t=translate, label=label, role_labels=role_labels, error_texts=error_texts,
                                 current_language=current_language, moodle_role_labels=moodle_role_labels)
