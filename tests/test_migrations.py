"""Every app migrates back to zero and forward again, and no model change lacks a migration."""

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

PROJECT_APPS = ("accounts", "organization", "posts")


def _applied(app_label: str) -> set[str]:
    executor = MigrationExecutor(connection)
    return {name for app, name in executor.loader.applied_migrations if app == app_label}


@pytest.mark.django_db(transaction=True)
def test_migrations_round_trip_to_zero_and_back():
    for app in reversed(PROJECT_APPS):
        call_command("migrate", app, "zero", verbosity=0)
    assert not any(_applied(app) for app in PROJECT_APPS)
    assert "posts_post" not in connection.introspection.table_names()

    call_command("migrate", verbosity=0)
    assert all(_applied(app) for app in PROJECT_APPS)
    assert {"accounts_user", "accounts_follow", "posts_post", "organization_unit"} <= set(
        connection.introspection.table_names()
    )


@pytest.mark.django_db
def test_no_model_change_lacks_a_migration():
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)
