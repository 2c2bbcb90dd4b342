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
