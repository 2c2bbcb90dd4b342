from django.apps import AppConfig


class RepaymentReliefConfig(AppConfig):
    name = "repayment_relief"
    verbose_name = "还款救助"

    def ready(self):
        from . import freeze, hooks, money_hooks

        hooks.register()
        freeze.register()  # the cutoff-day freeze runs with the calendar's daily job
        money_hooks.register()
