"""Security rules of launch validation (1EdTech Security Framework §5.1.3, §6.3), one test per rule."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from lti import KeyResolver, LaunchContext, LaunchError, Registration, validate_id_token
from tests.lti_platform import MoodlePlatform, running_platform
from tests.test_lti_launch import Validate, make_validator, refused, registration_for


@pytest.fixture(scope="module")
def platform() -> Iterator[MoodlePlatform]:
    with running_platform() as running:
        running.add_tool()
        yield running


@pytest.fixture
def validate(platform: MoodlePlatform) -> Validate:
    return make_validator(platform)


def test_bad_signature(platform: MoodlePlatform, validate: Any) -> None:
    refused(validate, platform.sign_with_foreign_key(platform.launch_payload()), "bad_signature")


def test_tampered_payload_breaks_the_signature(platform: MoodlePlatform, validate: Any) -> None:
    header, _, signature = platform.id_token("3").split(".")
    forged = platform.sign(platform.launch_payload("2")).split(".")[1]
    refused(validate, f"{header}.{forged}.{signature}", "bad_signature")


def test_alg_none_is_refused(platform: MoodlePlatform, validate: Any) -> None:
    refused(validate, platform.sign_none(platform.launch_payload()), "alg_not_allowed")


def test_hs256_signed_with_the_platform_public_key_is_refused(platform: MoodlePlatform, validate: Any) -> None:
    refused(validate, platform.sign_hs256_with_public_key(platform.launch_payload()), "alg_not_allowed")


def test_other_rsa_algorithms_are_refused(platform: MoodlePlatform, validate: Any) -> None:
    token = platform.sign(platform.launch_payload(), headers={"alg": "RS512"})
    refused(validate, token, "alg_not_allowed")


def test_unknown_issuer(platform: MoodlePlatform, validate: Any) -> None:
    refused(validate, platform.sign({**platform.launch_payload(), "iss": platform.url + "/"}), "unknown_issuer")
    refused(validate, platform.sign({**platform.launch_payload(), "iss": "https://evil.example"}), "unknown_issuer")


def test_aud_must_name_our_client_id(platform: MoodlePlatform, validate: Any) -> None:
    refused(validate, platform.sign({**platform.launch_payload(), "aud": "someone-else"}), "bad_aud")
    refused(validate, platform.sign({**platform.launch_payload(), "aud": []}), "bad_aud")


def test_aud_list_with_our_client_id_and_azp(platform: MoodlePlatform, validate: Any) -> None:
    client_id = platform.tool().client_id
    ok = {**platform.launch_payload(), "aud": ["other", client_id], "azp": client_id}
    assert validate(platform.sign(ok)).client_id == client_id
    single = {**platform.launch_payload(), "aud": [client_id]}
    assert validate(platform.sign(single)).client_id == client_id


def test_azp_required_with_several_audiences(platform: MoodlePlatform, validate: Any) -> None:
    client_id = platform.tool().client_id
    refused(validate, platform.sign({**platform.launch_payload(), "aud": ["other", client_id]}), "azp_mismatch")


def test_azp_must_be_our_client_id_when_present(platform: MoodlePlatform, validate: Any) -> None:
    refused(validate, platform.sign({**platform.launch_payload(), "azp": "other"}), "azp_mismatch")


def test_registration_chosen_by_aud_among_several_of_one_issuer(platform: MoodlePlatform, validate: Any) -> None:
    regs = [registration_for(platform, client_id="another-tool"), registration_for(platform)]
    assert validate(platform.id_token(), regs=regs).client_id == platform.tool().client_id


def test_expiry_with_leeway_edges(platform: MoodlePlatform, validate: Any) -> None:
    iat = int(time.time())
    issued = datetime.fromtimestamp(iat, UTC)
    # Moodle: exp = iat + 60. Accepted up to exp + 10 s leeway, refused one second later.
    assert validate(platform.id_token(now=iat), now=issued + timedelta(seconds=70)).subject == "3"
    refused(validate, platform.id_token(now=iat), "expired", now=issued + timedelta(seconds=71))


def test_iat_in_the_future_with_leeway_edges(platform: MoodlePlatform, validate: Any) -> None:
    iat = int(time.time())
    issued = datetime.fromtimestamp(iat, UTC)
    assert validate(platform.id_token(now=iat), now=issued - timedelta(seconds=10)).subject == "3"
    refused(validate, platform.id_token(now=iat), "iat_in_future", now=issued - timedelta(seconds=11))


def test_missing_exp_or_iat(platform: MoodlePlatform, validate: Any) -> None:
    payload = platform.launch_payload()
    refused(validate, platform.sign({k: v for k, v in payload.items() if k != "exp"}), "missing_exp")
    refused(validate, platform.sign({k: v for k, v in payload.items() if k != "iat"}), "missing_iat")


def test_nonce_is_single_use(platform: MoodlePlatform, validate: Any) -> None:
    token = platform.id_token()
    assert validate(token).subject == "3"
    refused(validate, token, "nonce_reused")


def test_nonce_missing(platform: MoodlePlatform, validate: Any) -> None:
    refused(validate, platform.sign({k: v for k, v in platform.launch_payload().items() if k != "nonce"}),
            "nonce_missing")


def test_nonce_not_consumed_by_a_refused_launch(platform: MoodlePlatform, validate: Any) -> None:
    payload = platform.launch_payload()
    refused(validate, platform.sign({**payload, "aud": "someone-else"}), "bad_aud")
    assert validate(platform.sign(payload)).subject == "3"


def test_unknown_deployment(platform: MoodlePlatform, validate: Any) -> None:
    payload = {**platform.launch_payload(), "https://purl.imsglobal.org/spec/lti/claim/deployment_id": "2"}
    refused(validate, platform.sign(payload), "unknown_deployment")


def test_naive_now_is_taken_as_utc(platform: MoodlePlatform, validate: Any) -> None:
    assert validate(platform.id_token(), now=datetime.now(UTC).replace(tzinfo=None)).subject == "3"


# --- platform keys: kid refetch after rotation, then reject --------------------------------------------

def _validator(platform: MoodlePlatform, keys: KeyResolver) -> Any:
    reg: Registration = registration_for(platform)

    def run(token: str) -> LaunchContext:
        return validate_id_token(token, find_registrations=lambda _: [reg], keys=keys,
                                 consume_nonce=lambda *_: True, now=datetime.now(UTC))

    return run


def test_key_rotation_is_picked_up_by_one_refetch_then_unknown_kid_is_refused() -> None:
    with running_platform() as platform:
        platform.add_tool()
        fetches: list[str] = []
        original = platform.jwks
        platform.jwks = lambda: (fetches.append("x"), original())[1]  # type: ignore[method-assign]
        run = _validator(platform, KeyResolver(refetch_cooldown=0))
        assert run(platform.id_token()).subject == "3"
        assert run(platform.id_token()).subject == "3" and len(fetches) == 1  # cached key set
        platform.rotate_key()
        assert run(platform.id_token()).subject == "3" and len(fetches) == 2  # one refetch on the new kid
        with pytest.raises(LaunchError) as caught:
            run(platform.sign(platform.launch_payload(), kid="retired-or-invented"))
        assert caught.value.code == "unknown_kid" and len(fetches) == 3  # one refetch, then refused


def test_refetch_cooldown_limits_kid_spraying() -> None:
    with running_platform() as platform:
        platform.add_tool()
        clock = [1000.0]
        run = _validator(platform, KeyResolver(refetch_cooldown=30, clock=lambda: clock[0]))
        assert run(platform.id_token()).subject == "3"
        with pytest.raises(LaunchError):
            run(platform.sign(platform.launch_payload(), kid="spray-1"))
        platform.rotate_key()
        with pytest.raises(LaunchError) as caught:  # within the cooldown: no second fetch
            run(platform.id_token())
        assert caught.value.code == "unknown_kid"
        clock[0] += 31
        assert run(platform.id_token()).subject == "3"


def test_unreachable_key_set_is_reported() -> None:
    with running_platform() as platform:
        platform.add_tool()
        url = platform.url
    reg = Registration(url, "c", url, url, url + "/mod/lti/certs.php", ("1",))
    with pytest.raises(LaunchError) as caught:
        KeyResolver(timeout=1).key_for(reg, "any")
    assert caught.value.code == "jwks_unreachable"


def test_why_key_resolver_does_its_own_refetch() -> None:
    """PyJWT's own ``get_signing_key`` refreshes on an unknown kid only after a cooldown (30 s by default
    since PyJWT 2.1x): a platform key rotated right after a fetch would be refused. KeyResolver exists
    because of this; if PyJWT changes, this test says so."""
    import inspect

    import jwt

    if "cooldown_duration" not in inspect.signature(jwt.PyJWKClient.__init__).parameters:
        pytest.skip("this PyJWT has no refetch cooldown")
    with running_platform() as platform:
        client = jwt.PyJWKClient(f"{platform.url}/mod/lti/certs.php", cache_keys=True, timeout=5)
        assert client.get_signing_key(platform.kid).key_id == platform.kid
        platform.rotate_key()
        with pytest.raises(jwt.PyJWKClientError):
            client.get_signing_key(platform.kid)
