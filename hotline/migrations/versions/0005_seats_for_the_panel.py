"""users bound to seats; browser seats

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24 21:00:00

The operator's panel is also the seat's telephone: a user is bound to at most one seat
(and a seat to at most one user), and a seat says what kind of phone it is — a
WebRTC softphone in the browser, or a SIP phone (desk phone, test user agent). Existing
seats keep working as the SIP phones they were; users may now also be judges or
administrators.
"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('seats', schema=None) as batch_op:
        batch_op.add_column(sa.Column('phone', sa.String(length=8), server_default='sip',
                                      nullable=False))
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('seat', sa.String(length=32), nullable=True))
        batch_op.create_unique_constraint('uq_users_seat', ['seat'])


def downgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint('uq_users_seat', type_='unique')
        batch_op.drop_column('seat')
    with op.batch_alter_table('seats', schema=None) as batch_op:
        batch_op.drop_column('phone')
