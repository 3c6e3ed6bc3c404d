"""The assessor's caseload: a summary per portfolio snapshot and per unit of it (written beside each new snapshot;
for the newest and the judged snapshots already stored, here) and learners' requests to be assessed again.

Revision ID: 0017
Revises: 0016
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'portfolio_snapshot_summaries',
        sa.Column('course_id', sa.Integer(), nullable=False),
        sa.Column('learner_id', sa.Integer(), nullable=False),
        sa.Column('number', sa.Integer(), nullable=False),
        sa.Column('evidenced', sa.Integer(), nullable=False),
        sa.Column('total', sa.Integer(), nullable=False),
        sa.Column('newest_evidence', sa.String(length=40), nullable=True),
        sa.ForeignKeyConstraint(['course_id'], ['courses.id'],
                                name=op.f('fk_portfolio_snapshot_summaries_course_id_courses'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['learner_id'], ['users.id'],
                                name=op.f('fk_portfolio_snapshot_summaries_learner_id_users'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('course_id', 'learner_id', 'number', name=op.f('pk_portfolio_snapshot_summaries')),
    )
    op.create_table(
        'portfolio_unit_summaries',
        sa.Column('course_id', sa.Integer(), nullable=False),
        sa.Column('learner_id', sa.Integer(), nullable=False),
        sa.Column('number', sa.Integer(), nullable=False),
        sa.Column('unit_code', sa.String(length=40), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('evidenced', sa.Integer(), nullable=False),
        sa.Column('total', sa.Integer(), nullable=False),
        sa.Column('evidence_key', sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(['course_id'], ['courses.id'],
                                name=op.f('fk_portfolio_unit_summaries_course_id_courses'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['learner_id'], ['users.id'],
                                name=op.f('fk_portfolio_unit_summaries_learner_id_users'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('course_id', 'learner_id', 'number', 'unit_code',
                                name=op.f('pk_portfolio_unit_summaries')),
    )
    op.create_table(
        'reassessment_requests',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('course_id', sa.Integer(), nullable=False),
        sa.Column('learner_id', sa.Integer(), nullable=False),
        sa.Column('note', sa.Text(), nullable=False),
        sa.Column('snapshot_number', sa.Integer(), nullable=True),
        sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('answered_by_judgement_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['course_id'], ['courses.id'], name=op.f('fk_reassessment_requests_course_id_courses'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['learner_id'], ['users.id'], name=op.f('fk_reassessment_requests_learner_id_users'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['answered_by_judgement_id'], ['portfolio_judgements.id'],
                                name=op.f('fk_reassessment_requests_answered_by_judgement_id_portfolio_judgements'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_reassessment_requests')),
    )
    op.create_index('ix_reassessment_requests_course_learner', 'reassessment_requests', ['course_id', 'learner_id'])
    _summarise_existing()


def _summarise_existing() -> None:
    """Summaries of the snapshots already stored, computed here rather than by the first caseload page, which
    would otherwise read every document of a large course in one request."""
    from sqlalchemy.orm import Session

    from plugin.portfolios.summaries import summarise_missing

    session = Session(bind=op.get_bind())
    for (course_id,) in session.execute(sa.text("SELECT DISTINCT course_id FROM portfolio_snapshots")):
        summarise_missing(session, course_id)
    session.flush()


def downgrade() -> None:
    op.drop_index('ix_reassessment_requests_course_learner', table_name='reassessment_requests')
    op.drop_table('reassessment_requests')
    op.drop_table('portfolio_unit_summaries')
    op.drop_table('portfolio_snapshot_summaries')
