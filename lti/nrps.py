"""Names and Role Provisioning Services 2.0 (§3): the course roster, paged by ``Link: rel="next"``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

from lti.claims import normalise_roles
from lti.errors import ServiceError
from lti.services import SCOPE_MEMBERSHIPS, ServiceClient

__all__ = ["Member", "get_memberships"]

MEMBERSHIP_TYPE = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"


@dataclass(frozen=True)
class Member:
    """One member (NRPS 2.0 §3.6.2). ``user_id`` equals the ``sub`` of that person's launches."""

    user_id: str
    roles: tuple[str, ...]
    status: str = "Active"
    name: str | None = None
    given_name: str | None = None
    family_name: str | None = None
    email: str | None = None


def _member(raw: dict[str, Any]) -> Member | None:
    user_id = raw.get("user_id")
    if not isinstance(user_id, str | int) or isinstance(user_id, bool) or str(user_id) == "":
        return None
    roles = raw.get("roles")

    def text(name: str) -> str | None:
        value = raw.get(name)
        return value if isinstance(value, str) and value else None

    return Member(
        user_id=str(user_id),
        roles=normalise_roles(r for r in roles if isinstance(r, str)) if isinstance(roles, list) else (),
        status=text("status") or "Active",  # NRPS 2.0 §3.6.2: absent status means Active
        name=text("name"), given_name=text("given_name"), family_name=text("family_name"), email=text("email"),
    )


def _next_page(current: str, link: Any) -> str | None:
    if not isinstance(link, str) or not link:
        return None
    target = urljoin(current, link)
    # The bearer token follows the link: never send it to another origin than the roster's.
    if urlsplit(target)[:2] != urlsplit(current)[:2]:
        raise ServiceError("bad_next_link", f"The roster page {current} links to another site ({target}).", url=current)
    return target


def get_memberships(client: ServiceClient, context_memberships_url: str, *, max_pages: int = 200) -> list[Member]:
    """All members, following ``Link: <…>; rel="next"`` until the last page (NRPS 2.0 §3.6.4)."""
    members: list[Member] = []
    url: str | None = context_memberships_url
    pages = 0
    while url is not None:
        pages += 1
        if pages > max_pages:
            raise ServiceError("too_many_pages", f"The roster at {context_memberships_url} has more than {max_pages} "
                               "pages.", url=context_memberships_url)
        response = client.call("GET", url, scopes=[SCOPE_MEMBERSHIPS], accept=MEMBERSHIP_TYPE)
        try:
            body = response.json()
        except ValueError as exc:
            raise ServiceError("bad_response", f"{url} did not answer with JSON.", url=url) from exc
        raw_members = body.get("members") if isinstance(body, dict) else None
        if not isinstance(raw_members, list):
            raise ServiceError("bad_response", f"{url} returned no 'members' list.", url=url)
        members.extend(m for m in (_member(r) for r in raw_members if isinstance(r, dict)) if m is not None)
        url = _next_page(url, response.links.get("next", {}).get("url"))
    return members
