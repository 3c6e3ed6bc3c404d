"""A content package's unpacked size is a 64-bit number: the per-package limit (SAMATTHA_PACKAGE_MAX_SIZE) is 2 GiB
by default and may be set higher, and PostgreSQL's integer stops one byte short of 2 GiB.

Revision ID: 0018
Revises: 0017
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # SQLite's INTEGER is already 64-bit, and changing a column's type there would copy the table (batch mode),
    # which with foreign keys on would take the launch rows with it (see 0013).
    if op.get_bind().dialect.name == 'postgresql':
        op.alter_column('content_packages', 'size', type_=sa.BigInteger(), existing_type=sa.Integer(),
                        existing_nullable=False)


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.alter_column('content_packages', 'size', type_=sa.Integer(), existing_type=sa.BigInteger(),
                        existing_nullable=False)
