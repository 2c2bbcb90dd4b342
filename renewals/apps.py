from django.apps import AppConfig


class RenewalsConfig(AppConfig):
    name = "renewals"
    verbose_name = "续贷与收费标准"

    def ready(self):
        from . import hooks

        hooks.register()
