"""Third-party initiated login, the auth redirect understood by the test platform, state binding, tool keys,
role normalisation."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
import requests

from lti import (
    LoginError,
    Registration,
    StateVerdict,
    build_auth_redirect,
    check_state,
    choose_registration,
    generate_key,
    moodle_relaunch_url,
    new_binding,
    new_nonce,
    new_state,
    normalise_roles,
    public_jwks,
    sign_jwt,
    sign_state,
)
from tests.lti_platform import MoodlePlatform, running_platform
from tests.test_lti_launch import registration_for

FIXTURES = Path(__file__).parent / "fixtures" / "moodle-4.5"
NOW = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)
KEY = b"k" * 32


@pytest.fixture(scope="module")
def platform() -> Iterator[MoodlePlatform]:
    with running_platform() as running:
        running.add_tool()
        yield running


def test_moodle_login_form_gives_the_auth_redirect(platform: MoodlePlatform) -> None:
    params = platform.initiate_login("3")
    reg = choose_registration(params, [registration_for(platform, client_id="x"), registration_for(platform)])
    url = build_auth_redirect(params, reg, redirect_uri=params["target_link_uri"], state="st", nonce="n-1",
                              tool_origin="http://127.0.0.1:5000")
    assert url.startswith(f"{platform.url}/mod/lti/auth.php?")
    query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    assert query == {"scope": "openid", "response_type": "id_token", "response_mode": "form_post", "prompt": "none",
                     "client_id": reg.client_id, "redirect_uri": params["target_link_uri"], "login_hint": "3",
                     "state": "st", "nonce": "n-1", "lti_message_hint": params["lti_message_hint"]}
    # The platform's auth endpoint accepts it and form-posts id_token + state back.
    page = requests.get(url, timeout=5).text
    assert 'name="state" value="st"' in page and 'name="id_token"' in page
    token = page.split('name="id_token" value="')[1].split('"')[0]
    assert jwt.decode(token, options={"verify_signature": False})["nonce"] == "n-1"
    assert requests.get(url, timeout=5).status_code == 400  # Moodle's launchid is single-use


def test_captured_moodle_login_form_is_accepted() -> None:
    fields = json.loads((FIXTURES / "launch-student.json").read_text(encoding="utf-8"))["capture"]
    form = fields["initiate_login_form"]["fields"]
    reg = Registration(form["iss"], form["client_id"], form["iss"] + "/mod/lti/auth.php",
                       form["iss"] + "/mod/lti/token.php", form["iss"] + "/mod/lti/certs.php", ("1",))
    url = build_auth_redirect(form, reg, redirect_uri=fields["tool_sent"]["redirect_uri"], state="s", nonce="n")
    assert parse_qs(urlsplit(url).query)["lti_message_hint"] == ['{"cmid":2,"launchid":"ltilaunch1_252227179"}']


@pytest.mark.parametrize("change, code", [
    ({"iss": None}, "missing_iss"), ({"login_hint": None}, "missing_login_hint"),
    ({"target_link_uri": None}, "missing_target_link_uri"), ({"iss": "https://other"}, "unknown_issuer"),
    ({"client_id": "other"}, "unknown_client_id"), ({"lti_deployment_id": "7"}, "unknown_deployment"),
    ({"target_link_uri": "https://evil.example/phish"}, "bad_target_link_uri"),
    ({"target_link_uri": "javascript:alert(1)"}, "bad_target_link_uri"),
])
def test_login_refusals(platform: MoodlePlatform, change: dict[str, str | None], code: str) -> None:
    params = {**platform.initiate_login("3"), **change}
    clean = {k: v for k, v in params.items() if v is not None}
    with pytest.raises(LoginError) as caught:
        build_auth_redirect(clean, registration_for(platform), redirect_uri="http://127.0.0.1:5000/lti/launch",
                            state="s", nonce="n", tool_origin="http://127.0.0.1:5000")
    assert caught.value.code == code


def test_login_without_client_id_or_deployment(platform: MoodlePlatform) -> None:
    params = {k: v for k, v in platform.initiate_login().items() if k not in ("client_id", "lti_deployment_id",
                                                                               "lti_message_hint")}
    reg = choose_registration(params, [registration_for(platform)])
    url = build_auth_redirect(params, reg, redirect_uri="http://t/launch", state="s", nonce="n")
    assert "lti_message_hint" not in url and f"client_id={reg.client_id}" in url
    with pytest.raises(LoginError) as caught:
        choose_registration(params, [registration_for(platform), registration_for(platform, client_id="b")])
    assert caught.value.code == "ambiguous_registration"


def test_state_and_nonce_are_fresh() -> None:
    assert len({new_state() for _ in range(50)} | {new_nonce() for _ in range(50)}) == 100
    assert len(new_state()) >= 32


def test_state_bound_to_the_browser() -> None:
    binding = new_binding()
    state = sign_state(binding, KEY, now=NOW)
    assert check_state(state, binding, KEY, now=NOW + timedelta(seconds=30), document_target="iframe").is_ok
    assert check_state(state, new_binding(), KEY, now=NOW, document_target="iframe").verdict is StateVerdict.MISMATCH
    assert check_state(state, binding, b"x" * 32, now=NOW, document_target="iframe").verdict is StateVerdict.MISMATCH
    assert check_state(state[:-2] + "AA", binding, KEY, now=NOW, document_target=None).verdict is \
        StateVerdict.MISMATCH
    assert check_state(None, binding, KEY, now=NOW, document_target=None).verdict is StateVerdict.MISMATCH
    late = check_state(state, binding, KEY, now=NOW + timedelta(seconds=601), document_target="iframe")
    assert late.verdict is StateVerdict.EXPIRED


def test_missing_cookie_in_iframe_offers_a_new_window() -> None:
    relaunch = moodle_relaunch_url("http://127.0.0.1:8081", '{"cmid":2,"launchid":"ltilaunch1_1"}')
    assert relaunch == "http://127.0.0.1:8081/mod/lti/launch.php?id=2"
    state = sign_state(new_binding(), KEY, now=NOW, relaunch_url=relaunch)
    offer = check_state(state, None, KEY, now=NOW, document_target="iframe")
    assert offer.verdict is StateVerdict.OPEN_IN_NEW_WINDOW and offer.relaunch_url == relaunch
    blocked = check_state(state, "", KEY, now=NOW, document_target="window")
    assert blocked.verdict is StateVerdict.COOKIES_BLOCKED
    no_cmid = sign_state(new_binding(), KEY, now=NOW, relaunch_url=moodle_relaunch_url("http://m", '{"launchid":"x"}'))
    assert check_state(no_cmid, None, KEY, now=NOW, document_target="iframe").verdict is StateVerdict.COOKIES_BLOCKED
    assert moodle_relaunch_url("http://m", "not json") is None


def test_tool_keys_publish_and_sign() -> None:
    old, new = generate_key(), generate_key()
    jwks = public_jwks([new, old])
    assert [k["kid"] for k in jwks["keys"]] == [new.kid, old.kid]
    assert all(set(k) == {"kty", "alg", "use", "kid", "n", "e"} and "d" not in k for k in jwks["keys"])
    token = sign_jwt({"iss": "me"}, new)
    assert jwt.get_unverified_header(token)["kid"] == new.kid
    key = jwt.PyJWKSet.from_dict(jwks)[new.kid].key
    assert jwt.decode(token, key, algorithms=["RS256"]) == {"iss": "me"}


def test_role_normalisation() -> None:
    assert normalise_roles(["Instructor", "Learner", "Instructor", "urn:lti:sysrole:ims/lis/Administrator",
                            "http://example.com/x"]) == (
        "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor",
        "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner",
        "http://purl.imsglobal.org/vocab/lis/v2/system/person#Administrator",
        "http://example.com/x",
    )


def test_real_moodle_signature_verifies_with_its_published_key() -> None:
    """The registration token Moodle 4.5 really signed verifies against its captured certs.php output:
    the same RS256 key and kid that sign its launches."""
    jwks = json.loads((FIXTURES / "jwks.json").read_text(encoding="utf-8"))
    start = json.loads((FIXTURES / "dynamic-registration-start.json").read_text(encoding="utf-8"))
    token = start["step2_new_registration"]["location_parts"]["registration_token"]
    kid = jwt.get_unverified_header(token)["kid"]
    key = jwt.PyJWKSet.from_dict(jwks)[kid].key
    claims = jwt.decode(token, key, algorithms=["RS256"], options={"verify_exp": False, "verify_iat": False})
    assert claims == start["step2_new_registration"]["registration_token_decoded"]["payload"]
