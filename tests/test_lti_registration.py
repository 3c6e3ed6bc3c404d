"""Dynamic registration and deep-linking responses, checked by the Moodle-like test platform."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from lti import (
    CLOSE_PAGE,
    DeepLinkingError,
    KeyResolver,
    LaunchContext,
    RegistrationError,
    ToolKey,
    auto_submit_form,
    build_response,
    fetch_platform_configuration,
    generate_key,
    public_jwks,
    register,
    resource_link_item,
    tool_configuration,
    validate_id_token,
)
from tests.lti_platform import MoodlePlatform, ToolKeysApp, running_platform
from tests.servers import serve_app
from tests.test_lti_launch import registration_for

FIXTURES = Path(__file__).parent / "fixtures" / "moodle-4.5"


@pytest.fixture(scope="module")
def tool_keys() -> Iterator[tuple[str, ToolKey]]:
    key, app = generate_key(), ToolKeysApp()
    app.jwks = public_jwks([key])
    with serve_app(app) as url:
        yield url, key


@pytest.fixture
def platform() -> Iterator[MoodlePlatform]:
    with running_platform() as running:
        yield running


def _start(platform: MoodlePlatform) -> tuple[str, str]:
    query = parse_qs(urlsplit(platform.start_registration("http://127.0.0.1:5000/lti/register")).query)
    return query["openid_configuration"][0], query["registration_token"][0]


def test_registration_start_looks_like_moodles(platform: MoodlePlatform) -> None:
    captured = json.loads((FIXTURES / "dynamic-registration-start.json").read_text(encoding="utf-8"))
    start = urlsplit(platform.start_registration("http://127.0.0.1:5000/lti/register"))
    assert list(parse_qs(start.query)) == captured["step2_new_registration"]["location_parts"]["query_param_order"]


def test_dynamic_registration_end_to_end(platform: MoodlePlatform, tool_keys: tuple[str, ToolKey]) -> None:
    tool_url, key = tool_keys
    config_url, token = _start(platform)
    config = fetch_platform_configuration(config_url, token)
    assert config.issuer == platform.url and config.jwks_uri.endswith("/mod/lti/certs.php")
    request = tool_configuration(tool_url, "Samattha", config, custom_parameters={"unit": "$ResourceLink.id"},
                                 deep_linking_label="Samattha units")
    assert request["scope"].split() == [
        "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem", "https://purl.imsglobal.org/spec/lti-ags/scope/score",
        "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly",
        "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"]
    registration = register(config, request, token)
    tool = platform.tools[registration.client_id]
    assert tool.state == "pending" and tool.jwks_uri == f"{tool_url}/.well-known/jwks.json"
    assert registration.deployment_ids == (tool.deployment_id,) and registration.issuer == platform.url
    assert registration.key_set_url == f"{platform.url}/mod/lti/certs.php"
    # The new registration validates the platform's launches at once.
    launch = validate_id_token(platform.id_token("4", tool=tool), find_registrations=lambda _: [registration],
                               keys=KeyResolver(), consume_nonce=lambda *_: True, now=datetime.now(UTC))
    assert launch.is_instructor
    # Moodle's token is single-use.
    with pytest.raises(RegistrationError) as caught:
        register(config, request, token)
    assert caught.value.code == "registration_refused" and "token_already_used" in caught.value.message
    assert "postMessage({subject: 'org.imsglobal.lti.close'}, '*')" in CLOSE_PAGE


def test_registration_refused_without_a_valid_token(platform: MoodlePlatform, tool_keys: tuple[str, ToolKey]) -> None:
    config_url, _ = _start(platform)
    config = fetch_platform_configuration(config_url, "whatever")
    with pytest.raises(RegistrationError):
        register(config, tool_configuration(tool_keys[0], "S", config), platform.registration_token(scope="other"))


def test_platform_configuration_checks(platform: MoodlePlatform) -> None:
    with pytest.raises(RegistrationError) as caught:
        fetch_platform_configuration(f"{platform.url}/mod/lti/missing.php", "t")
    assert caught.value.code == "platform_unreachable"
    other_origin = f"http://localhost:{urlsplit(platform.url).port}/mod/lti/openid-configuration.php"
    with pytest.raises(RegistrationError) as caught:
        fetch_platform_configuration(other_origin, "t")
    assert caught.value.code == "issuer_mismatch"


# --- deep linking ------------------------------------------------------------------------------------

def _deep_link_launch(platform: MoodlePlatform, tool_url: str, key: ToolKey, **settings: object) -> LaunchContext:
    tool = platform.add_tool(jwks_uri=f"{tool_url}/.well-known/jwks.json")
    payload = platform.launch_payload("4", tool=tool, message_type="LtiDeepLinkingRequest")
    payload["https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"].update(settings)
    reg = registration_for(platform, client_id=tool.client_id, deployment_ids=(tool.deployment_id,))
    return validate_id_token(platform.sign(payload), find_registrations=lambda _: [reg], keys=KeyResolver(),
                             consume_nonce=lambda *_: True, now=datetime.now(UTC))


def test_deep_linking_response_is_accepted_by_the_platform(platform: MoodlePlatform,
                                                           tool_keys: tuple[str, ToolKey]) -> None:
    launch = _deep_link_launch(platform, tool_keys[0], tool_keys[1], data="opaque-123")
    items = [resource_link_item(title="DG101 Knowledge", url="http://127.0.0.1:5000/lti/launch",
                                custom={"unit_code": "DG101"}, line_item={"scoreMaximum": 100, "label": "DG101"})]
    return_url, token = build_response(launch, items, key=tool_keys[1], now=datetime.now(UTC), msg="1 unit")
    page = auto_submit_form(return_url, token)
    assert 'name="JWT"' in page and ".submit()" in page and "&amp;" in page
    response = requests.post(return_url, data={"JWT": token}, timeout=5)
    assert response.status_code == 200, response.text
    received = platform.deep_link_returns[-1]
    assert received["items"][0]["custom"] == {"unit_code": "DG101"}
    assert received["claims"]["https://purl.imsglobal.org/spec/lti-dl/claim/data"] == "opaque-123"
    assert received["query"]["course"] == "2"


def test_deep_linking_response_with_a_wrong_key_is_refused(platform: MoodlePlatform,
                                                           tool_keys: tuple[str, ToolKey]) -> None:
    launch = _deep_link_launch(platform, tool_keys[0], tool_keys[1])
    return_url, token = build_response(launch, [], key=generate_key(), now=datetime.now(UTC))
    assert requests.post(return_url, data={"JWT": token}, timeout=5).status_code == 400


def test_deep_linking_respects_the_settings(platform: MoodlePlatform, tool_keys: tuple[str, ToolKey]) -> None:
    launch = _deep_link_launch(platform, tool_keys[0], tool_keys[1], accept_multiple=False)
    two = [resource_link_item(title="a"), resource_link_item(title="b")]
    with pytest.raises(DeepLinkingError) as caught:
        build_response(launch, two, key=tool_keys[1], now=datetime.now(UTC))
    assert caught.value.code == "multiple_not_accepted"
    with pytest.raises(DeepLinkingError) as caught:
        build_response(launch, [{"type": "file", "url": "x"}], key=tool_keys[1], now=datetime.now(UTC))
    assert caught.value.code == "type_not_accepted"
