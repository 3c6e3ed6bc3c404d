"""cmi5 as the LMS: its own ids for AUs and courses, the satisfied statements it sent, and what abandoning a
session needs (plugin.content).

cmi5 §8.1.5 and §9.4: the activityId an AU is launched with, and the course object of ``satisfied``, are ids
the LMS generates, never the publisher's. Packages imported from now on get them at import; this gives each
stored cmi5 package's AUs and course one (``urn:uuid:``, random like the import's) in its manifest JSON, and
adds them to the course's activity catalog under the same names, so coordinators can map what new launches
report. Earlier statements keep the publisher's ids, and so do the catalog rows and mappings naming them; a
registration begun before goes on launching each AU it launched under that id (§8.1.5: the same activityId
within a registration; the AU's own state is kept under it).

The blocks of a stored package are not in its row, and a migration cannot read the package files (it is given
the database only): those packages get course satisfied but no block satisfied; uploading one again fixes that.

A session still open gets the time of its AU's last statement, read from the LRS, for the duration of the
``abandoned`` statement its registration's next launch sends (§9.3.6).

Going down drops the satisfactions table and the two launch columns, and keeps the ids: the earlier code
ignores manifest keys it does not know, and coming back up keeps the same ids (§8.1.5: the same activityId for
all registrations).

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')
_packages = sa.table('content_packages', sa.column('id', sa.Integer()), sa.column('course_id', sa.Integer()),
                     sa.column('kind', sa.String()), sa.column('title', sa.Text()),
                     sa.column('activity_iri', sa.String()), sa.column('manifest', _JSON))
_activities = sa.table('course_activities', sa.column('course_id', sa.Integer()), sa.column('iri', sa.String()),
                       sa.column('module', sa.String()), sa.column('name', sa.Text()), sa.column('source', sa.String()),
                       sa.column('updated_at', sa.DateTime(timezone=True)))
_launches = sa.table('content_launches', sa.column('id', sa.Integer()),
                     sa.column('last_statement_at', sa.DateTime(timezone=True)))


def _lms_id() -> str:
    return f'urn:uuid:{uuid.uuid4()}'


def _fill_ids() -> None:
    connection = op.get_bind()
    now = datetime.now(UTC)
    rows = connection.execute(sa.select(_packages.c.id, _packages.c.course_id, _packages.c.title,
                                        _packages.c.activity_iri, _packages.c.manifest)
                              .where(_packages.c.kind == 'cmi5').order_by(_packages.c.id)).all()
    for package_id, course_id, title, course_iri, manifest in rows:
        if 'course' in manifest:
            continue  # imported by 0012's code, or given its ids before a downgrade
        items = [{**item, 'activity_id': _lms_id()} for item in manifest.get('items', [])]
        filled = {**manifest, 'items': items, 'course': {'iri': course_iri, 'activity_id': _lms_id()}}
        connection.execute(sa.update(_packages).where(_packages.c.id == package_id).values(manifest=filled))
        named = [(filled['course']['activity_id'], title)] + [(i['activity_id'], i['title']) for i in filled['items']]
        connection.execute(sa.insert(_activities), [
            {'course_id': course_id, 'iri': iri, 'module': 'package', 'name': name, 'source': 'package',
             'updated_at': now} for iri, name in named])


def _fill_last_statements() -> None:
    """Sessions still open get the time their AU's last statement was stored (each session has a credential of its
    own), so that the abandoned statement a later launch brings has the duration §9.5.4.2 asks for."""
    connection = op.get_bind()
    last = sa.text('SELECT l.id, max(s.stored_us) FROM content_launches l '
                   'JOIN content_packages p ON p.id = l.package_id '
                   'JOIN lrs_statements s ON s.registration = l.registration AND s.credential_key = l.credential_key '
                   "WHERE p.kind = 'cmi5' AND l.terminated = false GROUP BY l.id")
    for launch_id, stored_us in connection.execute(last).all():
        connection.execute(sa.update(_launches).where(_launches.c.id == launch_id)
                           .values(last_statement_at=datetime.fromtimestamp(stored_us / 1e6, UTC)))


def upgrade() -> None:
    op.create_table('content_satisfactions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('package_id', sa.Integer(), nullable=False),
    sa.Column('registration', sa.String(length=36), nullable=False),
    sa.Column('activity_iri', sa.String(length=2048), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['package_id'], ['content_packages.id'],
        name=op.f('fk_content_satisfactions_package_id_content_packages'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id',
        name=op.f('pk_content_satisfactions')),
    sa.UniqueConstraint('registration', 'activity_iri',
        name=op.f('uq_content_satisfactions_registration'))
    )
    with op.batch_alter_table('content_launches', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_statement_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('abandoned_at', sa.DateTime(timezone=True), nullable=True))
    _fill_ids()
    _fill_last_statements()


def downgrade() -> None:
    with op.batch_alter_table('content_launches', schema=None) as batch_op:
        batch_op.drop_column('abandoned_at')
        batch_op.drop_column('last_statement_at')
    op.drop_table('content_satisfactions')
