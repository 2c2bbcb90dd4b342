"""Pure policy rules of the pre-application list (首贷预申请名单, notice 三(六)). No database.

The import template's columns, the six bases and their spellings, and the check of one spreadsheet row.
The county of a row is the 生源地 column ("生源地（县区代码或名称）": the 6-digit county code or the
county's name), checked against the importing county; the ID number's area code (first 6 digits) is only
checked for validity, because a student's ID may carry the code of the place of birth, not of the current
household county (and codes change when counties are merged or renamed).
"""

import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError

from loanportal.imports.reader import cell_text as imports_cell_text
from loanportal.rules import (
    EXAMPLE_ID_NUMBER,
    id_number_error,
    normalise_id_number,
    person_name_error,
    validate_phone,
)

from ..models.preapplication import PreApplicationBasis


@dataclass(frozen=True)
class Column:
    key: str  # the PreApplication field
    header: str  # the Chinese column header of the template
    required: bool
    width: int
    hint: str = ""


COUNTY_HEADER = "生源地（县区代码或名称）"

COLUMNS: tuple[Column, ...] = (
    Column("name", "姓名", True, 12),
    Column("id_number", "身份证号", True, 22, "18位，文本格式，末位可为X"),
    Column("basis", "预申请依据", True, 34, "从下拉列表选择"),
    Column("county", COUNTY_HEADER, True, 26, "6位县区代码或县区名称"),
    Column("high_school", "高中学校", True, 22, "认定该生的高中阶段学校"),
    Column("phone", "联系电话", False, 15, "11位手机号或区号-座机号"),
    Column("note", "备注", False, 24),
)
HEADERS = tuple(c.header for c in COLUMNS)
COLUMN_BY_KEY = {c.key: c for c in COLUMNS}

# Row 2 of the downloadable template (the county column is filled with the downloader's county). An import
# skips a row bearing the example's name: the clerk forgot to delete it.
EXAMPLE_NAME = "张三（示例，导入前请删除本行）"
EXAMPLE_ROW = (
    EXAMPLE_NAME,
    EXAMPLE_ID_NUMBER,
    PreApplicationBasis.NATIONAL_GRANT.label,
    "620123",
    "榆中县第一中学",
    "13800000000",
    "高二学年获国家助学金",
)

# Spellings a clerk may type for a basis: the label, the code, and the label with the notice's bracket.
_BASIS_SPELLINGS = {
    **{choice.label: choice.value for choice in PreApplicationBasis},
    **{choice.value: choice.value for choice in PreApplicationBasis},
    "高中阶段获国家助学金（含复读一年）": PreApplicationBasis.NATIONAL_GRANT.value,
    "高中阶段获国家助学金(含复读一年)": PreApplicationBasis.NATIONAL_GRANT.value,
    "建档立卡贫困户学生": PreApplicationBasis.REGISTERED_POOR.value,
    "城乡低保户学生": PreApplicationBasis.MINIMUM_LIVING.value,
    "农村特困救助供养学生": PreApplicationBasis.RURAL_SUPPORT.value,
}
BASIS_LABELS = tuple(choice.label for choice in PreApplicationBasis)


def basis_from_text(value) -> str | None:
    """The basis code for what the clerk typed, or None when it is not one of the six (notice 三(六))."""
    found = _BASIS_SPELLINGS.get(value) if type(value) is str else None
    if found is not None:
        return found
    text = re.sub(r"\s+", "", str(value or ""))
    return _BASIS_SPELLINGS.get(text)


def county_matches(value, *, code: str, names: tuple[str, ...]) -> bool:
    """True when the 生源地 cell names the importing county: its 6-digit code or one of its names."""
    if type(value) is str and (value == code or value in names):
        return True
    text = re.sub(r"\s+", "", str(value or ""))
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        text = str(int(value))
    return text == code or text in names


def county_names(full_name: str) -> tuple[str, ...]:
    """Names a clerk may write for a county: 榆中县学生资助管理中心 → (榆中县学生资助管理中心, 榆中县)."""
    names = {full_name}
    short = re.sub(r"(教育局)?学生资助管理中心$|资助中心$", "", full_name)
    if short:
        names.add(short)
    return tuple(sorted(names))


def cell_text(value) -> str:
    """A cell as the user saw it (loanportal.imports.cell_text): numbers without a trailing .0, a date typed
    into 备注 as 2026-07-15 (not 46218), text stripped."""
    if type(value) is str:  # the common case, 8 times per row of a 10,000-row list
        return value.strip()
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return imports_cell_text(value)


@dataclass
class RowCheck:
    """The cleaned values of one row and its errors as (field key, message) pairs."""

    values: dict
    errors: list


def check_row(raw: dict, *, county_code: str, county_names: tuple[str, ...], max_lengths: dict) -> RowCheck:
    """Check one row of a pre-application list (notice 三(六)). `raw` maps field keys to cell values."""
    errors: list[tuple[str, str]] = []
    # cell_text, with its common cases (text, empty) written inline: 7 cells in each of 10,000 rows.
    values = {
        key: value.strip()
        if (value := raw.get(key)).__class__ is str
        else ""
        if value is None
        else cell_text(value)
        for key in COLUMN_BY_KEY
    }

    for column in COLUMNS:
        if column.required and not values[column.key]:
            errors.append((column.key, f"“{column.header}”不能为空"))
    if values["name"] and (message := person_name_error(values["name"])):
        errors.append(("name", message))
    for key, limit in max_lengths.items():
        if limit and len(values.get(key, "")) > limit:
            errors.append((key, f"“{COLUMN_BY_KEY[key].header}”不能超过{limit}个字"))

    raw_id = raw.get("id_number")
    if isinstance(raw_id, (int, float)) and not isinstance(raw_id, bool):
        errors.append(
            ("id_number", "身份证号是数字格式，末尾几位已被表格软件改写；请把该列设为文本格式后重新填写")
        )
    elif values["id_number"]:
        values["id_number"] = normalise_id_number(values["id_number"])
        message = id_number_error(values["id_number"])
        if message:
            errors.append(("id_number", message))

    if values["basis"]:
        basis = basis_from_text(values["basis"])
        if basis is None:
            errors.append(
                ("basis", f"预申请依据“{values['basis']}”不在六类范围内，应为：{'、'.join(BASIS_LABELS)}")
            )
        values["basis"] = basis or ""

    if values["county"] and not county_matches(raw.get("county"), code=county_code, names=county_names):
        errors.append(
            (
                "county",
                f"生源地“{values['county']}”不是本县（{county_code}），该生应由其生源地县导入",
            )
        )

    if values["phone"]:
        try:
            validate_phone(values["phone"])
        except ValidationError as exc:
            errors.append(("phone", exc.messages[0]))
    return RowCheck(values, errors)


def is_blank_row(values: tuple) -> bool:
    return all(v is None or (isinstance(v, str) and not v.strip()) for v in values)
