import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from applications.services.queue_warnings import queue_snapshots_compute_all


class Command(BaseCommand):
    help = "Compute every county's queue snapshot (受理预警快照) for a day; idempotent. Default: today."

    def add_arguments(self, parser):
        parser.add_argument("--date", help="YYYY-MM-DD (default: today)")

    def handle(self, *args, date=None, **options):
        try:
            day = datetime.date.fromisoformat(date) if date else timezone.localdate()
        except ValueError as exc:
            raise CommandError("日期格式应为 YYYY-MM-DD") from exc
        count = queue_snapshots_compute_all(on=day)
        self.stdout.write(self.style.SUCCESS(f"{day}：已计算{count}个县区的受理预警快照"))
