"""What changed from one mapping revision to the next, in words, in Thai or English.

A revision stores its summary in English when it is saved (the command line prints it); the history page words
every revision again in the reader's language (store.revision_summary), so a Thai page shows Thai summaries."""

from __future__ import annotations

from plugin.launch import i18n
from plugin.mapping.model import CourseMapping, MappingEntry, Rule

__all__ = ["back_to", "describe_change"]

i18n.register_messages({
    "map.change.created": ("Created with {count} activities", "สร้างการจับคู่ {count} กิจกรรม"),
    "map.change.added": ("Added {activity}: {targets}", "เพิ่ม {activity}: {targets}"),
    "map.change.removed": ("Removed {activity}", "นำ {activity} ออก"),
    "map.change.changed": ("Changed {activity}: {details}", "แก้ไข {activity}: {details}"),
    "map.change.reordered": ("Reordered the activities", "เรียงลำดับกิจกรรมใหม่"),
    "map.change.course": ("Changed the course details", "แก้ไขรายละเอียดรายวิชา"),
    "map.change.learner_evidence.on": ("Learners may add evidence of their own again",
                                       "เปิดให้ผู้เรียนเพิ่มหลักฐานของตนเองอีกครั้ง"),
    "map.change.learner_evidence.off": ("Switched off evidence learners add themselves",
                                        "ปิดการรับหลักฐานที่ผู้เรียนเพิ่มเอง"),
    "map.change.none": ("No change", "ไม่มีการเปลี่ยนแปลง"),
    "map.change.undo": ("Undo: back to revision {number}", "ย้อนการแก้ไข: กลับไปเป็นฉบับที่ {number}"),
    "map.change.restore": ("Restore: back to revision {number}", "นำฉบับเดิมกลับมา: กลับไปเป็นฉบับที่ {number}"),
    "map.change.knowledge": ("knowledge", "หลักฐานความรู้"),
    "map.change.performance": ("performance", "หลักฐานการปฏิบัติงาน"),
    "map.change.rule": ("rule {old} → {new}", "เงื่อนไข {old} → {new}"),
    "map.change.rule.completed": ("completed", "ทำกิจกรรมเสร็จ"),
    "map.change.rule.passed": ("passed", "ผ่าน"),
    "map.change.rule.any": ("anything in the activity", "ทำสิ่งใดก็ได้ในกิจกรรม"),
    "map.change.rule.score": ("score ≥ {threshold:g}", "คะแนน ≥ {threshold:g}"),
    "map.change.rule.verbs": ("actions {verbs}", "การกระทำ {verbs}"),
    "map.change.rule.submitted": ("submitted", "ส่งแล้ว"),
    "map.change.rule.graded": ("graded ≥ {threshold:g}", "ให้คะแนนแล้ว ≥ {threshold:g}"),
    "map.change.rule.finished": ("finished", "ทำจนจบ"),
    "map.change.rule.viewed": ("viewed", "เปิดดูแล้ว"),
    "map.change.rule.posted": ("posted", "โพสต์แล้ว"),
    "map.change.rule.activity-completion": ("activity completion", "กิจกรรมเสร็จสมบูรณ์"),
    "map.change.title": ("title", "ชื่อกิจกรรม"),
    "map.change.order": ("order of targets", "ลำดับเกณฑ์"),
})


def describe_change(old: CourseMapping | None, new: CourseMapping, language: str = i18n.ENGLISH) -> str:
    """What changed, in a line per activity, for the history list. An activity may be listed once per
    evidence kind, so entries are paired by (activity, evidence kind)."""
    def say(key: str, **params: object) -> str:
        return i18n.translate(f"map.change.{key}", language, **params)

    if old is None:
        return say("created", count=len(new.entries))
    before = {(entry.key, entry.evidence): entry for entry in old.entries}
    after = {(entry.key, entry.evidence): entry for entry in new.entries}
    lines = [say("added", activity=_name(after[key], language), targets=", ".join(after[key].targets))
             for key in after if key not in before]
    lines += [say("removed", activity=_name(before[key], language)) for key in before if key not in after]
    for key in after:
        if key in before and after[key] != before[key]:
            lines.append(say("changed", activity=_name(after[key], language),
                             details=_difference(before[key], after[key], language)))
    if not lines and list(before) != list(after):
        lines.append(say("reordered"))
    if (old.title, old.wwwroot) != (new.title, new.wwwroot):
        lines.append(say("course"))
    if old.learner_evidence != new.learner_evidence:
        lines.append(say(f"learner_evidence.{'on' if new.learner_evidence else 'off'}"))
    return "; ".join(lines) or say("none")


def back_to(source: str, number: int, language: str = i18n.ENGLISH) -> str:
    """The summary of an undo or a restore (``source``) that brought back revision ``number``."""
    return i18n.translate("map.change.undo" if source == "undo" else "map.change.restore", language, number=number)


def _difference(old: MappingEntry, new: MappingEntry, language: str) -> str:
    parts: list[str] = []
    added = [code for code in new.targets if code not in old.targets]
    removed = [code for code in old.targets if code not in new.targets]
    if added:
        parts.append("+" + " +".join(added))
    if removed:
        parts.append("−" + " −".join(removed))
    if old.rule != new.rule:
        parts.append(i18n.translate("map.change.rule", language, old=_rule_text(old.rule, language),
                                    new=_rule_text(new.rule, language)))
    if old.title != new.title:
        parts.append(i18n.translate("map.change.title", language))
    return ", ".join(parts) or i18n.translate("map.change.order", language)


def _rule_text(rule: Rule, language: str) -> str:
    if rule.threshold is not None:  # score, graded
        return i18n.translate(f"map.change.rule.{rule.kind}", language, threshold=rule.threshold)
    if rule.kind == "verbs":
        verbs = ", ".join(verb.rsplit("/", 1)[-1] for verb in rule.verbs)
        return i18n.translate("map.change.rule.verbs", language, verbs=verbs)
    return i18n.translate(f"map.change.rule.{rule.kind}", language)


def _name(entry: MappingEntry, language: str) -> str:
    return f"{entry.title or entry.key} ({i18n.translate(f'map.change.{entry.evidence}', language)})"
