"""Create and grant the portal's database role (PostgreSQL); run as the schema owner."""

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections

from loanportal.dbroles import RoleSetupError, app_role_setup, as_owner


class Command(BaseCommand):
    help = (
        "Create (if missing) and grant the app role: DML on the portal's tables, only INSERT/SELECT on the "
        "audit tables, owns nothing. Connects as DATABASE_OWNER_URL when set. The role and its password "
        "default to DATABASE_URL's."
    )

    def add_arguments(self, parser):
        parser.add_argument("--role", help="the app role (default: the user of DATABASE_URL)")
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS)
        parser.add_argument(
            "--no-password", action="store_true", help="leave the role's password as it is (trust/peer auth)"
        )

    def handle(self, *args, role=None, database=DEFAULT_DB_ALIAS, no_password=False, **options):
        with as_owner(database) as app:
            role = role or app["USER"]
            password = None if no_password or role != app["USER"] else (app["PASSWORD"] or None)
            try:
                done = app_role_setup(connection=connections[database], role=role, password=password)
            except RoleSetupError as exc:
                raise CommandError(str(exc)) from exc
        for line in done:
            self.stdout.write(self.style.SUCCESS(line))
