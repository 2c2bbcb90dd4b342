"""`migrate` as the schema owner: with DATABASE_OWNER_URL set (same database as DATABASE_URL) the
migrations run logged in as the owner, and the app role of DATABASE_URL is then granted what it may do
(loanportal.dbroles). Without it, exactly Django's migrate."""

from django.core.management.base import CommandError
from django.core.management.commands.migrate import Command as MigrateCommand
from django.db import connections

from loanportal.dbroles import RoleSetupError, app_role_setup, as_owner, owner_settings


class Command(MigrateCommand):
    help = (
        MigrateCommand.help
        + " Runs as the schema owner (DATABASE_OWNER_URL) when set, then grants the app role."
    )

    def handle(self, *args, **options):
        alias = options["database"]
        owner = owner_settings(alias)
        if owner is None or connections[alias].vendor != "postgresql":
            return super().handle(*args, **options)
        with as_owner(alias) as app:
            super().handle(*args, **options)
            if app["USER"] and app["USER"] != owner["USER"]:
                try:
                    done = app_role_setup(
                        connection=connections[alias], role=app["USER"], password=app["PASSWORD"] or None
                    )
                except RoleSetupError as exc:
                    raise CommandError(str(exc)) from exc
                for line in done:
                    self.stdout.write(line)
