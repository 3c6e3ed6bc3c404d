"""The conversation on a unit (issue 21) over HTTP: the learner and the course's assessors and coordinators talk,
each comment kept exactly as written and never changed; nobody else reads or writes it; a refused comment or a
"more evidence needed" that does not say what is missing is a 400 naming the field in the page's language; and
the learner's home page shows what is new until they mark it seen."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from plugin.models.conversations import UnitComment
from plugin.models.judgements import Judgement
from tests.test_authorization_matrix import World, build_world
from tests.test_learner_evidence_web import _client

UNIT = "DG-OPSR-023"
# Thai with its tone marks and a line break, exactly as typed.
THAI = "ขอบคุณค่ะ ฉันจะแนบสำเนาทะเบียนฯ ที่ปรับปรุงแล้ว\r\nภายในวันศุกร์นี้ 🙏"


@pytest.fixture
def world(app: Flask, standard: object, tmp_path: Path) -> World:
    return build_world(app, tmp_path)


def _base(world: World, learner: str = "learner_a", course: int | None = None) -> str:
    return f"/course/{course or world.course}/portfolios/{world.users[learner]}/units/{UNIT}"


def _comments(app: Flask) -> list[tuple[str, str, str]]:
    with app.extensions["samattha.sessionmaker"]() as db:
        return [(c.role, c.unit_code, c.body) for c in db.scalars(select(UnitComment).order_by(UnitComment.id))]


def test_the_learner_and_the_staff_talk_on_a_unit_and_what_was_said_stays(app: Flask, world: World) -> None:
    learner, assessor = _client(app, world, "learner_a"), _client(app, world, "assessor")
    said = learner.post(f"{_base(world)}/comments", data={"csrf": "t", "body": THAI})
    assert said.status_code == 303 and said.headers["Location"].endswith(f"{_base(world)}/conversation")
    # The assessor writes beside the judge panel and comes back to it, in the caseload view they came from.
    answered = assessor.post(f"{_base(world)}/comments?status=awaiting",
                             data={"csrf": "t", "body": "Please add the signed register.", "from": "workspace"})
    assert answered.status_code == 303
    assert answered.headers["Location"].endswith(
        f"/portfolios/{world.users['learner_a']}?status=awaiting#conversation-{UNIT}")
    assert _client(app, world, "coordinator").post(f"{_base(world)}/comments",
                                                   data={"csrf": "t", "body": "Noted."}).status_code == 303
    assert _comments(app) == [("learner", UNIT, THAI), ("assessor", UNIT, "Please add the signed register."),
                              ("coordinator", UNIT, "Noted.")]
    page = learner.get(f"{_base(world)}/conversation").get_data(as_text=True)
    assert page.index("ฉันจะแนบสำเนาทะเบียนฯ") < page.index("Please add the signed register.") < page.index("Noted.")
    workspace = assessor.get(f"/course/{world.course}/portfolios/{world.users['learner_a']}").get_data(as_text=True)
    assert f'id="conversation-{UNIT}"' in workspace and "ฉันจะแนบสำเนาทะเบียนฯ" in workspace
    # Append-only: no way to change or take back a comment.
    with app.extensions["samattha.sessionmaker"]() as db:
        first = db.scalars(select(UnitComment.id).order_by(UnitComment.id)).first()
    for method in ("PUT", "PATCH", "DELETE"):
        assert learner.open(f"{_base(world)}/comments", method=method, data={"csrf": "t"}).status_code == 405
    assert learner.post(f"{_base(world)}/comments/{first}", data={"csrf": "t", "body": "x"}).status_code == 404
    assert [body for _, _, body in _comments(app)][0] == THAI


def test_nobody_else_reads_or_writes_it(app: Flask, world: World) -> None:
    _client(app, world, "assessor").post(f"{_base(world)}/comments", data={"csrf": "t", "body": "private note"})
    for persona, status in (("learner_b", 403), ("other_coordinator", 403), ("viewer", 403), ("anonymous", 401)):
        client = _client(app, world, persona)
        page = client.get(f"{_base(world)}/conversation")
        assert page.status_code == status and "private note" not in page.get_data(as_text=True), persona
        assert client.post(f"{_base(world)}/comments", data={"csrf": "t", "body": "hi"}).status_code == status
    # A learner of the course, in the other course's URL: no role there.
    learner = _client(app, world, "learner_a")
    assert learner.get(_base(world, course=world.other_course) + "/conversation").status_code == 403
    # Staff of the course, about someone who is not a learner in it, or a unit not in the portfolio.
    assessor = _client(app, world, "assessor")
    assert assessor.get(_base(world, learner="coordinator") + "/conversation").status_code == 404
    assert assessor.get(_base(world).replace(UNIT, "NOPE-999") + "/conversation").status_code == 404
    assert _comments(app) == [("assessor", UNIT, "private note")]


def test_bad_input_is_a_400_naming_the_field_in_the_pages_language(app: Flask, world: World) -> None:
    learner = _client(app, world, "learner_a", language="th")
    empty = learner.post(f"{_base(world)}/comments", data={"csrf": "t", "body": "  \r\n "})
    assert empty.status_code == 400 and "ความเห็น (body): โปรดเขียนความเห็นก่อนส่ง" in empty.get_data(as_text=True)
    long = learner.post(f"{_base(world)}/comments", data={"csrf": "t", "body": "ก" * 5001})
    assert long.status_code == 400 and "ไม่เกิน 5000 ตัวอักษร" in long.get_data(as_text=True)
    assert 'data-field="body"' in long.get_data(as_text=True)
    assert _comments(app) == []
    # "More evidence needed" must say what is missing, in the assessor's language too.
    judge = f"/course/{world.course}/portfolios/{world.users['learner_a']}/judgements"
    form = {"csrf": "t", "snapshot": world.snapshot, "unit": UNIT, "outcome": "more_evidence", "comments": " "}
    thai = _client(app, world, "assessor", language="th").post(judge, data=form)
    assert thai.status_code == 400 and thai.get_data(as_text=True).startswith("ความเห็น (comments): ")
    english = _client(app, world, "assessor").post(judge, data=form)
    assert english.status_code == 400 and english.get_data(as_text=True) == (
        "comments: name what is missing when more evidence is needed")
    with app.extensions["samattha.sessionmaker"]() as db:
        assert db.scalars(select(Judgement)).all() == []
    # A NUL, which PostgreSQL's text cannot hold (a 500 there), is refused naming the field, before anything runs.
    nul = learner.post(f"{_base(world)}/comments", data={"csrf": "t", "body": "a\x00b"})
    assert nul.status_code == 400 and "body: มีอักขระ NUL" in nul.get_data(as_text=True)
    assert _comments(app) == []


def test_an_assessor_returns_to_the_caseload_view_they_came_from_whatever_else_the_url_holds(
        app: Flask, world: World) -> None:
    assessor = _client(app, world, "assessor")
    # Stray names that are the route's own (user_id, course_pk) or nothing the caseload knows: dropped, not a 500.
    sent = assessor.post(f"{_base(world)}/comments?status=requested&user_id=9&course_pk=1&_x=y",
                         data={"csrf": "t", "body": "ส่วนอื่นครบแล้ว", "from": "workspace"})
    assert sent.status_code == 303
    assert sent.headers["Location"] == (f"/course/{world.course}/portfolios/{world.users['learner_a']}"
                                        f"?status=requested#conversation-{UNIT}")
    bad = assessor.post(f"{_base(world)}/comments?sort=nonsense&scope=all",
                        data={"csrf": "t", "body": "อีกเรื่อง", "from": "workspace"})
    assert bad.status_code == 303 and bad.headers["Location"].endswith(
        f"/portfolios/{world.users['learner_a']}?scope=all#conversation-{UNIT}")
    assert [body for _, _, body in _comments(app)] == ["ส่วนอื่นครบแล้ว", "อีกเรื่อง"]


def test_the_learners_home_page_shows_what_is_new_until_they_mark_it_seen(app: Flask, world: World) -> None:
    learner, assessor = _client(app, world, "learner_a"), _client(app, world, "assessor")
    home = f"/course/{world.course}/learner"
    assert 'class="card news"' not in learner.get(home).get_data(as_text=True)
    learner.post(f"{_base(world)}/comments", data={"csrf": "t", "body": "my own words"})
    assessor.post(f"{_base(world)}/comments", data={"csrf": "t", "body": "ส่งทะเบียนที่ลงนามแล้ว"})
    judged = assessor.post(f"/course/{world.course}/portfolios/{world.users['learner_a']}/judgements",
                           data={"csrf": "t", "snapshot": world.snapshot, "unit": UNIT, "outcome": "more_evidence",
                                 "comments": "The signed register (PE1) is missing"})
    assert judged.status_code == 303
    page = learner.get(home).get_data(as_text=True)
    news = page[page.index('class="card news"'):page.index("</section>", page.index('class="card news"'))]
    assert "Ann Assessor commented on unit DG-OPSR-023" in news and "ส่งทะเบียนที่ลงนามแล้ว" in news
    assert "Unit DG-OPSR-023 judged: More evidence needed" in news and "my own words" not in news
    assert f'href="{_base(world)}/conversation"' in news
    # The learner reads what is missing, labelled as such, beside the unit.
    assert "What is missing:</strong> The signed register (PE1) is missing" in page
    assert learner.post(f"/course/{world.course}/news/seen", data={"csrf": "t"}).status_code == 303
    assert 'class="card news"' not in learner.get(home).get_data(as_text=True)
    assessor.post(f"{_base(world)}/comments", data={"csrf": "t", "body": "One more thing"})
    again = learner.get(home).get_data(as_text=True)
    assert "One more thing" in again and "ส่งทะเบียนที่ลงนามแล้ว" not in again
