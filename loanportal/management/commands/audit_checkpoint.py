from django.conf import settings
from django.core.management.base import BaseCommand

from loanportal.audit import audit_checkpoint


class Command(BaseCommand):
    help = "Seal, then append the latest sealed hash, signed, to AUDIT_CHECKPOINT_DIR (also daily by beat)."

    def handle(self, *args, **options):
        record = audit_checkpoint()
        if record is None:
            self.stdout.write("审计日志为空，没有写检查点")
            return
        self.stdout.write(
            self.style.SUCCESS(
                f"检查点已写入 {settings.AUDIT_CHECKPOINT_DIR}：第{record['seq']}号封存 {record['hash']}"
            )
        )
