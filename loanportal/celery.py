import os

from celery import Celery

# Entry point of the worker and beat in deployment: without DJANGO_SETTINGS_MODULE it runs the production
# settings (which refuse to start without DJANGO_SECRET_KEY), never the development defaults silently.
# Development sets the variable explicitly (Makefile: worker, beat).
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "loanportal.settings.production")

app = Celery("loanportal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
