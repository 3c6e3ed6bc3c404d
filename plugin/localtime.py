"""Times as people read them: in the organisation's time zone (SAMATTHA_TIMEZONE, default Asia/Bangkok), in the
page's language, Thai with the Buddhist year as Thai government documents write it. Samattha stores and
exchanges UTC (xAPI, JSON exports); only what a person reads is converted, here.

The Jinja filters ``local_time`` and ``local_date`` take a datetime (SQLite hands one back without a zone: it
is UTC) or the ISO 8601 text our documents hold ("2026-12-07T05:00:00Z")."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask, current_app, has_app_context, has_request_context
from jinja2 import pass_context
from jinja2.runtime import Context

__all__ = ["DEFAULT_ZONE", "add_filters", "format_date", "format_time", "install", "zone_label", "zone_name"]

DEFAULT_ZONE = "Asia/Bangkok"
_THAI_MONTHS = ("ม.ค.", "ก.พ.", "มี.ค.", "เม.ย.", "พ.ค.", "มิ.ย.", "ก.ค.", "ส.ค.", "ก.ย.", "ต.ค.", "พ.ย.", "ธ.ค.")
_ENGLISH_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_BUDDHIST_ERA = 543


@lru_cache(maxsize=8)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def _moment(value: datetime | str) -> datetime:
    moment = datetime.fromisoformat(value.replace("Z", "+00:00")) if isinstance(value, str) else value
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def format_date(value: datetime | str, *, zone: str = DEFAULT_ZONE, language: str = "th") -> str:
    local = _moment(value).astimezone(_zone(zone))
    if language == "th":
        return f"{local.day} {_THAI_MONTHS[local.month - 1]} {local.year + _BUDDHIST_ERA}"
    return f"{local.day} {_ENGLISH_MONTHS[local.month - 1]} {local.year}"


def format_time(value: datetime | str, *, zone: str = DEFAULT_ZONE, language: str = "th") -> str:
    local = _moment(value).astimezone(_zone(zone))
    clock = f"{local:%H:%M}"
    return (f"{format_date(local, zone=zone, language='th')} {clock} น." if language == "th"
            else f"{format_date(local, zone=zone, language='en')}, {clock}")


def zone_name() -> str:
    """The configured zone, or the default outside an app (a library caller rendering an export)."""
    return str(current_app.config["SAMATTHA"].timezone) if has_app_context() else DEFAULT_ZONE


def zone_label(language: str = "th", name: str | None = None) -> str:
    """ "Asia/Bangkok (UTC+07:00)": said once where times are listed, so no time needs a suffix."""
    name = name or zone_name()
    offset = datetime.now(UTC).astimezone(_zone(name)).strftime("%z")
    utc = f"UTC{offset[:3]}:{offset[3:]}"
    return f"เวลา {name} ({utc})" if language == "th" else f"times in {name} ({utc})"


def _language(context: Context) -> str:
    lang = context.get("lang")
    if isinstance(lang, str) and lang:
        return "en" if lang.startswith("en") else "th"
    if has_request_context():
        from plugin.launch.i18n import current_language

        return current_language()
    return "th"


def _shown(value: Any, context: Context, formatter: Any) -> str:
    if value is None:
        return ""
    try:
        return str(formatter(value, zone=zone_name(), language=_language(context)))
    except (ValueError, TypeError):  # a statement's own timestamp Python cannot read: shown as sent
        return str(value)


@pass_context
def _local_time(context: Context, value: Any) -> str:
    return _shown(value, context, format_time)


@pass_context
def _local_date(context: Context, value: Any) -> str:
    return _shown(value, context, format_date)


def add_filters(filters: dict[str, Any]) -> None:
    filters["local_time"] = _local_time
    filters["local_date"] = _local_date


def install(app: Flask) -> None:
    add_filters(app.jinja_env.filters)
    app.jinja_env.globals["zone_label"] = zone_label
