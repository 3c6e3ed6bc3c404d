"""The mapping editor over real HTTP after a real LTI launch from the Moodle-like test platform: access,
saving and its validation, history, undo/restore, and the course backup upload."""

from __future__ import annotations

import html
import re
import zipfile
from pathlib import Path

import pytest
import requests
from sqlalchemy import select

from plugin.clock import utcnow
from plugin.mapping import activities, store
from plugin.mapping.files import load_mapping
from plugin.mapping.model import CourseMapping, MappingEntry, Rule
from plugin.models import Course, CourseActivity, MappingRevision
from tests.test_lti_flow import LTI, Env, csrf, customise, env_fixture

assert env_fixture  # the `env` fixture, shared with test_lti_flow

BACKUP = Path(__file__).parent / "fixtures" / "moodle-4.5" / "course-backup.mbz"
EXAMPLE = Path(__file__).resolve().parent.parent / "mappings" / "example-dg-opsr-023.toml"
QUIZ_TITLE = "แบบทดสอบ: ความรู้ด้านข้อมูล (Quiz)"
DS601_01 = "DS601.01"


def teacher(env: Env) -> tuple[requests.Session, str]:
    browser = requests.Session()
    landed = env.launch("4", browser)
    assert landed.status_code == 200, landed.text
    return browser, f"{env.url}/course/{env.course().id}/mapping"


def upload(browser: requests.Session, url: str, data: bytes, name: str = "course.mbz") -> requests.Response:
    token = csrf(browser.get(url, timeout=10).text)
    return browser.post(url + "/backup", data={"csrf": token}, files={"backup": (name, data)}, timeout=30)


def slot_of(page: str, key: str, evidence: str | None = None) -> int:
    """The form index of the first slot of activity ``key`` (optionally: of that evidence kind)."""
    for found in re.finditer(r'name="slot-(\d+)-activity" value="([^"]*)"', page):
        if found.group(2) == key:
            index = int(found.group(1))
            chosen = re.search(rf'name="slot-{index}-evidence".*?<option value="(\w+)" selected', page, re.S)
            if evidence is None or (chosen and chosen.group(1) == evidence):
                return index
    raise AssertionError(f"no slot for {key} {evidence or ''}")


def form(page: str, **slots: dict[str, str | list[str]]) -> dict[str, str | list[str]]:
    """The editor's form as the page renders it, with ``slots`` ("3": {"targets": …}) changed."""
    data: dict[str, str | list[str]] = {"csrf": csrf(page)}
    for found in re.finditer(r'name="(slot-\d+-(?:activity|title|targets|threshold))"[^>]*?value="([^"]*)"', page):
        data[found.group(1)] = html.unescape(found.group(2))
    for found in re.finditer(r'name="(slot-\d+-(?:evidence|rule))".*?<option value="([\w-]+)"[^>]* selected', page,
                             re.S):
        data[found.group(1)] = found.group(2)
    for found in re.finditer(r'name="(slot-\d+-verbs)" value="([^"]*)" checked', page):  # in the page's order
        ticked = data.setdefault(found.group(1), [])
        assert isinstance(ticked, list)
        ticked.append(html.unescape(found.group(2)))
    for found in re.finditer(r'name="(slot-\d+-verbs-other)"[^>]*>([^<]*)</textarea>', page):
        data[found.group(1)] = html.unescape(found.group(2))
    for index, fields in slots.items():
        for name, value in fields.items():
            data[f"slot-{index}-{name}"] = value
    return data


def leftovers(env: Env) -> list[Path]:
    uploads = Path(env.app.instance_path) / "uploads"
    return list(uploads.iterdir()) if uploads.exists() else []


def saved(env: Env) -> CourseMapping | None:
    with env.db() as db:
        course = db.scalars(select(Course).filter_by(context_id="2")).one()
        return store.current_mapping(db, course, store.standard_index(db))


# --- access -----------------------------------------------------------------------------------------

ROUTES = [("get", ""), ("post", ""), ("get", "/history"), ("post", "/undo"), ("post", "/history/1/restore"),
          ("post", "/backup")]


@pytest.mark.parametrize("method, path", ROUTES)
def test_learners_are_refused_every_route(env: Env, method: str, path: str) -> None:
    browser = requests.Session()
    env.launch("3", browser)
    response = browser.request(method, f"{env.url}/course/{env.course().id}/mapping{path}", timeout=10)
    assert response.status_code == 403 and "Not allowed" in response.text


@pytest.mark.parametrize("method, path", ROUTES)
def test_another_courses_coordinator_is_refused_every_route(env: Env, method: str, path: str) -> None:
    browser, _ = teacher(env)
    with env.db() as db:
        other = Course(issuer=env.platform.url, context_id="99", title="Other", updated_at=utcnow(), ags_scopes=[])
        db.add(other)
        db.commit()
        other_id = other.id
    response = browser.request(method, f"{env.url}/course/{other_id}/mapping{path}", timeout=10)
    assert response.status_code == 403


@pytest.mark.parametrize("method, path", ROUTES)
def test_without_a_launch_every_route_asks_for_one(env: Env, method: str, path: str) -> None:
    env.launch("4")
    assert requests.request(method, f"{env.url}/course/{env.course().id}/mapping{path}", timeout=10).status_code == 401


@pytest.mark.parametrize("path", ["", "/undo", "/history/1/restore", "/backup"])
def test_posts_need_the_form_token(env: Env, path: str) -> None:
    browser, url = teacher(env)
    refused = browser.post(url + path, data={"csrf": "forged"}, files={"backup": ("a.mbz", BACKUP.read_bytes())},
                           timeout=10)
    assert refused.status_code == 403
    with env.db() as db:
        assert db.scalars(select(CourseActivity).filter_by(source="backup")).first() is None
        assert db.scalars(select(MappingRevision)).first() is None


# --- the backup upload ------------------------------------------------------------------------------

def test_backup_lists_activities_in_course_order(env: Env, standard: object) -> None:
    browser, url = teacher(env)
    done = upload(browser, url, BACKUP.read_bytes())
    assert done.status_code == 200 and "Backup LTILAB: 6 activities (6 new)." in done.text
    # The backup was made at the lab's address; the activities are this course's, at the platform's address.
    assert "The backup was made at http://127.0.0.1:8081" in done.text
    names = re.findall(r'<h2 class="activity-name"[^>]*>([^<]*)', done.text)
    assert [n.strip() for n in names] == [
        "Announcements", "Lab LTI Activity", "อ่าน: พ.ร.บ. คุ้มครองข้อมูลส่วนบุคคล (Page)",
        "ลิงก์: สำนักงานคณะกรรมการคุ้มครองข้อมูลส่วนบุคคล (URL)",
        "งานมอบหมาย: อธิบายหลักการคุ้มครองข้อมูล (Assignment)", QUIZ_TITLE]
    with env.db() as db:
        quiz = db.scalars(select(CourseActivity).filter_by(cmid=6)).one()
        assert (quiz.iri, quiz.module, quiz.source) == (f"{env.platform.url}/mod/quiz/view.php?id=6", "quiz", "backup")
    assert not leftovers(env)


@pytest.mark.parametrize("data, message", [
    (b"", "Course backup: choose a .mbz file to upload."),
    (b"this is not an archive", "Course backup: this file is not a Moodle course backup Samattha can read."),
])
def test_bad_backups_are_refused_and_leave_nothing(env: Env, standard: object, data: bytes, message: str) -> None:
    browser, url = teacher(env)
    refused = upload(browser, url, data, name="course.mbz" if data else "")
    assert refused.status_code == 400 and message in refused.text
    with env.db() as db:
        assert db.scalars(select(CourseActivity).filter_by(source="backup")).first() is None
    assert not leftovers(env)


def test_a_zip_without_moodle_backup_xml_is_named(env: Env, standard: object, tmp_path: Path) -> None:
    archive = tmp_path / "x.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("notes.txt", "hello")
    browser, url = teacher(env)
    refused = upload(browser, url, archive.read_bytes())
    # In the user's words at the top, the reader's own reason folded underneath.
    assert refused.status_code == 400 and "this file is not a Moodle course backup Samattha can read" in refused.text
    assert re.search(r'<details class="technical"><summary>Technical detail</summary><pre>moodle_backup.xml: missing',
                     refused.text)


def test_an_oversized_upload_is_refused(env: Env, standard: object) -> None:
    env.app.config["MAX_CONTENT_LENGTH"] = 64 * 1024
    browser, url = teacher(env)
    refused = upload(browser, url, b"\0" * (128 * 1024))
    assert refused.status_code == 413 and "Course backup: the file is larger than" in refused.text
    with env.db() as db:
        assert db.scalars(select(CourseActivity).filter_by(source="backup")).first() is None


def test_a_backup_of_another_course_is_refused(env: Env, standard: object) -> None:
    customise(env.platform, lambda p: p[LTI + "context"].update(id="7"))
    browser = requests.Session()
    env.launch("4", browser)
    with env.db() as db:
        course_id = db.scalars(select(Course).filter_by(context_id="7")).one().id
    refused = upload(browser, f"{env.url}/course/{course_id}/mapping", BACKUP.read_bytes())
    assert refused.status_code == 400
    assert "this is a backup of course 2 (LTILAB), not of this course (7)" in refused.text


# --- saving -----------------------------------------------------------------------------------------

def test_save_builds_the_mapping_and_shows_thai_text(env: Env, standard: object) -> None:
    browser, url = teacher(env)
    page = upload(browser, url, BACKUP.read_bytes()).text
    quiz, assign = slot_of(page, "cmid:6"), slot_of(page, "cmid:5")
    done = browser.post(url, data=form(page, **{
        str(quiz): {"evidence": "knowledge", "rule": "score", "threshold": "80", "targets": "DS601.01 DS601.02"},
        str(assign): {"evidence": "performance", "rule": "verbs", "targets": "DG101",
                      "verbs": ["https://w3id.org/xapi/tla/verbs/scored"], "verbs-other": "http://example.org/v"},
    }), timeout=10)
    assert done.status_code == 200 and "Saved as revision 1." in done.text
    mapping = saved(env)
    assert mapping is not None and mapping.version == 1
    assert mapping.course_id == "2" and mapping.wwwroot == env.platform.url
    by_cmid = {entry.cmid: entry for entry in mapping.entries}
    assert by_cmid[6] == MappingEntry(cmid=6, targets=("DS601.01", "DS601.02"), evidence="knowledge",
                                      rule=Rule("score", 0.8), title=QUIZ_TITLE)
    assert by_cmid[5].rule == Rule("verbs", None, ("https://w3id.org/xapi/tla/verbs/scored", "http://example.org/v"))
    # The page shows the chosen codes with the standard's Thai text, and the rule as entered.
    with env.db() as db:
        text = store.standard_index(db).criteria[DS601_01].text
    assert f"<code>{DS601_01}</code> {text}" in done.text
    assert re.search(rf'name="slot-{slot_of(done.text, "cmid:6")}-threshold"[^>]*value="80"', done.text)
    with env.db() as db:
        revision = db.scalars(select(MappingRevision)).one()
        assert (revision.source, revision.author.subject) == ("editor", "4")


def test_validation_names_the_field_and_keeps_the_input(env: Env, standard: object) -> None:
    browser, url = teacher(env)
    page = upload(browser, url, BACKUP.read_bytes()).text
    quiz, page_slot, assign = slot_of(page, "cmid:6"), slot_of(page, "cmid:3"), slot_of(page, "cmid:5")
    refused = browser.post(url, data=form(page, **{
        str(quiz): {"evidence": "knowledge", "rule": "score", "threshold": "180", "targets": "DS601.01"},
        str(page_slot): {"evidence": "knowledge", "rule": "completed", "targets": "DS601.1 DG100.PE1"},
        str(assign): {"evidence": "performance", "rule": "verbs", "targets": "DG101"},
    }), timeout=10)
    assert refused.status_code == 400 and "Nothing was saved" in refused.text
    assert "Score threshold: give a percentage from 0 to 100, not &#39;180&#39;" in refused.text
    assert "Criteria: the standard has no code DS601.1; did you mean DS601.01?" in refused.text
    assert "DG100.PE1 is a performance evidence item, but this activity gives knowledge evidence" in refused.text
    assert "The learner has: tick at least one action." in refused.text
    assert re.search(rf'name="slot-{page_slot}-targets"[^>]*value="DS601.1 DG100.PE1"', refused.text)
    assert re.search(rf'name="slot-{quiz}-threshold"[^>]*value="180"', refused.text)
    assert saved(env) is None


def test_activities_named_by_iri_round_trip(env: Env, standard: object) -> None:
    """A content package (an IRI, no cmid) and a cmid no source lists are kept through an editor save."""
    browser, url = teacher(env)
    package = "https://samattha.dev/content/dg-opsr-023/ds602"
    with env.db() as db:
        course = db.scalars(select(Course).filter_by(context_id="2")).one()
        activities.record_activities(db, course, [activities.ActivityItem(package, "บทเรียน DS602", module="package")],
                                     source="package", now=utcnow())
        original = CourseMapping(course_id="2", wwwroot=env.platform.url, entries=(
            MappingEntry(activity=package, targets=("DS602",), evidence="knowledge", rule=Rule("completed")),
            MappingEntry(cmid=42, targets=("DG100.KE1",), evidence="knowledge", rule=Rule("any"), title="เก่า"),
        ))
        store.save_mapping(db, course, original, store.standard_index(db), author=None, now=utcnow(), source="file")
        db.commit()
    page = browser.get(url, timeout=10).text
    assert "บทเรียน DS602" in page and "Named by the mapping, not seen in the course" in page
    assert 'value="DG100.KE1"' in page
    done = browser.post(url, data=form(page, **{str(slot_of(page, "cmid:42")): {"evidence": "knowledge",
                                                                                 "rule": "any"},
                                                str(slot_of(page, f"iri:{package}")): {"evidence": "knowledge",
                                                                                       "rule": "completed"}}),
                        timeout=10)
    assert done.status_code == 200
    mapping = saved(env)
    assert mapping is not None and mapping.entries == original.entries and mapping.version == 1  # nothing changed


# --- history, undo, restore ---------------------------------------------------------------------------

def test_history_shows_diffs_and_undo_and_restore_append(env: Env, standard: object) -> None:
    browser, url = teacher(env)
    page = upload(browser, url, BACKUP.read_bytes()).text
    quiz = slot_of(page, "cmid:6")
    first = browser.post(url, data=form(page, **{str(quiz): {"evidence": "knowledge", "rule": "passed",
                                                             "targets": "DS601.01"}}), timeout=10).text
    browser.post(url, data=form(first, **{str(slot_of(first, "cmid:6")): {
        "evidence": "knowledge", "rule": "passed", "targets": "DS601.01 DS601.02"}}), timeout=10)
    history = browser.get(url + "/history", timeout=10)
    assert history.status_code == 200
    summaries = re.findall(r'class="summary">([^<]*)', history.text)
    assert len(summaries) == 2 and summaries[1] == "Created with 1 activities"
    assert summaries[0].startswith(f"Changed {QUIZ_TITLE}") and summaries[0].endswith("+DS601.02")
    assert '<span class="add">+targets = [&#34;DS601.01&#34;, &#34;DS601.02&#34;]</span>' in history.text
    assert "Tina Teacher" in history.text
    # DS601.01 reaches unit DG-OPSR-023 and names none of its items: the history says which the old default
    # linked, so the coordinator can name the ones the quiz really evidences.
    assert 'id="unnamed-items"' in history.text and "DG-OPSR-023.KE1" in history.text
    undone = browser.post(url + "/undo", data={"csrf": csrf(history.text)}, timeout=10)
    assert "Undone: revision 3 brings back the earlier mapping." in undone.text
    mapping = saved(env)
    assert mapping is not None and mapping.entries[0].targets == ("DS601.01",) and mapping.version == 3
    restored = browser.post(url + "/history/2/restore", data={"csrf": csrf(undone.text)}, timeout=10)
    assert "Revision 4 restores the earlier mapping." in restored.text
    mapping = saved(env)
    assert mapping is not None and mapping.entries[0].targets == ("DS601.01", "DS601.02")
    with env.db() as db:
        sources = [r.source for r in db.scalars(select(MappingRevision).order_by(MappingRevision.number))]
    assert sources == ["editor", "editor", "undo", "restore"]
    missing = browser.post(url + "/history/99/restore", data={"csrf": csrf(restored.text)}, timeout=10)
    assert missing.status_code == 404


def load_example(env: Env, change: tuple[str, str] = ("", "")) -> None:
    """The example mapping file, loaded for the test platform's course as `samattha mappings load` would."""
    text = EXAMPLE.read_text(encoding="utf-8").replace("http://127.0.0.1:8081", env.platform.url).replace(*change)
    with env.db() as db:
        course = db.scalars(select(Course).filter_by(context_id="2")).one()
        standard = store.standard_index(db)
        store.save_mapping(db, course, load_mapping(text, standard=standard), standard, author=None, now=utcnow(),
                           source="file")
        db.commit()


def diff_lines(page: str, number: int) -> list[str]:
    """The added and removed lines of revision ``number``'s diff on the history page."""
    found = re.search(rf'<tr class="diff" data-number="{number}">.*?</tr>', page, re.S)
    assert found, f"no diff for revision {number}"
    return [html.unescape(line) for line in re.findall(r'<span class="(?:add|del)">([^<]*)</span>', found.group(0))]


def test_a_save_records_only_what_the_coordinator_changed(env: Env, standard: object) -> None:
    """The forum's verbs (replied, create) are ticks on the form, which lists them create first; a threshold
    of ⅔ shows as 66.666667 %. Changing only the quiz's targets must change nothing else."""
    browser, url = teacher(env)
    load_example(env, ("threshold = 0.5 }", "threshold = 0.6666666666666666 }"))
    page = browser.get(url, timeout=10).text
    quiz = slot_of(page, "cmid:6")
    done = browser.post(url, data=form(page, **{str(quiz): {"targets": "DS601.01 DS601.02 DG-OPSR-023.KE1"}}),
                        timeout=10)
    assert done.status_code == 200 and "Saved as revision 2." in done.text
    with env.db() as db:
        summary = db.scalars(select(MappingRevision).filter_by(number=2)).one().summary
    assert summary == f"Changed {QUIZ_TITLE} (knowledge): −DS601.03"
    history = browser.get(url + "/history", timeout=10).text
    assert re.findall(r'class="summary">([^<]*)', history)[0] == f"Changed {QUIZ_TITLE} (knowledge): −DS601.03"
    assert diff_lines(history, 2) == [
        "-version = 1", "+version = 2",
        '-targets = ["DS601.01", "DS601.02", "DS601.03", "DG-OPSR-023.KE1"]',
        '+targets = ["DS601.01", "DS601.02", "DG-OPSR-023.KE1"]']
    mapping = saved(env)
    assert mapping is not None
    forum = next(entry for entry in mapping.entries if entry.cmid == 8)
    assert forum.rule.verbs == ("http://id.tincanapi.com/verb/replied", "http://activitystrea.ms/create")


def test_ticking_a_verb_adds_it_after_the_ones_the_mapping_had(env: Env, standard: object) -> None:
    browser, url = teacher(env)
    load_example(env)
    page = browser.get(url, timeout=10).text
    forum = slot_of(page, "cmid:8", "performance")
    ticks = ["http://id.tincanapi.com/verb/viewed", "http://activitystrea.ms/create"]  # replied unticked
    browser.post(url, data=form(page, **{str(forum): {"verbs": ticks}}), timeout=10)
    mapping = saved(env)
    assert mapping is not None
    verbs = next(entry for entry in mapping.entries if entry.cmid == 8).rule.verbs
    assert verbs == ("http://activitystrea.ms/create", "http://id.tincanapi.com/verb/viewed")


def test_the_history_speaks_thai_when_the_launch_does(env: Env, standard: object) -> None:
    customise(env.platform, lambda p: p[LTI + "launch_presentation"].update(locale="th"))
    browser, url = teacher(env)
    load_example(env)
    page = browser.get(url, timeout=10).text
    browser.post(url, data=form(page, **{str(slot_of(page, "cmid:6")): {"rule": "passed"}}), timeout=10)
    history = browser.get(url + "/history", timeout=10).text
    undone = browser.post(url + "/undo", data={"csrf": csrf(history)}, timeout=10).text
    summaries = re.findall(r'class="summary">([^<]*)', undone)
    assert summaries == ["ย้อนการแก้ไข: กลับไปเป็นฉบับที่ 1",
                         f"แก้ไข {QUIZ_TITLE} (หลักฐานความรู้): เงื่อนไข คะแนน ≥ 0.8 → ผ่าน",
                         "สร้างการจับคู่ 9 กิจกรรม"]
    assert re.findall(r'class="source" data-source="\w+">([^<]*)', undone) == [
        "ย้อนการแก้ไข", "ตัวแก้ไขการจับคู่", "ไฟล์การจับคู่"]
    with env.db() as db:  # what the command line prints stays English
        stored = [r.summary for r in db.scalars(select(MappingRevision).order_by(MappingRevision.number))]
    assert stored == ["Created with 9 activities", f"Changed {QUIZ_TITLE} (knowledge): rule score ≥ 0.8 → passed",
                      "Undo: back to revision 1"]


def test_undo_with_nothing_to_undo_says_so(env: Env, standard: object) -> None:
    browser, url = teacher(env)
    page = browser.get(url + "/history", timeout=10)
    assert "The mapping has not been saved yet." in page.text
    said = browser.post(url + "/undo", data={"csrf": csrf(browser.get(url, timeout=10).text)}, timeout=10)
    assert "There is nothing to undo." in said.text


def test_the_editor_speaks_thai_when_the_launch_does(env: Env, standard: object) -> None:
    customise(env.platform, lambda p: p[LTI + "launch_presentation"].update(locale="th"))
    browser, url = teacher(env)
    page = upload(browser, url, BACKUP.read_bytes()).text
    assert '<h1 class="lti-page" data-role="coordinator">การจับคู่กิจกรรมกับเกณฑ์</h1>' in page
    assert "ไฟล์สำรอง LTILAB: 6 กิจกรรม (ใหม่ 6)" in page and "บันทึกการจับคู่" in page
    refused = browser.post(url, data=form(page, **{str(slot_of(page, "cmid:6")): {
        "evidence": "knowledge", "rule": "score", "threshold": "abc", "targets": "DS601.01"}}), timeout=10)
    assert refused.status_code == 400 and "คะแนนขั้นต่ำ: ใส่ร้อยละตั้งแต่ 0 ถึง 100" in refused.text


def test_every_revision_loads_as_a_mapping_file(env: Env, standard: object) -> None:
    browser, url = teacher(env)
    page = upload(browser, url, BACKUP.read_bytes()).text
    browser.post(url, data=form(page, **{str(slot_of(page, "cmid:6")): {"evidence": "knowledge", "rule": "score",
                                                                         "threshold": "57", "targets": "DS601"}}),
                 timeout=10)
    with env.db() as db:
        text = db.scalars(select(MappingRevision)).one().text
        mapping = load_mapping(text, standard=store.standard_index(db))
    assert mapping.entries[0].rule == Rule("score", 0.57)


# --- the outcomes each kind of activity reports (issue 16) -----------------------------------------------

def selected_rule(page: str, index: int) -> str:
    found = re.search(rf'name="slot-{index}-rule".*?<option value="([\w-]+)"[^>]* selected', page, re.S)
    assert found, f"no rule selected in slot {index}"
    return found.group(1)


def rule_options(page: str, index: int) -> list[tuple[str, list[str]]]:
    """(group label, [option labels]) of a slot's rule menu, as shown."""
    menu = re.search(rf'name="slot-{index}-rule".*?</select>', page, re.S)
    assert menu
    return [(html.unescape(label), [html.unescape(o) for o in re.findall(r"<option [^>]*>([^<]*)</option>", body)])
            for label, body in re.findall(r'<optgroup label="([^"]*)">(.*?)</optgroup>', menu.group(0), re.S)]


def test_a_new_activity_is_offered_its_modules_outcomes_with_the_natural_one_chosen(env: Env, standard: object) -> None:
    browser, url = teacher(env)
    page = upload(browser, url, BACKUP.read_bytes()).text
    chosen = {key: selected_rule(page, slot_of(page, key)) for key in ("cmid:6", "cmid:5", "cmid:3", "cmid:4")}
    assert chosen == {"cmid:6": "finished", "cmid:5": "submitted", "cmid:3": "viewed", "cmid:4": "viewed"}
    assert rule_options(page, slot_of(page, "cmid:5"))[:2] == [
        ("What Moodle reports for an assignment", ["assignment submitted", "graded, score ≥ threshold"]),
        ("Any Moodle activity", ["activity completion, when Moodle sends it", "viewed"])]
    quiz = rule_options(page, slot_of(page, "cmid:6"))
    assert quiz[0] == ("What Moodle reports for a quiz", ["attempt finished", "score ≥ threshold"])
    assert quiz[-1][0] == "Other rules (advanced)" and "completed" in quiz[-1][1]
    # The chosen outcome says what it counts, without script too.
    assert "Counts when Moodle reports the learner&#39;s submission." in page


def test_the_outcomes_speak_thai_when_the_launch_does(env: Env, standard: object) -> None:
    customise(env.platform, lambda p: p[LTI + "launch_presentation"].update(locale="th"))
    browser, url = teacher(env)
    page = upload(browser, url, BACKUP.read_bytes()).text
    assert rule_options(page, slot_of(page, "cmid:5"))[0] == (
        "สิ่งที่ Moodle รายงานสำหรับงานมอบหมาย", ["ส่งงานแล้ว", "ผู้สอนให้คะแนนแล้ว คะแนน ≥ เกณฑ์"])
    assert rule_options(page, slot_of(page, "cmid:6"))[0] == (
        "สิ่งที่ Moodle รายงานสำหรับแบบทดสอบ", ["ทำแบบทดสอบเสร็จและส่งคำตอบแล้ว", "ได้คะแนน ≥ เกณฑ์"])
    refused = browser.post(url, data=form(page, **{str(slot_of(page, "cmid:5")): {
        "evidence": "knowledge", "rule": "graded", "threshold": "", "targets": "DG101"}}), timeout=10)
    assert refused.status_code == 400 and "คะแนนขั้นต่ำ: ใส่คะแนนขั้นต่ำเป็นร้อยละตั้งแต่ 0 ถึง 100" in refused.text


def test_outcomes_save_as_the_mapping_files_kinds(env: Env, standard: object) -> None:
    browser, url = teacher(env)
    page = upload(browser, url, BACKUP.read_bytes()).text
    assign, quiz, url_slot = slot_of(page, "cmid:5"), slot_of(page, "cmid:6"), slot_of(page, "cmid:4")
    done = browser.post(url, data=form(page, **{
        str(assign): {"evidence": "knowledge", "rule": "graded", "threshold": "70 %", "targets": "DG101"},
        str(quiz): {"evidence": "knowledge", "targets": "DS601.01"},  # the default, untouched
        str(url_slot): {"evidence": "knowledge", "rule": "activity-completion", "targets": "DG102.01"},
    }), timeout=10)
    assert done.status_code == 200 and "Saved as revision 1." in done.text
    mapping = saved(env)
    assert mapping is not None
    assert {e.cmid: e.rule for e in mapping.entries} == {
        5: Rule("graded", 0.7), 6: Rule("finished"), 4: Rule("activity-completion")}
    assert selected_rule(done.text, slot_of(done.text, "cmid:5")) == "graded"
    assert re.search(rf'name="slot-{slot_of(done.text, "cmid:5")}-threshold"[^>]*value="70"', done.text)
    with env.db() as db:
        text = db.scalars(select(MappingRevision)).one().text
    assert 'rule = { kind = "graded", threshold = 0.7 }' in text and 'rule = { kind = "finished" }' in text


@pytest.mark.parametrize(("fields", "field", "message"), [
    ({"rule": "graded", "threshold": ""}, "threshold",
     "Score threshold: give the score needed, a percentage from 0 to 100."),
    ({"rule": "graded", "threshold": "lots"}, "threshold",
     "Score threshold: give a percentage from 0 to 100, not &#39;lots&#39;."),
    ({"rule": "handed-in"}, "rule", "Counts when: choose one of the listed rules."),
    ({"targets": "DG101 DG101"}, "targets", "Criteria: DG101 is chosen twice"),
])
def test_bad_outcome_input_names_the_field(env: Env, standard: object, fields: dict[str, str], field: str,
                                           message: str) -> None:
    browser, url = teacher(env)
    page = upload(browser, url, BACKUP.read_bytes()).text
    assign = slot_of(page, "cmid:5")
    refused = browser.post(url, data=form(page, **{str(assign): {
        "evidence": "knowledge", "rule": "submitted", "targets": "DG101", **fields}}), timeout=10)
    assert refused.status_code == 400 and message in refused.text
    # The summary links the error to the field it is about, and the field is there to take the focus.
    summary = re.search(r'<section class="card error-summary" id="map-errors".*?</section>', refused.text, re.S)
    assert summary and f'href="#slot-{assign}-{field}"' in summary.group(0)
    assert f'id="slot-{assign}-{field}"' in refused.text
    assert saved(env) is None
