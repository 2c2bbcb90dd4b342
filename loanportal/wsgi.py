import os

from django.core.wsgi import get_wsgi_application

# Entry point of the web server in deployment: without DJANGO_SETTINGS_MODULE it runs the production
# settings (which refuse to start without DJANGO_SECRET_KEY), never the development defaults silently.
# Development sets the variable explicitly (Makefile: worker, beat).
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "loanportal.settings.production")
application = get_wsgi_application()

from loanportal.warmup import warm_up  # noqa: E402 — after Django is set up

warm_up()
