"""Mapping revisions in the real database: append-only, no-op on the same text, undo walks back, restore."""

from __future__ import annotations

import copy
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from plugin.mapping.changes import describe_change
from plugin.mapping.files import load_mapping
from plugin.mapping.model import CourseMapping, MappingEntry, Rule, StandardIndex
from plugin.mapping.store import (
    MappingMismatch,
    current_mapping,
    restore,
    revision_count,
    revision_summaries,
    revisions,
    save_mapping,
    standard_index,
    undo,
)
from plugin.models import Course, MappingRevision, User
from plugin.standards import catalog

EXAMPLE = Path(__file__).resolve().parent.parent / "mappings" / "example-dg-opsr-023.toml"
T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def index(session: Session, standard: object) -> StandardIndex:
    return standard_index(session)


@pytest.fixture
def course(session: Session) -> Course:
    row = Course(issuer="http://127.0.0.1:8081", context_id="2", title="LTI Lab Course", updated_at=T0)
    session.add(row)
    session.commit()
    return row


@pytest.fixture
def teacher(session: Session) -> User:
    user = User(issuer="http://127.0.0.1:8081", subject="4", name="Tina Teacher", created_at=T0)
    session.add(user)
    session.commit()
    return user


def example(index: StandardIndex) -> CourseMapping:
    return load_mapping(EXAMPLE.read_text(encoding="utf-8"), standard=index)


def with_threshold(mapping: CourseMapping, threshold: float) -> CourseMapping:
    first = replace(mapping.entries[0], rule=Rule("score", threshold=threshold))
    return replace(mapping, entries=(first, *mapping.entries[1:]))


def test_save_appends_numbered_revisions_and_same_text_adds_nothing(
        session: Session, index: StandardIndex, course: Course, teacher: User) -> None:
    first = save_mapping(session, course, example(index), index, author=teacher, now=T0, source="file")
    again = save_mapping(session, course, example(index), index, author=teacher, now=T0 + timedelta(1),
                         source="editor")
    session.commit()
    assert (first.number, again.id) == (1, first.id)
    assert revision_count(session, course) == 1
    second = save_mapping(session, course, with_threshold(example(index), 0.5), index, author=None,
                          now=T0 + timedelta(2), source="editor")
    session.commit()
    assert second.number == 2 and second.author_id is None
    assert "score ≥ 0.8 → score ≥ 0.5" in second.summary
    loaded = current_mapping(session, course, index)
    assert loaded is not None and loaded.version == 2  # the version is the revision number
    assert loaded.entries[0].rule.threshold == 0.5
    assert [r.number for r in revisions(session, course)] == [2, 1]
    assert first.text.count("version = 1") == 1 and "version = 2" in second.text


def test_a_revision_after_one_the_standard_no_longer_reads_keeps_its_stored_words(
        session: Session, index: StandardIndex, course: Course, teacher: User) -> None:
    """Worded against nothing, the second revision of a course would read "created"."""
    first = save_mapping(session, course, example(index), index, author=teacher, now=T0, source="file")
    second = save_mapping(session, course, with_threshold(example(index), 0.5), index, author=teacher,
                          now=T0 + timedelta(1), source="editor")
    session.commit()
    first.text = first.text.replace("DS601", "DS699")  # as if the standard had since lost DS601
    assert revision_summaries([second, first], index, "en")[second.number] == second.summary
    assert "score ≥ 0.8 → score ≥ 0.5" in second.summary
    session.rollback()


def test_a_mapping_for_another_course_is_refused(session: Session, index: StandardIndex, course: Course) -> None:
    with pytest.raises(MappingMismatch, match="course.id"):
        save_mapping(session, course, replace(example(index), course_id="3"), index, author=None, now=T0,
                     source="file")
    assert revision_count(session, course) == 0


def test_undo_walks_back_one_state_at_a_time_and_never_rewrites(
        session: Session, index: StandardIndex, course: Course, teacher: User) -> None:
    texts = []
    for n, threshold in enumerate((0.8, 0.7, 0.6)):
        saved = save_mapping(session, course, with_threshold(example(index), threshold), index, author=teacher,
                             now=T0 + timedelta(n), source="editor")
        texts.append(saved.text)
    session.commit()

    def threshold() -> float | None:
        current = current_mapping(session, course, index)
        assert current is not None
        return current.entries[0].rule.threshold

    fourth = undo(session, course, index, author=teacher, now=T0 + timedelta(4))
    assert fourth is not None and (fourth.number, fourth.source, fourth.restores) == (4, "undo", 2)
    assert threshold() == 0.7 and fourth.summary == "Undo: back to revision 2"
    fifth = undo(session, course, index, author=teacher, now=T0 + timedelta(5))
    assert fifth is not None and fifth.number == 5 and threshold() == 0.8
    assert undo(session, course, index, author=teacher, now=T0 + timedelta(6)) is None  # nothing before 1
    session.commit()
    stored = session.scalars(select(MappingRevision).order_by(MappingRevision.number)).all()
    assert [r.text for r in stored[:3]] == texts  # earlier revisions untouched
    assert len(stored) == 5


def test_undo_after_a_restore_returns_to_the_state_before_the_restore(
        session: Session, index: StandardIndex, course: Course) -> None:
    for n, threshold in enumerate((0.8, 0.7, 0.6)):
        save_mapping(session, course, with_threshold(example(index), threshold), index, author=None,
                     now=T0 + timedelta(n), source="editor")
    restored = restore(session, course, index, 1, author=None, now=T0 + timedelta(4))
    assert restored is not None and (restored.number, restored.restores) == (4, 1)
    assert restored.summary == "Restore: back to revision 1"
    undone = undo(session, course, index, author=None, now=T0 + timedelta(5))
    assert undone is not None and undone.restores == 3
    current = current_mapping(session, course, index)
    assert current is not None and current.entries[0].rule.threshold == 0.6


def test_restore_of_the_current_text_or_an_unknown_revision(session: Session, index: StandardIndex,
                                                            course: Course) -> None:
    first = save_mapping(session, course, example(index), index, author=None, now=T0, source="file")
    assert restore(session, course, index, 1, author=None, now=T0) is first
    assert restore(session, course, index, 9, author=None, now=T0) is None
    assert undo(session, course, index, author=None, now=T0) is None
    assert revision_count(session, course) == 1


def test_history_is_per_course(session: Session, index: StandardIndex, course: Course) -> None:
    other = Course(issuer="http://127.0.0.1:8081", context_id="3", updated_at=T0)
    session.add(other)
    save_mapping(session, course, example(index), index, author=None, now=T0, source="file")
    assert current_mapping(session, other, index) is None
    assert revisions(session, other) == [] and undo(session, other, index, author=None, now=T0) is None


def test_describe_change_names_each_activity_and_evidence_kind(index: StandardIndex) -> None:
    old = example(index)
    quiz = old.entries[0]
    as_performance = MappingEntry(cmid=quiz.cmid, targets=("DS601.01",), evidence="performance",
                                  rule=Rule("passed"), title=quiz.title)
    new = replace(old, entries=(replace(quiz, targets=(*quiz.targets[1:], "DS602.01")), *old.entries[2:],
                                as_performance))
    text = describe_change(old, new)
    assert f"Added {quiz.title} (performance): DS601.01" in text
    assert f"Removed {old.entries[1].title} (knowledge)" in text
    assert f"Changed {quiz.title} (knowledge): +DS602.01, −DS601.01" in text
    assert describe_change(None, old) == f"Created with {len(old.entries)} activities"
    assert describe_change(old, old) == "No change"
    swapped = replace(old, entries=(old.entries[1], old.entries[0], *old.entries[2:]))
    assert describe_change(old, swapped) == "Reordered the activities"
    assert describe_change(old, replace(old, title="x")) == "Changed the course details"
    thai = describe_change(old, new, "th")
    assert f"เพิ่ม {quiz.title} (หลักฐานการปฏิบัติงาน): DS601.01" in thai
    assert f"นำ {old.entries[1].title} (หลักฐานความรู้) ออก" in thai
    assert f"แก้ไข {quiz.title} (หลักฐานความรู้): +DS602.01, −DS601.01" in thai


def test_the_standard_index_is_reused_until_a_unit_changes(session: Session, standard: list[dict[str, object]]) -> None:
    first = standard_index(session)
    assert standard_index(session) is first  # a page view does not rebuild the standard
    revised = copy.deepcopy(next(doc for doc in standard if any(u["code"] == "DG-OPSR-023" for u in doc["units"])))
    unit = next(u for u in revised["units"] if u["code"] == "DG-OPSR-023")
    criterion = unit["elements"][0]["criteria"][0]
    criterion["text"] = criterion["text"] + " (ฉบับปรับปรุง)"
    catalog.import_document(session, revised, now=datetime.now(UTC))
    session.commit()
    again = standard_index(session)
    assert again is not first and again.criteria[criterion["code"]].text == criterion["text"]
