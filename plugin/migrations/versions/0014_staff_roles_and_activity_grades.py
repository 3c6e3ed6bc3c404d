"""Staff are staff, and grades go on the activity (issue 16, items 4 and 5).

- ``enrolments``: what the launch and the roster each said (``launch_roles``, ``nrps_roles``: Moodle computes the
  two from different capabilities, so a non-editing teacher is Instructor in one and Learner in the other) and
  Moodle's own course roles read through Web Services (``moodle_roles``, ``moodle_roles_at``). Existing rows keep
  their ``roles``; what they last said is filled in from ``source``.
- ``staff_limits``: a coordinator's "this Instructor assesses / only views here", kept as history.
- ``ags_line_items.kind``: "activity" (the placed activity's own grade item) or "column" (created through AGS);
  every line item stored before is a column Samattha created.

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


def upgrade() -> None:
    op.add_column('enrolments', sa.Column('launch_roles', JSON, nullable=True))
    op.add_column('enrolments', sa.Column('nrps_roles', JSON, nullable=True))
    op.add_column('enrolments', sa.Column('moodle_roles', JSON, nullable=True))
    op.add_column('enrolments', sa.Column('moodle_roles_at', sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE enrolments SET launch_roles = roles WHERE source = 'launch'")
    op.execute("UPDATE enrolments SET nrps_roles = roles WHERE source <> 'launch'")
    op.create_table(
        'staff_limits',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('course_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('limit', sa.String(length=16), nullable=False),
        sa.Column('set_by_id', sa.Integer(), nullable=True),
        sa.Column('set_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('lifted_by_id', sa.Integer(), nullable=True),
        sa.Column('lifted_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['course_id'], ['courses.id'], name=op.f('fk_staff_limits_course_id_courses'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_staff_limits_user_id_users'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['set_by_id'], ['users.id'], name=op.f('fk_staff_limits_set_by_id_users'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['lifted_by_id'], ['users.id'], name=op.f('fk_staff_limits_lifted_by_id_users'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_limits')),
    )
    op.create_index('ix_staff_limits_course_user', 'staff_limits', ['course_id', 'user_id'], unique=False)
    # The server default fills the rows already there; new rows get theirs from the code.
    op.add_column('ags_line_items', sa.Column('kind', sa.String(length=16), nullable=False, server_default='column'))


def downgrade() -> None:
    # Plain drop_column, not batch mode: on SQLite batch mode copies the table, and dropping ags_line_items
    # with foreign keys on would cascade to the score log (see 0013).
    op.drop_column('ags_line_items', 'kind')
    op.drop_index('ix_staff_limits_course_user', table_name='staff_limits')
    op.drop_table('staff_limits')
    for column in ('moodle_roles_at', 'moodle_roles', 'nrps_roles', 'launch_roles'):
        op.drop_column('enrolments', column)
