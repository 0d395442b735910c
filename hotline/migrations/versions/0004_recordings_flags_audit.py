"""recording store, flags, audit log, users

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24 19:00:32

Every recording gets what it holds (duration, format, size, checksum), its transcript
and its place in the pipeline; flags (R4.7/R4.8) with their review; an append-only audit
log of who listened; the web pages' users. Messages registered as "new" become
"complete" (closed, not yet checked) and are checked by the next scan.
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('login', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=32), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('active', sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('login')
    )
    op.create_table('audit_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=40), nullable=False),
    sa.Column('action', sa.String(length=24), nullable=False),
    sa.Column('recording_id', sa.Integer(), nullable=True),
    sa.Column('remote', sa.String(length=64), nullable=False),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['recording_id'], ['recordings.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_log_at'), ['at'], unique=False)
        batch_op.create_index('ix_audit_log_recording', ['recording_id', 'at'], unique=False)

    op.create_table('flags',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('recording_id', sa.Integer(), nullable=True),
    sa.Column('order_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('category', sa.String(length=32), nullable=False),
    sa.Column('label', sa.String(length=64), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('matches', sa.JSON(), nullable=False),
    sa.Column('source', sa.String(length=12), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=40), nullable=False),
    sa.Column('reviewed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reviewed_by', sa.String(length=40), nullable=True),
    sa.Column('outcome', sa.String(length=16), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['work_orders.id'], ),
    sa.ForeignKeyConstraint(['recording_id'], ['recordings.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('recording_id', 'source', 'category')
    )
    with op.batch_alter_table('flags', schema=None) as batch_op:
        batch_op.create_index('ix_flags_open', ['reviewed_at', 'kind', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_flags_order_id'), ['order_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_flags_recording_id'), ['recording_id'], unique=False)

    with op.batch_alter_table('recordings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('caller_phone', sa.String(length=24), nullable=True))
        batch_op.add_column(sa.Column('started_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('duration_s', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('speech_s', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('format', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('size_bytes', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('sha256', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('checked_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('adopted', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('error', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('transcript', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('transcript_text', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('speech_model', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('transcribed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('processed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('hold', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('missing_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_recordings_caller_phone'), ['caller_phone'], unique=False)
        batch_op.create_index('ix_recordings_kind_status', ['kind', 'status'], unique=False)

    op.execute("UPDATE recordings SET status = 'complete' WHERE status = 'new'")
    op.execute("UPDATE recordings SET started_at = created_at, caller_phone = "
               "(SELECT caller_phone FROM calls WHERE calls.id = recordings.call_id)")
    _append_only(True)


def _append_only(on: bool) -> None:
    """Nobody, not even a supervisor with database access, edits the audit log."""
    if op.get_bind().dialect.name == "postgresql":
        if on:
            op.execute("CREATE FUNCTION audit_log_append_only() RETURNS trigger "
                       "LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION "
                       "'audit_log is append-only'; END $$")
            op.execute("CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE "
                       "ON audit_log FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()")
        else:
            op.execute("DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log")
            op.execute("DROP FUNCTION IF EXISTS audit_log_append_only()")
        return
    for verb in ("UPDATE", "DELETE"):
        name = f"audit_log_no_{verb.lower()}"
        if on:
            op.execute(f"CREATE TRIGGER {name} BEFORE {verb} ON audit_log BEGIN "
                       "SELECT RAISE(ABORT, 'audit_log is append-only'); END")
        else:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")



def downgrade() -> None:
    _append_only(False)
    op.execute("UPDATE recordings SET status = 'new' WHERE status <> 'recording' "
               "AND kind = 'message'")
    with op.batch_alter_table('recordings', schema=None) as batch_op:
        batch_op.drop_index('ix_recordings_kind_status')
        batch_op.drop_index(batch_op.f('ix_recordings_caller_phone'))
        batch_op.drop_column('deleted_at')
        batch_op.drop_column('missing_at')
        batch_op.drop_column('hold')
        batch_op.drop_column('processed_at')
        batch_op.drop_column('transcribed_at')
        batch_op.drop_column('speech_model')
        batch_op.drop_column('transcript_text')
        batch_op.drop_column('transcript')
        batch_op.drop_column('error')
        batch_op.drop_column('adopted')
        batch_op.drop_column('checked_at')
        batch_op.drop_column('sha256')
        batch_op.drop_column('size_bytes')
        batch_op.drop_column('format')
        batch_op.drop_column('speech_s')
        batch_op.drop_column('duration_s')
        batch_op.drop_column('ended_at')
        batch_op.drop_column('started_at')
        batch_op.drop_column('caller_phone')

    with op.batch_alter_table('flags', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_flags_recording_id'))
        batch_op.drop_index(batch_op.f('ix_flags_order_id'))
        batch_op.drop_index('ix_flags_open')

    op.drop_table('flags')
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_log_recording')
        batch_op.drop_index(batch_op.f('ix_audit_log_at'))

    op.drop_table('audit_log')
    op.drop_table('users')
