"""work-order domain: directory, cases, deadlines, history, reminders, escalations, callbacks

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 15:18:34
"""
from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Judges become unique by court and name (the directory files key them so). Check
    # before any DDL: SQLite cannot roll DDL back, so failing half-way would strand it.
    dupes = op.get_bind().execute(sa.text(
        "SELECT d.court, j.name, count(*) FROM judges j JOIN departments d "
        "ON d.id = j.department_id GROUP BY d.court, j.name HAVING count(*) > 1")).all()
    if dupes:
        listed = "; ".join(f"{c} {n} ×{k}" for c, n, k in dupes[:10])
        raise RuntimeError(f"judges with the same name in one court: {listed}. Rename them "
                           "(e.g. 王静(民一庭)) and run the upgrade again; nothing was changed")
    op.create_table('courts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('code', sa.String(length=16), nullable=True),
    sa.Column('level', sa.String(length=16), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['parent_id'], ['courts.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('code'),
    sa.UniqueConstraint('name')
    )
    op.create_table('leaders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('court', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=32), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('mobile', sa.String(length=24), nullable=False),
    sa.Column('portfolio', sa.String(length=255), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('court', 'name')
    )
    op.create_table('cases',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=48), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('court', sa.String(length=64), nullable=False),
    sa.Column('judge_id', sa.Integer(), nullable=True),
    sa.Column('department_id', sa.Integer(), nullable=True),
    sa.Column('cause', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['department_id'], ['departments.id'], ),
    sa.ForeignKeyConstraint(['judge_id'], ['judges.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('number')
    )
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.create_index('ix_cases_year_seq', ['year', 'seq'], unique=False)

    op.create_table('callbacks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=16), nullable=False),
    sa.Column('priority', sa.Integer(), nullable=False),
    sa.Column('phone', sa.String(length=24), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('outcome', sa.String(length=16), nullable=True),
    sa.Column('satisfaction', sa.String(length=8), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('done_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('done_by', sa.String(length=40), nullable=True),
    sa.ForeignKeyConstraint(['order_id'], ['work_orders.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('order_id', 'reason')
    )
    with op.batch_alter_table('callbacks', schema=None) as batch_op:
        batch_op.create_index('ix_callbacks_open', ['status', 'priority', 'due_at'], unique=False)

    op.create_table('escalations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('level', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=32), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('court', sa.String(length=64), nullable=False),
    sa.Column('to_name', sa.String(length=32), nullable=False),
    sa.Column('to_mobile', sa.String(length=24), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['work_orders.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('order_id', 'level')
    )
    op.create_table('order_calls',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('call_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['call_id'], ['calls.id'], ),
    sa.ForeignKeyConstraint(['order_id'], ['work_orders.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('order_id', 'call_id')
    )
    with op.batch_alter_table('order_calls', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_order_calls_order_id'), ['order_id'], unique=False)

    op.create_table('order_history',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=40), nullable=False),
    sa.Column('action', sa.String(length=24), nullable=False),
    sa.Column('changes', sa.JSON(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['work_orders.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('order_history', schema=None) as batch_op:
        batch_op.create_index('ix_order_history_order', ['order_id', 'id'], unique=False)

    op.create_table('reminders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('round', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('due_by', sa.DateTime(timezone=True), nullable=False),
    sa.Column('to_name', sa.String(length=32), nullable=False),
    sa.Column('to_mobile', sa.String(length=24), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('sent_by', sa.String(length=40), nullable=True),
    sa.ForeignKeyConstraint(['order_id'], ['work_orders.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('order_id', 'round')
    )
    with op.batch_alter_table('reminders', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reminders_sent_at'), ['sent_at'], unique=False)

    with op.batch_alter_table('departments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=24), server_default='trial', nullable=False))
        batch_op.add_column(sa.Column('deputy_head_name', sa.String(length=32), server_default='', nullable=False))
        batch_op.add_column(sa.Column('deputy_head_mobile', sa.String(length=24), server_default='', nullable=False))
        batch_op.add_column(sa.Column('liaison_name', sa.String(length=32), server_default='', nullable=False))
        batch_op.add_column(sa.Column('liaison_post', sa.String(length=32), server_default='', nullable=False))
        batch_op.add_column(sa.Column('liaison_office_phone', sa.String(length=24), server_default='', nullable=False))
        batch_op.add_column(sa.Column('liaison_mobile', sa.String(length=24), server_default='', nullable=False))
        batch_op.add_column(sa.Column('leader_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_departments_leader', 'leaders', ['leader_id'], ['id'])

    with op.batch_alter_table('judges', schema=None) as batch_op:
        batch_op.add_column(sa.Column('court', sa.String(length=64), server_default='', nullable=False))
    # A judge belongs to the court of their department (the directory keys judges by it).
    op.execute("UPDATE judges SET court = (SELECT d.court FROM departments d "
               "WHERE d.id = judges.department_id)")
    with op.batch_alter_table('judges', schema=None) as batch_op:
        batch_op.create_unique_constraint('uq_judges_court_name', ['court', 'name'])

    with op.batch_alter_table('work_orders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('version', sa.Integer(), server_default='1', nullable=False))
        batch_op.add_column(sa.Column('case_number', sa.String(length=48), nullable=True))
        batch_op.add_column(sa.Column('registered_by', sa.String(length=40), server_default='', nullable=False))
        batch_op.add_column(sa.Column('abusive', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('urgent', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('touches_rights', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('repeat_of_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('rule', sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column('department_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('assignee_role', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('assignee_name', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('assignee_mobile', sa.String(length=24), nullable=True))
        batch_op.add_column(sa.Column('judge_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('dispatch_due_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('dispatched_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('feedback_due_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('feedback_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('feedback_by', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('feedback_text', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('resolution', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('overdue_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('overdue_reason', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('escalation_level', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('next_due_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_work_orders_case_number'), ['case_number'], unique=False)
        batch_op.create_index('ix_work_orders_court_created', ['court', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_work_orders_department_id'), ['department_id'], unique=False)
        batch_op.create_index('ix_work_orders_next_due', ['next_due_at'], unique=False, sqlite_where=sa.text('next_due_at IS NOT NULL'), postgresql_where=sa.text('next_due_at IS NOT NULL'))
        batch_op.create_foreign_key('fk_work_orders_repeat_of', 'work_orders', ['repeat_of_id'], ['id'])
        batch_op.create_foreign_key('fk_work_orders_department', 'departments', ['department_id'], ['id'])
        batch_op.create_foreign_key('fk_work_orders_judge', 'judges', ['judge_id'], ['id'])

    _append_only(True)


def _append_only(on: bool) -> None:
    """The order history is append-only: the database itself refuses to change it."""
    if op.get_bind().dialect.name == "postgresql":
        if on:
            op.execute("CREATE FUNCTION order_history_append_only() RETURNS trigger "
                       "LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION "
                       "'order_history is append-only'; END $$")
            op.execute("CREATE TRIGGER order_history_append_only BEFORE UPDATE OR DELETE "
                       "ON order_history FOR EACH ROW EXECUTE FUNCTION "
                       "order_history_append_only()")
        else:
            op.execute("DROP TRIGGER IF EXISTS order_history_append_only ON order_history")
            op.execute("DROP FUNCTION IF EXISTS order_history_append_only()")
        return
    for verb in ("UPDATE", "DELETE"):
        name = f"order_history_no_{verb.lower()}"
        if on:
            op.execute(f"CREATE TRIGGER {name} BEFORE {verb} ON order_history BEGIN "
                       "SELECT RAISE(ABORT, 'order_history is append-only'); END")
        else:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")



def downgrade() -> None:
    # Children first: SQLite rebuilds work_orders by copy-and-move.
    _append_only(False)
    with op.batch_alter_table('judges', schema=None) as batch_op:
        batch_op.drop_constraint('uq_judges_court_name', type_='unique')
        batch_op.drop_column('court')

    with op.batch_alter_table('departments', schema=None) as batch_op:
        batch_op.drop_constraint('fk_departments_leader', type_='foreignkey')
        batch_op.drop_column('leader_id')
        batch_op.drop_column('liaison_mobile')
        batch_op.drop_column('liaison_office_phone')
        batch_op.drop_column('liaison_post')
        batch_op.drop_column('liaison_name')
        batch_op.drop_column('deputy_head_mobile')
        batch_op.drop_column('deputy_head_name')
        batch_op.drop_column('kind')

    with op.batch_alter_table('reminders', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reminders_sent_at'))

    op.drop_table('reminders')
    with op.batch_alter_table('order_history', schema=None) as batch_op:
        batch_op.drop_index('ix_order_history_order')

    op.drop_table('order_history')
    with op.batch_alter_table('order_calls', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_order_calls_order_id'))

    op.drop_table('order_calls')
    op.drop_table('escalations')
    with op.batch_alter_table('callbacks', schema=None) as batch_op:
        batch_op.drop_index('ix_callbacks_open')

    op.drop_table('callbacks')
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index('ix_cases_year_seq')

    op.drop_table('cases')
    op.drop_table('leaders')
    op.drop_table('courts')
    with op.batch_alter_table('work_orders', schema=None) as batch_op:
        batch_op.drop_constraint('fk_work_orders_judge', type_='foreignkey')
        batch_op.drop_constraint('fk_work_orders_department', type_='foreignkey')
        batch_op.drop_constraint('fk_work_orders_repeat_of', type_='foreignkey')
        batch_op.drop_index('ix_work_orders_next_due', sqlite_where=sa.text('next_due_at IS NOT NULL'), postgresql_where=sa.text('next_due_at IS NOT NULL'))
        batch_op.drop_index(batch_op.f('ix_work_orders_department_id'))
        batch_op.drop_index('ix_work_orders_court_created')
        batch_op.drop_index(batch_op.f('ix_work_orders_case_number'))
        batch_op.drop_column('next_due_at')
        batch_op.drop_column('escalation_level')
        batch_op.drop_column('overdue_reason')
        batch_op.drop_column('overdue_at')
        batch_op.drop_column('resolution')
        batch_op.drop_column('closed_at')
        batch_op.drop_column('feedback_text')
        batch_op.drop_column('feedback_by')
        batch_op.drop_column('feedback_at')
        batch_op.drop_column('feedback_due_at')
        batch_op.drop_column('dispatched_at')
        batch_op.drop_column('dispatch_due_at')
        batch_op.drop_column('decided_at')
        batch_op.drop_column('judge_id')
        batch_op.drop_column('assignee_mobile')
        batch_op.drop_column('assignee_name')
        batch_op.drop_column('assignee_role')
        batch_op.drop_column('department_id')
        batch_op.drop_column('rule')
        batch_op.drop_column('repeat_of_id')
        batch_op.drop_column('touches_rights')
        batch_op.drop_column('urgent')
        batch_op.drop_column('abusive')
        batch_op.drop_column('registered_by')
        batch_op.drop_column('case_number')
        batch_op.drop_column('version')
