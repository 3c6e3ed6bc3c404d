"""The editor's form: a list of *slots*, one per activity and evidence kind (the mapping file's ``[[activity]]``
tables), kept as typed so nothing is lost; a slot without targets maps nothing. Validation is the mapping
file's own (files.load_mapping), its problems put back on the slot they came from, so the editor and
``samattha mappings load`` agree."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from werkzeug.datastructures import MultiDict

from plugin.launch import i18n
from plugin.mapping.files import MappingFileError, Problem, dump_mapping, load_mapping
from plugin.mapping.model import (
    EVIDENCE_KINDS,
    RULE_KINDS,
    THRESHOLD_KINDS,
    CourseMapping,
    MappingEntry,
    Rule,
    RuleKind,
    StandardIndex,
    normalize_wwwroot,
)
from plugin.models import Course, CourseActivity

__all__ = [
    "COMMON_VERBS", "MODULE_KINDS", "MODULE_OUTCOMES", "ActivityRow", "RuleChoice", "RuleGroup", "Slot",
    "activity_rows", "build_mapping", "default_rule", "problem_words", "rule_groups", "says", "slots_from_form",
    "slots_of",
]

# The verbs moodle-logstore_xapi sends most (EVENTS.md in the project's shared fixtures), offered as ticks.
COMMON_VERBS: tuple[tuple[str, str], ...] = (
    ("http://id.tincanapi.com/verb/viewed", "viewed"),
    ("http://adlnet.gov/expapi/verbs/completed", "completed"),
    ("http://adlnet.gov/expapi/verbs/answered", "answered"),
    ("https://w3id.org/xapi/tla/verbs/scored", "scored"),
    ("http://activitystrea.ms/schema/1.0/submit", "submit"),
    ("http://activitystrea.ms/schema/1.0/start", "start"),
    ("http://activitystrea.ms/create", "create"),
    ("http://id.tincanapi.com/verb/replied", "replied"),
    ("https://w3id.org/xapi/acrossx/verbs/edited", "edited"),
    ("https://w3id.org/xapi/tla/verbs/achieved", "achieved"),
)
# What moodle-logstore_xapi 5.0.1 reports for each Moodle module (EVENTS.md), as the editor offers it first;
# the first is a new activity's rule. Samattha's own LTI links and content packages report their own results.
MODULE_OUTCOMES: dict[str, tuple[RuleKind, ...]] = {
    "assign": ("submitted", "graded"),
    "quiz": ("finished", "score"),
    "lesson": ("finished", "score"),
    "scorm": ("finished", "score"),
    **{module: ("viewed",) for module in ("page", "url", "resource", "book", "h5pactivity", "folder", "imscp")},
    "forum": ("posted",),
    **{module: ("submitted",) for module in ("feedback", "questionnaire", "survey")},
    **{module: ("completed", "passed", "score") for module in ("lti", "package")},
}
MODULE_KINDS = frozenset(MODULE_OUTCOMES)  # the kinds the page names in words (map.kind.*)
# Every Moodle module sends a view, and its completion when completion tracking is on.
_ANY_ACTIVITY: tuple[RuleKind, ...] = ("activity-completion", "viewed")
_SLOT = re.compile(r"slot-(\d{1,4})-activity")
_FIELDS = {"targets": "map.targets", "evidence": "map.evidence", "rule": "map.rule", "rule.kind": "map.rule",
           "rule.threshold": "map.threshold", "rule.verbs": "map.verbs", "iri": "map.activity",
           "cmid": "map.activity", "title": "map.activity"}
# A mapping-file field → the form field showing it (ids slot-<n>-<field> in editor.html).
_FORM_FIELDS = {"targets": "targets", "evidence": "evidence", "rule": "rule", "rule.kind": "rule",
                "rule.threshold": "threshold", "rule.verbs": "verbs-other"}


@dataclass
class Slot:
    """One ``[[activity]]`` of the mapping as the form shows it: text fields as typed, so nothing is lost."""

    index: int
    key: str  # "cmid:<n>" or "iri:<iri>"
    title: str = ""
    evidence: str = "knowledge"
    rule: str = "completed"
    threshold: str = ""  # percent, as typed
    verbs: list[str] = field(default_factory=list)
    verbs_other: str = ""
    targets: str = ""  # codes separated by spaces or commas
    errors: list[str] = field(default_factory=list)
    error_fields: list[str] = field(default_factory=list)  # per error, the form field it is about ("" = the slot)
    technical: list[str] = field(default_factory=list)  # what the mapping file's check said, for "details"

    def fail(self, field_name: str, message: str, technical: str = "") -> None:
        self.errors.append(message)
        self.error_fields.append(field_name)
        if technical:
            self.technical.append(technical)

    @property
    def error_links(self) -> list[tuple[str, str]]:
        """(message, anchor): the error summary links each error to its field (GOV.UK error summary)."""
        return [(message, f"slot-{self.index}-{name}" if name else f"slot-{self.index}")
                for message, name in zip(self.errors, self.error_fields, strict=True)]

    @property
    def codes(self) -> list[str]:
        return [code for code in re.split(r"[\s,;]+", self.targets) if code]


@dataclass(frozen=True)
class RuleChoice:
    kind: str
    label: str
    hint: str


@dataclass(frozen=True)
class RuleGroup:
    label: str
    choices: tuple[RuleChoice, ...]


@dataclass
class ActivityRow:
    key: str
    name: str
    module: str | None = None
    section: int | None = None
    source: str = ""
    slots: list[Slot] = field(default_factory=list)

    @property
    def rule_groups(self) -> list[RuleGroup]:
        return rule_groups(self.module)

    @property
    def kind(self) -> str:
        """What kind of activity it is, in the page's language ("" when unknown)."""
        return i18n.translate(f"map.kind.{self.module}") if self.module in MODULE_KINDS else ""


def says(slot: Slot) -> str:
    """The slot's rule as a sentence part: "graded at least 80 %", "viewed"."""
    short = i18n.translate(f"map.short.{slot.rule}") if slot.rule in RULE_KINDS else slot.rule
    if slot.rule in THRESHOLD_KINDS and slot.threshold:
        return i18n.translate("map.says.threshold", rule=short, threshold=slot.threshold)
    return short


def problem_words(problem: Problem) -> str:
    """A mapping problem in the page's language, from its key (plugin.mapping.messages)."""
    if not problem.key:
        return problem.message
    params = dict(problem.params)
    for name in ("evidence", "item"):
        if params.get(name) in EVIDENCE_KINDS:
            params[name] = i18n.translate(f"mapfile.kind.{params[name]}")
    return i18n.translate(f"mapfile.{problem.key}", **params)


def default_rule(module: str | None) -> RuleKind:
    """A new activity's rule: what Moodle reports when a learner has done that kind of activity. An activity
    of unknown kind keeps the generic "completed"; another Moodle module, its activity completion."""
    if module is None:
        return "completed"
    return MODULE_OUTCOMES.get(module, _ANY_ACTIVITY)[0]


def rule_groups(module: str | None) -> list[RuleGroup]:
    """The rule choices for an activity of ``module``, in the page's language: the outcomes its module reports,
    those of any Moodle activity, then every other kind (so a rule a mapping file chose is always shown)."""
    own = MODULE_OUTCOMES.get(module or "", ())
    common = tuple(kind for kind in _ANY_ACTIVITY if kind not in own) if module not in ("lti", "package") else ()
    rest = tuple(kind for kind in RULE_KINDS if kind not in own and kind not in common)
    groups = []
    if own:
        name = i18n.translate(f"map.module.{module}")
        groups.append(RuleGroup(i18n.translate("map.group.module", module=name),
                                tuple(_choice(kind, module) for kind in own)))
    if common:
        groups.append(RuleGroup(i18n.translate("map.group.any"), tuple(_choice(kind, None) for kind in common)))
    groups.append(RuleGroup(i18n.translate("map.group.advanced"), tuple(_choice(kind, None) for kind in rest)))
    return groups


def _choice(kind: str, module: str | None) -> RuleChoice:
    return RuleChoice(kind, _specific(f"map.outcome.{module}.{kind}", f"map.rule.{kind}"),
                      _specific(f"map.hint.{module}.{kind}", f"map.hint.{kind}"))


def _specific(key: str, general: str) -> str:
    """The module's own wording when there is one (i18n.translate answers an unknown key with the key)."""
    text = i18n.translate(key)
    return i18n.translate(general) if text == key else text


def _key(entry: MappingEntry) -> str:
    return f"cmid:{entry.cmid}" if entry.activity is None else f"iri:{entry.activity}"


def _row_key(activity: CourseActivity) -> str:
    # A Moodle course module is mapped by its cmid, which holds whatever the site's address becomes.
    return f"cmid:{activity.cmid}" if activity.cmid is not None else f"iri:{activity.iri}"


def _percent(fraction: float) -> str:
    return f"{round(fraction * 100, 6):g}"


def slots_of(mapping: CourseMapping | None) -> list[Slot]:
    common = {iri for iri, _ in COMMON_VERBS}
    return [Slot(i, _key(e), e.title, e.evidence, e.rule.kind,
                 "" if e.rule.threshold is None else _percent(e.rule.threshold),
                 [v for v in e.rule.verbs if v in common], "\n".join(v for v in e.rule.verbs if v not in common),
                 " ".join(e.targets)) for i, e in enumerate(mapping.entries if mapping else ())]


def slots_from_form(form: MultiDict[str, str]) -> list[Slot]:
    indexes = sorted(int(found.group(1)) for name in form if (found := _SLOT.fullmatch(name)))
    return [Slot(i, form.get(f"slot-{i}-activity", ""), form.get(f"slot-{i}-title", ""),
                 form.get(f"slot-{i}-evidence", ""), form.get(f"slot-{i}-rule", ""),
                 form.get(f"slot-{i}-threshold", "").strip(), form.getlist(f"slot-{i}-verbs"),
                 form.get(f"slot-{i}-verbs-other", ""), form.get(f"slot-{i}-targets", "")) for i in indexes]


def build_mapping(course: Course, slots: list[Slot], standard: StandardIndex,
                  current: CourseMapping | None) -> tuple[CourseMapping | None, list[str]]:
    """The mapping the slots describe, as a change of ``current`` (the mapping the form was shown from); or None,
    each problem recorded on its slot and the course's own problems (none are expected: the course comes from a
    verified launch) returned."""
    shown: dict[tuple[str, str], MappingEntry] = {(_key(e), e.evidence): e for e in current.entries} if current else {}
    entries: list[tuple[Slot, MappingEntry]] = []
    for slot in slots:
        entry = _entry(slot, shown.get((slot.key, slot.evidence)))
        if entry is not None:
            entries.append((slot, entry))
    # The title is kept: a mapping file may have set it, and the form does not show it. Learner evidence has
    # its own switch on the page (editor.learner_evidence).
    title = current.title if current else course.title or ""
    mapping = CourseMapping(course_id=course.context_id, wwwroot=normalize_wwwroot(course.issuer),
                            entries=tuple(entry for _, entry in entries), title=title,
                            learner_evidence=current.learner_evidence if current else True)
    general: list[str] = []
    try:  # the mapping file's checks: known codes, kinds that fit the evidence, one slot per activity and kind
        checked = load_mapping(dump_mapping(mapping), standard=standard, file_name="editor")
    except MappingFileError as error:
        for problem in error.problems:
            found = re.fullmatch(r"activity\[(\d+)\]\.?(.*)", problem.field)
            if found is None:
                general.append(problem_words(problem))
                continue
            where = found.group(2)
            label = i18n.translate(_FIELDS.get(where, "map.activity"))
            entries[int(found.group(1)) - 1][0].fail(_FORM_FIELDS.get(where, ""), f"{label}: {problem_words(problem)}",
                                                     str(problem))
        return None, general
    return (None if any(slot.errors for slot in slots) else checked), general


def _entry(slot: Slot, shown: MappingEntry | None) -> MappingEntry | None:
    """The slot's entry (None when it maps nothing); problems of the form itself go on the slot. What the form
    cannot show exactly keeps ``shown``'s value (the entry the slot was shown from) unless the user changed it."""
    if not slot.codes:
        return None
    threshold: float | None = None
    if slot.rule not in RULE_KINDS:
        slot.fail("rule", i18n.translate("map.bad_rule"))
    elif slot.rule in THRESHOLD_KINDS:
        threshold = _threshold(slot, shown)
    verbs = _in_shown_order((*slot.verbs, *slot.verbs_other.split()), shown) if slot.rule == "verbs" else ()
    if slot.rule == "verbs" and not verbs:
        slot.fail("verbs-other", i18n.translate("map.no_verbs"))
    if slot.errors:
        return None
    kind, _, value = slot.key.partition(":")
    cmid = int(value) if kind == "cmid" and value.isascii() and value.isdigit() else None
    if cmid is None and kind != "iri":
        slot.fail("", f"{i18n.translate('map.activity')}: {slot.key!r}")
        return None
    rule = Rule(slot.rule, threshold, verbs)  # type: ignore[arg-type]
    # An unknown evidence kind is passed on for load_mapping to name, with the values it accepts.
    return MappingEntry(activity=value if cmid is None else None, cmid=cmid, targets=tuple(slot.codes),
                        evidence=slot.evidence, rule=rule, title=slot.title)  # type: ignore[arg-type]


def _threshold(slot: Slot, shown: MappingEntry | None) -> float | None:
    if shown is not None and shown.rule.threshold is not None and slot.threshold == _percent(shown.rule.threshold):
        return shown.rule.threshold  # the form shows a percent to 6 decimals: ⅔ must not become 0.66666667
    if not slot.threshold:
        slot.fail("threshold", i18n.translate("map.no_threshold"))
        return None
    try:
        percent = Decimal(slot.threshold.replace(",", ".").rstrip("% "))
        if not percent.is_finite() or not 0 <= percent <= 100:
            raise InvalidOperation
        return float(percent / 100)
    except InvalidOperation:
        slot.fail("threshold", i18n.translate("map.bad_threshold", value=slot.threshold))
        return None


def _in_shown_order(verbs: tuple[str, ...], shown: MappingEntry | None) -> tuple[str, ...]:
    """The chosen verbs, those the mapping already listed first in its order, then the newly chosen ones.

    To the rule the verbs are a set (a statement counts when its verb is any of them), but the mapping is a
    file people read and diff, and its order is theirs: the form posts its ticks in its own order, and a
    save must not rewrite a list nobody touched."""
    chosen = dict.fromkeys(verbs)
    kept = [verb for verb in (shown.rule.verbs if shown else ()) if verb in chosen]
    return (*kept, *(verb for verb in chosen if verb not in kept))


def _untitled(activity: CourseActivity) -> str:
    """A name for an activity no source named (the learning records seldom carry one): its kind and number."""
    if activity.cmid is None:
        return activity.iri
    kind = i18n.translate(f"map.kind.{activity.module}") if activity.module in MODULE_KINDS else \
        i18n.translate("map.activity")
    return i18n.translate("map.untitled", kind=kind, number=activity.cmid)


def activity_rows(known: list[CourseActivity], slots: list[Slot]) -> list[ActivityRow]:
    """The course's activities in course order, each with its slots and a blank one to map the other kind;
    activities only the mapping names (by IRI or cmid) follow, so saving keeps them."""
    rows: dict[str, ActivityRow] = {}
    for a in known:  # in course order; a module also seen under another address keeps its first place
        rows.setdefault(_row_key(a), ActivityRow(_row_key(a), a.name or _untitled(a), a.module, a.section, a.source))
    for slot in slots:
        row = rows.setdefault(slot.key, ActivityRow(slot.key, slot.title or slot.key.partition(":")[2]))
        row.slots.append(slot)
    next_index = max((slot.index for slot in slots), default=-1) + 1
    for row in rows.values():
        if len(row.slots) < len(EVIDENCE_KINDS):
            used = {slot.evidence for slot in row.slots}
            kind = next(k for k in EVIDENCE_KINDS if k not in used) if used <= set(EVIDENCE_KINDS) else "knowledge"
            title = row.slots[0].title if row.slots else row.name
            row.slots.append(Slot(next_index, row.key, title, kind, default_rule(row.module)))
            next_index += 1
    return list(rows.values())
