"""The activity filter reads the activity link table: lrs_statements loses its activity_iri column and index
(issue 3, xapi.query).

Every statement's object Activity is already a link row (activity_iri, stored_us, statement_id, direct=true);
the column's index was one more B-tree written at a random place for every statement stored.

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index('ix_lrs_statements_activity', table_name='lrs_statements')
    op.drop_column('lrs_statements', 'activity_iri')


def downgrade() -> None:
    op.add_column('lrs_statements', sa.Column('activity_iri', sa.String(length=2048), nullable=True))
    # A statement's one direct activity link is its object (xapi.prepare._statement_activities).
    op.execute('UPDATE lrs_statements SET activity_iri = (SELECT a.activity_iri FROM lrs_statement_activities a '
               'WHERE a.statement_id = lrs_statements.statement_id AND a.direct)')
    op.create_index('ix_lrs_statements_activity', 'lrs_statements', ['activity_iri', 'stored_us', 'statement_id'],
                    unique=False)
