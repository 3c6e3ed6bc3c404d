"""Content packages (issue 7): packages, their activities and launches (plugin.models.content).

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


def upgrade() -> None:
    op.create_table('content_packages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('activity_iri', sa.String(length=2048), nullable=False),
    sa.Column('prefix', sa.String(length=1024), nullable=False),
    sa.Column('manifest', _JSON, nullable=False),
    sa.Column('file_name', sa.Text(), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['course_id'], ['courses.id'],
        name=op.f('fk_content_packages_course_id_courses'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'],
        name=op.f('fk_content_packages_uploaded_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id',
        name=op.f('pk_content_packages'))
    )
    with op.batch_alter_table('content_packages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_content_packages_course_id'), ['course_id'], unique=False)

    op.create_table('content_launches',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('package_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('activity_iri', sa.String(length=2048), nullable=False),
    sa.Column('registration', sa.String(length=36), nullable=False),
    sa.Column('session_id', sa.String(length=36), nullable=False),
    sa.Column('credential_key', sa.String(length=64), nullable=True),
    sa.Column('fetch_token_hash', sa.String(length=64), nullable=True),
    sa.Column('fetched_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('launch_mode', sa.String(length=16), nullable=False),
    sa.Column('move_on', sa.String(length=32), nullable=True),
    sa.Column('mastery_score', sa.String(length=32), nullable=True),
    sa.Column('initialized', sa.Boolean(), nullable=False),
    sa.Column('terminated', sa.Boolean(), nullable=False),
    sa.Column('completed', sa.Boolean(), nullable=False),
    sa.Column('passed', sa.Boolean(), nullable=False),
    sa.Column('failed', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['package_id'], ['content_packages.id'],
        name=op.f('fk_content_launches_package_id_content_packages'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'],
        name=op.f('fk_content_launches_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id',
        name=op.f('pk_content_launches')),
    sa.UniqueConstraint('credential_key',
        name=op.f('uq_content_launches_credential_key')),
    sa.UniqueConstraint('fetch_token_hash',
        name=op.f('uq_content_launches_fetch_token_hash')),
    sa.UniqueConstraint('session_id',
        name=op.f('uq_content_launches_session_id'))
    )
    with op.batch_alter_table('content_launches', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_content_launches_package_id'), ['package_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_content_launches_registration'), ['registration'], unique=False)
        batch_op.create_index(batch_op.f('ix_content_launches_user_id'), ['user_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('content_launches', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_content_launches_user_id'))
        batch_op.drop_index(batch_op.f('ix_content_launches_registration'))
        batch_op.drop_index(batch_op.f('ix_content_launches_package_id'))
    op.drop_table('content_launches')
    with op.batch_alter_table('content_packages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_content_packages_course_id'))
    op.drop_table('content_packages')
