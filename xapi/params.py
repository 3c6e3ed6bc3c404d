"""Strict parsing of xAPI request parameters and bodies (xAPI 1.0.3 Part Three §2, §3.2).

Every function raises StatementError naming the parameter, which the HTTP layer maps to 400.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
from collections.abc import Mapping
from typing import Any

from xapi.errors import StatementError
from xapi.prepare import ifi_of, to_micros
from xapi.validation_agents import validate_agent, validate_group
from xapi.validation_time import parse_timestamp
from xapi.validation_values import validate_iri, validate_uuid

__all__ = [
    "decode_token",
    "encode_token",
    "parse_agent",
    "parse_bool",
    "parse_json_body",
    "parse_limit",
    "parse_time",
    "reject_unknown",
]

MAX_LIMIT = 1000


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def _finite(text: str) -> float:
    # 1e400 is valid JSON text but no double: refused rather than stored as Infinity, which is not JSON.
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text[:40]} is out of range")
    return value


# JSON text may escape half of a surrogate pair ("\ud800"); json.loads gives a str no UTF-8 encoder takes, which
# failed as a 500 wherever the value was written (the database, a response, a merged document).  Only an escape
# can produce one (the UTF-8 decoder refuses encoded surrogates), so the escape is looked for first.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def _lone_surrogate(value: Any, path: str) -> str | None:
    """The JSON path of the first string (value or key) holding a lone surrogate, or None.  Pairs written as
    two escapes were joined by json.loads, so any surrogate left is alone.  A loop, not recursion: json.loads
    nests as deep as the interpreter allows, and walking that recursively would overflow."""
    pending: list[tuple[Any, str]] = [(value, path)]
    while pending:
        item, where = pending.pop()
        if isinstance(item, str):
            if _SURROGATE.search(item):
                return where
        elif isinstance(item, list):
            pending.extend((item[i], f"{where}[{i}]") for i in reversed(range(len(item))))
        elif isinstance(item, dict):
            children = []
            for key, child in item.items():
                inner = f"{where}.{key}" if where else key
                if _SURROGATE.search(key):
                    return inner.encode("utf-8", "backslashreplace").decode("utf-8")
                children.append((child, inner))
            pending.extend(reversed(children))
    return None


def parse_json_body(body: bytes, path: str = "body", *, root: str | None = None) -> Any:
    """Plain json.loads, strictly: UTF-8 only, no NaN/Infinity, no number beyond a double (RFC 8259), and no
    lone surrogate, which is not Unicode text (RFC 8259 §8.2).  Errors name ``path``, or for a value inside
    the document its JSON path below ``root`` (``path`` unless given: the statements of a body are named as
    the validator names them, "actor.name", "[1].verb.display.en-US")."""
    try:
        text = body.decode("utf-8")
        value = json.loads(text, parse_float=_finite, parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise StatementError(path, f"is not valid JSON ({type(exc).__name__})") from None
    if _SURROGATE_ESCAPE.search(text):
        where = _lone_surrogate(value, path if root is None else root)
        if where is not None:
            raise StatementError(where or path, "holds a lone surrogate escape (\\ud800-\\udfff without its pair), "
                                                "which is not Unicode text")
    return value


def reject_unknown(params: Mapping[str, str], allowed: set[str]) -> None:
    """§3.2: parameters the LRS does not recognise in their context are a 400."""
    for name in params:
        if name not in allowed:
            raise StatementError(name, "is not a parameter of this resource")


def parse_bool(params: Mapping[str, str], name: str) -> bool:
    value = params.get(name)
    if value is None:
        return False
    if value not in ("true", "false"):
        raise StatementError(name, 'must be "true" or "false"')
    return value == "true"


def parse_limit(params: Mapping[str, str]) -> int:
    value = params.get("limit", "0")
    if not value.isascii() or not value.isdigit():
        raise StatementError("limit", "must be a non-negative integer")
    number = int(value)
    # §2.1.3: 0 means "the maximum the server allows".
    return MAX_LIMIT if number == 0 or number > MAX_LIMIT else number


def parse_time(params: Mapping[str, str], name: str, version: str) -> int | None:
    value = params.get(name)
    if value is None:
        return None
    try:
        return to_micros(parse_timestamp(value, version=version))
    except ValueError as exc:
        raise StatementError(name, f"must be a timestamp such as 2026-01-31T09:30:00Z; {value!r} is {exc}") from None


def parse_agent(params: Mapping[str, str], name: str, version: str, *, required: bool) -> str | None:
    """An Agent (or identified Group) as JSON in a parameter, returned as its IFI string."""
    raw = params.get(name)
    if raw is None:
        if required:
            raise StatementError(name, "is required")
        return None
    agent = parse_json_body(raw.encode("utf-8"), name)
    if isinstance(agent, dict) and agent.get("objectType") == "Group":
        validate_group(agent, name, version)
    else:
        validate_agent(agent, name, version)
    ifi = ifi_of(agent)
    if ifi is None:
        raise StatementError(name, "must identify an Agent or Group by an Inverse Functional Identifier")
    return ifi


def parse_iri(params: Mapping[str, str], name: str, *, required: bool) -> str | None:
    value = params.get(name)
    if value is None:
        if required:
            raise StatementError(name, "is required")
        return None
    return validate_iri(value, name)


def parse_uuid(params: Mapping[str, str], name: str) -> str | None:
    value = params.get(name)
    return None if value is None else validate_uuid(value, name).lower()


def encode_token(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode()).decode().rstrip("=")


_TOKEN_TEXT = ("agent", "verb", "activity", "registration", "credential_key")
_TOKEN_FLAGS = ("related_agents", "related_activities", "ascending", "attachments")
_TOKEN_TIMES = ("since_us", "until_us")
_BIGINT = 2**62


def _token_shape(data: dict[str, Any]) -> bool:
    """A ``more`` token is plain JSON a client could edit: every field must have the type and range we
    issue, so nothing odd reaches the database (NUL in text, integers beyond BIGINT)."""

    def text(value: object) -> bool:
        return (isinstance(value, str) and len(value) <= 2048 and "\x00" not in value
                and not _SURROGATE.search(value))

    def integer(value: object) -> bool:
        return type(value) is int and -_BIGINT < value < _BIGINT

    cursor = data.get("cursor")
    return (
        set(data) == {*_TOKEN_TEXT, *_TOKEN_FLAGS, *_TOKEN_TIMES, "limit", "format", "cursor"}
        and all(data[name] is None or text(data[name]) for name in _TOKEN_TEXT)
        and all(isinstance(data[name], bool) for name in _TOKEN_FLAGS)
        and all(data[name] is None or integer(data[name]) for name in _TOKEN_TIMES)
        and integer(data["limit"]) and 0 <= data["limit"] <= MAX_LIMIT
        and text(data["format"])
        and isinstance(cursor, list) and len(cursor) == 2 and integer(cursor[0]) and text(cursor[1])
    )


def decode_token(token: str) -> dict[str, Any]:
    """The state behind a ``more`` IRL (§2.1.3 StatementResult)."""
    try:
        data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (ValueError, binascii.Error):
        raise StatementError("more", "is not a token this LRS issued") from None
    if not isinstance(data, dict) or not _token_shape(data):
        raise StatementError("more", "is not a token this LRS issued")
    return data
