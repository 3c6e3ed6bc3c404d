"""The tour: the page ``samattha demo`` prints, with one launch button per person of the demonstration course
and a button that compiles portfolios now. Registered on the tool only by ``samattha demo``."""

from __future__ import annotations

import hmac
import secrets
import threading
from dataclasses import dataclass, field

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from plugin.demo.moodle import MoodlePlatform
from plugin.demo.site import PEOPLE, TOOL_CMID
from plugin.portfolios.scheduler import LockBusy, describe, run_once

__all__ = ["TourState", "bp", "compile_now"]

bp = Blueprint("demo", __name__, url_prefix="/demo")


@dataclass
class TourState:
    platform: MoodlePlatform
    course_pk: int | None = None
    ready: threading.Event = field(default_factory=threading.Event)
    last_compile: str = ""
    form_token: str = field(default_factory=lambda: secrets.token_urlsafe(16))


def _state() -> TourState:
    state: TourState = current_app.extensions["samattha.demo"]
    return state


def compile_now(state: TourState, sessions: object, *, trigger: str) -> str:
    try:
        run, _ = run_once(sessions, trigger=trigger)  # type: ignore[arg-type]
    except LockBusy:
        state.last_compile = "Another compile is running; try again in a moment."
    except Exception as exc:  # noqa: BLE001 - shown on the tour and the console; the demo keeps serving
        state.last_compile = f"Compile failed: {type(exc).__name__}: {exc}"
    else:
        state.last_compile = describe(run)
    return state.last_compile


@bp.get("/")
def tour() -> tuple[str, int]:
    state = _state()
    if not state.ready.is_set():
        return render_template("demo/preparing.html"), 503
    platform = state.platform
    packages = [link for cmid, link in sorted(platform.links.items()) if cmid != TOOL_CMID]
    return render_template("demo/tour.html", people=PEOPLE, platform=platform, tool_cmid=TOOL_CMID,
                           packages=packages, course_pk=state.course_pk, last_compile=state.last_compile,
                           token=state.form_token, lang="th"), 200


@bp.post("/compile")
def compile_portfolios() -> Response | tuple[str, int]:
    state = _state()
    if not state.ready.is_set():
        return render_template("demo/preparing.html"), 503
    if not hmac.compare_digest(request.form.get("token", ""), state.form_token):
        return "token: the form is out of date; reload the tour page.", 400
    compile_now(state, current_app.extensions["samattha.sessionmaker"], trigger="command")
    return redirect(url_for("demo.tour", _anchor="compile"), code=303)
