"""A content package's files are isolated from the viewer's Samattha session (issue 18 item 8).

A coordinator uploads the package; anyone of the course who opens it runs its scripts. Served with a sandboxing
policy (no allow-same-origin) the package's documents have an opaque origin: in Chromium, a package script that
asks Samattha's pages and APIs for the viewer's data, with credentials, gets nothing, and cannot read the session
cookie; the package still reaches the LRS with the Basic credential its launch gave it."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
import requests

from plugin.content.samples import zip_sample
from tests.browser import chromium
from tests.test_content_launch import content_url, login_url, place
from tests.test_lti_flow import Env, env_fixture

assert env_fixture  # the `env` fixture, shared with test_lti_flow

PROBE = """<!doctype html><html><head><meta charset="utf-8"><title>probe</title></head><body>
<script>
(async function () {
  var found = {};
  try { found.cookie = document.cookie; } catch (e) { found.cookie = "refused: " + e.name; }
  for (const path of PATHS) {
    try {
      const answer = await fetch(path, {credentials: "include"});
      found[path] = answer.status + " " + (await answer.text()).slice(0, 200);
    } catch (e) { found[path] = "blocked: " + e.name; }
  }
  var launch = new URLSearchParams(location.search);
  try {
    const lrs = await fetch(launch.get("endpoint") + "about", {headers: {"Authorization": launch.get("auth"),
      "X-Experience-API-Version": "1.0.3"}, credentials: "omit"});
    found.lrs = lrs.status;
  } catch (e) { found.lrs = "blocked: " + e.name; }
  document.body.setAttribute("data-probe", JSON.stringify(found));
})();
</script></body></html>"""


def probe_package(tmp_path: Path, paths: list[str]) -> bytes:
    """A sample package whose index.html is the probe (its manifest and launch stay the sample's)."""
    sample = zip_sample("dg-opsr-023-ds601", tmp_path / "sample.zip")
    out = tmp_path / "probe.zip"
    with zipfile.ZipFile(sample) as source, zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "index.html":
                data = PROBE.replace("PATHS", json.dumps(paths)).encode()
            target.writestr(item, data)
    return out.read_bytes()


@pytest.mark.browser
def test_a_package_script_gets_nothing_of_the_viewers_session(env: Env, standard: object, tmp_path: Path) -> None:
    env.launch("4")
    course = env.course().id
    learner = f"/course/{course}/learner"
    # The learner's own pages and the staff's: the viewer opens the package as the coordinator here, the most
    # a script could act as.
    paths = [learner, f"/course/{course}/coordinator", f"/course/{course}/portfolios",
             f"/api/courses/{course}/portfolios", f"/course/{course}/content"]
    custom = place(env, probe_package(tmp_path, paths))
    with chromium() as browser:
        page = browser.new_page()
        page.goto(login_url(env, "4", int(custom["cmid"])))
        page.wait_for_selector("body[data-probe]", state="attached")
        found = json.loads(page.get_attribute("body", "data-probe") or "{}")
        # The viewer does have the session: the same pages, opened as pages, answer.
        assert "data-role=\"coordinator\"" in page.context.request.get(
            f"{env.url}/course/{course}/coordinator").text()
    assert found["cookie"].startswith("refused"), found
    for path in paths:
        answer = str(found[path])
        assert answer.startswith("blocked") or answer.split(" ", 1)[0] in ("401", "403"), (path, answer)
    assert found["lrs"] == 200, found  # the launch's Basic credential still reaches the LRS


def test_package_files_are_sandboxed_and_framed_only_by_trusted_sites(env: Env, tmp_path: Path) -> None:
    custom = place(env, zip_sample("dg-opsr-023-ds601", tmp_path / "p.zip").read_bytes())
    url = content_url(env, "3", int(custom["cmid"]))
    served = requests.get(url, timeout=10)  # no Samattha session: the launch's grant opens the package's files
    assert served.status_code == 200 and "<html" in served.text.lower()
    policy = served.headers["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert "allow-scripts" in directives["sandbox"] and "allow-same-origin" not in directives["sandbox"]
    assert directives["frame-ancestors"] == f"'self' {env.platform.url}"
    assert served.headers["Referrer-Policy"] == "no-referrer"
    # The grant opens this package's files, nothing else: not another package, not a forged or altered grant.
    grant = url.split("/files/", 1)[1].split("/", 1)[0]
    script = url.split("?", 1)[0].rsplit("/", 1)[0] + "/xapi.js"
    assert requests.get(script, timeout=10).status_code == 200
    assert requests.get(script.replace(grant, grant[:-2] + "xx"), timeout=10).status_code == 401
    other = url.split("/content/", 1)[0] + f"/content/999/files/{grant}/xapi.js"
    assert requests.get(other, timeout=10).status_code == 404
    assert requests.get(url.split("/content/", 1)[0] + f"/course/{env.course().id}/learner", timeout=10
                        ).status_code == 401
