"""Alembic environment: a synchronous psycopg connection, one migrator at a time."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, pool, text

from meridian.db.models import Base

# Several processes may start at once (serve + worker); this lock makes them queue.
MIGRATION_LOCK = 827_364_501

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    url = config.get_main_option("sqlalchemy.url")
    assert url
    engine = create_engine(url, poolclass=pool.NullPool)
    with engine.connect() as connection:
        connection.execute(text("SELECT pg_advisory_lock(:k)"), {"k": MIGRATION_LOCK})
        connection.commit()
        try:
            context.configure(connection=connection, target_metadata=target_metadata, compare_type=True)
            with context.begin_transaction():
                context.run_migrations()
                # Row-level security for tables that later revisions added (0016).
                if connection.scalar(text("SELECT to_regprocedure('meridian_secure_tenant_tables()')")):
                    connection.execute(text("SELECT meridian_secure_tenant_tables()"))
            connection.commit()
        finally:
            connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": MIGRATION_LOCK})
            connection.commit()
    engine.dispose()


def run_migrations_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata, literal_binds=True
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
