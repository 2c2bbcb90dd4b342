from django.apps import AppConfig


class RepaymentReliefConfig(AppConfig):
    name = "repayment_relief"
    verbose_name = "还款救助"

    def ready(self):
        from . import hooks

        hooks.register()
