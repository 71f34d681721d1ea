"""Alembic environment.

Two ways in: `storage.db.migrate` (start-up and `run_bot.py migrate`) hands over an open connection;
the `alembic` command line (alembic.ini at the project root) gets an engine built from Settings, so
it works on the bot's own DATABASE_URL. Either way the migration runs under the same lock.
"""

import asyncio
from logging.config import fileConfig

from alembic import context
from sqlalchemy.engine import Connection

from config.settings import Settings
from storage.db import hold_migration_lock, include_in_comparison, make_engine
from storage.models import Base


def run_migrations(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_name=include_in_comparison,
    )
    with context.begin_transaction():
        hold_migration_lock(connection)
        context.run_migrations()


async def run_from_settings() -> None:
    engine = make_engine(Settings().database_url)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(run_migrations)
    finally:
        await engine.dispose()


if context.is_offline_mode():
    raise SystemExit("Jirei's migrations run online: `alembic upgrade head` (without --sql)")

handed_over = context.config.attributes.get("connection")
if handed_over is not None:
    run_migrations(handed_over)
else:
    if context.config.config_file_name is not None:
        fileConfig(context.config.config_file_name, disable_existing_loggers=False)
    asyncio.run(run_from_settings())
