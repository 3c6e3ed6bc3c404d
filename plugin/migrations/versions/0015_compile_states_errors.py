"""Compile states lose ``settled``: the compile watermark is now the LRS's honest Consistent-Through
(xapi.consistency), so no learner waits for a settle window to be checked again. They gain ``error``: a
learner whose compilation failed is recorded, shown, and compiled again by the next run.

Revision ID: 0015
Revises: 0014
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_column('portfolio_compile_states', 'settled')
    op.add_column('portfolio_compile_states', sa.Column('error', sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column('portfolio_compile_states', 'error')
    op.add_column('portfolio_compile_states',
                  sa.Column('settled', sa.Boolean(), nullable=False, server_default=sa.false()))
