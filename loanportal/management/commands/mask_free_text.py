from django.core.management.base import BaseCommand

from loanportal.audit import audit_record
from loanportal.free_text import mask_stored_free_text


class Command(BaseCommand):
    help = (
        "Mask full ID numbers and phones in the free text stored before it was masked on save (idempotent)."
    )

    def handle(self, *args, **options):
        changed = mask_stored_free_text()
        if not changed:
            self.stdout.write("自由文本中没有完整的身份证号或手机号，无需处理")
            return
        audit_record(actor=None, action="free_text.masked", object_type="free_text", new=changed)
        for label, count in changed.items():
            self.stdout.write(f"{label}：{count} 条记录的自由文本已脱敏")
