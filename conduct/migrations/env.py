"""Alembic environment for the case register.

Two ways in:
- programmatically, from `conduct.migrations.upgrade(engine)` (what `create_schema` calls): the
  caller passes an open connection, already inside the transaction that holds the migration lock,
  in ``config.attributes["connection"]``;
- the `alembic` command line with the repository's alembic.ini. The database is, in order:
  ``-x url=...``, ``sqlalchemy.url`` in the ini, else the application's own setting
  (CONDUCT_DATABASE_URL, or the SQLite file under CONDUCT_DATA_DIR).
"""

from __future__ import annotations

from logging.config import fileConfig
from typing import Any

from alembic import context
from sqlalchemy import TypeDecorator
from sqlalchemy.engine import Connection

from conduct.migrations import target_metadata

config = context.config


def _render_item(type_: str, obj: Any, autogen_context: Any) -> str | bool:
    """Autogenerate writes a model's TypeDecorator (e.g. UTCDateTime) as its plain SQL type, so
    migrations never import model code."""
    if type_ == "type" and isinstance(obj, TypeDecorator):
        impl = obj.impl_instance if hasattr(obj, "impl_instance") else obj.impl
        return f"sa.{impl!r}"
    return False


def _options(dialect_name: str) -> dict[str, Any]:
    return {
        "target_metadata": target_metadata,
        "compare_type": True,
        "compare_server_default": True,
        "render_item": _render_item,
        "render_as_batch": dialect_name == "sqlite",  # SQLite alters tables by copying them
    }


def _url() -> str:
    url = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option("sqlalchemy.url")
    if url:
        return url
    from conduct.settings import Settings

    return Settings().resolved_database_url


def run_migrations_offline() -> None:
    """`alembic upgrade head --sql`: print the SQL for a DBA instead of running it."""
    url = _url()
    from sqlalchemy.engine import make_url

    context.configure(url=url, literal_binds=True, **_options(make_url(url).get_backend_name()))
    with context.begin_transaction():
        context.run_migrations()


def _run(connection: Connection) -> None:
    context.configure(connection=connection, **_options(connection.dialect.name))
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    from conduct.migrations import upgrade_lock
    from conduct.register import make_engine
    from conduct.settings import Settings

    engine = make_engine(_url(), keys=Settings().resolved_encryption_keys)  # revision 0005 seals rows with it
    try:
        with engine.connect() as connection:
            upgrade_lock(connection)  # the same lock create_schema takes: never two migrators at once
            _run(connection)
            connection.commit()
    finally:
        engine.dispose()


# The ini's logging setup is for the command line; in-process callers (create_schema, tests) keep theirs.
if config.config_file_name is not None and config.attributes.get("configure_logger", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)

if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
