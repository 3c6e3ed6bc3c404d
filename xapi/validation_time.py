"""Timestamps, durations and version strings (xAPI 1.0.3 §4.5-§4.6, §2.4.10; 2.0 §4.2.7)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

from xapi.errors import StatementError
from xapi.validation_values import require_string

# RFC 3339 §5.6 date-time.  "T"/"Z" may be lower case (RFC 3339 §5.6 NOTE); the offset is
# mandatory, which is what xAPI 2.0 §4.2.7 ("formatted according to RFC 3339") implies.
_RFC3339 = re.compile(
    r"(?P<Y>\d{4})-(?P<M>\d{2})-(?P<D>\d{2})[Tt]"
    r"(?P<h>\d{2}):(?P<m>\d{2}):(?P<s>\d{2})(?:\.(?P<f>\d+))?"
    r"(?P<tz>[Zz]|[+-]\d{2}:\d{2})",
    re.ASCII,  # \d must not match non-ASCII digits such as "٣"
)
# ISO 8601 complete or reduced-precision (no seconds) date-time in extended or basic
# format, decimal mark "." or ",", zone optional (xAPI 1.0.3 §4.5: "MUST be formatted
# according to ISO 8601", time zone only "SHOULD").
_ISO8601 = re.compile(
    r"(?P<Y>\d{4})-(?P<M>\d{2})-(?P<D>\d{2})T(?P<h>\d{2}):(?P<m>\d{2})"
    r"(?::(?P<s>\d{2})(?:[.,](?P<f>\d+))?)?"
    r"(?P<tz>Z|[+-]\d{2}(?::?\d{2})?)?"
    r"|(?P<bY>\d{4})(?P<bM>\d{2})(?P<bD>\d{2})T(?P<bh>\d{2})(?P<bm>\d{2})"
    r"(?:(?P<bs>\d{2})(?:[.,](?P<bf>\d+))?)?"
    r"(?P<btz>Z|[+-]\d{2}(?:\d{2})?)?",
    re.ASCII,
)


def _is_v2(version: str) -> bool:
    return version.startswith("2.")


def _offset(tz: str | None) -> timezone:
    """The offset of an ISO 8601 zone designator; absent means UTC (LRS's choice)."""
    if tz is None or tz in ("Z", "z"):
        return UTC
    digits = tz[1:].replace(":", "")
    if int(digits) == 0 and tz[0] == "-":
        # xAPI 1.0.3 §4.5 / 2.0 §4.2.7: "-00:00", "-0000" and "-00" MUST NOT be used
        # (RFC 3339 gives -00:00 the meaning "offset unknown"); suite timestamps.js.
        raise ValueError("negative zero offset is not allowed for UTC")
    minutes = int(digits[:2]) * 60 + int(digits[2:] or 0)
    if int(digits[:2]) > 23 or int(digits[2:] or 0) > 59:
        raise ValueError("offset out of range")
    return timezone(timedelta(minutes=-minutes if tz[0] == "-" else minutes))


def _groups(s: str, version: str) -> dict[str, str | None]:
    if _is_v2(version):
        match = _RFC3339.fullmatch(s)
        if match is None:
            raise ValueError("not an RFC 3339 date-time with time zone")
        return match.groupdict()
    match = _ISO8601.fullmatch(s)
    if match is None:
        raise ValueError("not an ISO 8601 date-time")
    found = match.groupdict()
    if found["bY"] is not None:  # basic format: rename "bX" groups to "X"
        return {key[1:]: val for key, val in found.items() if key.startswith("b")}
    return found


def parse_timestamp(s: str, *, version: str = "2.0.0") -> datetime:
    """Parse an xAPI Timestamp into an aware UTC datetime; ValueError if malformed.

    ``version`` "2.0.x" accepts RFC 3339 only (xAPI 2.0 §4.2.7); "1.0.x" accepts any ISO 8601
    date-time (xAPI 1.0.3 §4.5), assuming UTC when no zone is given.  Both reject "-00:00".
    Precision beyond microseconds is truncated (xAPI keeps at least milliseconds).

    A leap second (second 60, RFC 3339 §5.7, ISO 8601 §4.2.1) is accepted where one can occur, at 23:59 UTC,
    and read as 23:59:59.999999: a datetime cannot hold second 60, and this moment keeps the leap second after
    every other instant of its day and before the next day's first, so since/until and ordering stay right
    (reading it as the next day's 00:00:00 would move the statement into the next day, or year).  The text is
    stored as sent.
    """
    parts = _groups(s, version)
    fraction = (parts["f"] or "0")[:6].ljust(6, "0")
    leap = int(parts["s"] or 0) == 60
    moment = datetime(
        int(parts["Y"] or 0),
        int(parts["M"] or 0),
        int(parts["D"] or 0),
        int(parts["h"] or 0),
        int(parts["m"] or 0),
        59 if leap else int(parts["s"] or 0),
        999_999 if leap else int(fraction),
        tzinfo=_offset(parts["tz"]),
    )
    try:
        utc = moment.astimezone(UTC)
    except OverflowError:
        raise ValueError("date out of range") from None
    if leap and (utc.hour, utc.minute) != (23, 59):
        raise ValueError("second 60 is a leap second, which only ends a UTC day (23:59:60Z)")
    return utc


def utc_text(s: str, *, version: str) -> str:
    """A valid Timestamp as RFC 3339 in UTC with microseconds (the form xAPI 2.0 §4.2.7 returns); a leap second
    stays second 60 rather than becoming the :59.999999 it is compared as."""
    moment = parse_timestamp(s, version=version)
    parts = _groups(s, version)
    if int(parts["s"] or 0) == 60:
        return f"{moment:%Y-%m-%dT%H:%M}:60.{(parts['f'] or '0')[:6].ljust(6, '0')}Z"
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{moment.microsecond:06d}Z"


def validate_timestamp(value: object, path: str, version: str) -> datetime:
    """A Timestamp property (xAPI 1.0.3 §2.4.7, §2.4.8; 2.0 §4.2.4.2)."""
    text = require_string(value, path)
    try:
        return parse_timestamp(text, version=version)
    except ValueError as exc:
        raise StatementError(path, f"must be a valid timestamp ({exc})") from None


# ISO 8601:2004 §4.4.3.2 durations with designators; the alternative format (§4.4.3.3)
# MUST NOT be used (xAPI 1.0.3 §4.6).  Weeks cannot be combined with other units
# (suite durations.js rejects "P4W1D").  A decimal fraction is allowed on the smallest
# component given, with "." or ",".
_NUM = r"\d+(?:[.,]\d+)?"
_DURATION = re.compile(
    rf"P(?:(?P<W>{_NUM})W|(?=\d)(?:{_NUM}Y)?(?:{_NUM}M)?(?:{_NUM}D)?"
    rf"(?:T(?=\d)(?:{_NUM}H)?(?:{_NUM}M)?(?:{_NUM}S)?)?|T(?=\d)(?:{_NUM}H)?(?:{_NUM}M)?(?:{_NUM}S)?)",
    re.ASCII,
)


def validate_duration(value: object, path: str) -> str:
    """An ISO 8601 duration string (xAPI 1.0.3 §2.4.5 duration, §4.6)."""
    text = require_string(value, path)
    if not _DURATION.fullmatch(text):
        raise StatementError(path, "must be an ISO 8601 duration such as PT1H30M")
    fractions = [m.end() for m in re.finditer(r"[.,][0-9]+", text)]
    if fractions and (len(fractions) > 1 or fractions[0] != len(text) - 1):
        raise StatementError(path, "only the smallest component may have a fraction")
    return text


_V1 = re.compile(r"1\.0(?:\.[0-9]+)?")
_V2 = re.compile(r"2\.0(?:\.[0-9]+)?")


def validate_statement_version(value: object, path: str, version: str) -> str:
    """The statement's ``version`` property.

    xAPI 1.0.3 §2.4.10: "1.0" or "1.0.x".  Under 2.0 the conformance suite (v2_0/configs/
    version.js) still expects "1.0" and "1.0.9" to be accepted, and "2.0.0" to be kept
    (4.2.4.3-Version-Requirements.js), so 2.0 accepts 1.0.x and 2.0.x.
    """
    text = require_string(value, path)
    if _V1.fullmatch(text) or (_is_v2(version) and _V2.fullmatch(text)):
        return text
    raise StatementError(path, "must be 1.0.x" + (" or 2.0.x" if _is_v2(version) else ""))


def validate_version_header(value: object) -> str:
    """The X-Experience-API-Version header (xAPI 1.0.3 Part Three §3.3; 2.0 §4.1.2).

    Returns the value stripped of surrounding whitespace.  Every "1.0" and "1.0.x" is accepted and answered as
    1.0.3: §3.3 has the LRS reject only versions before 1.0.0 and from 1.1.0 on, and 1.0.x patch releases
    change no rule an LRS applies (1.0.4 is "1.0.3 with fixes").  Of 2.0, only "2.0.0" is spoken; anything else
    (e.g. "0.95", "1.1", "2.0.1") is rejected.
    """
    path = "X-Experience-API-Version"
    text = require_string(value, path).strip()
    if not (_V1.fullmatch(text) or text == "2.0.0"):
        raise StatementError(path, f"unsupported xAPI version {text!r}: this LRS speaks 1.0.3 "
                                   "(also as 1.0 and any 1.0.x) and 2.0.0")
    return text


def rule_set(version: str) -> str:
    """Normalise a ``version`` argument to "1.0.3" or "2.0.0" (ValueError otherwise)."""
    if _V1.fullmatch(version):
        return "1.0.3"
    if _V2.fullmatch(version):
        return "2.0.0"
    raise ValueError(f"unsupported xAPI version {version!r}")
