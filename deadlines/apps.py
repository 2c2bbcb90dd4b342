from django.apps import AppConfig


class DeadlinesConfig(AppConfig):
    name = "deadlines"
    verbose_name = "工作日历"

    def ready(self):
        from . import hooks

        hooks.register()
