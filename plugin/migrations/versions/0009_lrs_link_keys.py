"""LRS link tables keyed by their query order, WITHOUT ROWID on SQLite (issue 3, xapi.models).

A statement's agent links cost two B-trees instead of four, its activity links two instead of three.
The rows are copied; nothing is lost.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.schema import SchemaItem

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

_IRI = sa.String(length=2048)


def _links(table: str, iri: str, key: list[str], *extra: sa.Column[str]) -> list[SchemaItem]:
    """A link table's columns: the agent IFI or activity IRI, the statement, and ``key`` as primary key."""
    return [
        sa.Column(iri, _IRI, nullable=False),
        sa.Column('stored_us', sa.BigInteger(), nullable=False),
        sa.Column('statement_id', sa.String(length=36), nullable=False),
        sa.Column('direct', sa.Boolean(), nullable=False),
        *extra,
        sa.PrimaryKeyConstraint(*key, name=op.f(f'pk_{table}')),
    ]


def _agents(key: list[str]) -> list[SchemaItem]:
    return _links('lrs_statement_agents', 'ifi', key, sa.Column('verb_iri', _IRI, nullable=True))


def _activities(key: list[str]) -> list[SchemaItem]:
    return _links('lrs_statement_activities', 'activity_iri', key)


def _rebuild(table: str, columns: list[SchemaItem], old_indexes: list[str], **options: bool) -> None:
    """Move ``table`` aside, create it anew and copy its rows. Index and key names are schema-wide
    (SQLite indexes, PostgreSQL constraints), so the old ones go first."""
    for index in old_indexes:
        op.drop_index(index, table_name=table)
    op.rename_table(table, f'{table}_old')
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(f'ALTER TABLE {table}_old RENAME CONSTRAINT pk_{table} TO pk_{table}_old')
    op.create_table(table, *columns, **options)
    names = ', '.join(c.name for c in columns if isinstance(c, sa.Column))
    op.execute(f'INSERT INTO {table} ({names}) SELECT {names} FROM {table}_old')
    op.drop_table(f'{table}_old')


def upgrade() -> None:
    _rebuild('lrs_statement_agents', _agents(['ifi', 'stored_us', 'statement_id']),
             ['ix_lrs_statement_agents_ifi', 'ix_lrs_statement_agents_verb'], sqlite_with_rowid=False)
    op.create_index('ix_lrs_statement_agents_verb', 'lrs_statement_agents',
                    ['ifi', 'verb_iri', 'stored_us', 'statement_id'], unique=False)
    _rebuild('lrs_statement_activities', _activities(['activity_iri', 'stored_us', 'statement_id']),
             ['ix_lrs_statement_activities_iri'], sqlite_with_rowid=False)
    op.create_index('ix_lrs_statement_activities_statement', 'lrs_statement_activities', ['statement_id'],
                    unique=False)


def downgrade() -> None:
    _rebuild('lrs_statement_agents', _agents(['statement_id', 'ifi']), ['ix_lrs_statement_agents_verb'])
    op.create_index('ix_lrs_statement_agents_ifi', 'lrs_statement_agents',
                    ['ifi', 'stored_us', 'statement_id'], unique=False)
    op.create_index('ix_lrs_statement_agents_verb', 'lrs_statement_agents',
                    ['ifi', 'verb_iri', 'stored_us', 'statement_id'], unique=False)
    _rebuild('lrs_statement_activities', _activities(['statement_id', 'activity_iri']),
             ['ix_lrs_statement_activities_statement'])
    op.create_index('ix_lrs_statement_activities_iri', 'lrs_statement_activities',
                    ['activity_iri', 'stored_us', 'statement_id'], unique=False)
