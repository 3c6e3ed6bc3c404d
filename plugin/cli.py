"""The ``samattha`` command line: the operator's way in. Command names are a contract; scripts use them."""

from __future__ import annotations

import logging
import multiprocessing
import os

import click
from flask import Flask
from flask.cli import ScriptInfo
from sqlalchemy.engine import make_url

from plugin.app import create_app
from plugin.clock import utcnow
from plugin.config import load_config
from plugin.content.commands import demo
from plugin.launch.calls import start_sweeper
from plugin.launch.commands import keys, platforms
from plugin.lrs import lrs
from plugin.mapping.commands import mappings
from plugin.migrate import upgrade
from plugin.portfolios.commands import portfolios, worker
from plugin.portfolios.scheduler import start_scheduler
from plugin.ports import PortTaken, check_free
from plugin.standards.commands import ensure_standard_loaded, standards

__all__ = ["main"]


def _command_app() -> Flask:
    """The app a command reaches through ``current_app`` (Flask's ``with_appcontext``), built from the
    environment; the schema is brought to head first, as `serve` does, so a fresh instance works."""
    app = create_app(load_config())
    engine = app.extensions["samattha.engine"]
    # Close pooled connections when the command ends instead of leaving them to the garbage collector.
    click.get_current_context().call_on_close(engine.dispose)
    upgrade(engine)
    return app


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="samattha")
@click.pass_context
def main(ctx: click.Context) -> None:
    """Samattha: competency-standard mapping, an xAPI LRS and evidence portfolios for Moodle (LTI 1.3)."""
    # Flask's own hand-off: each command's with_appcontext loads the app from here, once, when it runs.
    ctx.obj = ScriptInfo(create_app=_command_app, set_debug_flag=False)


_WORKERS_ADVICE = "Configured number of workers appears to be higher than the amount of CPU cores"


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--workers", type=click.IntRange(1, 64), help="Worker processes.  [default: two per CPU]")
@click.option("--threads", default=1, show_default=True, type=click.IntRange(1, 256),
              help="Requests each worker handles at once.")
def serve(host: str, port: int, workers: int | None, threads: int) -> None:
    """Apply pending migrations, load the standard if the database has none, and serve with granian."""
    from granian import Granian
    from granian.constants import Interfaces

    try:
        check_free(host, port)
    except PortTaken as taken:
        raise click.UsageError(str(taken)) from None
    if not os.environ.get("SAMATTHA_BASE_URL"):
        # The workers build their app from the environment: this is how they learn the default.
        os.environ["SAMATTHA_BASE_URL"] = f"http://{host}:{port}"
    app = _command_app()
    loaded = ensure_standard_loaded(app, now=utcnow())
    if loaded:
        click.echo(f"Loaded the competency standard: {loaded} units.")
    url = make_url(app.config["SAMATTHA"].database_url).render_as_string(hide_password=True)
    # The CPUs this process may run on (its affinity, as a container's cpuset sets it), within --workers' range.
    workers = workers or min(2 * len(os.sched_getaffinity(0)), 64)
    click.echo(f"Samattha on http://{host}:{port}/ (database {url}; instance {app.instance_path}; "
               f"{workers} worker{'s' if workers > 1 else ''} x {threads} thread{'s' if threads > 1 else ''})")
    config = app.config["SAMATTHA"]
    scheduler = None
    if config.compile_in_serve:
        # This process supervises the workers and compiles; with several `samattha serve` hosts set
        # SAMATTHA_COMPILE_IN_SERVE=0 and run `samattha worker` (the compile lock would keep them from compiling
        # twice, but not from trying).
        scheduler = start_scheduler(app.extensions["samattha.sessionmaker"],
                                    every_minutes=config.compile_every_minutes, base_url=str(config.base_url),
                                    report=click.echo)
        click.echo(f"Compiling portfolios every {config.compile_every_minutes} minutes.")
    # Roster syncs and grades run outside the requests that ask for them (plugin.launch.calls); this process
    # also makes those due again, or left by a worker that died, when no page kicks a worker's runner.
    stop_sweeper = start_sweeper(app.extensions["samattha.sessionmaker"], app.extensions["samattha.lti_tokens"])
    # Workers are started fresh ("spawn"), not forked from this process with its connections and threads.
    multiprocessing.set_start_method("spawn", force=True)
    # Processes, not threads: the LRS's requests are short and mostly CPU, and threads of one worker only take
    # turns on the GIL (each turn a hand-off between granian's thread and the request's). Two per CPU, so that a
    # CPU still has work while a request waits on PostgreSQL, the network (an LTI key fetch) or a PDF.
    # Measured on 2 vCPUs, eight clients POSTing single statements, workers x threads: on SQLite 2x2
    # 1.14-1.23k/s, 2x1 1.34-1.57k/s, 4x1 1.32-1.42k/s; on PostgreSQL 2x2 0.87k/s, 2x1 0.64-0.72k/s,
    # 4x1 0.78-0.87k/s. Batches of 100 on SQLite: 2x2 8.3-9.3k/s, 4x1 10.6-13.3k/s.
    # backpressure stays granian's default (hundreds): it counts open connections, not requests, so at the
    # number of threads a browser's idle keep-alive connections left no room for its next request.
    # granian advises at most one worker per CPU; two per CPU is the measured choice above, so that advice is
    # kept from the operator's console (granian's logging set-up keeps a logger's filters).
    logging.getLogger("_granian").addFilter(lambda record: not record.getMessage().startswith(_WORKERS_ADVICE))
    server = Granian("plugin.wsgi:create", factory=True, interface=Interfaces.WSGI, address=host, port=port,
                     workers=workers, blocking_threads=threads, log_access=False)
    try:
        server.serve()
    finally:
        stop_sweeper.set()
        if scheduler is not None:
            scheduler.shutdown(wait=False)


@main.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True)
def db_upgrade(revision: str) -> None:
    """Apply Alembic migrations (the one schema path for SQLite and PostgreSQL)."""
    app = create_app(load_config())
    upgrade(app.extensions["samattha.engine"], revision)
    app.extensions["samattha.engine"].dispose()
    click.echo(f"Database at revision {revision}.")


main.add_command(standards)
main.add_command(lrs)
main.add_command(platforms)
main.add_command(keys)
main.add_command(mappings)
main.add_command(portfolios)
main.add_command(worker)
main.add_command(demo)
