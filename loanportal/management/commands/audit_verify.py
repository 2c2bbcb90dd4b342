from django.core.management.base import BaseCommand, CommandError

from loanportal.audit import audit_verify
from loanportal.models import AuditEvent


class Command(BaseCommand):
    help = "Check the audit log's hash chain; exit non-zero if any row was altered, removed or inserted."

    def handle(self, *args, **options):
        problems = audit_verify()
        if problems:
            for problem in problems:
                self.stderr.write(problem)
            raise CommandError(f"审计日志校验失败：发现 {len(problems)} 处问题")
        self.stdout.write(
            self.style.SUCCESS(f"审计日志完整：共 {AuditEvent.objects.count()} 条，哈希链校验通过")
        )
