"""``samattha portfolios …`` and ``samattha worker`` (issue 6)."""

from __future__ import annotations

import click
from apscheduler.schedulers.blocking import BlockingScheduler
from flask import current_app
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from plugin.clock import utcnow
from plugin.evidence import learners_of
from plugin.mapping.discovery import refresh_courses
from plugin.models import Course, User
from plugin.portfolios.export_command import export
from plugin.portfolios.parallel import workers
from plugin.portfolios.repository import last_run
from plugin.portfolios.run import CourseFigures, batch_size
from plugin.portfolios.scheduler import LockBusy, describe, run_once

__all__ = ["portfolios", "worker"]


@click.group(cls=AppGroup)
def portfolios() -> None:
    """Compile and export knowledge-evidence portfolios."""


def find_course(session: Session, course: str, issuer: str | None) -> Course:
    """A course by Moodle course id (LTI context.id), narrowed by ``issuer`` when two platforms share it."""
    query = select(Course).where(Course.context_id == course)
    if issuer:
        query = query.where(Course.issuer == issuer.rstrip("/"))
    found = list(session.scalars(query))
    if not found:
        raise click.BadParameter(f"no course with context id {course!r}" + (f" on {issuer}" if issuer else "")
                                 + " (a course appears after its first launch)", param_hint="--course")
    if len(found) > 1:
        issuers = ", ".join(sorted(c.issuer for c in found))
        raise click.BadParameter(f"course {course!r} exists on several platforms ({issuers}); name one with "
                                 "--issuer", param_hint="--course")
    return found[0]


def find_learner(session: Session, course: Course, learner: str) -> User:
    """A learner of the course by LTI sub (for Moodle: the Moodle user id), else by Samattha's user id."""
    people = learners_of(session, course)
    found = [u for u in people if u.subject == learner]
    found = found or [u for u in people if learner.isdigit() and u.id == int(learner)]
    if not found:
        raise click.BadParameter(f"no learner {learner!r} in course {course.context_id!r} (give the LTI sub, "
                                 "which for Moodle is the user id, or Samattha's user id)", param_hint="--learner")
    return found[0]


def _line(figures: CourseFigures) -> str:
    name = figures.course.title or figures.course.context_id
    if figures.error:
        return f"  {name}: FAILED ({figures.error}); the next run tries again"
    if figures.skipped:
        return f"  {name}: skipped ({figures.skipped})"
    line = (f"  {name}: {figures.due} due, {figures.learners_compiled} compiled, "
            f"{figures.snapshots_created} new snapshots, {figures.statements_read} statements read")
    if figures.failed:
        line += f", {len(figures.failed)} FAILED (the next run tries them again):"
        line += "".join(f"\n    learner {learner_id}: {error}" for learner_id, error in sorted(figures.failed.items()))
    return line


def _progress(course: Course, done: int, total: int) -> None:
    click.echo(f"  {course.title or course.context_id}: {done}/{total} learners", err=True)


@portfolios.command("compile")
@click.option("--course", help="Moodle course id (LTI context.id); default: every course with a mapping.")
@click.option("--issuer", help="The platform's issuer, when two platforms have a course with that id.")
@click.option("--learner", help="Only this learner: LTI sub (Moodle user id) or Samattha user id. Needs --course.")
@click.option("--full", is_flag=True, help="Compile every learner, not only those with new statements.")
def compile_command(course: str | None, issuer: str | None, learner: str | None, full: bool) -> None:
    """Compile portfolios now (the scheduler does this every SAMATTHA_COMPILE_EVERY_MINUTES)."""
    if learner and not course:
        raise click.UsageError("--learner needs --course")
    try:
        batch_size(), workers()
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    sessions: sessionmaker[Session] = current_app.extensions["samattha.sessionmaker"]
    with sessions() as session:
        courses = [find_course(session, course, issuer)] if course else None
        person = find_learner(session, courses[0], learner) if courses and learner else None
        parts = (f"course {course}" if course else "", f"learner {learner}" if learner else "")
        scope = " ".join(part for part in parts if part)
    try:
        run, results = run_once(sessions, trigger="command", courses=courses, learner=person, full=full, scope=scope,
                                progress=_progress)
    except LockBusy as exc:
        raise click.ClickException(f"{exc}; try again when it has finished") from None
    for figures in results:
        click.echo(_line(figures))
    click.echo(describe(run))
    if run.message:
        raise SystemExit(1)  # for cron and scripts: something was not compiled (and is tried again next run)


@click.command()
@click.option("--once", is_flag=True, help="Run one compilation and exit (for cron and tests).")
@with_appcontext
def worker(once: bool) -> None:
    """Run the portfolio compilation schedule (for deployments with several web workers; set
    SAMATTHA_COMPILE_IN_SERVE=0 for the web processes then)."""
    app = current_app
    sessions: sessionmaker[Session] = app.extensions["samattha.sessionmaker"]
    with sessions() as session:
        previous = last_run(session, finished=True)
        if previous is not None:
            click.echo("Last run: " + describe(previous))
    base_url = str(app.config["SAMATTHA"].base_url)
    if once:
        _one_run(sessions, base_url)
        return
    every = app.config["SAMATTHA"].compile_every_minutes
    click.echo(f"Compiling portfolios every {every} minutes; Ctrl+C stops.")
    scheduler = BlockingScheduler(timezone="UTC")
    scheduler.add_job(_one_run, "interval", args=[sessions, base_url], minutes=every, id="compile-portfolios",
                      max_instances=1, coalesce=True, next_run_time=utcnow())
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        click.echo("Stopped.")


def _one_run(sessions: sessionmaker[Session], base_url: str) -> None:
    try:
        run, results = run_once(sessions, trigger="schedule", progress=_progress)
    except LockBusy:
        click.echo("Another process is compiling; skipped this run.")
        return
    for figures in results:
        click.echo(_line(figures))
    click.echo(describe(run))
    new = refresh_courses(sessions, base_url=base_url, now=utcnow)
    if new:
        click.echo(f"Course activities: {new} new.")


portfolios.add_command(export)
