"""The conversation per unit between a learner and the course's assessors, and when the learner last looked at
what is new for them.

Revision ID: 0021
Revises: 0020
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'unit_comments',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('course_id', sa.Integer(), nullable=False),
        sa.Column('learner_id', sa.Integer(), nullable=False),
        sa.Column('unit_code', sa.String(length=40), nullable=False),
        sa.Column('author_id', sa.Integer(), nullable=False),
        sa.Column('role', sa.String(length=16), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['course_id'], ['courses.id'], name=op.f('fk_unit_comments_course_id_courses'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['learner_id'], ['users.id'], name=op.f('fk_unit_comments_learner_id_users'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_unit_comments_author_id_users'),
                                ondelete='RESTRICT'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_unit_comments')),
    )
    op.create_index('ix_unit_comments_course_learner_unit', 'unit_comments', ['course_id', 'learner_id', 'unit_code'])
    op.create_table(
        'learner_news_seen',
        sa.Column('course_id', sa.Integer(), nullable=False),
        sa.Column('learner_id', sa.Integer(), nullable=False),
        sa.Column('seen_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['course_id'], ['courses.id'], name=op.f('fk_learner_news_seen_course_id_courses'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['learner_id'], ['users.id'], name=op.f('fk_learner_news_seen_learner_id_users'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('course_id', 'learner_id', name=op.f('pk_learner_news_seen')),
    )


def downgrade() -> None:
    op.drop_table('learner_news_seen')
    op.drop_index('ix_unit_comments_course_learner_unit', table_name='unit_comments')
    op.drop_table('unit_comments')
