"""What turns a rendered portfolio into an assessment record someone signs: the organisation and the standard
on the cover, evidence named so a reader of paper can find it again, the assessors who declare, and a header
and footer on every page. Plain data in, plain data out; the organisation is read from the app's settings."""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping
from importlib import resources
from typing import Any
from urllib.parse import urlsplit

from flask import current_app, has_app_context
from markupsafe import Markup

from plugin.launch import i18n

__all__ = ["assessors", "evidence_references", "organisation", "page_css", "standard_titles"]

_CMID = re.compile(r"[?&](?:cmid|id)=(\d+)")
_ATTEMPT = re.compile(r"/mod/quiz/attempt\.php\?attempt=(\d+)")
_POST = re.compile(r"/mod/forum/discuss\.php\?[^#]*#p(\d+)$")


def organisation() -> str:
    """SAMATTHA_ORGANISATION; "" outside an app (a library caller rendering an export)."""
    return str(current_app.config["SAMATTHA"].organisation or "") if has_app_context() else ""


@functools.cache
def _shipped_titles() -> dict[str, str]:
    titles: dict[str, str] = {}
    for entry in resources.files("content.standards").iterdir():
        if entry.name.endswith(".json"):
            standard = json.loads(entry.read_text(encoding="utf-8"))
            titles[str(standard["source"]["file"])] = str(standard["standard"]["title"])
    return titles


def standard_titles(document: Mapping[str, Any]) -> list[str]:
    """The titles of the standards the document was compiled against, once each; a source Samattha does not
    ship is named by its file."""
    titles: list[str] = []
    for source in document.get("standard") or ():
        # A standard loaded from several source files names them all in one entry ("a.txt, b.txt").
        for file in str(source["file"]).split(", "):
            title = _shipped_titles().get(file, file)
            if title not in titles:
                titles.append(title)
    return titles


def _reference(evidence: Mapping[str, Any], site: str, host: str, language: str) -> str:
    iri = str(evidence.get("activity") or "")
    name = evidence.get("activity_name")
    if not (site and iri.startswith(site + "/")):
        # Not Moodle's: the IRI is all that identifies an unnamed activity, so only then is it printed.
        return str(name or iri)
    cmid = next((m[5:] for m in evidence.get("activities") or () if str(m).startswith("cmid:")), None)
    if cmid is None and (found := _CMID.search(iri)):
        cmid = found[1]
    parts = [i18n.translate("rec.ref.activity", language, number=cmid) if cmid else ""]
    if found := _ATTEMPT.search(iri):
        parts.append(i18n.translate("rec.ref.attempt", language, number=found[1]))
    elif found := _POST.search(iri):
        parts.append(i18n.translate("rec.ref.post", language, number=found[1]))
    where = "(Moodle " + ", ".join(p for p in [host, *parts] if p) + ")"
    return f"{name} {where}" if name else where


def evidence_references(ev: Mapping[str, Mapping[str, Any]], document: Mapping[str, Any],
                        language: str) -> dict[str, dict[str, Any]]:
    """``ev`` (statement id → evidence) with each ``activity_name`` made a reference a person can look up:
    the activity's name, the Moodle site and the activity's number there (and the attempt or post)."""
    site = str((document.get("course") or {}).get("wwwroot") or "").rstrip("/")
    host = urlsplit(site).netloc
    return {key: {**e, "activity_name": _reference(e, site, host, language)} for key, e in ev.items()}


def assessors(latest: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """Who made the judgements the record carries (the latest per unit), each once: each declares."""
    names: list[str] = []
    for judgement in latest.values():
        name = str(judgement["assessor"]["name"])
        if name not in names:
            names.append(name)
    return names


def _css_string(text: str) -> str:
    # Escaped for a CSS string inside <style>: quotes, backslashes, line breaks and markup characters.
    escaped = "".join(f"\\{ord(c):x} " if c in '\\"<>&' or ord(c) < 32 else c for c in text)
    return f'"{escaped}"'


def page_css(document: Mapping[str, Any], *, language: str, organisation_name: str,
             snapshot: Mapping[str, Any] | None) -> Markup:
    """The running header (learner, unit) and footer (record, snapshot, "page n of m") of every printed page.
    WeasyPrint fills the unit from the section being read (string-set); Chromium, which has no string(),
    keeps the empty declaration before it: its header is the learner alone."""
    def t(key: str, **params: object) -> str:
        return i18n.translate(key, language, **params)

    learner = _css_string(str(document["learner"]["name"]))
    record = " · ".join(p for p in (organisation_name, t("rec.title"),
                                    t("rec.ref.snapshot", number=snapshot["number"]) if snapshot else "") if p)
    page = f'{_css_string(t("rec.page") + " ")} counter(page) {_css_string(" " + t("rec.of") + " ")} counter(pages)'
    unit = _css_string(t("unit") + " ")
    rules = [
        "@page {",
        f"  @top-left {{ content: {learner}; }}",
        '  @top-right { content: ""; content: string(unit); }',
        f"  @bottom-left {{ content: {_css_string(record)}; }}",
        f"  @bottom-right {{ content: {page}; }}",
        "}",
        ".record-cover { string-set: unit \"\"; }",
        f".portfolio section.unit {{ string-set: unit {unit} attr(data-unit); }}",
        f".record-declarations {{ string-set: unit {_css_string(t('rec.declarations'))}; }}",
    ]
    return Markup("\n".join(rules))  # noqa: S704 - built from escaped CSS strings only
