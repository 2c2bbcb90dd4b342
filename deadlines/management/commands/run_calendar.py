"""python manage.py run_calendar --as-of 2026-10-14 [--dry-run]"""

import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from deadlines.services import calendar_run


class Command(BaseCommand):
    help = "运行工作日历：发送截止提醒并执行到期处理（--dry-run 只列出将要做的事，不写入任何数据）"

    def add_arguments(self, parser):
        parser.add_argument("--as-of", dest="as_of", help="业务日期 YYYY-MM-DD（默认今天）")
        parser.add_argument("--dry-run", action="store_true", help="预演：列出将要做的事，不写入")

    def handle(self, *args, as_of=None, dry_run=False, **options):
        try:
            day = datetime.date.fromisoformat(as_of) if as_of else timezone.localdate()
        except ValueError as exc:
            raise CommandError(f"日期格式应为 YYYY-MM-DD：{as_of}") from exc
        report = calendar_run(as_of=day, dry_run=dry_run)
        for line in report.lines():
            self.stdout.write(line)
        waiting = sum(1 for line in report.enforcements if not line.registered)
        self.stdout.write(
            f"合计：到期处理 {report.enforced} 项（另有 {waiting} 项处理程序未登记），提醒 {report.reminders_sent} 条"
        )
