from django.core.management.base import BaseCommand, CommandError

from loanportal.audit import audit_checkpoint_count, audit_unsealed_count, audit_verify
from loanportal.models import AuditEvent, AuditSeal


class Command(BaseCommand):
    help = (
        "Check the audit log's keyed chain (AUDIT_HMAC_KEY) and the checkpoints outside the database "
        "(AUDIT_CHECKPOINT_DIR); exit non-zero if any row was altered, removed or inserted. Seals nothing."
    )

    def handle(self, *args, **options):
        problems = audit_verify()
        if problems:
            for problem in problems:
                self.stderr.write(problem)
            raise CommandError(f"审计日志校验失败：发现 {len(problems)} 处问题")
        unsealed = audit_unsealed_count()
        self.stdout.write(
            self.style.SUCCESS(
                f"审计日志完整：共 {AuditEvent.objects.count()} 条，已封存 {AuditSeal.objects.count()} 条，"
                f"密钥签名与 {audit_checkpoint_count()} 个检查点校验通过"
            )
        )
        if unsealed:
            self.stdout.write(f"另有 {unsealed} 条尚未封存（提交后由封存任务处理：manage.py audit_seal）")
