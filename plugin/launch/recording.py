"""What a validated launch writes: the person, the course, the resource link and the enrolment, each inserted or,
on its unique key, brought up to date with what the launch says. Two first launches of the same person racing
each other (two tabs, a double click) meet on the unique index: the second waits, then updates.

Each row is one ``INSERT … ON CONFLICT DO UPDATE … RETURNING`` where reading then writing took two statements.
On PostgreSQL the four are one statement, each a data-modifying CTE reading the ids it needs from the ones
before it: one round trip for the launch's writes. SQLite has no data-modifying CTE, so there they are four
statements in the launch's one transaction. Either way the statement is built once per shape, its values bound
(building it at each launch cost more than running it), and run as Core returning only the few columns the launch
goes on with: an ORM-enabled INSERT takes the bulk path, at three times the CPU, and mapping the whole person and
course into ORM objects was a fifth of a launch on PostgreSQL."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, select, true, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

import lti
from plugin.launch.staff import effective_roles
from plugin.models import Base, Course, Enrolment, ResourceLink, User

__all__ = ["LaunchRecord", "record_launch"]


@dataclass(frozen=True)
class LaunchRecord:
    """What the launch goes on with: who (their id and the page language they chose) and in which course."""

    user_id: int
    language: str | None
    course_id: int | None


@dataclass(frozen=True)
class _IdOf:
    """A column that takes the id of an earlier row of the same launch."""

    row: str


@dataclass(frozen=True)
class _Row:
    model: type[Base]
    keys: dict[str, Any]  # the unique key the conflict is on
    values: dict[str, Any]  # inserted
    updated: tuple[str, ...]  # of ``values``, what a later launch rewrites

    def shape(self) -> tuple[Any, ...]:
        return self.model, tuple(self.keys), tuple(self.values), self.updated, tuple(
            name for name, value in {**self.keys, **self.values}.items() if isinstance(value, _IdOf))

    def params(self, prefix: str = "") -> dict[str, Any]:
        return {prefix + name: value for name, value in {**self.keys, **self.values}.items()
                if not isinstance(value, _IdOf)}


def _rows(ctx: lti.LaunchContext, platform_id: int, now: datetime) -> dict[str, _Row]:
    said: dict[str, Any] = {"name": ctx.name, "given_name": ctx.given_name, "family_name": ctx.family_name,
                            "email": ctx.email, "locale": ctx.locale, "last_launch_at": now,
                            "xapi_actor": ctx.xapi_actor()}
    rows = {"user": _Row(User, {"issuer": ctx.issuer, "subject": ctx.subject}, {**said, "created_at": now},
                         tuple(said))}
    if ctx.context is None:
        return rows
    said = {"title": ctx.context.title, "label": ctx.context.label, "platform_id": platform_id, "updated_at": now}
    # Service URLs are only as good as the last launch that carried them (AGS 2.0 §3.1, NRPS 2.0 §3.6.1.1).
    if ctx.ags is not None:
        said.update(lineitems_url=ctx.ags.lineitems, ags_scopes=list(ctx.ags.scope))
    if ctx.nrps is not None:
        said.update(memberships_url=ctx.nrps.context_memberships_url)
    rows["course"] = _Row(Course, {"issuer": ctx.issuer, "context_id": ctx.context.id}, {"ags_scopes": [], **said},
                          tuple(said))
    if ctx.resource_link is not None:
        # Deep Linking 2.0 §3.1: custom parameters of the content item come back in every launch (and survive
        # a Moodle course copy), so they are the source of truth for the bound unit.
        said = {"course_id": _IdOf("course"), "title": ctx.resource_link.title, "updated_at": now,
                "custom": dict(ctx.custom), "unit_code": ctx.custom.get("unit_code") or None,
                "lineitem_url": ctx.ags.lineitem if ctx.ags is not None else None}
        rows["link"] = _Row(ResourceLink, {"issuer": ctx.issuer, "resource_link_id": ctx.resource_link.id}, said,
                            tuple(said))
    # Once launched, always "launch": the roster must not hide that.
    said = {"source": "launch", "launch_roles": list(ctx.roles), "status": "Active", "updated_at": now}
    rows["enrolment"] = _Row(Enrolment, {"course_id": _IdOf("course"), "user_id": _IdOf("user")},
                             {**said, "roles": effective_roles(ctx.roles, None, None)}, tuple(said))
    return rows


_RETURNED: dict[type[Base], tuple[str, ...]] = {
    User: ("id", "language"), Course: ("id",), ResourceLink: ("id",),
    Enrolment: ("id", "roles", "launch_roles", "nrps_roles", "moodle_roles")}


def _upsert(row: _Row, dialect: str, value: Any) -> Any:
    """INSERT … ON CONFLICT DO UPDATE … RETURNING, each value what ``value(column name, given value)`` gives."""
    table = cast(Table, row.model.__table__)
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)
    insert = insert.values({name: value(name, given) for name, given in {**row.keys, **row.values}.items()})
    # Short matters: psycopg neither caches the parsing of nor prepares a statement over 4,096 characters, and
    # on PostgreSQL all four are one.
    return insert.on_conflict_do_update(index_elements=list(row.keys),
                                        set_={name: insert.excluded[name] for name in row.updated}
                                        ).returning(*(table.c[name] for name in _RETURNED[row.model]))


_statements: dict[tuple[Any, ...], Any] = {}


def _bound(row: _Row, prefix: str = "") -> Any:
    table = cast(Table, row.model.__table__)
    return lambda name, _given: bindparam(prefix + name, type_=table.c[name].type)


def _one_at_a_time(session: Session, rows: dict[str, _Row]) -> tuple[Any, ...]:
    found: dict[str, Any] = {}
    for name, row in rows.items():
        shape = ("sqlite", *row.shape())
        statement = _statements.get(shape)
        if statement is None:
            statement = _statements[shape] = _upsert(row, "sqlite", _bound(row))
        ids = {column: found[given.row].id for column, given in {**row.keys, **row.values}.items()
               if isinstance(given, _IdOf)}
        found[name] = session.execute(statement, {**row.params(), **ids}).one()
    course, enrolment = found.get("course"), found.get("enrolment")
    return (*found["user"], None if course is None else course.id, None if enrolment is None else tuple(enrolment))


def _in_one_statement(session: Session, rows: dict[str, _Row]) -> tuple[Any, ...]:
    shape = ("postgresql", *(row.shape() for row in rows.values()))
    statement = _statements.get(shape)
    if statement is None:
        ctes: dict[str, Any] = {}
        for name, row in rows.items():
            # One-letter names and prefixes keep the statement under psycopg's 4,096 characters (see _upsert).
            bound = _bound(row, f"{name[0]}_")

            def value(column: str, given: Any, bound: Any = bound) -> Any:
                return select(ctes[given.row].c.id).scalar_subquery() if isinstance(given, _IdOf) \
                    else bound(column, given)

            ctes[name] = _upsert(row, "postgresql", value).cte(name[0])
        # Every CTE is selected from, so SQLAlchemy writes each; each returns exactly one row, so joining them
        # on true is the one row of the launch.
        joined = ctes["user"]
        for name in list(ctes)[1:]:
            joined = joined.join(ctes[name], true())
        columns: list[Any] = [ctes["user"].c.id, ctes["user"].c.language]
        if "course" in ctes:
            columns.append(ctes["course"].c.id)
            columns += [ctes["enrolment"].c[name] for name in _RETURNED[Enrolment]]
        if "link" in ctes:
            columns.append(ctes["link"].c.id)
        statement = _statements[shape] = select(*columns).select_from(joined)
    params = {key: value for name, row in rows.items() for key, value in row.params(f"{name[0]}_").items()}
    found = session.execute(statement, params).one()
    if "course" not in rows:
        return found[0], found[1], None, None
    return found[0], found[1], found[2], tuple(found[3:3 + len(_RETURNED[Enrolment])])


def record_launch(session: Session, ctx: lti.LaunchContext, platform_id: int, *, now: datetime) -> LaunchRecord:
    """Write the user, course, resource link and membership a validated launch describes (registration
    ``platform_id``)."""
    rows = _rows(ctx, platform_id, now)
    if session.get_bind().dialect.name == "postgresql":
        user_id, language, course_id, enrolment = _in_one_statement(session, rows)
    else:
        user_id, language, course_id, enrolment = _one_at_a_time(session, rows)
    if enrolment is not None:
        enrolment_id, roles, launch_roles, nrps_roles, moodle_roles = enrolment
        settled = effective_roles(launch_roles, nrps_roles, moodle_roles)
        if settled != roles:  # a second statement only when the roster's or Moodle's roles make them differ
            session.execute(update(Enrolment).where(Enrolment.id == enrolment_id).values(roles=settled)
                            .execution_options(synchronize_session=False))
    return LaunchRecord(user_id, language, course_id)
