"""gunicorn settings of the web container (docker-compose.yml runs `gunicorn -c gunicorn.conf.py`).

The access log is on (stdout) but goes through `loanportal.logging.MaskedGunicornLogger`: ID numbers and
mobile numbers in request lines, query strings and referers are masked before they are written."""

import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", "4"))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
# The master imports the application and warms it (loanportal/wsgi.py → loanportal.warmup) once; the workers
# fork from it warm instead of spending their first request on imports and template compilation.
preload_app = True
accesslog = "-"
errorlog = "-"
logger_class = "loanportal.logging.MaskedGunicornLogger"
