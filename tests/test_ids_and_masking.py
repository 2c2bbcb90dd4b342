"""ID numbers (GB 11643 via python-stdnum) and masking of IDs and phones (DESIGN.md "Student")."""

import logging

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st
from stdnum.cn import ric

from loanportal.demo import make_id_number
from loanportal.rules import id_number_error, mask_id_number, mask_phone, mask_text, validate_id_number

VALID = make_id_number("620123", "20050101", 123)


def test_valid_id_number_passes():
    assert id_number_error(VALID) is None
    validate_id_number(VALID)


def test_bad_check_digit_is_named():
    wrong = VALID[:-1] + ("0" if VALID[-1] != "0" else "1")
    assert id_number_error(wrong) == "身份证号校验码（第18位）错误"


def test_bad_birth_date_is_named():
    body = "620123" + "20051332" + "123"
    number = body + ric.calc_check_digit(body + "0")
    assert "出生日期" in id_number_error(number)


def test_bad_area_code_is_named():
    number = make_id_number("999999", "20050101", 123)
    assert "地区码" in id_number_error(number)


@pytest.mark.parametrize(
    "raw, fragment", [("", "不能为空"), ("12345", "18位"), ("62012320050101123Y", "格式错误")]
)
def test_malformed_id_numbers(raw, fragment):
    assert fragment in id_number_error(raw)


def test_validator_raises_chinese_message_with_field_label():
    with pytest.raises(ValidationError) as exc:
        validate_id_number("620123200501011230")
    assert "身份证号" in exc.value.messages[0]


def test_mask_examples():
    assert mask_id_number("14010120050101123X") == "140***********123X"
    assert mask_phone("13812345678") == "138****5678"


@given(st.text(alphabet="0123456789Xx-", max_size=40))
def test_masked_id_never_shows_more_than_7_characters(value):
    masked = mask_id_number(value)
    assert len(masked) == len(value)
    assert sum(1 for ch in masked if ch != "*") <= 7


@given(st.from_regex(r"\A\d{17}[\dX]\Z"))
def test_masked_real_ids_show_first3_last4(value):
    masked = mask_id_number(value)
    assert masked[:3] == value[:3] and masked[-4:] == value[-4:] and masked[3:-4] == "*" * 11


def test_log_records_are_masked(caplog):
    from loanportal.logging import MaskPersonalDataFilter

    logger = logging.getLogger("tests.masking")
    handler_filter = MaskPersonalDataFilter()
    record = logger.makeRecord(
        "x", logging.INFO, __file__, 1, "student %s phone %s", (VALID, "13812345678"), None
    )
    handler_filter.filter(record)
    assert VALID not in record.getMessage() and "13812345678" not in record.getMessage()
    assert mask_id_number(VALID) in record.getMessage()
    assert mask_text(f"x{VALID}") == f"x{VALID}"  # not an ID on its own: left alone


def test_api_and_pages_mask_ids_and_phones(world, api_for, client_for):
    student = world.students.c1_u1
    body = api_for(world.users.county1_staff).get(f"/api/v1/students/{student.pk}/").content.decode()
    assert student.id_number not in body and student.phone not in body
    assert mask_id_number(student.id_number) in body
    page = client_for(world.users.county1_staff).get(f"/students/{student.pk}/").content.decode()
    assert student.id_number not in page and student.phone not in page
    co = student.co_borrowers.get()
    assert co.id_number not in page


def test_reveal_needs_reason_and_is_audited(world, client_for, api_for):
    from loanportal.models import AuditEvent

    student = world.students.c1_u1
    client = client_for(world.users.county1_staff)
    refused = client.post(f"/students/{student.pk}/reveal/", {"field": "id_number", "reason": ""})
    assert refused.status_code == 400 and "原因" in refused.content.decode()
    assert not AuditEvent.objects.filter(action="reveal.id_number").exists()
    ok = client.post(f"/students/{student.pk}/reveal/", {"field": "id_number", "reason": "核对合同"})
    assert ok.status_code == 200 and student.id_number in ok.content.decode()
    event = AuditEvent.objects.get(action="reveal.id_number")
    assert event.reason == "核对合同" and event.actor == world.users.county1_staff
    # the API does the same; a role without the privilege gets 403; outside the scope 404
    api = api_for(world.users.county1_staff).post(
        f"/api/v1/students/{student.pk}/reveal/", {"field": "phone", "reason": "电话回访"}, format="json"
    )
    assert api.json()["value"] == student.phone
    assert (
        api_for(world.users.university1_officer)
        .post(f"/api/v1/students/{student.pk}/reveal/", {"field": "phone", "reason": "x"}, format="json")
        .status_code
        == 403
    )
    assert (
        client_for(world.users.county3_staff)
        .post(f"/students/{student.pk}/reveal/", {"field": "id_number", "reason": "看看"})
        .status_code
        == 404
    )
    assert AuditEvent.objects.filter(action__startswith="reveal.").count() == 2
