"""The hand-written Tin Can sample packages for DG-OPSR-023 (content/packages): manifests, self-containment,
the question data, and what they send, driven in headless Chromium against a fake LRS on another origin."""

from __future__ import annotations

import functools
import json
import re
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from flask import Flask, Response, abort, jsonify, request, send_from_directory
from lxml import etree
from playwright.sync_api import Browser, Page, expect

from plugin.content.manifests import TinCanPackage, read_package
from plugin.content.samples import assemble_sample, zip_sample
from tests.browser import chromium
from tests.servers import serve_app

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ROOT / "content" / "packages"
SHARED = PACKAGES / "shared"
FONTS = ROOT / "plugin" / "static" / "fonts"
STANDARD = ROOT / "content" / "standards" / "dg-opsr-023.json"
ELEMENTS = ("ds601", "ds602", "ds603")
TINCAN = "{http://projecttincan.com/tincan.xsd}"
BASE_IRI = "https://samattha.dev/content/dg-opsr-023"
COURSE = "http://adlnet.gov/expapi/activities/course"
INTERACTION = "http://adlnet.gov/expapi/activities/cmi.interaction"
VERB = "http://adlnet.gov/expapi/verbs/"
EXT_PACKAGE = "https://samattha.dev/xapi/extensions/package"
EXT_CRITERIA = "https://samattha.dev/xapi/extensions/criteria"
AUTH = "Basic dGVzdDp0ZXN0"
ACTOR = {"objectType": "Agent", "account": {"homePage": "http://moodle.test", "name": "3"}}
THAI = re.compile(r"[\u0E01-\u0E5B]")
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
# Absolute URLs allowed in package files: identifiers (IRIs, namespaces), never something a browser loads.
IRI_PREFIXES = ("https://samattha.dev/", "http://adlnet.gov/expapi/", "http://projecttincan.com/tincan.xsd")

Json = dict[str, Any]


@functools.cache
def package_dir(element: str) -> Path:
    """The package as assembled for upload (its own files, the shared player code and the fonts)."""
    return assemble_sample(f"dg-opsr-023-{element}", Path(tempfile.mkdtemp()) / element)


def quiz_data(element: str) -> Json:
    text = (package_dir(element) / "questions.js").read_text(encoding="utf-8")
    start = text.index("window.SAMATTHA_QUIZ = ") + len("window.SAMATTHA_QUIZ = ")
    data: Json = json.loads(text[start:].strip().removesuffix(";"))
    return data


def standard_criteria() -> dict[str, list[str]]:
    unit = json.loads(STANDARD.read_text(encoding="utf-8"))["units"][0]
    return {e["code"]: [c["code"] for c in e["criteria"]] for e in unit["elements"]}


def parse_manifest(element: str) -> Any:
    parser = etree.XMLParser(load_dtd=False, no_network=True, resolve_entities=False)
    return etree.parse(str(package_dir(element) / "tincan.xml"), parser).getroot()


def langs(activity: Any, tag: str) -> dict[str, str]:
    return {node.get("lang"): node.text for node in activity.findall(TINCAN + tag)}


# ---------------------------------------------------------------------------------------------------------------
# Static checks


@pytest.mark.parametrize("element", ELEMENTS)
def test_manifest_parses_and_matches_the_questions(element: str) -> None:
    root = parse_manifest(element)
    assert root.tag == TINCAN + "tincan"
    activities = root.findall(f"{TINCAN}activities/{TINCAN}activity")
    ids = [a.get("id") for a in activities]
    assert len(ids) == len(set(ids))
    course, questions = activities[0], activities[1:]
    assert course.get("id") == f"{BASE_IRI}/{element}"
    assert course.get("type") == COURSE
    assert set(langs(course, "name")) == set(langs(course, "description")) == {"th-TH", "en-US"}
    assert "80" in langs(course, "description")["th-TH"] and "80%" in langs(course, "description")["en-US"]
    launch = course.find(TINCAN + "launch")
    assert launch is not None and launch.get("lang") == "th-TH"
    assert (package_dir(element) / launch.text).is_file()

    quiz = quiz_data(element)
    assert quiz["activityId"] == course.get("id")
    assert quiz["title"] == langs(course, "name") and quiz["description"] == langs(course, "description")
    assert [a.get("id") for a in questions] == [f"{BASE_IRI}/{element}/{q['id']}" for q in quiz["questions"]]
    for activity, question in zip(questions, quiz["questions"], strict=True):
        assert activity.get("type") == INTERACTION
        assert activity.find(TINCAN + "launch") is None
        assert langs(activity, "description") == question["text"]
        assert activity.findtext(TINCAN + "interactionType") == question["type"]


@pytest.mark.parametrize("element", ELEMENTS)
def test_the_uploader_accepts_the_zipped_package(element: str, tmp_path: Path) -> None:
    archive = tmp_path / f"{element}.zip"
    zip_sample(f"dg-opsr-023-{element}", archive)
    package = read_package(archive)
    assert package.kind == "tincan" and package.prefix == ""
    assert isinstance(package.manifest, TinCanPackage)
    assert package.manifest.activities[0].launch == "index.html"
    assert len(package.manifest.activities) == 1 + len(quiz_data(element)["questions"])


@pytest.mark.parametrize("element", ELEMENTS)
def test_assembled_package_carries_the_shared_code_and_fonts_unchanged(element: str) -> None:
    shared = sorted(p.name for p in SHARED.iterdir())
    assert "xapi.js" in shared
    for name in shared:
        assert (package_dir(element) / name).read_bytes() == (SHARED / name).read_bytes(), name
    for name in ("sarabun-thai-400-normal.woff2", "sarabun-latin-400-normal.woff2", "OFL.txt"):
        assert (package_dir(element) / "fonts" / name).read_bytes() == (FONTS / name).read_bytes(), name
    css = (package_dir(element) / "quiz.css").read_text(encoding="utf-8")
    assert "@font-face" in css and 'url("fonts/sarabun-thai-400-normal.woff2")' in css
    assert '"Sarabun", "Noto Sans Thai", "TH Sarabun New", sans-serif' in css


REFERENCE = re.compile(r"""(?:\b(?:src|href)\s*=\s*|url\(\s*)["']?([^"')\s>]+)""", re.IGNORECASE)
ABSOLUTE = re.compile(r"""(?:https?:)?//[^\s"'<>)]+""")


@pytest.mark.parametrize("element", ELEMENTS)
def test_nothing_is_loaded_from_outside_the_package(element: str) -> None:
    folder = package_dir(element)
    for path in sorted(folder.rglob("*")):
        if path.suffix not in (".html", ".css", ".js"):
            continue
        text = path.read_text(encoding="utf-8")
        for match in REFERENCE.finditer(text):
            target = match.group(1).split("?")[0].split("#")[0]
            assert ":" not in target and not target.startswith("/"), f"{path.name}: {match.group(0)!r}"
            if path.suffix != ".js":  # in JS, src=/href= are DOM code, not file references
                assert (path.parent / target).resolve().is_relative_to(folder), target
                assert (path.parent / target).is_file(), f"{path.name}: {target} is missing"
        for url in ABSOLUTE.findall(text):
            assert url.startswith(IRI_PREFIXES), f"{path.name}: {url}"
        assert "@import" not in text and "import(" not in text


@pytest.mark.parametrize("element", ELEMENTS)
def test_question_data_is_complete_and_bilingual(element: str) -> None:
    quiz = quiz_data(element)
    code = element.upper()
    criteria = standard_criteria()[code]
    assert quiz["packageId"] == f"dg-opsr-023-{element}" and quiz["element"]["code"] == code
    assert quiz["criteria"] == criteria and quiz["passMark"] == 0.8
    questions = quiz["questions"]
    assert 4 <= len(questions) <= 6
    assert [q["id"] for q in questions] == [f"q{n}" for n in range(1, len(questions) + 1)]
    covered = {c for q in questions for c in q["criteria"]}
    assert covered == set(criteria), "every criterion of the element has a question"

    def bilingual(text: dict[str, str]) -> None:
        assert set(text) == {"th-TH", "en-US"}
        assert THAI.search(text["th-TH"]) and not THAI.search(text["en-US"]), text
        assert text["th-TH"].strip() == text["th-TH"] and "  " not in text["th-TH"], text

    for question in questions:
        for key in ("topic", "text", "explanation"):
            bilingual(question[key])
        if question["type"] == "choice":
            ids = [choice["id"] for choice in question["choices"]]
            assert len(ids) == len(set(ids)) >= 3 and question["correct"] in ids
            for choice in question["choices"]:
                bilingual(choice["text"])
        else:
            assert question["type"] == "true-false" and "choices" not in question
            assert question["correct"] in ("true", "false")
    assert {q["type"] for q in questions} == {"choice", "true-false"}


# ---------------------------------------------------------------------------------------------------------------
# A fake LRS on its own origin (so CORS is exercised as it is against a real one) and a static content server.


@dataclass
class Posted:
    statement: Json
    headers: dict[str, str]


@dataclass
class FakeLRS:
    posted: list[Posted] = field(default_factory=list)
    rejected: int = 0
    reject_with: tuple[int, str] | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def reset(self) -> None:
        with self.lock:
            self.posted.clear()
            self.rejected = 0
            self.reject_with = None

    def statements(self, registration: str | None = None) -> list[Json]:
        """What was stored, oldest first; with a registration, only that launch's statements."""
        with self.lock:
            return [p.statement for p in self.posted
                    if registration is None or p.statement.get("context", {}).get("registration") == registration]

    def wait_for(self, registration: str, done: Callable[[list[Json]], bool], timeout: float = 10.0) -> list[Json]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            statements = self.statements(registration)
            if done(statements):
                return statements
            time.sleep(0.05)
        raise AssertionError(f"the LRS did not get what was expected; it has {verbs(self.statements(registration))}")

    def app(self) -> Flask:
        app = Flask("fake_lrs")

        @app.after_request
        def cors(response: Response) -> Response:
            response.headers["Access-Control-Allow-Origin"] = request.headers.get("Origin", "*")
            response.headers["Access-Control-Allow-Headers"] = "Authorization, Content-Type, X-Experience-API-Version"
            response.headers["Access-Control-Allow-Methods"] = "GET, POST, PUT, OPTIONS"
            response.headers["X-Experience-API-Version"] = "1.0.3"
            return response

        @app.route("/xapi/statements", methods=["POST"])
        def statements() -> Response | tuple[Response, int]:
            with self.lock:
                if self.reject_with:
                    self.rejected += 1
                    status, message = self.reject_with
                    return jsonify(error=True, message=message), status
                names = ("Authorization", "X-Experience-API-Version", "Content-Type")
                if request.args.get("method") == "POST":  # xAPI 1.0.3's alternate request syntax, as a form
                    body = json.loads(request.form["content"])
                    headers = {name: request.form.get(name, "") for name in names}
                else:
                    body = request.get_json(force=True)
                    headers = {name: request.headers.get(name, "") for name in names}
                batch = body if isinstance(body, list) else [body]
                self.posted.extend(Posted(statement, headers) for statement in batch)
                return jsonify([statement.get("id") for statement in batch]), 200

        return app


def content_app() -> Flask:
    app = Flask("content")

    @app.route("/<package>/<path:name>")
    def package_file(package: str, name: str) -> Response:
        if not re.fullmatch(r"dg-opsr-023-ds60[1-3]", package):
            abort(404)
        return send_from_directory(package_dir(package.removeprefix("dg-opsr-023-")), name)

    return app


@dataclass
class Servers:
    content: str
    lrs: str
    fake: FakeLRS


@pytest.fixture(scope="module")
def servers() -> Iterator[Servers]:
    fake = FakeLRS()
    with serve_app(content_app()) as content, serve_app(fake.app()) as lrs:
        yield Servers(content=content, lrs=lrs, fake=fake)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


@pytest.fixture
def lrs(servers: Servers) -> FakeLRS:
    servers.fake.reset()
    return servers.fake


def launch_url(servers: Servers, element: str, registration: str, *, endpoint: str = "/xapi/") -> str:
    query = urlencode({
        "endpoint": servers.lrs + endpoint,
        "auth": AUTH,
        "actor": json.dumps(ACTOR),
        "registration": registration,
        "activity_id": f"{BASE_IRI}/{element}",
    })
    return f"{servers.content}/dg-opsr-023-{element}/index.html?{query}"


def verbs(statements: list[Json]) -> list[str]:
    return [s["verb"]["id"].removeprefix(VERB) for s in statements]


def has(verb: str) -> Callable[[list[Json]], bool]:
    return lambda statements: verb in verbs(statements)


def leave(page: Page, lrs: FakeLRS, registration: str) -> list[Json]:
    """Navigates away (as closing Moodle's page does), which sends terminated; waits for it to arrive."""
    page.goto("about:blank")
    return lrs.wait_for(registration, has("terminated"))


def open_quiz(page: Page, url: str) -> Json:
    page.goto(url)
    page.wait_for_selector("body[data-ready='true']")
    quiz: Json = page.evaluate("window.SAMATTHA_QUIZ")
    return quiz


def wrong_choice(question: Json) -> str:
    options = [c["id"] for c in question["choices"]] if question["type"] == "choice" else ["true", "false"]
    return next(option for option in options if option != question["correct"])


def answer(page: Page, quiz: Json, *, right: bool) -> None:
    """Chooses an answer for every question; the first is checked on its own, the rest go with the submit."""
    for number, question in enumerate(quiz["questions"]):
        choice = question["correct"] if right else wrong_choice(question)
        page.locator(f"label[for='{question['id']}-{choice}']").click()
        if number == 0:
            page.locator(f"#{question['id']} button.check").click()
            expect(page.locator(f"#{question['id']}-feedback")).to_contain_text(
                "ถูกต้อง" if right else "ยังไม่ถูก")
    page.locator("#submit").click()


# ---------------------------------------------------------------------------------------------------------------
# Browser runs


@pytest.mark.browser
@pytest.mark.parametrize("element", ELEMENTS)
def test_a_learner_passes_and_every_statement_is_well_formed(
    element: str, servers: Servers, lrs: FakeLRS, browser: Browser
) -> None:
    registration = str(uuid.uuid4())
    activity_id = f"{BASE_IRI}/{element}"
    page = browser.new_page()
    try:
        quiz = open_quiz(page, launch_url(servers, element, registration))
        n = len(quiz["questions"])
        assert page.locator("body").get_attribute("data-mode") == "tracking"
        heading = page.locator("h1")
        expect(heading).to_contain_text(quiz["element"]["title"]["th-TH"])
        assert THAI.search(heading.inner_text())
        page.evaluate("document.fonts.ready")
        assert page.evaluate("document.fonts.check('16px Sarabun', 'ประเมินความคิดเห็น')")
        answer(page, quiz, right=True)
        expect(page.locator("#result")).to_have_attribute("data-outcome", "passed")
        expect(page.locator("#result h2")).to_contain_text("ผ่าน")
        expect(page.locator("#result h2")).to_be_focused()
        lrs.wait_for(registration, has("completed"))
        statements = leave(page, lrs, registration)
    finally:
        page.close()

    assert verbs(statements) == ["initialized", *["answered"] * n, "passed", "completed", "terminated"]
    for posted in lrs.posted:
        assert posted.headers["Authorization"] == AUTH
        assert posted.headers["X-Experience-API-Version"] == "1.0.3"
        assert posted.headers["Content-Type"].startswith("application/json")
    ids = [s["id"] for s in statements]
    assert len(set(ids)) == len(ids) and all(UUID.match(i) for i in ids)
    for statement in statements:
        assert statement["actor"] == ACTOR
        assert statement["context"]["registration"] == registration
        assert statement["context"]["extensions"][EXT_PACKAGE] == f"dg-opsr-023-{element}"
        assert statement["context"]["contextActivities"]["grouping"][0]["id"] == BASE_IRI
        assert statement["verb"]["display"]["en-US"] and THAI.search(statement["verb"]["display"]["th-TH"])
        assert statement["timestamp"].endswith("Z")

    initialized, *answered = statements[: n + 1]
    assert initialized["object"]["id"] == activity_id
    assert initialized["object"]["definition"]["type"] == COURSE
    assert initialized["context"]["extensions"][EXT_CRITERIA] == quiz["criteria"]
    for statement, question in zip(answered, quiz["questions"], strict=True):
        obj, result, context = statement["object"], statement["result"], statement["context"]
        assert obj["id"] == f"{activity_id}/{question['id']}"
        definition = obj["definition"]
        assert definition["type"] == INTERACTION and definition["interactionType"] == question["type"]
        assert definition["correctResponsesPattern"] == [question["correct"]]
        assert definition["description"] == question["text"]
        if question["type"] == "choice":
            assert [c["id"] for c in definition["choices"]] == [c["id"] for c in question["choices"]]
            assert all(set(c["description"]) == {"th-TH", "en-US"} for c in definition["choices"])
        else:
            assert "choices" not in definition
        assert result == {"response": question["correct"], "success": True,
                          "score": {"raw": 1, "min": 0, "max": 1, "scaled": 1}}
        assert [p["id"] for p in context["contextActivities"]["parent"]] == [activity_id]
        assert context["extensions"][EXT_CRITERIA] == question["criteria"]

    passed, completed, terminated = statements[n + 1:]
    assert passed["object"]["id"] == completed["object"]["id"] == terminated["object"]["id"] == activity_id
    score = passed["result"]["score"]
    assert score == {"raw": n, "min": 0, "max": n, "scaled": 1}
    assert passed["result"]["success"] is True and passed["result"]["completion"] is True
    assert re.fullmatch(r"PT(\d+H)?(\d+M)?\d+(\.\d+)?S", passed["result"]["duration"])
    assert completed["result"]["completion"] is True
    assert "parent" not in passed["context"]["contextActivities"]


@pytest.mark.browser
@pytest.mark.parametrize("element", ELEMENTS)
def test_wrong_answers_fail(element: str, servers: Servers, lrs: FakeLRS, browser: Browser) -> None:
    page = browser.new_page()
    try:
        # An endpoint without its trailing slash is still the LRS base URL.
        registration = str(uuid.uuid4())
        quiz = open_quiz(page, launch_url(servers, element, registration, endpoint="/xapi"))
        answer(page, quiz, right=False)
        expect(page.locator("#result")).to_have_attribute("data-outcome", "failed")
        expect(page.locator("#result h2")).to_contain_text("ยังไม่ผ่าน")
        lrs.wait_for(registration, has("completed"))
        statements = leave(page, lrs, registration)
    finally:
        page.close()
    n = len(quiz["questions"])
    assert verbs(statements) == ["initialized", *["answered"] * n, "failed", "completed", "terminated"]
    assert all(s["result"]["success"] is False for s in statements[1: n + 1])
    failed = statements[n + 1]
    assert failed["result"]["score"] == {"raw": 0, "min": 0, "max": n, "scaled": 0}
    assert failed["result"]["success"] is False and failed["result"]["completion"] is True


@pytest.mark.browser
def test_a_rejected_statement_shows_the_error_and_is_sent_again(
    servers: Servers, lrs: FakeLRS, browser: Browser
) -> None:
    lrs.reject_with = (400, "Statement rejected: the fake LRS says no")
    registration = str(uuid.uuid4())
    page = browser.new_page()
    try:
        quiz = open_quiz(page, launch_url(servers, "ds601", registration))
        banner = page.locator("#lrs-error")
        expect(banner).to_be_visible()
        expect(banner).to_contain_text("HTTP 400")
        expect(banner).to_contain_text("Statement rejected: the fake LRS says no")
        first, second = quiz["questions"][:2]
        page.locator(f"label[for='q1-{first['correct']}']").click()
        page.locator("#q1 button.check").click()
        expect(banner.locator(".lrs-pending").first).to_have_text("2")  # initialized and answered, both kept
        assert lrs.statements(registration) == [] and lrs.rejected >= 2

        lrs.reject_with = None  # the LRS recovers; the learner's next action sends everything, in order
        page.locator(f"label[for='q2-{second['correct']}']").click()
        page.locator("#q2 button.check").click()
        expect(banner).to_be_hidden()
        statements = lrs.wait_for(registration, lambda s: len(s) >= 3)
        assert verbs(statements) == ["initialized", "answered", "answered"]
        leave(page, lrs, registration)
    finally:
        page.close()
    assert [s["object"]["id"].rsplit("/", 1)[-1] for s in statements[1:]] == ["q1", "q2"]


@pytest.mark.browser
def test_opened_directly_it_runs_in_preview_and_sends_nothing(
    servers: Servers, lrs: FakeLRS, browser: Browser
) -> None:
    page = browser.new_page()
    try:
        quiz = open_quiz(page, f"{servers.content}/dg-opsr-023-ds602/index.html")
        assert page.locator("body").get_attribute("data-mode") == "preview"
        expect(page.locator("#mode")).to_contain_text("โหมดทดลอง")
        expect(page.locator("#mode")).to_contain_text("Preview mode")
        answer(page, quiz, right=True)
        expect(page.locator("#result")).to_have_attribute("data-outcome", "passed")
        # Tin Can 0.95 actors and a bare address are made into one-identifier xAPI 1.0.3 Agents.
        agents = page.evaluate("""() => [
            SamatthaXAPI.normaliseActor('{"name":["Somchai"],"mbox":["somchai@example.org"]}'),
            SamatthaXAPI.normaliseActor({account: [{accountServiceHomePage: "http://moodle.test", accountName: "3"}],
                                         mbox: ["mailto:x@example.org"]}),
        ]""")
        parsed = page.evaluate("""() => SamatthaXAPI.parseLaunch(
            '?endpoint=http%3A%2F%2Flrs.test%2Fxapi&auth=Basic+ab+c%2Bd%3D%3D&registration=NOT-A-UUID'
            + '&actor=' + encodeURIComponent('{"mbox":"a@example.org"}'))""")
        page.goto("about:blank")
    finally:
        page.close()
    # The "+" inside the Base64 that was not percent-encoded decodes to a space; it is put back.
    assert parsed["endpoint"] == "http://lrs.test/xapi/" and parsed["auth"] == "Basic ab+c+d=="
    assert parsed["actor"] == {"objectType": "Agent", "mbox": "mailto:a@example.org"}
    assert parsed["preview"] is False and parsed["problems"] == ["registration is not a UUID: NOT-A-UUID"]
    assert agents == [
        {"objectType": "Agent", "name": "Somchai", "mbox": "mailto:somchai@example.org"},
        {"objectType": "Agent", "account": {"homePage": "http://moodle.test", "name": "3"}},
    ]
    time.sleep(0.2)
    assert lrs.statements() == [] and lrs.rejected == 0


@pytest.mark.browser
def test_the_quiz_works_from_the_keyboard_with_visible_focus(servers: Servers, browser: Browser) -> None:
    page = browser.new_page()
    try:
        quiz = open_quiz(page, f"{servers.content}/dg-opsr-023-ds601/index.html")
        first = quiz["questions"][0]
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.id") == "q1-a"
        assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") == "solid"
        for _ in range([c["id"] for c in first["choices"]].index(first["correct"])):
            page.keyboard.press("ArrowDown")  # arrows move through, and select, the radio group
        assert page.evaluate("document.activeElement.id") == f"q1-{first['correct']}"
        page.keyboard.press("Tab")
        focused = page.evaluate("[document.activeElement.closest('fieldset').id, document.activeElement.className]")
        assert focused == ["q1", "check"]
        assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") == "solid"
        page.keyboard.press("Enter")
        expect(page.locator("#q1-feedback")).to_contain_text("ถูกต้อง")
        expect(page.locator("#q1-feedback")).to_contain_text(first["explanation"]["en-US"])
        assert page.locator("fieldset#q1 legend").count() == 1
        assert page.locator("label[for='q1-a'] [lang='th']").count() == 1
        assert page.locator("label[for='q1-a'] [lang='en']").count() == 1
    finally:
        page.close()
