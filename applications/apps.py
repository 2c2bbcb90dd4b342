from importlib import import_module

from django.apps import AppConfig

AREAS = ("preapplications", "intake", "lifecycle", "yearend", "dashboard")


class ApplicationsConfig(AppConfig):
    name = "applications"
    verbose_name = "首贷申请与受理"

    def ready(self):
        for area in AREAS:
            import_module(f"applications.hooks.{area}").register()
