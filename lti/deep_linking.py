"""Deep Linking 2.0 response (§4.5): the tool sends the chosen content items back to the platform as
a JWT signed with the tool's key, POSTed by the browser to ``deep_link_return_url``. Moodle reads the
form field ``JWT`` and checks ``iss`` = client_id and the ``kid`` against the tool's JWKS."""

from __future__ import annotations

import html
import secrets
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from lti import claims as c
from lti.errors import DeepLinkingError
from lti.model import LaunchContext
from lti.tool_keys import ToolKey, sign_jwt

__all__ = ["auto_submit_form", "build_response", "resource_link_item"]

RESPONSE_LIFETIME = 300  # seconds; the browser posts it at once, but a slow teacher's click must not fail


def resource_link_item(
    *,
    title: str,
    url: str | None = None,
    text: str | None = None,
    custom: Mapping[str, str] | None = None,
    line_item: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """An ``ltiResourceLink`` content item (Deep Linking 2.0 §3.1). Samattha puts its ``unit_code`` in
    ``custom``; Moodle stores custom parameters on the activity and sends them back at each launch.
    ``line_item`` (e.g. ``{"scoreMaximum": 100, "label": ...}``) asks Moodle to create a grade item."""
    item: dict[str, Any] = {"type": "ltiResourceLink", "title": title}
    if url is not None:
        item["url"] = url
    if text is not None:
        item["text"] = text
    if custom:
        item["custom"] = dict(custom)
    if line_item is not None:
        item["lineItem"] = dict(line_item)
    return item


def _check_items(context: LaunchContext, items: Sequence[Mapping[str, Any]]) -> str:
    settings = context.deep_linking
    if context.message_type != c.MESSAGE_DEEP_LINKING or settings is None:
        raise DeepLinkingError("not_deep_linking", "This launch is not a content selection request, so no content "
                               "can be sent back.")
    if len(items) > 1 and not settings.accept_multiple:
        raise DeepLinkingError("multiple_not_accepted", "The platform accepts only one item in this selection.")
    for item in items:
        if settings.accept_types and item.get("type") not in settings.accept_types:
            raise DeepLinkingError("type_not_accepted", f"The platform does not accept items of type "
                                   f"'{item.get('type')}' here (it accepts {list(settings.accept_types)}).")
    return settings.deep_link_return_url


def build_response(
    context: LaunchContext,
    items: Sequence[Mapping[str, Any]],
    *,
    key: ToolKey,
    now: datetime,
    msg: str | None = None,
    error_msg: str | None = None,
) -> tuple[str, str]:
    """Return (deep_link_return_url, signed LtiDeepLinkingResponse JWT) for a validated deep-linking launch.

    Deep Linking 2.0 §4.5: iss = our client_id, aud = the platform issuer, a fresh nonce, the request's
    deployment_id, and ``data`` echoed verbatim when the request carried it."""
    return_url = _check_items(context, items)
    issued = int(now.timestamp())
    claims: dict[str, Any] = {
        "iss": context.client_id,
        "aud": context.issuer,
        "iat": issued,
        "exp": issued + RESPONSE_LIFETIME,
        "nonce": secrets.token_urlsafe(16),
        c.DEPLOYMENT_ID: context.deployment_id,
        c.MESSAGE_TYPE: c.MESSAGE_DEEP_LINKING_RESPONSE,
        c.VERSION: c.LTI_VERSION,
        c.CONTENT_ITEMS: [dict(item) for item in items],
    }
    settings = context.deep_linking
    if settings is not None and settings.data is not None:
        claims[c.DEEP_LINKING_DATA] = settings.data
    if msg is not None:
        claims[c.DL_MSG] = msg
    if error_msg is not None:
        claims["https://purl.imsglobal.org/spec/lti-dl/claim/errormsg"] = error_msg
    return return_url, sign_jwt(claims, key)


def auto_submit_form(return_url: str, token: str, *, nonce: str | None = None) -> str:
    """An HTML page that POSTs ``JWT`` to the platform at once (with a button if scripts are off).
    ``nonce`` is the page's CSP script nonce, when the plugin sends a Content-Security-Policy."""
    script_nonce = f' nonce="{html.escape(nonce, quote=True)}"' if nonce else ""
    return (
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Returning to the course</title></head><body>\n"
        f'<form id="lti-dl-return" method="post" action="{html.escape(return_url, quote=True)}">\n'
        f'<input type="hidden" name="JWT" value="{html.escape(token, quote=True)}">\n'
        '<noscript><button type="submit">Continue</button></noscript>\n</form>\n'
        f"<script{script_nonce}>document.getElementById('lti-dl-return').submit();</script>\n</body></html>\n"
    )
