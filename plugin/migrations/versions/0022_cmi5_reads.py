"""Whether a cmi5 launch's AU has read LMS.LaunchData and the learner preferences (cmi5 §10, §11: both before
initialized). Launches made before this start as not read: they are hours old, and their credentials expire.

Revision ID: 0022
Revises: 0021
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade() -> None:
    for column in ('launch_data_read', 'preferences_read'):
        op.add_column('content_launches', sa.Column(column, sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    # Not batch mode: on SQLite that copies the table, and with foreign keys on the drop would take what
    # references it along (see 0019). SQLite drops a plain column itself.
    for column in ('preferences_read', 'launch_data_read'):
        op.drop_column('content_launches', column)
