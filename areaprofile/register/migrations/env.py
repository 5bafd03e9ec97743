"""Alembic environment: runs the register's migrations on the connection the caller opened.

:func:`areaprofile.register.db.migrate` passes its own connection (already inside the one
transaction that also seeds), so there is no alembic.ini and no URL here."""

from alembic import context

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=None, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
