"""Alembic environment: the schema is the metadata of every area's tables."""

from alembic import context
from sqlalchemy import pool

import hotline.seats  # noqa: F401  (each area's tables join the one metadata)
import hotline.web.models  # noqa: F401
import recordings.models  # noqa: F401
import workorder.notices  # noqa: F401
from hotline.db import make_engine
from workorder.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_offline() -> None:
    context.configure(url=config.get_main_option("sqlalchemy.url"),
                      target_metadata=target_metadata, literal_binds=True,
                      render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    url = config.get_main_option("sqlalchemy.url")
    connectable = make_engine(url, poolclass=pool.NullPool)
    with connectable.connect() as connection:
        if connection.dialect.name == "sqlite":
            # Batch mode rebuilds tables by copy-and-move; SQLite's foreign-key checks
            # must be off for that (they cannot change inside a transaction).
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()
        # batch mode lets later revisions alter SQLite tables (copy-and-move)
        context.configure(connection=connection, target_metadata=target_metadata,
                          render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
