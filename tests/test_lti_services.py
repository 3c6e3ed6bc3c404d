"""Token endpoint, AGS and NRPS against the test platform over HTTP; the platform verifies our client
assertion against the tool's JWKS served on its own loopback port."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
import requests

from lti import (
    Registration,
    Score,
    ServiceClient,
    ServiceError,
    TokenCache,
    ToolKey,
    create_line_item,
    generate_key,
    get_memberships,
    list_line_items,
    next_score_timestamp,
    post_score,
    public_jwks,
    service_url,
)
from tests.lti_platform import INSTRUCTOR, LEARNER, MoodlePlatform, Tool, ToolKeysApp, User, running_platform
from tests.servers import serve_app

MEMBERS = "CourseSection/2/bindings/1/memberships"


@dataclass
class Setup:
    platform: MoodlePlatform
    tool: Tool
    key: ToolKey
    registration: Registration
    session: requests.Session

    def client(self, cache: TokenCache | None = None) -> ServiceClient:
        return ServiceClient(self.registration, self.key, cache=cache, session=self.session)


@pytest.fixture(scope="module")
def setup() -> Iterator[Setup]:
    key, keys_app = generate_key(), ToolKeysApp()
    keys_app.jwks = public_jwks([key])
    with serve_app(keys_app) as tool_url, running_platform() as platform, requests.Session() as session:
        tool = platform.add_tool(jwks_uri=f"{tool_url}/.well-known/jwks.json")
        reg = Registration(platform.url, tool.client_id, f"{platform.url}/mod/lti/auth.php",
                           f"{platform.url}/mod/lti/token.php", f"{platform.url}/mod/lti/certs.php", ("1",))
        yield Setup(platform, tool, key, reg, session)


def test_service_url_keeps_moodles_query() -> None:
    assert service_url("http://m/mod/lti/services.php/2/lineitems/2/lineitem?type_id=1", "/scores") == \
        "http://m/mod/lti/services.php/2/lineitems/2/lineitem/scores?type_id=1"
    assert service_url("http://m/x/lineitems?type_id=1", query={"tag": "a b"}) == "http://m/x/lineitems?type_id=1&tag=a+b"


def test_token_is_fetched_once_and_cached(setup: Setup) -> None:
    cache = TokenCache()
    before = setup.platform.token_requests
    first = setup.client(cache).access_token(["https://purl.imsglobal.org/spec/lti-ags/scope/score"])
    again = setup.client(cache).access_token(["https://purl.imsglobal.org/spec/lti-ags/scope/score"])
    assert first == again and setup.platform.token_requests == before + 1


def test_token_expiry_forces_a_new_token(setup: Setup) -> None:
    setup.platform.token_lifetime = 31  # we stop using a token 30 s before the platform's expiry
    try:
        client = setup.client()
        scopes = ["https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"]
        first = client.access_token(scopes)
        assert client.access_token(scopes) == first
        time.sleep(1.05)
        assert client.access_token(scopes) != first
    finally:
        setup.platform.token_lifetime = 3600


def test_token_refused_for_an_unknown_key(setup: Setup) -> None:
    stranger = ServiceClient(setup.registration, generate_key(), session=setup.session)
    with pytest.raises(ServiceError) as caught:
        stranger.access_token(["https://purl.imsglobal.org/spec/lti-ags/scope/score"])
    assert caught.value.status == 400 and caught.value.url.endswith("/mod/lti/token.php")


def test_line_items_list_and_create(setup: Setup) -> None:
    lineitems = f"{setup.platform.url}/mod/lti/services.php/2/lineitems?type_id=1"
    client = setup.client()
    created = create_line_item(client, lineitems, label="DG101 knowledge", score_maximum=100,
                               resource_id="DG101", tag="samattha")
    assert created["id"].endswith("/lineitem?type_id=1") and created["resourceId"] == "DG101"
    assert [i["id"] for i in list_line_items(client, lineitems, tag="samattha")] == [created["id"]]
    assert len(list_line_items(client, lineitems)) >= 2


def test_score_post_and_moodles_timestamp_rule(setup: Setup) -> None:
    lineitem = f"{setup.platform.url}/mod/lti/services.php/2/lineitems/1/lineitem?type_id=1"
    client = setup.client()
    now = datetime.now(UTC)
    post_score(client, lineitem, Score("3", 7, 10, timestamp=now))
    assert setup.platform.grades[(1, "3")][0] == 7
    with pytest.raises(ServiceError) as caught:  # same second: Moodle refuses with 409
        post_score(client, lineitem, Score("3", 8, 10, timestamp=now + timedelta(milliseconds=1)))
    assert caught.value.status == 409 and "/lineitem/scores?type_id=1" in caught.value.url
    later = next_score_timestamp(now, now + timedelta(milliseconds=1))
    post_score(client, lineitem, Score("3", 8, 10, timestamp=later))
    assert setup.platform.grades[(1, "3")][0] == 8


def test_monotonic_timestamp_helper() -> None:
    t = datetime(2026, 1, 1, 10, 0, 0, 900_000, tzinfo=UTC)
    assert next_score_timestamp(None, t) == t.replace(microsecond=0)
    assert next_score_timestamp(t, t) == datetime(2026, 1, 1, 10, 0, 1, tzinfo=UTC)
    assert next_score_timestamp(t, t - timedelta(hours=1)) == datetime(2026, 1, 1, 10, 0, 1, tzinfo=UTC)
    assert next_score_timestamp(t, t + timedelta(seconds=5)) == datetime(2026, 1, 1, 10, 0, 5, tzinfo=UTC)


def test_score_for_a_stranger_is_refused(setup: Setup) -> None:
    lineitem = f"{setup.platform.url}/mod/lti/services.php/2/lineitems/1/lineitem?type_id=1"
    with pytest.raises(ServiceError) as caught:
        post_score(setup.client(), lineitem, Score("999", 1, 10, timestamp=datetime.now(UTC)))
    assert caught.value.status == 400


def test_roster_over_two_pages(setup: Setup) -> None:
    platform = setup.platform
    platform.users["5"] = User("5", "student2", "Noi", "Learner", "student")
    platform.enrolled = ["3", "4", "5"]
    platform.nrps_page_size = 2
    seen: list[str] = []
    setup.session.hooks["response"].append(lambda r, *a, **k: seen.append(r.url))
    try:
        members = get_memberships(setup.client(), f"{platform.url}/mod/lti/services.php/{MEMBERS}?type_id=1")
    finally:
        setup.session.hooks["response"].clear()
    assert [m.user_id for m in members] == ["3", "4", "5"]
    assert [u for u in seen if "memberships" in u] and sum("memberships" in u for u in seen) == 2
    assert members[0].roles == (LEARNER,) and members[1].roles == (INSTRUCTOR,)
    assert (members[0].name, members[0].email, members[0].status) == ("Sam Student", "student1@example.com", "Active")


def test_service_without_token_scope_is_refused(setup: Setup) -> None:
    setup.tool.scopes = [s for s in setup.tool.scopes if "nrps" not in s]
    try:
        with pytest.raises(ServiceError) as caught:
            get_memberships(setup.client(), f"{setup.platform.url}/mod/lti/services.php/{MEMBERS}?type_id=1")
        assert caught.value.code == "http_400" and "token.php" in caught.value.url
    finally:
        setup.tool.scopes.append("https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly")
