"""LTI Dynamic Registration 1.0: the platform opens the tool's registration URL with
``openid_configuration`` and ``registration_token``; the tool reads the platform's configuration (§3.4),
POSTs its own (§3.5) with the token as bearer, and tells the platform's window it is done (§3.6).

Moodle 4.5 specifics (mod/lti registration_helper): ``domain`` must match the host of ``target_link_uri``;
only the ``LtiDeepLinkingRequest`` message (and its ``target_link_uri``) is read from ``messages``; the
token is single-use and valid an hour; the new tool stays "Pending" until an administrator activates it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests

from lti import claims as c
from lti.errors import RegistrationError
from lti.model import Registration
from lti.services import SCOPE_LINEITEM, SCOPE_MEMBERSHIPS, SCOPE_RESULT_READONLY, SCOPE_SCORE

__all__ = ["CLOSE_PAGE", "PlatformConfiguration", "fetch_platform_configuration", "register", "tool_configuration"]

PLATFORM_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-platform-configuration"
_REQUIRED = ("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri", "registration_endpoint")

CLOSE_PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Registration complete</title></head><body>
<p>Registration complete. You can close this window.</p>
<script>(window.opener || window.parent).postMessage({subject: 'org.imsglobal.lti.close'}, '*');</script>
</body></html>
"""


@dataclass(frozen=True)
class PlatformConfiguration:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    registration_endpoint: str
    token_endpoint_auth_audience: str | None
    raw: Mapping[str, Any]


def _url(value: Any, name: str) -> str:
    if not isinstance(value, str) or urlsplit(value).scheme not in ("http", "https") or not urlsplit(value).netloc:
        raise RegistrationError("bad_platform_configuration", f"The platform configuration's '{name}' is not a URL.")
    return value


def _get_json(url: str, token: str, timeout: float) -> Any:
    try:
        response = requests.get(url, headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
                                timeout=timeout, allow_redirects=False)
    except requests.RequestException as exc:
        raise RegistrationError("platform_unreachable", f"Could not fetch the platform configuration at {url}.") \
            from exc
    if response.status_code != 200:
        raise RegistrationError("platform_unreachable", f"The platform configuration at {url} answered HTTP "
                                f"{response.status_code}.")
    try:
        return response.json()
    except ValueError as exc:
        raise RegistrationError("bad_platform_configuration", f"{url} did not return JSON.") from exc


def fetch_platform_configuration(
    openid_configuration_url: str, registration_token: str, *, timeout: float = 5.0
) -> PlatformConfiguration:
    """GET and check the platform's OpenID configuration (Dynamic Registration 1.0 §3.4). The ``issuer``
    must be on the same origin as the configuration URL (§3.5.1); Moodle's is its wwwroot."""
    body = _get_json(_url(openid_configuration_url, "openid_configuration"), registration_token, timeout)
    if not isinstance(body, dict):
        raise RegistrationError("bad_platform_configuration", "The platform configuration is not a JSON object.")
    for name in _REQUIRED:
        _url(body.get(name), name)
    issuer = str(body["issuer"])
    if urlsplit(issuer)[:2] != urlsplit(openid_configuration_url)[:2]:
        raise RegistrationError("issuer_mismatch", f"The platform says its issuer is {issuer}, but its configuration "
                                f"was served from {openid_configuration_url}.")
    if "RS256" not in body.get("id_token_signing_alg_values_supported", ["RS256"]):
        raise RegistrationError("unsupported_platform", "The platform does not sign launches with RS256.")
    audience = body.get("authorization_server")
    return PlatformConfiguration(
        issuer=issuer, authorization_endpoint=str(body["authorization_endpoint"]),
        token_endpoint=str(body["token_endpoint"]), jwks_uri=str(body["jwks_uri"]),
        registration_endpoint=str(body["registration_endpoint"]),
        token_endpoint_auth_audience=audience if isinstance(audience, str) and audience else None, raw=body,
    )


def tool_configuration(
    base_url: str,
    name: str,
    platform: PlatformConfiguration,
    *,
    login_path: str = "/lti/login",
    launch_path: str = "/lti/launch",
    jwks_path: str = "/.well-known/jwks.json",
    logo_uri: str | None = None,
    description: str | None = None,
    custom_parameters: Mapping[str, str] | None = None,
    deep_linking_label: str | None = None,
    scopes: Sequence[str] = (SCOPE_LINEITEM, SCOPE_SCORE, SCOPE_RESULT_READONLY, SCOPE_MEMBERSHIPS),
) -> dict[str, Any]:
    """The client registration request (Dynamic Registration 1.0 §3.5.2 and §3.3 tool configuration)."""
    base = base_url.rstrip("/")
    launch = base + launch_path
    supported = platform.raw.get("scopes_supported")
    wanted = [s for s in scopes if not isinstance(supported, list) or s in supported]
    lti_config = _lti_configuration(base, launch, description, custom_parameters, deep_linking_label)
    config: dict[str, Any] = {
        "application_type": "web", "response_types": ["id_token"], "grant_types": ["implicit", "client_credentials"],
        "initiate_login_uri": base + login_path, "redirect_uris": [launch], "client_name": name,
        "jwks_uri": base + jwks_path, "token_endpoint_auth_method": "private_key_jwt", "scope": " ".join(wanted),
        c.TOOL_CONFIGURATION: lti_config,
    }
    if logo_uri:
        config["logo_uri"] = logo_uri
    return config


def _lti_configuration(
    base: str, launch: str, description: str | None, custom: Mapping[str, str] | None, label: str | None
) -> dict[str, Any]:
    # Moodle reads only the LtiDeepLinkingRequest message (its target_link_uri); its own configuration
    # lists placements ["ContentArea"] for deep linking, so we send the same.
    deep_linking: dict[str, Any] = {"type": c.MESSAGE_DEEP_LINKING, "target_link_uri": launch,
                                    "placements": ["ContentArea"]}
    if label:
        deep_linking["label"] = label
    lti_config: dict[str, Any] = {
        "domain": urlsplit(base).netloc,  # Moodle requires it to match target_link_uri's host
        "target_link_uri": launch,
        "claims": ["iss", "sub", "name", "given_name", "family_name", "email"],
        "messages": [{"type": c.MESSAGE_RESOURCE_LINK, "target_link_uri": launch}, deep_linking],
    }
    if description:
        lti_config["description"] = description
    if custom:
        lti_config["custom_parameters"] = dict(custom)
    return lti_config


def register(
    platform: PlatformConfiguration, tool_config: Mapping[str, Any], registration_token: str, *, timeout: float = 10.0
) -> Registration:
    """POST the tool configuration to the platform (§3.5.2) and return the registration it granted:
    ``client_id`` and the ``deployment_id`` inside the tool configuration of the response (§3.6)."""
    url = platform.registration_endpoint
    try:
        response = requests.post(url, json=dict(tool_config), timeout=timeout, allow_redirects=False,
                                 headers={"Authorization": f"Bearer {registration_token}",
                                          "Accept": "application/json"})
    except requests.RequestException as exc:
        raise RegistrationError("platform_unreachable", f"Could not reach the registration endpoint {url}.") from exc
    if response.status_code not in (200, 201):
        raise RegistrationError("registration_refused", f"The platform refused the registration (HTTP "
                                f"{response.status_code}): {response.text[:300].strip()}")
    try:
        body = response.json()
    except ValueError as exc:
        raise RegistrationError("bad_registration_response", "The registration response is not JSON.") from exc
    return _registration_from_response(platform, body)


def _registration_from_response(platform: PlatformConfiguration, body: Any) -> Registration:
    client_id = body.get("client_id") if isinstance(body, dict) else None
    lti_config = body.get(c.TOOL_CONFIGURATION) if isinstance(body, dict) else None
    deployment_id = lti_config.get("deployment_id") if isinstance(lti_config, dict) else None
    if not isinstance(client_id, str) or not client_id:
        raise RegistrationError("bad_registration_response", "The platform's registration response has no client_id.")
    deployments = (str(deployment_id),) if isinstance(deployment_id, str | int) and str(deployment_id) else ()
    return Registration(
        issuer=platform.issuer, client_id=client_id, auth_login_url=platform.authorization_endpoint,
        auth_token_url=platform.token_endpoint, key_set_url=platform.jwks_uri, deployment_ids=deployments,
        auth_audience=platform.token_endpoint_auth_audience,
    )
