"""Organisations, users, API tokens, roles and the permission checks every route declares."""
