"""LTI 1.3 protocol (OIDC login, launch validation, JWKS, dynamic registration, deep linking, AGS, NRPS).

Never imports ``plugin`` or ``xapi``. Everything a rule needs (registrations, keys, nonce memory, clock)
is passed in, so the plugin owns storage, routes and cookies."""

from __future__ import annotations

from lti.ags import Score, create_line_item, list_line_items, next_score_timestamp, post_score
from lti.claims import (
    ROLE_INSTITUTION_ADMIN,
    ROLE_INSTRUCTOR,
    ROLE_LEARNER,
    ROLE_SYSTEM_ADMIN,
    ROLE_TEACHING_ASSISTANT,
    is_staff_role,
    normalise_roles,
)
from lti.deep_linking import auto_submit_form, build_response, resource_link_item
from lti.errors import DeepLinkingError, LaunchError, LoginError, LtiError, RegistrationError, ServiceError
from lti.launch import KeySource, validate_id_token
from lti.login import build_auth_redirect, choose_registration, new_nonce, new_state
from lti.model import (
    AgsEndpoint,
    Context,
    DeepLinkingSettings,
    LaunchContext,
    NrpsEndpoint,
    Registration,
    ResourceLink,
)
from lti.nrps import Member, get_memberships
from lti.platform_keys import KeyResolver
from lti.registration import (
    CLOSE_PAGE,
    PlatformConfiguration,
    fetch_platform_configuration,
    register,
    tool_configuration,
)
from lti.services import ServiceClient, TokenCache, service_url
from lti.state import StateCheck, StateVerdict, check_state, moodle_relaunch_url, new_binding, sign_state
from lti.tool_keys import ToolKey, generate_key, public_jwk, public_jwks, sign_jwt

__all__ = [
    "CLOSE_PAGE", "ROLE_INSTITUTION_ADMIN", "ROLE_INSTRUCTOR", "ROLE_LEARNER", "ROLE_SYSTEM_ADMIN",
    "ROLE_TEACHING_ASSISTANT", "AgsEndpoint", "Context", "DeepLinkingError", "DeepLinkingSettings", "KeyResolver",
    "KeySource",
    "LaunchContext", "LaunchError", "LoginError", "LtiError", "Member", "NrpsEndpoint", "PlatformConfiguration",
    "Registration", "RegistrationError", "ResourceLink", "Score", "ServiceClient", "ServiceError", "StateCheck",
    "StateVerdict", "TokenCache", "ToolKey",
    "auto_submit_form", "build_auth_redirect", "build_response", "check_state", "choose_registration",
    "create_line_item", "fetch_platform_configuration", "generate_key", "get_memberships", "is_staff_role",
    "list_line_items",
    "moodle_relaunch_url", "new_binding", "new_nonce", "new_state", "next_score_timestamp", "normalise_roles",
    "post_score", "public_jwk", "public_jwks", "register", "resource_link_item", "service_url", "sign_jwt",
    "sign_state", "tool_configuration", "validate_id_token",
]
