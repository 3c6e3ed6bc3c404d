"""Plain data the ``lti`` package takes and returns: a platform Registration and a validated
LaunchContext. No I/O; the plugin stores registrations however it likes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from lti import claims as c

__all__ = [
    "AgsEndpoint", "Context", "DeepLinkingSettings", "LaunchContext", "NrpsEndpoint", "Registration",
    "ResourceLink", "context_from_claims",
]


@dataclass(frozen=True)
class Registration:
    """One tool registration on one platform (LTI Core 1.3 §3.1.3): what the platform told us at
    registration time. ``auth_audience`` overrides the ``aud`` of our client assertion when the platform's
    token endpoint expects something other than its own URL (Security Framework §4.1.1)."""

    issuer: str
    client_id: str
    auth_login_url: str
    auth_token_url: str
    key_set_url: str
    deployment_ids: tuple[str, ...]
    auth_audience: str | None = None

    def has_deployment(self, deployment_id: str) -> bool:
        return deployment_id in self.deployment_ids


@dataclass(frozen=True)
class Context:
    """The course the launch comes from (LTI Core 1.3 §5.4.1); Moodle sends type ["CourseSection"]."""

    id: str
    label: str | None = None
    title: str | None = None
    type: tuple[str, ...] = ()


@dataclass(frozen=True)
class ResourceLink:
    """The placement of the tool in the course (LTI Core 1.3 §5.3.5); Moodle: id = LTI instance id."""

    id: str
    title: str | None = None
    description: str | None = None


@dataclass(frozen=True)
class AgsEndpoint:
    """Assignment and Grade Services 2.0 §3.1 endpoint claim. Moodle's URLs carry ``?type_id=N``."""

    scope: tuple[str, ...] = ()
    lineitems: str | None = None
    lineitem: str | None = None


@dataclass(frozen=True)
class NrpsEndpoint:
    """Names and Role Provisioning Services 2.0 §3.6.1.1 claim."""

    context_memberships_url: str
    service_versions: tuple[str, ...] = ()


@dataclass(frozen=True)
class DeepLinkingSettings:
    """Deep Linking 2.0 §4.4.1 settings; ``data`` must be echoed back unchanged in the response."""

    deep_link_return_url: str
    accept_types: tuple[str, ...] = ()
    accept_presentation_document_targets: tuple[str, ...] = ()
    accept_multiple: bool = False
    auto_create: bool = False
    data: str | None = None
    title: str | None = None
    text: str | None = None


@dataclass(frozen=True)
class LaunchContext:
    """What a validated launch says, in plain fields. ``claims`` keeps the whole payload for storage."""

    message_type: str
    issuer: str
    client_id: str
    deployment_id: str
    subject: str
    roles: tuple[str, ...]
    target_link_uri: str | None = None
    context: Context | None = None
    resource_link: ResourceLink | None = None
    name: str | None = None
    given_name: str | None = None
    family_name: str | None = None
    email: str | None = None
    locale: str | None = None
    document_target: str | None = None
    return_url: str | None = None
    custom: Mapping[str, str] = field(default_factory=dict)
    ags: AgsEndpoint | None = None
    nrps: NrpsEndpoint | None = None
    deep_linking: DeepLinkingSettings | None = None
    claims: Mapping[str, Any] = field(default_factory=dict)

    @property
    def is_instructor(self) -> bool:
        # Moodle sends membership#Instructor for editing and non-editing teachers and managers.
        return c.ROLE_INSTRUCTOR in self.roles

    @property
    def is_learner(self) -> bool:
        return c.ROLE_LEARNER in self.roles

    @property
    def is_administrator(self) -> bool:
        # Moodle adds both institution and system Administrator for site admins only.
        return c.ROLE_SYSTEM_ADMIN in self.roles or c.ROLE_INSTITUTION_ADMIN in self.roles

    @property
    def is_deep_linking(self) -> bool:
        return self.message_type == c.MESSAGE_DEEP_LINKING

    def xapi_actor(self) -> dict[str, Any]:
        """The actor Moodle's xAPI log store sends for the same person: account homePage = wwwroot
        (= our ``iss``), name = Moodle user id (= our ``sub``)."""
        return {"objectType": "Agent", "account": {"homePage": self.issuer, "name": self.subject}}


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value != "" else None


def _strings(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list):
        return tuple(item for item in value if isinstance(item, str))
    return ()


def _mapping(claims: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    value = claims.get(name)
    return value if isinstance(value, Mapping) else {}


def _context(claims: Mapping[str, Any]) -> Context | None:
    raw = _mapping(claims, c.CONTEXT)
    ident = _text(raw.get("id"))
    if ident is None:
        return None
    return Context(ident, _text(raw.get("label")), _text(raw.get("title")), _strings(raw.get("type")))


def _resource_link(claims: Mapping[str, Any]) -> ResourceLink | None:
    raw = _mapping(claims, c.RESOURCE_LINK)
    ident = _text(raw.get("id"))
    if ident is None:
        return None
    return ResourceLink(ident, _text(raw.get("title")), _text(raw.get("description")))


def _ags(claims: Mapping[str, Any]) -> AgsEndpoint | None:
    raw = _mapping(claims, c.AGS_ENDPOINT)
    if not raw:
        return None
    return AgsEndpoint(_strings(raw.get("scope")), _text(raw.get("lineitems")), _text(raw.get("lineitem")))


def _nrps(claims: Mapping[str, Any]) -> NrpsEndpoint | None:
    raw = _mapping(claims, c.NRPS)
    url = _text(raw.get("context_memberships_url"))
    return NrpsEndpoint(url, _strings(raw.get("service_versions"))) if url else None


def _deep_linking(claims: Mapping[str, Any]) -> DeepLinkingSettings | None:
    raw = _mapping(claims, c.DEEP_LINKING_SETTINGS)
    url = _text(raw.get("deep_link_return_url"))
    if url is None:
        return None
    return DeepLinkingSettings(
        deep_link_return_url=url,
        accept_types=_strings(raw.get("accept_types")),
        accept_presentation_document_targets=_strings(raw.get("accept_presentation_document_targets")),
        accept_multiple=raw.get("accept_multiple") is True,
        auto_create=raw.get("auto_create") is True,
        data=_text(raw.get("data")),
        title=_text(raw.get("title")),
        text=_text(raw.get("text")),
    )


def context_from_claims(claims: Mapping[str, Any], *, client_id: str) -> LaunchContext:
    """Build a LaunchContext from an already validated payload (see ``lti.launch.validate_id_token``)."""
    presentation = _mapping(claims, c.LAUNCH_PRESENTATION)
    custom = {str(k): str(v) for k, v in _mapping(claims, c.CUSTOM).items() if isinstance(v, str | int | float)}
    return LaunchContext(
        message_type=str(claims[c.MESSAGE_TYPE]),
        issuer=str(claims["iss"]),
        client_id=client_id,
        deployment_id=str(claims[c.DEPLOYMENT_ID]),
        subject=str(claims["sub"]),
        roles=c.normalise_roles(_strings(claims.get(c.ROLES))),
        target_link_uri=_text(claims.get(c.TARGET_LINK_URI)),
        context=_context(claims),
        resource_link=_resource_link(claims),
        name=_text(claims.get("name")),
        given_name=_text(claims.get("given_name")),
        family_name=_text(claims.get("family_name")),
        email=_text(claims.get("email")),
        locale=_text(presentation.get("locale")),
        document_target=_text(presentation.get("document_target")),
        return_url=_text(presentation.get("return_url")),
        custom=custom,
        ags=_ags(claims),
        nrps=_nrps(claims),
        deep_linking=_deep_linking(claims),
        claims=dict(claims),
    )
