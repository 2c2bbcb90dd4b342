"""Pure rules of the pre-application list (notice 三(六)): bases, headers, county column, row check."""

from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum.cn import ric

from applications.models import PreApplication
from applications.rules.preapplications import (
    COLUMN_BY_KEY,
    basis_from_text,
    check_row,
    county_matches,
    county_names,
)
from loanportal.rules import id_number_error


def test_six_bases_of_notice_3_6_and_nothing_else():
    """notice 三(六): 建档立卡贫困户, 城乡低保户, 农村特困救助供养, 孤残学生, 国家助学金 (incl. repeat year), 学校认定."""
    assert basis_from_text(" 城乡低保户 ") == "minimum_living"
    assert basis_from_text("高中阶段获国家助学金（含复读一年）") == "national_grant"
    assert basis_from_text("其他经学校认定的家庭经济困难学生") == "school_certified"
    assert basis_from_text("低收入家庭") is None
    assert basis_from_text("") is None


def test_county_column_accepts_code_or_name_of_the_importing_county_only():
    names = county_names("榆中县学生资助管理中心")
    assert "榆中县" in names
    for value in ("620123", 620123, "榆中县", "榆中县学生资助管理中心", " 榆中县 "):
        assert county_matches(value, code="620123", names=names), value
    for value in ("620522", "秦安县", "", None):
        assert not county_matches(value, code="620123", names=names), value


def test_row_check_reports_each_problem_by_field():
    limits = {"name": 50, "high_school": 100, "phone": 20, "note": 200}
    result = check_row(
        {
            "name": "",
            "id_number": "620123200803151230",
            "basis": "x",
            "county": "620522",
            "high_school": "一中",
            "phone": "123",
        },
        county_code="620123",
        county_names=("榆中县",),
        max_lengths=limits,
    )
    assert {key for key, _ in result.errors} == {"name", "id_number", "basis", "county", "phone"}


def test_length_limits_follow_the_model():
    for key in ("name", "high_school", "phone", "note"):
        assert PreApplication._meta.get_field(key).max_length
    assert COLUMN_BY_KEY["name"].header == PreApplication._meta.get_field("name").verbose_name


_digits = st.text(alphabet="0123456789", min_size=17, max_size=17)


@settings(max_examples=400, deadline=None)
@given(
    body=_digits,
    last=st.sampled_from(list("0123456789X")),
    area=st.sampled_from(["620123", "620522", "110101", "999999", "620100", "620000", "546459"]),
)
def test_cached_id_check_agrees_with_stdnum(body, last, area):
    """id_number_error's cached area-code lookup gives the same verdict as python-stdnum's validate."""
    for number in (
        body + last,
        area + body[6:] + last,
        area + "20080315" + body[14:] + ric.calc_check_digit(area + "20080315" + body[14:] + "0"),
    ):
        assert (id_number_error(number) is None) == _stdnum_valid(number), number


def _stdnum_valid(number):
    try:
        return ric.is_valid(number)
    except KeyError:  # stdnum's lookup fails on codes without a county (e.g. 620000)
        return False


def test_area_code_stdnum_cannot_resolve_is_refused_not_crashing():
    """python-stdnum raises KeyError for some codes (no county entry); that is an unknown area, not a 500."""
    body = "54645920080315123"
    assert "地区码" in id_number_error(body + ric.calc_check_digit(body + "0"))
