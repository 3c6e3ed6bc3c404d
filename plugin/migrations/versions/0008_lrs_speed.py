"""LRS: indexes, columns and launch-credential bindings (issue 3, xapi.models).

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# (table, index, columns before, columns now): page order is (stored_us, statement_id).
_WIDENED = [
    ('lrs_statements', 'ix_lrs_statements_verb', ['verb_iri', 'stored_us']),
    ('lrs_statements', 'ix_lrs_statements_activity', ['activity_iri', 'stored_us']),
    ('lrs_statements', 'ix_lrs_statements_registration', ['registration', 'stored_us']),
    ('lrs_statement_agents', 'ix_lrs_statement_agents_ifi', ['ifi', 'stored_us']),
    ('lrs_statement_activities', 'ix_lrs_statement_activities_iri', ['activity_iri', 'stored_us']),
]

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    json_type = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')
    with op.batch_alter_table('lrs_credentials', schema=None) as batch_op:
        batch_op.add_column(sa.Column('agent', json_type, nullable=True))
        batch_op.add_column(sa.Column('agent_ifi', sa.String(length=2048), nullable=True))
    with op.batch_alter_table('lrs_statement_agents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('verb_iri', sa.String(length=2048), nullable=True))
    # Rows stored before this revision take their statement's verb.
    op.execute(
        'UPDATE lrs_statement_agents SET verb_iri = (SELECT s.verb_iri FROM lrs_statements s '
        'WHERE s.statement_id = lrs_statement_agents.statement_id)'
    )
    with op.batch_alter_table('lrs_statement_agents', schema=None) as batch_op:
        batch_op.create_index(
            'ix_lrs_statement_agents_verb', ['ifi', 'verb_iri', 'stored_us', 'statement_id'], unique=False
        )
    for table, index, columns in _WIDENED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(index)
            batch_op.create_index(index, [*columns, 'statement_id'], unique=False)


def downgrade() -> None:
    for table, index, columns in _WIDENED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(index)
            batch_op.create_index(index, columns, unique=False)
    with op.batch_alter_table('lrs_statement_agents', schema=None) as batch_op:
        batch_op.drop_index('ix_lrs_statement_agents_verb')
        batch_op.drop_column('verb_iri')
    with op.batch_alter_table('lrs_credentials', schema=None) as batch_op:
        batch_op.drop_column('agent_ifi')
        batch_op.drop_column('agent')
