"""Data that a migration writes (beat schedules) is gone after a transactional test on the same pytest
worker flushed every table: a test that checks it runs the migration's step again first, on the migrated
state's models (the steps are idempotent: get_or_create / update_or_create)."""

import importlib

from django.db import connection
from django.db.migrations.executor import MigrationExecutor


def rerun_migration_step(app: str, migration: str, step: str, *, times: int = 1) -> None:
    module = importlib.import_module(f"{app}.migrations.{migration}")
    state = MigrationExecutor(connection).loader.project_state((app, migration))
    for _ in range(times):
        getattr(module, step)(state.apps, None)
