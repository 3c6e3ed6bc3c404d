from __future__ import annotations

from datetime import UTC, datetime

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from plugin.framing import frame_ancestors
from plugin.models import Platform


def test_pages_may_be_framed_only_by_us_and_trusted_platforms(client: FlaskClient, session: Session) -> None:
    assert client.get("/").headers["Content-Security-Policy"] == "frame-ancestors 'self'"
    for issuer, active in (("https://moodle.example.ac.th/lms", True), ("https://old.example.org", False)):
        session.add(Platform(issuer=issuer, client_id="c", auth_login_url="x", auth_token_url="x", key_set_url="x",
                             source="manual", active=active, created_at=datetime.now(UTC)))
    session.commit()
    # The origin of the issuer (Moodle's wwwroot may have a path); a deactivated platform may not frame us.
    assert client.get("/").headers["Content-Security-Policy"] == "frame-ancestors 'self' https://moodle.example.ac.th"
    assert "Content-Security-Policy" not in client.get("/healthz").headers  # JSON is never framed


def test_origins_are_deduplicated_and_junk_is_ignored() -> None:
    issuers = ["http://127.0.0.1:8081", "http://127.0.0.1:8081/", "not a url", "javascript:alert(1)"]
    assert frame_ancestors(issuers) == "frame-ancestors 'self' http://127.0.0.1:8081"
