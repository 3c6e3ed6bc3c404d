"""Third-party initiated login (LTI Core 1.3 §5.1.1, Security Framework §5.1.1): the platform sends the
browser to the tool's login URL; the tool answers with a redirect to the platform's OIDC authorisation
endpoint carrying a fresh ``state`` and ``nonce``."""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from urllib.parse import urlencode, urlsplit

from lti.errors import LoginError
from lti.model import Registration

__all__ = ["build_auth_redirect", "choose_registration", "new_nonce", "new_state"]

MAX_PARAM_LENGTH = 2048


def new_state() -> str:
    """A fresh unguessable value for ``state`` (128 bits; Security Framework §5.1.1.2)."""
    return secrets.token_urlsafe(24)


def new_nonce() -> str:
    """A fresh unguessable ``nonce``; the launch must echo it and it is accepted once."""
    return secrets.token_urlsafe(24)


def _param(params: Mapping[str, str], name: str, *, required: bool) -> str | None:
    value = params.get(name)
    if value is None or value == "":
        if required:
            raise LoginError(f"missing_{name}", f"The platform's login request has no '{name}'; check the tool's "
                             "login URL in the platform's tool configuration.")
        return None
    if len(value) > MAX_PARAM_LENGTH:
        raise LoginError(f"bad_{name}", f"The platform's login request has an oversized '{name}'.")
    return value


def choose_registration(params: Mapping[str, str], registrations: Sequence[Registration]) -> Registration:
    """The registration a login request is for: by ``iss`` and, when sent, ``client_id`` (it is optional,
    LTI Core 1.3 §5.1.1; Moodle sends it). Without client_id the issuer must have a single registration."""
    issuer = _param(params, "iss", required=True)
    client_id = _param(params, "client_id", required=False)
    candidates = [r for r in registrations if r.issuer == issuer and client_id in (None, r.client_id)]
    if not candidates:
        raise LoginError("unknown_issuer", f"No platform with issuer '{issuer}'"
                         + (f" and client ID '{client_id}'" if client_id else "") + " is registered with this tool.")
    if len(candidates) > 1:
        raise LoginError("ambiguous_registration", f"Platform '{issuer}' has several registrations and its login "
                         "request names no client_id.")
    return candidates[0]


def _check_target(target: str, tool_origin: str | None) -> None:
    # The launch will end at target_link_uri: accepting any URL would make the login an open redirector.
    parts = urlsplit(target)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise LoginError("bad_target_link_uri", f"The login request's target_link_uri '{target}' is not a web URL.")
    if tool_origin is not None:
        origin = urlsplit(tool_origin)
        if (parts.scheme, parts.netloc) != (origin.scheme, origin.netloc):
            raise LoginError("bad_target_link_uri", f"The login request's target_link_uri '{target}' does not belong "
                             "to this tool.")


def build_auth_redirect(
    params: Mapping[str, str],
    registration: Registration,
    *,
    redirect_uri: str,
    state: str,
    nonce: str,
    tool_origin: str | None = None,
) -> str:
    """Validate a login initiation and return the platform authorisation URL (Security Framework
    §5.1.1.2, LTI Core 1.3 §5.1.1.2). ``lti_message_hint`` is opaque and passed back unchanged (Moodle:
    JSON ``{"cmid":..,"launchid":..}``)."""
    issuer = _param(params, "iss", required=True)
    if issuer != registration.issuer:
        raise LoginError("unknown_issuer", f"The login request comes from '{issuer}', not '{registration.issuer}'.")
    login_hint = _param(params, "login_hint", required=True)
    target = _param(params, "target_link_uri", required=True)
    _check_target(str(target), tool_origin)
    client_id = _param(params, "client_id", required=False)
    if client_id is not None and client_id != registration.client_id:
        raise LoginError("unknown_client_id", f"The login request is for client ID '{client_id}', which is not "
                         "registered with this tool.")
    deployment_id = _param(params, "lti_deployment_id", required=False)
    if deployment_id is not None and not registration.has_deployment(deployment_id):
        raise LoginError("unknown_deployment", f"Deployment '{deployment_id}' of platform '{issuer}' is not "
                         "registered with this tool.")
    query = {
        "scope": "openid", "response_type": "id_token", "response_mode": "form_post", "prompt": "none",
        "client_id": registration.client_id, "redirect_uri": redirect_uri, "login_hint": str(login_hint),
        "state": state, "nonce": nonce,
    }
    message_hint = _param(params, "lti_message_hint", required=False)
    if message_hint is not None:
        query["lti_message_hint"] = message_hint
    separator = "&" if urlsplit(registration.auth_login_url).query else "?"
    return registration.auth_login_url + separator + urlencode(query)
