"""Cell values the portal writes into spreadsheets: never a formula from user data, never a character
XML cannot hold, datetimes in Asia/Shanghai without a zone (issue 7 item 5, issue 9 protection check 5).

A string a spreadsheet program would take as the start of a formula (`=`, `+`, `-`, `@`) or that hides
one behind a control character (tab, CR, LF, NUL) is written as a *text* cell with Excel's quote prefix
(the `'` Excel shows when you type `'=1+1`), so it stays text even when the user edits the cell.
"""

import datetime
import re
import zoneinfo

from django.conf import settings

# Characters a spreadsheet application reads as the start of a formula, or that can precede one.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\n", "\x00")
# XML 1.0 refuses these (NUL included); xlsxwriter would write a broken file and openpyxl raises.
_ILLEGAL_XML_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def is_formula_like(value: str) -> bool:
    """True for a string that a spreadsheet could execute if it were not forced to text."""
    return value.startswith(FORMULA_PREFIXES)


def clean_text(value) -> str:
    """The string as it can be stored in a cell: characters illegal in XML removed."""
    text = value if isinstance(value, str) else str(value)
    return _ILLEGAL_XML_RE.sub("", text) if _ILLEGAL_XML_RE.search(text) else text


def local_naive(value: datetime.datetime) -> datetime.datetime:
    """An aware datetime in the portal's time zone (Asia/Shanghai) without its zone, as spreadsheets want."""
    if value.tzinfo is None:
        return value
    return value.astimezone(_zone()).replace(tzinfo=None)


_ZONE: list = []


def _zone():
    if not _ZONE:
        _ZONE.append(zoneinfo.ZoneInfo(settings.TIME_ZONE))
    return _ZONE[0]
