"""Uploading content packages through the coordinator's page after a real LTI launch: good packages are
stored and their activities recorded; hostile archives and manifests are refused, naming the problem, and
leave no row and no file behind."""

from __future__ import annotations

import html
import io
import os
import re
import stat
import zipfile
from pathlib import Path
from typing import get_args

import pytest
import requests
from sqlalchemy import func, select

from plugin.archives import Reason
from plugin.content import web  # noqa: F401 - registers the page's messages
from plugin.content.samples import zip_sample
from plugin.launch.i18n import MESSAGES
from plugin.models import CourseActivity
from plugin.models.content import ContentPackage
from tests.test_lti_flow import Env, csrf, env_fixture  # noqa: F401 - the fixture

TINCAN = ('<?xml version="1.0"?><tincan xmlns="http://projecttincan.com/tincan.xsd"><activities>'
          '<activity id="https://example.test/a" type="http://adlnet.gov/expapi/activities/course">'
          '<name>A</name><launch>index.html</launch></activity></activities></tincan>')


def _zip(entries: list[tuple[zipfile.ZipInfo | str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for info, data in entries:
            archive.writestr(info, data)
    return buffer.getvalue()


def _symlink(name: str, target: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    info.create_system = 3
    return info


def coordinator(env: Env) -> tuple[requests.Session, str]:
    browser = requests.Session()
    env.launch("4", browser)
    page = browser.get(f"{env.url}/course/{env.course().id}/content", timeout=10)
    assert page.status_code == 200, page.text
    return browser, page.text


def upload(env: Env, browser: requests.Session, page: str, data: bytes, name: str = "package.zip") -> requests.Response:
    return browser.post(f"{env.url}/course/{env.course().id}/content", data={"csrf": csrf(page)},
                        files={"package": (name, data, "application/zip")}, timeout=30)


def stored_packages(env: Env) -> int:
    with env.db() as db:
        return int(db.scalar(select(func.count()).select_from(ContentPackage)) or 0)


def package_files(env: Env) -> list[Path]:
    root = Path(env.app.instance_path) / "packages"
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_a_sample_package_is_stored_served_and_its_activities_recorded(env: Env, tmp_path: Path) -> None:
    browser, page = coordinator(env)
    data = zip_sample("dg-opsr-023-ds601", tmp_path / "ds601.zip").read_bytes()
    done = upload(env, browser, page, data, "ds601.zip")
    assert done.status_code == 200 and "Package added" in done.text, done.text
    with env.db() as db:
        package = db.scalars(select(ContentPackage)).one()
        iris = {a.iri: a.source for a in db.scalars(select(CourseActivity))}
    assert package.kind == "tincan" and package.activity_iri == "https://samattha.dev/content/dg-opsr-023/ds601"
    assert iris == {"https://samattha.dev/content/dg-opsr-023/ds601": "package"}
    served = browser.get(f"{env.url}/content/{package.id}/files/index.html", timeout=10)
    assert served.status_code == 200 and served.headers["Content-Type"].startswith("text/html")
    script = browser.get(f"{env.url}/content/{package.id}/files/xapi.js", timeout=10)
    assert script.status_code == 200 and "javascript" in script.headers["Content-Type"]
    # No listing of folders, no way out of the package, nothing for someone without a launch.
    assert browser.get(f"{env.url}/content/{package.id}/files/fonts", timeout=10).status_code == 404
    assert browser.get(f"{env.url}/content/{package.id}/files/fonts/", timeout=10).status_code == 404
    escape = browser.get(f"{env.url}/content/{package.id}/files/..%2f..%2fsamattha.db", timeout=10)
    assert escape.status_code == 404
    assert requests.get(f"{env.url}/content/{package.id}/files/index.html", timeout=10).status_code == 401


def test_only_coordinators_upload_and_the_form_token_is_required(env: Env) -> None:
    learner = requests.Session()
    env.launch("3", learner)
    assert learner.get(f"{env.url}/course/{env.course().id}/content", timeout=10).status_code == 403
    browser, _ = coordinator(env)
    refused = browser.post(f"{env.url}/course/{env.course().id}/content",
                           files={"package": ("p.zip", _zip([("tincan.xml", TINCAN.encode())]))}, timeout=10)
    assert refused.status_code == 403 and stored_packages(env) == 0


# Nine levels of ten: 10^9 "a"s if an entity were ever expanded.
LAUGHS = '<!ENTITY a "aaaaaaaaaa">' + "".join(
    f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(8))


def _with_doctype(subset: str, entity: str) -> bytes:
    body = TINCAN.split("?>", 1)[1].replace("<name>A</name>", f"<name>&{entity};</name>")
    return f'<?xml version="1.0"?><!DOCTYPE tincan [{subset}]>{body}'.encode()


UNSAFE = "unsafe name or a link"
BOMB = "far more than course content does"
BAD_MANIFEST = "manifest (tincan.xml or cmi5.xml) has a mistake"
# Each: the zip, what the coordinator reads (in their words), and the technical detail folded under it.
HOSTILE = {
    "zip-slip": (_zip([("tincan.xml", TINCAN.encode()), ("index.html", b"x"), ("../../evil.html", b"x")]),
                 UNSAFE, "path escapes the archive"),
    "absolute path": (_zip([("tincan.xml", TINCAN.encode()), ("index.html", b"x"), ("/etc/cron.d/evil", b"x")]),
                      UNSAFE, "absolute path"),
    "symlink": (_zip([("tincan.xml", TINCAN.encode()), ("index.html", b"x"), (_symlink("etc", "/etc"), b"/etc")]),
                UNSAFE, "symbolic link"),
    "zip bomb": (_zip([("tincan.xml", TINCAN.encode()), ("index.html", b"x"), ("big.txt", b"\0" * (8 << 20))]),
                 BOMB, "compression ratio"),
    "XXE manifest": (_zip([("tincan.xml", _with_doctype('<!ENTITY x SYSTEM "file:///etc/passwd">', "x")),
                           ("index.html", b"x")]), BAD_MANIFEST, "DOCTYPE declarations are not allowed"),
    "billion laughs": (_zip([("tincan.xml", _with_doctype(LAUGHS, "i")), ("index.html", b"x")]),
                       BAD_MANIFEST, "DOCTYPE declarations are not allowed"),
    "broken manifest": (_zip([("tincan.xml", b'<tincan xmlns="http://projecttincan.com/tincan.xsd"><activities>'),
                              ("index.html", b"x")]), BAD_MANIFEST, "tincan.xml: not well-formed XML"),
    "huge manifest": (_zip([("tincan.xml", os.urandom(1024 * 1024 + 1)), ("index.html", b"x")]), BAD_MANIFEST,
                      "tincan.xml: larger than 1048576 bytes"),
    "not a zip": (b"MZ\x90\x00 this is an executable, not a package", "This file is not a zip file", "not a zip"),
    "no manifest": (_zip([("index.html", b"x")]), "This zip is not an xAPI package", "no cmi5.xml or tincan.xml"),
}


def refusal(page: str, form: str = "upload") -> tuple[str, str]:
    """(what the reader is told, the technical detail) of the refusal at the top of ``form``, which takes the
    focus when the page loads."""
    found = re.search(rf'<div class="card error-summary" role="alert" tabindex="-1" autofocus id="{form}-error"[^>]*>'
                      r'.*?<p class="error">(.*?)</p>\s*(?:<details><summary>[^<]*</summary><code[^>]*>(.*?)</code>)?',
                      page, re.S)
    assert found, page
    return html.unescape(found.group(1)), html.unescape(found.group(2) or "")


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_uploads_are_refused_and_leave_nothing_behind(env: Env, name: str) -> None:
    data, told, problem = HOSTILE[name]
    browser, page = coordinator(env)
    refused = upload(env, browser, page, data)
    assert refused.status_code == 400, refused.text
    message, detail = refusal(refused.text)
    assert told in message and problem in detail, (message, detail)
    assert stored_packages(env) == 0 and package_files(env) == []
    with env.db() as db:
        assert db.scalar(select(func.count()).select_from(CourseActivity)) == 0
    # The page still works afterwards: a good package goes in.
    fine = upload(env, browser, refused.text, _zip([("tincan.xml", TINCAN.encode()), ("index.html", b"<p>hi</p>")]))
    assert fine.status_code == 200 and stored_packages(env) == 1


def test_every_refusal_has_words_for_the_coordinator_in_thai_and_english() -> None:
    reasons = {*get_args(Reason), "no_manifest", "manifest", "quota_package", "quota_total", "kind_tincan",
               "kind_cmi5", "removed", "too_large"}
    for reason in reasons:
        english, thai = MESSAGES[f"content.refused.{reason}"]
        assert english and re.search("[\u0e00-\u0e7f]", thai), reason
