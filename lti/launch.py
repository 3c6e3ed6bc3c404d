"""Validation of the id_token a platform POSTs to the tool's launch URL.

Implements the checks of 1EdTech Security Framework §5.1.3 (authentication response validation) and the
required message claims of LTI Core 1.3 §5.3-5.4 and Deep Linking 2.0 §4.4. Pure apart from ``keys``:
registrations, nonce memory and the clock are passed in, so every rule is testable without a server."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, NamedTuple, Protocol

from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from jwt.algorithms import RSAAlgorithm

from lti import claims as c
from lti.errors import LaunchError
from lti.model import LaunchContext, Registration, context_from_claims

__all__ = ["KeySource", "validate_id_token"]

ALLOWED_ALGORITHMS = ("RS256",)
MAX_TOKEN_LENGTH = 64 * 1024
MESSAGE_TYPES = (c.MESSAGE_RESOURCE_LINK, c.MESSAGE_DEEP_LINKING)


class KeySource(Protocol):
    """What ``validate_id_token`` needs from ``lti.platform_keys.KeyResolver``."""

    def key_for(self, registration: Registration, kid: str) -> object: ...


class _Token(NamedTuple):
    header: dict[str, Any]
    payload: dict[str, Any]
    signing_input: bytes
    signature: bytes


def _segment(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise LaunchError("malformed_token", "The launch's id_token is not a well-formed JWT.") from exc


def _object(segment: str, what: str) -> dict[str, Any]:
    try:
        value = json.loads(_segment(segment))
    except ValueError as exc:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        raise LaunchError("malformed_token", "The launch's id_token is not a well-formed JWT.") from exc
    if not isinstance(value, dict):
        raise LaunchError("malformed_token", f"The launch's id_token {what} is not a JSON object.")
    return value


def _peek(id_token: str) -> _Token:
    """The token read once (RFC 7515 compact serialisation); its signature is checked by _verify_signature
    over exactly the bytes received. Reading it three times through PyJWT cost a fifth of a launch."""
    if not id_token or len(id_token) > MAX_TOKEN_LENGTH:
        raise LaunchError("malformed_token", "The launch carried no id_token, or one too large to be a launch.")
    parts = id_token.split(".")
    if len(parts) != 3 or not all(parts[:2]):
        raise LaunchError("malformed_token", "The launch's id_token is not a well-formed JWT.")
    return _Token(_object(parts[0], "header"), _object(parts[1], "payload"),
                  f"{parts[0]}.{parts[1]}".encode("ascii", "replace"), _segment(parts[2]))


def _kid(header: Mapping[str, Any]) -> str:
    # Security Framework §5.1.3 step 1 and §6.3: RS256 only; never "none" nor an HMAC algorithm, which
    # would let anyone holding the platform's *public* key forge launches.
    alg = header.get("alg")
    if alg not in ALLOWED_ALGORITHMS:
        raise LaunchError("alg_not_allowed", f"The launch was signed with algorithm '{alg}'; only RS256 is accepted.")
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise LaunchError("missing_kid", "The launch's id_token names no key ('kid'), so its signature cannot be "
                          "checked against the platform's key set.")
    return kid


def _audiences(payload: Mapping[str, Any]) -> list[str]:
    aud = payload.get("aud")
    if isinstance(aud, str):
        return [aud]
    if isinstance(aud, list) and aud and all(isinstance(item, str) for item in aud):
        return list(aud)
    raise LaunchError("bad_aud", "The launch's id_token has no valid audience ('aud').")


def _registration(payload: Mapping[str, Any], find: Callable[[str], list[Registration]]) -> Registration:
    """Security Framework §5.1.3 steps 2-5: known ``iss``, our client_id in ``aud``, ``azp`` = client_id."""
    issuer = payload.get("iss")
    candidates = [r for r in find(issuer) if r.issuer == issuer] if isinstance(issuer, str) and issuer else []
    if not candidates:
        raise LaunchError("unknown_issuer", f"No platform with issuer '{issuer}' is registered with this tool.")
    audiences = _audiences(payload)
    azp = payload.get("azp")
    matching = [r for r in candidates if r.client_id in audiences]
    if not matching:
        raise LaunchError("bad_aud", f"The launch is addressed to {audiences}, not to this tool's client ID on "
                          f"platform '{issuer}'.")
    if azp is not None or len(audiences) > 1:
        matching = [r for r in matching if r.client_id == azp]
        if not matching:
            raise LaunchError("azp_mismatch", f"The launch's authorised party ('azp' = {azp!r}) is not this tool's "
                              "client ID.")
    return matching[0]


_RS256 = RSAAlgorithm(RSAAlgorithm.SHA256)


def _verify_signature(token: _Token, key: object) -> dict[str, Any]:
    """RS256 (the only algorithm _kid lets through) over the header and payload as received, with PyJWT's own
    algorithm; claims other than the signature are checked by us against the caller's clock."""
    if not isinstance(key, RSAPublicKey) or not _RS256.verify(token.signing_input, key, token.signature):
        raise LaunchError("bad_signature", "The launch's signature does not match the platform's published key.")
    return token.payload


def _timestamp(payload: Mapping[str, Any], name: str) -> float:
    value = payload.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise LaunchError(f"missing_{name}", f"The launch's id_token has no valid '{name}' time.")
    return float(value)


def _check_times(payload: Mapping[str, Any], now: datetime, leeway: int) -> datetime:
    """Security Framework §5.1.3 steps 7-8. Moodle's tokens live 60 s; ``leeway`` absorbs clock skew.
    Returns until when the nonce must be remembered."""
    current = now.timestamp()
    exp = _timestamp(payload, "exp")
    iat = _timestamp(payload, "iat")
    if current > exp + leeway:
        raise LaunchError("expired", "The launch has expired: it must reach the tool within a minute. Check that the "
                          "clocks of Moodle and this tool are right, then launch again.")
    if iat > current + leeway:
        raise LaunchError("iat_in_future", "The launch claims to be issued in the future: the clocks of Moodle and "
                          "this tool disagree.")
    nbf = payload.get("nbf")
    if isinstance(nbf, int | float) and nbf > current + leeway:
        raise LaunchError("not_yet_valid", "The launch is not valid yet: the clocks of Moodle and this tool disagree.")
    return datetime.fromtimestamp(exp + leeway, tz=UTC)


def _nonce(payload: Mapping[str, Any]) -> str:
    nonce = payload.get("nonce")
    if not isinstance(nonce, str) or not nonce:
        raise LaunchError("nonce_missing", "The launch carries no nonce, so a replay could not be detected.")
    return nonce


def _check_message(payload: Mapping[str, Any], registration: Registration) -> None:
    """LTI Core 1.3 §5.3: message type, version, deployment."""
    message_type = payload.get(c.MESSAGE_TYPE)
    if message_type is None:
        raise LaunchError("missing_message_type", "The launch does not say what kind of LTI message it is.")
    if message_type not in MESSAGE_TYPES:
        raise LaunchError("bad_message_type", f"This tool does not handle LTI messages of type '{message_type}'.")
    version = payload.get(c.VERSION)
    if version is None:
        raise LaunchError("missing_version", "The launch does not state its LTI version.")
    if version != c.LTI_VERSION:
        raise LaunchError("bad_version", f"The launch uses LTI version '{version}'; this tool speaks LTI 1.3.0.")
    deployment_id = payload.get(c.DEPLOYMENT_ID)
    if not isinstance(deployment_id, str) or not deployment_id or len(deployment_id) > 255:
        raise LaunchError("missing_deployment_id", "The launch carries no deployment ID.")
    if not registration.has_deployment(deployment_id):
        raise LaunchError("unknown_deployment", f"Deployment '{deployment_id}' of platform '{registration.issuer}' "
                          "is not registered with this tool: add it to the platform's registration.")


def _check_user(payload: Mapping[str, Any]) -> None:
    """LTI Core 1.3 §5.3.6 (sub) and §5.3.7 (roles; an empty list is a user without a role)."""
    sub = payload.get("sub")
    if not isinstance(sub, str) or not sub:
        # Anonymous launches (LTI Core 1.3 §5.3.6.1) are valid LTI, but Samattha needs a person.
        raise LaunchError("missing_sub", "The launch does not identify the user ('sub').")
    if len(sub) > 255:
        raise LaunchError("bad_sub", "The launch's user identifier is longer than the 255 characters LTI allows.")
    roles = payload.get(c.ROLES)
    if roles is None:
        raise LaunchError("missing_roles", "The launch carries no roles claim.")
    if not isinstance(roles, list) or not all(isinstance(role, str) for role in roles):
        raise LaunchError("bad_roles", "The launch's roles claim is not a list of role names.")


def _check_target(payload: Mapping[str, Any]) -> None:
    if payload.get(c.MESSAGE_TYPE) == c.MESSAGE_RESOURCE_LINK:
        link = payload.get(c.RESOURCE_LINK)
        if not isinstance(link, Mapping) or not isinstance(link.get("id"), str) or not link["id"]:
            raise LaunchError("missing_resource_link", "The launch does not say which activity it comes from "
                              "(resource_link id).")
        return
    settings = payload.get(c.DEEP_LINKING_SETTINGS)
    if not isinstance(settings, Mapping) or not isinstance(settings.get("deep_link_return_url"), str):
        raise LaunchError("missing_deep_link_settings", "The content selection request carries no "
                          "deep_link_return_url to send the selection back to.")


def validate_id_token(
    id_token: str,
    *,
    find_registrations: Callable[[str], list[Registration]],
    keys: KeySource,
    consume_nonce: Callable[[str, str, datetime], bool],
    now: datetime,
    leeway: int = 10,
) -> LaunchContext:
    """Validate a launch and return what it says, or raise ``LaunchError``.

    ``find_registrations(issuer)`` lists the registrations of that issuer; ``consume_nonce(issuer, nonce,
    remember_until)`` must return True only the first time it sees that pair (Security Framework §5.1.3
    step 9) and may forget it after ``remember_until``."""
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    token = _peek(id_token)
    kid = _kid(token.header)
    registration = _registration(token.payload, find_registrations)
    payload = _verify_signature(token, keys.key_for(registration, kid))
    remember_until = _check_times(payload, now, leeway)
    nonce = _nonce(payload)
    _check_message(payload, registration)
    _check_user(payload)
    _check_target(payload)
    if not consume_nonce(registration.issuer, nonce, remember_until):
        raise LaunchError("nonce_reused", "This launch was already used once; launches cannot be replayed. "
                          "Launch the activity again from Moodle.")
    return context_from_claims(payload, client_id=registration.client_id)
