"""``samattha demo`` and content package commands (issue 7)."""

from __future__ import annotations

import click

__all__ = ["demo"]


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 256))
@click.option("--instance", envvar="SAMATTHA_INSTANCE_PATH", type=click.Path(file_okay=False),
              help="Demo instance folder (empty, or an earlier demo's). Default: a fresh temporary folder.")
@click.option("--database-url", help="Database for the demo. Default: SQLite inside the demo instance.")
def demo(host: str, port: int, threads: int, instance: str | None, database_url: str | None) -> None:
    """Bring up a demonstration instance with a built-in Moodle-like platform, and print the tour's URL."""
    from plugin.demo.run import DemoRefused, demo_instance, run_demo
    from plugin.ports import PortTaken, check_free

    try:
        check_free(host, port)  # before a fresh instance folder is made for nothing
        folder = demo_instance(instance)
        run_demo(host, port, folder, database_url=database_url, threads=threads, report=click.echo)
    except (DemoRefused, PortTaken) as refused:
        raise click.UsageError(str(refused)) from None
