"""Package quotas, over HTTP as a coordinator: the operator's limits for one package and for all packages
(SAMATTHA_PACKAGE_MAX_SIZE, SAMATTHA_PACKAGES_MAX_SIZE) refuse an upload or a replacement that would pass either,
saying how much is left in the page's language and leaving nothing behind; the content page shows the space used."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
import requests
from flask import Flask
from playwright.sync_api import expect
from sqlalchemy import select

from plugin.models.content import ContentPackage
from tests.browser import chromium
from tests.lti_platform import LTI, MoodlePlatform
from tests.test_content_upload import TINCAN, _zip, coordinator, package_files, refusal, upload
from tests.test_coverage_browser import problems
from tests.test_lti_flow import Env, browser_site, csrf, customise, env_fixture  # noqa: F401 - the fixture

KB = 1024


def package(size: int, text: str = "one") -> bytes:
    """A Tin Can package that unpacks to exactly ``size`` bytes; random filler, so no compression check applies."""
    index = f"<p>{text}</p>".encode()
    return _zip([("tincan.xml", TINCAN.encode()), ("index.html", index),
                 ("media.bin", os.urandom(size - len(TINCAN.encode()) - len(index)))])


def set_quota(env: Env, *, package: int, total: int) -> None:
    config = env.app.config["SAMATTHA"]
    env.app.config["SAMATTHA"] = config.with_overrides(package_max_bytes=package, packages_max_bytes=total)


def replace(env: Env, browser: requests.Session, page: str, package_id: int, data: bytes) -> requests.Response:
    return browser.post(f"{env.url}/course/{env.course().id}/content/{package_id}/replace",
                        data={"csrf": csrf(page)}, files={"package": ("new.zip", data, "application/zip")}, timeout=30)


def sizes(env: Env) -> dict[int, int]:
    with env.db() as db:
        live = select(ContentPackage).where(ContentPackage.removed_at.is_(None))
        return {row.id: row.size for row in db.scalars(live)}


def untouched(env: Env) -> list[str]:
    """Everything in the packages folder but the uploads' spool: no staging or half-unpacked folder stays."""
    root = Path(env.app.instance_path) / "packages"
    return sorted(p.name for p in root.iterdir() if p.name != ".uploads") if root.exists() else []


def space(page: str) -> str:
    found = re.search(r'<p id="space">([^<]*)</p>', page)
    assert found, page
    return found.group(1)


def test_a_package_larger_than_one_package_may_be_is_refused_and_leaves_nothing(env: Env) -> None:
    set_quota(env, package=100 * KB, total=1024 * KB)
    browser, page = coordinator(env)
    refused = upload(env, browser, page, package(150 * KB))
    assert refused.status_code == 400, refused.text
    told, detail = refusal(refused.text)
    assert told == "The package unpacks to more than 100 KB, the most one package may take on this server."
    assert "total uncompressed size exceeds 102400 bytes" in detail
    assert sizes(env) == {} and package_files(env) == [] and untouched(env) == []
    assert upload(env, browser, refused.text, package(100 * KB)).status_code == 200  # exactly the limit is fine


def test_uploads_past_the_total_are_refused_saying_what_is_left_and_the_page_shows_the_space(env: Env) -> None:
    set_quota(env, package=300 * KB, total=300 * KB)
    browser, page = coordinator(env)
    assert space(page) == "Space used by packages: 0 B of 300 KB (300 KB left). One package may take up to 300 KB."
    added = upload(env, browser, page, package(200 * KB))
    assert added.status_code == 200 and "Package added" in added.text
    (first,) = sizes(env)
    assert sizes(env) == {first: 200 * KB}
    assert space(added.text) == "Space used by packages: 200 KB of 300 KB (100 KB left). One package may take up to " \
                                "300 KB."
    assert re.search(rf'<tr data-package="{first}">.*?<td class="size">200 KB</td>', added.text, re.S)
    before = package_files(env)

    refused = upload(env, browser, added.text, package(101 * KB, "two"))
    assert refused.status_code == 400
    told, detail = refusal(refused.text)
    assert told.startswith("There is not enough space for this package: it needs 101 KB, and 100 KB is left of the "
                           "300 KB for all packages.")
    assert detail == f"package: unpacks to {101 * KB} bytes; {100 * KB} of the {300 * KB} bytes for all packages " \
                     "are left"
    assert sizes(env) == {first: 200 * KB} and package_files(env) == before and untouched(env) == [str(first)]

    # In Thai, as the coordinator's Moodle speaks it.
    customise(env.platform, lambda p: p[LTI + "launch_presentation"].update(locale="th"))
    thai, page = coordinator(env)
    told, _ = refusal(upload(env, thai, page, package(101 * KB, "two")).text)
    assert "ต้องใช้ 101 KB แต่เหลือพื้นที่ 100 KB จาก 300 KB สำหรับทุกแพ็กเกจ" in told
    assert space(page).startswith("พื้นที่ที่แพ็กเกจใช้: 200 KB จาก 300 KB (เหลือ 100 KB)")
    assert upload(env, thai, page, package(100 * KB, "two")).status_code == 200  # what is left still fits


def test_a_replacement_counts_the_space_its_old_version_frees(env: Env) -> None:
    set_quota(env, package=300 * KB, total=300 * KB)
    browser, page = coordinator(env)
    assert upload(env, browser, page, package(200 * KB)).status_code == 200
    (first,) = sizes(env)
    # 250 KB does not fit beside the 200 KB, but does in its place.
    assert upload(env, browser, page, package(250 * KB, "two")).status_code == 400
    replaced = replace(env, browser, page, first, package(250 * KB, "new"))
    assert replaced.status_code == 200 and "Package replaced" in replaced.text, replaced.text
    assert sizes(env) == {first: 250 * KB}
    # A replacement the total cannot hold is refused at the top of its own form, and the old version stays.
    assert upload(env, browser, page, package(40 * KB, "two")).status_code == 200
    refused = replace(env, browser, page, first, package(270 * KB, "bigger"))
    assert refused.status_code == 400
    told, _ = refusal(refused.text, f"replace-{first}")
    assert "it needs 270 KB, and 260 KB is left of the 300 KB" in told
    assert sizes(env)[first] == 250 * KB and untouched(env) == sorted(str(i) for i in sizes(env))
    served = browser.get(f"{env.url}/content/{first}/files/index.html", timeout=10)
    assert served.text == "<p>new</p>"


def test_removing_a_package_gives_its_space_back(env: Env) -> None:
    set_quota(env, package=300 * KB, total=300 * KB)
    browser, page = coordinator(env)
    assert upload(env, browser, page, package(200 * KB)).status_code == 200
    (first,) = sizes(env)
    assert upload(env, browser, page, package(200 * KB, "two")).status_code == 400
    removed = browser.post(f"{env.url}/course/{env.course().id}/content/{first}/remove",
                           data={"csrf": csrf(page), "confirm": "yes"}, timeout=10)
    assert removed.status_code == 200 and space(removed.text).startswith("Space used by packages: 0 B of 300 KB")
    assert upload(env, browser, page, package(200 * KB, "two")).status_code == 200


def test_a_file_larger_than_a_request_may_be_is_refused_unread_in_the_form_it_was_sent_with(env: Env) -> None:
    browser, page = coordinator(env)
    env.app.config["MAX_CONTENT_LENGTH"] = 100 * KB
    refused = upload(env, browser, page, package(150 * KB))
    assert refused.status_code == 413
    assert refusal(refused.text) == ("The file is larger than 100 KB, the most one upload may be.", "")
    assert sizes(env) == {} and untouched(env) == []


@pytest.mark.parametrize("language", ["th", "en"])
def test_in_chromium_a_refusal_takes_the_focus_at_the_top_of_its_form(app: Flask, language: str) -> None:
    broken = _zip([("tincan.xml", b'<tincan xmlns="http://projecttincan.com/tincan.xsd"><activities>'),
                   ("index.html", b"x")])
    with browser_site(app, MoodlePlatform()) as env, chromium() as browser:
        set_quota(env, package=300 * KB, total=300 * KB)
        customise(env.platform, lambda p: p[LTI + "launch_presentation"].update(locale=language))
        page = browser.new_context().new_page()
        page.goto(f"{env.platform.url}/mod/lti/launch.php?id=2&user=4")
        expect(page.locator('h1.lti-page[data-role="coordinator"]')).to_be_visible(timeout=15000)
        content = f"{env.url}/course/{env.course().id}/content"
        found: list[str] = []
        for width in (1366, 390):
            page.set_viewport_size({"width": width, "height": 900})
            page.goto(content)
            page.set_input_files("input[name=package] >> nth=0", {"name": "broken.zip", "mimeType": "application/zip",
                                                                   "buffer": broken})
            with page.expect_navigation():  # the refusal is a page of its own: wait for it, not the form
                page.locator("form button[type=submit] >> nth=0").click()
            summary = page.locator("#upload-error")
            expect(summary).to_be_focused()
            expect(summary).to_contain_text("ไฟล์กำกับแพ็กเกจ (tincan.xml หรือ cmi5.xml) มีข้อผิดพลาด" if language == "th"
                                            else "The package's manifest (tincan.xml or cmi5.xml) has a mistake")
            detail = summary.locator("details code")
            expect(detail).to_be_hidden()  # folded until asked for
            summary.locator("summary").click()
            expect(detail).to_contain_text("tincan.xml: not well-formed XML")
            found += problems(page, f"content-refused-{language}-{width}")
        assert not found, found
