from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "loanportal"
    verbose_name = "平台核心"

    def ready(self):
        from . import dashboard, signals  # noqa: F401  (signals: lockout → audit row)

        dashboard.register()
        from . import free_text

        free_text.connect()
        from .exports import navigation

        navigation.register()
