"""Server-rendered pages: the home page, the read-only standard browser, and the shell every page sits in (the
role's navigation, the breadcrumb's course, the way back from an error, the favicon)."""

from __future__ import annotations

from typing import NamedTuple

from flask import Blueprint, abort, current_app, redirect, render_template, request, session, url_for
from jinja2 import pass_context
from jinja2.runtime import Context
from werkzeug.wrappers import Response

from plugin.db import get_session
from plugin.launch import access, i18n
from plugin.models import Course
from plugin.standards import catalog

__all__ = ["pages"]

pages = Blueprint("pages", __name__)

i18n.register_messages({
    "nav.label": ("Pages of this course", "หน้าต่าง ๆ ของรายวิชานี้"),
    "nav.breadcrumb": ("You are here", "ตำแหน่งของหน้านี้"),
    "nav.skip": ("Skip to the content", "ข้ามไปยังเนื้อหา"),
    "nav.home": ("Home", "หน้าแรก"),
    "nav.standard": ("The standard", "มาตรฐานสมรรถนะ"),
    "nav.progress": ("My progress", "ความก้าวหน้าของฉัน"),
    "nav.course": ("Course and people", "รายวิชาและผู้เรียน"),
    "nav.course_units": ("Course units", "หน่วยสมรรถนะของรายวิชา"),
    "nav.admin": ("Administration", "ผู้ดูแลระบบ"),
    "nav.switch": ("ภาษาไทย", "English"),
    "nav.switch_label": ("เปลี่ยนเป็นภาษาไทย (Thai)", "Switch to English (ภาษาอังกฤษ)"),
    "nav.back": ("Ways back", "กลับไปยัง"),
    "nav.back_page": ("The page you came from", "หน้าที่คุณเพิ่งเปิด"),
    "nav.back_course": ("Your pages in this course", "หน้าของคุณในรายวิชานี้"),
    "home.lead": ("Samattha is a tool that Moodle launches: it maps a course's activities to the performance "
                  "criteria of the Thai digital competency standard for civil servants and public-sector staff, and "
                  "compiles from what learners do a portfolio of evidence against that standard.",
                  "Samattha (สมรรถนะ) เป็นเครื่องมือที่เปิดจาก Moodle ใช้จับคู่กิจกรรมในรายวิชากับเกณฑ์การปฏิบัติงานของ"
                  "มาตรฐานสมรรถนะด้านดิจิทัลสำหรับข้าราชการและบุคลากรภาครัฐ แล้วรวบรวมสิ่งที่ผู้เรียนทำเป็นแฟ้มสะสมผลงาน"
                  "ตามมาตรฐานนั้น"),
    "home.who": ("It is for course coordinators who map activities to the standard, assessors who judge the "
                 "portfolios, and learners who follow their own progress, criterion by criterion.",
                 "ใช้โดยผู้ประสานงานรายวิชาที่จับคู่กิจกรรมกับมาตรฐาน ผู้ประเมินที่ตัดสินแฟ้มสะสมผลงาน "
                 "และผู้เรียนที่ติดตามความก้าวหน้าของตนเองทีละเกณฑ์"),
    "home.try": ("Try it", "ทดลองใช้"),
    "home.try.lead": ("New to Samattha? Run {command}: it starts Samattha with a built-in demonstration Moodle and a "
                      "course, and prints the address of a tour where you open it as a learner, a coordinator or an "
                      "assessor.",
                      "เพิ่งรู้จัก Samattha? สั่ง {command} ระบบจะเปิด Samattha พร้อม Moodle สาธิตและรายวิชาตัวอย่าง "
                      "แล้วแสดงที่อยู่ของหน้าทดลองใช้ ที่คุณเข้าใช้ได้ในฐานะผู้เรียน ผู้ประสานงานรายวิชา หรือผู้ประเมิน"),
    "home.tour": ("This is a demonstration: take the tour.", "นี่คือระบบสาธิต: เริ่มทดลองใช้ที่นี่"),
    "home.units": ("Units of competency", "หน่วยสมรรถนะ"),
    "home.code": ("Code", "รหัส"),
    "home.elements": ("Elements", "สมรรถนะย่อย"),
    "home.criteria": ("Criteria", "เกณฑ์"),
    "home.qualification": ("Qualification {number}: {title}", "คุณวุฒิวิชาชีพ {number}: {title}"),
    "home.no_standard": ("No standard is loaded yet: run {command}.", "ยังไม่ได้นำเข้ามาตรฐาน โปรดสั่ง {command}"),
    "home.moodle": ("Connect Samattha to Moodle", "เชื่อมต่อ Samattha กับ Moodle"),
    "home.moodle.lead": ("What a Moodle site administrator does once, in this order:",
                         "สิ่งที่ผู้ดูแลระบบ Moodle ทำครั้งเดียว ตามลำดับนี้"),
    "home.step.register": ("Register Samattha. In Moodle, go to Site administration → Plugins → Activity modules → "
                           "External tool → Manage tools, paste {url} into “Tool URL” and press “Add LTI "
                           "Advantage”. In the dialog that opens, press “Register”.",
                           "ลงทะเบียน Samattha ใน Moodle ไปที่ Site administration → Plugins → Activity modules → "
                           "External tool → Manage tools วาง {url} ในช่อง “Tool URL” แล้วกด “Add LTI Advantage” "
                           "ในหน้าต่างที่เปิดขึ้น กด “Register”"),
    "home.step.activate": ("The tool is listed as “Pending”: press “Activate”.",
                           "เครื่องมือจะแสดงสถานะ “Pending” ให้กด “Activate”"),
    "home.step.xapi": ("Send learning records to Samattha: install Moodle's xAPI log store (logstore_xapi), set its "
                       "endpoint to {url}, and its username and password to a key and secret from {command}.",
                       "ส่งบันทึกการเรียนรู้มายัง Samattha: ติดตั้ง xAPI log store ของ Moodle (logstore_xapi) "
                       "ตั้ง endpoint เป็น {url} และตั้งชื่อผู้ใช้กับรหัสผ่านเป็นคีย์และรหัสลับจากคำสั่ง {command}"),
    "home.step.place": ("In a course, add an External tool activity and choose Samattha with “Select content”: pick "
                        "the unit of the standard the course teaches. Teachers who open it coordinate; learners "
                        "see their progress.",
                        "ในรายวิชา เพิ่มกิจกรรม External tool เลือก Samattha แล้วกด “Select content” เพื่อเลือก"
                        "หน่วยสมรรถนะที่รายวิชาสอน ผู้สอนที่เปิดกิจกรรมจะเป็นผู้ประสานงานรายวิชา "
                        "ส่วนผู้เรียนจะเห็นความก้าวหน้าของตนเอง"),
    "std.revision": ("Revision", "ทบทวนครั้งที่"),
    "std.elements_criteria": ("Elements and performance criteria", "สมรรถนะย่อยและเกณฑ์การปฏิบัติงาน"),
    "std.element": ("Element", "สมรรถนะย่อย"),
    "std.criterion": ("Performance criterion", "เกณฑ์ในการปฏิบัติงาน"),
    "std.system_code": ("System code", "รหัสระบบ"),
    "std.assessment": ("Assessment", "วิธีการประเมิน"),
    "std.regulations": ("Regulations", "ข้อกำหนดหรือกฎระเบียบที่เกี่ยวข้อง"),
    "std.prerequisites": ("Prerequisites", "ความรู้และทักษะก่อนหน้าที่จำเป็น"),
    "std.skills": ("Required skills", "ความต้องการด้านทักษะ"),
    "std.knowledge": ("Required knowledge", "ความต้องการด้านความรู้"),
    "std.performance_evidence": ("Performance evidence", "หลักฐานการปฏิบัติงาน"),
    "std.knowledge_evidence": ("Knowledge evidence", "หลักฐานความรู้"),
    "std.guidance": ("Assessment guidance", "คำแนะนำในการประเมิน"),
    "std.range": ("Range statement", "ขอบเขต"),
    "std.range_guidance": ("Guidance", "คำแนะนำ"),
    "std.explanations": ("Explanations", "คำอธิบายรายละเอียด"),
    "std.procedure": ("Assessment procedure", "รายละเอียดกระบวนการและวิธีการประเมิน"),
    "std.none": ("None given", "ไม่ระบุ"),
    "std.in_thai": ("The standard is published in Thai; its texts are shown as published.",
                    "มาตรฐานเผยแพร่เป็นภาษาไทย ข้อความแสดงตามต้นฉบับ"),
    "home.manual": ("Addresses for registering by hand instead", "ที่อยู่สำหรับลงทะเบียนด้วยตนเองแทน"),
})


class NavItem(NamedTuple):
    label: str
    url: str
    current: bool


class Nav(NamedTuple):
    course: Course | None
    items: list[NavItem]


# The pages each role opens in a course, in the bar's order: (role, path under /course/<id>/, label). A path named
# twice (an assessor who also coordinates) is shown once.
_TABS = (
    ("learner", "learner", "nav.progress"),
    ("learner", "my-portfolio", "nav.my_portfolio"),
    ("learner", "evidence", "ev.title"),
    ("coordinator", "coordinator", "nav.course"),
    ("coordinator", "mapping", "nav.mapping"),
    ("coordinator", "coverage", "nav.coverage"),
    ("coordinator", "content", "content.title"),
    ("coordinator", "portfolios", "nav.portfolios"),
    ("assessor", "portfolios", "nav.portfolios"),
    ("viewer", "viewer", "nav.course_units"),
    ("admin", "admin", "nav.admin"),
    ("admin", "admin/webservice", "ws.title"),
)


@pages.app_template_global("site_nav")
@pass_context
def site_nav(context: Context) -> Nav:
    """The bar of the launched person's pages in the page's course (the template's ``course``, else the one they
    launched into). The current tab is the one whose page this is or leads to (the mapping's history sits under
    the mapping); a template may name it with ``nav_current`` (a path such as "portfolios")."""
    user = access.current_user()
    course = context.get("course")
    if not isinstance(course, Course):
        course_pk = session.get(access.COURSE_KEY)
        course = get_session().get(Course, course_pk) if isinstance(course_pk, int) and user else None
    if user is None or course is None:
        return Nav(None, [])
    roles = access.roles_in(course, user)
    base = url_for("launch.course_home", course_pk=course.id)
    paths = list(dict.fromkeys(path for role, path, _ in _TABS if role in roles))
    here = context.get("nav_current") or _tab_of(request.path.removeprefix(base), paths)
    labels = {path: key for _, path, key in reversed(_TABS)}
    return Nav(course, [NavItem(i18n.translate(labels[path]), base + path, path == here) for path in paths])


def _tab_of(path: str, tabs: list[str]) -> str | None:
    """The longest tab ``path`` is, or is under."""
    found = [tab for tab in tabs if path == tab or path.startswith(tab + "/")]
    return max(found, key=len, default=None)


@pages.app_template_global("switch_url")
def switch_url() -> str:
    """The switch to the other language, coming back to this page (a form's page, after a POST)."""
    other = i18n.ENGLISH if i18n.current_language() == i18n.THAI else i18n.THAI
    here = request.full_path.rstrip("?") if request.method == "GET" else request.path
    return url_for("launch.choose_language", to=other, next=here)


@pages.app_template_global("ways_back")
def ways_back() -> list[tuple[str, str]]:
    """(label key, url) for an error page: the page the reader came from on this site, their course's landing
    page, and home. Read from the request and the session only, so a failing database cannot break it."""
    found = []
    referrer = request.referrer or ""
    # Behind a TLS proxy the request's own host URL is the proxy's http:// one; the public address is the base URL.
    ours = (request.host_url, str(current_app.config["SAMATTHA"].base_url).rstrip("/") + "/")
    if referrer.startswith(ours) and referrer != request.url:
        found.append(("nav.back_page", referrer))
    course_pk = session.get(access.COURSE_KEY)
    if isinstance(course_pk, int) and session.get(access.USER_KEY):
        found.append(("nav.back_course", url_for("launch.course_home", course_pk=course_pk)))
    found.append(("nav.home", url_for("pages.home")))
    return found


@pages.get("/favicon.ico")
def favicon() -> Response:
    # Pages link the SVG; this is for what asks the conventional address (JSON views, package files, bookmarks).
    return redirect(url_for("static", filename="favicon.svg"), code=301)


@pages.get("/")
def home() -> str:
    session_ = get_session()
    config = current_app.config["SAMATTHA"]
    # Under `samattha demo` the tour is one click away.
    tour = url_for("demo.tour") if "demo.tour" in current_app.view_functions else None
    return render_template("home.html", documents=catalog.standard_documents(session_), base_url=config.base_url,
                           tour=tour)


@pages.get("/standards")
def standards() -> str:
    return render_template("standards.html", units=catalog.list_units(get_session()))


@pages.get("/standards/<code>")
def unit(code: str) -> str:
    found = catalog.get_unit(get_session(), code)
    if found is None:
        abort(404, description=f"code: no unit of competency has the code {code!r}")
    return render_template("unit.html", unit=found, doc=catalog.unit_document(found))
