"""``samattha platforms …`` (whom Samattha trusts) and ``samattha keys …`` (its own signing keys)."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select
from sqlalchemy.orm import Session

import lti
from plugin.clock import utcnow
from plugin.launch import keys as tool_keys
from plugin.launch.repository import save_registration
from plugin.models import Platform
from plugin.moodle_ws import save_token

__all__ = ["keys", "platforms"]


def _session() -> Session:
    session: Session = current_app.extensions["samattha.sessionmaker"]()
    return session


@click.group(cls=AppGroup)
def platforms() -> None:
    """LTI 1.3 platforms (Moodle sites) Samattha trusts."""


@platforms.command("add")
@click.option("--issuer", required=True, help="The platform's issuer: Moodle's wwwroot.")
@click.option("--client-id", required=True, help="The client ID the platform gave this tool.")
@click.option("--deployment-id", "deployment_ids", multiple=True, required=True, help="Deployment ID (repeatable).")
@click.option("--auth-url", required=True, help="OIDC authorisation endpoint (Moodle: /mod/lti/auth.php).")
@click.option("--token-url", required=True, help="OAuth 2 token endpoint (Moodle: /mod/lti/token.php).")
@click.option("--jwks-url", required=True, help="The platform's public key set (Moodle: /mod/lti/certs.php).")
def platforms_add(issuer: str, client_id: str, deployment_ids: tuple[str, ...], auth_url: str, token_url: str,
                  jwks_url: str) -> None:
    """Register a platform by hand (what dynamic registration does for you); adds deployments to an
    existing registration of the same issuer and client ID."""
    for name, url in (("--auth-url", auth_url), ("--token-url", token_url), ("--jwks-url", jwks_url)):
        if not url.startswith(("https://", "http://")):
            raise click.BadParameter(f"{url!r} is not a web URL", param_hint=name)
    # The issuer is kept exactly as given: launches must match it character for character (LTI Core 1.3 §5.1.2).
    registration = lti.Registration(issuer, client_id, auth_url, token_url, jwks_url, deployment_ids)
    with _session() as session:
        platform = save_registration(session, registration, source="manual", now=utcnow())
        session.commit()
        click.echo(f"platform {platform.id}: {platform.issuer} client_id {platform.client_id} deployments "
                   + ", ".join(d.deployment_id for d in platform.deployments))


@platforms.command("list")
def platforms_list() -> None:
    """Issuer, client ID, deployments, how it was registered, and whether it is active."""
    with _session() as session:
        rows = list(session.scalars(select(Platform).order_by(Platform.issuer, Platform.client_id)))
        if not rows:
            click.echo("no platform is registered: use `samattha platforms add` or Moodle's dynamic registration")
        for row in rows:
            deployments = ",".join(d.deployment_id for d in row.deployments) or "-"
            state = "active" if row.active else "inactive"
            click.echo(f"{row.issuer}\t{row.client_id}\tdeployments={deployments}\t{row.source}\t{state}")


@platforms.command("webservice")
@click.option("--issuer", required=True, help="The registered platform's issuer (Moodle's wwwroot).")
@click.option("--token", required=True, help="A Moodle Web Services token allowed core_course_get_contents.")
@click.option("--url", default=None, help="Where Moodle answers Web Services, if not at the issuer.")
def platforms_webservice(issuer: str, token: str, url: str | None) -> None:
    """Store the platform's Moodle Web Services token: mapping then lists a course's activities from Moodle."""
    if url is not None and not url.startswith(("https://", "http://")):
        raise click.BadParameter(f"{url!r} is not a web URL", param_hint="--url")
    with _session() as session:
        if session.scalars(select(Platform).where(Platform.issuer == issuer)).first() is None:
            raise click.BadParameter(f"no platform with issuer {issuer!r}: see `samattha platforms list`",
                                     param_hint="--issuer")
        try:
            service = save_token(session, issuer=issuer, token=token, url=url, now=utcnow())
        except ValueError as err:
            raise click.BadParameter(str(err), param_hint="--token") from None
        session.commit()
        click.echo(f"web services token stored for {issuer} (calls {service.url}/webservice/rest/server.php)")


@click.group(cls=AppGroup)
def keys() -> None:
    """The tool's RSA signing keys (published at /.well-known/jwks.json)."""


@keys.command("rotate")
def keys_rotate() -> None:
    """Add a key that signs from now on; older keys stay published until `samattha keys retire`."""
    with _session() as session:
        tool_keys.current_key(session, now=utcnow())  # a fresh install rotates away from a real first key
        row = tool_keys.rotate_key(session, now=utcnow())
        session.commit()
        click.echo(f"new signing key {row.kid}")


@keys.command("retire")
@click.option("--kid", default=None, help="Retire this key only (default: every key but the current one).")
def keys_retire(kid: str | None) -> None:
    """Stop publishing old keys, once every token they signed has expired."""
    with _session() as session:
        try:
            retired = tool_keys.retire_keys(session, now=utcnow(), kid=kid)
        except (LookupError, ValueError) as error:
            raise click.ClickException(str(error)) from error
        session.commit()
    click.echo("retired " + (", ".join(retired) if retired else "nothing"))


@keys.command("list")
def keys_list() -> None:
    """kid, created, and state (current / published / retired); never the private key."""
    with _session() as session:
        rows = tool_keys.list_keys(session)
        current = next((row.kid for row in reversed(rows) if row.retired_at is None), None)
        for row in rows:
            state = "current" if row.kid == current else ("retired" if row.retired_at else "published")
            click.echo(f"{row.kid}\t{row.created_at:%Y-%m-%d %H:%M:%S}\t{state}")
