"""python manage.py calendar_ensure --year 2027: create a loan year's default calendar (idempotent)."""

from django.core.management.base import BaseCommand

from deadlines.services import calendar_schedule_ensure, loan_year_ensure


class Command(BaseCommand):
    help = "建立贷款年度的默认工作日历（已有的时间节点保持不变），并确保每日任务已排定"

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, action="append", default=[], help="贷款年度，可多次给出")

    def handle(self, *args, year=(), **options):
        for y in year:
            loan_year = loan_year_ensure(year=y)
            self.stdout.write(f"{loan_year}：{loan_year.key_dates.count()}个时间节点")
        task = calendar_schedule_ensure()
        self.stdout.write(f"每日任务：{task.name}（{task.crontab}）")
