"""calls the hotline places, and virtual hold

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 10:00:00

Callbacks and the panel's dialling go out through the carrier trunk: each call placed is
kept with its order, the seat that made it, the number dialled and what became of it. A
caller who chose a callback keeps their place in the queue (auto_callbacks).
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'outbound_calls',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('uniqueid', sa.String(length=64), nullable=False),
        sa.Column('order_id', sa.Integer(), nullable=False),
        sa.Column('callback_id', sa.Integer(), nullable=True),
        sa.Column('purpose', sa.String(length=12), nullable=False),
        sa.Column('number', sa.String(length=24), nullable=False),
        sa.Column('seat', sa.String(length=32), nullable=False),
        sa.Column('placed_by', sa.String(length=40), nullable=False),
        sa.Column('placed_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('outcome', sa.String(length=16), nullable=True),
        sa.Column('cause', sa.String(length=64), nullable=False),
        sa.Column('talk_s', sa.Integer(), nullable=True),
        sa.Column('recording', sa.String(length=255), nullable=True),
        sa.ForeignKeyConstraint(['callback_id'], ['callbacks.id']),
        sa.ForeignKeyConstraint(['order_id'], ['work_orders.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('uniqueid'),
    )
    op.create_index('ix_outbound_calls_order', 'outbound_calls', ['order_id', 'id'])
    op.create_index('ux_outbound_calls_live_callback', 'outbound_calls', ['callback_id'],
                    unique=True, sqlite_where=sa.text('outcome IS NULL'),
                    postgresql_where=sa.text('outcome IS NULL'))
    op.create_table(
        'auto_callbacks',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('task_id', sa.Integer(), nullable=False),
        sa.Column('order_id', sa.Integer(), nullable=False),
        sa.Column('number', sa.String(length=24), nullable=False),
        sa.Column('order_type', sa.Integer(), nullable=False),
        sa.Column('arrived_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('state', sa.String(length=12), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('next_try_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('attempt', sa.String(length=64), nullable=True),
        sa.Column('placeholder', sa.String(length=64), nullable=True),
        sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('originated_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['task_id'], ['callbacks.id']),
        sa.ForeignKeyConstraint(['order_id'], ['work_orders.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('task_id'),
        sa.UniqueConstraint('placeholder'),
    )
    op.create_index('ix_auto_callbacks_state', 'auto_callbacks', ['state', 'arrived_at'])


def downgrade() -> None:
    op.drop_index('ix_auto_callbacks_state', table_name='auto_callbacks')
    op.drop_table('auto_callbacks')
    op.drop_index('ux_outbound_calls_live_callback', table_name='outbound_calls')
    op.drop_index('ix_outbound_calls_order', table_name='outbound_calls')
    op.drop_table('outbound_calls')
