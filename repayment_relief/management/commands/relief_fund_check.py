"""python manage.py relief_fund_check — the relief fund's books balance (第七条 专账管理).

Every account's balance and owed amount must equal the sums of its entries, each entry's balance after
must be the running balance, nothing negative. Prints the accounts; exit status 1 with the problems."""

from django.core.management.base import BaseCommand, CommandError

from repayment_relief.funds import fund_books_check
from repayment_relief.models import FundAccount


class Command(BaseCommand):
    help = "核对还款救助资金专账：各账户余额与流水合计一致、无负数"

    def handle(self, *args, **options):
        for account in FundAccount.objects.select_related("county").order_by("kind", "county__code"):
            self.stdout.write(f"{account}：余额 {account.balance} 元，应筹未到位 {account.owed} 元")
        problems = fund_books_check()
        if problems:
            raise CommandError("账目不平：\n" + "\n".join(problems))
        self.stdout.write(self.style.SUCCESS("账目相符：各账户余额等于流水合计，无负数"))
