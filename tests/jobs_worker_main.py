"""A real Celery worker for tests/test_jobs_worker_killed.py, run as a subprocess (never imported by pytest).

Test hook, in this process only: with JOBS_TEST_PAUSE_AT=N and JOBS_TEST_MARKER=<path>, an export reports its
progress every row (an import every 1,000 rows) and, on its first attempt (the marker does not exist yet), writes the marker (the pid of
the process running the job) and stops after N rows — so the test knows when to `kill -9`.
"""

import os
import sys
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "loanportal.settings")

import django  # noqa: E402

django.setup()

from loanportal.celery import app  # noqa: E402
from loanportal.exports import services, writer  # noqa: E402

PAUSE_AT = int(os.environ.get("JOBS_TEST_PAUSE_AT", "0"))
MARKER = os.environ.get("JOBS_TEST_MARKER", "")

if PAUSE_AT and MARKER:
    writer.PROGRESS_EVERY = 1
    original = services.write_export

    def write_export(definition, rows, *, progress=None, **kwargs):
        def pausing(done):
            if progress is not None:
                progress(done)
            if done >= PAUSE_AT and not os.path.exists(MARKER):
                with open(MARKER, "w") as handle:
                    handle.write(str(os.getpid()))
                while True:  # the test kills this process now
                    time.sleep(1)

        return original(definition, rows, progress=pausing, **kwargs)

    services.write_export = write_export

    from applications.services import preapplications

    original_import = preapplications.pre_application_import

    def pre_application_import(*, progress=None, **kwargs):
        def pausing(done, total):
            if progress is not None:
                progress(done, total)
            if done >= PAUSE_AT and not os.path.exists(MARKER):
                with open(MARKER, "w") as handle:
                    handle.write(str(os.getpid()))
                while True:  # the test kills this process now
                    time.sleep(1)

        return original_import(progress=pausing, **kwargs)

    preapplications.pre_application_import = pre_application_import

if __name__ == "__main__":
    app.worker_main(["worker", *sys.argv[1:]])
