"""The registration and StatementRef-target indexes hold only statements that have one (issue 3, xapi.models).

Most statements (all of Moodle's) have neither a registration nor a StatementRef object, yet each wrote a NULL
entry into both indexes. Every query that reads them compares the column with a value, which implies it is not
NULL, so SQLite and PostgreSQL still use them.

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

_INDEXES = {'ix_lrs_statements_registration': ['registration', 'stored_us', 'statement_id'],
            'ix_lrs_statements_target': ['target_id']}


def _recreate(partial: bool) -> None:
    for name, columns in _INDEXES.items():
        op.drop_index(name, table_name='lrs_statements')
        where = sa.text(f'{columns[0]} IS NOT NULL') if partial else None
        op.create_index(name, 'lrs_statements', columns, unique=False, sqlite_where=where, postgresql_where=where)


def upgrade() -> None:
    _recreate(partial=True)


def downgrade() -> None:
    _recreate(partial=False)
