"""Logging that never writes a full ID number or mobile number (notice 二十一, measures 第二十七条).

`MaskPersonalDataFilter` sits on every handler of the Django LOGGING config (the root console handler and
the `django.server` handler of runserver's access lines); `MaskedGunicornLogger` puts it on gunicorn's
error and access logs (gunicorn.conf.py), whose request lines carry query strings."""

import logging

from .rules import mask_text


class MaskPersonalDataFilter(logging.Filter):
    """Masks ID numbers and mobile numbers in every log record before it is written."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken format string must not lose the record
            return True
        masked = mask_text(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


try:  # gunicorn is a dependency of the deployment; development machines may run without it
    from gunicorn.glogging import Logger as _GunicornLogger
except ImportError:  # pragma: no cover
    _GunicornLogger = object


class MaskedGunicornLogger(_GunicornLogger):
    """gunicorn's logger with the request line, URL, query string and referer masked in the access log
    and every error-log line masked as well (`logger_class` in gunicorn.conf.py)."""

    def setup(self, cfg):
        super().setup(cfg)
        mask = MaskPersonalDataFilter()
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                if not any(isinstance(f, MaskPersonalDataFilter) for f in handler.filters):
                    handler.addFilter(mask)

    def atoms(self, resp, req, environ, request_time):
        return {
            key: mask_text(value) if isinstance(value, str) else value
            for key, value in super().atoms(resp, req, environ, request_time).items()
        }
