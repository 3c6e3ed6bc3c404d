"""Portfolios: compile runs, snapshots, compile state, scheduler lock (plugin.models.portfolios).

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('portfolio_compile_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('trigger', sa.String(length=16), nullable=False),
    sa.Column('scope', sa.Text(), nullable=False),
    sa.Column('full', sa.Boolean(), nullable=False),
    sa.Column('as_of', sa.DateTime(timezone=True), nullable=False),
    sa.Column('watermark_us', sa.BigInteger(), nullable=True),
    sa.Column('courses', sa.Integer(), nullable=False),
    sa.Column('learners_compiled', sa.Integer(), nullable=False),
    sa.Column('snapshots_created', sa.Integer(), nullable=False),
    sa.Column('statements_read', sa.Integer(), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_portfolio_compile_runs'))
    )
    op.create_table('portfolio_compile_states',
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('learner_id', sa.Integer(), nullable=False),
    sa.Column('mapping_version', sa.Integer(), nullable=False),
    sa.Column('compiled_us', sa.BigInteger(), nullable=False),
    sa.Column('as_of', sa.DateTime(timezone=True), nullable=False),
    sa.Column('settled', sa.Boolean(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['course_id'], ['courses.id'], name=op.f('fk_portfolio_compile_states_course_id_courses'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['learner_id'], ['users.id'], name=op.f('fk_portfolio_compile_states_learner_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('course_id', 'learner_id', name=op.f('pk_portfolio_compile_states'))
    )
    op.create_table('portfolio_snapshots',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('learner_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('mapping_version', sa.Integer(), nullable=False),
    sa.Column('as_of', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=True),
    sa.Column('document', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.ForeignKeyConstraint(['course_id'], ['courses.id'], name=op.f('fk_portfolio_snapshots_course_id_courses'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['learner_id'], ['users.id'], name=op.f('fk_portfolio_snapshots_learner_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['run_id'], ['portfolio_compile_runs.id'], name=op.f('fk_portfolio_snapshots_run_id_portfolio_compile_runs'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_portfolio_snapshots')),
    sa.UniqueConstraint('course_id', 'learner_id', 'number', name=op.f('uq_portfolio_snapshots_course_id'))
    )
    op.create_table('scheduler_locks',
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('holder', sa.String(length=128), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_scheduler_locks'))
    )


def downgrade() -> None:
    op.drop_table('scheduler_locks')
    op.drop_table('portfolio_snapshots')
    op.drop_table('portfolio_compile_states')
    op.drop_table('portfolio_compile_runs')
