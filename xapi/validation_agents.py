"""Agents, Groups and their Inverse Functional Identifiers (xAPI 1.0.3 §2.4.2; 2.0 §4.2.2.1)."""

from __future__ import annotations

import re

from xapi.errors import StatementError
from xapi.validation_values import (
    JsonObject,
    child,
    item,
    require_array,
    require_object,
    require_string,
    validate_iri,
    validate_irl,
)

IFI_KEYS = ("mbox", "mbox_sha1sum", "openid", "account")
_AGENT_KEYS = frozenset({"objectType", "name", *IFI_KEYS})
_GROUP_KEYS = _AGENT_KEYS | {"member"}
# xAPI 1.0.3 §2.4.2.3: "mailto:" followed by an email address (RFC 6068 addr-spec, loosely).
_MBOX = re.compile(r"mailto:[^@\s]+@[^@\s]+")
_SHA1 = re.compile(r"[0-9a-fA-F]{40}")


def _validate_account(value: object, path: str) -> None:
    """Account Object: homePage IRL and name string, both required (xAPI 1.0.3 §2.4.2.4)."""
    account = require_object(value, path, ("homePage", "name"), ("homePage", "name"))
    validate_irl(account["homePage"], child(path, "homePage"))
    require_string(account["name"], child(path, "name"))


def _validate_ifi(key: str, value: object, path: str) -> None:
    """One IFI's value (xAPI 1.0.3 §2.4.2.3)."""
    if key == "account":
        _validate_account(value, path)
        return
    text = require_string(value, path)
    if key == "mbox" and not _MBOX.fullmatch(text):
        if not text.startswith("mailto:"):
            raise StatementError(path, "must start with mailto:")
        raise StatementError(path, "must be mailto: followed by an email address")
    if key == "mbox_sha1sum" and not _SHA1.fullmatch(text):
        raise StatementError(path, "must be 40 hexadecimal digits (SHA-1 of a mailto IRI)")
    if key == "openid":
        validate_iri(text, path)


def _validate_ifis(obj: JsonObject, path: str, *, required: bool) -> bool:
    """Check the IFIs present; return whether there is one.

    An Agent (and an identified Group) has exactly one IFI (xAPI 1.0.3 §2.4.2.1 s2.b1-b2,
    §2.4.2.2 s2); more than one is rejected (suite agents.js/groups.js "cannot be used with").
    """
    present = [key for key in IFI_KEYS if key in obj]
    if len(present) > 1:
        raise StatementError(path, f"must have exactly one identifier, found {', '.join(present)}")
    if required and not present:
        raise StatementError(path, "must have one of mbox, mbox_sha1sum, openid or account")
    for key in present:
        _validate_ifi(key, obj[key], child(path, key))
    return bool(present)


def _object_type(value: object, path: str) -> str | None:
    if not isinstance(value, dict):
        raise StatementError(path, "must be an object")
    kind = value.get("objectType")
    if kind is not None and not isinstance(kind, str):
        raise StatementError(child(path, "objectType"), "must be a string")
    return kind


def _validate_name(obj: JsonObject, path: str) -> None:
    if "name" in obj:
        require_string(obj["name"], child(path, "name"))


def validate_agent(value: object, path: str = "agent", version: str = "1.0.3") -> JsonObject:
    """An Agent: objectType absent or "Agent" (case-exact), optional name, exactly one IFI.

    Also what the HTTP layer uses for the ``agent`` parameter of /agents, agents/profile and
    activities/state (xAPI 1.0.3 Part 3 §2.3-§2.6).  ``version`` is accepted for symmetry;
    Agent rules are the same in 1.0.3 and 2.0.
    """
    del version
    kind = _object_type(value, path)
    if kind not in (None, "Agent"):
        raise StatementError(child(path, "objectType"), 'must be "Agent"')
    agent = require_object(value, path, _AGENT_KEYS)
    _validate_name(agent, path)
    _validate_ifis(agent, path, required=True)
    return agent


def validate_group(value: object, path: str, version: str = "1.0.3") -> JsonObject:
    """A Group: objectType "Group" required (xAPI 1.0.3 §2.4.2.2).

    An anonymous Group (no IFI) must list its members; an identified Group may.
    Members are Agents only: "member" is an "Array of Agent Objects" (Group Table).
    """
    kind = _object_type(value, path)
    if kind != "Group":
        raise StatementError(child(path, "objectType"), 'must be "Group"')
    group = require_object(value, path, _GROUP_KEYS)
    _validate_name(group, path)
    identified = _validate_ifis(group, path, required=False)
    if "member" not in group:
        if not identified:
            raise StatementError(child(path, "member"), "is required for an anonymous Group")
        return group
    members = require_array(group["member"], child(path, "member"), non_empty=not identified)
    for index, member in enumerate(members):
        validate_agent(member, item(child(path, "member"), index), version)
    return group


def validate_actor(value: object, path: str = "actor", version: str = "1.0.3") -> JsonObject:
    """An Agent or a Group; objectType absent means Agent (xAPI 1.0.3 §2.4.2)."""
    if _object_type(value, path) == "Group":
        return validate_group(value, path, version)
    try:
        return validate_agent(value, path, version)
    except StatementError as exc:
        if exc.path == child(path, "objectType"):
            raise StatementError(exc.path, 'must be "Agent" or "Group"') from None
        raise


def validate_authority(value: object, path: str = "authority", version: str = "1.0.3") -> JsonObject:
    """The authority: an Agent, or an OAuth 3-legged Group (xAPI 1.0.3 §2.4.9).

    For OAuth the Group is anonymous and has exactly two Agents, the application and the
    user; the suite (authorities.js, XAPI-00100) rejects identified groups and any other
    member count.
    """
    if _object_type(value, path) != "Group":
        return validate_actor(value, path, version)
    group = validate_group(value, path, version)
    if any(key in group for key in IFI_KEYS):
        raise StatementError(path, "an authority Group must be anonymous (OAuth application + user)")
    members = group.get("member")
    if not isinstance(members, list) or len(members) != 2:
        raise StatementError(child(path, "member"), "an authority Group must have exactly two Agents")
    return group
