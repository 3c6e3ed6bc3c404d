"""Dynamic registration as a Moodle administrator does it: in Moodle's own dialog, an iframe on the platform's
admin page (another origin than Samattha's), before Samattha trusts the platform. Then Activate, and a teacher's
launch works with no command run on Samattha's server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from playwright.sync_api import expect
from sqlalchemy import select

from plugin.demo.moodle_web import add_launch_page
from plugin.models import Platform
from tests.browser import chromium
from tests.lti_platform import INSTRUCTOR, MoodlePlatform, create_app
from tests.moodle_admin import MANAGE_TOOLS, add_admin_pages
from tests.servers import serve_app
from tests.test_lti_flow import samattha


@pytest.fixture
def platform() -> Iterator[MoodlePlatform]:
    platform = MoodlePlatform()
    app = create_app(platform)
    add_admin_pages(app, platform)
    add_launch_page(app, platform)
    with serve_app(app) as url:
        platform.url = url
        yield platform


def test_the_registration_pages_may_be_framed_by_the_site_that_opened_them(client: FlaskClient) -> None:
    config = "https://moodle.example.go.th/lms/mod/lti/openid-configuration.php"
    start = client.get("/lti/register", query_string={"openid_configuration": config, "registration_token": "t"})
    assert start.status_code == 200
    assert start.headers["Content-Security-Policy"] == "frame-ancestors 'self' https://moodle.example.go.th"
    # A refusal inside the dialog must show there too, not as a blank frame.
    refused = client.post("/lti/register", data={"openid_configuration": config, "registration_token": ""})
    assert refused.status_code == 400
    assert refused.headers["Content-Security-Policy"] == "frame-ancestors 'self' https://moodle.example.go.th"
    # Every other page keeps its frame policy, whatever it is passed.
    other = client.get("/", query_string={"openid_configuration": config})
    assert other.headers["Content-Security-Policy"] == "frame-ancestors 'self'"
    junk = client.get("/lti/register", query_string={"openid_configuration": "javascript:alert(1)",
                                                     "registration_token": "t"})
    assert junk.headers["Content-Security-Policy"] == "frame-ancestors 'self'"


@pytest.mark.browser
def test_admin_registers_in_moodles_dialog_activates_and_a_teacher_launches(app: Flask,
                                                                             platform: MoodlePlatform) -> None:
    with samattha(app) as url, chromium() as browser:
        page = browser.new_page()
        refused: list[str] = []
        page.on("console", lambda message: refused.append(message.text) if "frame" in message.text else None)
        page.goto(platform.url + MANAGE_TOOLS)
        page.fill("#tool-url", url + "/lti/register")
        page.click("#add")
        dialog = page.frame_locator("iframe#registration")
        expect(dialog.locator("button[type=submit]")).to_be_visible()
        assert page.frames[1].url.startswith(url + "/lti/register?openid_configuration=")
        dialog.locator("button[type=submit]").click()
        # The tool's close message makes the admin page drop the dialog and list the new tool as Pending.
        expect(page.locator("iframe#registration")).to_have_count(0)
        tool_row = page.locator("#tools li")
        expect(tool_row).to_have_count(1)
        expect(tool_row.locator(".state")).to_have_text("Pending")
        assert refused == []
        tool_row.locator("button").click()
        expect(page.locator("#tools li .state")).to_have_text("Active")

        with app.extensions["samattha.sessionmaker"]() as db:
            registered = db.scalars(select(Platform)).one()
            assert (registered.issuer, registered.source, registered.active) == (platform.url, "dynamic", True)
        # A teacher opens the course's Samattha link: the launch is accepted with nothing run on our server.
        tool = platform.tool()
        platform.add_link(7, {"title": "Samattha", "url": url + "/lti/launch"})
        teacher = "4"
        assert INSTRUCTOR in platform.users[teacher].roles
        page.goto(f"{platform.url}/mod/lti/launch.php?id=7&user={teacher}")
        expect(page.locator("h1.lti-page")).to_have_attribute("data-role", "coordinator")
        assert tool.client_id == registered.client_id
