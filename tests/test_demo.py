"""``samattha demo`` as a person runs it: the real process, its printed tour URL, and a real LTI launch as each
of the five people through the built-in Moodle-like platform, each landing on their role's page."""

from __future__ import annotations

import csv
import html
import io
import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from plugin.demo.moodle import MoodlePlatform
from plugin.demo.site import NON_EDITING_TEACHER, PEOPLE, TOOL_CMID, launch
from plugin.demo.week import COURSE_ACTIVITIES
from tests.conftest import TEST_DATABASE_URL, FreshDatabases
from tests.servers import ROOT, free_port, plugin_env, plugin_process, wait_for

# Where each person lands: their role's page, the assessor on their caseload.
LANDING = {"learner": "learner", "coordinator": "coordinator", "assessor": "portfolios", "admin": "admin",
           "viewer": "viewer"}


@dataclass
class Demo:
    url: str  # the tour's URL as printed
    base: str
    instance: Path
    log: Path


@contextmanager
def run_demo(tmp: Path, database_url: str | None, *, instance: Path | None = None,
             port: int | None = None) -> Iterator[Demo]:
    port = port or free_port()
    instance = instance or tmp / "demo-instance"
    env = plugin_env() | {"PYTHONUNBUFFERED": "1"}
    args = ["demo", "--port", str(port), "--instance", str(instance)]
    if database_url:
        args += ["--database-url", database_url]
    log = tmp / f"demo-{port}.log"
    with plugin_process(args, env, log) as process:
        url = wait_for(process, log, "samattha demo", lambda: _tour_url(log), seconds=120)
        yield Demo(url, f"http://127.0.0.1:{port}", instance, log)


def _tour_url(log: Path) -> str | None:
    found = re.search(r"open (http://\S+) to take the tour", log.read_text(errors="replace"))
    return found.group(1) if found else None


@pytest.fixture(name="demo_db")
def demo_db_fixture(databases: FreshDatabases) -> str | None:
    """SQLite inside the demo instance (the default), or a fresh PostgreSQL schema when testing on PostgreSQL."""
    return databases.new() if TEST_DATABASE_URL else None


def _platform_of(tour_page: str) -> MoodlePlatform:
    """A handle on the demo's Moodle for launching: only its URL is needed, the server holds the state."""
    platform = MoodlePlatform()
    found = re.search(r"<code>(http://[^<]+/demo-moodle)</code>", tour_page)
    assert found, tour_page[:500]
    platform.url = found.group(1)
    return platform


def test_demo_tour_launches_each_person_onto_their_page(tmp_path: Path, demo_db: str | None) -> None:
    with run_demo(tmp_path, demo_db) as demo:
        tour = requests.get(demo.url, timeout=10)
        assert tour.status_code == 200
        log = demo.log.read_text()
        # Six members: the tour's five and the non-editing teacher, who is no learner (three are compiled).
        assert "Roster from Moodle (NRPS): 6 members." in log, log
        assert re.search(r"Compile run \d+ finished: 1 courses, 3 learners compiled", log), log
        rows = re.findall(r'class="demo-person" data-user="(\d+)" data-role="(\w+)"', tour.text)
        assert rows == [(p.user.id, p.role) for p in PEOPLE]
        assert [r for _, r in rows].count("learner") == 3
        for person in PEOPLE:
            assert person.user.name in tour.text  # Thai names, exact
        platform = _platform_of(tour.text)
        for person in PEOPLE:
            browser = requests.Session()
            landed = _follow_button(platform, tour.text, person.user.id, browser)
            assert landed.status_code == 200, landed.text[:500]
            assert re.search(rf'class="lti-page" data-role="{person.role}"', landed.text), (person, landed.url)
            assert landed.url.startswith(demo.base + "/course/") and landed.url.endswith("/" + LANDING[person.role])
            if person.role == "coordinator":
                _assert_coverage_names_activities_as_the_course_does(browser, landed.url, tour.text)
        # Moodle launches its non-editing teacher as Instructor too; its own roles make them staff who view.
        staff = launch(platform, NON_EDITING_TEACHER.user.id, TOOL_CMID)
        assert staff.url.endswith("/viewer") and 'data-role="viewer"' in staff.text


def _assert_coverage_names_activities_as_the_course_does(browser: requests.Session, coordinator_page: str,
                                                          tour: str) -> None:
    """Each column of the coverage matrix is a mapped activity, named as the course shows it: a Moodle activity
    by its name in Moodle, a knowledge check by the title of its link on the tour (and in the editor)."""
    matrix = browser.get(coordinator_page.rsplit("/", 1)[0] + "/coverage/matrix.csv", timeout=10)
    assert matrix.status_code == 200
    columns = next(csv.reader(io.StringIO(matrix.text.removeprefix("\ufeff"))))[3:-1]
    packages = {html.unescape(title) for title in re.findall(r'class="demo-package"[^>]*>([^<]*)</a>', tour)}
    assert len(packages) == 3 and any("DS602" in title for title in packages)
    assert sorted(columns) == sorted({module.title for module in COURSE_ACTIVITIES} | packages)


def _follow_button(platform: MoodlePlatform, tour: str, user_id: str, browser: requests.Session) -> requests.Response:
    """The person's launch button points at Moodle's launch.php for the Samattha activity; follow it."""
    button = re.search(rf'class="button demo-launch" href="([^"]*user={user_id})"', tour)
    assert button, f"no launch button for user {user_id}"
    assert button.group(1).replace("&amp;", "&") == f"{platform.url}/mod/lti/launch.php?id=2&user={user_id}"
    return launch(platform, user_id, browser=browser)


def test_demo_refuses_a_folder_that_is_not_a_demo(tmp_path: Path, demo_db: str | None) -> None:
    real = tmp_path / "real"
    real.mkdir()
    (real / "samattha.db").write_bytes(b"")
    refused = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "plugin", "demo", "--instance", str(real), "--port", str(free_port())], cwd=ROOT,
        capture_output=True, text=True, timeout=60,
        env=plugin_env(), check=False)
    assert refused.returncode == 2 and "--instance" in refused.stderr and "other than a Samattha demo" in refused.stderr
    assert sorted(p.name for p in real.iterdir()) == ["samattha.db"]


def test_an_earlier_demo_instance_starts_again_without_seeding_twice(tmp_path: Path, demo_db: str | None) -> None:
    port, instance = free_port(), tmp_path / "kept"
    with run_demo(tmp_path, demo_db, instance=instance, port=port) as first:
        platform = _platform_of(requests.get(first.url, timeout=10).text)
        assert launch(platform, "3").url.endswith("/learner")
    with run_demo(tmp_path, demo_db, instance=instance, port=port) as again:
        log = again.log.read_text()
        assert "Roster from Moodle" not in log and "A week of learning" not in log  # nothing seeded twice
        tour = requests.get(again.url, timeout=10).text
        platform = _platform_of(tour)
        for person in PEOPLE:  # the same tool registration (client id) and course, new platform keys
            landed = launch(platform, person.user.id)
            assert landed.status_code == 200 and landed.url.endswith("/" + LANDING[person.role]), landed.url
        assert 'data-cmid="12"' in tour  # the placed packages are the course's activities again
        # The Web Services token Samattha stored for the demo's Moodle still opens it after the restart.
        settings = {"instance_path": str(instance), "base_url": again.base}
        settings |= {"database_url": demo_db} if demo_db else {}
        discover = subprocess.run(  # noqa: S603
            [sys.executable, "-m", "plugin", "mappings", "activities", "--course", "2", "--discover"], cwd=ROOT,
            capture_output=True, text=True, timeout=60, env=plugin_env(**settings), check=False)
        assert discover.returncode == 0 and "invalidtoken" not in discover.stdout + discover.stderr, discover.stderr
    elsewhere = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "plugin", "demo", "--instance", str(instance), "--port", str(free_port()),
         *(["--database-url", demo_db] if demo_db else [])], cwd=ROOT, capture_output=True, text=True, timeout=60,
        env=plugin_env(), check=False)
    assert elsewhere.returncode == 2 and "--port: this demo instance was made for" in elsewhere.stderr


def test_the_tour_refuses_a_compile_without_its_form_token(tmp_path: Path, demo_db: str | None) -> None:
    with run_demo(tmp_path, demo_db) as demo:
        refused = requests.post(demo.base + "/demo/compile", data={"token": "guess"}, timeout=10)
        assert refused.status_code == 400 and "token" in refused.text
        token = re.search(r'name="token" value="([^"]+)"', requests.get(demo.url, timeout=10).text)
        assert token
        done = requests.post(demo.base + "/demo/compile", data={"token": token.group(1)}, timeout=30)
        assert done.status_code == 200 and re.search(r"Compile run \d+ finished", done.text)
