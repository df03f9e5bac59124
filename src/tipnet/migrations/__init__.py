"""Alembic migrations; `tipnet db upgrade` applies them."""
