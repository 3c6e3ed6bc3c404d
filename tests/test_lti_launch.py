"""Launch validation against tokens minted by the Moodle-like test platform, keys fetched over HTTP."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from lti import KeyResolver, LaunchContext, LaunchError, Registration, validate_id_token
from tests.lti_platform import ADMIN_ROLES, INSTRUCTOR, LEARNER, LTI, MoodlePlatform, running_platform

FIXTURES = Path(__file__).parent / "fixtures" / "moodle-4.5"
Validate = Callable[..., LaunchContext]


@pytest.fixture(scope="module")
def platform() -> Iterator[MoodlePlatform]:
    with running_platform() as running:
        running.add_tool()
        yield running


def registration_for(platform: MoodlePlatform, **overrides: Any) -> Registration:
    tool = platform.tool()
    fields: dict[str, Any] = {
        "issuer": platform.url, "client_id": tool.client_id, "auth_login_url": f"{platform.url}/mod/lti/auth.php",
        "auth_token_url": f"{platform.url}/mod/lti/token.php", "key_set_url": f"{platform.url}/mod/lti/certs.php",
        "deployment_ids": (tool.deployment_id,),
    }
    return Registration(**{**fields, **overrides})


def make_validator(platform: MoodlePlatform) -> Validate:
    """validate_id_token wired as the plugin will: registrations by issuer, an in-memory nonce store."""
    registrations = [registration_for(platform)]
    seen: set[tuple[str, str]] = set()
    keys = KeyResolver(refetch_cooldown=0)

    def consume(issuer: str, nonce: str, until: datetime) -> bool:
        assert until > datetime.now(UTC)
        if (issuer, nonce) in seen:
            return False
        seen.add((issuer, nonce))
        return True

    def run(token: str, *, now: datetime | None = None, regs: list[Registration] | None = None) -> LaunchContext:
        chosen = registrations if regs is None else regs
        return validate_id_token(token, find_registrations=lambda iss: [r for r in chosen if r.issuer == iss],
                                 keys=keys, consume_nonce=consume, now=now or datetime.now(UTC))

    return run


@pytest.fixture
def validate(platform: MoodlePlatform) -> Validate:
    return make_validator(platform)


def refused(validate: Validate, token: str, code: str, **kwargs: Any) -> LaunchError:
    with pytest.raises(LaunchError) as caught:
        validate(token, **kwargs)
    assert caught.value.code == code, caught.value.message
    assert caught.value.message
    return caught.value


def without(payload: dict[str, Any], *names: str) -> dict[str, Any]:
    return {k: v for k, v in payload.items() if k not in names}


# --- the platform speaks like the captured Moodle ----------------------------------------------------

@pytest.mark.parametrize("name, message_type, user", [
    ("launch-student", "LtiResourceLinkRequest", "3"), ("launch-teacher", "LtiResourceLinkRequest", "4"),
    ("deeplink-teacher", "LtiDeepLinkingRequest", "4"),
])
def test_the_test_platform_mints_the_claims_moodle_sends(platform: MoodlePlatform, name: str, message_type: str,
                                                         user: str) -> None:
    captured = json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))["payload"]
    minted = platform.launch_payload(user, message_type=message_type)
    assert set(minted) - {"https://purl.imsglobal.org/spec/lti-bo/claim/basicoutcome"} == \
        set(captured) - {"https://purl.imsglobal.org/spec/lti-bo/claim/basicoutcome"}
    assert minted["exp"] - minted["iat"] == captured["exp"] - captured["iat"] == 60
    assert isinstance(minted["aud"], str) and minted[LTI + "roles"] == captured[LTI + "roles"]


# --- valid launches -----------------------------------------------------------------------------------

def test_student_launch_gives_a_plain_context(platform: MoodlePlatform, validate: Validate) -> None:
    launch = validate(platform.id_token("3"))
    assert launch.message_type == "LtiResourceLinkRequest" and launch.subject == "3"
    assert launch.is_learner and not launch.is_instructor and not launch.is_administrator
    assert launch.issuer == platform.url and launch.deployment_id == "1"
    assert launch.context is not None and launch.context.label == "LTILAB" and launch.context.type == ("CourseSection",)
    assert launch.resource_link is not None and launch.resource_link.id == "1"
    assert (launch.name, launch.email, launch.locale, launch.document_target) == \
        ("Sam Student", "student1@example.com", "en", "iframe")
    assert launch.custom["activity_param"] == "act1"
    assert launch.ags is not None and launch.ags.lineitems and launch.ags.lineitems.endswith("?type_id=1")
    assert launch.nrps is not None and launch.nrps.service_versions == ("1.0", "2.0")
    assert launch.xapi_actor() == {"objectType": "Agent", "account": {"homePage": platform.url, "name": "3"}}


def test_teacher_and_admin_predicates(platform: MoodlePlatform, validate: Validate) -> None:
    teacher = validate(platform.id_token("4"))
    assert teacher.is_instructor and not teacher.is_learner and not teacher.is_administrator
    admin = validate(platform.id_token("2"))
    assert admin.is_instructor and admin.is_administrator and not admin.is_learner
    assert admin.roles == (INSTRUCTOR, *ADMIN_ROLES)


def test_deep_linking_request_carries_its_settings(platform: MoodlePlatform, validate: Validate) -> None:
    launch = validate(platform.id_token("4", message_type="LtiDeepLinkingRequest"))
    assert launch.is_deep_linking and launch.resource_link is None
    assert launch.deep_linking is not None and launch.deep_linking.accept_multiple
    assert launch.deep_linking.accept_types == ("ltiResourceLink",)
    assert "/mod/lti/contentitem_return.php" in launch.deep_linking.deep_link_return_url


@pytest.mark.parametrize("roles, instructor, learner, admin", [
    ([LEARNER, INSTRUCTOR], True, True, False),  # several roles
    (["Instructor"], True, False, False),  # short (simple) context role name, LTI Core §A.2.3.1
    (["Learner", "urn:lti:instrole:ims/lis/Administrator"], False, True, True),  # short + LTI 1.1 URN
    (["http://example.com/roles#Wizard", "Dragon"], False, False, False),  # unknown roles grant nothing
    ([], False, False, False),  # no role: allowed, no privileges
])
def test_valid_role_variants(platform: MoodlePlatform, validate: Validate, roles: list[str], instructor: bool,
                             learner: bool, admin: bool) -> None:
    payload = platform.launch_payload()
    payload[LTI + "roles"] = roles
    launch = validate(platform.sign(payload))
    assert (launch.is_instructor, launch.is_learner, launch.is_administrator) == (instructor, learner, admin)
    assert all(role.startswith(("http://", "https://")) or role == "Dragon" for role in launch.roles)


def test_launch_without_personal_data_is_accepted(platform: MoodlePlatform, validate: Validate) -> None:
    payload = without(platform.launch_payload(), "name", "given_name", "family_name", "email", LTI + "ext")
    launch = validate(platform.sign(payload))
    assert (launch.name, launch.given_name, launch.family_name, launch.email) == (None, None, None, None)
    assert launch.subject == "3"


# --- the twelve invalid payloads of the 1EdTech LTI 1.3 tool certification -----------------------------

def test_cert_no_kid_sent_in_jwt_header(platform: MoodlePlatform, validate: Validate) -> None:
    refused(validate, platform.sign(platform.launch_payload(), kid=""), "missing_kid")


def test_cert_incorrect_kid_in_jwt_header(platform: MoodlePlatform, validate: Validate) -> None:
    refused(validate, platform.sign(platform.launch_payload(), kid="imstester_3"), "unknown_kid")


def test_cert_wrong_lti_version(platform: MoodlePlatform, validate: Validate) -> None:
    payload = {**platform.launch_payload(), LTI + "version": "1.0.0"}
    refused(validate, platform.sign(payload), "bad_version")


def test_cert_no_lti_version(platform: MoodlePlatform, validate: Validate) -> None:
    refused(validate, platform.sign(without(platform.launch_payload(), LTI + "version")), "missing_version")


def test_cert_invalid_lti_message(platform: MoodlePlatform, validate: Validate) -> None:
    payload = {k: v for k, v in platform.launch_payload().items() if k in ("iss", "aud", "sub", "exp", "iat", "nonce")}
    refused(validate, platform.sign({**payload, "name": "not an LTI message"}), "missing_message_type")
    refused(validate, "this.is-not.a-jwt", "malformed_token")


def test_cert_invalid_lti_message_type(platform: MoodlePlatform, validate: Validate) -> None:
    payload = {**platform.launch_payload(), LTI + "message_type": "LtiInvalidMessage"}
    refused(validate, platform.sign(payload), "bad_message_type")


def test_cert_missing_lti_claims(platform: MoodlePlatform, validate: Validate) -> None:
    payload = without(platform.launch_payload(), LTI + "version", LTI + "deployment_id", LTI + "roles",
                      LTI + "resource_link", LTI + "context")
    refused(validate, platform.sign(payload), "missing_version")


def test_cert_timestamps_incorrect(platform: MoodlePlatform, validate: Validate) -> None:
    refused(validate, platform.id_token(now=time.time() - 3600), "expired")


def test_cert_message_type_claim_missing(platform: MoodlePlatform, validate: Validate) -> None:
    refused(validate, platform.sign(without(platform.launch_payload(), LTI + "message_type")), "missing_message_type")


def test_cert_role_claim_missing(platform: MoodlePlatform, validate: Validate) -> None:
    refused(validate, platform.sign(without(platform.launch_payload(), LTI + "roles")), "missing_roles")


def test_cert_deployment_id_claim_missing(platform: MoodlePlatform, validate: Validate) -> None:
    refused(validate, platform.sign(without(platform.launch_payload(), LTI + "deployment_id")),
            "missing_deployment_id")


def test_cert_resource_link_id_claim_missing(platform: MoodlePlatform, validate: Validate) -> None:
    payload = platform.launch_payload()
    payload[LTI + "resource_link"] = {"title": "Lab LTI Activity"}
    refused(validate, platform.sign(payload), "missing_resource_link")


def test_cert_user_claim_missing(platform: MoodlePlatform, validate: Validate) -> None:
    refused(validate, platform.sign(without(platform.launch_payload(), "sub")), "missing_sub")
    refused(validate, platform.sign({**platform.launch_payload(), "sub": ""}), "missing_sub")
    refused(validate, platform.sign({**platform.launch_payload(), "sub": "x" * 256}), "bad_sub")


def test_deep_linking_request_without_return_url(platform: MoodlePlatform, validate: Validate) -> None:
    payload = platform.launch_payload("4", message_type="LtiDeepLinkingRequest")
    del payload["https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"]["deep_link_return_url"]
    refused(validate, platform.sign(payload), "missing_deep_link_settings")
