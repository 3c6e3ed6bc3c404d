"""Service calls: NRPS roster syncs and AGS grades run by a background runner with retries, never inside the
request that asked for them (Moodle's token endpoint fetches our JWKS while it answers).

Revision ID: 0016
Revises: 0015
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'service_calls',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('course_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('key', sa.String(length=80), nullable=False),
        sa.Column('payload', sa.JSON().with_variant(JSONB(), 'postgresql'), nullable=False),
        sa.Column('status', sa.String(length=12), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('claimed_until', sa.DateTime(timezone=True), nullable=True),
        sa.Column('result', sa.Text(), nullable=True),
        sa.Column('error', sa.Text(), nullable=True),
        sa.Column('requested_by', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['course_id'], ['courses.id'], name=op.f('fk_service_calls_course_id_courses'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['requested_by'], ['users.id'], name=op.f('fk_service_calls_requested_by_users'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_service_calls')),
    )
    op.create_index('ix_service_calls_due', 'service_calls', ['status', 'next_attempt_at'])
    op.create_index('ix_service_calls_course_key', 'service_calls', ['course_id', 'key', 'id'])


def downgrade() -> None:
    op.drop_index('ix_service_calls_course_key', table_name='service_calls')
    op.drop_index('ix_service_calls_due', table_name='service_calls')
    op.drop_table('service_calls')
