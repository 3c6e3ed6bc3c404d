"""Where the learner's own work behind a piece of evidence can be seen: the assessor judges the quiz attempt
or the submitted assignment itself, not a line about it. Moodle's log store names the work by the statement's
object (moodle-logstore_xapi 5: EVENTS.md); Moodle shows it to a teacher at another address. Plain data in,
a URL (or None) out."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

__all__ = ["KINDS", "find_work", "learner_work"]

# What the page found shows: the learner's own work, or only the activity it was done in.
KINDS = ("attempt", "submission", "post", "activity")

_QUIZ_ATTEMPT = re.compile(r"(?P<site>https?://.+)/mod/quiz/attempt\.php\?attempt=(?P<attempt>\d+)&cmid=(?P<cmid>\d+)$")
_SUBMISSION = re.compile(r"(?P<site>https?://.+)/mod/assign/view\.php\?id=(?P<cmid>\d+)#(submission|feedback)$")
_MOODLE_PAGE = re.compile(r"(?P<site>https?://.+)/(mod/[a-z0-9_]+/[a-z_]+\.php|question/question\.php)\?[^\s#]*(?P<post>#p\d+)?$")


def find_work(evidence: Mapping[str, Any], learner_id: str | None, wwwroot: str) -> tuple[str, str] | None:
    """(kind, URL) of the page on Moodle (at ``wwwroot``) where a teacher sees this work of the learner whose
    Moodle user id is ``learner_id``: a quiz attempt's review, an assignment's submission in the grader, a forum
    post, else only the activity's own page (kind ``activity``). None for anything not on that Moodle site."""
    iri = str(evidence.get("activity") or "")
    site = wwwroot.rstrip("/")
    if not iri.startswith(site + "/"):
        return None
    if found := _QUIZ_ATTEMPT.match(iri):
        return "attempt", f"{site}/mod/quiz/review.php?" + urlencode({"attempt": found["attempt"],
                                                                     "cmid": found["cmid"]})
    if (found := _SUBMISSION.match(iri)) and learner_id:
        return "submission", f"{site}/mod/assign/view.php?" + urlencode({"id": found["cmid"], "action": "grader",
                                                                          "userid": learner_id})
    if found := _MOODLE_PAGE.match(iri):
        return ("post" if found["post"] else "activity"), iri
    return None


def learner_work(evidence: Mapping[str, Any], learner_id: str | None, wwwroot: str) -> str | None:
    """The URL of :func:`find_work`."""
    found = find_work(evidence, learner_id, wwwroot)
    return found[1] if found else None
