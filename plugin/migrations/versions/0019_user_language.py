"""A person's chosen page language (the Thai/English switch), kept across launches.

Revision ID: 0019
Revises: 0018
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('users', sa.Column('language', sa.String(length=2), nullable=True))


def downgrade() -> None:
    # Not batch mode: on SQLite that copies users and drops the old table, and with foreign keys on the drop would
    # take every row that references a user with it (ON DELETE CASCADE). SQLite drops a plain column itself.
    op.drop_column('users', 'language')
