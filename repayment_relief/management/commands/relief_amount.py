"""python manage.py relief_amount --ledger FILE.json --category N --received YYYY-MM-DD

Prints the portal's relief amount to the cutoff (RELIEF-AMOUNTS.md) as one JSON object. Bad input →
a clear message and exit status 1 (CommandError's default return code, also from call_command's caller).
"""

import datetime
import json
from decimal import Decimal

from django.core.management.base import BaseCommand, CommandError

from repayment_relief.ledger import LedgerError, ledgers_parse
from repayment_relief.rules import amount_cutoff_date, category_scope, relief_amounts
from repayment_relief.selectors import relief_parameters_for


class Command(BaseCommand):
    help = "计算还款救助金额（计算至截止日，第二十一条（二））：读取银行台账 JSON，输出各合同的本金、利息、逾期本金、逾期利息、罚息与合计。"

    def add_arguments(self, parser):
        parser.add_argument("--ledger", required=True, help="合同台账 JSON 文件（合同台账的列表）")
        parser.add_argument("--category", required=True, help="救助类别 1–5（第五类可写 5a/5b）")
        parser.add_argument("--received", required=True, help="银行收到救助材料的日期 YYYY-MM-DD")

    def handle(self, *args, ledger, category, received, **options):
        try:
            category_scope(category)
        except LedgerError as exc:
            raise CommandError(exc.message, returncode=1) from None
        try:
            received_on = datetime.date.fromisoformat(received.strip())
        except ValueError:
            raise CommandError(
                f"--received 应为 YYYY-MM-DD 格式的日期（收到“{received}”）", returncode=1
            ) from None
        try:
            with open(ledger, encoding="utf-8") as handle:
                data = json.load(handle, parse_float=Decimal)
        except FileNotFoundError:
            raise CommandError(f"找不到台账文件 {ledger}", returncode=1) from None
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"无法读取台账文件 {ledger}：{exc}", returncode=1) from None
        except json.JSONDecodeError as exc:
            raise CommandError(
                f"台账文件 {ledger} 不是有效的 JSON（第{exc.lineno}行第{exc.colno}列：{exc.msg}）",
                returncode=1,
            ) from None
        cutoff = amount_cutoff_date(received_on)
        try:
            ledgers = ledgers_parse(data)
            amounts, total = relief_amounts(
                ledgers, category=category, cutoff=cutoff, parameters=relief_parameters_for(cutoff=cutoff)
            )
        except LedgerError as exc:
            raise CommandError(exc.message, returncode=1) from None
        output = {
            "cutoff": cutoff.isoformat(),
            "contracts": [amount.to_json() for amount in amounts],
            "total": f"{total:.2f}",
        }
        self.stdout.write(json.dumps(output, ensure_ascii=False))
