"""The portfolio pages over real HTTP after real LTI launches: the assessor's list of learners with their
progress and the portfolio page with a judgement form per unit; the learner's own portfolio and what is
still missing, in the language of the launch."""

from __future__ import annotations

import hashlib
import html
import json
import re
from typing import Any

import pypdfium2 as pdfium
import pytest
import requests

from plugin.clock import utcnow
from plugin.models import CourseActivity
from tests.lti_platform import LTI
from tests.test_judgements import Site, criteria_of, site
from tests.test_lti_flow import customise, env_fixture

assert env_fixture and site  # fixtures


def text_of(page: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


def test_the_assessors_caseload_lists_learners_with_progress_and_each_units_judgement(site: Site) -> None:
    number, _, document = site.snapshot()
    landed = site.env.launch("5", site.ann)  # the assessor's landing page is the caseload
    assert landed.url.endswith("/portfolios")
    case = re.search(rf'<li class="case" data-learner="{site.sam_id}"(.*?)</ul>', landed.text, re.S)
    assert case, landed.text
    evidenced = sum(u["summary"]["evidenced"] for u in document["units"])
    total = sum(u["summary"]["total"] for u in document["units"])
    assert 0 < evidenced < total
    cells = text_of(case.group(1))
    assert "Sam Student" in cells and f"{evidenced} of {total}" in cells
    assert f'/portfolios/{site.sam_id}"' in case.group(1)
    assert re.findall(r'data-unit="([^"]+)" data-state="none"', case.group(1)) == [u["code"] for u in document["units"]]
    unit = document["units"][0]["code"]
    assert site.judge({"snapshot": str(number), "unit": unit, "outcome": "more_evidence",
                       "comments": "the audit report"}).status_code == 303
    after = site.ann.get(f"{site.base}/portfolios?status=more_evidence&unit={unit}", timeout=10).text
    assert f'data-unit="{unit}" data-state="more_evidence"' in after and "Sam Student" in after
    # Tina never compiled anything for herself: she is staff, not listed.
    assert "Tina Teacher" not in landed.text


def test_the_assessor_opens_a_portfolio_with_one_form_per_unit(site: Site) -> None:
    number, digest, document = site.snapshot()
    page = site.ann.get(f"{site.base}/portfolios/{site.sam_id}", timeout=10).text
    forms = re.findall(r'<form class="judge"[^>]*data-unit="([^"]+)"(.*?)</form>', page, re.S)
    assert [unit for unit, _ in forms] == [u["code"] for u in document["units"]]
    for unit, body in forms:
        assert f'name="snapshot" value="{number}"' in body
        ticks = set(re.findall(r'name="rule:([^:"]+):(\w+)"', body))
        assert ticks == {(c, r) for c in criteria_of(document, unit)
                         for r in ("valid", "sufficient", "authentic", "current")}
        assert re.findall(r'name="outcome" value="(\w+)"', body) == ["competent", "not_yet_competent",
                                                                     "more_evidence"]
    assert digest[:16] in page
    for unit in document["units"]:
        for element in unit["elements"]:
            for criterion in element["criteria"]:
                assert html.escape(criterion["text"], quote=False) in page  # the standard's words, exactly


def set_locale(site: Site, locale: str) -> None:
    customise(site.env.platform, lambda p: p[LTI + "launch_presentation"].update(locale=locale))


@pytest.mark.parametrize("locale, words, absent", [
    ("th", {"title": "แฟ้มสะสมผลงานของฉัน", "missing": "สิ่งที่ยังขาด", "none": "ยังไม่มีหลักฐาน"}, "Still missing"),
    ("en", {"title": "My portfolio", "missing": "Still missing", "none": "No evidence"}, "สิ่งที่ยังขาด"),
])
def test_the_learner_sees_their_portfolio_and_what_is_missing_in_the_launch_language(
        site: Site, locale: str, words: dict[str, str], absent: str) -> None:
    _, _, document = site.snapshot()
    set_locale(site, locale)
    browser = requests.Session()
    assert site.env.launch("3", browser).status_code == 200
    page = browser.get(f"{site.base}/my-portfolio", timeout=10)
    assert page.status_code == 200
    assert f'<html lang="{locale}">' in page.text and absent not in page.text
    assert f"<title>{words['title']}" in page.text
    assert f'data-learner="{site.sam_id}"' in page.text and 'class="judge"' not in page.text
    section = re.search(r'<section class="missing card">(.*?)</section>', page.text, re.S)
    assert section and words["missing"] in section.group(1)
    listed = re.findall(r'<li data-code="([^"]+)">(.*?)</li>', section.group(1), re.S)
    expected = []  # unit by unit: its criteria, then its knowledge and performance evidence items
    for unit in document["units"]:
        records = [c for e in unit["elements"] for c in e["criteria"]]
        records += unit["knowledge_evidence"] + unit["performance_evidence"]
        expected += [r for r in records if r["status"] != "evidenced"]
    assert expected and [code for code, _ in listed] == [x["code"] for x in expected]
    for (_, body), item in zip(listed, expected, strict=True):
        assert item["text"] in text_of(body)  # Thai standard text, exact
    statuses: set[Any] = {x["status"] for x in expected}
    if "none" in statuses:
        assert words["none"] in section.group(1)


def test_the_learner_sees_the_latest_judgement_of_a_unit(site: Site) -> None:
    number, _, document = site.snapshot()
    unit = document["units"][0]["code"]
    assert site.judge({"snapshot": str(number), "unit": unit, "outcome": "more_evidence",
                       "comments": "ส่งหลักฐานการปฏิบัติงานเพิ่ม"}).status_code == 303
    set_locale(site, "th")
    browser = requests.Session()
    site.env.launch("3", browser)
    page = browser.get(f"{site.base}/my-portfolio", timeout=10).text
    assert "ต้องการหลักฐานเพิ่มเติม" in page and "ส่งหลักฐานการปฏิบัติงานเพิ่ม" in page
    assert "Ann Assessor" in page


def test_the_learners_course_page_shows_progress_criterion_by_criterion(site: Site) -> None:
    """Where a learner lands after launch: every criterion of the mapped units with its compiled status."""
    _, _, document = site.snapshot()
    browser = requests.Session()
    landed = site.env.launch("3", browser)
    assert landed.status_code == 200 and 'data-role="learner"' in landed.text
    shown = dict(re.findall(r'data-criterion="([^"]+)" data-status="(\w+)"', landed.text))
    expected = {c["code"]: c["status"] for u in document["units"] for e in u["elements"] for c in e["criteria"]}
    assert shown == expected and {"evidenced", "none"} <= set(shown.values())
    assert "/my-portfolio" in landed.text


def test_the_portfolio_and_its_exports_name_the_course_as_moodle_does(site: Site) -> None:
    """Read outside Moodle, a portfolio must say which course it is: Moodle's title and short name first, the
    site and Moodle's course id only as detail."""
    detail = f"{site.env.platform.url} · id 2"
    page = site.ann.get(f"{site.base}/portfolios/{site.sam_id}", timeout=10).text
    exported = site.ann.get(f"{site.base}/portfolios/{site.sam_id}/export.html", timeout=10).text
    for shown in (page, exported):
        course = re.search(r'<dd class="course">(.*?)</dd>', shown, re.S)
        assert course
        line = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", course.group(1).replace("<br>", " ")))
        assert html.unescape(line).strip() == f"LTI Lab Course (LTILAB) {detail}"
    pdf = pdfium.PdfDocument(site.ann.get(f"{site.base}/portfolios/{site.sam_id}/export.pdf", timeout=60).content)
    try:
        first_page = pdf[0].get_textpage().get_text_range()
    finally:
        pdf.close()
    assert "LTI Lab Course (LTILAB)" in first_page
    record = site.ann.get(f"{site.base}/portfolios/{site.sam_id}/export.json", timeout=10).json()
    document = record["portfolio"]
    assert record["format"] == "samattha-portfolio-record/1" and record["judgements"] == []
    canonical = json.dumps(document, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    assert hashlib.sha256(canonical.encode("utf-8")).hexdigest() == record["snapshot"]["content_hash"]
    assert document["course"] == {"id": "2", "title": "LTI Lab Course", "label": "LTILAB",
                                  "wwwroot": site.env.platform.url, "mapping_version": 1}
    listing = site.ann.get(f"{site.env.url}/api/courses/{site.course_pk}/portfolios", timeout=10).json()
    assert listing["course"]["title"] == "LTI Lab Course" and listing["course"]["label"] == "LTILAB"


def test_the_html_export_is_served_as_utf8_html(site: Site) -> None:
    exported = site.ann.get(f"{site.base}/portfolios/{site.sam_id}/export.html", timeout=10)
    assert exported.status_code == 200 and exported.headers["Content-Type"] == "text/html; charset=utf-8"


def test_the_learners_course_page_shows_the_outcome_and_where_to_work_on_each_gap(site: Site) -> None:
    number, _, document = site.snapshot()
    unit = next(u for u in document["units"] if u["code"] == "DG100")
    assert site.judge({"snapshot": str(number), "unit": "DG100", "outcome": "not_yet_competent",
                       "comments": "ยังขาดการอธิบายหลักการ"}).status_code == 303
    page = site.env.launch("3", site.sam)
    assert page.status_code == 200 and 'data-role="learner"' in page.text
    outcome = re.search(r'<section class="card outcome" data-evidenced="(\d+)" data-total="(\d+)">(.*?)</section>',
                        page.text, re.S)
    assert outcome
    evidenced = sum(u["summary"]["evidenced"] for u in document["units"])
    total = sum(u["summary"]["total"] for u in document["units"])
    assert (int(outcome.group(1)), int(outcome.group(2))) == (evidenced, total)
    assert f"{evidenced} of {total} criteria evidenced" in text_of(outcome.group(3))
    dg100 = re.search(r'<div class="outcome-unit" data-unit="DG100" data-outcome="not_yet_competent">(.*?)</div>',
                      outcome.group(3), re.S)
    assert dg100 and "Not yet competent" in dg100.group(1) and "ยังขาดการอธิบายหลักการ" in dg100.group(1)
    gaps = dict(re.findall(r'<li data-code="([^"]+)">(.*?)</li>', dg100.group(1), re.S))
    records = [c for e in unit["elements"] for c in e["criteria"]] + unit["knowledge_evidence"] + unit[
        "performance_evidence"]
    assert list(gaps) == [r["code"] for r in records if r["status"] != "evidenced"]
    # DG102.01 is mapped to reading the PDPA page (cmid 3), which Samattha has not listed from Moodle: the gap
    # links to it on the course page, where Moodle anchors each module.
    assert f'href="{site.env.platform.url}/course/view.php?id=2#module-3"' in gaps["DG102.01"]
    with site.env.db() as db:  # once the course's activities are read from Moodle, the link is the page itself
        db.add(CourseActivity(course_id=site.course_pk, iri=f"{site.env.platform.url}/mod/page/view.php?id=3", cmid=3,
                              module="page", name="PDPA", source="webservice", updated_at=utcnow()))
        db.commit()
    again = site.sam.get(f"{site.base}/learner", timeout=10).text
    assert f'href="{site.env.platform.url}/mod/page/view.php?id=3"' in again
    assert "อ่าน: พ.ร.บ. คุ้มครองข้อมูลส่วนบุคคล (Page)" in gaps["DG102.01"]
    assert 'class="ask-again"' in page.text
