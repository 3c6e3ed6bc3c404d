"""The LRS tables, lrsql's shape: the statement as received plus a few indexed columns, and link tables
statement↔agent and statement↔activity that the ``agent``/``activity`` filters (xAPI 1.0.3 Part Three
§2.1.3) read.  Times are integer microseconds since the epoch so the ``more`` cursor is exact."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Index,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

__all__ = [
    "ActivityDefinition",
    "Attachment",
    "Credential",
    "Document",
    "LrsBase",
    "Statement",
    "StatementActivity",
    "StatementAgent",
    "metadata",
]

# The same naming convention as plugin.models, so Alembic batch mode (SQLite) and PostgreSQL agree.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

JsonData = JSON().with_variant(JSONB(), "postgresql")
IRI = String(2048)


class LrsBase(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {dict[str, Any]: JsonData, list[Any]: JsonData}


class Statement(LrsBase):
    """One stored Statement.  ``raw`` is the JSON text as received (plus the LRS-assigned properties)
    for ``format=exact`` and signature checks; ``full`` is the parsed form the other formats start from."""

    __tablename__ = "lrs_statements"
    __table_args__ = (
        Index("ix_lrs_statements_stored", "stored_us", "statement_id"),
        # statement_id last: pages are ordered by (stored_us, statement_id), and a batch shares one stored_us,
        # so without it the database sorts every matching row before taking a page.
        Index("ix_lrs_statements_verb", "verb_iri", "stored_us", "statement_id"),
        # Only the statements that have one: a NULL entry per statement was a page written for nothing, and
        # each query of these compares the column with a value, which implies it is not NULL.
        Index("ix_lrs_statements_registration", "registration", "stored_us", "statement_id",
              sqlite_where=text("registration IS NOT NULL"), postgresql_where=text("registration IS NOT NULL")),
        Index("ix_lrs_statements_target", "target_id",
              sqlite_where=text("target_id IS NOT NULL"), postgresql_where=text("target_id IS NOT NULL")),
    )

    statement_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    stored_us: Mapped[int] = mapped_column(BigInteger)
    verb_iri: Mapped[str] = mapped_column(IRI)
    registration: Mapped[str | None] = mapped_column(String(36))
    actor_ifi: Mapped[str | None] = mapped_column(String(2048))
    # StatementRef target (voiding or not): filters also match statements that reference a match (§2.1.3).
    target_id: Mapped[str | None] = mapped_column(String(36))
    is_voiding: Mapped[bool] = mapped_column(Boolean, default=False)
    voided: Mapped[bool] = mapped_column(Boolean, default=False)
    credential_key: Mapped[str | None] = mapped_column(String(64))
    raw: Mapped[str] = mapped_column(Text)
    # NULL when the statement holds a NUL character, which PostgreSQL's JSONB cannot store.
    full: Mapped[dict[str, Any] | None] = mapped_column()


class StatementAgent(LrsBase):
    """statement↔agent: ``direct`` rows (actor, object, group members) match ``agent``; every row matches
    ``agent`` with ``related_agents=true`` (authority, instructor, team, SubStatement agents).

    The key is the query order, (ifi, stored_us, statement_id), and on SQLite the table is that key's
    B-tree (WITHOUT ROWID): a statement's link rows cost one B-tree each here plus the agent+verb index,
    not four. A lookup for one statement gives its stored_us too, so it is still a key lookup."""

    __tablename__ = "lrs_statement_agents"
    __table_args__ = (
        PrimaryKeyConstraint("ifi", "stored_us", "statement_id"),
        # agent+verb, the commonest query of one learner's record, as one index range on every database.
        Index("ix_lrs_statement_agents_verb", "ifi", "verb_iri", "stored_us", "statement_id"),
        {"sqlite_with_rowid": False},
    )

    ifi: Mapped[str] = mapped_column(String(2048))
    stored_us: Mapped[int] = mapped_column(BigInteger)
    statement_id: Mapped[str] = mapped_column(String(36))
    direct: Mapped[bool] = mapped_column(Boolean)
    # The statement's verb (index key), copied here so agent+verb needs no join to find its rows.
    verb_iri: Mapped[str | None] = mapped_column(IRI)


class StatementActivity(LrsBase):
    """statement↔activity: the object Activity is ``direct``; context activities and SubStatement
    activities only match with ``related_activities=true``.  Keyed like StatementAgent; the statement_id
    index serves "every activity of these statements" (LRS-seen course modules, voided targets)."""

    __tablename__ = "lrs_statement_activities"
    __table_args__ = (
        PrimaryKeyConstraint("activity_iri", "stored_us", "statement_id"),
        Index("ix_lrs_statement_activities_statement", "statement_id"),
        {"sqlite_with_rowid": False},
    )

    activity_iri: Mapped[str] = mapped_column(IRI)
    stored_us: Mapped[int] = mapped_column(BigInteger)
    statement_id: Mapped[str] = mapped_column(String(36))
    direct: Mapped[bool] = mapped_column(Boolean)


class ActivityDefinition(LrsBase):
    """The canonical Activity Object the Activities Resource returns (xAPI 1.0.3 Part Three §2.5)."""

    __tablename__ = "lrs_activities"

    activity_iri: Mapped[str] = mapped_column(IRI, primary_key=True)
    definition: Mapped[dict[str, Any]] = mapped_column()


class Attachment(LrsBase):
    """Attachment payloads, content-addressed by SHA-2 (xAPI 1.0.3 §2.4.11)."""

    __tablename__ = "lrs_attachments"

    sha2: Mapped[str] = mapped_column(String(128), primary_key=True)
    content_type: Mapped[str] = mapped_column(String(255))
    content: Mapped[bytes] = mapped_column(LargeBinary)


class Document(LrsBase):
    """State, Activity Profile and Agent Profile documents (xAPI 1.0.3 Part Three §2.3, §2.6, §2.7).
    Absent keys are '' rather than NULL so the unique constraint holds on every database."""

    __tablename__ = "lrs_documents"
    __table_args__ = (
        UniqueConstraint("kind", "activity_iri", "agent_ifi", "registration", "document_id"),
        Index("ix_lrs_documents_lookup", "kind", "activity_iri", "agent_ifi", "registration"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    activity_iri: Mapped[str] = mapped_column(IRI)
    agent_ifi: Mapped[str] = mapped_column(String(2048))
    registration: Mapped[str] = mapped_column(String(36))
    document_id: Mapped[str] = mapped_column(String(2048))
    content_type: Mapped[str] = mapped_column(String(255))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    etag: Mapped[str] = mapped_column(String(64))
    updated_us: Mapped[int] = mapped_column(BigInteger)


class Credential(LrsBase):
    """A Basic-auth key and secret; the secret only as a salted scrypt hash."""

    __tablename__ = "lrs_credentials"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    salt: Mapped[bytes] = mapped_column(LargeBinary)
    secret_hash: Mapped[bytes] = mapped_column(LargeBinary)
    scopes: Mapped[list[Any]] = mapped_column()
    authority: Mapped[dict[str, Any]] = mapped_column()
    registration: Mapped[str | None] = mapped_column(String(36))
    # A launch credential (content packages) is bound to one agent and one registration.
    agent: Mapped[dict[str, Any] | None] = mapped_column()
    agent_ifi: Mapped[str | None] = mapped_column(String(2048))
    created_us: Mapped[int] = mapped_column(BigInteger)
    expires_us: Mapped[int | None] = mapped_column(BigInteger)
    revoked_us: Mapped[int | None] = mapped_column(BigInteger)


metadata = LrsBase.metadata
