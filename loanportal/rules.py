"""Pure rules of the core: ID numbers (GB 11643 via python-stdnum), phones, masking. No database."""

import re
import unicodedata
from datetime import date
from functools import lru_cache

from django.core.exceptions import ValidationError
from stdnum.cn import ric
from stdnum.exceptions import InvalidComponent
from stdnum.exceptions import ValidationError as StdnumError

PHONE_RE = re.compile(r"^1[3-9]\d{9}$")
LANDLINE_RE = re.compile(r"^0\d{2,3}-?\d{7,8}$")


def id_number_error(value: str, *, label: str = "身份证号") -> str | None:
    """Return a Chinese message saying what is wrong with an ID number, or None when it is valid."""
    raw = (value or "").strip().upper()
    if not raw:
        return f"{label}不能为空"
    if len(raw) != 18:
        return f"{label}应为18位，当前为{len(raw)}位"
    if not re.fullmatch(r"\d{17}[\dX]", raw):
        return f"{label}格式错误：前17位应为数字，末位为数字或X"
    try:  # ric.get_birth_date without its separator clean-up (raw is 18 plain characters here): 4× faster
        date(int(raw[6:10]), int(raw[10:12]), int(raw[12:14]))
    except ValueError:
        return f"{label}中的出生日期（第7–14位）无效"
    # The same checks as ric.validate, in its order; the area-code lookup is cached (see below).
    if raw[-1] != ric.calc_check_digit(raw):
        return f"{label}校验码（第18位）错误"
    if not _area_code_known(raw[:6], raw[6:10]):
        return f"{label}的地区码（前6位）不存在"
    return None


@lru_cache(maxsize=8192)
def _area_code_known(area: str, birth_year: str) -> bool:
    """stdnum's area-code table lookup costs ~0.1 ms; a 10,000-row list has a few dozen (area, year) pairs."""
    try:
        ric.get_birth_place(f"{area}{birth_year}0101000" + "0")
    except (InvalidComponent, StdnumError, KeyError):  # stdnum raises KeyError for e.g. province codes
        return False
    return True


def normalise_id_number(value: str) -> str:
    return (value or "").strip().upper()


def validate_id_number(value: str) -> None:
    """Django field validator: GB 11643 check digit, birth date and area code."""
    message = id_number_error(value)
    if message:
        raise ValidationError(message, code="invalid_id_number")


def validate_phone(value: str) -> None:
    raw = (value or "").strip()
    if raw and not (PHONE_RE.match(raw) or LANDLINE_RE.match(raw)):
        raise ValidationError("联系电话格式错误：应为11位手机号或区号-座机号", code="invalid_phone")


def birth_date_of(id_number: str):
    return ric.get_birth_date(normalise_id_number(id_number))


# The made-up ID number of the import templates' example rows (a valid checksum, nobody's number); the
# privacy scan excuses it in a template and nowhere else.
EXAMPLE_ID_NUMBER = "620123200801011239"


def mask_id_number(value: str | None) -> str:
    """Show the first 3 and last 4 characters only: 140***********123X (at most 7 characters shown)."""
    if not value:
        return ""
    value = str(value)
    if len(value) <= 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_phone(value: str | None) -> str:
    """138****5678; short or unusual numbers keep at most their last 4 digits."""
    if not value:
        return ""
    value = str(value)
    if len(value) == 11:
        return value[:3] + "****" + value[-4:]
    if len(value) <= 4:
        return "*" * len(value)
    return "*" * (len(value) - 4) + value[-4:]


ID_NUMBER_PATTERN = re.compile(r"(?<![0-9A-Za-z])(\d{6})(\d{8})(\d{3}[\dXx])(?![0-9A-Za-z])")
PHONE_PATTERN = re.compile(r"(?<!\d)(1[3-9]\d)(\d{4})(\d{4})(?!\d)")


def mask_text(text: str) -> str:
    """Mask every ID number and mobile number found in free text (logs, messages)."""
    text = ID_NUMBER_PATTERN.sub(lambda m: mask_id_number(m.group(0)), text)
    return PHONE_PATTERN.sub(lambda m: m.group(1) + "****" + m.group(3), text)


# Person names (students, co-borrowers, pre-application lists, bookings): letters of any script (汉字, Latin,
# Uyghur, Tibetan…), combining marks, digits, single spaces and the separators used in transliterated names
# (· • ‧ ・ . -). Nothing else: no control or invisible formatting characters (bidi overrides, zero-width) and
# no markup or formula characters (< > " ' ` & = ; / \ ( ) { } …), whatever page, export or log shows it.
NAME_SEPARATORS = frozenset("·•‧・.-")
_PLAIN_CHINESE_NAME = re.compile(r"[\u4e00-\u9fff][\u4e00-\u9fff0-9·]*")
NAME_MESSAGE_ALLOWED = "只能包含汉字、字母和间隔号“·”"


def person_name_error(value, *, label: str = "姓名") -> str | None:
    """A Chinese message saying what is wrong with a person's name, or None when it is acceptable."""
    text = str(value or "").strip()
    if not text:
        return None  # "required" is the field's own check
    if _PLAIN_CHINESE_NAME.fullmatch(text):
        return None  # the common case, without the character-by-character walk
    previous = ""
    for char in text:
        category = unicodedata.category(char)
        if category[0] in "LM" or category in ("Nd", "Nl") or char in NAME_SEPARATORS:
            previous = char
            continue
        if char == " " and previous != " ":
            previous = char
            continue
        if char == " ":
            return f"{label}中有连续的空格；{label}{NAME_MESSAGE_ALLOWED}"
        if category[0] in "CZ":
            return f"{label}中含有不可见的控制或格式字符（U+{ord(char):04X}）；{label}{NAME_MESSAGE_ALLOWED}"
        return f"{label}中含有不允许的字符“{char}”；{label}{NAME_MESSAGE_ALLOWED}"
    if unicodedata.category(text[0])[0] != "L":
        return f"{label}“{text}”不是有效的姓名；{label}{NAME_MESSAGE_ALLOWED}"
    return None


def validate_person_name(value) -> None:
    """Django field validator for a person's name (see person_name_error)."""
    message = person_name_error(value)
    if message:
        raise ValidationError(message, code="invalid_person_name")


# The place of an administrative organisation: 「榆中县学生资助管理中心」→「榆中县」, 「兰州市教育局资助中心」→
# 「兰州市」: the name without the centre's part; failing that, the shortest prefix ending in a county-level
# unit (自治县/自治旗/县/区/旗/市).
_CENTRE_SUFFIX = re.compile(
    r"(?:教育局|教育和体育局|教体局|教育体育局)?(?:学生资助管理中心|学生资助中心|资助管理中心|资助中心|学生资助管理办公室)$"
)
_PLACE_PREFIX = re.compile(r"^(.+?(?:自治县|自治旗|县|区|旗|市))")


@lru_cache(maxsize=4096)
def place_name(name: str) -> str:
    """地名: the place an organisation's name stands for (生源地, 受理县), not the name of its centre."""
    if not name:
        return ""
    stripped = _CENTRE_SUFFIX.sub("", name)
    if stripped and stripped != name:
        return stripped
    match = _PLACE_PREFIX.match(name)
    return match.group(1) if match else name
