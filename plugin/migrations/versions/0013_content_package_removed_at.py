"""A removed content package keeps its row, marked removed (plugin.content.store.remove_package).

Deleting the row let SQLite give the next upload the same id (it numbers from the highest id present), and
Moodle links placed for the removed package, which name it by id, would have opened the new one.

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('content_packages', sa.Column('removed_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    # Not batch mode: on SQLite that copies the table and drops the old one, and with foreign keys on, dropping
    # content_packages would take every launch row with it (ON DELETE CASCADE). SQLite drops a plain column itself.
    op.drop_column('content_packages', 'removed_at')
