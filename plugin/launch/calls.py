"""Calls to the platform's services that never hold a request: a roster sync (NRPS) and a judgement's grade (AGS).

Moodle's token endpoint checks our client assertion (private_key_jwt, Security Framework §4.1) by fetching
Samattha's JWKS while it answers. A request thread that waited on Moodle could be the thread that JWKS request
needs (``samattha serve --workers 1`` has one), and both waited until the token request timed out. So a page
records the call (plugin.models.service_calls), a runner thread of the process makes it, and the page waits
for it only briefly (``BRIEF_WAIT``, well inside the token request's timeout) to say at once what came of it
when it is quick; otherwise it says the call is under way and lets its thread go, which then serves the JWKS.
A failed call is tried again with growing pauses, its status and error shown on the page, and left ``failed``
after ``len(BACKOFF) + 1`` attempts or at once when retrying cannot help (no registration, no service claim).

Runners in several processes (every web worker, and ``samattha serve``'s supervisor, which sweeps every
``SWEEP_SECONDS`` for calls due again or left running by a process that died) share the table: a runner takes
a call with one conditional UPDATE, so two never make the same call."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

import lti
from plugin.clock import utcnow
from plugin.launch import i18n
from plugin.launch.repository import aware
from plugin.launch.service import push_unit_grades, service_client, sync_roster
from plugin.models import Course
from plugin.models.service_calls import ServiceCall

__all__ = [
    "BACKOFF", "BRIEF_WAIT", "CallStatus", "Runner", "latest_call", "queue_grade", "queue_roster_sync", "run_due",
    "grade_calls", "runner_for", "start_sweeper", "wait_for",
]

log = logging.getLogger(__name__)

i18n.register_messages({
    "roster.pending": ("Roster sync under way: Moodle has not answered yet. Open this page again in a moment.",
                       "กำลังดึงรายชื่อ: Moodle ยังไม่ตอบกลับ โปรดเปิดหน้านี้อีกครั้งในอีกสักครู่"),
    "call.queued": ("Waiting to be sent", "รอส่ง"),
    "call.running": ("Under way (attempt {attempt})", "กำลังดำเนินการ (ครั้งที่ {attempt})"),
    "call.retry": ("Not done yet ({error}); trying again at {when}", "ยังไม่สำเร็จ ({error}) จะลองอีกครั้งเมื่อ {when}"),
    "call.failed": ("Failed after {attempts} attempts: {error}", "ไม่สำเร็จหลังพยายาม {attempts} ครั้ง: {error}"),
    "call.done": ("Sent to Moodle", "ส่งไปยัง Moodle แล้ว"),
    "call.superseded": ("Replaced by a later judgement", "ถูกแทนด้วยผลการตัดสินที่ใหม่กว่า"),
    "roster.call": ("Last roster sync", "การดึงรายชื่อล่าสุด"),
    "pf.grade": ("Grade in Moodle", "คะแนนใน Moodle"),
    "pf.grade_pending": ("Recorded; the grade is on its way to Moodle (its status is in the history below).",
                         "บันทึกแล้ว กำลังส่งคะแนนไปยัง Moodle (ดูสถานะในประวัติด้านล่าง)"),
})

BACKOFF = (timedelta(seconds=30), timedelta(minutes=2), timedelta(minutes=10), timedelta(hours=1))
LEASE = timedelta(minutes=5)  # far beyond a call's few requests of at most 5 s each
BRIEF_WAIT = 2.0  # seconds; lti.ServiceClient's requests time out after 5
SWEEP_SECONDS = 30.0
PENDING = ("queued", "retry", "running")
# Retrying cannot help these: the course lacks what the call needs until a new launch or registration.
PERMANENT = frozenset({"no_registration", "no_ags", "no_nrps"})

Sessions = sessionmaker[Session]
Clock = Callable[[], datetime]


@dataclass(frozen=True)
class CallStatus:
    id: int
    status: str
    attempts: int
    result: str | None
    error: str | None
    next_attempt_at: datetime

    @property
    def is_pending(self) -> bool:
        return self.status in PENDING

    @property
    def is_under_way(self) -> bool:
        """Not yet tried, or being tried now (a call waiting to be retried has an answer to show)."""
        return self.status in ("queued", "running")


def _status(call: ServiceCall) -> CallStatus:
    return CallStatus(call.id, call.status, call.attempts, call.result, call.error, aware(call.next_attempt_at))


def _new(course: Course, kind: str, key: str, payload: dict[str, object], by: int | None,
         now: datetime) -> ServiceCall:
    return ServiceCall(course_id=course.id, kind=kind, key=key, payload=payload, status="queued", attempts=0,
                       next_attempt_at=now, requested_by=by, created_at=now)


def queue_roster_sync(session: Session, course: Course, *, by: int | None, now: datetime) -> ServiceCall:
    """One roster sync at a time per course: asking again while one is pending brings it forward."""
    pending = session.scalars(select(ServiceCall).where(
        ServiceCall.course_id == course.id, ServiceCall.key == "roster", ServiceCall.status.in_(PENDING))
        .order_by(ServiceCall.id)).first()
    if pending is not None:
        if pending.status == "retry":
            pending.next_attempt_at = now
        return pending
    call = _new(course, "roster", "roster", {}, by, now)
    session.add(call)
    session.flush()
    return call


def queue_grade(session: Session, course: Course, *, learner_id: int, unit_code: str, grade: float,
                judgement_id: int, by: int | None, now: datetime) -> ServiceCall:
    """The grade of a judgement; one not yet sent for the same learner and unit is superseded by it (sent
    later, an older grade would overwrite the newer one in the gradebook)."""
    key = f"grade:{learner_id}:{unit_code}"
    session.execute(update(ServiceCall).where(
        ServiceCall.course_id == course.id, ServiceCall.key == key, ServiceCall.status.in_(("queued", "retry")))
        .values(status="superseded", finished_at=now, claimed_until=None))
    call = _new(course, "grade", key, {"learner": learner_id, "unit": unit_code, "grade": grade,
                                       "judgement": judgement_id}, by, now)
    session.add(call)
    session.flush()
    return call


def latest_call(session: Session, course_id: int, key: str) -> CallStatus | None:
    call = session.scalars(select(ServiceCall).where(ServiceCall.course_id == course_id, ServiceCall.key == key,
                                                     ServiceCall.status != "superseded")
                           .order_by(ServiceCall.id.desc())).first()
    return _status(call) if call is not None else None


def grade_calls(session: Session, course_id: int, learner_id: int) -> dict[int, CallStatus]:
    """Judgement id → the call that sends its grade, for the learner's judgement history."""
    calls = session.scalars(select(ServiceCall).where(ServiceCall.course_id == course_id, ServiceCall.kind == "grade",
                                                      ServiceCall.key.startswith(f"grade:{learner_id}:")))
    return {int(call.payload["judgement"]): _status(call) for call in calls}


def _due(now: datetime) -> ColumnElement[bool]:
    return or_(ServiceCall.status.in_(("queued", "retry")) & (ServiceCall.next_attempt_at <= now),
               (ServiceCall.status == "running") & (ServiceCall.claimed_until < now))


def _claim(session: Session, now: datetime) -> int | None:
    """Take the oldest due call: one conditional UPDATE, so of two runners only one gets it."""
    for call_id in session.scalars(select(ServiceCall.id).where(_due(now)).order_by(ServiceCall.id).limit(5)):
        taken = session.execute(update(ServiceCall).where(ServiceCall.id == call_id, _due(now)).values(
            status="running", attempts=ServiceCall.attempts + 1, claimed_until=now + LEASE))
        session.commit()
        if getattr(taken, "rowcount", 0) == 1:
            return int(call_id)
    session.rollback()
    return None


def _perform(session: Session, call: ServiceCall, tokens: lti.TokenCache, now: datetime) -> str | None:
    course = call.course
    client = service_client(session, course, now=now, cache=tokens)
    if call.kind == "roster":
        return str(sync_roster(session, course, now, client=client))
    payload = call.payload
    report = push_unit_grades(session, course, {int(payload["learner"]): {str(payload["unit"]): float(
        payload["grade"])}}, now, client=client)
    if report.failures:
        raise lti.ServiceError("score_refused", "; ".join(report.failures))
    return None


def _run(sessions: Sessions, call_id: int, tokens: lti.TokenCache, clock: Clock) -> None:
    with sessions() as session:
        call = session.get_one(ServiceCall, call_id)
        now = clock()
        try:
            result = _perform(session, call, tokens, now)
        except Exception as error:  # noqa: BLE001 - any failure of the call is recorded on it and retried
            session.rollback()
            if not isinstance(error, lti.ServiceError):
                log.exception("service call %s failed", call_id)
            _failed(session.get_one(ServiceCall, call_id), error, clock())
        else:
            call.status, call.result, call.error = "done", result, None
            call.finished_at, call.claimed_until = clock(), None
        session.commit()


def _failed(call: ServiceCall, error: Exception, now: datetime) -> None:
    code = error.code if isinstance(error, lti.ServiceError) else "internal"
    call.error = f"{code}: {error.message}" if isinstance(error, lti.ServiceError) else f"{code}: {error}"
    call.claimed_until = None
    if code in PERMANENT or call.attempts > len(BACKOFF):
        call.status, call.finished_at = "failed", now
    else:
        call.status, call.next_attempt_at = "retry", now + BACKOFF[call.attempts - 1]


def run_due(sessions: Sessions, tokens: lti.TokenCache, clock: Clock = utcnow) -> int:
    """Make every call due now, oldest first; the number made."""
    made = 0
    while True:
        with sessions() as session:
            call_id = _claim(session, clock())
        if call_id is None:
            return made
        _run(sessions, call_id, tokens, clock)
        made += 1


def _next_due(sessions: Sessions) -> datetime | None:
    with sessions() as session:
        waiting = session.scalar(select(ServiceCall.next_attempt_at).where(
            ServiceCall.status.in_(("queued", "retry"))).order_by(ServiceCall.next_attempt_at).limit(1))
        held = session.scalar(select(ServiceCall.claimed_until).where(ServiceCall.status == "running")
                              .order_by(ServiceCall.claimed_until).limit(1))
    times = [aware(t) for t in (waiting, held) if t is not None]
    return min(times) if times else None


class Runner:
    """The process's runner thread: started by the first call queued, it makes due calls and sleeps until the
    next one is due (at most ``SWEEP_SECONDS``); with none left pending it ends, and the next ``kick`` starts
    it again."""

    def __init__(self, sessions: Sessions, tokens: lti.TokenCache) -> None:
        self.sessions, self.tokens = sessions, tokens
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stopped = False
        self._thread: threading.Thread | None = None

    def kick(self) -> None:
        with self._lock:
            self._wake.set()
            if self._thread is None and not self._stopped:
                self._thread = threading.Thread(target=self._loop, name="samattha-service-calls", daemon=True)
                self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """No more calls from this runner (those pending stay for another); waits for the one under way."""
        with self._lock:
            self._stopped, thread = True, self._thread
            self._wake.set()
        if thread is not None:
            thread.join(timeout)

    def _loop(self) -> None:
        while True:
            self._wake.clear()
            try:
                run_due(self.sessions, self.tokens)
                due = _next_due(self.sessions)
            except Exception:  # noqa: BLE001 - the database is away: try again after a pause
                log.exception("service calls: runner failed; trying again")
                due = utcnow() + timedelta(seconds=SWEEP_SECONDS)
            with self._lock:
                if self._stopped or (due is None and not self._wake.is_set()):
                    self._thread = None
                    return
            pause = (due - utcnow()).total_seconds() if due is not None else 0.0
            self._wake.wait(min(max(pause, 0.05), SWEEP_SECONDS))


def start_sweeper(sessions: Sessions, tokens: lti.TokenCache) -> threading.Event:
    """Kick a runner every ``SWEEP_SECONDS`` (for ``samattha serve``'s supervisor): calls due again after a
    pause, or left running by a worker that died, are made even when no page asks for a new one. Set the event
    returned to stop."""
    runner, stop = Runner(sessions, tokens), threading.Event()

    def sweep() -> None:
        while not stop.is_set():
            runner.kick()
            stop.wait(SWEEP_SECONDS)

    threading.Thread(target=sweep, name="samattha-service-calls-sweep", daemon=True).start()
    return stop


def runner_for(extensions: dict[str, Any]) -> Runner:
    """The app's runner in this process (its sessionmaker and access-token cache), made on first use."""
    found = extensions.get("samattha.service_calls")
    if not isinstance(found, Runner):
        found = extensions.setdefault("samattha.service_calls", Runner(extensions["samattha.sessionmaker"],
                                                                       extensions["samattha.lti_tokens"]))
    return found


def wait_for(sessions: Sessions, call_id: int, seconds: float = BRIEF_WAIT) -> CallStatus:
    """The call's status once its attempt has ended, or after ``seconds``, whichever comes first."""
    deadline = time.monotonic() + seconds
    while True:
        with sessions() as session:
            status = _status(session.get_one(ServiceCall, call_id))
        if not status.is_under_way or time.monotonic() >= deadline:
            return status
        time.sleep(0.05)
