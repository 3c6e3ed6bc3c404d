"""The assessor reaches the learner's actual work from each piece of evidence: the quiz attempt's review, the
submission in Moodle's grader, the forum post; never a page of another site."""

from __future__ import annotations

import json
from pathlib import Path

from plugin.portfolios.exports.view import portfolio_context
from plugin.portfolios.exports.work import find_work, learner_work

LAB = "http://127.0.0.1:8081"
FIXTURE = Path(__file__).parent / "fixtures" / "moodle-4.5" / "xapi-quiz-assign.json"


def test_the_log_stores_objects_lead_to_the_learners_work() -> None:
    def work(iri: str) -> str | None:
        return learner_work({"activity": iri}, "3", LAB + "/")

    assert work(f"{LAB}/mod/quiz/attempt.php?attempt=7&cmid=6") == f"{LAB}/mod/quiz/review.php?attempt=7&cmid=6"
    assert work(f"{LAB}/mod/assign/view.php?id=5#submission") == \
        f"{LAB}/mod/assign/view.php?id=5&action=grader&userid=3"
    assert work(f"{LAB}/mod/forum/discuss.php?d=4#p9") == f"{LAB}/mod/forum/discuss.php?d=4#p9"
    assert work(f"{LAB}/mod/page/view.php?id=3") == f"{LAB}/mod/page/view.php?id=3"
    assert work("https://evil.example/mod/quiz/attempt.php?attempt=7&cmid=6") is None
    assert work(f"{LAB}/course/view.php?id=2") is None
    # Which pages are the learner's own work, and where only the activity is known.
    kinds = [find_work({"activity": f"{LAB}/{iri}"}, "3", LAB)
             for iri in ("mod/quiz/attempt.php?attempt=7&cmid=6", "mod/assign/view.php?id=5#submission",
                         "mod/forum/discuss.php?d=4#p9", "mod/page/view.php?id=3", "mod/quiz/view.php?id=6")]
    assert [found and found[0] for found in kinds] == ["attempt", "submission", "post", "activity", "activity"]
    assert work("https://samattha.dev/content/dg-opsr-023/ds601") is None


def test_the_portfolio_context_links_each_piece_of_lab_evidence() -> None:
    statements = [item["statement"] for item in json.loads(FIXTURE.read_text("utf-8"))["statements"]]
    evidence = [{"id": s["id"], "activity": s["object"]["id"]} for s in statements]
    document = {"learner": {"actor": {"account": {"homePage": LAB, "name": "3"}}}, "course": {"wwwroot": LAB},
                "evidence": evidence}
    context = portfolio_context(document)
    work = context["work"]
    quiz = next(s["id"] for s in statements if "attempt.php" in s["object"]["id"])
    submitted = next(s["id"] for s in statements if s["object"]["id"].endswith("#submission"))
    assert work[quiz].startswith(f"{LAB}/mod/quiz/review.php?attempt=")
    assert work[submitted].endswith("&action=grader&userid=3")
    assert (context["work_kind"][quiz], context["work_kind"][submitted]) == ("attempt", "submission")
    viewed = next(s["id"] for s in statements if s["object"]["id"].endswith("/mod/quiz/view.php?id=6"))
    assert context["work_kind"][viewed] == "activity"
