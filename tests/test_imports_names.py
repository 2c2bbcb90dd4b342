"""Names are validated at import and entry (issue 7 item 1): no control, invisible formatting or markup
characters in a student's, co-borrower's, pre-application's or appointment's name; Chinese names with the
middle dot and names in letters are fine. The import side is in test_preapplications_import.py."""

import pytest
from django.core.exceptions import ValidationError

from applications.forms.intake import PersonForm
from applications.forms.preapplications import PreApplicationAddForm
from applications.models import Appointment, PreApplication
from applications.services.preapplications import pre_application_add
from loanportal.models import CoBorrower, Student
from loanportal.rules import person_name_error, validate_person_name

from .factories_preapplications import student_id

PAYLOADS = [
    "x'+(window.__pwned=1)+'",
    '<img src=x onerror="alert(1)">',
    "李明</td><script>",
    '=HYPERLINK("http://x","y")',
    "王`芳`",
    "张&amp;三",
    "李\u202e明",  # right-to-left override
    "李\u200b明",  # zero-width space
    "李\x07明",
    "李\n明",
]
GOOD = ["李明", "阿依古丽·买买提", "欧阳娜娜", "John Smith", "Zhang San-Feng", "李〇", "迪丽热巴·迪力木拉提"]


@pytest.mark.parametrize("name", PAYLOADS)
def test_issue7_1_person_name_with_markup_or_control_characters_is_refused(name):
    message = person_name_error(name)
    assert message and message.startswith("姓名") and "汉字、字母和间隔号" in message


@pytest.mark.parametrize("name", GOOD)
def test_issue7_1_real_names_are_accepted(name):
    assert person_name_error(name) is None
    validate_person_name(name)


@pytest.mark.parametrize("model", [Student, CoBorrower, PreApplication, Appointment])
def test_issue7_1_name_fields_of_the_models_validate_names(model):
    field = model._meta.get_field("name")
    with pytest.raises(ValidationError) as caught:
        field.clean("x'+(window.__pwned=1)+'", None)
    assert "不允许的字符" in caught.value.messages[0]
    assert field.clean("阿依古丽·买买提", None) == "阿依古丽·买买提"


def test_issue7_1_forms_refuse_markup_names():
    form = PreApplicationAddForm(
        data={"name": "<b>李</b>", "id_number": student_id(), "basis": "minimum_living"}
    )
    assert not form.is_valid() and "不允许的字符" in form.errors["name"][0]
    person = PersonForm(data={"name": "李\u202e明", "id_number": student_id(), "phone": ""})
    assert not person.is_valid() and "U+202E" in person.errors["name"][0]


@pytest.mark.django_db
def test_issue7_1_manual_pre_application_entry_refuses_markup_names(world):
    with pytest.raises(ValidationError) as caught:
        pre_application_add(
            actor=world.users.county1_staff,
            county=world.county1,
            year=2026,
            name="x'+(window.__pwned=1)+'",
            id_number=student_id(),
            basis="minimum_living",
            high_school="榆中县第一中学",
        )
    assert "name" in caught.value.message_dict
    assert not PreApplication.objects.exists()
