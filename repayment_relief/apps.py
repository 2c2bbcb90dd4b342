from django.apps import AppConfig


class RepaymentReliefConfig(AppConfig):
    name = "repayment_relief"
    verbose_name = "还款救助"
