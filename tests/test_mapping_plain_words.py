"""The mapping editor in the coordinator's words, Thai and English: what each activity is and when it counts,
never "statement", "IRI" or "cmid" (the ids wait under "details"); and every problem a mapping can have said in
Thai as well as English."""

from __future__ import annotations

import html
import re

import pytest

from plugin.launch import i18n
from plugin.mapping.editor_form import problem_words
from plugin.mapping.files import MappingFileError, load_mapping
from tests.test_coverage import STANDARD
from tests.test_lti_flow import LTI, Env, customise, env_fixture
from tests.test_mapping_editor import BACKUP, form, slot_of, teacher, upload

assert env_fixture  # the `env` fixture, shared with test_lti_flow

JARGON = re.compile(r"statement|\bIRI\b|cmid|xAPI|\bsubmit\b|\bcreate\b", re.I)  # "replied" is plain English


def face(page: str) -> str:
    """What the coordinator reads without opening anything: the page's main text, outside every closed
    <details> and the picker (ids and technical detail stay there), without markup."""
    main = page[page.index("<main"):page.index("</main>")]
    main = re.sub(r"<details(?![^>]*\bopen\b)[^>]*>.*?</details>", "", main, flags=re.S)
    main = re.sub(r"<(script|style|select)\b.*?</\1>", "", main, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", main))


@pytest.mark.parametrize("locale", ["th", "en"])
def test_the_editor_names_activities_and_rules_in_plain_words(env: Env, standard: object, locale: str) -> None:
    customise(env.platform, lambda p: p[LTI + "launch_presentation"].update(locale=locale))
    browser, url = teacher(env)
    page = upload(browser, url, BACKUP.read_bytes()).text
    assert not JARGON.findall(face(page)), JARGON.findall(face(page))
    assert ("งานมอบหมาย" if locale == "th" else "Assignment") in face(page)  # the kind of each activity
    assert ("ตอบกระทู้" if locale == "th" else "replied") in page  # the actions, as ticks in words
    # The ids are still there, one click away.
    ids = r'<details class="ids"><summary>(รายละเอียด|Details)</summary>\s*<p>[^<]*<code class="wrap">6</code>'
    assert re.search(ids, page)
    assert 'value="http://id.tincanapi.com/verb/replied"' in page

    assign = slot_of(page, "cmid:5")
    done = browser.post(url, data=form(page, **{str(assign): {
        "evidence": "performance", "rule": "graded", "threshold": "80", "targets": "DG101"}}), timeout=10)
    assert done.status_code == 200
    said = ("หลักฐานการปฏิบัติงาน · นับเมื่อได้คะแนนจากผู้สอน อย่างน้อยร้อยละ 80 · เลือกแล้ว 1 รายการ" if locale == "th"
            else "Performance evidence · counts when graded at least 80 % · 1 chosen")
    assert said in face(done.text)
    assert not JARGON.findall(face(done.text))


def test_the_picker_says_which_activity_it_is_choosing_for(env: Env, standard: object) -> None:
    customise(env.platform, lambda p: p[LTI + "launch_presentation"].update(locale="th"))
    browser, url = teacher(env)
    page = upload(browser, url, BACKUP.read_bytes()).text
    assert 'data-pattern="กำลังเลือกเกณฑ์ให้: {name}"' in page
    quiz = slot_of(page, "cmid:6")
    assert f'class="choose" data-slot="{quiz}" data-name="แบบทดสอบ: ความรู้ด้านข้อมูล (Quiz)"' in page


def test_a_mapping_error_is_said_in_thai_with_the_detail_folded(env: Env, standard: object) -> None:
    customise(env.platform, lambda p: p[LTI + "launch_presentation"].update(locale="th"))
    browser, url = teacher(env)
    page = upload(browser, url, BACKUP.read_bytes()).text
    refused = browser.post(url, data=form(page, **{str(slot_of(page, "cmid:6")): {
        "evidence": "knowledge", "rule": "finished", "targets": "DS601.1 DG100.PE1 DG101 DG101"}}), timeout=10)
    assert refused.status_code == 400
    shown = face(refused.text)
    assert "เกณฑ์: มาตรฐานไม่มีรหัส DS601.1 หมายถึง DS601.01 หรือไม่" in shown
    assert "เกณฑ์: DG100.PE1 เป็นรายการหลักฐานการปฏิบัติงาน แต่กิจกรรมนี้เป็นหลักฐานความรู้" in shown
    assert "เกณฑ์: เลือก DG101 ซ้ำสองครั้ง" in shown
    assert "unknown code" not in shown and "did you mean" not in shown
    # The mapping file's own words stay available, folded, for whoever needs them.
    assert re.search(r'<details class="technical"><summary>รายละเอียดทางเทคนิค</summary><pre>[^<]*unknown code',
                     refused.text)
    # The summary is the first thing on the page and takes the focus.
    assert refused.text.index('id="map-errors"') < refused.text.index('id="mapping-form"')
    assert re.search(r'id="map-errors" role="alert" tabindex="-1" autofocus', refused.text)


BROKEN = [
    "not = [toml",
    'format = 2\ncolour = 1\n[[activity]]\niri = "x"\ncmid = 0\n',
    'format = 1\n[course]\nid = ""\nwwwroot = "moodle"\nversion = 0\n'
    '[[activity]]\ncmid = -1\nevidence = "both"\nrule = "x"\ntargets = []\n'
    '[[activity]]\niri = "not an iri"\nevidence = "knowledge"\nrule = { kind = "verbs", verbs = [] }\ntargets = [1]\n'
    '[[activity]]\ncmid = 3\nevidence = "knowledge"\nrule = { kind = "nope" }\ntargets = ["DG101"]\n'
    '[[activity]]\ncmid = 3\nevidence = "knowledge"\nrule = { kind = "score", threshold = 2.0 }\ntargets = ["DG101"]\n'
    '[[activity]]\ncmid = 4\nevidence = "knowledge"\nrule = { kind = "verbs", verbs = ["v"] }\ntargets = ["DG101"]\n',
    'activity = 1\n',
]


@pytest.mark.parametrize("text", BROKEN)
def test_every_problem_a_mapping_file_can_have_has_a_thai_text(app: object, text: str) -> None:
    with pytest.raises(MappingFileError) as broken:
        load_mapping(text, standard=STANDARD)
    assert broken.value.problems
    for problem in broken.value.problems:
        assert problem.key, problem
        english, thai = i18n.MESSAGES[f"mapfile.{problem.key}"]
        assert english and re.search("[\u0e00-\u0e7f]", thai), problem.key
    with app.test_request_context():  # type: ignore[attr-defined]
        from flask import g
        g.lti_language = "th"
        for problem in broken.value.problems:
            assert re.search("[\u0e00-\u0e7f]", problem_words(problem)), problem
