"""The schema is Alembic's: upgrade from empty, down and up again, on both databases."""

from alembic import command
from sqlalchemy import inspect

from hotline.db import alembic_config, make_engine, migrate


def test_migrations_upgrade_from_empty_and_round_trip(db_url):
    engine = make_engine(db_url)
    tables = set(inspect(engine).get_table_names())
    assert {"calls", "call_events", "work_orders", "recordings", "line_state", "seats",
            "departments", "judges", "alembic_version"} <= tables
    command.downgrade(alembic_config(db_url), "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    migrate(db_url)
    migrate(db_url)  # idempotent
    assert tables == set(inspect(engine).get_table_names())
    engine.dispose()
