"""Wires Samattha's LRS (the ``xapi`` package) into the app and the CLI (``samattha lrs …``)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy.orm import Session
from werkzeug.middleware.dispatcher import DispatcherMiddleware

import xapi
from plugin.clock import utcnow

__all__ = ["init_lrs", "lrs"]


def init_lrs(app: Flask) -> None:
    """Mount the LRS (its own WSGI application) at /xapi/, with a Session per request and the app's clock.

    The statement guard is whatever a feature has installed as ``app.extensions["samattha.statement_guard"]``,
    the request guard (every request of a launch credential) ``app.extensions["samattha.request_guard"]``, each
    looked up per request so it can be installed after the LRS is mounted."""

    def guard(session: Session, credential: dict[str, Any], statements: list[dict[str, Any]]) -> None:
        installed = app.extensions.get("samattha.statement_guard")
        if installed is not None:
            installed(session, credential, statements)

    def request_guard(session: Session, credential: dict[str, Any], request: xapi.GuardedRequest) -> None:
        installed = app.extensions.get("samattha.request_guard")
        if installed is not None:
            installed(session, credential, request)

    limits = replace(app.config["SAMATTHA"].lrs_limits, body_bytes=app.config["MAX_CONTENT_LENGTH"])
    lrs_app = xapi.create_app(app.extensions["samattha.sessionmaker"], utcnow, limits=limits, guard=guard,
                               request_guard=request_guard)
    app.wsgi_app = DispatcherMiddleware(app.wsgi_app, {"/xapi": lrs_app})  # type: ignore[method-assign]


def _session_maker() -> object:
    return current_app.extensions["samattha.sessionmaker"]


@click.group(cls=AppGroup)
def lrs() -> None:
    """The learning record store: credentials, pull from and forward to other LRSs."""


@lrs.group()
def credentials() -> None:
    """Keys and secrets for xAPI clients (Basic auth)."""


@credentials.command("create")
@click.option("--name", required=True, help="Who uses it, e.g. moodle.")
@click.option("--scope", "scopes", multiple=True, type=click.Choice(xapi.SCOPES),
              help="xAPI scope (repeatable); default statements/write and statements/read/mine.")
@click.option("--expires", type=click.DateTime(), default=None, help="Expiry (UTC).")
def credentials_create(name: str, scopes: tuple[str, ...], expires: datetime | None) -> None:
    """Issue a key and secret; the secret is shown once and stored only as a hash."""
    from datetime import UTC

    if not name.strip():
        raise click.BadParameter("must name who uses the credential, e.g. moodle", param_hint="--name")
    expires_at = expires.replace(tzinfo=UTC) if expires else None
    if expires_at is not None and expires_at <= utcnow():
        raise click.BadParameter(f"{expires_at:%Y-%m-%d %H:%M} UTC is already past: the credential would never work",
                                 param_hint="--expires")
    maker = _session_maker()
    with maker() as session:  # type: ignore[operator]
        key, secret = xapi.create_credential(
            session, name=name.strip(), scopes=scopes, now=utcnow(), expires_at=expires_at)
        session.commit()
    click.echo(f"key: {key}\nsecret: {secret}")
    click.echo("Keep the secret now: it cannot be shown again.", err=True)


@credentials.command("list")
def credentials_list() -> None:
    """Keys, names, scopes, state (active, expired or revoked) and expiry (never secrets); tab-separated."""
    from datetime import UTC

    maker = _session_maker()
    with maker() as session:  # type: ignore[operator]
        for row in xapi.list_credentials(session, now=utcnow()):
            expires_at = None if row["expires_us"] is None else datetime.fromtimestamp(row["expires_us"] / 1e6, UTC)
            expiry = "never" if expires_at is None else f"{expires_at:%Y-%m-%d %H:%M} UTC"
            click.echo(f"{row['key']}\t{row['name']}\t{' '.join(row['scopes'])}\t{row['state']}\texpires {expiry}")


@credentials.command("revoke")
@click.argument("key")
def credentials_revoke(key: str) -> None:
    """Revoke a key at once."""
    maker = _session_maker()
    with maker() as session:  # type: ignore[operator]
        revoked = xapi.revoke_credential(session, key, now=utcnow())
        session.commit()
    if not revoked:
        raise click.ClickException(f"no active credential {key}")
    click.echo(f"revoked {key}")


def _state_file(kind: str, url: str) -> Path:
    digest = hashlib.sha256(url.encode()).hexdigest()[:16]
    return Path(current_app.instance_path) / f"lrs-{kind}-{digest}.json"


def _position(kind: str, url: str, given: str | None) -> str | None:
    if given is not None:
        return given
    path = _state_file(kind, url)
    return str(json.loads(path.read_text())["position"]) if path.exists() else None


def _remember(kind: str, url: str, position: str | None) -> None:
    if position is not None:
        path = _state_file(kind, url)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"url": url, "position": position}))


@lrs.command("pull")
@click.option("--from", "url", required=True, help="The other LRS's xAPI endpoint, e.g. https://lrs.example/xapi")
@click.option("--key", required=True)
@click.option("--secret", required=True)
@click.option("--since", default=None, help="Stored timestamp to start after (default: where the last pull stopped).")
def pull_command(url: str, key: str, secret: str, since: str | None) -> None:
    """Copy statements from another LRS, following `more` pages; resumes where it stopped."""
    start = _position("pull", url, since)
    maker = _session_maker()
    authority = {"objectType": "Agent", "name": "pull", "account": {"homePage": url, "name": key}}
    with maker() as session:  # type: ignore[operator]
        progress = xapi.pull(session, url, key, secret, since=start, authority=authority, clock=utcnow)
    _remember("pull", url, progress.position)
    click.echo(f"pulled {progress.statements} statements; next pull starts after {progress.position}")


@lrs.command("forward")
@click.option("--to", "url", required=True, help="The other LRS's xAPI endpoint.")
@click.option("--key", required=True)
@click.option("--secret", required=True)
def forward_command(url: str, key: str, secret: str) -> None:
    """Push our statements to another LRS; resumes after the last one forwarded."""
    start = _position("forward", url, None)
    maker = _session_maker()
    with maker() as session:  # type: ignore[operator]
        progress = xapi.forward(session, url, key, secret, since_us=int(start) if start else None)
    _remember("forward", url, progress.position)
    click.echo(f"forwarded {progress.statements} statements")
