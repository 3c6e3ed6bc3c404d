"""Validators for xAPI's scalar data types: JSON shapes, IRIs, UUIDs, language tags and maps.

Every function is pure; a violation raises :class:`StatementError` naming the path.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping

from xapi.errors import StatementError

JsonObject = Mapping[str, object]


def child(path: str, key: str) -> str:
    """Path of property ``key`` of the value at ``path``."""
    return f"{path}.{key}" if path else key


def item(path: str, index: int) -> str:
    """Path of element ``index`` of the array at ``path``."""
    return f"{path}[{index}]"


def require_object(
    value: object,
    path: str,
    allowed: Iterable[str],
    required: Iterable[str] = (),
) -> JsonObject:
    """A JSON object whose keys are all in ``allowed`` and include ``required``.

    Unknown properties are rejected: the conformance suite (XAPI-00016 family) expects 400
    for them, and xAPI 1.0.3 §2.2 says an LRS rejects statements with properties not
    defined by the specification.  Keys are case-sensitive (xAPI 1.0.3 §2.2 s4.b1).
    """
    if not isinstance(value, dict):
        raise StatementError(path, "must be an object")
    allowed_set = frozenset(allowed)
    for key in value:
        if key not in allowed_set:
            raise StatementError(child(path, str(key)), "is not an allowed property")
    for key in required:
        if key not in value:
            raise StatementError(child(path, key), "is required")
    return value


def require_array(value: object, path: str, *, non_empty: bool = False) -> list[object]:
    """A JSON array (optionally non-empty)."""
    if not isinstance(value, list):
        raise StatementError(path, "must be an array")
    if non_empty and not value:
        raise StatementError(path, "must not be empty")
    return value


def require_string(value: object, path: str) -> str:
    """A JSON string."""
    if not isinstance(value, str):
        raise StatementError(path, "must be a string")
    return value


def require_bool(value: object, path: str) -> bool:
    """A JSON boolean (the string "true" is not one; conformance suite results.js)."""
    if not isinstance(value, bool):
        raise StatementError(path, "must be a boolean")
    return value


def require_number(value: object, path: str) -> int | float:
    """A finite JSON number; booleans are not numbers even though Python says so.

    Returned unconverted: float() of a huge JSON integer would raise OverflowError, while
    Python compares int and float exactly.
    """
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise StatementError(path, "must be a number")
    if isinstance(value, float) and not math.isfinite(value):
        raise StatementError(path, "must be a finite number")
    return value


# --- IRIs (RFC 3987), loosely: xAPI 1.0.3 §2.2 s4.b1.b8 requires a scheme; the suite's bad
# values are "ab=c://should.fail.com", "should fail", "example.com/x" (no scheme).
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*")
# Characters RFC 3987 never allows unescaped in an IRI (spaces, controls, delimiters).
_FORBIDDEN = re.compile(r"[\s\x00-\x1f\x7f<>\"{}|\\^`]")
_BAD_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")


def iri_problem(value: str) -> str | None:
    """Why ``value`` is not an absolute IRI, or None if it is one."""
    scheme, sep, rest = value.partition(":")
    if not sep or not _SCHEME.fullmatch(scheme):
        return "must be an absolute IRI with a scheme"
    if not rest:
        return "must have something after the scheme"
    if _FORBIDDEN.search(value):
        return "contains a character not allowed in an IRI"
    if _BAD_PERCENT.search(value):
        return "contains a malformed percent-encoding"
    if scheme.lower() in {"http", "https"} and not re.match(r"//[^/?#]", rest):
        # RFC 7230 §2.7.1: an http(s) URI has a non-empty authority.
        return "must have a host"
    return None


def validate_iri(value: object, path: str) -> str:
    """An absolute IRI (RFC 3987) string, as xAPI 1.0.3 §4.1.6 / 2.0 §4.2.7 require."""
    text = require_string(value, path)
    problem = iri_problem(text)
    if problem:
        raise StatementError(path, problem)
    return text


def validate_irl(value: object, path: str) -> str:
    """An IRL: an IRI that is expected to resolve (xAPI 1.0.3 §2.2 s4.b1.b8).

    Whether it resolves cannot be checked offline, so the syntax rules are those of an IRI
    (http(s) IRLs additionally need a host, which ``iri_problem`` already enforces).
    """
    return validate_iri(value, path)


# --- UUIDs: xAPI 1.0.3 §2.4.1 "all versions of variant 2 in RFC 4122 are valid, and the
# UUID MUST be in standard string form".  RFC 4122 §4.1.1's variant column lists the
# layout "10x" second, so the variant nibble must be 8, 9, a or b; every version is valid.
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}")


def is_uuid(value: object) -> bool:
    """True for an RFC 4122 (variant 10x) UUID in standard 8-4-4-4-12 string form."""
    return isinstance(value, str) and _UUID.fullmatch(value) is not None


def validate_uuid(value: object, path: str) -> str:
    """A UUID string (xAPI 1.0.3 §4.1.1 id, §2.4.6 registration)."""
    text = require_string(value, path)
    if not is_uuid(text):
        raise StatementError(path, "must be a UUID in standard string form")
    return text


# --- Language tags: RFC 5646 §2.1 ABNF (xAPI 1.0.3 §4.1.7 Language Maps, §2.4.6 language).
_ALNUM = "[A-Za-z0-9]"
_LANGTAG = (
    r"(?:[A-Za-z]{2,3}(?:-[A-Za-z]{3}){0,3}|[A-Za-z]{4,8})"  # language (+ extlang)
    r"(?:-[A-Za-z]{4})?"  # script
    r"(?:-(?:[A-Za-z]{2}|[0-9]{3}))?"  # region
    rf"(?:-(?:{_ALNUM}{{5,8}}|[0-9]{_ALNUM}{{3}}))*"  # variants
    rf"(?:-[0-9A-WYZa-wyz](?:-{_ALNUM}{{2,8}})+)*"  # extensions
    rf"(?:-[Xx](?:-{_ALNUM}{{1,8}})+)?"  # private use
)
_PRIVATEUSE = rf"[Xx](?:-{_ALNUM}{{1,8}})+"
_GRANDFATHERED = (
    "en-GB-oed|i-ami|i-bnn|i-default|i-enochian|i-hak|i-klingon|i-lux|i-mingo|i-navajo|i-pwn|"
    "i-tao|i-tay|i-tsu|sgn-BE-FR|sgn-BE-NL|sgn-CH-DE|art-lojban|cel-gaulish|no-bok|no-nyn|"
    "zh-guoyu|zh-hakka|zh-min|zh-min-nan|zh-xiang"
)
_LANGUAGE_TAG = re.compile(rf"(?:{_LANGTAG}|{_PRIVATEUSE}|(?i:{_GRANDFATHERED}))")


def is_language_tag(value: object) -> bool:
    """True for a well-formed RFC 5646 language tag (case-insensitive, per RFC 5646 §2.1.1)."""
    return isinstance(value, str) and _LANGUAGE_TAG.fullmatch(value) is not None


def validate_language_tag(value: object, path: str) -> str:
    """An RFC 5646 language tag string."""
    text = require_string(value, path)
    if not is_language_tag(text):
        raise StatementError(path, "must be an RFC 5646 language tag")
    return text


def validate_language_map(value: object, path: str) -> JsonObject:
    """A Language Map: RFC 5646 tags to strings (xAPI 1.0.3 §4.1.7; suite languages.js)."""
    if not isinstance(value, dict):
        raise StatementError(path, "must be a language map object")
    for key, text in value.items():
        if not is_language_tag(key):
            raise StatementError(child(path, str(key)), "is not an RFC 5646 language tag")
        require_string(text, child(path, str(key)))
    return value


def validate_extensions(value: object, path: str) -> JsonObject:
    """Extensions: keys are IRIs, values any JSON (xAPI 1.0.3 §4.1.5; 2.0 §4.2.7).

    Values may be null, "" or {} (suite E.Data4.0, XAPI-00119), so only keys are checked.
    """
    if not isinstance(value, dict):
        raise StatementError(path, "must be an object")
    for key in value:
        problem = iri_problem(str(key))
        if problem:
            raise StatementError(child(path, str(key)), f"extension key {problem}")
    return value
