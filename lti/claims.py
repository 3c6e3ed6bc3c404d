"""Claim names and role vocabularies of LTI 1.3 (LTI Core 1.3 §5.3-5.4, Appendix A), and role
normalisation."""

from __future__ import annotations

from collections.abc import Iterable

__all__ = [
    "AGS_ENDPOINT", "CONTEXT", "CUSTOM", "DEEP_LINKING_DATA", "DEEP_LINKING_SETTINGS", "DEPLOYMENT_ID",
    "LAUNCH_PRESENTATION", "LTI_VERSION", "MESSAGE_DEEP_LINKING", "MESSAGE_DEEP_LINKING_RESPONSE",
    "MESSAGE_RESOURCE_LINK", "MESSAGE_TYPE", "NRPS", "RESOURCE_LINK", "ROLES", "ROLE_INSTITUTION_ADMIN",
    "ROLE_INSTRUCTOR", "ROLE_LEARNER", "ROLE_SYSTEM_ADMIN", "ROLE_TEACHING_ASSISTANT", "STAFF_ROLES",
    "TARGET_LINK_URI", "TOOL_CONFIGURATION",
    "VERSION", "CONTENT_ITEMS", "DL_MSG", "is_staff_role", "normalise_roles",
]

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
MESSAGE_TYPE = LTI + "message_type"
VERSION = LTI + "version"
DEPLOYMENT_ID = LTI + "deployment_id"
TARGET_LINK_URI = LTI + "target_link_uri"
ROLES = LTI + "roles"
CONTEXT = LTI + "context"
RESOURCE_LINK = LTI + "resource_link"
LAUNCH_PRESENTATION = LTI + "launch_presentation"
CUSTOM = LTI + "custom"
AGS_ENDPOINT = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
NRPS = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
DEEP_LINKING_SETTINGS = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"
DEEP_LINKING_DATA = "https://purl.imsglobal.org/spec/lti-dl/claim/data"
CONTENT_ITEMS = "https://purl.imsglobal.org/spec/lti-dl/claim/content_items"
DL_MSG = "https://purl.imsglobal.org/spec/lti-dl/claim/msg"
TOOL_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-tool-configuration"

LTI_VERSION = "1.3.0"
MESSAGE_RESOURCE_LINK = "LtiResourceLinkRequest"
MESSAGE_DEEP_LINKING = "LtiDeepLinkingRequest"
MESSAGE_DEEP_LINKING_RESPONSE = "LtiDeepLinkingResponse"

_MEMBERSHIP = "http://purl.imsglobal.org/vocab/lis/v2/membership#"
ROLE_INSTRUCTOR = _MEMBERSHIP + "Instructor"
ROLE_LEARNER = _MEMBERSHIP + "Learner"
ROLE_TEACHING_ASSISTANT = "http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant"
# Context roles of people who teach, design or support rather than learn (LTI Core 1.3 §A.2.3): Instructor and
# its sub-roles (membership/Instructor#…), ContentDeveloper, Mentor, Manager and the context Administrator.
STAFF_ROLES = frozenset(_MEMBERSHIP + name for name in (
    "Administrator", "ContentDeveloper", "Instructor", "Manager", "Mentor"))
ROLE_INSTITUTION_ADMIN = "http://purl.imsglobal.org/vocab/lis/v2/institution/person#Administrator"
ROLE_SYSTEM_ADMIN = "http://purl.imsglobal.org/vocab/lis/v2/system/person#Administrator"

# LTI Core 1.3 §A.2.3.1: the context roles MAY be sent by their simple name ("Instructor"); they are the
# only roles with a short form.
_CONTEXT_ROLE_NAMES = (
    "Administrator", "ContentDeveloper", "Instructor", "Learner", "Mentor", "Manager", "Member", "Officer",
)
# LTI 1.1 URNs (LTI Core 1.3 §A.2 lists them as deprecated equivalents); a platform migrated from 1.1
# may still send them.
_LEGACY_PREFIXES = {
    "urn:lti:role:ims/lis/": _MEMBERSHIP,
    "urn:lti:instrole:ims/lis/": "http://purl.imsglobal.org/vocab/lis/v2/institution/person#",
    "urn:lti:sysrole:ims/lis/": "http://purl.imsglobal.org/vocab/lis/v2/system/person#",
}


def is_staff_role(role: str) -> bool:
    """A context role of someone who is not there to learn: ``STAFF_ROLES`` or one of their sub-roles
    (``…/membership/Instructor#TeachingAssistant``, LTI Core 1.3 §A.2.3.1)."""
    if role in STAFF_ROLES:
        return True
    base, _, sub = role.partition("/membership/")
    return bool(sub) and base + "/membership#" + sub.split("#", 1)[0] in STAFF_ROLES


def normalise_roles(roles: Iterable[str]) -> tuple[str, ...]:
    """Full role URIs, in the order received, duplicates dropped; unknown roles are kept verbatim (they
    grant nothing, LTI Core 1.3 §5.3.7 says a tool must tolerate them)."""
    seen: dict[str, None] = {}
    for raw in roles:
        role = raw.strip()
        if role in _CONTEXT_ROLE_NAMES:
            role = _MEMBERSHIP + role
        for prefix, vocabulary in _LEGACY_PREFIXES.items():
            if role.startswith(prefix) and "/" not in role[len(prefix):]:
                role = vocabulary + role[len(prefix):]
        if role:
            seen.setdefault(role, None)
    return tuple(seen)
