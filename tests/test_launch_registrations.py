"""Registrations are kept per process (plugin.launch.registrations): one added by another process, which this
one is never told of, must still work at its first login and launch, and an unregistered deployment must still
be refused."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import jwt
from flask import Flask
from sqlalchemy import insert, select

from plugin.models import Course, Deployment, Platform, User
from tests.lti_platform import LTI, MoodlePlatform, Tool, running_platform
from tests.test_lti_flow import register


def _launch(app: Flask, platform: MoodlePlatform, tool: Tool, *, without: str | None = None) -> int:
    """The status of the login, or if it redirected to the platform, of the launch (``without`` that claim)."""
    client = app.test_client()
    started = client.post("/lti/login", data=platform.initiate_login("3", tool=tool))
    if started.status_code != 302:
        return started.status_code
    params = {k: v[0] for k, v in parse_qs(urlsplit(started.headers["Location"]).query).items()}
    _, id_token, state = platform.authorize(params)
    if without is not None:
        claims = jwt.decode(id_token, options={"verify_signature": False})
        del claims[without]
        id_token = platform.sign(claims)
    return client.post("/lti/launch", data={"id_token": id_token, "state": state}).status_code


def _written_elsewhere(app: Flask, statement: object) -> None:
    # Core on a connection of its own: no ORM event reaches the cache, as for a write by another process.
    with app.extensions["samattha.engine"].begin() as connection:
        connection.execute(statement)


def test_registrations_added_by_another_process_count_at_their_first_launch(app: Flask) -> None:
    with running_platform() as platform:
        tool = platform.add_tool(target_link_uri="http://tool.test/lti/launch")
        register(app, platform, tool)
        assert _launch(app, platform, tool) == 303  # the registrations are now cached

        with app.extensions["samattha.sessionmaker"]() as db:
            platform_id = db.scalars(select(Platform.id)).one()
        _written_elsewhere(app, insert(Deployment).values(platform_id=platform_id, deployment_id="7"))
        tool.type_id = 7  # Moodle's deployment id is the tool type's id
        assert _launch(app, platform, tool) == 303

        tool.type_id = 8  # a deployment registered nowhere is still refused
        assert _launch(app, platform, tool) == 400

        other = platform.add_tool(target_link_uri="http://tool.test/lti/launch")
        _written_elsewhere(app, insert(Platform).values(
            issuer=platform.url, client_id=other.client_id, auth_login_url=f"{platform.url}/mod/lti/auth.php",
            auth_token_url=f"{platform.url}/mod/lti/token.php", key_set_url=f"{platform.url}/mod/lti/certs.php",
            source="manual", active=True, created_at=datetime.now(UTC)))
        with app.extensions["samattha.sessionmaker"]() as db:
            other_id = db.scalars(select(Platform.id).where(Platform.client_id == other.client_id)).one()
        _written_elsewhere(app, insert(Deployment).values(platform_id=other_id, deployment_id=other.deployment_id))
        assert _launch(app, platform, other) == 303


def test_a_launch_from_outside_a_course_records_only_the_person(app: Flask) -> None:
    with running_platform() as platform:
        tool = platform.add_tool(target_link_uri="http://tool.test/lti/launch")
        register(app, platform, tool)
        assert _launch(app, platform, tool, without=LTI + "context") == 303
        with app.extensions["samattha.sessionmaker"]() as db:
            assert db.scalars(select(User.subject)).all() == ["3"]
            assert db.scalars(select(Course)).all() == []
