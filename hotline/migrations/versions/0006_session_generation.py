"""users' session generation

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 10:00:00

A session cookie carries the user's session generation and is refused once the number
has moved on: logging out, disabling or enabling the user and a new password end every
session opened before. Existing users start at 0 (their open cookies, which carry no
generation, must log in again).
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_generation', sa.Integer(), server_default='0',
                                      nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('session_generation')
