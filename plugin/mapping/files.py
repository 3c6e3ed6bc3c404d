"""The declarative mapping file (``mappings/*.toml``, format 1; mappings/README.md is its reference).

:func:`load_mapping` checks the whole file and reports every problem with its line before anything is
used: a half-loaded mapping would silently credit or withhold evidence. tomllib keeps no positions, so
:class:`_Positions` scans the text for table headers and keys (good enough for the shapes TOML allows here;
an unlocatable problem points at its table's header).
"""

from __future__ import annotations

import difflib
import json
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from dataclasses import field as default
from typing import Any, cast
from urllib.parse import urlsplit

from plugin.mapping.model import (
    EVIDENCE_KINDS,
    RULE_KINDS,
    THRESHOLD_KINDS,
    CourseMapping,
    MappingEntry,
    Rule,
    RuleKind,
    StandardIndex,
    cmid_of,
    normalize_wwwroot,
)

__all__ = ["FORMAT", "MappingFileError", "Problem", "dump_mapping", "load_mapping"]

FORMAT = 1
KeyPath = tuple[str | int, ...]


@dataclass(frozen=True)
class Problem:
    line: int | None
    field: str  # "course.wwwroot", "activity[2].targets" (activities counted from 1, as a reader counts)
    message: str
    # The problem in a reader's words in any language: plugin.mapping.messages has "mapfile.<key>" for each.
    key: str = ""
    params: Mapping[str, str] = default(default_factory=dict)

    def __str__(self) -> str:
        return f"line {self.line if self.line is not None else '?'}: {self.field or 'file'}: {self.message}"


class MappingFileError(ValueError):
    def __init__(self, problems: Sequence[Problem], *, file_name: str = "<mapping>") -> None:
        self.problems = list(problems)
        self.file_name = file_name
        super().__init__("\n".join(f"{file_name}: {p}" for p in self.problems))


def load_mapping(text: str, *, standard: StandardIndex, file_name: str = "<mapping>") -> CourseMapping:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        found = re.search(r"\(at line (\d+)", str(err))
        line = int(found.group(1)) if found else None
        raise MappingFileError([Problem(line, "", f"not valid TOML: {err}", "toml")], file_name=file_name) from None
    checker = _Checker(_Positions(text), standard)
    mapping = checker.mapping(data)
    if checker.problems or mapping is None:
        raise MappingFileError(sorted(checker.problems, key=_problem_order), file_name=file_name)
    return mapping


_MISSING: Any = object()
_TOP_KEYS = ("format", "course", "activity")
_COURSE_KEYS = ("id", "wwwroot", "title", "version", "learner_evidence")
_ACTIVITY_KEYS = ("cmid", "iri", "title", "evidence", "rule", "targets")
_RULE_KEYS: dict[str, tuple[str, ...]] = {
    **{kind: ("kind", "threshold") for kind in THRESHOLD_KINDS}, "verbs": ("kind", "verbs")
}
_IRI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:[^\s<>\"{}|\\^`]+")
_TYPE_NAMES = {bool: "true or false", str: "a string", int: "an integer", float: "a number", list: "a list",
               dict: "a table"}


class _Checker:
    """Walks the parsed file, collecting every problem rather than stopping at the first."""

    def __init__(self, positions: _Positions, standard: StandardIndex) -> None:
        self.positions = positions
        self.standard = standard
        self.problems: list[Problem] = []
        self._seen: dict[tuple[object, ...], int] = {}  # (activity identity, evidence) → activity index

    def report(self, path: KeyPath, message: str, needle: str | None = None, *, key: str = "", **params: str) -> None:
        self.problems.append(Problem(self.positions.line(path, needle), _field(path), message, key, params))

    def get(self, table: dict[str, Any], path: KeyPath, kind: type, default: Any = _MISSING) -> Any:
        """``table[path[-1]]`` when it has the TOML type ``kind``; otherwise report and return None."""
        value = table.get(str(path[-1]), _MISSING)
        if value is _MISSING:
            if default is _MISSING:
                self.report(path, "missing (required)", key="missing")
                return None
            return default
        ok = isinstance(value, int | float) if kind is float else isinstance(value, kind)
        if not ok or (isinstance(value, bool) and kind is not bool):  # TOML true is no number
            expected = _TYPE_NAMES.get(kind, kind.__name__)
            self.report(path, f"must be {expected}, not {_describe(value)}", key="type", expected=expected,
                        actual=_describe(value))
            return None
        return value

    def unknown(self, table: dict[str, Any], allowed: Sequence[str], path: KeyPath) -> None:
        for key in table:
            if key not in allowed:
                self.report((*path, key), f"unknown key {key!r}; expected: {', '.join(allowed)}", key="unknown_key",
                            name=repr(key))

    def mapping(self, data: dict[str, Any]) -> CourseMapping | None:
        self.unknown(data, _TOP_KEYS, ())
        fmt = data.get("format", _MISSING)
        if fmt is _MISSING:
            self.report(("format",), "missing: start the file with format = 1", key="format_missing")
        elif type(fmt) is not int or fmt != FORMAT:
            self.report(("format",), f"unsupported format {fmt!r}: this version of Samattha reads format {FORMAT}",
                        key="format", expected=str(FORMAT), actual=repr(fmt))
        course = self.course(data.get("course", _MISSING))
        activities = data.get("activity", [])
        if not isinstance(activities, list) or not all(isinstance(a, dict) for a in activities):
            self.report(("activity",), "must be [[activity]] tables", key="activities")
            activities = []
        wwwroot = course.wwwroot if course else ""
        entries = [self.activity(i, table, wwwroot) for i, table in enumerate(activities)]
        if course is None or self.problems:
            return None
        return replace(course, entries=tuple(e for e in entries if e is not None))

    def course(self, table: Any) -> CourseMapping | None:
        path: KeyPath = ("course",)
        if not isinstance(table, dict):
            self.report(path, "missing [course] table" if table is _MISSING else "must be a [course] table",
                        key="course")
            return None
        self.unknown(table, _COURSE_KEYS, path)
        course_id = self.get(table, (*path, "id"), str)
        wwwroot = self.get(table, (*path, "wwwroot"), str)
        title = self.get(table, (*path, "title"), str, default="")
        version = self.get(table, (*path, "version"), int, default=1)
        learner_evidence = self.get(table, (*path, "learner_evidence"), bool, default=True)
        if course_id == "":
            self.report((*path, "id"), "must not be empty: Moodle's course id, as LTI sends it in context.id",
                        key="course_id")
        if wwwroot is not None and not _is_site(wwwroot):
            self.report((*path, "wwwroot"), f"not a Moodle site address (https://host[/path]): {wwwroot!r}",
                        key="wwwroot")
        if version is not None and version < 1:
            self.report((*path, "version"), "must be 1 or more", key="version")
        if not course_id or wwwroot is None or title is None or version is None or learner_evidence is None:
            return None
        return CourseMapping(course_id=course_id, wwwroot=normalize_wwwroot(wwwroot), entries=(), version=version,
                             title=title, learner_evidence=learner_evidence)

    def activity(self, index: int, table: dict[str, Any], wwwroot: str) -> MappingEntry | None:
        path: KeyPath = ("activity", index)
        self.unknown(table, _ACTIVITY_KEYS, path)
        iri, cmid = self.identity(path, table)
        title = self.get(table, (*path, "title"), str, default="")
        evidence = self.get(table, (*path, "evidence"), str)
        if evidence is not None and evidence not in EVIDENCE_KINDS:
            self.report((*path, "evidence"), f"must be one of {', '.join(EVIDENCE_KINDS)}, not {evidence!r}",
                        key="evidence")
            evidence = None
        rule = self.rule((*path, "rule"), table.get("rule", _MISSING))
        targets = self.targets((*path, "targets"), table, evidence)
        if iri is None and cmid is None:
            return None
        if evidence is not None:
            self.duplicate(path, iri, cmid, evidence, wwwroot)
        if title is None or evidence is None or rule is None or targets is None:
            return None
        return MappingEntry(activity=iri, cmid=cmid, targets=targets, evidence=evidence, rule=rule, title=title)

    def identity(self, path: KeyPath, table: dict[str, Any]) -> tuple[str | None, int | None]:
        if ("iri" in table) == ("cmid" in table):
            both = "has both iri and cmid: keep one" if "iri" in table else 'needs iri = "…" or cmid = <number>'
            self.report(path, both, key="one_activity")
            return None, None
        if "cmid" in table:
            cmid = self.get(table, (*path, "cmid"), int)
            if cmid is not None and cmid < 1:
                self.report((*path, "cmid"), "must be a course-module id (1 or more)", key="cmid")
                return None, None
            return None, cmid
        iri = self.get(table, (*path, "iri"), str)
        if iri is not None and not _is_iri(iri):
            self.report((*path, "iri"), f"not an absolute IRI: {iri!r}", key="iri")
            return None, None
        return iri, None

    def duplicate(self, path: KeyPath, iri: str | None, cmid: int | None, evidence: str, wwwroot: str) -> None:
        # One entry per activity and evidence kind: a second would make its rule ambiguous. An IRI spelling
        # of a cmid ({wwwroot}/mod/quiz/view.php?id=6) is the same activity as cmid = 6.
        if iri is not None and "#" not in iri and wwwroot:
            cmid = cmid_of(iri, wwwroot) or cmid
        key = ("cmid", cmid, evidence) if cmid is not None else ("iri", iri, evidence)
        first = self._seen.setdefault(key, int(path[1]))
        if first != path[1]:
            line = self.positions.line(("activity", first))
            self.report(
                path, f"duplicate: activity[{first + 1}] (line {line}) maps the same activity for {evidence} evidence",
                key="duplicate", evidence=evidence, first=str(first + 1))

    def rule(self, path: KeyPath, table: Any) -> Rule | None:
        if not isinstance(table, dict):
            absent = table is _MISSING
            self.report(path, ("missing: " if absent else "must be a table, ") + 'e.g. rule = { kind = "submitted" }',
                        key="rule")
            return None
        kind = self.get(table, (*path, "kind"), str)
        if kind is None or kind not in RULE_KINDS:
            if kind is not None:
                self.report((*path, "kind"), f"unknown kind {kind!r}; expected: {', '.join(RULE_KINDS)}",
                            key="rule_kind")
            return None
        self.unknown(table, _RULE_KEYS.get(kind, ("kind",)), path)
        threshold = self.threshold(path, table) if kind in THRESHOLD_KINDS else None
        verbs = self.verbs(path, table) if kind == "verbs" else ()
        if (kind in THRESHOLD_KINDS and threshold is None) or verbs is None:
            return None
        return Rule(cast(RuleKind, kind), threshold, verbs)

    def threshold(self, path: KeyPath, table: dict[str, Any]) -> float | None:
        value = self.get(table, (*path, "threshold"), float)
        if value is not None and not 0 <= value <= 1:
            self.report((*path, "threshold"), f"must be a fraction from 0 to 1 (0.8 = 80 %), not {value!r}",
                        key="threshold")
            return None
        return None if value is None else float(value)

    def verbs(self, path: KeyPath, table: dict[str, Any]) -> tuple[str, ...] | None:
        value = self.get(table, (*path, "verbs"), list)
        if value is not None and not value:
            self.report((*path, "verbs"), "list at least one verb IRI", key="verbs")
        bad = [v for v in value or [] if not isinstance(v, str) or not _is_iri(v)]
        for verb in bad:
            self.report((*path, "verbs"), f"not a verb IRI: {verb!r}", needle=str(verb), key="verb", verb=repr(verb))
        return tuple(value) if value and not bad else None

    def targets(self, path: KeyPath, table: dict[str, Any], evidence: str | None) -> tuple[str, ...] | None:
        value = self.get(table, path, list)
        if value is not None and not value:
            self.report(path, "list at least one code of a unit, element, criterion or evidence item", key="targets")
        problems = 0
        for position, code in enumerate(value or []):
            found = self.target_problem(code, evidence, value[:position])
            if found:
                message, key, params = found
                self.report(path, message, needle=f'"{code}"' if isinstance(code, str) else None, key=key, **params)
                problems += 1
        return tuple(value) if value and not problems else None

    def target_problem(self, code: object, evidence: str | None,
                       earlier: list[object]) -> tuple[str, str, dict[str, str]] | None:
        """(message, key, its values) of the problem with one code, if any."""
        if not isinstance(code, str):
            return f"codes are strings, not {_describe(code)}", "code_type", {}
        kind = self.standard.kind_of(code)
        if kind is None:
            near = difflib.get_close_matches(code, self._codes(), n=1)
            if near:
                return (f"unknown code {code!r} (did you mean {near[0]!r}?)", "unknown_code_near",
                        {"code": code, "near": near[0]})
            return f"unknown code {code!r}", "unknown_code", {"code": code}
        if code in earlier:
            return f"{code!r} is listed twice", "twice", {"code": code}
        other = {"knowledge": "performance_evidence", "performance": "knowledge_evidence"}.get(evidence or "")
        if kind == other:
            return (f"{code!r} is a {kind.replace('_', '-')} item, but this activity gives {evidence} evidence", "kind",
                    {"code": code, "item": kind.partition("_")[0], "evidence": str(evidence)})
        return None

    def _codes(self) -> list[str]:
        s = self.standard
        return [*s.units, *s.elements, *s.criteria, *s.evidence_items]


def _field(path: KeyPath) -> str:
    out = ""
    for part in path:
        out += f"[{part + 1}]" if isinstance(part, int) else ("." if out else "") + part
    return out


def _describe(value: object) -> str:
    if isinstance(value, bool):
        return "true/false"
    return _TYPE_NAMES.get(type(value), f"a {type(value).__name__}")


def _is_site(url: str) -> bool:
    parts = urlsplit(url)
    return (
        parts.scheme in ("http", "https")
        and bool(parts.netloc)
        and not (parts.query or parts.fragment)
        and (_IRI.fullmatch(url) is not None)
    )


def _is_iri(value: str) -> bool:
    if _IRI.fullmatch(value) is None:
        return False
    parts = urlsplit(value)
    return parts.scheme not in ("http", "https") or bool(parts.netloc)


def _problem_order(problem: Problem) -> tuple[bool, int, str]:
    return (problem.line is None, problem.line or 0, problem.field)


class _Positions:
    """Line of each table header and key, by path: ("course", "id"), ("activity", 0, "rule", "kind")."""

    _HEADER = re.compile(r"\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(?:#.*)?")
    _KEY_PART = r"""(?:[A-Za-z0-9_-]+|"[^"\\]*"|'[^']*')"""
    _KEY = re.compile(rf"\s*({_KEY_PART}(?:\s*\.\s*{_KEY_PART})*)\s*=")

    def __init__(self, text: str) -> None:
        self.lines = text.split("\n")  # as tomllib counts lines (splitlines would also split at U+2028)
        self.at: dict[KeyPath, int] = {}
        self._starts: list[int] = []  # every header/key line, to bound a key's (multi-line) value
        self._scan()

    def _scan(self) -> None:
        table: KeyPath = ()
        counts: dict[str, int] = {}
        in_string = False
        for number, line in enumerate(self.lines, start=1):
            was_in_string = in_string
            in_string ^= (line.count('"""') + line.count("'''")) % 2 == 1
            if was_in_string:
                continue
            header = self._HEADER.fullmatch(line)
            if header:
                table = self._table(header.group(1) == "[[", _split(header.group(2)), counts)
                self._mark(table, number)
            elif key := self._KEY.match(line):
                self._mark(table + tuple(_split(key.group(1))), number)

    @staticmethod
    def _table(is_array: bool, names: list[str], counts: dict[str, int]) -> KeyPath:
        # Only top-level arrays of tables occur in this format: [[activity]] then [activity.rule].
        if is_array and len(names) == 1:
            counts[names[0]] = counts.get(names[0], 0) + 1
            return (names[0], counts[names[0]] - 1)
        if names and names[0] in counts:
            return (names[0], counts[names[0]] - 1, *names[1:])
        return tuple(names)

    def _mark(self, path: KeyPath, number: int) -> None:
        self.at.setdefault(path, number)
        self._starts.append(number)

    def line(self, path: KeyPath, needle: str | None = None) -> int | None:
        """The line of ``path`` (or of its nearest located ancestor); with ``needle``, the first line of
        that key's value containing it — for one bad item in a multi-line list."""
        for end in range(len(path), -1, -1):
            found = self.at.get(path[:end])
            if found is not None:
                return self._find(found, needle) if needle and end == len(path) else found
        return None

    def _find(self, start: int, needle: str) -> int:
        stop = next((n for n in self._starts if n > start), len(self.lines) + 1)
        for number in range(start, stop):
            if needle in self.lines[number - 1]:
                return number
        return start


def _split(dotted: str) -> list[str]:
    parts = re.findall(r"""[A-Za-z0-9_-]+|"[^"\\]*"|'[^']*'""", dotted)
    return [p[1:-1] if p[:1] in "\"'" else p for p in parts]


def dump_mapping(mapping: CourseMapping) -> str:
    """Write a mapping in format 1; ``load_mapping(dump_mapping(m)) == m``."""
    lines = [
        "# Samattha mapping file, format 1 (see mappings/README.md)",
        f"format = {FORMAT}",
        "",
        "[course]",
        f"id = {_string(mapping.course_id)}",
        f"wwwroot = {_string(mapping.wwwroot)}",
    ]
    if mapping.title:
        lines.append(f"title = {_string(mapping.title)}")
    lines.append(f"version = {mapping.version}")
    if not mapping.learner_evidence:  # written only when off: files from before the key read back unchanged
        lines.append("learner_evidence = false")
    for entry in mapping.entries:
        lines += ["", *_dump_entry(entry)]
    return "\n".join(lines) + "\n"


def _dump_entry(entry: MappingEntry) -> list[str]:
    out = ["[[activity]]"]
    out.append(f"cmid = {entry.cmid}" if entry.activity is None else f"iri = {_string(entry.activity)}")
    if entry.title:
        out.append(f"title = {_string(entry.title)}")
    out.append(f"evidence = {_string(entry.evidence)}")
    rule = [f"kind = {_string(entry.rule.kind)}"]
    if entry.rule.threshold is not None:
        rule.append(f"threshold = {entry.rule.threshold!r}")
    if entry.rule.verbs:
        rule.append(f"verbs = [{', '.join(_string(v) for v in entry.rule.verbs)}]")
    out.append(f"rule = {{ {', '.join(rule)} }}")
    targets = ", ".join(_string(t) for t in entry.targets)
    if len(targets) <= 100:
        out.append(f"targets = [{targets}]")
    else:  # one code per line keeps long lists reviewable in a diff
        out += ["targets = [", *(f"    {_string(t)}," for t in entry.targets), "]"]
    return out


def _string(value: str) -> str:
    # A JSON string is a TOML basic string (same escapes) except that TOML forbids a raw DEL.
    return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")
