from django.core.management.base import BaseCommand

from loanportal.audit import audit_seal


class Command(BaseCommand):
    help = "Seal every committed audit row not yet sealed into the keyed chain (also every minute by beat)."

    def handle(self, *args, **options):
        sealed = audit_seal(wait=True)
        self.stdout.write(self.style.SUCCESS(f"已封存 {sealed} 条审计记录"))
