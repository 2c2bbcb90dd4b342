from django.core.management.base import BaseCommand

from loanportal import registry
from loanportal.demo import seed_core


class Command(BaseCommand):
    help = "Load the demo province (idempotent). Without --password a random password is printed once."

    def add_arguments(self, parser):
        parser.add_argument("--password", help="password for every demo account (also resets existing ones)")

    def handle(self, *args, password=None, **options):
        context = seed_core(password=password, stdout=self.stdout)
        for seeder in registry.seeders():
            seeder(context)
        self.stdout.write(self.style.SUCCESS("演示数据已就绪"))
