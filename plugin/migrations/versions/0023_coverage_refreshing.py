"""When a worker took on a course's full coverage read in the background (coverage_progress.refreshing_since),
so a large course's first view after a mapping change answers from the last figures and only one process reads
every statement. Existing rows start with no refresh under way.

Revision ID: 0023
Revises: 0022
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('coverage_progress', sa.Column('refreshing_since', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    # Not batch mode: on SQLite that copies the table (see 0022); SQLite drops a plain column itself.
    op.drop_column('coverage_progress', 'refreshing_since')
